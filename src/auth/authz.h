/* authz: the one place where the rights matrix is applied to an actor.
 *
 * "Own" means the record belongs to the actor's organisation: an
 * organisation record is its own, an owned record belongs to its owner, a
 * relation to the organisation of its source (the registry works that out
 * and passes it as record_org). System actors (the CLI, the demo loader)
 * may do everything; a read-only token may write nothing. */
#ifndef AP_AUTHZ_H
#define AP_AUTHZ_H

#include "auth/actor.h"
#include "auth/rights.h"
#include "util/err.h"

#include <stdbool.h>

/* May the actor do `action` on a record of `kind` belonging to record_org
 * ("" or NULL: no organisation)? */
bool authz_may(const struct rights *r, const struct actor *a, enum rights_action action,
               const char *kind, const char *record_org);
/* The same, failing with 403 "forbidden" (or 401 "unauthorized" for the
 * anonymous) and a detail that names the action. */
int authz_check(const struct rights *r, const struct actor *a, enum rights_action action,
                const char *kind, const char *record_org, struct err *e);
/* System actions on every organisation (not only the actor's own): the
 * integrator's and administrators' duties. */
bool authz_may_everywhere(const struct rights *r, const struct actor *a,
                          enum rights_action action);
int authz_check_everywhere(const struct rights *r, const struct actor *a,
                           enum rights_action action, struct err *e);
/* System actions: may the actor do it for its own organisation only
 * (*any = false) or for every organisation (*any = true)? -1 with 403 when
 * neither. */
int authz_system(const struct rights *r, const struct actor *a, enum rights_action action,
                 bool *any, struct err *e);

#endif
