/* The account pages: sign-in and sign-out, the one-time links that set a
 * password (activation and reset) and the reset request, with the form
 * helpers shared by the other account pages (account-form.h). Every form
 * works without JavaScript: a wrong field is shown next to it and in a
 * summary at the top, the input is kept (never a password), and a success
 * ends in 303 to a page that shows a message chosen by a code. */
#include "web/account-form.h"

#include "account/account.h"
#include "util/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SESSION_MAX_AGE_S (12 * 3600)

/* ---- form helpers ------------------------------------------------------------- */

json_t *acct_field(struct page *pg, const char *list, const char *form, const char *name,
                   const char *label, enum field_kind kind, const char *autocomplete, bool required)
{
    static const char *const types[] = {"text", "email", "password", "tel", "text"};
    json_t *fields = json_object_get(pg->data, list);
    if (!fields) {
        fields = json_array();
        json_object_set_new(pg->data, list, fields);
    }
    json_t *f = json_object();
    json_object_set_new(f, "id", json_string(arena_printf(pg->req->arena, "%s-%s", form, name)));
    json_object_set_new(f, "name", json_string(name));
    json_object_set_new(f, "label", json_string(label));
    json_object_set_new(f, "type", json_string(types[kind]));
    json_object_set_new(f, "multiline", json_boolean(kind == FIELD_MULTILINE));
    json_object_set_new(f, "autocomplete", json_string(autocomplete ? autocomplete : "off"));
    json_object_set_new(f, "required", json_boolean(required));
    json_object_set_new(f, "value",
                        json_string(kind == FIELD_PASSWORD ? "" : form_value(pg, name)));
    json_array_append_new(fields, f);
    return f;
}

json_t *acct_field_get(struct page *pg, const char *list, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach (json_object_get(pg->data, list), i, f) {
        if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
            return f;
    }
    return NULL;
}

void acct_error(struct page *pg, json_t *field, const char *link_id, const char *message)
{
    json_t *errors = json_object_get(pg->data, "errors");
    if (!errors) {
        errors = json_array();
        json_object_set_new(pg->data, "errors", errors);
    }
    if (field) {
        if (json_object_get(field, "error"))
            return; /* one message per field: the first */
        json_object_set_new(field, "error", json_string(message));
        link_id = json_string_value(json_object_get(field, "id"));
    }
    /* in the summary, the message names its field */
    const char *label = field ? json_string_value(json_object_get(field, "label")) : NULL;
    json_t *o = json_pack("{s:s}", "message",
                          label ? arena_printf(pg->req->arena, "%s: %s", label, message) : message);
    if (link_id)
        json_object_set_new(o, "id", json_string(link_id));
    json_array_append_new(errors, o);
    json_object_set_new(pg->data, "has_errors", json_true());
}

int acct_require(struct page *pg, const char *list)
{
    int n = 0;
    size_t i;
    json_t *f;
    json_array_foreach (json_object_get(pg->data, list), i, f) {
        const char *v = form_value(pg, json_string_value(json_object_get(f, "name")));
        if (!json_is_true(json_object_get(f, "required")) || v[strspn(v, " \t\r\n")])
            continue;
        acct_error(pg, f, NULL, page_tr(pg, TR("Fill in this field.")));
        n++;
    }
    return n;
}

const char *acct_err_text(const struct page *pg, const struct err *e)
{
    if (strcmp(e->type, "required") == 0)
        return page_tr(pg, TR("Fill in this field."));
    if (strcmp(e->type, "weak-password") == 0)
        return page_tr(pg, TR("This password is too weak: use at least 12 characters with three "
                              "of these four: lower-case letters, capital letters, digits, other "
                              "characters; not a common password and not your e-mail name."));
    if (strcmp(e->field, "email") == 0)
        return page_tr(pg, TR("Enter a work e-mail address, like name@agency.gov.kz."));
    if (strcmp(e->field, "phone") == 0)
        return page_tr(pg, TR("Enter a phone number of 7 to 15 digits; +, brackets, hyphens "
                              "and spaces may be used."));
    return page_tr(pg, TR("This value cannot be accepted: it is too long or has characters that "
                          "are not allowed."));
}

/* A local page of the portal in some language ("/ru…"), safe to send the
 * visitor to after sign-in: nothing that leaves the site. */
static bool safe_next(const char *next)
{
    if (!next || strlen(next) < 3 || strlen(next) > 1000 || next[0] != '/')
        return false;
    if (strncmp(next + 1, "kk", 2) != 0 && strncmp(next + 1, "ru", 2) != 0 &&
        strncmp(next + 1, "en", 2) != 0)
        return false;
    if (next[3] != '\0' && next[3] != '/' && next[3] != '?')
        return false;
    for (const unsigned char *p = (const unsigned char *)next; *p; p++)
        if (*p < 0x21 || *p == '\\' || *p == 0x7f)
            return false;
    return strncmp(next + 3, "//", 2) != 0;
}

/* ---- sign-in and sign-out --------------------------------------------------------- */

static void signin_fields(struct page *pg)
{
    acct_field(pg, "fields", "signin", "email", page_tr(pg, TR("E-mail")), FIELD_EMAIL, "username",
               true);
    acct_field(pg, "fields", "signin", "password", page_tr(pg, TR("Password")), FIELD_PASSWORD,
               "current-password", true);
}

static void signin_render(struct page *pg, int status, const char *next)
{
    pg->nav = "signin";
    json_object_set_new(pg->data, "next", json_string(safe_next(next) ? next : ""));
    static const char *const codes[] = {"password", NULL};
    static const char *const msgs[] = {TR("Your password is set. You can sign in now."), NULL};
    page_notice(pg, codes, msgs);
    page_render(pg, status, "account/signin", page_tr(pg, TR("Sign in")));
}

static void h_signin(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    signin_fields(&pg);
    signin_render(&pg, 200, http_req_query(req, "next"));
}

static void h_signin_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (page_form(&pg) < 0)
        return;
    signin_fields(&pg);
    const char *next = form_value(&pg, "next");
    if (acct_require(&pg, "fields") > 0) {
        signin_render(&pg, 422, next);
        return;
    }
    char *cookie = NULL;
    json_t *me = NULL;
    int64_t wait = 0;
    struct err e = ERR_INIT;
    if (session_login(pg.w->api->acct, form_value(&pg, "email"), form_value(&pg, "password"),
                      req->remote_ip, http_req_cookie(req, API_SESSION_COOKIE), &cookie, &me, &wait, &e) < 0) {
        if (e.status == 429) {
            /* the wait, in whole minutes, put into the translated sentence */
            const char *msg = page_tr(&pg, TR("Too many failed sign-in attempts. Try again in "
                                              "{minutes} min."));
            const char *at = strstr(msg, "{minutes}");
            if (at)
                msg = arena_printf(req->arena, "%.*s%" PRId64 "%s", (int)(at - msg), msg,
                                   (wait + 59) / 60, at + 9);
            http_resp_header(resp, "Retry-After", arena_printf(req->arena, "%" PRId64, wait));
            acct_error(&pg, NULL, "signin-email", msg);
        } else if (e.status == 401) {
            acct_error(&pg, NULL, "signin-email",
                       page_tr(&pg, TR("The e-mail or the password is wrong.")));
        } else {
            if (wait > 0) /* 503: too many sign-ins on the portal */
                http_resp_header(resp, "Retry-After", arena_printf(req->arena, "%" PRId64, wait));
            page_error(&pg, e.status, NULL);
            return;
        }
        signin_render(&pg, e.status, next);
        return;
    }
    /* the page's language becomes their messages' (REQ X-I18N-01) */
    if (user_set_lang(pg.w->api->acct,
                      json_string_value(json_object_get(json_object_get(me, "user"), "id")),
                      i18n_code(pg.lang), &e) < 0)
        log_event(LOG_WARN, "user_lang_not_saved", "error", e.detail, NULL);
    json_decref(me);
    api_set_session_cookie(pg.w->api, pg.resp, cookie, SESSION_MAX_AGE_S);
    free(cookie);
    page_redirect(&pg, safe_next(next) ? next : page_url(&pg, "/workspace"));
}

static void h_signout(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (page_form(&pg) < 0)
        return;
    const char *cookie = http_req_cookie(req, API_SESSION_COOKIE);
    struct err e = ERR_INIT;
    if (pg.signed_in && cookie && session_logout(pg.w->api->acct, cookie, false, &e) < 0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    api_set_session_cookie(pg.w->api, pg.resp, "", 0);
    page_redirect(&pg, page_url(&pg, "%s", "")); /* home: the menu shows "Sign in" again */
}

/* ---- the reset request --------------------------------------------------------------- */

static void h_forgot(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    acct_field(&pg, "fields", "forgot", "email", page_tr(&pg, TR("E-mail")), FIELD_EMAIL,
               "username", true);
    static const char *const codes[] = {"sent", NULL};
    static const char *const msgs[] = {
        TR("If an active account has this address, a link to set a new password was sent to it. "
           "The link works for one hour."),
        NULL};
    page_notice(&pg, codes, msgs);
    page_render(&pg, 200, "account/forgot", page_tr(&pg, TR("Forgot your password?")));
}

static void h_forgot_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (page_form(&pg) < 0)
        return;
    acct_field(&pg, "fields", "forgot", "email", page_tr(&pg, TR("E-mail")), FIELD_EMAIL,
               "username", true);
    if (acct_require(&pg, "fields") > 0) {
        page_render(&pg, 422, "account/forgot", page_tr(&pg, TR("Forgot your password?")));
        return;
    }
    struct err e = ERR_INIT;
    if (password_reset_request(pg.w->api->acct, form_value(&pg, "email"), req->remote_ip, &e) < 0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    page_redirect(&pg, page_url(&pg, "/forgot?done=sent"));
}

/* ---- the one-time links: activation and reset ------------------------------------------- */

/* The links in e-mails name no language ("/activate?s=…"): the visitor's
 * own comes from the cookie or Accept-Language, as for "/". */
static void h_link_entry(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *s = http_req_query(req, "s");
    struct buf b;
    buf_init(&b, 0);
    tpl_esc_url_part(&b, s ? s : "", s ? strlen(s) : 0);
    const char *to = page_url(&pg, "%s?s=%s", req->path, b.p ? b.p : "");
    buf_free(&b);
    page_redirect(&pg, to);
}

static bool is_reset(const struct page *pg)
{
    size_t n = strlen(pg->req->path);
    return n >= 6 && strcmp(pg->req->path + n - 6, "/reset") == 0;
}

static void link_fields(struct page *pg, const char *secret)
{
    acct_field(pg, "fields", "link", "password", page_tr(pg, TR("New password")), FIELD_PASSWORD,
               "new-password", true);
    acct_field(pg, "fields", "link", "password2", page_tr(pg, TR("The new password again")),
               FIELD_PASSWORD, "new-password", true);
    json_object_set_new(pg->data, "secret", json_string(secret));
    json_object_set_new(pg->data, "action", json_string(pg->req->path));
    json_object_set_new(pg->data, "reset", json_boolean(is_reset(pg)));
}

static void link_render(struct page *pg, int status)
{
    /* the secret in this page's URL reaches no other site (Referrer-Policy
     * same-origin) and no log (the access log has the path, not the query) */
    const char *title = is_reset(pg) ? page_tr(pg, TR("Set a new password"))
                                     : page_tr(pg, TR("Activate your account"));
    page_render(pg, status, "account/link", title);
}

/* A link that cannot be used: why, and what to do instead. */
static void link_dead(struct page *pg, const struct err *e)
{
    const char *why = e->status == 410 && strcmp(e->type, "link-used") == 0
                          ? TR("This link has already been used. Each link sets a password once.")
                      : e->status == 410 ? TR("This link has expired.")
                                         : TR("This link is not known. Check that the whole "
                                              "address from the e-mail was copied.");
    json_object_set_new(pg->data, "why", json_string(page_tr(pg, why)));
    page_render(pg, e->status == 404 ? 404 : 410, "account/link-dead",
                page_tr(pg, TR("The link cannot be used")));
}

static void h_link(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *s = http_req_query(req, "s");
    if (!s || !*s) {
        struct err e = ERR_INIT;
        err_set(&e, 404, "not-found", "token", "no link");
        link_dead(&pg, &e);
        return;
    }
    link_fields(&pg, s);
    link_render(&pg, 200);
}

static void h_link_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (page_form(&pg) < 0)
        return;
    const char *secret = form_value(&pg, "s");
    const char *pw = form_value(&pg, "password");
    link_fields(&pg, secret);
    if (acct_require(&pg, "fields") > 0) {
        link_render(&pg, 422);
        return;
    }
    if (strcmp(pw, form_value(&pg, "password2")) != 0) {
        acct_error(&pg, acct_field_get(&pg, "fields", "password2"), NULL,
                   page_tr(&pg, TR("The two passwords are not the same.")));
        link_render(&pg, 422);
        return;
    }
    struct err e = ERR_INIT;
    if (link_use(pg.w->api->acct, secret, pw, &e) == 0) {
        page_redirect(&pg, page_url(&pg, "/signin?done=password"));
    } else if (e.status == 422) {
        acct_error(&pg, acct_field_get(&pg, "fields", "password"), NULL, acct_err_text(&pg, &e));
        link_render(&pg, 422);
    } else if (e.status == 404 || e.status == 410) {
        link_dead(&pg, &e);
    } else {
        page_error(&pg, e.status, NULL);
    }
}

void web_account_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/signin", h_signin, w);
    web_route_pooled(rt, "POST", "/signin", h_signin_post, w);
    web_route(rt, "POST", "/signout", h_signout, w);
    web_route(rt, "GET", "/forgot", h_forgot, w);
    web_route(rt, "POST", "/forgot", h_forgot_post, w);
    router_add(rt, "GET", "/activate", h_link_entry, w);
    router_add(rt, "GET", "/reset", h_link_entry, w);
    web_route(rt, "GET", "/activate", h_link, w);
    web_route_pooled(rt, "POST", "/activate", h_link_post, w);
    web_route(rt, "GET", "/reset", h_link, w);
    web_route_pooled(rt, "POST", "/reset", h_link_post, w);
    web_apply_routes(w, rt);
    web_tokens_routes(w, rt);
}
