/* Shared between the registry's own files (not a public header). */
#ifndef AP_REGISTRY_INTERNAL_H
#define AP_REGISTRY_INTERNAL_H

#include "registry.h"
#include "util/buf.h"
#include "util/collate.h"
#include "util/jtext.h"

#include <stdio.h>

/* The stored rows of the other records one read meets (its bases, what
 * its measures reach along refs), each loaded once for all its parts,
 * with whether the reader may read it. Lives as long as the read: never
 * across writes. */
struct reg_rows;
struct rec_row;
struct reg_rows *reg_rows_new(struct registry *r, const struct actor *a);
void reg_rows_free(struct reg_rows *m);
/* The row of record id when it is live and the reader may read it (owned
 * by m), else NULL (absent, retired or not for them; -1 in *rc on a store
 * error). */
const struct rec_row *reg_rows_readable(struct reg_rows *m, const char *id, int *rc, struct err *e);
/* The string at v (a value in a stored text) into out: 1, or 0 when it is
 * not a string. */
int reg_text_string(struct jspan v, char *out, size_t n);

/* One read of a record: its id, its stored text, the rows it meets. */
struct reg_read {
    const char *id, *text;
    struct reg_rows *rows;
};
/* The most bytes of one computed part of a read. */
#define REG_PART_MAX (64u << 20)
/* A part of a record's read computed from other records (its inherited
 * items, its measures): fn's answer for the read rd and reader a, as
 * compact JSON text (NULL when there is none), kept in the answer cache
 * under `what` until the next write. What the reader may read of the
 * other records depends on a's system flag, being signed in, roles and
 * organisation alone, which the key holds. */
typedef int (*registry_part_fn)(struct registry *r, const struct actor *a, struct reg_read *rd,
                                char **out, struct err *e);
int registry_part_text(struct registry *r, const struct actor *a, const char *what,
                       registry_part_fn fn, const char *id, const char *json, char **out,
                       struct err *e);
/* The parts: the inherited items (inherit.c), the measures (measure.c). */
int reg_inherited_read(struct registry *r, const struct actor *a, struct reg_read *rd, char **out,
                       struct err *e);
int reg_measures_read(struct registry *r, const struct actor *a, struct reg_read *rd, char **out,
                      struct err *e);
/* The records a walk meets, parsed (memo NULL: none kept): memo maps an
 * id to the record (a new reference in *out) or to null when it is absent
 * or retired. 1 live, 0 absent or retired, -1 on a store error. Lives as
 * long as the read: never across writes. */
int reg_memo_load(struct store_conn *c, json_t *memo, const char *id, json_t **out, struct err *e);

struct fidx;
struct dump_part;
struct score_memos;
struct score_memos *score_memos_new(void);
void score_memos_free(struct score_memos *m);
/* A write is about to be committed (its generation bump follows): the ids
 * it wrote and those they name, old and new (an object whose keys are the
 * ids). The kept answers up to date so far are brought up to date with
 * those records at their next read; the others are judged again whole. */
void score_memos_mark(struct score_memos *m, const json_t *ids);
struct dump_table;

struct fidx_staged;
struct feed;

struct registry {
    struct store *store;
    const struct model *model;
    struct fidx *fidx; /* in-memory filter index, once enabled */
    struct ruleidx *ruleidx; /* the rules' judgements, once a report built them */
    struct dups_cache *dups; /* the similar records' vector lengths (dups.h) */
    struct score_memos *scores; /* the scores' answers kept (score.c) */
    struct feed *feed; /* the other nodes' writes (feed.c; NULL: one node) */
    bool *end_kinds; /* per kind of the model: may it be an end of a relation type? */
    const struct rights *rights;
    char **restricted_keys; /* `"name":` of every restricted field */
    size_t n_restricted_keys;
    const struct dump_part *parts[8]; /* other modules' tables in dumps */
    char **published_keys; /* `"<status field>":"<published state>"` */
    size_t n_published_keys;
    char **status_keys;    /* `"<status field>":"` of every workflow */
    size_t n_status_keys;
    char **signed_in_keys; /* `"kind":"<kind>"` of every kind read only when signed in */
    size_t n_signed_in_keys;
    registry_update_hook hook;         /* the workflow's view of edits */
    void *hook_ctx;
    registry_actor_org_fn actor_org; /* a user's organisation, for the public */
    void *actor_org_ctx;
    registry_day_fn day_of; /* instant -> local day (NULL: UTC's) */
    void *day_ctx;
    size_t n_parts;
};

/* What a write changed in memory, after its commit (apply: it committed
 * and is not applied yet; else the staged changes are dropped): the
 * filter index, the rules' and scores' marks, the caches. Takes the
 * references. */
void reg_apply_changes(struct registry *r, struct fidx_staged *staged, json_t *rule_ids,
                       json_t *score_ids, bool apply);

/* feed.c: the change feed between the nodes sharing a database (nothing
 * on a store only one process serves). feed_begin before the indexes are
 * built (from the last change there is), feed_follow after (the thread
 * applying the others'); feed_record in a write's transaction (its row:
 * *seq, 0 when none); feed_own_begin/end around applying the write's own
 * changes after its commit (begin applies the others' before it, and says
 * whether its own are to be applied now; end is told whether they were). */
int feed_begin(struct registry *r, struct err *e);
int feed_follow(struct registry *r, struct err *e);
void feed_free(struct registry *r);
int feed_record(struct registry *r, struct store_conn *c, const struct fidx_staged *staged,
                const json_t *rule_ids, const json_t *score_ids, int64_t *seq, struct err *e);
bool feed_own_begin(struct registry *r, int64_t seq, bool committed);
void feed_own_end(struct registry *r, int64_t seq, bool applied);

/* A loaded record row. */
struct rec_row {
    int64_t rid;
    char *id, *collection, *kind, *data; /* malloc'd */
    int64_t revision;
    bool retired;
};
void rec_row_free(struct rec_row *row);
/* Loads the row of `id` in `collection` (any collection when NULL).
 * Returns 1 found, 0 not found, -1 error. */
int rec_load(struct store_conn *c, const char *collection, const char *id, struct rec_row *row,
             struct err *e);
/* The stored data of row rid, parsed (new reference), or NULL when there
 * is none (e set on a store error). */
json_t *rec_data_by_rid(struct store_conn *c, int64_t rid, struct err *e);
/* Member `field` of live record id (a new reference; NULL when there is
 * none): model_peek_fn over the store, ctx its connection. */
json_t *reg_peek_member(void *ctx, const char *id, const char *field);

/* The one answer for a record that does not exist and for one the reader
 * may not read: the same bytes either way, naming nothing. */
static inline void reg_not_found(struct err *e)
{
    err_not_found(e, "no such record");
}

/* Keys of the record envelope that clients may send back but never set. */
bool reg_readonly_key(const char *key);

/* Refuses (422, naming the via field) a record of kind k whose validated
 * fields would make its chain of bases come back to it (id) or go deeper
 * than MODEL_INHERIT_MAX_DEPTH (REQ ARC-06). */
int reg_inherit_check(const struct registry *r, struct store_conn *c, const struct model_kind *k,
                      const char *id, const json_t *fields, struct err *e);
/* Refuses (422 inherited-item-conflict, naming e.g. "attributes[2].source")
 * the fields of record id of kind k where an item's key (model "inherits":
 * "key") comes with other values of the "fixed" sub-fields than the same
 * key has elsewhere in the record, in a base above it or in a record below
 * it: one storage source per attribute along a chain of bases. */
int reg_inherit_fixed_check(const struct registry *r, struct store_conn *c,
                            const struct model_kind *k, const char *id, const json_t *fields,
                            struct err *e);

/* Recomputes the filter index and full-text index of a record; prev is
 * its previous state (NULL for a new record). */
int reg_index(struct registry *r, struct store_conn *c, int64_t rid, const struct model_kind *k,
              const json_t *rec, const json_t *prev, struct err *e);
/* Calls fn for every (field, value) pair the filter index holds for rec;
 * `visible` is a relation's reg_relation_visible (NULL for other records). */
void reg_index_entries(const struct model_kind *k, const json_t *rec, const char *visible,
                       model_index_fn fn, void *ctx);

/* Who may read a relation, as the filter index holds it under the
 * pseudo-field "<collection>:_visible" (a model field never starts with
 * '_'), so that lists and facets narrow relations as they narrow records:
 * ":public" when everyone may read both ends, the organisation's id when
 * the ends not everyone may read are that organisation's, ":none"
 * otherwise (no id holds ':'). It follows the ends: a write that changes an
 * end's publication or organisation re-indexes its relations. */
#define REG_VISIBLE_FIELD "_visible"
#define REG_VISIBLE_PUBLIC ":public"
#define REG_VISIBLE_NONE ":none"
#define REG_VISIBLE_SIGNED_IN ":signed-in" /* every end readable when signed in */
/* May the actor read unpublished records of every kind with a workflow,
 * of every organisation (org NULL) or of org? */
bool reg_reads_unpublished(const struct registry *r, const struct actor *a, const char *org);
/* The same over the kinds that may be an end of some relation type only:
 * what decides a relation's readability by its visibility alone (a kind
 * no relation touches, a period report, does not keep a body's readers
 * from their organisation's unpublished relations). */
bool reg_reads_unpublished_ends(const struct registry *r, const struct actor *a, const char *org);
int reg_relation_visible(const struct registry *r, struct store_conn *c, const json_t *rel,
                         char *out, size_t n, struct err *e);
/* Re-indexes the live relations of record id (after its visibility changed,
 * or when an import loads it after them). */
int reg_reindex_relations_of(struct registry *r, struct store_conn *c, const char *id,
                             struct err *e);
/* The folded text the full-text index holds for rec (malloc'd). */
char *reg_search_body(const struct model_kind *k, const json_t *rec);
/* The folded sort key of a record's name (malloc'd). */
char *reg_sort_name(const json_t *rec);
/* The collation key (util/collate.h) of the record's name as a page in
 * lang ("kk", "ru", "en") shows it: sort_kk, sort_ru, sort_en. */
void reg_sort_key(const json_t *rec, const char *lang, char out[COLLATE_KEY_BYTES]);

/* One audit entry as stored (before/after may be NULL). */
struct audit_row {
    int64_t seq;
    const char *at, *actor, *action, *collection, *record_id;
    int64_t revision;
    const char *before, *after, *prev_hash, *hash;
};
/* Inserts an audit entry verbatim (the chain is the caller's business). */
int audit_insert(struct store_conn *c, const struct audit_row *row, struct err *e);

/* True when the in-memory filter index holds this field of the collection. */
/* May a read the relation `id` whose visibility is vis (REG_VISIBLE_*, the
 * one organisation of its unpublished ends, or NULL: unknown)? reads_all:
 * a reads every relation; orgs caches reg_reads_unpublished by
 * organisation. Else judged on the relation's stored ends. */
bool reg_relation_readable(struct registry *r, struct store_conn *c, const struct actor *a,
                           bool reads_all, json_t *orgs, const char *id, const char *vis);
bool reg_field_in_memory(const struct model *m, const char *collection, const char *field);

/* Inserts the row of a record (state from its JSON rec, stored text data)
 * and its current JSON; *rid gets its row id. */
int reg_record_insert(struct store_conn *c, const char *collection, const char *kind,
                      const json_t *rec, const char *data, int64_t *rid, struct err *e);
/* The last revision of rid at or before `at` (RFC 3339 as stored; 0 when
 * none), and its stored text when data is not NULL (malloc'd). */
int reg_revision_at(struct store_conn *c, int64_t rid, const char *at, int64_t *revision,
                    char **data, struct err *e);
/* Inserts one revision of a record. */
int reg_revision_put(struct store_conn *c, int64_t rid, int64_t revision, const char *at,
                     const char *actor, const char *action, const char *data, struct err *e);
/* Stores a record's current JSON (data, the text of rec) and its name apart
 * (record_names). */
int reg_data_put(struct store_conn *c, int64_t rid, const json_t *rec, const char *data,
                 struct err *e);
/* Adds delta to the live-record count of (collection, kind). */
int reg_count_add(struct store_conn *c, const char *collection, const char *kind, int64_t delta,
                  struct err *e);

/* Collected problems of `archportal check` (and of an import's last step). */
struct dump_report {
    struct buf text;
    int problems;
    char first[600]; /* the first problem, for an import's error */
};
/* Checks the rows of a part's tables against their columns' types. */
void dump_table_check(struct store_conn *c, const struct dump_table *t, struct dump_report *rep);
/* Every part's table and semantic checks, into rep. */
void dump_check_parts(struct registry *r, struct store_conn *c, struct dump_report *rep);
int dump_table_export(struct store_conn *c, const struct dump_table *t, FILE *out,
                      struct err *e);
/* Inserts one row from an export line's object. */
int dump_table_import(struct store_conn *c, const struct dump_table *t, const json_t *row,
                      struct err *e);

/* Compact, order-preserving serialisation (malloc'd, aborts on OOM). */
char *reg_dump(const json_t *j);

/* asof.c: records as they were at an instant `at` (RFC 3339 as stored),
 * as the reader may see them then (REQ ARC-12): existing, not retired,
 * readable as they were and as they are. Each record is looked up once;
 * seen holds id -> {rid, rec}. */
struct reg_asof {
    struct registry *r;
    struct store_conn *c;
    const struct actor *a;
    const char *at;
    json_t *seen;
};
void reg_asof_init(struct reg_asof *s, struct registry *r, const struct actor *a, const char *at);
void reg_asof_free(struct reg_asof *s);
/* *then: the record id as it was (borrowed until reg_asof_free), NULL when
 * the reader may not see it then; *rid (when not NULL) its row id, 0 when
 * it does not exist. -1 only on a store error. */
int reg_asof_record(struct reg_asof *s, const char *id, json_t **then, int64_t *rid, struct err *e);
/* Takes rec (a new reference is kept; NULL: not there then) as id's state
 * then, judged elsewhere (the start of a walk, by registry_get_at). */
void reg_asof_put(struct reg_asof *s, const char *id, int64_t rid, json_t *rec);
/* A record met as of then, with its sort key (its name then, malloc'd):
 * what is listed by name then (walk.c's steps, a collection then). */
struct reg_reached {
    char *key;
    int64_t rid;
    json_t *rec; /* borrowed from the reg_asof */
};
/* qsort's order of struct reg_reached: by key, then row id. */
int reg_cmp_reached(const void *a, const void *b);
/* A relidx keep function: relations of the type ctx names (a string). */
bool reg_of_type(void *ctx, uint32_t rid, const char *type);
/* The collections of the kinds as a JSON array (malloc'd), each once. */
char *reg_kinds_collections(const struct model *m, const char *const *kinds, size_t n);
/* Strings as a JSON array (malloc'd). */
char *reg_strings_json(const char *const *v, size_t n);
/* The collections of the kinds (n of them), each once, as a JSON array's
 * text (malloc'd): with their kinds, a scan of records goes by the index
 * records_kind (collection, retired, kind) instead of every record. */
char *reg_kind_collections_json(const struct model *m, const char *const *kinds, size_t n);
/* The text of the first column of each of a query's rows (it is reset),
 * as a JSON array (new ref), or NULL on a store error. */
json_t *reg_first_column(struct store_stmt *q, struct err *e);

/* walk.c: paths of steps (struct model_path) from records, through only
 * what the reader may read (views and measures). A set of records in the
 * order met: recs (the parsed records), ids (id -> true), at most cap of
 * them, truncated when one was left out. */
struct walk_set {
    json_t *recs, *ids;
    size_t cap;
    bool truncated;
};
void walk_set_init(struct walk_set *s, size_t cap);
void walk_set_free(struct walk_set *s);
/* Adds rec (stolen) unless it is there; false when the set is full. */
bool walk_set_add(struct walk_set *s, json_t *rec);
/* Adds from's records while there is room (truncated when there is not). */
void walk_set_add_all(struct walk_set *s, const struct walk_set *from);
/* The ids of a set as compact JSON text (malloc'd). */
char *walk_set_ids(const struct walk_set *s);
struct path_walk {
    struct registry *r;
    struct store_conn *c;
    const struct actor *a;
    size_t reach;          /* the most records a step before the last reaches */
    struct reg_asof *asof; /* NULL: now; else each step as of asof->at */
    json_t *memo;          /* the read's records (reg_memo_load), or NULL */
};
/* ruleidx.c: the model's rules judged once and kept (see there). */
struct ruleidx;
struct ruleidx *ruleidx_new(const struct model *m);
void ruleidx_free(struct ruleidx *x);
/* Marks the ids a committed write names (an object: id ->
 * RULEIDX_WRITTEN, the record written, or RULEIDX_NAMED, a record its
 * references or ends name, before or after). */
#define RULEIDX_WRITTEN 1
#define RULEIDX_NAMED 2
/* A record written whose change no rule, measure or inheritance reads
 * (ruleidx_change_read): judged again itself, nothing else. */
#define RULEIDX_SELF 3
/* Does the change from prev to rec touch a member the rules read (the
 * write's time aside: it is the record's own judging day)? */
bool ruleidx_change_read(struct registry *r, struct ruleidx *x, const json_t *rec,
                         const json_t *prev);
void ruleidx_mark(struct ruleidx *x, json_t *ids);
/* Judges what needs it (all on the first call and when the local day has
 * changed; else what was written since) and holds the index for reading
 * until ruleidx_done; -1 (not held) on error. */
int ruleidx_ready(struct registry *r, struct ruleidx *x, registry_day_fn day_of, void *day_ctx,
                  struct err *e);
void ruleidx_done(struct ruleidx *x);
/* Is rule i (the model's order) kept here? */
bool ruleidx_tracked(const struct ruleidx *x, size_t rule);
/* Rule i's judgement of row id rid: 0 not applicable, 1 holds, 2 and up
 * broken (ruleidx_fault says by which requirement). */
unsigned ruleidx_state(const struct ruleidx *x, size_t rule, uint32_t rid);
const struct model_rule_relation *ruleidx_fault(const struct model_rule *ru, unsigned state);
/* The row ids covered (every state above is 0). */
size_t ruleidx_cap(const struct ruleidx *x);
/* How many records the last re-judgement judged, in how many ms. */
void ruleidx_last(const struct ruleidx *x, size_t *n, double *ms);
/* Stages the ids a write of rec (prev: before it) names for the rules'
 * judgements, passed on when the write commits. */
void reg_ruleidx_stage(struct registry *r, const struct model_kind *k, const json_t *rec,
                       const json_t *prev);
/* triggers.c: makes the records the model's triggers make for a write
 * (event MODEL_ON_*; prev NULL on a creation, next the retired record on a
 * retirement), in the write's transaction. */
int reg_triggers(struct registry *r, struct store_conn *c, unsigned event, const json_t *prev,
                 const json_t *next, struct err *e);
/* Creates a record in the caller's transaction (registry.c's own path). */
int reg_create_in_tx(struct registry *r, struct store_conn *c, const struct actor *a,
                     const struct model_collection *coll, const json_t *body, json_t **out,
                     struct err *e);
/* snapshot.c: sets a snapshot kind's read-only fields in `into` (the
 * instant `at`, the content's hash and count) from the live records of its
 * collections, in the write's transaction. */
/* The tally of k (k->tally) of record rec (its period), as actor a reads
 * now, into `into`: its list and its timestamp (tally.c). */
int reg_tally(struct registry *r, struct store_conn *c, const struct actor *a,
              const struct model_kind *k, const json_t *rec, json_t *into, const char *now,
              struct err *e);
/* Does a write of record prev (NULL: a new one) of kind k tally again? */
bool reg_tallies(const struct registry *r, const struct model_kind *k, const json_t *prev);
/* Each record the version `id` (a record of a snapshot kind a may read)
 * froze, as it was then and as a may read it (what was unpublished then
 * left out for a reader of published records only; restricted fields
 * redacted), to fn in the order they were made; *version the version's
 * record. 404 when a may not read it or it froze nothing. */
typedef void (*reg_snapshot_fn)(void *ctx, const json_t *rec);
int reg_snapshot_each(struct registry *r, const struct actor *a, const char *id, json_t **version,
                      reg_snapshot_fn fn, void *ctx, struct err *e);
int reg_snapshot_take(struct store_conn *c, const struct model_snapshot *s, const char *at,
                      json_t *into, struct err *e);
/* rules-report.c: the kinds the rules picked (pick[i] for the model's
 * i-th rule) name, each once, into kinds (room for every kind of the
 * model); their count. */
size_t reg_rule_kinds(const struct model *m, const bool *pick, const char **kinds);
/* rule-mem.c: a judging's counts of the rules' requirements from memory
 * (the relations graph; far ends judged once a judging). */
struct rule_mem;
/* The members of a record that the rules, their measures or inheritance
 * read (a new set: name -> true). */
json_t *rule_mem_fields(struct registry *r);
/* registry_inherited of rec for a reader of everything, each base's
 * worked out once a judging (a new reference, or NULL). */
int rule_mem_inherited(struct rule_mem *j, const json_t *rec, json_t **out, struct err *e);
/* whole: a judging of every record (scans of a requirement's kinds pay);
 * today: the local day judged on. */
struct rule_mem *rule_mem_new(struct registry *r, int64_t today, bool whole);
void rule_mem_free(struct rule_mem *j);
/* j (whole, judging on one of two threads) takes the chains of measures
 * and the counts of referencing records from common (whole, outliving j),
 * which reads each once for both, instead of reading its own. */
void rule_mem_share(struct rule_mem *j, struct rule_mem *common);
/* day_of(ctx, t_ms), kept for the last instant asked: the records judged
 * in one millisecond are mostly judged on the same instant (one judging
 * asks with one day_of and ctx). */
int64_t rule_mem_day(struct rule_mem *j, registry_day_fn day_of, void *ctx, int64_t t_ms);
/* Reads now what a judging of everything by j will ask for: the chains of
 * the measures (measures) or the counts of referencing records (!measures)
 * of the rules flagged in `rules` (NULL: all). Two threads sharing a common
 * part read one each at once, instead of one waiting for the other. */
int rule_mem_prepare(struct rule_mem *j, const bool *rules, bool measures, struct err *e);
/* A record's kind, or a relation's type (NULL: neither). */
static inline const char *reg_kind_of(const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    return kind ? kind : json_string_value(json_object_get(rec, "type"));
}
/* What the rules read of a record's stored text (a few members, the rest
 * skipped unparsed); NULL when it is not JSON. */
json_t *rule_mem_project(const struct rule_mem *j, const char *text, size_t n);
/* The members of the stored record text[0..n) named in `fields` (an
 * object whose keys are the names), parsed (plain strings and lists of
 * them without a parse); the whole record parsed when the text is not a
 * well-formed object. A read that looks at a few members of many records. */
json_t *reg_project(const json_t *fields, const char *text, size_t n);
/* A set's signature: a bit of 256 for each of its names (from the name's
 * length and end bytes), so that reg_project_signed passes over most
 * members not in the set without looking them up. */
struct reg_members_sig {
    uint64_t bits[4];
};
void reg_members_sign(const json_t *fields, struct reg_members_sig *sig);
/* reg_project, with fields' signature (sig NULL: as reg_project). */
json_t *reg_project_signed(const json_t *fields, const struct reg_members_sig *sig,
                           const char *text, size_t n);
/* The members a projected read always needs (a set for reg_project): the
 * envelope (id, kind, owner, name; a relation's type and ends) and what
 * tells who may read the record (every workflow's status field). */
json_t *reg_reading_members(const struct model *m);
/* walk.c: the live records of kinds $2 (a JSON array) that refer to a
 * record of $1 (a JSON array of ids) through a ref, in name order:
 * columns id, data, sort_name, rid. */
extern const char REG_REFERRERS_SQL[];
/* A record the judging meets (projected): its judgements as a far end. */
void rule_mem_met(struct rule_mem *j, uint32_t rid, const char *kind, const json_t *rec);
/* model_relation_count_fn over a struct rule_mem. */
int rule_mem_count(void *ctx, const json_t *rec, const struct model_rule_relation *q, int64_t day);
/* rules-report.c: the day's figures of the rules as a dump part. */
void reg_rules_dump_init(struct registry *r);
/* The records every section of view v of rec reaches that a may read (at
 * most cap per section and step; *truncated set when cut): mark is
 * appended to into[id] (an array, made when absent) for each, once. */
int reg_view_members(struct registry *r, const struct actor *a, const json_t *rec,
                     const struct model_view *v, size_t cap, json_t *into, json_t *mark,
                     bool *truncated, struct err *e);
/* *out (initialised here): the records path p reaches from those of
 * `from`, at most cap (truncated says a step or the last was cut). */
int walk_path(const struct path_walk *w, const struct model_path *p, const struct walk_set *from,
              size_t cap, struct walk_set *out, struct err *e);

#endif
