/* workflow: the registration of records (REQ REG-03, REG-04, REG-05) as
 * the metamodel's workflows declare it — submission with a completeness
 * check, the verifier's decision (accept with an accounting code, or
 * return with remarks), the review of changes to registered records —
 * with the obligations each step opens and closes, notifications, and
 * the timeline of every record.
 *
 * Each step is one write transaction: the record's new revision (status,
 * review, accounting code are its read-only fields), its audit entry, the
 * workflow event, the obligations and the messages. */
#ifndef AP_WORKFLOW_H
#define AP_WORKFLOW_H

#include "account/account.h"
#include "auth/actor.h"
#include "registry/registry.h"

#include <jansson.h>

struct workflow;

/* Hooks itself into the registry (edits of registered records, retirement)
 * and its tables into export, import and check. */
struct workflow *workflow_new(struct registry *reg, struct accounts *ac, struct calsvc *cal);
void workflow_free(struct workflow *w);
/* What a record still lacks (REQ REG-03): *gaps =
 * {"fields":[{field, problem}], "documents":[{type, number, label}],
 *  "relations":[{type, label}], "rules":[{rule, label, field, …}]} — its
 * needed fields that are empty, the documents due at its stage without a
 * signed copy, the relations the model requires that it has none of, the
 * model's rules (errors) it breaks. The one computation behind
 * submission, the stage's duty, the timeline and the card's "what is
 * missing". Without it (no documents module), only fields are known. */
typedef int (*workflow_gaps_fn)(void *ctx, const json_t *rec, json_t **gaps, struct err *e);
void workflow_set_gaps(struct workflow *w, workflow_gaps_fn fn, void *ctx);

/* The owner sends a record for verification: refused with 422
 * "incomplete" and its gaps (e->field "gaps", *gaps set, in the shape of
 * workflow_gaps_fn) while it has any; 409 when its state does not allow
 * it. *out: the record. */
int workflow_submit(struct workflow *w, const struct actor *a, const char *collection,
                    const char *id, int64_t if_match, json_t **out, json_t **gaps,
                    struct err *e);
/* The verifier's decision: {"decision":"accept"} or {"decision":"return",
 * "remarks":[{"field"?, "text"}]} on a submitted record or a registered
 * record's changes. Accepting a submission assigns the accounting code. */
int workflow_verify(struct workflow *w, const struct actor *a, const char *collection,
                    const char *id, int64_t if_match, const json_t *body, json_t **out,
                    struct err *e);
/* {"status","review","accounting_code","published","gaps":{..},
 * "events":[..],"obligations":[..],"can":[triggers the actor may start]}
 * for anyone who may read the record. */
int workflow_timeline(struct workflow *w, const struct actor *a, const char *collection,
                      const char *id, json_t **out, struct err *e);
/* The verifier's queue: records awaiting a decision, earliest deadline
 * first, with "due_at" and "overdue". Needs verify on every organisation. */
int workflow_queue(struct workflow *w, const struct actor *a, json_t **out, struct err *e);

/* Submits and accepts every record still in its initial state whose
 * needed fields are filled, at each step of its workflow until it is
 * published (an agreement: once per body); *n gets how many were
 * registered. For the
 * demo only, whose records stand for ones carried over from an earlier
 * registry: their documents are not on the portal, so they are registered
 * on their data alone and their cards show the documents still owed.
 * Submission through the API and the pages always needs the documents. */
int workflow_register_complete(struct workflow *w, const struct actor *a, int *n,
                               struct err *e);

#endif
