/* rights: the rights matrix (role × action × kind × own/any organisation),
 * loaded from a data file beside the metamodel (model/rights-kz.json) and
 * checked against it at start. Everything not granted is refused.
 *
 * The matrix is immutable once loaded and shared by all threads. The one
 * place that applies it to a request is authz.h. */
#ifndef AP_RIGHTS_H
#define AP_RIGHTS_H

#include "model/model.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The actions the code checks. Record actions take a kind; the others
 * ("system" actions) do not. */
enum rights_action {
    RA_READ_RESTRICTED, /* read restricted fields (contacts) of a record */
    RA_READ_UNPUBLISHED, /* read records the workflow has not published */
    RA_CREATE,
    RA_UPDATE,
    RA_RETIRE,
    RA_SUBMIT,          /* submit a record for verification */
    RA_VERIFY,          /* accept or return a submitted or changed record */
    RA_READ_RESTRICTED_DOCS, /* download a record's documents under restriction */
    RA_DECIDE_INCLUSION, /* accept or refuse a product into the operator's list */
    RA_APPLICATIONS,    /* list and decide account applications */
    RA_USERS,           /* manage users and their roles */
    RA_CALENDAR,        /* edit the working-day calendar */
    RA_OBLIGATIONS,     /* read deadlines (own organisation's, or all) */
    RA_METRICS,         /* read the server's metrics (GET /metrics) */
    RA_RULES_REPORT,    /* read the report on the model's rules (GET /rules) */
    RA_INTERCHANGE,     /* export (and import) the architecture in exchange formats */
    RA_N
};

/* At most 32 roles: a user's roles are a bit set. */
#define RIGHTS_MAX_ROLES 32

struct rights;

/* Loads and checks the rights file against the model. Errors name the key
 * at fault, e.g. "grants[3].kinds[1]: unknown kind 'sytem'". */
int rights_load(const char *text, size_t len, const struct model *m, struct rights **out,
                struct err *e);
void rights_free(struct rights *r);

/* The action's id as written in the file ("read-restricted", ...). */
const char *rights_action_id(enum rights_action a);
bool rights_action_is_system(enum rights_action a);

size_t rights_n_roles(const struct rights *r);
const char *rights_role_id(const struct rights *r, size_t i);
/* Role i's label, {"kk","ru","en"} (borrowed), or NULL. */
const json_t *rights_role_label(const struct rights *r, size_t i);
/* The system action that giving role i takes (its "granted_with"): who
 * holds it on every organisation may grant the role. */
enum rights_action rights_role_granted_with(const struct rights *r, size_t i);
/* Index of a role id, or -1. */
int rights_role_index(const struct rights *r, const char *id);
/* The role's label in lang ("kk", "ru", "en"), from rights.json; the id
 * when the role is unknown. Lives as long as r. */
const char *rights_role_label_in(const struct rights *r, const char *id, const char *lang);
/* Parses "a b c" (space-separated role ids) into a bit set; -1 on an
 * unknown id or an empty list. */
int rights_roles_parse(const struct rights *r, const char *list, uint32_t *out);
/* The space-separated form of a bit set (into out, n bytes). */
void rights_roles_format(const struct rights *r, uint32_t roles, char *out, size_t n);

/* Does any of `roles` grant action a on kind (NULL for system actions)
 * for a record of the actor's own organisation (own) or of another? */
bool rights_allows(const struct rights *r, uint32_t roles, enum rights_action a,
                   const char *kind, bool own);

/* {"roles":{id:{label}}, "actions":{id:{label}}, "matrix":[{role, action,
 * kind|null, own, other}]} for GET /api/v1/rights (new ref). */
json_t *rights_json(const struct rights *r);

#endif
