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

/* ---- the organisations of the registry ------------------------------------------------ */

/* The collection of the kind whose records own others (the
 * organisations), or NULL. */
static const struct model_collection *owner_collection(const struct model *m)
{
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        for (size_t k = 0; k < c->n_kinds; k++)
            if (model_kind_owns(m, c->kinds[k]))
                return c;
    }
    return NULL;
}

/* The value of rec's field of format "bin" (a business identification
 * number), or NULL. */
static const char *record_bin(const struct model *m, const json_t *rec)
{
    const struct model_kind *k = model_kind(m, json_string_value(json_object_get(rec, "kind")));
    for (size_t i = 0; k && i < k->n_fields; i++) {
        const char *f = k->fields[i].format;
        if (f && strcmp(f, "bin") == 0)
            return json_string_value(json_object_get(rec, k->fields[i].name));
    }
    return NULL;
}

/* The filterable field of format "bin" of the collection's kinds, or NULL. */
static const char *bin_field(const struct model *m, const struct model_collection *c)
{
    for (size_t j = 0; j < c->n_kinds; j++) {
        const struct model_kind *k = model_kind(m, c->kinds[j]);
        for (size_t i = 0; k && i < k->n_fields; i++) {
            const struct model_field *f = &k->fields[i];
            if (f->format && strcmp(f->format, "bin") == 0 && f->filterable)
                return f->name;
        }
    }
    return NULL;
}

/* {id, name, bin} of an organisation record for the pages. */
static json_t *org_option(struct page *pg, const json_t *rec)
{
    const char *bin = record_bin(pg->w->api->model, rec);
    return json_pack("{s:s, s:s, s:s?}", "id", json_string_value(json_object_get(rec, "id")),
                     "name", web_name(pg->lang, json_object_get(rec, "name")), "bin", bin);
}

/* The organisations the visitor may read that match params (the API's list
 * parameters), as options; NULL with e on a bad query. */
static json_t *org_list(struct page *pg, const struct listq_param *params, size_t n, struct err *e)
{
    const struct model *m = pg->w->api->model;
    const struct model_collection *coll = owner_collection(m);
    if (!coll) {
        err_internal(e, "the model has no kind that owns others");
        return NULL;
    }
    struct list_query q;
    json_t *list = NULL;
    if (listq_parse_lang(pg->req->arena, m, coll, params, n, NULL, i18n_code(pg->lang), &q, e) < 0 ||
        registry_scope_list(pg->w->api->reg, &pg->actor, &q, e) < 0 ||
        registry_list(pg->w->api->reg, pg->req->arena, &q, &list, e) < 0)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach (json_object_get(list, "items"), i, rec) {
        if (json_string_value(json_object_get(rec, "id")))
            json_array_append_new(out, org_option(pg, rec));
    }
    json_decref(list);
    return out;
}

/* The organisations found by what the applicant typed: by BIN when it is
 * one (and the model has a BIN field to filter on), else by words. */
static json_t *org_search(struct page *pg, const char *typed, struct err *e)
{
    const struct model *m = pg->w->api->model;
    const struct model_collection *coll = owner_collection(m);
    const char *bf = coll ? bin_field(m, coll) : NULL;
    struct listq_param params[2] = {{"limit", "10"}, {"q", typed}};
    if (bf && model_bin_valid(typed))
        params[1] =
            (struct listq_param){"filter", arena_printf(pg->req->arena, "%s:%s", bf, typed)};
    json_t *out = org_list(pg, params, 2, e);
    if (!out && e->status == 400) {
        err_clear(e); /* too many words or too long: nothing found */
        out = json_array();
    }
    return out;
}

/* ---- the public application ---------------------------------------------------------- */

static void apply_fields(struct page *pg)
{
    static const struct {
        const char *list, *name, *label, *autocomplete;
        enum field_kind kind;
        bool required;
    } F[] = {
        {"new_fields", "organization_name", TR("Full name of the organisation"), "organization",
         FIELD_TEXT, true},
        {"new_fields", "organization_bin", TR("BIN of the organisation"), "off", FIELD_TEXT, true},
        {"fields", "structural_unit", TR("Structural unit"), "off", FIELD_TEXT, true},
        {"fields", "last_name", TR("Surname"), "family-name", FIELD_TEXT, true},
        {"fields", "first_name", TR("First name"), "given-name", FIELD_TEXT, true},
        {"fields", "patronymic", TR("Patronymic"), "additional-name", FIELD_TEXT, false},
        {"fields", "position", TR("Position"), "organization-title", FIELD_TEXT, true},
        {"fields", "phone", TR("Contact phone"), "tel", FIELD_TEL, true},
        {"fields", "email", TR("Work e-mail (it will be your login)"), "email", FIELD_EMAIL, true},
        {"purpose_fields", "access_purpose", TR("Purpose of the access"), "off", FIELD_MULTILINE,
         true},
    };
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
        acct_field(pg, F[i].list, "apply", F[i].name, page_tr(pg, F[i].label), F[i].kind,
                   F[i].autocomplete, F[i].required);
}

/* The roles an applicant may ask for: those the service integrator gives
 * by deciding applications (the rights file's granted_with), with the one
 * chosen checked. */
static void apply_roles(struct page *pg)
{
    const struct rights *r = accounts_rights(pg->w->api->acct);
    const char *chosen = form_value(pg, "requested_role");
    json_t *roles = json_array();
    for (size_t i = 0; i < rights_n_roles(r); i++) {
        if (rights_role_granted_with(r, i) != RA_APPLICATIONS)
            continue;
        const char *id = rights_role_id(r, i);
        json_array_append_new(roles, json_pack("{s:s, s:s, s:b}", "id", id, "label",
                                               web_name(pg->lang, rights_role_label(r, i)),
                                               "checked", strcmp(id, chosen) == 0));
    }
    json_object_set_new(pg->data, "roles", roles);
}

static bool role_offered(struct page *pg, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get(pg->data, "roles"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
            return true;
    }
    return false;
}

/* The organisation part: what was typed in the search box, what it found,
 * and the choice (an id of the registry, or "new"), kept checked. */
static int apply_orgs(struct page *pg, const char *typed, struct err *e)
{
    const char *chosen = form_value(pg, "organization");
    json_t *orgs = *typed ? org_search(pg, typed, e) : json_array();
    if (!orgs)
        return -1;
    bool found = false;
    size_t i;
    json_t *o;
    json_array_foreach (orgs, i, o) {
        bool c = strcmp(json_string_value(json_object_get(o, "id")), chosen) == 0;
        json_object_set_new(o, "checked", json_boolean(c));
        found = found || c;
    }
    /* the organisation chosen before stays on the page */
    json_t *rec = NULL;
    struct err ignored = ERR_INIT;
    if (!found && *chosen && strcmp(chosen, "new") != 0 &&
        registry_get_visible(pg->w->api->reg, &pg->actor, NULL, chosen, &rec, &ignored) == 0 &&
        model_kind_owns(pg->w->api->model, json_string_value(json_object_get(rec, "kind")))) {
        json_t *opt = org_option(pg, rec);
        json_object_set_new(opt, "checked", json_true());
        json_array_insert_new(orgs, 0, opt);
    }
    json_decref(rec);
    /* a BIN the registry does not know: most likely a new organisation's */
    json_t *binf = acct_field_get(pg, "new_fields", "organization_bin");
    if (json_array_size(orgs) == 0 && model_bin_valid(typed) && binf &&
        !*json_string_value(json_object_get(binf, "value")))
        json_object_set_new(binf, "value", json_string(typed));
    json_object_set_new(pg->data, "org_q", json_string(typed));
    json_object_set_new(pg->data, "org_searched", json_boolean(*typed != '\0'));
    json_object_set_new(pg->data, "orgs", orgs);
    json_object_set_new(pg->data, "org_new", json_boolean(strcmp(chosen, "new") == 0));
    json_object_set_new(pg->data, "consent_version", json_string(APPLICATION_CONSENT_VERSION));
    json_object_set_new(pg->data, "consent_checked",
                        json_boolean(strcmp(form_value(pg, "personal_data_consent"),
                                            APPLICATION_CONSENT_VERSION) == 0));
    return 0;
}

static void apply_render(struct page *pg, int status)
{
    page_render(pg, status, "account/apply", page_tr(pg, TR("Apply for an account")));
}

/* A reference number as the portal makes them ("A-2026-000042"). */
static bool ref_valid(const char *s)
{
    static const char shape[] = "A-dddd-dddddd";
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (shape[i] == 'd' ? !digit : s[i] != shape[i])
            return false;
    }
    return s[sizeof shape - 1] == '\0';
}

static void h_apply(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *done = http_req_query(req, "done");
    if (done && strcmp(done, "sent") == 0) {
        const char *ref = http_req_query(req, "ref");
        if (ref && ref_valid(ref))
            json_object_set_new(pg.data, "ref", json_string(ref));
        page_render(&pg, 200, "account/apply-done", page_tr(&pg, TR("Application received")));
        return;
    }
    const char *typed = http_req_query(req, "org_q");
    struct err e = ERR_INIT;
    apply_fields(&pg);
    apply_roles(&pg);
    if (apply_orgs(&pg, typed ? typed : "", &e) < 0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    apply_render(&pg, 200);
}

/* Marks the form's own choices (organisation, access, consent) that are
 * missing or wrong, all at once: how many. */
static int apply_check_choices(struct page *pg)
{
    int n = 0;
    const char *org = form_value(pg, "organization");
    if (!*org) {
        const char *msg =
            page_tr(pg, TR("Choose your organisation from the registry, or ask for a new one."));
        json_object_set_new(pg->data, "org_error", json_string(msg));
        acct_error(pg, NULL, "apply-org_q", msg);
        n++;
    } else if (strcmp(org, "new") == 0) {
        n += acct_require(pg, "new_fields");
        const char *bin = form_value(pg, "organization_bin");
        json_t *f = acct_field_get(pg, "new_fields", "organization_bin");
        if (*bin && !model_bin_valid(bin)) {
            acct_error(pg, f, NULL,
                       page_tr(pg, TR("A BIN is 12 digits with a valid check digit.")));
            n++;
        }
    }
    if (!role_offered(pg, form_value(pg, "requested_role"))) {
        const char *msg = page_tr(pg, TR("Choose the access you ask for."));
        json_object_set_new(pg->data, "role_error", json_string(msg));
        const char *first = json_string_value(
            json_object_get(json_array_get(json_object_get(pg->data, "roles"), 0), "id"));
        acct_error(pg, NULL, arena_printf(pg->req->arena, "apply-role-%s", first ? first : ""),
                   msg);
        n++;
    }
    if (!json_is_true(json_object_get(pg->data, "consent_checked"))) {
        const char *msg =
            page_tr(pg, TR("Give your consent to the processing of personal data: without it the "
                           "application cannot be considered."));
        json_object_set_new(pg->data, "consent_error", json_string(msg));
        acct_error(pg, NULL, "apply-personal_data_consent", msg);
        n++;
    }
    return n;
}

/* The application as the account module takes it. */
static json_t *apply_json(struct page *pg)
{
    json_t *form = json_object();
    const char *org = form_value(pg, "organization");
    static const char *const lists[] = {"new_fields", "fields", "purpose_fields"};
    for (size_t l = 0; l < 3; l++) {
        if (l == 0 && strcmp(org, "new") != 0)
            continue;
        size_t i;
        json_t *f;
        json_array_foreach (json_object_get(pg->data, lists[l]), i, f) {
            const char *name = json_string_value(json_object_get(f, "name"));
            const char *v = form_value(pg, name);
            if (*v)
                json_object_set_new(form, name, json_string(v));
        }
    }
    if (strcmp(org, "new") != 0)
        json_object_set_new(form, "organization", json_string(org));
    json_object_set_new(form, "requested_role", json_string(form_value(pg, "requested_role")));
    json_object_set_new(form, "personal_data_consent",
                        json_string(form_value(pg, "personal_data_consent")));
    return form;
}

/* The field of the page an error of the account module is about. */
static json_t *apply_err_field(struct page *pg, const struct err *e)
{
    static const char *const lists[] = {"new_fields", "fields", "purpose_fields"};
    for (size_t l = 0; l < 3 && e->field[0]; l++) {
        json_t *f = acct_field_get(pg, lists[l], e->field);
        if (f)
            return f;
    }
    return NULL;
}

static void h_apply_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (page_form(&pg) < 0)
        return;
    struct err e = ERR_INIT;
    apply_fields(&pg);
    apply_roles(&pg);
    if (apply_orgs(&pg, form_value(&pg, "org_q"), &e) < 0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    /* the search button: the same form again, with what it found */
    if (*form_value(&pg, "_find")) {
        apply_render(&pg, 200);
        return;
    }
    int bad = acct_require(&pg, "fields") + acct_require(&pg, "purpose_fields");
    bad += apply_check_choices(&pg);
    if (bad > 0) {
        apply_render(&pg, 422);
        return;
    }
    json_t *form = apply_json(&pg);
    json_t *out = NULL;
    int64_t wait = 0;
    json_t *all = e.errors = json_array(); /* every problem of the form at once */
    /* the page's language: the applicant's messages and activation link */
    json_object_set_new(form, "lang", json_string(i18n_code(pg.lang)));
    int rc = application_submit(pg.w->api->acct, form, req->remote_ip, &out, &wait, &e);
    json_decref(form);
    if (rc == 0) {
        const char *ref = json_string_value(json_object_get(out, "ref"));
        page_redirect(&pg, page_url(&pg, "/apply?done=sent&ref=%s", ref ? ref : ""));
        json_decref(out);
        json_decref(all);
        return;
    }
    json_t *field = apply_err_field(&pg, &e);
    if (e.status == 429) {
        http_resp_header(resp, "Retry-After", arena_printf(req->arena, "%" PRId64, wait));
        acct_error(&pg, NULL, NULL,
                   page_tr(&pg, TR("Too many applications were sent from your network. Try "
                                   "again in an hour.")));
        apply_render(&pg, 429);
    } else if (e.status == 422 && strcmp(e.field, "organization") == 0) {
        const char *msg = page_tr(&pg, TR("This organisation cannot be chosen: search again."));
        json_object_set_new(pg.data, "org_error", json_string(msg));
        acct_error(&pg, NULL, "apply-org_q", msg);
        apply_render(&pg, 422);
    } else if (e.status == 422 && field) {
        acct_error(&pg, field, NULL, acct_err_text(&pg, &e));
        size_t j;
        json_t *x;
        json_array_foreach (all, j, x) {
            struct err one; /* with its message id: said in the page's language */
            err_of_entry(x, &one);
            const char *name = json_string_value(json_object_get(x, "field"));
            json_t *other = name ? apply_err_field(&pg, &one) : NULL;
            if (other) /* a field already marked keeps its first message */
                acct_error(&pg, other, NULL, acct_err_text(&pg, &one));
        }
        apply_render(&pg, 422);
    } else {
        page_error(&pg, e.status, NULL);
    }
    json_decref(all);
}

/* ---- the integrator's decisions --------------------------------------------------------- */

/* [{id, name, bin}] of the registered organisations (the first 500), to
 * choose the applicant's. */
static json_t *org_options(struct page *pg, struct err *e)
{
    const struct listq_param params[] = {{"limit", "500"}};
    return org_list(pg, params, 1, e);
}

/* The organisation to preselect for an application: the one the applicant
 * picked from the registry, else the one with the BIN given; its id and
 * why (a message), or NULL. */
static const char *org_match(struct page *pg, const json_t *orgs, const json_t *form,
                             const char **why)
{
    const char *picked = json_string_value(json_object_get(form, "organization"));
    const char *bin = json_string_value(json_object_get(form, "organization_bin"));
    size_t i;
    json_t *o;
    json_array_foreach (orgs, i, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *obin = json_string_value(json_object_get(o, "bin"));
        if (picked && strcmp(id, picked) == 0) {
            *why = page_tr(pg, TR("Preselected: the applicant chose it from the registry."));
            return id;
        }
        if (!picked && bin && obin && strcmp(bin, obin) == 0) {
            *why = page_tr(pg, TR("Preselected: its BIN is the one in the application."));
            return id;
        }
    }
    return NULL;
}

/* The form's fields with their labels, for reading an application. */
static json_t *app_details(struct page *pg, const json_t *form)
{
    static const struct {
        const char *name, *label;
    } F[] = {
        {"organization_name", TR("Full name of the organisation")},
        {"organization_bin", TR("BIN of the organisation")},
        {"structural_unit", TR("Structural unit")},
        {"position", TR("Position")},
        {"phone", TR("Contact phone")},
        {"email", TR("Work e-mail (it will be your login)")},
        {"access_purpose", TR("Purpose of the access")},
    };
    json_t *out = json_array();
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        const char *v = json_string_value(json_object_get(form, F[i].name));
        if (v && *v)
            json_array_append_new(
                out, json_pack("{s:s, s:s}", "label", page_tr(pg, F[i].label), "value", v));
    }
    const struct rights *r = accounts_rights(pg->w->api->acct);
    const char *role = json_string_value(json_object_get(form, "requested_role"));
    int ri = role ? rights_role_index(r, role) : -1;
    if (ri >= 0)
        json_array_append_new(out, json_pack("{s:s, s:s}", "label",
                                             page_tr(pg, TR("Access requested")), "value",
                                             web_name(pg->lang, rights_role_label(r, (size_t)ri))));
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
    const struct model_collection *oc = owner_collection(pg->w->api->model);
    const char *all_coll = oc ? oc->id : "";
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
        const char *why = NULL;
        const char *match = mine ? NULL : org_match(pg, all, form, &why);
        json_t *orgs = org_chosen(all, mine ? form_value(pg, "organization") : match ? match : "");
        const char *due = json_string_value(json_object_get(app, "due_at"));
        const char *sub = json_string_value(json_object_get(app, "submitted_at"));
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:b, s:s, s:s}", "id", id, "person",
                              person_name(pg, form), "details", app_details(pg, form), "orgs", orgs,
                              "submitted", page_local_day(pg, sub), "due", page_local_day(pg, due),
                              "overdue", json_is_true(json_object_get(app, "overdue")), "grant_url",
                              page_url(pg, "/applications/%s/grant", id), "refuse_url",
                              page_url(pg, "/applications/%s/refuse", id));
        const json_t *consent = json_object_get(app, "consent");
        json_object_set_new(o, "ref", json_incref(json_object_get(app, "ref")));
        json_object_set_new(o, "preselected", json_string(why ? why : ""));
        json_object_set_new(o, "asks_new",
                            json_boolean(!json_object_get(form, "organization") && !match));
        json_object_set_new(o, "new_org_url", json_string(page_url(pg, "/%s/new", all_coll)));
        const char *cat = json_string_value(json_object_get(consent, "at"));
        json_object_set_new(o, "consent_at",
                            json_string(cat ? arena_strndup(pg->req->arena, cat, 10) : ""));
        json_object_set_new(o, "consent_version", json_incref(json_object_get(consent, "version")));
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
