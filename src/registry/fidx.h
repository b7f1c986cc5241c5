/* fidx: the in-memory filter index of the serving process.
 *
 * For every filter key — a collection, a kind, an owner, or a filterable
 * field's value — it keeps the sorted ids (rids) of the live records that
 * have it, so that a list's total, its facets and the membership test of its
 * page are set intersections in memory instead of index walks in SQL.
 *
 * It mirrors the `attrs` table (and records' collection, kind and owner) and
 * is built from them when serving starts, and holds the words of the
 * full-text index too (tidx.h) and the relations graph (relidx.h). Writes
 * stage their new keys per record on their own thread; the staged changes
 * are applied after the transaction commits and dropped when it rolls
 * back. The server process is the only writer of records, so the mirror
 * stays exact (a reader may see a just-committed write a moment late).
 * Thread-safe (a read-write lock). */
#ifndef AP_FIDX_H
#define AP_FIDX_H

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fidx;
struct fidx_staged;

/* A sorted array of rids, ascending, without duplicates. */
struct rids {
    const uint32_t *v;
    size_t n;
};

struct fidx *fidx_new(void);
void fidx_free(struct fidx *x);

/* Which fields ("collection:field") the index holds: the others are left
 * to SQL (high-cardinality fields would cost memory for little gain). */
typedef bool (*fidx_field_pred)(void *ctx, const char *field);

/* A field ("collection:field") whose absence from a record of `kind` has no
 * row in the attrs table: the index holds such records under the value "". */
struct fidx_absent {
    const char *kind, *field;
};

/* Loads the index from the database. Until it has been built, staging does
 * nothing and fidx_ready() is false. */
int fidx_build(struct fidx *x, struct store_conn *c, fidx_field_pred want, void *ctx,
               const struct fidx_absent *absent, size_t n_absent, struct err *e);
bool fidx_ready(const struct fidx *x);

/* Keys. */
char *fidx_key_collection(struct arena *a, const char *collection);
char *fidx_key_kind(struct arena *a, const char *kind);
char *fidx_key_owner(struct arena *a, const char *owner);
/* field is "collection:field" as in the attrs table */
char *fidx_key_field(struct arena *a, const char *field, const char *value);

/* Staging (this thread): rid leaves the sets of its old keys and joins
 * those of its new ones (none: the record left every list). Keys are
 * copied. */
void fidx_stage(struct fidx *x, int64_t rid, const char *const *old_keys, size_t n_old,
                const char *const *new_keys, size_t n_new);
/* Stages rid's words: `text` split by the store's full-text tokenizer
 * (NULL: the record has none any more). -1 when text cannot be split. */
int fidx_stage_text(struct fidx *x, struct store_conn *c, int64_t rid, const char *collection,
                    const char *text);
/* Stages a record's place in the relations graph (relidx.h): a record
 * that is not a relation (its kind), or a relation (its type, ends and
 * visibility); live: not retired. Strings are copied. */
void fidx_stage_node(struct fidx *x, int64_t rid, const char *id, const char *kind, bool live);
void fidx_stage_edge(struct fidx *x, int64_t rid, const char *id, const char *type,
                     const char *source, const char *target, const char *visible, bool live);
void fidx_commit(struct fidx *x);
void fidx_discard(struct fidx *x);
/* Hands this thread's staged changes over (NULL when none), so that the
 * thread that commits a group of writes can apply them in commit order. */
struct fidx_staged *fidx_take_staged(void);
/* Applies (committed) or drops taken changes, and frees them. */
void fidx_apply_taken(struct fidx *x, struct fidx_staged *list, bool committed);
/* Taken changes as JSON, for the other nodes (the change feed, feed.c): an
 * array of {"r": row id, "k": [strings, null kept], "o": how many of k are
 * old keys, "t": a text's collection, "g": "n" a node or "e" an edge, "l":
 * live}, members left out when 0, null or false. An empty array for NULL. */
json_t *fidx_staged_json(const struct fidx_staged *list);
/* Changes of index x back from fidx_staged_json's form (to apply with
 * fidx_apply_taken); NULL when a is not that form. */
struct fidx_staged *fidx_staged_from_json(struct fidx *x, const json_t *a);

/* Reading: hold the read lock while using sets obtained from the index. */
void fidx_read_lock(struct fidx *x);
void fidx_read_unlock(struct fidx *x);
/* The relations graph the index keeps current (read it under the lock). */
struct relidx *fidx_graph(struct fidx *x);
/* The word index it keeps current (tidx.h; read it under the lock). */
struct tidx *fidx_text(struct fidx *x);
/* The set of a key (empty when unknown). */
struct rids fidx_get(struct fidx *x, const char *key);
/* A field's value per row id, for a judgement of many records at one
 * memory read each instead of a search per value: codes[rid] is the code
 * (fidx_code) of the one value record rid has, 0 when it has none,
 * FIDX_SEVERAL when it has several (ask the sets). False when the field
 * ("collection:field") is not in the index or has too many values for a
 * code. Made when first asked (a byte per row id), then kept current with
 * the sets; read it under the read lock, like the sets. */
#define FIDX_SEVERAL 255
struct fidx_codes {
    const uint8_t *codes;
    size_t n; /* rids from n on have code 0 */
};
bool fidx_codes(struct fidx *x, const char *field, struct fidx_codes *out);
/* The value record rid has for a field ("collection:field", or "owner")
 * when it has one (NULL: none, or several), with the value's position in
 * the field's values (*pos, for a per-value array: stable while the index
 * lives). A word per row id, made when first asked and kept with the sets;
 * use it (and the string) under the read lock. */
const char *fidx_one_value(struct fidx *x, const char *field, uint32_t rid, size_t *pos);
/* The code of a field's value (0: no record ever had it, or no code). */
uint8_t fidx_code(struct fidx *x, struct arena *a, const char *field, const char *value);
/* The values a field ("collection:field", or "owner") currently has, sorted
 * ascending (bytewise), as arena strings; returns the count. */
size_t fidx_values(struct fidx *x, struct arena *a, const char *field, const char ***out);

/* The rids of collection's live records whose words include, for each of
 * the n user words (split as the store's full-text index splits them), one
 * starting with it; in the arena. Takes the read lock itself. -1 when a
 * word cannot be split. */
int fidx_text_match(struct fidx *x, struct store_conn *c, struct arena *a,
                    const char *collection, const char *const *words, size_t n, struct rids *out);

/* Set algebra on sorted rid arrays (results in the arena). */
struct rids rids_union(struct arena *a, const struct rids *sets, size_t n);
struct rids rids_intersect(struct arena *a, struct rids x, struct rids y);
size_t rids_intersect_count(struct rids x, struct rids y);
struct rids rids_copy(struct arena *a, struct rids x);
bool rids_has(struct rids x, uint32_t rid);
/* The position of the first rid of x at or past rid (x.n: none). */
size_t rids_lower_bound(struct rids x, uint32_t rid);

#endif
