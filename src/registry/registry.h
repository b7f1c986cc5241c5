/* registry: the generic engine that stores, validates, versions, indexes,
 * searches and audits records of every kind the metamodel declares.
 *
 * Every write is one transaction that stores the record's new state, a new
 * revision (a full snapshot) and an audit entry chained by hash. Records
 * are never deleted: DELETE retires them (a revision with "retired_at"),
 * which removes them from lists and searches but keeps their history.
 *
 * A record's JSON: id, kind (or type, source, target for relations),
 * owner, name, revision, created_at, updated_at, [retired_at], then the
 * kind's own fields in model order. */
#ifndef AP_REGISTRY_H
#define AP_REGISTRY_H

#include "auth/actor.h"
#include "auth/rights.h"
#include "model/model.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdint.h>


struct registry;

struct registry *registry_new(struct store *s, const struct model *m);
void registry_free(struct registry *r);
const struct model *registry_model(const struct registry *r);
/* The rights matrix every write is checked against (auth/authz.h). Without
 * one, only system actors may write. */
void registry_set_rights(struct registry *r, const struct rights *rights);
const struct rights *registry_rights(const struct registry *r);

/* The organisation a record belongs to, for rights: an organisation
 * itself, an owned record's owner, a relation's source's organisation
 * (looked up). "" when none. */
int registry_record_org(struct registry *r, struct store_conn *c, const json_t *rec, char *out,
                        size_t n, struct err *e);

/* May the actor read this stored record? Published records (and kinds
 * without a workflow) are public; the others need read-unpublished. A
 * relation may be read by those who may read both of its ends (their
 * current state). */
bool registry_may_read(const struct registry *r, const struct actor *a, const json_t *rec);
/* The report on the model's rules over the records a may read:
 * {"items":[{rule, label, requirement, layer, severity, applicable,
 * compliant, compliant_percent, violators:[{id, kind, name, owner,
 * field | relation+direction}]}]}
 * (violators listed: see `listed` below; the counts are exact). Each
 * record is judged by the rules in force on its judging day
 * (model_judging_ms, turned into a local day by day_of). */
typedef int64_t (*registry_day_fn)(void *ctx, int64_t t_ms); /* instant -> local day */
/* Only the rules of `layer` and the rule `rule` (each NULL: any); an
 * unknown layer or rule is a 400. With `by` ("owner", or a kind the
 * model's rule_report groups by, e.g. "domain"), each rule's item also has
 * "by": [{id (null: in none), name?, applicable, compliant,
 * compliant_percent}], most broken first: by the record's owner (the
 * body), or by the records of that kind whose view reaches it (a record
 * counts in each; 400 for another `by`). */
struct registry_rules_filter {
    const char *layer, *rule, *by;
    size_t listed; /* violators listed per rule at most (0: 1,000 of one rule, 100 of several;
                      never more than 1,000) */
};
/* The local day of an instant, for what is judged "today" (the model's
 * date terms, e.g. a termination date that has come): set once at start;
 * without it, UTC's day. */
void registry_set_day(struct registry *r, registry_day_fn day_of, void *ctx);
int64_t registry_today(const struct registry *r);
int registry_rules_report(struct registry *r, const struct actor *a, registry_day_fn day_of,
                          void *day_ctx, const struct registry_rules_filter *only, json_t **out,
                          struct err *e);
/* Records the day's figures of every rule (local date `day`,
 * "YYYY-MM-DD") unless that day has them: over every record, whoever may
 * read it, per rule (the kept judgements answer), in one write; the
 * report's "trend" shows them. *recorded says whether it wrote. */
int registry_rules_record(struct registry *r, registry_day_fn day_of, void *day_ctx,
                          const char *day, bool *recorded, struct err *e);
/* The model's score `score` (section "scores", e.g. an ICT project's risk
 * level, REQ MON-07) of every live record of its kind the reader may read,
 * over what they may read, judged today (registry_today):
 * {"score", "label", "kind", "judged_on", "scale": [{level, value, label}],
 *  "factors": [{id, label, unit?, requirement?, thresholds: {from, at,
 *  source?}}], "totals": group, "by": [group…] (per owner, the riskiest
 *  first), "items": [{id, name, owner, level, value, factors: [{factor,
 *  applies: false | value (null: no data), level, and what it comes from:
 *  item (its position), due, done, done_field | actual, planned, items | records
 *  [{id, due}] | record {id}, on | record, baseline, target, actual}]}]} in
 *  name order (as of the last whole judging); a group is {owner, name, records, assessed,
 *  level (its riskiest record's; null: none assessed), value, levels: [a
 *  count per level]}. The answer is shared and kept: read it, never change
 *  it (json_decref when done); *index (index may be NULL), shared the same
 *  way, maps each record's id to its item's position. 404 for an unknown
 *  score. */
int registry_score(struct registry *r, const struct actor *a, const char *score, json_t **out,
                   json_t **index, struct err *e);
/* The item of record id in a registry_score answer (with its index), or NULL. */
const json_t *registry_score_item(const json_t *score, const json_t *index, const char *id);
/* May the actor read the record as it was unpublished (its draft phase:
 * every revision, who made it)? read-unpublished on the record, or for a
 * relation on both of its ends. */
bool registry_may_read_unpublished(const struct registry *r, const struct actor *a,
                                   const json_t *rec);
/* True when stored record text is surely of a published record (or of a
 * kind without a workflow, not a relation); false means: parse it and ask
 * may_read. */
bool registry_text_surely_public(const struct registry *r, const char *text, size_t len);
/* The same for reader a and a record of `collection` (a signed-in reader
 * reads the kinds only the signed-in read): true only when a may surely
 * read it without parsing; false: parse and ask registry_may_read. */
bool registry_text_surely_readable(const struct registry *r, const struct actor *a,
                                   const char *collection, const char *text, size_t len);

/* Who acted, as those who may not read a record unpublished see it: a
 * user's (or a user's token's) organisation as "org:<id>" (through the
 * function set below; "user" when it cannot tell), other actors (the
 * command line, the demo loader) as they are. */
typedef int (*registry_actor_org_fn)(void *ctx, const char *user_id, char *org, size_t n);
void registry_set_actor_org(struct registry *r, registry_actor_org_fn fn, void *ctx);
void registry_public_actor(const struct registry *r, const char *actor, char *out, size_t n);
/* The first revision of a record that those who may not read it
 * unpublished see: its first published one (a relation: the one in force
 * when its later end was first published). 0 when there is none (they see
 * nothing of its history), 1 for a kind without a workflow. *at gets that
 * publication's instant ("" for 1). */
int registry_public_since(struct registry *r, const json_t *rec, int64_t *revision, char at[32],
                          struct err *e);
/* The current record, parsed, if the actor may read it: 404 when it does
 * not exist or may not be read, 410 when retired. collection NULL: any. */
int registry_get_visible(struct registry *r, const struct actor *a, const char *collection,
                         const char *id, json_t **out, struct err *e);
/* The inherited items of rec (a stored record the actor may read) when its
 * kind inherits (REQ ARC-06): {"<field>": [{"from": "<base id>", "items":
 * [...]}, …]}, nearest base first, bases without items left out; the chain
 * stops at a base the actor may not read or that is retired. *out NULL
 * when the kind inherits nothing. Computed now: never stored. */
int registry_inherited(struct registry *r, const struct actor *a, const json_t *rec, json_t **out,
                       struct err *e);
/* The same for record `id`, given its stored text, as compact JSON text
 * (malloc'd; NULL when the kind inherits nothing). Answers are kept until
 * the next write (cache.h), per record and what the reader may read. */
int registry_inherited_text(struct registry *r, const struct actor *a, const char *id,
                            const char *json, char **out, struct err *e);
/* Computed measures (model "measures"; REQ ARC-06, ARC-17): of rec (a
 * stored record the actor may read), {"<measure>": {"items": n, "done": m,
 * "level": m/n rounded to 0.001, or null when n is 0}, …} over the records
 * its kind's paths reach that the actor may read. *out NULL when the kind
 * declares none. Computed now: never stored. */
int registry_measures(struct registry *r, const struct actor *a, const json_t *rec, json_t **out,
                      struct err *e);
/* The same for record `id`, given its stored text, as compact JSON text
 * (malloc'd; NULL when none), kept until the next write per record and
 * what the reader may read. */
int registry_measures_text(struct registry *r, const struct actor *a, const char *id,
                           const char *json, char **out, struct err *e);
/* Both parts a read of record `id` computes (registry_inherited_text and
 * registry_measures_text, from the same cache), from its stored text,
 * reading each other record once for both. */
int registry_computed_text(struct registry *r, const struct actor *a, const char *id,
                           const char *json, char **inherited, char **measures, struct err *e);
/* registry_measures, answered from (and kept in) the same cache as
 * registry_measures_text: for pages that show many records' measures. */
int registry_measures_kept(struct registry *r, const struct actor *a, const json_t *rec,
                           json_t **out, struct err *e);
/* The records measure km (of rec's kind) is taken over from rec, as the
 * actor may read them: a new array, in the order they were reached. */
int registry_measure_records(struct registry *r, const struct actor *a,
                             const struct model_kind_measure *km, const json_t *rec, json_t **out,
                             struct err *e);
/* {"items", "done", "level"} of one measure (new reference). */
json_t *registry_measure_json(long items, long done);
/* Measure `measure` of record `id` as the actor may read it: *items and
 * *done (both 0 when the kind does not declare that measure). 404 when the
 * record does not exist for the actor. */
int registry_measure(struct registry *r, const struct actor *a, const char *measure, const char *id,
                     long *items, long *done, struct err *e);
/* The master data under record `id` as the reader may read them, through
 * the model's measure "digitisation": of a type its own and inherited
 * attributes, of a subject or object its own and those of every type
 * below it, of a domain those of its master data, of a function, service
 * or process those of the data it accesses (with their bases'), of a
 * capability those of what it groups; *digitised: those whose storage
 * source is an object in operation. */
int registry_digitisation(struct registry *r, const struct actor *a, const char *id,
                          long *attributes, long *digitised, struct err *e);
/* Gives the stored records that lack a list of refs declared with
 * "migrate_from" the records of its kinds whose name occurs in that text
 * field (an edit by "system:migration" each; the text stays). Run by
 * `serve` and `migrate`; records no name matches are left as they are. */
int registry_migrate_fields(struct registry *r, struct err *e);
struct list_query;
/* Narrows a list query to what the actor may read: only published
 * records, unless it may read unpublished ones of every organisation or
 * lists only its own organisation's; relations whose ends it may read
 * (reg_relation_visible). q may then point into *a: use it while a lives. */
int registry_scope_list(const struct registry *r, const struct actor *a, struct list_query *q,
                        struct err *e);

/* Removes the restricted fields of rec (a stored record) unless the actor
 * may read them. Returns true when something was removed. */
bool registry_redact(const struct registry *r, const struct actor *a, json_t *rec);
/* Removes from gaps (the shape of workflow_gaps_fn) the fields and rules
 * about restricted fields of rec that the actor may not read: that such a
 * field is empty is not theirs to know either. */
void registry_redact_gaps(const struct registry *r, const struct actor *a, const json_t *rec,
                          json_t *gaps);
/* Could JSON text (a record or a page of them) hold a restricted field?
 * False proves it does not (the text can then be served as it is). */
bool registry_text_may_hold_restricted(const struct registry *r, const char *text, size_t len);
/* The same on stored JSON text: NULL when nothing needs removing (the text
 * is served as it is), else the redacted text (malloc'd). */
char *registry_redact_text(const struct registry *r, const struct actor *a, const char *text,
                           size_t len);
struct store *registry_store(const struct registry *r);

/* A write (one group-commit savepoint) for callers that change their own
 * tables together with records: registry calls made on this thread in
 * between join it, and leave applies the registry's in-memory indexes
 * after the commit. Returns 0 when durable. */
struct store_conn *registry_write_enter(struct registry *r, struct err *e);
int registry_write_leave(struct registry *r, struct store_conn *c, int rc, struct err *e);

/* Creates a record in `collection` from a client's JSON object. Read-only
 * members (id, revision, timestamps, computed fields) are ignored; any
 * other unknown member is refused. `id` forces the new record's id (demo
 * data); NULL issues a new one. *out gets the stored record (new ref). */
int registry_create(struct registry *r, const struct actor *a, const char *collection,
                    const json_t *body, const char *id, json_t **out, struct err *e);

/* The current record as stored JSON text (arena copy) with its revision.
 * 404 when unknown (or in another collection), 410 when retired. */
int registry_get_raw(struct registry *r, struct arena *ar, const char *collection,
                     const char *id, char **json, int64_t *revision, struct err *e);

/* The record as it was at instant at_ms (the last revision at or before
 * it), if the actor may read it as it was then (a relation: both ends as
 * they were then, and now). 404 when it did not exist yet or may not be
 * read, 410 when it was retired then. */
int registry_get_at(struct registry *r, const struct actor *a, const char *collection,
                    const char *id, int64_t at_ms, json_t **out, struct err *e);

/* Applies a JSON merge patch (RFC 7396) if the record is at revision
 * if_match (412 otherwise) and validates the result as a whole. A patch
 * that changes nothing stores nothing and returns the record as it is. */
int registry_patch(struct registry *r, const struct actor *a, const char *collection,
                   const char *id, int64_t if_match, const json_t *patch, json_t **out,
                   struct err *e);

/* Called inside the write transaction of every update that changes a
 * record and of every retirement (next then has "retired_at"), after
 * validation and before storing: may change next's read-only fields and
 * write its own tables on c, or fail the write. */
typedef int (*registry_update_hook)(void *ctx, struct store_conn *c, const struct actor *a,
                                    const json_t *prev, json_t *next, struct err *e);
void registry_set_update_hook(struct registry *r, registry_update_hook hook, void *ctx);

/* Changes a record's read-only fields (a workflow step) inside the
 * caller's write transaction (registry_write_enter): fn gets the current
 * state and a copy to change; the result is stored as a new revision with
 * its audit entry, under `action`. if_match < 0 skips the revision check.
 * Rights are the caller's business. */
typedef int (*registry_mutate_fn)(void *ctx, struct store_conn *c, const json_t *cur,
                                  json_t *next, struct err *e);
int registry_transition(struct registry *r, struct store_conn *c, const struct actor *a,
                        const char *collection, const char *id, int64_t if_match,
                        const char *action, registry_mutate_fn fn, void *ctx, json_t **out,
                        struct err *e);

/* Retires a record (and the relations that touch it). if_match < 0 skips
 * the revision check. */
int registry_retire(struct registry *r, const struct actor *a, const char *collection,
                    const char *id, int64_t if_match, struct err *e);

/* {"id":..,"items":[{revision, at, actor, action, changes:[{field, before,
 * after}]}]}, oldest first, as the actor may see it: 404 when it may not
 * read the record (retired ones are read as they were); those who may not
 * read it unpublished see the revisions from registry_public_since on (the
 * first one's changes from nothing) with registry_public_actor. */
int registry_history(struct registry *r, const struct actor *a, const char *collection,
                     const char *id, json_t **out, struct err *e);

/* Relations of a record: direction "out", "in" or "both", optional type.
 * {"items":[relation + "direction"]}. */
int registry_relations_of(struct registry *r, const char *collection, const char *id,
                          const char *direction, const char *type, json_t **out,
                          struct err *e);

/* A traceability walk (GET /api/v1/{collection}/{id}/trace): from the
 * record `id`, along relations out of it (out), into it (in) or both, up
 * to `depth` levels, of the types listed (NULL-terminated; NULL: all).
 * Only records and relations the actor may read are listed or crossed.
 * At most max_nodes nodes (0: REGISTRY_TRACE_MAX_NODES); "truncated" says
 * the walk was cut there. *out: {id, nodes:[{id, kind, name, depth}],
 * edges:[{id, type, source, target}], truncated} (new ref). 404/410 as a
 * GET of the record. With at_set: the walk as of the instant at_ms (the
 * relations and records as their revisions were then, each record seen
 * only if it existed, was not retired and may be read as it was and as it
 * is; 404/410 for the start as a GET ?at= gives), and "at" in the answer. */
/* How many live relations of `type` the stored record rec has, out of it
 * or into it (every one, whoever may read it): the model_relation_count_fn
 * by which rules over relations are judged (ctx: the registry). -1 on a
 * store error. */
int registry_count_relations(void *ctx, const json_t *rec, const char *type, bool out);
/* How many live records requirement q links to the stored record rec
 * (rule-count.c): the model_relation_count_fn by which every rule is
 * judged (ctx: the registry). -1 on a store error. */
int registry_count_rule(void *ctx, const json_t *rec, const struct model_rule_relation *q,
                        int64_t day);

#define REGISTRY_TRACE_MAX_DEPTH 10
#define REGISTRY_TRACE_MAX_NODES 5000
struct registry_trace_query {
    bool out, in;
    int depth;
    const char *const *types;
    /* per type listed, the ways it is followed (REGISTRY_TRACE_OUT | _IN),
     * within out/in: e.g. down a chain, groups out and automates in; NULL:
     * every type both ways */
    const unsigned char *type_ways;
    size_t max_nodes;
    bool at_set;
    int64_t at_ms;
};
enum { REGISTRY_TRACE_OUT = 1, REGISTRY_TRACE_IN = 2 };
/* Parses a walk's ?types=a,b:out,c:in (NULL: every type, *types NULL):
 * relation types of the model, each followed both ways or only out of the
 * records met (:out) or into them (:in); *ways NULL when no type names a
 * way. 400 naming `types` otherwise. Strings in the arena. */
int registry_trace_types(const struct model *m, struct arena *ar, const char *text,
                         const char *const **types, const unsigned char **ways, struct err *e);
int registry_trace(struct registry *r, const struct actor *a, const char *collection,
                   const char *id, const struct registry_trace_query *q, json_t **out,
                   struct err *e);
/* The same walk's answer as JSON text (*out malloc'd, *len its length),
 * written as it is found, without building JSON values. */
int registry_trace_text(struct registry *r, const struct actor *a, const char *collection,
                        const char *id, const struct registry_trace_query *q, char **out,
                        size_t *len, struct err *e);

/* One relation met by registry_links: its end among the records asked
 * about and its other end (the other end's kind, NULL when unknown, and row
 * id, 0 when unknown). Strings live in the arena or as long as the
 * registry. */
struct registry_link {
    const char *from, *other, *other_kind;
    uint32_t other_rid;
    uint32_t other_node; /* its node in the graph + 1 (registry_links_of), 0: unknown */
};
/* The live relations of `type` out of (out) or into (!out) the n records
 * listed whose other end is a live record and that the reader a may read
 * (both ends readable: as a walk decides, by the relation's visibility,
 * else by its stored ends), from the relations graph in memory, record
 * by record as listed, each one's in the order of their row ids, in the
 * arena (each other end's id copied once). Returns their count, or -1 when
 * the graph is not built (the caller asks the store instead). */
long registry_links(struct registry *r, const struct actor *a, struct arena *ar, const char *type,
                    bool out, const char *const *ids, size_t n, struct registry_link **links);
/* The same from the records' nodes in the graph as an earlier call gave
 * them (other_node; 0: unknown, looked up by its id in ids), so that
 * thousands of records reached are not looked up again by their ids. */
long registry_links_of(struct registry *r, const struct actor *a, struct arena *ar,
                       const char *type, bool out, const uint32_t *nodes, const char *const *ids,
                       size_t n, struct registry_link **links);
/* A reader's view of an instant (REQ ARC-12), for what is drawn as of a
 * date over many records (the capability map): records as they were then
 * (their last revision at or before it, not retired then, readable by a
 * then and now, as a GET ?at= decides), each read once per view. */
struct registry_at;
struct registry_at *registry_at_open(struct registry *r, const struct actor *a, int64_t at_ms);
void registry_at_close(struct registry_at *v);
/* The instant as stored (RFC 3339, UTC). */
const char *registry_at_instant(const struct registry_at *v);
/* Record id as it was then (borrowed until registry_at_close), or NULL
 * when it was not there then or may not be read. */
const json_t *registry_at_record(struct registry_at *v, const char *id, struct err *e);
/* The records of a collection there then: into gets id → the record then
 * (new references), order (may be NULL) their ids by name then. -1 on a
 * store error. */
int registry_at_collection(struct registry_at *v, const char *collection, json_t *into,
                           json_t *order, struct err *e);
/* Was record id not written since the instant (so that it is as it was
 * then, and the indexes in memory hold its state then)? False also on a
 * store error. */
bool registry_at_unchanged(struct registry_at *v, const char *id);
/* registry_links as of then: the relations of `type` out of (out) or into
 * the n records listed that were live then, whose other end was there then
 * (as registry_at_record sees it), in the arena; their count or -1. */
long registry_at_links(struct registry_at *v, struct arena *ar, const char *type, bool out,
                       const char *const *ids, size_t n, struct registry_link **links,
                       struct err *e);
/* Sets each record's "name" in recs (id → {…, rid}: row ids as
 * registry_links gives them) from its stored record, read without parsing
 * it (a record without a name gets none). -1 on a store error. */
int registry_names(struct registry *r, json_t *recs, struct err *e);
/* Does the live record rid of `collection` hold `value` in `field`, as the
 * filter index in memory says: 1 or 0, or -1 when the index does not hold
 * that field (or is not built). */
int registry_field_has(struct registry *r, const char *collection, const char *field,
                       const char *value, uint32_t rid);

/* Architecture versions (a kind's "snapshot", issue 16; snapshot.c). The
 * comparison of two versions of the same kind that the actor may read:
 * {from: {id, at, hash}, to: {…}, counts: {added, changed, removed},
 * added: [{id, kind, collection, name}], changed: [{…, fields: [{field,
 * from?, to?}]}], removed: […]} (at most 1,000 listed per change; a record
 * whose revision changed but no field counts as unchanged). 404 when
 * either may not be read or froze nothing. */
int registry_snapshot_compare(struct registry *r, const struct actor *a, const char *collection,
                              const char *id, const char *other, json_t **out, struct err *e);
/* Does the version (a stored record of a snapshot kind) hold the record
 * `element`: 1 yes, 0 no, -1 on a store error. */
int registry_snapshot_has(struct registry *r, const json_t *version, const char *element);
/* The version's content as JSON to out: {"version": {id, name, at, hash,
 * elements}, "records": [each record as it was then, in the order they
 * were made]}, for a
 * reader who may read the version: one who reads only published records
 * gets those published then (and the relations between them), restricted
 * fields redacted as on a read. */
int registry_snapshot_content(struct registry *r, const struct actor *a, const char *collection,
                              const char *id, FILE *out, struct err *e);
/* The elements of version `id` in its collection `of` (NULL or "": the
 * first it holds; relations are no elements) as they were then, those
 * whose name in any language holds q (folded; NULL or "": all), by name:
 * {version: {id, kind, collection, name, at, hash, elements},
 * collections: [the collections of elements it holds], collection, total,
 * items: [{id, kind, collection, name}] (offset, at most limit)}. A reader
 * of published records only gets those published then. 404 as for a
 * comparison; 400 when the version holds no collection `of`. */
int registry_snapshot_members(struct registry *r, const struct actor *a, const char *collection,
                              const char *id, const char *of, const char *q, size_t offset,
                              size_t limit, json_t **out, struct err *e);
/* Element `element` of version `id` as it was then: {version: {…},
 * record (restricted fields redacted as on a read), relations: [{type,
 * direction: "out"|"in", other: {id, kind, collection, name}, record}] of
 * the relations it had then with elements there then}; 404 when the
 * version does not hold it (or holds it unpublished, for a reader of
 * published records only, who never sees a relation to such an end). */
int registry_snapshot_member(struct registry *r, const struct actor *a, const char *collection,
                             const char *id, const char *element, json_t **out, struct err *e);

/* A record's view (model key "views" of its kind, issue 15): *out gets
 * {id, view, record (as the reader may read it), sections:[{name,
 * items:[{id, kind, collection, name}], truncated}], diagrams:[{name,
 * nodes:[ids], edges:[relation members, or {field, source, target} for a
 * ref]}], max_records[, at]} (new ref). Every step goes only through
 * records the actor may read; a section lists at most q->max_records
 * records (0: REGISTRY_VIEW_MAX_RECORDS) and a step reaches at most
 * REGISTRY_VIEW_MAX_REACH (truncated says it was cut). 404 when the record
 * may not be read or its kind has no such view, 410 when retired.
 *
 * As of q->at_ms when q->at_set (REQ ARC-12): the record as
 * registry_get_at gives it (404 when it did not exist then or may not be
 * read as it was, 410 when retired then), and every step and diagram over
 * the records and relations as they were then (their last revision at or
 * before it), those retired then left out, each readable by the actor as
 * it was and as it is. */
#define REGISTRY_VIEW_MAX_RECORDS 500
#define REGISTRY_VIEW_MAX_REACH 5000
struct registry_view_query {
    size_t max_records;
    bool at_set;
    int64_t at_ms;
};
int registry_view(struct registry *r, const struct actor *a, const char *collection,
                  const char *id, const char *name, const struct registry_view_query *q,
                  json_t **out, struct err *e);

/* The live records that name record id through a ref field (a ref, a
 * list of refs, a ref sub-field of an object or of a list's items; not the
 * owner, not relations) that a may read, judged without the restricted
 * fields a may not read: {"groups": [{kind, collection, field, [sub],
 * count, items: [{id, name}]}], "complete": bool}, a group per kind and
 * field in the order met (kinds by id). A group lists at most max records
 * (0: REGISTRY_REFERRERS_MAX) and counts them all; at most
 * REGISTRY_REFERRERS_MAX_SCAN referring records are looked at (complete
 * false when there were more). */
#define REGISTRY_REFERRERS_MAX 500
#define REGISTRY_REFERRERS_MAX_SCAN 2000
int registry_referrers(struct registry *r, const struct actor *a, const char *id, size_t max,
                       json_t **out, struct err *e);

/* Builds the in-memory filter index (for a serving process: lists, totals
 * and facets then come from memory). Call once, before serving. */
int registry_enable_filter_index(struct registry *r, struct err *e);
/* On a database several nodes serve (store_shared): applies the other
 * nodes' writes not applied yet now (a thread does it when notified, or
 * each second; feed.c). Nothing otherwise. */
int registry_feed_catch_up(struct registry *r, struct err *e);
/* How many of the other nodes' writes this one applied, and the last
 * change it applied (*seq). */
uint64_t registry_feed_applied(const struct registry *r, int64_t *seq);

/* Computes the per-language name sort keys (sort_kk, sort_ru, sort_en) of
 * records stored before the keys existed. Call once at start; cheap when
 * none is missing. */
int registry_fill_sort_keys(struct registry *r, struct err *e);

/* The record's name as a reader of lang ("kk", "ru", "en") sees it: in
 * lang, else in another language (kk → ru → en, ru → kk → en,
 * en → ru → kk, as the pages fall back); NULL when it has none. */
const char *registry_name_in(const json_t *rec, const char *lang);
/* The stored JSON of record id (retired or not) on connection c, for the
 * system's own messages, not for a reader (new ref); NULL when there is
 * none or it cannot be read. */
json_t *registry_load_json(struct store_conn *c, const char *id);

struct list_query;
/* {"items":[…],"total":N,"next_cursor":"…"|null} as text (arena), the
 * items spliced from the stored JSON without re-serialising it. */
int registry_list_text(struct registry *r, struct arena *ar, const struct list_query *q,
                       char **out, size_t *len, struct err *e);
/* The same as a JSON value. */
int registry_list(struct registry *r, struct arena *ar, const struct list_query *q, json_t **out,
                  struct err *e);
/* {"field":F,"values":[{"value":..,"count":N}]} under the same filters. */
int registry_facets(struct registry *r, struct arena *ar, const struct list_query *q,
                    const char *field, json_t **out, struct err *e);

/* The facets of several fields under the same filters (the matching set
 * found once): out[i] gets field i's answer, as registry_facets gives it.
 * On error no out[i] is left set. */
#define REGISTRY_MAX_FACETS 16
int registry_facets_many(struct registry *r, struct arena *ar, const struct list_query *q,
                         const char *const *fields, size_t n, json_t **out, struct err *e);

/* Canonical text of an audit entry that its hash covers (malloc'd). */
char *audit_canonical(int64_t seq, const char *at, const char *actor, const char *action,
                      const char *collection, const char *record_id, int64_t revision,
                      const char *before, const char *after, const char *prev_hash);
/* Appends an audit entry inside the caller's write transaction. */
int audit_append(struct store_conn *c, const char *at, const struct actor *a, const char *action,
                 const char *collection, const char *record_id, int64_t revision,
                 const char *before, const char *after, struct err *e);
/* Verifies the whole chain; appends problems to *report (malloc'd, may be
 * NULL) and returns how many were found. */
int audit_verify(struct store_conn *c, char **report);

#endif
