/* account/applications: the Appendix 2 application for a portal account
 * (REQ ACC-01) and the integrator's decision within the deadline (ACC-02). */
#include "account/internal.h"

#include "calendar/calsvc.h"
#include "registry/registry.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY "account_decision"
#define DECIDER_ROLE "integrator-verifier"

struct form_field {
    const char *name;
    bool required;
    size_t max;
    bool multiline;
};

/* Appendix 2 of the Rules (seed 002): the fields, in the form's order.
 * The organisation is either one of the registry's (`organization`, an
 * id: its name is then taken from the registry when not given) or one
 * the applicant names, with its BIN if known. */
static const struct form_field FORM[] = {
    {"organization", false, 64, false},      {"organization_name", true, 500, false},
    {"organization_bin", false, 12, false},  {"structural_unit", true, 300, false},
    {"last_name", true, 100, false},         {"first_name", true, 100, false},
    {"patronymic", false, 100, false},       {"position", true, 300, false},
    {"phone", true, 40, false},              {"email", true, 254, false},
    {"access_purpose", true, 2000, true},    {"requested_role", false, 40, false},
};
#define N_FORM (sizeof FORM / sizeof FORM[0])

static bool phone_ok(const char *s)
{
    size_t digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr("+ ()-", *p))
            return false;
    }
    return digits >= 7 && digits <= 15;
}

static bool text_ok(const char *s, const struct form_field *f)
{
    size_t n = strlen(s);
    if (n > f->max)
        return false;
    /* a textarea's lines end in CR LF: the pair is one line break, and
     * nothing else of C0 or C1 passes (single lines take no break at all) */
    char *lf = xmalloc(n + 1);
    size_t k = 0;
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        if (f->multiline && s[i] == '\r' && s[i + 1] == '\n')
            continue;
        lf[k++] = s[i];
        blank = blank && (s[i] == ' ' || s[i] == '\n');
    }
    lf[k] = '\0';
    bool ok = text_controls_ok(lf, k, f->multiline) && !blank;
    free(lf);
    return ok;
}

/* The registry's organisation an applicant picked: a record the public
 * may read, of a kind that owns others. Its name (in Russian, else any)
 * is put into the form when the applicant gave none. */
static int check_picked_org(struct accounts *ac, const char *id, json_t *form, struct err *e)
{
    struct actor anon = ACTOR_ANONYMOUS;
    json_t *rec = NULL;
    const char *kind = NULL;
    if (text_id_valid(id) && registry_get_visible(ac->reg, &anon, NULL, id, &rec, e) == 0)
        kind = json_string_value(json_object_get(rec, "kind"));
    if (!kind || !model_kind_owns(ac->model, kind)) {
        json_decref(rec);
        err_set(e, 422, "dangling-reference", "organization",
                "'organization' must be the id of an organisation in the registry");
        return -1;
    }
    if (!json_object_get(form, "organization_name")) {
        const json_t *name = json_object_get(rec, "name");
        const char *v = json_string_value(json_object_get(name, "ru"));
        const char *k;
        const json_t *any;
        json_object_foreach ((json_t *)name, k, any) {
            if (!v || !*v)
                v = json_string_value(any);
        }
        json_object_set_new(form, "organization_name", json_string(v ? v : id));
    }
    json_decref(rec);
    return 0;
}

/* The consent to the processing of personal data: the version of the
 * text agreed to, which must be the one in force. */
static int check_consent(const json_t *in, struct err *e)
{
    const json_t *c = json_object_get(in, "personal_data_consent");
    if (!c || json_is_null(c) || json_is_false(c) ||
        (json_is_string(c) && !*json_string_value(c))) {
        err_set(e, 422, "required", "personal_data_consent",
                "'personal_data_consent' is required: the version of the consent text agreed "
                "to (%s)",
                APPLICATION_CONSENT_VERSION);
        return -1;
    }
    if (!json_is_string(c) || strcmp(json_string_value(c), APPLICATION_CONSENT_VERSION) != 0) {
        err_set(e, 422, "validation-failed", "personal_data_consent",
                "'personal_data_consent' must name the consent text in force, '%s'",
                APPLICATION_CONSENT_VERSION);
        return -1;
    }
    return 0;
}

/* Checks the form field by field; *clean gets the stored form (without
 * the consent, which is stored apart). */
static int check_form(struct accounts *ac, const json_t *in, json_t **clean, struct err *e)
{
    if (!json_is_object(in)) {
        err_set(e, 422, "wrong-type", "", "the application must be a JSON object");
        return -1;
    }
    const char *names[N_FORM + 3];
    for (size_t i = 0; i < N_FORM; i++)
        names[i] = FORM[i].name;
    /* the consent, and the language the applicant wrote in: their
     * messages' and the activation link's (REQ X-I18N-01) */
    names[N_FORM] = "personal_data_consent";
    names[N_FORM + 1] = "lang";
    names[N_FORM + 2] = NULL;
    if (jsonx_known_keys(in, names, "'%.60s' is not a field of the application", e) < 0)
        return -1;
    const char *picked = json_string_value(json_object_get(in, "organization"));
    bool pick = picked && *picked;
    json_t *out = json_object();
    bool bad = false;
    for (size_t i = 0; i < N_FORM && !(bad && !e->errors); i++) {
        const struct form_field *f = &FORM[i];
        const json_t *fv = json_object_get(in, f->name);
        const char *s = json_string_value(fv);
        /* a picked organisation names itself */
        bool required = f->required && !(pick && strcmp(f->name, "organization_name") == 0);
        struct err one = ERR_INIT; /* this field's problem, noted in e (all of them with
                                    * e->errors) */
        if (!fv || json_is_null(fv) || (s && !*s && !required)) {
            if (required)
                err_set(&one, 422, "required", f->name, "'%s' is required", f->name);
        } else if (!s)
            err_set(&one, 422, "wrong-type", f->name, "'%s' must be a string", f->name);
        else if (!text_ok(s, f))
            err_set(&one, 422, "validation-failed", f->name,
                    "'%s' must be %s text of at most %zu bytes", f->name,
                    f->multiline ? "non-blank" : "one non-blank line of", f->max);
        else if (strcmp(f->name, "email") == 0 && !model_email_valid(s))
            err_set(&one, 422, "bad-format", "email", "'email' must be a work e-mail address");
        else if (strcmp(f->name, "phone") == 0 && !phone_ok(s))
            err_set(&one, 422, "bad-format", "phone",
                    "'phone' must be 7..15 digits with optional + ( ) - and spaces");
        else if (strcmp(f->name, "organization_bin") == 0 && !model_bin_valid(s))
            err_set(&one, 422, "bad-format", "organization_bin",
                    "'organization_bin' must be a valid 12-digit BIN");
        else if (strcmp(f->name, "requested_role") == 0 && rights_role_index(ac->rights, s) < 0)
            err_set(&one, 422, "bad-enum", "requested_role", "unknown role '%.40s'", s);
        else
            json_object_set_new(out, f->name, json_string(s));
        if (one.status) {
            err_collect(e, &one);
            bad = true;
        }
    }
    /* the consent and the organisation picked, noted like the fields */
    struct err one = ERR_INIT;
    if (check_consent(in, &one) < 0) {
        err_collect(e, &one);
        bad = true;
    }
    struct err org = ERR_INIT;
    if (pick && !bad && check_picked_org(ac, picked, out, &org) < 0) {
        err_collect(e, &org);
        bad = true;
    }
    const json_t *lang = json_object_get(in, "lang");
    enum lang l;
    if (lang && !json_is_null(lang) && !i18n_parse(json_string_value(lang), &l)) {
        struct err bad_lang = ERR_INIT;
        err_set(&bad_lang, 422, "bad-enum", "lang", "'lang' is kk, ru or en");
        err_collect(e, &bad_lang);
        bad = true;
    } else if (lang && !json_is_null(lang)) {
        json_object_set_new(out, "lang", json_string(json_string_value(lang)));
    }
    if (bad) {
        json_decref(out);
        return -1;
    }
    *clean = out;
    return 0;
}

/* The service integrator's organisation, if one is registered. */
static int integrator_org(struct store_conn *c, char *out, size_t n, struct err *e)
{
    out[0] = '\0';
    struct store_stmt *st = store_prepare(
        c,
        "SELECT r.id FROM attrs a JOIN records r ON r.rid = a.rid "
        "WHERE a.field = 'organizations:org_type' AND a.value = 'service_integrator' "
        "AND r.retired = 0 ORDER BY r.rid LIMIT 1",
        true, e);
    if (!st)
        return -1;
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        snprintf(out, n, "%s", store_col_text(st, 0));
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

int accounts_integrator_org(struct accounts *ac, char *out, size_t n, struct err *e)
{
    return integrator_org(store_conn(ac->store), out, n, e);
}

struct submit_ctx {
    const json_t *form;
    const char *ip;
    json_t **out;
};

/* The next reference number: "A-<year>-<n>", the local year of `day`
 * ("YYYY-MM-DD"), n counting every application (none is ever deleted; the
 * unique index guards it). */
static int next_ref(struct store_conn *c, const char *day, char *out, size_t n, struct err *e)
{
    struct store_stmt *st = store_prepare(c, "SELECT count(*) FROM applications", true, e);
    if (!st)
        return -1;
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        snprintf(out, n, "A-%.4s-%06lld", day, (long long)store_col_int64(st, 0) + 1);
    store_reset(st);
    return rc == STORE_ROW ? 0 : -1;
}

/* Tells the applicant the reference number (a plain address: no account
 * yet). */
static int tell_received(struct store_conn *c, const char *now, const json_t *form,
                         const char *ref, const char *due, struct err *e)
{
    /* in the language the applicant wrote in (REQ X-I18N-01) */
    enum lang l = (enum lang)accounts_lang(json_string_value(json_object_get(form, "lang")));
    char body[1200];
    snprintf(body, sizeof body, "%s %s\n%s %.10s\n%s\n",
             i18n_tr(l, TR("The application was received. Its reference:")), ref,
             i18n_tr(l, TR("To be decided by:")), due,
             i18n_tr(l, TR("The answer comes to this address.")));
    struct acct_msg m = {.to = json_string_value(json_object_get(form, "email")),
                         .tmpl = "application-received",
                         .subject = i18n_tr(l, TR("Application received")),
                         .body = body};
    return accounts_message(c, now, &m, e);
}

static int submit_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    struct submit_ctx *x = vctx;
    char id[37], subject[80], ob[37], due[32], now[32], debtor[128], ref[32], day[11];
    int64_t now_ms = time_now_ms();
    time_format_rfc3339(now_ms, now, sizeof now);
    calsvc_local_date(ac->cal, now_ms, day);
    text_uuid7(id);
    snprintf(subject, sizeof subject, "account-applications/%s", id);
    if (integrator_org(c, debtor, sizeof debtor, e) < 0 ||
        obligation_open(ac, c, POLICY, subject, debtor[0] ? debtor : NULL, DECIDER_ROLE, now_ms,
                        ob, due, e) < 0 ||
        next_ref(c, day, ref, sizeof ref, e) < 0)
        return -1;
    char *data = json_dumps(x->form, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = store_execf(c,
                         "INSERT INTO applications(id, submitted_at, ip, data, status, "
                         "obligation_id, ref, consent_version, consent_at) "
                         "VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $2)",
                         e, "ttttttt", id, now, x->ip, data, ob, ref, APPLICATION_CONSENT_VERSION);
    free(data);
    struct actor anon = ACTOR_ANONYMOUS;
    snprintf(anon.id, sizeof anon.id, "anonymous:%s", x->ip);
    if (rc == 0)
        rc = tell_received(c, now, x->form, ref, due, e);
    json_t *after = json_pack("{s:O, s:s, s:{s:s, s:s}}", "form", x->form, "ref", ref, "consent",
                              "version", APPLICATION_CONSENT_VERSION, "at", now);
    if (rc == 0)
        rc = acct_audit(c, now, &anon, "application-submit", "account-applications", id, NULL,
                        after, e);
    json_decref(after);
    if (rc == 0)
        *x->out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "ref", ref, "status",
                            "pending", "submitted_at", now, "due_at", due);
    return rc;
}

int application_submit(struct accounts *ac, const json_t *form, const char *ip, json_t **out,
                       int64_t *retry_after_s, struct err *e)
{
    *out = NULL;
    *retry_after_s = 0;
    json_t *clean = NULL;
    if (check_form(ac, form, &clean, e) < 0)
        return -1;
    int64_t wait = throttle_rate(ac->applications, ip, ac->cfg.applications_per_hour,
                                 3600 * 1000LL, time_now_ms());
    if (wait > 0) {
        json_decref(clean);
        *retry_after_s = (wait + 999) / 1000;
        err_set(e, 429, "too-many-requests", "",
                "too many applications from this address: try again in %lld s",
                (long long)*retry_after_s);
        return -1;
    }
    struct submit_ctx x = {clean, ip, out};
    int rc = acct_write(ac, submit_fn, &x, e);
    json_decref(clean);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

#define APP_SELECT                                                                          \
    "SELECT a.id, a.submitted_at, a.data, a.status, a.decided_at, a.decided_by, a.reason, " \
    "a.user_id, a.org, o.due_at, o.done_at, a.ref, a.consent_version, a.consent_at "        \
    "FROM applications a JOIN obligations o ON o.id = a.obligation_id "

static json_t *app_row(struct store_stmt *st, const char *now)
{
    json_t *form = json_loads(store_col_text(st, 2), 0, NULL);
    const char *due = store_col_text(st, 9), *done = store_col_text(st, 10);
    bool overdue = obligation_overdue(due, done, now);
    json_t *app = json_pack(
        "{s:s, s:s?, s:s, s:o, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:b}", "id",
        store_col_text(st, 0), "ref", store_col_text(st, 11), "submitted_at",
        store_col_text(st, 1), "form", form ? form : json_object(), "status",
        store_col_text(st, 3), "decided_at", store_col_text(st, 4), "decided_by",
        store_col_text(st, 5), "reason", store_col_text(st, 6), "user_id", store_col_text(st, 7),
        "org", store_col_text(st, 8), "due_at", due, "overdue", overdue);
    const char *cv = store_col_text(st, 12);
    if (cv)
        json_object_set_new(app, "consent",
                            json_pack("{s:s, s:s?}", "version", cv, "at", store_col_text(st, 13)));
    return app;
}

int application_list(struct accounts *ac, const struct actor *by, const char *status,
                     json_t **out, struct err *e)
{
    if (authz_check_everywhere(ac->rights, by, RA_APPLICATIONS, e) < 0)
        return -1;
    if (!status)
        status = "pending";
    if (strcmp(status, "pending") && strcmp(status, "granted") && strcmp(status, "refused") &&
        strcmp(status, "all")) {
        err_bad_request(e, "status", "'status' is pending, granted, refused or all");
        return -1;
    }
    struct store_stmt *st = store_prepare(
        store_conn(ac->store),
        APP_SELECT "WHERE $1 = 'all' OR a.status = $1 ORDER BY a.submitted_at, a.id LIMIT 1000",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, status);
    char now[32];
    acct_now(now);
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        json_array_append_new(items, app_row(st, now));
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static int load_app(struct store_conn *c, const char *id, json_t **out, struct err *e)
{
    struct store_stmt *st = store_prepare(c, APP_SELECT "WHERE a.id = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    char now[32];
    acct_now(now);
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        *out = app_row(st, now);
    store_reset(st);
    if (rc == STORE_DONE)
        err_not_found(e, "no application '%.60s'", id);
    return rc == STORE_ROW ? 0 : -1;
}

int application_get(struct accounts *ac, const struct actor *by, const char *id, json_t **out,
                    struct err *e)
{
    if (authz_check_everywhere(ac->rights, by, RA_APPLICATIONS, e) < 0)
        return -1;
    return load_app(store_conn(ac->store), id, out, e);
}

/* ---- deciding -------------------------------------------------------------------------- */

struct decide_ctx {
    const struct actor *by;
    const char *id;
    const json_t *body;
    json_t **out;
};

static int pending_app(struct store_conn *c, const char *id, json_t **app, struct err *e)
{
    if (load_app(c, id, app, e) < 0)
        return -1;
    if (strcmp(json_string_value(json_object_get(*app, "status")), "pending") != 0) {
        err_set(e, 409, "already-decided", "", "this application has already been decided");
        return -1;
    }
    return 0;
}

/* The organisation the user joins: an existing one, or one created now. */
static int grant_org(struct accounts *ac, struct store_conn *c, const struct decide_ctx *x,
                     char *org, size_t n, struct err *e)
{
    const json_t *existing = json_object_get(x->body, "organization");
    const json_t *fresh = json_object_get(x->body, "new_organization");
    if ((existing != NULL) == (fresh != NULL)) {
        err_set(e, 422, "required", "organization",
                "give either 'organization' (an id) or 'new_organization' (a record)");
        return -1;
    }
    if (existing) {
        const char *id = json_string_value(existing);
        if (!id) {
            err_set(e, 422, "wrong-type", "organization", "'organization' must be an id");
            return -1;
        }
        snprintf(org, n, "%s", id);
        return 0;
    }
    json_t *rec = NULL;
    if (registry_create(ac->reg, x->by, "organizations", fresh, NULL, &rec, e) < 0) {
        char field[sizeof e->field + 20];
        snprintf(field, sizeof field, "new_organization%s%.120s", e->field[0] ? "." : "", e->field);
        snprintf(e->field, sizeof e->field, "%.150s", field);
        return -1;
    }
    snprintf(org, n, "%s", json_string_value(json_object_get(rec, "id")));
    json_decref(rec);
    return 0;
}

/* The applicant learns the decision (the activation link comes in its own
 * message, from user_create_in_tx); the message stays in the new user's
 * inbox for after the first sign-in. */
static int tell_granted(struct accounts *ac, struct store_conn *c, const char *now,
                        const json_t *user, const char *org, const json_t *roles, struct err *e)
{
    enum lang l = (enum lang)accounts_lang(json_string_value(json_object_get(user, "lang")));
    const char *code = i18n_code(l);
    char name[300];
    acct_org_name(c, org, code, name, sizeof name);
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "%s\n%s: %s\n%s:", i18n_tr(l, TR("The application was granted.")),
               i18n_tr(l, TR("Organization")), name, i18n_tr(l, TR("Roles")));
    for (size_t i = 0; i < json_array_size(roles); i++)
        buf_printf(
            &b, "%s %s", i ? "," : "",
            rights_role_label_in(ac->rights, json_string_value(json_array_get(roles, i)), code));
    buf_printf(&b, "\n%s\n",
               i18n_tr(l, TR("The link to set your password comes in a separate message.")));
    char *body = buf_steal(&b, NULL);
    struct acct_msg m = {.user_id = json_string_value(json_object_get(user, "id")),
                         .to = json_string_value(json_object_get(user, "email")),
                         .tmpl = "application-granted",
                         .subject = i18n_tr(l, TR("Application granted")),
                         .body = body,
                         .inbox = true};
    int rc = accounts_message(c, now, &m, e);
    free(body);
    return rc;
}

static int grant_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    struct decide_ctx *x = vctx;
    json_t *app = NULL, *user = NULL, *in = NULL;
    char org[128], now[32];
    int rc = pending_app(c, x->id, &app, e);
    const json_t *form = json_object_get(app, "form");
    json_t *roles = json_object_get(x->body, "roles");
    if (rc == 0 && !roles) {
        const char *req = json_string_value(json_object_get(form, "requested_role"));
        roles = json_pack("[s]", req ? req : "owner-editor");
    } else {
        json_incref(roles);
    }
    /* the roles' granted_with are checked as the user is made */
    if (rc == 0)
        rc = grant_org(ac, c, x, org, sizeof org, e);
    if (rc == 0) {
        in = json_pack("{s:O, s:s, s:O, s:O, s:O, s:O?, s:O, s:O, s:O, s:O?}", "email",
                       json_object_get(form, "email"), "org", org, "roles", roles, "last_name",
                       json_object_get(form, "last_name"), "first_name",
                       json_object_get(form, "first_name"), "patronymic",
                       json_object_get(form, "patronymic"), "position",
                       json_object_get(form, "position"), "phone", json_object_get(form, "phone"),
                       "structural_unit", json_object_get(form, "structural_unit"), "lang",
                       json_object_get(form, "lang"));
        rc = user_create_in_tx(ac, c, x->by, in, NULL, &user, e);
    }
    acct_now(now);
    const char *uid = json_string_value(json_object_get(user, "id"));
    if (rc == 0)
        rc = store_execf(c,
                         "UPDATE applications SET status = 'granted', decided_at = $2, "
                         "decided_by = $3, user_id = $4, org = $5 WHERE id = $1",
                         e, "ttttt", x->id, now, x->by->id, uid, org);
    char subject[80];
    snprintf(subject, sizeof subject, "account-applications/%s", x->id);
    if (rc == 0)
        rc = obligation_close(c, subject, POLICY, "granted", now, e);
    if (rc == 0)
        rc = tell_granted(ac, c, now, user, org, roles, e);
    if (rc == 0) {
        json_t *after = json_pack("{s:s, s:s, s:O}", "user_id", uid, "org", org, "roles", roles);
        rc = acct_audit(c, now, x->by, "application-grant", "account-applications", x->id,
                        NULL, after, e);
        json_decref(after);
    }
    if (rc == 0)
        rc = load_app(c, x->id, x->out, e);
    json_decref(app);
    json_decref(user);
    json_decref(in);
    json_decref(roles);
    return rc;
}

int application_grant(struct accounts *ac, const struct actor *by, const char *id,
                      const json_t *body, json_t **out, struct err *e)
{
    *out = NULL;
    if (authz_check_everywhere(ac->rights, by, RA_APPLICATIONS, e) < 0)
        return -1;
    if (!json_is_object(body)) {
        err_set(e, 422, "wrong-type", "", "the body must be a JSON object");
        return -1;
    }
    struct decide_ctx x = {by, id, body, out};
    int rc = acct_write(ac, grant_fn, &x, e);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

static int refuse_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    struct decide_ctx *x = vctx;
    json_t *app = NULL;
    char now[32], subject[80];
    acct_now(now);
    snprintf(subject, sizeof subject, "account-applications/%s", x->id);
    const char *reason = json_string_value(json_object_get(x->body, "reason"));
    int rc = pending_app(c, x->id, &app, e);
    if (rc == 0)
        rc = store_execf(c,
                         "UPDATE applications SET status = 'refused', decided_at = $2, "
                         "decided_by = $3, reason = $4 WHERE id = $1",
                         e, "tttt", x->id, now, x->by->id, reason);
    if (rc == 0)
        rc = obligation_close(c, subject, POLICY, "refused", now, e);
    if (rc == 0) {
        const json_t *form = json_object_get(app, "form");
        enum lang l = (enum lang)accounts_lang(json_string_value(json_object_get(form, "lang")));
        char body[2600];
        snprintf(body, sizeof body, "%s\n%s\n", i18n_tr(l, TR("The application was refused:")),
                 reason);
        /* a plain address: the applicant has no account */
        struct acct_msg m = {.to = json_string_value(json_object_get(form, "email")),
                             .tmpl = "application-refused",
                             .subject = i18n_tr(l, TR("Application refused")),
                             .body = body};
        rc = accounts_message(c, now, &m, e);
    }
    if (rc == 0) {
        json_t *after = json_pack("{s:s}", "reason", reason);
        rc = acct_audit(c, now, x->by, "application-refuse", "account-applications", x->id,
                        NULL, after, e);
        json_decref(after);
    }
    if (rc == 0)
        rc = load_app(c, x->id, x->out, e);
    json_decref(app);
    return rc;
}

int application_refuse(struct accounts *ac, const struct actor *by, const char *id,
                       const json_t *body, json_t **out, struct err *e)
{
    *out = NULL;
    if (authz_check_everywhere(ac->rights, by, RA_APPLICATIONS, e) < 0)
        return -1;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    static const struct form_field REASON = {"reason", true, 2000, true};
    if (!reason || !text_ok(reason, &REASON)) {
        err_set(e, 422, "required", "reason", "a refusal needs a 'reason' of 1..2000 bytes");
        return -1;
    }
    struct decide_ctx x = {by, id, body, out};
    int rc = acct_write(ac, refuse_fn, &x, e);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
