/* web: the shared machinery of the pages — routes per language, the
 * visitor, the layout, forms, errors, static files and headers. */
#include "web/internal.h"

#include "account/account.h"
#include "auth/authz.h"
#include "registry/listq.h"
#include "registry/registry.h"
#include "util/timeutil.h"
#include "web/assets.h"
#include "web/card.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

/* ---- static files --------------------------------------------------------------- */

const char *web_static_url(const char *name)
{
    for (const struct web_static *s = web_statics; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s->url;
    return NULL;
}

const struct web_static *web_static_by_file(const char *file)
{
    for (const struct web_static *s = web_statics; s->name; s++) {
        const char *last = strrchr(s->url, '/');
        if (last && strcmp(last + 1, file) == 0)
            return s;
    }
    return NULL;
}

static bool accepts_gzip(const struct http_req *req)
{
    const char *ae = http_req_header(req, "Accept-Encoding");
    for (const char *p = ae; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t tok = strcspn(p, ";, ");
        if (tok == 4 && strncasecmp(p, "gzip", 4) == 0) {
            const char *q = memchr(p, ';', n);
            /* "gzip;q=0" refuses it */
            return !(q && strstr(q, "q=0") && !strstr(q, "q=0."));
        }
        p += n;
    }
    return false;
}

static void h_static(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct web *w = ctx;
    web_security_headers(w, resp);
    const struct web_static *s = web_static_by_file(http_req_param(req, "file"));
    if (!s) {
        http_resp_bytes(resp, 404, "text/plain; charset=utf-8", "not found\n", 10);
        return;
    }
    http_resp_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
    http_resp_header(resp, "ETag", s->etag);
    http_resp_header(resp, "Vary", "Accept-Encoding");
    const char *inm = http_req_header(req, "If-None-Match");
    if (inm && strstr(inm, s->etag)) {
        http_resp_bytes(resp, 304, s->type, NULL, 0);
        return;
    }
    if (s->gz && accepts_gzip(req)) {
        http_resp_header(resp, "Content-Encoding", "gzip");
        http_resp_static(resp, 200, s->type, s->gz, s->gz_len);
    } else
        http_resp_static(resp, 200, s->type, s->data, s->len);
}

/* ---- headers ---------------------------------------------------------------------- */

void web_security_headers(const struct web *w, struct http_resp *resp)
{
    http_resp_header(resp, "Content-Security-Policy",
                     "default-src 'self'; script-src 'self'; style-src 'self'; "
                     "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                     "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                     "object-src 'none'");
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header(resp, "X-Frame-Options", "DENY");
    http_resp_header(resp, "Referrer-Policy", "same-origin");
    http_resp_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    http_resp_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    if (w->api->secure_cookies)
        http_resp_header(resp, "Strict-Transport-Security", "max-age=63072000; includeSubDomains");
}

/* ---- labels ------------------------------------------------------------------------ */

const char *page_enum_label(const struct page *pg, const struct model_enum *en, const char *id)
{
    const struct i18n *l = model_enum_label(en, id, pg->label_day);
    return l ? web_label(pg->lang, *l) : id ? id : "";
}

const char *web_label(enum lang l, struct i18n label)
{
    const char *order[LANG_N][3] = {
        [LANG_KK] = {label.kk, label.ru, label.en},
        [LANG_RU] = {label.ru, label.kk, label.en},
        [LANG_EN] = {label.en, label.ru, label.kk},
    };
    for (int i = 0; i < 3; i++)
        if (order[l][i] && *order[l][i])
            return order[l][i];
    return "";
}

const char *web_name_lang(enum lang l, const json_t *name)
{
    if (!json_is_object(name))
        return NULL;
    static const enum lang order[LANG_N][3] = {[LANG_KK] = {LANG_KK, LANG_RU, LANG_EN},
                                               [LANG_RU] = {LANG_RU, LANG_KK, LANG_EN},
                                               [LANG_EN] = {LANG_EN, LANG_RU, LANG_KK}};
    for (int i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(name, i18n_code(order[l][i])));
        if (s && *s)
            return order[l][i] == l ? NULL : i18n_tag(order[l][i]);
    }
    return NULL;
}

const char *page_err_text(const struct page *pg, const struct err *e)
{
    char out[sizeof e->detail * 2];
    return arena_strdup(pg->req->arena, i18n_err_text(pg->lang, e, out, sizeof out));
}

int page_relations_each(struct page *pg, const char *coll, const char *id, page_relation_fn fn,
                        void *ctx)
{
    const struct model *m = pg->w->api->model;
    json_t *rels = NULL;
    struct err e = ERR_INIT;
    if (registry_relations_of(pg->w->api->reg, coll, id, "both", NULL, &rels, &e) < 0)
        return -1;
    size_t i;
    json_t *rel;
    json_array_foreach (json_object_get(rels, "items"), i, rel) {
        const char *src = json_string_value(json_object_get(rel, "source"));
        const char *dst = json_string_value(json_object_get(rel, "target"));
        const struct model_kind *rk =
            model_kind(m, json_string_value(json_object_get(rel, "type")));
        bool out = src && strcmp(src, id) == 0;
        const char *other = out ? dst : src;
        json_t *orec = NULL;
        struct err oe = ERR_INIT;
        if (!rk || !other ||
            registry_get_visible(pg->w->api->reg, &pg->actor, NULL, other, &orec, &oe) < 0)
            continue;
        fn(pg, ctx, rel, rk, out, other, orec);
        json_decref(orec);
    }
    json_decref(rels);
    return 0;
}

const char *page_local_day(const struct page *pg, const char *instant)
{
    int64_t ms;
    if (!instant)
        return "";
    if (time_parse_rfc3339(instant, &ms) < 0)
        return arena_strdup(pg->req->arena, instant);
    char day[11];
    calsvc_local_date(pg->w->api->cal, ms, day);
    return arena_strdup(pg->req->arena, day);
}

const char *page_kind_label(const struct page *pg, const char *kind)
{
    const struct model_kind *k = kind ? model_kind(pg->w->api->model, kind) : NULL;
    return k ? web_label(pg->lang, k->label) : kind ? kind : "";
}

json_t *page_ref_link(struct page *pg, const json_t *ref)
{
    const char *coll = json_string_value(json_object_get(ref, "collection"));
    const char *id = json_string_value(json_object_get(ref, "id"));
    const char *name = web_name(pg->lang, json_object_get(ref, "name"));
    json_t *o = json_pack("{s:s}", "text", *name ? name : id ? id : "");
    if (coll && id)
        json_object_set_new(o, "href", json_string(page_url(pg, "/%s/%s", coll, id)));
    web_set_name_lang(o, pg->lang, json_object_get(ref, "name"));
    return o;
}

const char *page_local_time(const struct page *pg, const char *instant)
{
    int64_t ms;
    const char *day = page_local_day(pg, instant);
    if (!instant || time_parse_rfc3339(instant, &ms) < 0)
        return day;
    int minute = calsvc_local_minute(pg->w->api->cal, ms);
    return arena_printf(pg->req->arena, "%s %02d:%02d", day, minute / 60, minute % 60);
}

bool page_at_param(struct page *pg, bool *set, int64_t *ms)
{
    const char *at = http_req_query(pg->req, "at");
    *set = at != NULL;
    if (at && time_parse_rfc3339(at, ms) < 0) {
        page_error(pg, 400, page_tr(pg, TR("'at' must be an RFC 3339 date-time")));
        return false;
    }
    return true;
}

void web_set_name_lang(json_t *o, enum lang l, const json_t *name)
{
    const char *tag = web_name_lang(l, name);
    if (tag)
        json_object_set_new(o, "name_lang", json_string(tag));
}

const char *web_name(enum lang l, const json_t *name)
{
    if (json_is_string(name))
        return json_string_value(name);
    struct i18n n = {json_string_value(json_object_get(name, "kk")),
                     json_string_value(json_object_get(name, "ru")),
                     json_string_value(json_object_get(name, "en"))};
    return web_label(l, n);
}

json_t *page_gap_items(const struct page *pg, const struct model_kind *k, const char *coll,
                       const char *id, const json_t *gaps)
{
    json_t *items = json_array();
    size_t i;
    json_t *x;
    json_array_foreach (json_object_get(gaps, "fields"), i, x) {
        const char *name = json_string_value(json_object_get(x, "field"));
        const struct model_field *f = name ? model_field(k, name) : NULL;
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s}", "what", page_tr(pg, TR("Data")), "label",
                             f ? web_label(pg->lang, f->label) : name ? name : "", "href",
                             page_url(pg, "/%s/%s/edit#f-%s", coll, id, name ? name : "")));
    }
    json_array_foreach (json_object_get(gaps, "documents"), i, x)
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:s}", "what", page_tr(pg, TR("Document")), "label",
                      web_name(pg->lang, json_object_get(x, "label")), "href",
                      page_url(pg, "/%s/%s#doc-%s", coll, id,
                               json_string_value(json_object_get(x, "type")))));
    json_array_foreach (json_object_get(gaps, "relations"), i, x)
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s}", "what", page_tr(pg, TR("Relation")), "label",
                             web_name(pg->lang, json_object_get(x, "label")), "href",
                             page_url(pg, "/%s/%s?rel=%s:out#relation-add", coll, id,
                                      json_string_value(json_object_get(x, "type")))));
    json_array_foreach (json_object_get(gaps, "rules"), i, x) {
        /* a rule over relations leads to adding the one it lacks */
        const char *rel = json_string_value(json_object_get(x, "relation"));
        const char *dir = json_string_value(json_object_get(x, "direction"));
        const char *field = json_string_value(json_object_get(x, "field"));
        const char *href = rel ? page_url(pg, "/%s/%s?rel=%s:%s#relation-add", coll, id, rel,
                                          dir && strcmp(dir, "in") == 0 ? "in" : "out")
                               : page_url(pg, "/%s/%s/edit#f-%s", coll, id, field ? field : "");
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s}", "what", page_tr(pg, TR("Requirement of the Rules")),
                             "label", web_name(pg->lang, json_object_get(x, "label")), "href",
                             href));
    }
    return items;
}

/* ---- the visitor and the language -------------------------------------------------- */

/* The language a visitor prefers: the cookie, else Accept-Language, else kk. */
static enum lang preferred_lang(struct http_req *req)
{
    enum lang l;
    if (i18n_parse(http_req_cookie(req, WEB_LANG_COOKIE), &l))
        return l;
    return i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_KK);
}

/* The language of a path "/ru/…", if it has one. */
static bool path_lang(const char *path, enum lang *l)
{
    char code[3] = {0};
    if (!path || path[0] != '/' || strlen(path) < 3 || (path[3] != '\0' && path[3] != '/'))
        return false;
    memcpy(code, path + 1, 2);
    return i18n_parse(code, l);
}

/* The query string of the request, re-encoded. */
static const char *query_string(const struct page *pg)
{
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < pg->req->n_query; i++) {
        buf_putc(&b, b.len ? '&' : '?');
        tpl_esc_url_part(&b, pg->req->query[i].key, strlen(pg->req->query[i].key));
        buf_putc(&b, '=');
        tpl_esc_url_part(&b, pg->req->query[i].value, strlen(pg->req->query[i].value));
    }
    const char *out = arena_strdup(pg->req->arena, b.p ? b.p : "");
    buf_free(&b);
    return out;
}

/* Verify is granted per kind: may the actor verify some kind with a
 * workflow for any organisation (not only its own)? */
static bool may_verify_everywhere(const struct web *w, const struct actor *a)
{
    const struct model *m = w->api->model;
    const struct rights *rights = accounts_rights(w->api->acct);
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *k = model_kind_at(m, i);
        if (k->workflow && authz_may(rights, a, RA_VERIFY, k->id, "\x01another organisation"))
            return true;
    }
    return false;
}

static const char *const lang_names[LANG_N] = {"Қазақша", "Русский", "English"};

/* What the header's user menu says: who is signed in (the person's name),
 * for which organisation (its name in the page's language) and as what
 * (the labels of the user's roles, joined). */
static void user_menu(struct page *pg)
{
    struct web *w = pg->w;
    json_t *u = NULL, *org = NULL;
    struct err e = ERR_INIT;
    const char *name = page_tr(pg, TR("Portal user"));
    if (user_get(w->api->acct, &pg->actor, pg->actor.user, &u, &e) == 0) {
        const char *last = json_string_value(json_object_get(u, "last_name"));
        const char *first = json_string_value(json_object_get(u, "first_name"));
        last = last ? last : "";
        first = first ? first : "";
        if (*last || *first)
            name = arena_printf(pg->req->arena, "%s%s%s", last, *last && *first ? " " : "", first);
    }
    json_object_set_new(pg->data, "user_name", json_string(name));
    if (pg->actor.org[0] &&
        registry_get_visible(w->api->reg, &pg->actor, NULL, pg->actor.org, &org, &e) == 0)
        json_object_set_new(pg->data, "user_org_name",
                            json_string(web_name(pg->lang, json_object_get(org, "name"))));
    const struct rights *rights = accounts_rights(w->api->acct);
    struct buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; i < rights_n_roles(rights) && i < 32; i++)
        if (pg->actor.roles & (UINT32_C(1) << i)) {
            if (b.len)
                buf_puts(&b, ", ");
            buf_puts(&b, web_name(pg->lang, rights_role_label(rights, i)));
        }
    json_object_set_new(pg->data, "user_roles", json_string(b.p ? b.p : ""));
    buf_free(&b);
    json_decref(org);
    json_decref(u);
}

void page_begin(struct web *w, struct http_req *req, struct http_resp *resp, struct page *pg)
{
    memset(pg, 0, sizeof *pg);
    pg->label_day = INT64_MAX;
    pg->w = w;
    pg->req = req;
    pg->resp = resp;
    if (!path_lang(req->path, &pg->lang))
        pg->lang = preferred_lang(req);
    struct actor anon = ACTOR_ANONYMOUS;
    pg->actor = anon;
    const char *cookie = http_req_cookie(req, API_SESSION_COOKIE);
    struct err e = ERR_INIT;
    if (cookie && session_resolve(w->api->acct, cookie, &pg->actor, pg->csrf, &e) == 0)
        pg->signed_in = true;
    else {
        pg->actor = anon;
        pg->csrf[0] = '\0';
    }
    pg->data = json_object();
    json_object_set_new(pg->data, "lang", json_string(i18n_code(pg->lang)));
    json_object_set_new(pg->data, "signed_in", json_boolean(pg->signed_in));
    json_object_set_new(pg->data, "csrf", json_string(pg->csrf));
    const struct rights *rights = accounts_rights(w->api->acct);
    if (pg->signed_in) {
        json_object_set_new(pg->data, "user_org", json_string(pg->actor.org));
        user_menu(pg);
        pg->may_verify = may_verify_everywhere(w, &pg->actor);
        json_object_set_new(pg->data, "may_verify", json_boolean(pg->may_verify));
        json_object_set_new(pg->data, "may_decide_applications",
                            json_boolean(authz_may_everywhere(rights, &pg->actor,
                                                              RA_APPLICATIONS)));
    }
    /* the same page in the other languages */
    const char *rest = req->path && path_lang(req->path, &(enum lang){0}) ? req->path + 3 : "";
    const char *qs = query_string(pg);
    json_t *langs = json_array();
    for (int l = 0; l < LANG_N; l++) {
        json_t *o = json_object();
        json_object_set_new(o, "code", json_string(i18n_code((enum lang)l)));
        json_object_set_new(o, "name", json_string(lang_names[l]));
        json_object_set_new(o, "url", json_string(arena_printf(req->arena, "/%s%s%s",
                                                               i18n_code((enum lang)l), rest,
                                                               qs)));
        json_object_set_new(o, "current", json_boolean(l == (int)pg->lang));
        json_array_append_new(langs, o);
    }
    json_object_set_new(pg->data, "langs", langs);
}

const char *page_tr(const struct page *pg, const char *msgid)
{
    return i18n_tr(pg->lang, msgid);
}

const char *page_url(const struct page *pg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *rest = arena_vprintf(pg->req->arena, fmt, ap);
    va_end(ap);
    return arena_printf(pg->req->arena, "/%s%s", i18n_code(pg->lang), rest);
}

/* ---- answering ----------------------------------------------------------------------- */

static void remember_lang(struct page *pg)
{
    enum lang had;
    if (i18n_parse(http_req_cookie(pg->req, WEB_LANG_COOKIE), &had) && had == pg->lang)
        return;
    http_resp_header(pg->resp, "Set-Cookie",
                     arena_printf(pg->req->arena,
                                  WEB_LANG_COOKIE "=%s; Path=/; Max-Age=31536000; SameSite=Lax%s",
                                  i18n_code(pg->lang),
                                  pg->w->api->secure_cookies ? "; Secure" : ""));
}

/* The size of the last page rendered from each template (by a hash of its
 * name, 64 slots: a collision only costs a guess): a page's buffers are
 * sized for it at once instead of doubling and copying a megabyte of the
 * whole capability map eight times over. */
static _Atomic size_t page_size_hint[64];

static _Atomic size_t *size_hint(const char *tpl)
{
    uint32_t h = 2166136261u;
    for (const char *c = tpl; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    return &page_size_hint[h % 64];
}

void page_render_raw(struct page *pg, int status, const char *tpl, const char *title,
                     const struct tpl_raw *raw, size_t n_raw)
{
    struct buf body, html;
    buf_init(&body, WEB_MAX_PAGE);
    buf_init(&html, WEB_MAX_PAGE);
    _Atomic size_t *hint = size_hint(tpl);
    size_t guess = atomic_load_explicit(hint, memory_order_relaxed);
    if (guess > 4096 && guess < WEB_MAX_PAGE)
        buf_reserve(&body, guess + guess / 8);
    struct err e = ERR_INIT;
    json_object_set_new(pg->data, "title", json_string(title ? title : ""));
    if (pg->nav)
        json_object_set_new(pg->data, arena_printf(pg->req->arena, "nav_%s", pg->nav),
                            json_true());
    int rc = tpl_render(pg->w->tpl, tpl, pg->lang, pg->data, raw, n_raw, &body, &e);
    if (rc == 0) {
        atomic_store_explicit(hint, body.len, memory_order_relaxed);
        if (body.len > 4096)
            buf_reserve(&html, body.len + 32768); /* the layout around it */
        struct tpl_raw content = {"content", body.p ? body.p : "", body.len};
        rc = tpl_render(pg->w->tpl, "layout", pg->lang, pg->data, &content, 1, &html, &e);
    }
    web_security_headers(pg->w, pg->resp);
    if (rc < 0) {
        http_resp_problem(pg->resp, &e);
    } else {
        remember_lang(pg);
        http_resp_header(pg->resp, "Cache-Control", "no-cache, private");
        http_resp_header(pg->resp, "Content-Language", i18n_tag(pg->lang));
        http_resp_buf(pg->resp, status, "text/html; charset=utf-8", &html);
    }
    buf_free(&body);
    buf_free(&html);
    json_decref(pg->data);
    pg->data = NULL;
}

void page_render(struct page *pg, int status, const char *tpl, const char *title)
{
    page_render_raw(pg, status, tpl, title, NULL, 0);
}

void page_error(struct page *pg, int status, const char *detail)
{
    const char *heading, *text;
    switch (status) {
    case 403:
        heading = TR("Access denied");
        text = TR("You do not have the right to see this page or to do this. "
                  "Sign in with an account that has it, or ask your organisation's administrator.");
        break;
    case 404:
        heading = TR("Page not found");
        text = TR("There is no page at this address. It may have been moved, or the link "
                  "may be mistyped.");
        break;
    case 400:
    case 413:
    case 415:
        heading = TR("The request could not be understood");
        text = TR("The form or link sent something the portal cannot accept. "
                  "Go back and try again.");
        break;
    case 503:
        heading = TR("The portal is busy");
        text = TR("Too many sign-ins are being checked right now. Try again in a few seconds.");
        break;
    case 409:
        heading = TR("Someone changed this meanwhile");
        text = TR("The record was changed after you opened it. Open it again to see the "
                  "changes, then repeat your edit.");
        break;
    default:
        status = status >= 400 && status <= 599 ? status : 500;
        heading = status >= 500 ? TR("Something went wrong") : TR("This cannot be done");
        text = status >= 500 ? TR("The portal could not complete the request. Try again in a "
                                  "minute; if it keeps happening, tell the service integrator.")
                             : TR("The portal refused the request.");
        break;
    }
    if (!pg->data)
        pg->data = json_object();
    json_object_set_new(pg->data, "status", json_integer(status));
    json_object_set_new(pg->data, "heading", json_string(page_tr(pg, heading)));
    json_object_set_new(pg->data, "text", json_string(page_tr(pg, text)));
    if (detail && *detail)
        json_object_set_new(pg->data, "detail", json_string(detail));
    page_render(pg, status, "error", page_tr(pg, heading));
}

void page_redirect(struct page *pg, const char *path)
{
    web_security_headers(pg->w, pg->resp);
    remember_lang(pg);
    http_resp_header(pg->resp, "Location", path);
    http_resp_header(pg->resp, "Cache-Control", "no-store");
    http_resp_bytes(pg->resp, 303, "text/plain; charset=utf-8", NULL, 0);
    json_decref(pg->data);
    pg->data = NULL;
}

/* ---- forms --------------------------------------------------------------------------- */

bool web_same_origin(const struct http_req *req)
{
    const char *site = http_req_header(req, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return false;
    const char *origin = http_req_header(req, "Origin");
    if (!origin)
        return true;
    const char *host = http_req_header(req, "Host");
    const char *sep = strstr(origin, "://");
    return host && sep && strcmp(sep + 3, host) == 0;
}

const struct model_collection *web_main_collection(const struct model *m)
{
    for (size_t i = 0; i < model_n_collections(m); i++)
        if (model_collection_at(m, i)->type == COLL_RECORDS)
            return model_collection_at(m, i);
    return NULL;
}

const struct model_collection *web_path_collection(const struct page *pg)
{
    const char *path = pg->req->path;
    if (!path || strlen(path) < 4)
        return NULL;
    const char *seg = path + 4; /* after "/kk/" */
    size_t n = strcspn(seg, "/");
    if (n > 4 && strncmp(seg + n - 4, ".csv", 4) == 0)
        n -= 4;
    else if (n > 5 && strncmp(seg + n - 5, ".xlsx", 5) == 0)
        n -= 5;
    const struct model *m = pg->w->api->model;
    if (n == 8 && strncmp(seg, "registry", 8) == 0)
        return web_main_collection(m);
    const struct model_collection *c =
        model_collection(m, arena_strndup(pg->req->arena, seg, n));
    return c && c->type == COLL_RECORDS ? c : NULL;
}

const struct model_workflow *web_collection_workflow(const struct model *m,
                                                     const struct model_collection *coll)
{
    for (size_t i = 0; coll && i < coll->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, coll->kinds[i]);
        if (k && k->workflow)
            return k->workflow;
    }
    return NULL;
}

int web_list_query(struct page *pg, const struct model_collection *coll,
                   const struct listq_param *params, size_t n, struct list_query *q,
                   struct err *e)
{
    if (!coll) {
        err_internal(e, "the model has no records collection");
        return -1;
    }
    /* "name" in the page language's alphabet */
    if (listq_parse_lang(pg->req->arena, pg->w->api->model, coll, params, n, NULL,
                         i18n_code(pg->lang), q, e) < 0)
        return -1;
    return registry_scope_list(pg->w->api->reg, &pg->actor, q, e);
}

int web_objects_query(struct page *pg, const struct listq_param *params, size_t n,
                      struct list_query *q, struct err *e)
{
    return web_list_query(pg, web_main_collection(pg->w->api->model), params, n, q, e);
}

int page_form(struct page *pg)
{
    const char *ct = http_req_header(pg->req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        page_error(pg, 415, NULL);
        return -1;
    }
    struct err e = ERR_INIT;
    if (http_parse_form(pg->req->arena, pg->req->body, pg->req->body_len, pg->form,
                        WEB_MAX_FORM, &pg->n_form, &e) < 0) {
        page_error(pg, 400, NULL);
        return -1;
    }
    if (!web_same_origin(pg->req)) {
        page_error(pg, 403, page_tr(pg, TR("The form was not sent from the portal's own page.")));
        return -1;
    }
    if (pg->signed_in) {
        const char *sent = form_value(pg, "_csrf");
        size_t n = strlen(pg->csrf);
        if (strlen(sent) != n || sodium_memcmp(sent, pg->csrf, n) != 0) {
            page_error(pg, 403,
                       page_tr(pg, TR("The form has expired. Open the page again and repeat.")));
            return -1;
        }
    }
    return 0;
}

bool page_need_user(struct page *pg, const char *after_post)
{
    if (pg->signed_in)
        return true;
    const char *next = NULL;
    if (pg->req->method && strcmp(pg->req->method, "GET") == 0)
        next = arena_printf(pg->req->arena, "%s%s", pg->req->path ? pg->req->path : "/",
                            query_string(pg));
    else if (after_post) /* a form cannot be sent again by a redirect */
        next = page_url(pg, "%s", after_post);
    if (!next) {
        page_redirect(pg, page_url(pg, "/signin"));
        return false;
    }
    struct buf enc;
    buf_init(&enc, 0);
    tpl_esc_url_part(&enc, next, strlen(next));
    page_redirect(pg, page_url(pg, "/signin?next=%s", enc.p ? enc.p : ""));
    buf_free(&enc);
    return false;
}

void page_notice(struct page *pg, const char *const codes[], const char *const msgids[])
{
    const char *done = http_req_query(pg->req, "done");
    for (size_t i = 0; done && codes[i]; i++)
        if (strcmp(done, codes[i]) == 0)
            json_object_set_new(pg->data, "notice", json_string(page_tr(pg, msgids[i])));
}

const char *form_value(const struct page *pg, const char *name)
{
    for (size_t i = 0; i < pg->n_form; i++)
        if (strcmp(pg->form[i].key, name) == 0)
            return pg->form[i].value;
    return "";
}

/* ---- routes ---------------------------------------------------------------------------- */

/* A pooled page's answer when the pool is full: a page, not a problem. */
static void h_busy(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    page_error(&pg, 503, NULL);
}

static void route_langs(struct router *rt, const char *method, const char *suffix, http_handler h,
                        struct web *w, bool pooled)
{
    for (int l = 0; l < LANG_N; l++) {
        char pattern[256];
        snprintf(pattern, sizeof pattern, "/%s%s", i18n_code((enum lang)l), suffix);
        if (pooled)
            router_add_pooled(rt, method, pattern, h, h_busy, w);
        else
            router_add(rt, method, pattern, h, w);
    }
}

void web_route(struct router *rt, const char *method, const char *suffix, http_handler h,
               struct web *w)
{
    route_langs(rt, method, suffix, h, w, false);
}

void web_route_pooled(struct router *rt, const char *method, const char *suffix, http_handler h,
                      struct web *w)
{
    route_langs(rt, method, suffix, h, w, true);
}

/* "/": to the home page in the visitor's language. */
static void h_root(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct web *w = ctx;
    web_security_headers(w, resp);
    http_resp_header(resp, "Location",
                     arena_printf(req->arena, "/%s", i18n_code(preferred_lang(req))));
    http_resp_header(resp, "Vary", "Accept-Language, Cookie");
    http_resp_header(resp, "Cache-Control", "no-store");
    http_resp_bytes(resp, 303, "text/plain; charset=utf-8", NULL, 0);
}

static bool wants_html(const struct http_req *req)
{
    const char *accept = http_req_header(req, "Accept");
    return accept && strstr(accept, "text/html");
}

/* No route: a page for browsers ("/kk/" → "/kk"), a problem for others. */
static void h_fallback(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct web *w = ctx;
    size_t n = strlen(req->path);
    if (!wants_html(req) || strncmp(req->path, "/api/", 5) == 0) {
        struct err e = ERR_INIT;
        err_not_found(&e, "no resource at this path");
        http_resp_problem(resp, &e);
        return;
    }
    if (n > 1 && req->path[n - 1] == '/' && strcmp(req->method, "GET") == 0) {
        http_resp_header(resp, "Location", arena_strndup(req->arena, req->path, n - 1));
        http_resp_bytes(resp, 308, "text/plain; charset=utf-8", NULL, 0);
        web_security_headers(w, resp);
        return;
    }
    struct page pg;
    page_begin(w, req, resp, &pg);
    page_error(&pg, 404, NULL);
}

int web_init(struct web *w, struct api *api, struct err *e)
{
    w->api = api;
    w->tpl = tpl_set_new(web_static_url);
    for (const struct web_template *t = web_templates; t->name; t++)
        if (tpl_add(w->tpl, t->name, t->src, t->len, e) < 0)
            return -1;
    return tpl_link(w->tpl, e);
}

/* The pages every records collection of the model gets: its card and
 * review, list, CSV and forms. */
static void collection_routes(struct web *w, struct router *rt)
{
    const struct model *m = w->api->model;
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        if (c->type != COLL_RECORDS)
            continue;
        web_card_routes_for(w, rt, c->id);
        bool reviewed = false; /* some kind of it has a workflow */
        for (size_t k = 0; k < c->n_kinds; k++) {
            const struct model_kind *kd = model_kind(m, c->kinds[k]);
            reviewed |= kd && kd->workflow;
        }
        if (reviewed)
            web_verify_routes_for(w, rt, c->id);
        web_list_routes(w, rt, c->id);
        web_import_routes_for(w, rt, c);
        web_forms_collection_routes(w, rt, c->id);
        /* issue 15: a record's views (page-view.c), the
         * domain page among them */
        bool viewed = false;
        for (size_t k = 0; k < c->n_kinds; k++) {
            const struct model_kind *kd = model_kind(m, c->kinds[k]);
            viewed |= kd && kd->n_views > 0;
        }
        if (viewed)
            card_view_routes(w, rt, c->id);
        /* issue 16: the pages of a version of the architecture
         * (page-version.c) */
        bool frozen = false;
        for (size_t k = 0; k < c->n_kinds; k++) {
            const struct model_kind *kd = model_kind(m, c->kinds[k]);
            frozen |= kd && kd->snapshot;
        }
        if (frozen)
            web_version_routes_for(w, rt, c->id);
        /* issue 15, data layer: the data catalogue of collections whose
         * kinds inherit (page-catalogue.c) */
        web_catalogue_routes_for(w, rt, c);
        /* issue 17: a period report's figures (page-tally.c) */
        web_tally_routes_for(w, rt, c);
    }
    /* issue 15: the architecture page the menu leads to
     * (page-arch.c) */
    web_arch_routes(w, rt);
}

void web_routes(struct web *w, struct router *rt)
{
    router_add(rt, "GET", "/", h_root, w);
    router_add(rt, "GET", "/static/{file}", h_static, w);
    router_set_fallback(rt, h_fallback, w);
    web_home_routes(w, rt);
    web_dash_routes(w, rt);
    web_rules_routes(w, rt);
    web_scores_routes(w, rt);
    web_network_routes(w, rt);
    web_gaps_routes(w, rt);
    web_dups_routes(w, rt);
    web_account_routes(w, rt);
    collection_routes(w, rt);
    web_workspace_routes(w, rt);
    web_registry_routes(w, rt);
    web_help_routes(w, rt);
    web_apidoc_routes(w, rt);
    /* issue 15: the map and matrices of the collections that
     * declare them (/{collection}/map, /{collection}/matrix/{id}[.csv]) */
    web_capmap_routes(w, rt);
}

void web_free(struct web *w)
{
    tpl_set_free(w->tpl);
    w->tpl = NULL;
}
