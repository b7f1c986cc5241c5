/* The account application (REQ ACC-01): the public Appendix 2 form and its
 * confirmation; and the service integrator's pending applications with
 * the grant and refuse forms (REQ ACC-02), calling the same account
 * functions as the API. */
#include "web/account-form.h"

#include "account/account.h"
#include "auth/authz.h"
#include "registry/listq.h"
#include "registry/registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- the public application ---------------------------------------------------------- */

static void apply_fields(struct page *pg)
{
    static const struct {
        const char *name, *label, *autocomplete;
        enum field_kind kind;
        bool required;
    } F[] = {
        {"organization_name", TR("Full name of the organisation"), "organization", FIELD_TEXT,
         true},
        {"structural_unit", TR("Structural unit"), "off", FIELD_TEXT, true},
        {"last_name", TR("Surname"), "family-name", FIELD_TEXT, true},
        {"first_name", TR("First name"), "given-name", FIELD_TEXT, true},
        {"patronymic", TR("Patronymic"), "additional-name", FIELD_TEXT, false},
        {"position", TR("Position"), "organization-title", FIELD_TEXT, true},
        {"phone", TR("Contact phone"), "tel", FIELD_TEL, true},
        {"email", TR("Work e-mail (it will be your login)"), "email", FIELD_EMAIL, true},
        {"access_purpose", TR("Access requested and its purpose"), "off", FIELD_MULTILINE, true},
    };
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
        acct_field(pg, "fields", "apply", F[i].name, page_tr(pg, F[i].label), F[i].kind,
                   F[i].autocomplete, F[i].required);
}

static void apply_render(struct page *pg, int status)
{
    page_render(pg, status, "account/apply", page_tr(pg, TR("Apply for an account")));
}

static void h_apply(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *done = http_req_query(req, "done");
    if (done && strcmp(done, "sent") == 0) {
        page_render(&pg, 200, "account/apply-done", page_tr(&pg, TR("Application received")));
        return;
    }
    apply_fields(&pg);
    apply_render(&pg, 200);
}

static void h_apply_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (page_form(&pg) < 0)
        return;
    apply_fields(&pg);
    if (acct_require(&pg, "fields") > 0) {
        apply_render(&pg, 422);
        return;
    }
    json_t *form = json_object();
    size_t i;
    json_t *f;
    json_array_foreach (json_object_get(pg.data, "fields"), i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *v = form_value(&pg, name);
        if (*v)
            json_object_set_new(form, name, json_string(v));
    }
    json_t *out = NULL;
    int64_t wait = 0;
    struct err e = ERR_INIT;
    /* the page's language: the applicant's messages and activation link */
    json_object_set_new(form, "lang", json_string(i18n_code(pg.lang)));
    int rc = application_submit(pg.w->api->acct, form, req->remote_ip, &out, &wait, &e);
    json_decref(form);
    if (rc == 0) {
        json_decref(out);
        page_redirect(&pg, page_url(&pg, "/apply?done=sent"));
        return;
    }
    json_t *field = e.field[0] ? acct_field_get(&pg, "fields", e.field) : NULL;
    if (e.status == 429) {
        http_resp_header(resp, "Retry-After", arena_printf(req->arena, "%" PRId64, wait));
        acct_error(&pg, NULL, NULL,
                   page_tr(&pg, TR("Too many applications were sent from your network. Try "
                                   "again in an hour.")));
        apply_render(&pg, 429);
    } else if (e.status == 422 && field) {
        acct_error(&pg, field, NULL, acct_err_text(&pg, &e));
        apply_render(&pg, 422);
    } else {
        page_error(&pg, e.status, NULL);
    }
}

/* ---- the integrator's decisions --------------------------------------------------------- */

/* [{id, name}] of the registered organisations (the first 500), to choose
 * the applicant's. */
static json_t *org_options(struct page *pg, struct err *e)
{
    const struct model *m = pg->w->api->model;
    const struct model_collection *coll = model_collection(m, "organizations");
    if (!coll) {
        err_internal(e, "the model has no 'organizations' collection");
        return NULL;
    }
    const struct listq_param params[] = {{"limit", "500"}};
    struct list_query q;
    json_t *list = NULL;
    if (listq_parse_lang(pg->req->arena, m, coll, params, 1, NULL, i18n_code(pg->lang), &q, e) <
            0 ||
        registry_scope_list(pg->w->api->reg, &pg->actor, &q, e) < 0 ||
        registry_list(pg->w->api->reg, pg->req->arena, &q, &list, e) < 0)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach (json_object_get(list, "items"), i, rec) {
        const char *id = json_string_value(json_object_get(rec, "id"));
        if (!id)
            continue;
        json_array_append_new(out, json_pack("{s:s, s:s}", "id", id, "name",
                                             web_name(pg->lang, json_object_get(rec, "name"))));
    }
    json_decref(list);
    return out;
}

/* The form's fields with their labels, for reading an application. */
static json_t *app_details(struct page *pg, const json_t *form)
{
    static const struct {
        const char *name, *label;
    } F[] = {
        {"organization_name", TR("Full name of the organisation")},
        {"structural_unit", TR("Structural unit")},
        {"position", TR("Position")},
        {"phone", TR("Contact phone")},
        {"email", TR("Work e-mail (it will be your login)")},
        {"access_purpose", TR("Access requested and its purpose")},
        {"requested_role", TR("Requested role")},
    };
    json_t *out = json_array();
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        const char *v = json_string_value(json_object_get(form, F[i].name));
        if (v && *v)
            json_array_append_new(
                out, json_pack("{s:s, s:s}", "label", page_tr(pg, F[i].label), "value", v));
    }
    return out;
}

static const char *person_name(struct page *pg, const json_t *form)
{
    const char *last = json_string_value(json_object_get(form, "last_name"));
    const char *first = json_string_value(json_object_get(form, "first_name"));
    const char *patr = json_string_value(json_object_get(form, "patronymic"));
    return arena_printf(pg->req->arena, "%s %s%s%s", last ? last : "", first ? first : "",
                        patr ? " " : "", patr ? patr : "");
}

/* The options with the one chosen in the form sent (a new array). */
static json_t *org_chosen(const json_t *orgs, const char *chosen)
{
    json_t *out = json_deep_copy(orgs);
    size_t i;
    json_t *o;
    json_array_foreach (out, i, o) {
        if (strcmp(json_string_value(json_object_get(o, "id")), chosen) == 0)
            json_object_set_new(o, "selected", json_true());
    }
    return out;
}

/* A failed decision to show on the page again: which application, which
 * field, what message, and the input to keep. */
struct decision_err {
    const char *app, *field, *message;
};

/* Requires the right to decide applications: -1 after answering. */
static int need_decider(struct page *pg)
{
    if (!page_need_user(pg, NULL))
        return -1;
    if (!authz_may_everywhere(accounts_rights(pg->w->api->acct), &pg->actor, RA_APPLICATIONS)) {
        page_error(pg, 403, NULL);
        return -1;
    }
    return 0;
}

static void apps_render(struct page *pg, int status, const struct decision_err *de)
{
    pg->nav = "applications";
    json_t *list = NULL;
    struct err e = ERR_INIT;
    if (application_list(pg->w->api->acct, &pg->actor, "pending", &list, &e) < 0) {
        page_error(pg, e.status, NULL);
        return;
    }
    json_t *all = org_options(pg, &e);
    if (!all) {
        json_decref(list);
        page_error(pg, e.status, NULL);
        return;
    }
    json_t *items = json_array();
    size_t i;
    json_t *app;
    json_array_foreach (json_object_get(list, "items"), i, app) {
        const char *id = json_string_value(json_object_get(app, "id"));
        const json_t *form = json_object_get(app, "form");
        bool mine = de && strcmp(de->app, id) == 0;
        json_t *orgs = mine ? org_chosen(all, form_value(pg, "organization")) : json_incref(all);
        const char *due = json_string_value(json_object_get(app, "due_at"));
        const char *sub = json_string_value(json_object_get(app, "submitted_at"));
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:b, s:s, s:s}", "id", id, "person",
                              person_name(pg, form), "details", app_details(pg, form), "orgs", orgs,
                              "submitted", page_local_day(pg, sub), "due", page_local_day(pg, due),
                              "overdue", json_is_true(json_object_get(app, "overdue")), "grant_url",
                              page_url(pg, "/applications/%s/grant", id), "refuse_url",
                              page_url(pg, "/applications/%s/refuse", id));
        if (mine) {
            json_object_set_new(o, "reason", json_string(form_value(pg, "reason")));
            const char *fid =
                arena_printf(pg->req->arena, "%s-%s-%s",
                             strcmp(de->field, "reason") == 0 ? "refuse" : "grant", id, de->field);
            json_object_set_new(o, strcmp(de->field, "reason") == 0 ? "reason_error" : "org_error",
                                json_string(de->message));
            acct_error(pg, NULL, fid, de->message);
        }
        json_array_append_new(items, o);
    }
    json_decref(list);
    json_decref(all);
    json_object_set_new(pg->data, "items", items);
    static const char *const codes[] = {"granted", "refused", NULL};
    static const char *const msgs[] = {
        TR("The application was granted: the applicant gets an e-mail with the activation link."),
        TR("The application was refused: the applicant gets an e-mail with the reason."), NULL};
    page_notice(pg, codes, msgs);
    page_render(pg, status, "account/applications", page_tr(pg, TR("Account applications")));
}

static void h_apps(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (need_decider(&pg) < 0)
        return;
    apps_render(&pg, 200, NULL);
}

static void decide(struct http_req *req, struct http_resp *resp, void *ctx, bool grant)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (need_decider(&pg) < 0 || page_form(&pg) < 0)
        return;
    const char *id = http_req_param(req, "id");
    struct decision_err de = {id, grant ? "organization" : "reason", NULL};
    const char *value = form_value(&pg, de.field);
    if (!value[strspn(value, " \t\r\n")]) {
        de.message = grant ? page_tr(&pg, TR("Choose the applicant's organisation."))
                           : page_tr(&pg, TR("Write the reason for the refusal: the applicant "
                                             "will read it."));
        apps_render(&pg, 422, &de);
        return;
    }
    json_t *body = json_pack("{s:s}", de.field, value);
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = grant ? application_grant(pg.w->api->acct, &pg.actor, id, body, &out, &e)
                   : application_refuse(pg.w->api->acct, &pg.actor, id, body, &out, &e);
    json_decref(body);
    json_decref(out);
    if (rc == 0) {
        page_redirect(&pg, page_url(&pg, "/applications?done=%s", grant ? "granted" : "refused"));
    } else if (e.status == 422) {
        de.message = grant ? page_tr(&pg, TR("This organisation cannot be chosen."))
                           : page_tr(&pg, TR("The reason must be text of at most 2000 bytes."));
        apps_render(&pg, 422, &de);
    } else if (e.status == 409) {
        page_error(&pg, 409, page_tr(&pg, TR("This application has already been decided.")));
    } else {
        page_error(&pg, e.status, NULL);
    }
}

static void h_grant(struct http_req *req, struct http_resp *resp, void *ctx)
{
    decide(req, resp, ctx, true);
}

static void h_refuse(struct http_req *req, struct http_resp *resp, void *ctx)
{
    decide(req, resp, ctx, false);
}

void web_apply_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/apply", h_apply, w);
    web_route(rt, "POST", "/apply", h_apply_post, w);
    web_route(rt, "GET", "/applications", h_apps, w);
    web_route(rt, "POST", "/applications/{id}/grant", h_grant, w);
    web_route(rt, "POST", "/applications/{id}/refuse", h_refuse, w);
}
