/* The workspaces: the owner's (its organisation's objects with their
 * status and completeness, its obligations with deadlines, the inbox) and
 * the service integrator's (the verification queue, earliest deadline
 * first, and the form that verifies a record or returns it with a remark
 * per field). */
#include "web/card.h"
#include "web/forms.h"

#include "account/account.h"
#include "auth/authz.h"
#include "docs/documents.h"
#include "registry/registry.h"
#include "util/text.h"
#include "workflow/workflow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INBOX_SHOWN 50

static const struct rights *rights_of(const struct page *pg)
{
    return accounts_rights(pg->w->api->acct);
}


static const char *status_label(struct page *pg, const char *kind_id, const char *status)
{
    const struct model_kind *k = model_kind(pg->w->api->model, kind_id ? kind_id : "");
    if (!k || !k->workflow || !status)
        return status ? status : "";
    const struct model_wf_state *s = model_wf_state(k->workflow, status);
    return s ? web_label(pg->lang, s->label) : status;
}

static const char *day_of(struct page *pg, const char *ts)
{
    return page_local_day(pg, ts);
}

/* The organisation's objects with status and completeness. */
static json_t *my_objects(struct page *pg)
{
    json_t *out = json_array();
    json_t *c = NULL;
    struct err e = ERR_INIT;
    if (!pg->w->api->docs || !pg->actor.org[0] ||
        docs_org_completeness(pg->w->api->docs, &pg->actor, pg->actor.org, &c, &e) < 0)
        return out;
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(c, "items"), i, it) {
        const char *id = json_string_value(json_object_get(it, "record_id"));
        const char *kind = json_string_value(json_object_get(it, "kind"));
        const struct model_kind *k = model_kind(pg->w->api->model, kind ? kind : "");
        const char *code = json_string_value(json_object_get(it, "accounting_code"));
        bool editable = k && authz_may(rights_of(pg), &pg->actor, RA_UPDATE, k->id, pg->actor.org);
        json_t *row = json_pack(
            "{s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:s?}", "name",
            web_name(pg->lang, json_object_get(it, "name")), "kind",
            k ? web_label(pg->lang, k->label) : "", "status",
            status_label(pg, kind, json_string_value(json_object_get(it, "status"))), "code",
            code ? code : "", "score", json_integer_value(json_object_get(it, "score")), "complete",
            json_is_true(json_object_get(it, "complete")), "url",
            page_url(pg, "/%s/%s", k ? k->collection : "", id ? id : ""), "edit_url",
            editable ? page_url(pg, "/%s/%s/edit", k->collection, id ? id : "") : NULL);
        web_set_name_lang(row, pg->lang, json_object_get(it, "name"));
        json_array_append_new(out, row);
    }
    json_decref(c);
    return out;
}

/* The name of the record an obligation's subject ("<collection>/<id>")
 * names, with its card's URL when the visitor may read it. */
static const char *subject_name(struct page *pg, const char *subject, const char **url)
{
    *url = NULL;
    const char *slash = subject ? strchr(subject, '/') : NULL;
    const char *coll = slash ? arena_strndup(pg->req->arena, subject, (size_t)(slash - subject)) : NULL;
    const struct model_collection *c = coll ? model_collection(pg->w->api->model, coll) : NULL;
    if (!c || c->type != COLL_RECORDS)
        return subject ? subject : "";
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    const char *name = slash + 1;
    if (registry_get_visible(pg->w->api->reg, &pg->actor, c->id, slash + 1, &rec, &e) == 0) {
        const char *n = web_name(pg->lang, json_object_get(rec, "name"));
        if (*n)
            name = arena_strdup(pg->req->arena, n);
        *url = page_url(pg, "/%s/%s", c->id, slash + 1);
    }
    json_decref(rec);
    return name;
}

/* The organisation's open obligations, the overdue ones marked. */
static json_t *my_obligations(struct page *pg)
{
    json_t *out = json_array();
    json_t *list = NULL;
    struct err e = ERR_INIT;
    if (!pg->actor.org[0] ||
        !authz_may(rights_of(pg), &pg->actor, RA_OBLIGATIONS, NULL, pg->actor.org) ||
        obligation_list(pg->w->api->acct, &pg->actor, pg->actor.org, NULL, "open", &list, &e) < 0)
        return out;
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(list, "items"), i, it) {
        const char *pid = json_string_value(json_object_get(it, "policy"));
        const struct model_policy *p = model_policy(pg->w->api->model, pid ? pid : "");
        const char *url;
        const char *what =
            subject_name(pg, json_string_value(json_object_get(it, "subject")), &url);
        json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "policy",
                              p ? web_label(pg->lang, p->label) : (pid ? pid : ""), "what", what,
                              "due", day_of(pg, json_string_value(json_object_get(it, "due_at"))),
                              "overdue", json_is_true(json_object_get(it, "overdue")));
        if (url)
            json_object_set_new(o, "url", json_string(url));
        json_array_append_new(out, o);
    }
    json_decref(list);
    return out;
}

static json_t *my_inbox(struct page *pg, json_int_t *unread)
{
    json_t *out = json_array();
    json_t *list = NULL;
    struct err e = ERR_INIT;
    *unread = 0;
    if (inbox_list(pg->w->api->acct, &pg->actor, false, 0, INBOX_SHOWN, &list, &e) < 0)
        return out;
    *unread = json_integer_value(json_object_get(list, "unread"));
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(list, "items"), i, it) {
        const char *subject = json_string_value(json_object_get(it, "subject"));
        const char *body = json_string_value(json_object_get(it, "body"));
        json_int_t id = json_integer_value(json_object_get(it, "id"));
        bool read = !json_is_null(json_object_get(it, "read_at")) && json_object_get(it, "read_at");
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:s, s:b, s:s}", "subject", subject ? subject : "", "body",
                           body ? body : "", "date",
                           day_of(pg, json_string_value(json_object_get(it, "created_at"))),
                           "unread", !read, "read_url",
                           page_url(pg, "/workspace/inbox/%lld/read", (long long)id)));
    }
    json_decref(list);
    return out;
}

static void h_workspace(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!page_need_user(&pg, "/workspace"))
        return;
    pg.nav = "workspace";
    forms_notice(&pg);
    json_t *objects = my_objects(&pg);
    json_object_set_new(pg.data, "has_objects", json_boolean(json_array_size(objects) > 0));
    json_object_set_new(pg.data, "objects", objects);
    json_t *obl = my_obligations(&pg);
    json_int_t overdue = 0;
    size_t i;
    json_t *it;
    json_array_foreach (obl, i, it)
        overdue += json_is_true(json_object_get(it, "overdue"));
    json_object_set_new(pg.data, "has_obligations", json_boolean(json_array_size(obl) > 0));
    json_object_set_new(pg.data, "obligations", obl);
    json_object_set_new(pg.data, "overdue", json_integer(overdue));
    json_int_t unread;
    json_object_set_new(pg.data, "inbox", my_inbox(&pg, &unread));
    json_object_set_new(pg.data, "unread", json_integer(unread));
    const struct model_collection *main_coll = web_main_collection(pg.w->api->model);
    if (main_coll)
        json_object_set_new(pg.data, "new_url", json_string(page_url(&pg, "/%s/new", main_coll->id)));
    page_render(&pg, 200, "workspace/workspace", page_tr(&pg, TR("My workspace")));
}

static void h_inbox_read(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!page_need_user(&pg, "/workspace") || page_form(&pg) < 0)
        return;
    const char *text = http_req_param(req, "msg");
    char *end;
    errno = 0;
    long long id = strtoll(text ? text : "", &end, 10);
    if (!text || !*text || *end || errno || id < 1) {
        page_error(&pg, 404, NULL);
        return;
    }
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (inbox_read(pg.w->api->acct, &pg.actor, id, &out, &e) < 0) {
        page_error(&pg, e.status == 401 ? 403 : e.status, NULL);
        return;
    }
    json_decref(out);
    page_redirect(&pg, page_url(&pg, "/workspace#inbox"));
}

/* ---- the integrator's workspace --------------------------------------------------- */

static bool need_verifier(struct page *pg)
{
    if (!page_need_user(pg, "/workspace"))
        return false;
    if (!pg->may_verify) {
        page_error(pg, 403, NULL);
        return false;
    }
    return true;
}

/* After an acceptance (?record=<id>&done=verified): the record's name and
 * the accounting code it now holds, read from the registry. */
static void verified_notice(struct page *pg)
{
    const char *id = http_req_query(pg->req, "record");
    const char *done = http_req_query(pg->req, "done");
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (!id || !done || strcmp(done, "verified") != 0 || !text_id_valid(id) ||
        registry_get_visible(pg->w->api->reg, &pg->actor, NULL, id, &rec, &e) < 0)
        return;
    const struct model_kind *k =
        model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
    const char *code =
        k && k->workflow ? json_string_value(json_object_get(rec, k->workflow->code_field)) : NULL;
    if (code) {
        json_object_set_new(pg->data, "verified_code", json_string(code));
        json_object_set_new(pg->data, "verified_name",
                            json_string(web_name(pg->lang, json_object_get(rec, "name"))));
        json_object_set_new(pg->data, "verified_url",
                            json_string(page_url(pg, "/%s/%s", k->collection, id)));
    }
    json_decref(rec);
}

static void h_queue(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!need_verifier(&pg))
        return;
    pg.nav = "verification";
    json_t *q = NULL;
    struct err e = ERR_INIT;
    if (workflow_queue(pg.w->api->wf, &pg.actor, &q, &e) < 0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    json_t *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(q, "items"), i, it) {
        json_t *rec = json_object_get(it, "record");
        const char *id = json_string_value(json_object_get(rec, "id"));
        const char *kind = json_string_value(json_object_get(rec, "kind"));
        const struct model_kind *k = model_kind(pg.w->api->model, kind ? kind : "");
        const char *owner = json_string_value(json_object_get(rec, "owner"));
        const char *owner_name = owner ? owner : "";
        json_t *org = NULL;
        if (owner && registry_get_visible(pg.w->api->reg, &pg.actor, NULL, owner, &org, &e) == 0) {
            const char *n = web_name(pg.lang, json_object_get(org, "name"));
            if (*n)
                owner_name = arena_strdup(req->arena, n);
        }
        json_decref(org);
        const struct model_workflow *wf = k ? k->workflow : NULL;
        const char *review =
            wf && wf->review_field ? json_string_value(json_object_get(rec, wf->review_field)) : NULL;
        const char *status = wf ? json_string_value(json_object_get(rec, wf->status_field)) : NULL;
        json_t *row =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "name",
                      web_name(pg.lang, json_object_get(rec, "name")), "kind",
                      k ? web_label(pg.lang, k->label) : "", "owner", owner_name, "status",
                      status_label(&pg, kind, status),
                      "due", day_of(&pg, json_string_value(json_object_get(it, "due_at"))),
                      "overdue", json_is_true(json_object_get(it, "overdue")), "changes",
                      review && *review, "url",
                      page_url(&pg, "/%s/%s/verify", k ? k->collection : "", id ? id : ""));
        web_set_name_lang(row, pg.lang, json_object_get(rec, "name"));
        json_array_append_new(items, row);
    }
    json_decref(q);
    json_object_set_new(pg.data, "has_items", json_boolean(json_array_size(items) > 0));
    json_object_set_new(pg.data, "items", items);
    forms_notice(&pg);
    verified_notice(&pg);
    page_render(&pg, 200, "workspace/queue", page_tr(&pg, TR("Verification")));
}

/* The record to verify (of the path's collection) and its kind; answers
 * and returns NULL otherwise. */
static json_t *verify_target(struct page *pg, const struct model_kind **k)
{
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    const char *coll = card_path_collection(pg);
    if (!coll || registry_get_visible(pg->w->api->reg, &pg->actor, coll,
                                      http_req_param(pg->req, "id"), &rec, &e) < 0) {
        page_error(pg, !coll || e.status == 410 ? 404 : e.status, NULL);
        return NULL;
    }
    *k = model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
    if (!*k || !(*k)->workflow) {
        page_error(pg, 404, NULL);
        json_decref(rec);
        return NULL;
    }
    return rec;
}

/* The remark box's form name for a field. */
static const char *remark_name(struct page *pg, const char *field)
{
    return arena_printf(pg->req->arena, "remark.%s", field);
}

/* A value in language l: an i18n value's own text in l (no fall-back: a
 * missing translation shows as missing), others as the pages word them. */
static const char *value_in(struct page *pg, enum lang l, const struct model_field *f,
                            const json_t *v)
{
    if (f->type == FT_I18N) {
        const char *t = json_string_value(json_object_get(v, i18n_code(l)));
        return t ? t : "";
    }
    enum lang was = pg->lang;
    pg->lang = l;
    const char *t = forms_value_text(pg, f, v);
    pg->lang = was;
    return t;
}

/* One row of the record in the three languages, with its remark box
 * (shown open when it holds a remark). */
static json_t *verify_row(struct page *pg, const struct model_field *f, const char *label,
                          const json_t *v)
{
    json_t *vals = json_array();
    bool same = true;
    const char *first = NULL;
    for (int l = 0; l < LANG_N; l++) {
        const char *t = value_in(pg, (enum lang)l, f, v);
        same &= !first || strcmp(first, t) == 0;
        first = first ? first : t;
        json_array_append_new(vals, json_pack("{s:s, s:s, s:b}", "text", t, "lang",
                                              i18n_code((enum lang)l), "empty", !*t));
    }
    const char *remark = form_value(pg, remark_name(pg, f->name));
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:b}", "label", label, "name", remark_name(pg, f->name), "id",
        arena_printf(pg->req->arena, "r-%s", f->name), "remark", remark, "open", *remark != '\0');
    if (same)
        json_object_set_new(o, "value", json_string(first));
    else
        json_object_set_new(o, "values", vals);
    if (same)
        json_decref(vals);
    return o;
}

static const struct model_field name_field = {.name = "name", .type = FT_I18N};

/* The fields that hold a value, each in the three languages with its
 * remark box. */
static json_t *verify_fields(struct page *pg, const struct model_kind *k, const json_t *rec)
{
    json_t *out = json_array();
    const json_t *name = json_object_get(rec, "name");
    if (name)
        json_array_append_new(out, verify_row(pg, &name_field, page_tr(pg, TR("Name")), name));
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        const json_t *v = json_object_get(rec, f->name);
        if (f->readonly || !*forms_value_text(pg, f, v))
            continue;
        json_array_append_new(out, verify_row(pg, f, web_label(pg->lang, f->label), v));
    }
    return out;
}

/* For a registered record's changes under review: each changed field
 * before (as last accepted) and after, from the history's revisions since
 * the workflow's last acceptance. NULL when it is not such a review. */
static json_t *verify_changes(struct page *pg, const struct model_kind *k, const char *coll,
                              const char *id, const json_t *tl)
{
    const struct model_workflow *w = k->workflow;
    const char *review = json_string_value(json_object_get(tl, "review"));
    if (!review || !*review || strcmp(review, "none") == 0)
        return NULL;
    json_int_t since = 0;
    size_t i;
    json_t *ev;
    json_array_foreach (json_object_get(tl, "events"), i, ev) {
        const char *tid = json_string_value(json_object_get(ev, "transition"));
        for (size_t t = 0; tid && t < w->n_transitions; t++)
            if (strcmp(w->transitions[t].id, tid) == 0 && w->transitions[t].trigger == WF_ACCEPT)
                since = json_integer_value(json_object_get(ev, "revision"));
    }
    json_t *hist = NULL;
    struct err e = ERR_INIT;
    if (!since || registry_history(pg->w->api->reg, &pg->actor, coll, id, &hist, &e) < 0)
        return NULL;
    json_t *first = json_object(), *last = json_object(); /* field -> before, after */
    json_t *rev;
    json_array_foreach (json_object_get(hist, "items"), i, rev) {
        if (json_integer_value(json_object_get(rev, "revision")) <= since)
            continue;
        size_t j;
        json_t *c;
        json_array_foreach (json_object_get(rev, "changes"), j, c) {
            const char *f = json_string_value(json_object_get(c, "field"));
            if (!f)
                continue;
            if (!json_object_get(first, f))
                json_object_set(first, f,
                                json_object_get(c, "before") ? json_object_get(c, "before")
                                                             : json_null());
            json_object_set(
                last, f, json_object_get(c, "after") ? json_object_get(c, "after") : json_null());
        }
    }
    json_t *out = json_array();
    const struct model_field *fields[1 + 256];
    size_t n = 0;
    fields[n++] = &name_field;
    for (size_t f = 0; f < k->n_fields && n < sizeof fields / sizeof fields[0]; f++)
        if (!k->fields[f].readonly)
            fields[n++] = &k->fields[f];
    for (size_t f = 0; f < n; f++) {
        const json_t *b = json_object_get(first, fields[f]->name);
        const json_t *a = json_object_get(last, fields[f]->name);
        if (!b || json_equal(b, a))
            continue;
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:s}", "label",
                           f == 0 ? page_tr(pg, TR("Name")) : web_label(pg->lang, fields[f]->label),
                           "before", forms_value_text(pg, fields[f], b), "after",
                           forms_value_text(pg, fields[f], a)));
    }
    json_decref(first);
    json_decref(last);
    json_decref(hist);
    return out;
}

/* The documents with what their checks found. */
static json_t *verify_documents(struct page *pg, const char *coll, const char *id)
{
    json_t *cl = NULL;
    struct err e = ERR_INIT;
    if (!pg->w->api->docs || docs_checklist(pg->w->api->docs, &pg->actor, coll, id, &cl, &e) < 0)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(cl, "items"), i, it) {
        const char *state = json_string_value(json_object_get(it, "state"));
        const json_t *sig = json_object_get(it, "signed"), *draft = json_object_get(it, "draft");
        if (!json_is_true(json_object_get(it, "due")) && !json_is_object(sig) &&
            !json_is_object(draft))
            continue;
        json_t *o = json_pack("{s:O, s:s, s:b}", "number", json_object_get(it, "item"), "label",
                              web_name(pg->lang, json_object_get(it, "label")), "present",
                              state && strcmp(state, "present") == 0);
        if (json_is_object(sig)) {
            const char *pdfa = json_string_value(json_object_get(sig, "pdfa"));
            json_object_set_new(o, "signed_name", json_incref(json_object_get(sig, "file_name")));
            json_object_set_new(o, "pdfa", json_string(pdfa ? pdfa : ""));
            const char *url = json_string_value(json_object_get(sig, "content_url"));
            if (url)
                json_object_set_new(o, "signed_url", json_string(url));
        }
        if (json_is_object(draft))
            json_object_set_new(o, "draft_name", json_incref(json_object_get(draft, "file_name")));
        json_array_append_new(out, o);
    }
    json_decref(cl);
    return out;
}

/* The record's relations as the reviewer reads them. */
static json_t *verify_relations(struct page *pg, const char *coll, const char *id)
{
    json_t *rels = NULL;
    struct err e = ERR_INIT;
    if (registry_relations_of(pg->w->api->reg, coll, id, "both", NULL, &rels, &e) < 0)
        return json_array();
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get(rels, "items"), i, r) {
        const struct model_kind *rk =
            model_kind(pg->w->api->model, json_string_value(json_object_get(r, "type")));
        const char *src = json_string_value(json_object_get(r, "source"));
        bool outgoing = src && strcmp(src, id) == 0;
        const char *other = json_string_value(json_object_get(r, outgoing ? "target" : "source"));
        json_t *orec = NULL;
        if (!rk || !other ||
            registry_get_visible(pg->w->api->reg, &pg->actor, NULL, other, &orec, &e) < 0)
            continue;
        const char *name = web_name(pg->lang, json_object_get(orec, "name"));
        const struct model_kind *ok =
            model_kind(pg->w->api->model, json_string_value(json_object_get(orec, "kind")));
        json_array_append_new(
            out,
            json_pack("{s:s, s:s, s:s?}", "type",
                      web_label(pg->lang, outgoing ? rk->label : rk->inverse_label), "name",
                      *name ? name : other, "url",
                      ok && ok->collection ? page_url(pg, "/%s/%s", ok->collection, other) : NULL));
        json_decref(orec);
    }
    json_decref(rels);
    return out;
}

static void render_verify(struct page *pg, int status, const struct model_kind *k,
                          const json_t *rec, const char *error)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *coll = k->collection;
    json_t *d = pg->data;
    pg->nav = "verification";
    json_object_set_new(d, "record_name",
                        json_string(web_name(pg->lang, json_object_get(rec, "name"))));
    json_object_set_new(d, "kind_label", json_string(web_label(pg->lang, k->label)));
    json_object_set_new(d, "revision",
                        json_object_get(rec, "revision")
                            ? json_deep_copy(json_object_get(rec, "revision"))
                            : json_integer(0));
    json_object_set_new(d, "fields", verify_fields(pg, k, rec));
    json_t *tl = NULL;
    struct err e = ERR_INIT;
    if (workflow_timeline(pg->w->api->wf, &pg->actor, coll, id, &tl, &e) == 0) {
        json_t *changes = verify_changes(pg, k, coll, id, tl);
        if (changes) {
            json_object_set_new(d, "has_changes", json_boolean(json_array_size(changes) > 0));
            json_object_set_new(d, "changes", changes);
            json_object_set_new(d, "is_change", json_true());
        }
        json_t *gaps = page_gap_items(pg, k, coll, id, json_object_get(tl, "gaps"));
        json_object_set_new(d, "has_gaps", json_boolean(json_array_size(gaps) > 0));
        json_object_set_new(d, "gaps", gaps);
        json_decref(tl);
    }
    json_t *docs = verify_documents(pg, coll, id);
    if (docs) {
        json_object_set_new(d, "has_documents", json_boolean(json_array_size(docs) > 0));
        json_object_set_new(d, "documents", docs);
    }
    json_t *rels = verify_relations(pg, coll, id);
    json_object_set_new(d, "has_relations", json_boolean(json_array_size(rels) > 0));
    json_object_set_new(d, "relations", rels);
    json_object_set_new(d, "general", json_string(form_value(pg, "remark")));
    if (k->snapshot) {
        /* a version's remark on one of its elements (the element's page
         * in the version links here with ?element=) */
        const char *el = form_value(pg, "element");
        if (!*el && http_req_query(pg->req, "element"))
            el = http_req_query(pg->req, "element");
        json_object_set_new(
            d, "element_remark",
            json_pack("{s:s, s:s, s:s}", "element", el, "text", form_value(pg, "remark.element"),
                      "elements_url", page_url(pg, "/%s/%s/elements", coll, id)));
    }
    /* the buttons say the steps the record awaits, as the workflow names
     * them (a registration, an acceptance of changes, one body's
     * agreement) */
    const struct model_workflow *w = k->workflow;
    const char *st = json_string_value(json_object_get(rec, w->status_field));
    const char *rv =
        w->review_field ? json_string_value(json_object_get(rec, w->review_field)) : NULL;
    const struct model_wf_transition *acc = model_wf_find(w, WF_ACCEPT, st, rv);
    const struct model_wf_transition *ret = model_wf_find(w, WF_RETURN, st, rv);
    json_object_set_new(d, "accept_label",
                        json_string(acc ? web_label(pg->lang, acc->label)
                                        : page_tr(pg, TR("Verify and register"))));
    json_object_set_new(d, "return_label",
                        json_string(ret ? web_label(pg->lang, ret->label)
                                        : page_tr(pg, TR("Return with remarks"))));
    json_object_set_new(d, "action", json_string(page_url(pg, "/%s/%s/verify", coll, id)));
    json_object_set_new(d, "card_url", json_string(page_url(pg, "/%s/%s", coll, id)));
    json_object_set_new(d, "queue_url", json_string(page_url(pg, "/verification")));
    if (error)
        json_object_set_new(d, "error", json_string(error));
    page_render(pg, status, "workspace/verify", page_tr(pg, TR("Verify the object")));
}

/* Does the record await the visitor's decision (accept or return)? */
static bool awaits_decision(struct page *pg, const char *coll, const char *id)
{
    json_t *tl = NULL;
    struct err e = ERR_INIT;
    bool awaits = false;
    if (workflow_timeline(pg->w->api->wf, &pg->actor, coll, id, &tl, &e) == 0) {
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(tl, "can"), i, v)
            awaits |= json_is_string(v) &&
                      strcmp(json_string_value(v), model_wf_trigger_name(WF_ACCEPT)) == 0;
    }
    json_decref(tl);
    return awaits;
}

/* The plain answer to a review of a record that awaits none: 409 with its
 * state and a link to its card. */
static void not_awaiting(struct page *pg, const struct model_kind *k, const json_t *rec)
{
    const struct model_workflow *w = k->workflow;
    const char *st = json_string_value(json_object_get(rec, w->status_field));
    const struct model_wf_state *s = st ? model_wf_state(w, st) : NULL;
    page_error(pg, 409,
               arena_printf(pg->req->arena, "%s %s %s",
                            page_tr(pg, TR("This object is not awaiting verification.")),
                            page_tr(pg, TR("Its status now:")),
                            s    ? web_label(pg->lang, s->label)
                            : st ? st
                                 : ""));
}

static void h_verify(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!need_verifier(&pg))
        return;
    const struct model_kind *k;
    json_t *rec = verify_target(&pg, &k);
    if (!rec)
        return;
    if (!awaits_decision(&pg, k->collection, json_string_value(json_object_get(rec, "id"))))
        not_awaiting(&pg, k, rec);
    else
        render_verify(&pg, 200, k, rec, NULL);
    json_decref(rec);
}

/* {"decision":"return","remarks":[…]} from the form's remark boxes; NULL
 * when every box is empty. */
static json_t *return_body(struct page *pg, const struct model_kind *k, const json_t *rec)
{
    json_t *remarks = json_array();
    const char *fields[1 + 256];
    size_t n = 0;
    fields[n++] = "name";
    for (size_t i = 0; i < k->n_fields && n < 257; i++)
        if (!k->fields[i].readonly)
            fields[n++] = k->fields[i].name;
    for (size_t i = 0; i < n; i++) {
        const char *t = form_value(pg, remark_name(pg, fields[i]));
        if (*t && json_object_get(rec, fields[i]))
            json_array_append_new(remarks, json_pack("{s:s, s:s}", "field", fields[i], "text", t));
    }
    const char *general = form_value(pg, "remark");
    if (*general)
        json_array_append_new(remarks, json_pack("{s:s}", "text", general));
    const char *element = form_value(pg, "element"), *on = form_value(pg, "remark.element");
    if (k->snapshot && *on)
        json_array_append_new(remarks, json_pack("{s:s, s:s}", "element", element, "text", on));
    if (json_array_size(remarks) == 0) {
        json_decref(remarks);
        return NULL;
    }
    return json_pack("{s:s, s:o}", "decision", "return", "remarks", remarks);
}

static void h_verify_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!need_verifier(&pg) || page_form(&pg) < 0)
        return;
    const struct model_kind *k;
    json_t *rec = verify_target(&pg, &k);
    if (!rec)
        return;
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *decision = form_value(&pg, "decision");
    const char *rev_text = form_value(&pg, "revision");
    char *end;
    errno = 0;
    long long rev = strtoll(rev_text, &end, 10);
    if (!*rev_text || *end || errno || rev < 1 ||
        (strcmp(decision, "accept") != 0 && strcmp(decision, "return") != 0)) {
        page_error(&pg, 400, NULL);
        json_decref(rec);
        return;
    }
    json_t *body;
    if (strcmp(decision, "accept") == 0)
        body = json_pack("{s:s}", "decision", "accept");
    else if (!(body = return_body(&pg, k, rec))) {
        render_verify(&pg, 422, k, rec,
                      page_tr(&pg, TR("To return the object, write at least one remark.")));
        json_decref(rec);
        return;
    }
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = workflow_verify(pg.w->api->wf, &pg.actor, k->collection, id, rev, body, &out, &e);
    json_decref(body);
    json_decref(out);
    if (rc == 0 && strcmp(decision, "accept") == 0)
        page_redirect(&pg, page_url(&pg, "/verification?record=%s&done=verified", id));
    else if (rc == 0)
        page_redirect(&pg, page_url(&pg, "/verification?done=returned"));
    else if ((e.status == 412 || e.status == 409) && !awaits_decision(&pg, k->collection, id))
        not_awaiting(&pg, k, rec);
    else if (e.status == 412) { /* changed while it was read: read it again */
        json_t *now = NULL;
        struct err e2 = ERR_INIT;
        if (registry_get_visible(pg.w->api->reg, &pg.actor, k->collection, id, &now, &e2) == 0)
            render_verify(&pg, 409, k, now,
                          page_tr(&pg, TR("The owner changed the record while you reviewed it. "
                                          "Review it again as it is now.")));
        else
            page_error(&pg, 409, NULL);
        json_decref(now);
    } else if (e.status == 422)
        render_verify(&pg, 422, k, rec, page_tr(&pg, TR("The remarks were not accepted.")));
    else
        page_error(&pg, e.status == 401 ? 403 : e.status, NULL);
    json_decref(rec);
}

void web_workspace_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/workspace", h_workspace, w);
    web_route(rt, "POST", "/workspace/inbox/{msg}/read", h_inbox_read, w);
    web_route(rt, "GET", "/verification", h_queue, w);
}

void web_verify_routes_for(struct web *w, struct router *rt, const char *collection)
{
    char suffix[160];
    snprintf(suffix, sizeof suffix, "/%s/{id}/verify", collection);
    web_route(rt, "GET", suffix, h_verify, w);
    web_route(rt, "POST", suffix, h_verify_post, w);
}
