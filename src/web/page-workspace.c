/* The workspaces: the owner's (its organisation's objects with their
 * status and completeness, its obligations with deadlines, the inbox) and
 * the service integrator's (the verification queue, earliest deadline
 * first, and the form that verifies a record or returns it with a remark
 * per field). */
#include "web/forms.h"

#include "account/account.h"
#include "auth/authz.h"
#include "docs/documents.h"
#include "registry/registry.h"
#include "workflow/workflow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COLLECTION "objects"
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
            page_url(pg, "/objects/%s", id ? id : ""), "edit_url",
            editable ? page_url(pg, "/objects/%s/edit", id ? id : "") : NULL);
        web_set_name_lang(row, pg->lang, json_object_get(it, "name"));
        json_array_append_new(out, row);
    }
    json_decref(c);
    return out;
}

/* The name of the record an obligation's subject ("objects/<id>") names. */
static const char *subject_name(struct page *pg, const char *subject, const char **url)
{
    *url = NULL;
    const char *slash = subject ? strchr(subject, '/') : NULL;
    if (!slash || strncmp(subject, COLLECTION "/", sizeof COLLECTION) != 0)
        return subject ? subject : "";
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    const char *name = slash + 1;
    if (registry_get_visible(pg->w->api->reg, &pg->actor, COLLECTION, slash + 1, &rec, &e) == 0) {
        const char *n = web_name(pg->lang, json_object_get(rec, "name"));
        if (*n)
            name = arena_strdup(pg->req->arena, n);
        *url = page_url(pg, "/objects/%s", slash + 1);
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
    json_object_set_new(pg.data, "new_url", json_string(page_url(&pg, "/objects/new")));
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
        const char *review = json_string_value(json_object_get(rec, "review"));
        json_t *row =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "name",
                      web_name(pg.lang, json_object_get(rec, "name")), "kind",
                      k ? web_label(pg.lang, k->label) : "", "owner", owner_name, "status",
                      status_label(&pg, kind, json_string_value(json_object_get(rec, "status"))),
                      "due", day_of(&pg, json_string_value(json_object_get(it, "due_at"))),
                      "overdue", json_is_true(json_object_get(it, "overdue")), "changes",
                      review && *review, "url", page_url(&pg, "/objects/%s/verify", id ? id : ""));
        web_set_name_lang(row, pg.lang, json_object_get(rec, "name"));
        json_array_append_new(items, row);
    }
    json_decref(q);
    json_object_set_new(pg.data, "has_items", json_boolean(json_array_size(items) > 0));
    json_object_set_new(pg.data, "items", items);
    forms_notice(&pg);
    page_render(&pg, 200, "workspace/queue", page_tr(&pg, TR("Verification")));
}

/* The record to verify and its kind; answers and returns NULL otherwise. */
static json_t *verify_target(struct page *pg, const struct model_kind **k)
{
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (registry_get_visible(pg->w->api->reg, &pg->actor, COLLECTION, http_req_param(pg->req, "id"),
                             &rec, &e) < 0) {
        page_error(pg, e.status == 410 ? 404 : e.status, NULL);
        return NULL;
    }
    *k = model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
    if (!*k) {
        page_error(pg, 404, NULL);
        json_decref(rec);
        return NULL;
    }
    return rec;
}

/* The remark textarea's form name for a field. */
static const char *remark_name(struct page *pg, const char *field)
{
    return arena_printf(pg->req->arena, "remark.%s", field);
}

/* The fields that hold a value, each with its remark box. */
static json_t *verify_fields(struct page *pg, const struct model_kind *k, const json_t *rec)
{
    json_t *out = json_array();
    const json_t *name = json_object_get(rec, "name");
    if (name)
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:s, s:s, s:s}", "label", page_tr(pg, TR("Name")), "value",
                           web_name(pg->lang, name), "name", remark_name(pg, "name"), "id",
                           "r-name", "remark", form_value(pg, remark_name(pg, "name"))));
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (f->readonly)
            continue;
        const char *text = forms_value_text(pg, f, json_object_get(rec, f->name));
        if (!*text)
            continue;
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s}", "label",
                                             web_label(pg->lang, f->label), "value", text, "name",
                                             remark_name(pg, f->name), "id",
                                             arena_printf(pg->req->arena, "r-%s", f->name),
                                             "remark", form_value(pg, remark_name(pg, f->name))));
    }
    return out;
}

static void render_verify(struct page *pg, int status, const struct model_kind *k,
                          const json_t *rec, const char *error)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    pg->nav = "verification";
    json_object_set_new(pg->data, "record_name",
                        json_string(web_name(pg->lang, json_object_get(rec, "name"))));
    json_object_set_new(pg->data, "kind_label", json_string(web_label(pg->lang, k->label)));
    json_object_set_new(pg->data, "revision",
                        json_object_get(rec, "revision")
                            ? json_deep_copy(json_object_get(rec, "revision"))
                            : json_integer(0));
    json_object_set_new(pg->data, "fields", verify_fields(pg, k, rec));
    json_object_set_new(pg->data, "general", json_string(form_value(pg, "remark")));
    json_object_set_new(pg->data, "action", json_string(page_url(pg, "/objects/%s/verify", id)));
    json_object_set_new(pg->data, "queue_url", json_string(page_url(pg, "/verification")));
    if (error)
        json_object_set_new(pg->data, "error", json_string(error));
    page_render(pg, status, "workspace/verify", page_tr(pg, TR("Verify the object")));
}

/* Does the record await the visitor's decision (accept or return)? */
static bool awaits_decision(struct page *pg, const char *id)
{
    json_t *tl = NULL;
    struct err e = ERR_INIT;
    bool awaits = false;
    if (workflow_timeline(pg->w->api->wf, &pg->actor, COLLECTION, id, &tl, &e) == 0) {
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(tl, "can"), i, v)
            awaits |= json_is_string(v) && strcmp(json_string_value(v), "accept") == 0;
    }
    json_decref(tl);
    return awaits;
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
    if (!awaits_decision(&pg, json_string_value(json_object_get(rec, "id"))))
        page_error(&pg, 409, page_tr(&pg, TR("This object is not awaiting verification.")));
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
    int rc = workflow_verify(pg.w->api->wf, &pg.actor, COLLECTION, id, rev, body, &out, &e);
    json_decref(body);
    json_decref(out);
    if (rc == 0)
        page_redirect(&pg, page_url(&pg, "/verification?done=%s",
                                    strcmp(decision, "accept") == 0 ? "verified" : "returned"));
    else if (e.status == 412)
        page_error(&pg, 409, NULL);
    else if (e.status == 409)
        page_error(&pg, 409, page_tr(&pg, TR("This object is not awaiting verification.")));
    else if (e.status == 422)
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
    web_route(rt, "GET", "/objects/{id}/verify", h_verify, w);
    web_route(rt, "POST", "/objects/{id}/verify", h_verify_post, w);
}
