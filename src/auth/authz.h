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
#include <stddef.h>

/* May the actor do `action` on a record of `kind` belonging to record_org
 * ("" or NULL: no organisation)? */
bool authz_may(const struct rights *r, const struct actor *a, enum rights_action action,
               const char *kind, const char *record_org);
/* The same, failing with 403 "forbidden" (or 401 "unauthorized" for the
 * anonymous) and a detail that names the action. */
int authz_check(const struct rights *r, const struct actor *a, enum rights_action action,
                const char *kind, const char *record_org, struct err *e);
/* May the actor take a step of a workflow: `action` (its trigger's right)
 * on the record and, when the step names the roles that take it (`by`,
 * n_by > 0), one of those roles too? The check fails with 403 naming
 * them. */
/* Does the actor hold one of the roles (or is it the system, or are
 * there none)? */
bool authz_holds_one(const struct rights *r, const struct actor *a, const char *const *by,
                     size_t n_by);
bool authz_may_take(const struct rights *r, const struct actor *a, enum rights_action action,
                    const char *kind, const char *record_org, const char *const *by, size_t n_by);
int authz_check_take(const struct rights *r, const struct actor *a, enum rights_action action,
                     const char *kind, const char *record_org, const char *const *by, size_t n_by,
                     struct err *e);
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
