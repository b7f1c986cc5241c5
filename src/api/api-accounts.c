/* api-accounts: HTTP handlers for sign-in, users, tokens, account
 * applications, obligations, policies, rights and the calendar. */
#include "api/internal.h"

#include "auth/authz.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/i18n.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_set_session_cookie(const struct api *api, struct http_resp *resp, const char *value,
                            int64_t max_age_s)
{
    http_resp_header(resp, "Set-Cookie",
                     arena_printf(resp->arena,
                                  API_SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
                                                 "Max-Age=%" PRId64 "%s",
                                  value, max_age_s, api->secure_cookies ? "; Secure" : ""));
}

static void retry_after(struct http_resp *resp, int64_t s)
{
    if (s > 0)
        http_resp_header(resp, "Retry-After", arena_printf(resp->arena, "%" PRId64, s));
}

/* ---- session ------------------------------------------------------------------- */

static void h_login(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    char *cookie = NULL;
    json_t *me = NULL;
    int64_t wait = 0;
    struct err e = ERR_INIT;
    int rc = session_login(api->acct, json_string_value(json_object_get(body, "email")),
                           json_string_value(json_object_get(body, "password")), req->remote_ip,
                           http_req_cookie(req, API_SESSION_COOKIE), &cookie, &me, &wait, &e);
    json_decref(body);
    if (rc < 0) {
        retry_after(resp, wait);
        http_resp_problem(resp, &e);
        return;
    }
    /* the language the user signs in with is their messages' from now on */
    enum lang l = i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_N);
    json_t *user = json_object_get(me, "user");
    if (l < LANG_N && user_set_lang(api->acct, json_string_value(json_object_get(user, "id")),
                                    i18n_code(l), &e) < 0)
        log_event(LOG_WARN, "user_lang_not_saved", "error", e.detail, NULL);
    else if (l < LANG_N)
        json_object_set_new(user, "lang", json_string(i18n_code(l)));
    api_set_session_cookie(api, resp, cookie, 12 * 3600);
    free(cookie);
    http_resp_json(resp, 200, me);
}

static void h_logout(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"everywhere", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, true, &a) < 0)
        return;
    const char *cookie = http_req_cookie(req, API_SESSION_COOKIE);
    const char *ev = http_req_query(req, "everywhere");
    bool everywhere = ev && strcmp(ev, "true") == 0;
    struct err e = ERR_INIT;
    if (!cookie) {
        problem(resp, 400, "bad-request", "", "sign-out ends a session: send its cookie");
        return;
    }
    if (session_logout(api->acct, cookie, everywhere, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    api_set_session_cookie(api, resp, "", 0);
    http_resp_bytes(resp, 204, "application/json", "", 0);
}

static void h_me(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    char csrf[64];
    if (authenticate_csrf(api, req, resp, false, &a, csrf) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = session_me(api->acct, &a, &out, &e);
    if (rc == 0 && csrf[0])
        json_object_set_new(out, "csrf_token", json_string(csrf));
    answer(resp, rc, &e, out);
}

static void h_activate(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    struct err e = ERR_INIT;
    int rc = link_use(api->acct, json_string_value(json_object_get(body, "token")),
                      json_string_value(json_object_get(body, "password")), &e);
    json_decref(body);
    if (rc < 0)
        http_resp_problem(resp, &e);
    else
        http_resp_bytes(resp, 204, "application/json", "", 0);
}

static void h_reset(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    struct err e = ERR_INIT;
    int rc = password_reset_request(api->acct, json_string_value(json_object_get(body, "email")),
                                    req->remote_ip, &e);
    json_decref(body);
    if (rc < 0)
        http_resp_problem(resp, &e);
    else /* the same answer whether or not the address is known */
        http_resp_json(resp, 202,
                       json_pack("{s:s}", "status", "if the address is known, a link was sent"));
}

/* ---- personal tokens ---------------------------------------------------------- */

static void h_my_tokens(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    if (authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (!a.user[0]) {
        problem(resp, 401, "unauthorized", "", "sign in first");
        return;
    }
    int rc = token_list(api->acct, &a, a.user, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_token_create(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    if (authenticate(api, req, resp, true, &a) < 0)
        return;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    char *plain = NULL;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = token_create(api->acct, &a, a.user, json_string_value(json_object_get(body, "name")),
                          json_object_get(body, "scopes"), &plain, &out, &e);
    json_decref(body);
    if (rc == 0) {
        json_object_set_new(out, "token", json_string(plain));
        free(plain);
    }
    answer_created(resp, rc, &e, out);
}

static void h_token_revoke(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const none[] = {NULL};
    struct actor a;
    if (only_params(req, resp, none) < 0 || authenticate(api, req, resp, true, &a) < 0)
        return;
    struct err e = ERR_INIT;
    if (token_revoke(api->acct, &a, a.user, http_req_param(req, "id"), &e) < 0)
        http_resp_problem(resp, &e);
    else
        http_resp_bytes(resp, 204, "application/json", "", 0);
}

/* ---- users ------------------------------------------------------------------------ */

static void h_users(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"org", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = user_list(api->acct, &a, http_req_query(req, "org"), &out, &e);
    answer(resp, rc, &e, out);
}

static void h_user_create(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    if (authenticate(api, req, resp, true, &a) < 0)
        return;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = user_create(api->acct, &a, body, NULL, &out, &e);
    json_decref(body);
    answer_created(resp, rc, &e, out);
}

static void h_user(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    if (authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = user_get(api->acct, &a, http_req_param(req, "id"), &out, &e);
    answer(resp, rc, &e, out);
}

static void h_user_patch(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    if (authenticate(api, req, resp, true, &a) < 0)
        return;
    json_t *body = json_body(req, resp, true);
    if (!body)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = user_update(api->acct, &a, http_req_param(req, "id"), body, &out, &e);
    json_decref(body);
    answer(resp, rc, &e, out);
}

static void h_outbox(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    if (authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = outbox_list(api->acct, &a, &out, &e);
    answer(resp, rc, &e, out);
}

/* ---- account applications ------------------------------------------------------- */

static void h_app_submit(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    json_t *out = NULL;
    int64_t wait = 0;
    struct err e = ERR_INIT;
    json_t *all = e.errors = json_array(); /* every problem of the form at once */
    /* the applicant's language, when the body does not say it: the one
     * they read in (their messages and activation link, REQ X-I18N-01) */
    enum lang l = i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_N);
    if (json_is_object(body) && !json_object_get(body, "lang") && l < LANG_N)
        json_object_set_new(body, "lang", json_string(i18n_code(l)));
    int rc = application_submit(api->acct, body, req->remote_ip, &out, &wait, &e);
    json_decref(body);
    retry_after(resp, wait);
    if (rc < 0) {
        problem_all(resp, &e, all);
        return;
    }
    json_decref(all);
    http_resp_header(resp, "Location",
                     arena_printf(req->arena, "/api/v1/account-applications/%s",
                                  json_string_value(json_object_get(out, "id"))));
    answer_created(resp, rc, &e, out);
}

static void h_app_list(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"status", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = application_list(api->acct, &a, http_req_query(req, "status"), &out, &e);
    answer(resp, rc, &e, out);
}

static void h_app_get(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    if (authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = application_get(api->acct, &a, http_req_param(req, "id"), &out, &e);
    answer(resp, rc, &e, out);
}

static void app_decide(struct http_req *req, struct http_resp *resp, struct api *api, bool grant)
{
    struct actor a;
    if (authenticate(api, req, resp, true, &a) < 0)
        return;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    const char *id = http_req_param(req, "id");
    int rc = grant ? application_grant(api->acct, &a, id, body, &out, &e)
                   : application_refuse(api->acct, &a, id, body, &out, &e);
    json_decref(body);
    answer(resp, rc, &e, out);
}

static void h_app_grant(struct http_req *req, struct http_resp *resp, void *ctx)
{
    app_decide(req, resp, ctx, true);
}

static void h_app_refuse(struct http_req *req, struct http_resp *resp, void *ctx)
{
    app_decide(req, resp, ctx, false);
}

/* ---- obligations, policies, rights ----------------------------------------------- */

static void h_obligations(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"org", "role", "state", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = obligation_list(api->acct, &a, http_req_query(req, "org"),
                             http_req_query(req, "role"), http_req_query(req, "state"), &out, &e);
    answer(resp, rc, &e, out);
}

static void h_policies(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"at", NULL};
    if (only_params(req, resp, allowed) < 0)
        return;
    const char *at = http_req_query(req, "at");
    int64_t ms = time_now_ms();
    if (at && time_parse_rfc3339(at, &ms) < 0) {
        problem(resp, 400, "bad-request", "at", "'at' must be an RFC 3339 date-time");
        return;
    }
    int64_t day = calsvc_local_day(api->cal, ms);
    json_t *items = json_object();
    for (size_t i = 0; i < model_n_policies(api->model); i++) {
        const struct model_policy *p = model_policy_at(api->model, i);
        json_t *o = model_policy_json(p);
        const struct model_policy_value *v = model_policy_in_force(p, day);
        json_object_set_new(o, "in_force", v ? json_integer(v->value) : json_null());
        json_object_set_new(items, p->id, o);
    }
    char when[32];
    time_format_rfc3339(ms, when, sizeof when);
    http_resp_json(resp, 200, json_pack("{s:s, s:o}", "at", when, "policies", items));
}

static void h_rights(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    http_resp_json(resp, 200, rights_json(accounts_rights(api->acct)));
}

/* ---- calendar ---------------------------------------------------------------------- */

static int year_param(struct http_req *req, struct http_resp *resp, int *year)
{
    const char *s = http_req_param(req, "year");
    char *end = NULL;
    long y = s ? strtol(s, &end, 10) : 0;
    if (!s || *end || y < 1 || y > 9999 || strlen(s) != 4) {
        problem(resp, 404, "not-found", "year", "the year must be four digits, e.g. 2026");
        return -1;
    }
    *year = (int)y;
    return 0;
}

static void h_cal_year(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    int year;
    if (year_param(req, resp, &year) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = calsvc_year(api->cal, year, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_cal_put(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    int year;
    struct actor a;
    if (year_param(req, resp, &year) < 0 || authenticate(api, req, resp, true, &a) < 0)
        return;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    struct err e = ERR_INIT;
    json_t *out = NULL;
    int rc = -1;
    if (!json_object_get(body, "entries"))
        err_set(&e, 422, "required", "entries",
                "send {\"transfers\"?: \"loaded\"|\"none\"|\"unknown\", \"entries\": [...]}");
    else
        rc = calsvc_set_year(api->cal, accounts_rights(api->acct), &a, year, body, &e);
    if (rc == 0)
        rc = calsvc_year(api->cal, year, &out, &e);
    json_decref(body);
    answer(resp, rc, &e, out);
}

static int instant_param(struct http_req *req, struct http_resp *resp, const char *name,
                         int64_t *ms)
{
    const char *s = http_req_query(req, name);
    if (!s || time_parse_rfc3339(s, ms) < 0) {
        problem(resp, 400, "bad-request", name, "an RFC 3339 date-time is needed");
        return -1;
    }
    return 0;
}

static void h_cal_add(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"at", "days", NULL};
    int64_t at;
    if (only_params(req, resp, allowed) < 0 || instant_param(req, resp, "at", &at) < 0)
        return;
    const char *ds = http_req_query(req, "days");
    char *end = NULL;
    long days = ds ? strtol(ds, &end, 10) : -1;
    if (!ds || !*ds || *end || days < 0 || days > CALENDAR_ADD_MAX) {
        problem(resp, 400, "bad-request", "days", "'days' must be an integer 0..1000");
        return;
    }
    int64_t due;
    struct err e = ERR_INIT;
    if (calsvc_add_working_days(api->cal, at, (int)days, &due, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    char a[32], d[32];
    time_format_rfc3339(at, a, sizeof a);
    time_format_rfc3339(due, d, sizeof d);
    /* the years whose moved days off are not loaded: the due day may be one */
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:i, s:s, s:o}", "at", a, "days", (int)days, "due", d,
                             "incomplete_years", calsvc_incomplete_years(api->cal, at, due)));
}

static void h_cal_between(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"from", "to", NULL};
    int64_t from, to, n;
    if (only_params(req, resp, allowed) < 0 || instant_param(req, resp, "from", &from) < 0 ||
        instant_param(req, resp, "to", &to) < 0)
        return;
    struct err e = ERR_INIT;
    if (calsvc_working_days_between(api->cal, from, to, &n, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    http_resp_json(resp, 200,
                   json_pack("{s:I, s:o}", "working_days", (json_int_t)n, "incomplete_years",
                             calsvc_incomplete_years(api->cal, from, to)));
}

void api_account_routes(struct api *api, struct router *rt)
{
    router_add_pooled(rt, "POST", "/api/v1/session", h_login, NULL, api);
    router_add(rt, "DELETE", "/api/v1/session", h_logout, api);
    router_add(rt, "GET", "/api/v1/me", h_me, api);
    router_add(rt, "GET", "/api/v1/me/tokens", h_my_tokens, api);
    router_add(rt, "POST", "/api/v1/me/tokens", h_token_create, api);
    router_add(rt, "DELETE", "/api/v1/me/tokens/{id}", h_token_revoke, api);
    router_add_pooled(rt, "POST", "/api/v1/activation", h_activate, NULL, api);
    router_add(rt, "POST", "/api/v1/password-reset", h_reset, api);
    router_add(rt, "GET", "/api/v1/users", h_users, api);
    router_add(rt, "POST", "/api/v1/users", h_user_create, api);
    router_add(rt, "GET", "/api/v1/users/{id}", h_user, api);
    router_add(rt, "PATCH", "/api/v1/users/{id}", h_user_patch, api);
    router_add(rt, "GET", "/api/v1/outbox", h_outbox, api);
    router_add(rt, "POST", "/api/v1/account-applications", h_app_submit, api);
    router_add(rt, "GET", "/api/v1/account-applications", h_app_list, api);
    router_add(rt, "GET", "/api/v1/account-applications/{id}", h_app_get, api);
    router_add(rt, "POST", "/api/v1/account-applications/{id}/grant", h_app_grant, api);
    router_add(rt, "POST", "/api/v1/account-applications/{id}/refuse", h_app_refuse, api);
    router_add(rt, "GET", "/api/v1/obligations", h_obligations, api);
    router_add(rt, "GET", "/api/v1/policies", h_policies, api);
    router_add(rt, "GET", "/api/v1/rights", h_rights, api);
    router_add(rt, "GET", "/api/v1/calendar/add", h_cal_add, api);
    router_add(rt, "GET", "/api/v1/calendar/between", h_cal_between, api);
    router_add(rt, "GET", "/api/v1/calendar/{year}", h_cal_year, api);
    router_add(rt, "PUT", "/api/v1/calendar/{year}", h_cal_put, api);
}
