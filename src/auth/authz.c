/* authz: applies the rights matrix to an actor. */
#include "auth/authz.h"

#include <stdint.h>
#include <string.h>

static bool writes(enum rights_action action)
{
    return action == RA_CREATE || action == RA_UPDATE || action == RA_RETIRE ||
           action == RA_SUBMIT || action == RA_VERIFY || action == RA_APPLICATIONS || action == RA_USERS || action == RA_CALENDAR;
}

bool authz_may(const struct rights *r, const struct actor *a, enum rights_action action,
               const char *kind, const char *record_org)
{
    if (a->system)
        return true;
    if (a->read_only && writes(action))
        return false;
    bool own = a->org[0] && record_org && strcmp(a->org, record_org) == 0;
    return rights_allows(r, a->roles, action, kind, own);
}

static int refuse(const struct actor *a, enum rights_action action, const char *kind,
                  struct err *e)
{
    if (!a->user[0] && !a->system) {
        err_set(e, 401, "unauthorized", "", "sign in first: '%s' needs an account",
                rights_action_id(action));
        return -1;
    }
    if (a->read_only && writes(action)) {
        err_set(e, 403, "forbidden", "", "this token has no 'write' scope");
        return -1;
    }
    err_set(e, 403, "forbidden", "", "your roles do not allow '%s'%s%s", rights_action_id(action),
            kind ? " on this " : "", kind ? kind : "");
    return -1;
}

int authz_check(const struct rights *r, const struct actor *a, enum rights_action action,
                const char *kind, const char *record_org, struct err *e)
{
    return authz_may(r, a, action, kind, record_org) ? 0 : refuse(a, action, kind, e);
}

static bool holds_one(const struct rights *r, const struct actor *a, const char *const *by,
                      size_t n_by)
{
    for (size_t i = 0; i < n_by; i++) {
        int role = rights_role_index(r, by[i]);
        if (role >= 0 && (a->roles & (UINT32_C(1) << role)))
            return true;
    }
    return n_by == 0 || a->system;
}

bool authz_holds_one(const struct rights *r, const struct actor *a, const char *const *by,
                     size_t n_by)
{
    return holds_one(r, a, by, n_by);
}

bool authz_may_take(const struct rights *r, const struct actor *a, enum rights_action action,
                    const char *kind, const char *record_org, const char *const *by, size_t n_by)
{
    return authz_may(r, a, action, kind, record_org) && holds_one(r, a, by, n_by);
}

int authz_check_take(const struct rights *r, const struct actor *a, enum rights_action action,
                     const char *kind, const char *record_org, const char *const *by, size_t n_by,
                     struct err *e)
{
    if (authz_check(r, a, action, kind, record_org, e) < 0)
        return -1;
    if (holds_one(r, a, by, n_by))
        return 0;
    char roles[200] = "";
    size_t n = 0;
    for (size_t i = 0; i < n_by && n < sizeof roles; i++) {
        int w = snprintf(roles + n, sizeof roles - n, "%s%s", i ? ", " : "", by[i]);
        n += w > 0 ? (size_t)w : 0;
    }
    err_set(e, 403, "forbidden", "", "this step is taken by another role (%s)", roles);
    return -1;
}

/* No organisation id starts with this byte, so the record is never "own". */
#define OTHER_ORG "\x01other"

bool authz_may_everywhere(const struct rights *r, const struct actor *a,
                          enum rights_action action)
{
    return authz_may(r, a, action, NULL, OTHER_ORG);
}

int authz_check_everywhere(const struct rights *r, const struct actor *a,
                           enum rights_action action, struct err *e)
{
    return authz_check(r, a, action, NULL, OTHER_ORG, e);
}

int authz_system(const struct rights *r, const struct actor *a, enum rights_action action,
                 bool *any, struct err *e)
{
    *any = a->system || authz_may_everywhere(r, a, action);
    if (*any || authz_may(r, a, action, NULL, a->org))
        return 0;
    return refuse(a, action, NULL, e);
}
