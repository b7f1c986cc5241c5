/* dups: duplication and reuse (issue 16 item 2, REQ ARC-13, ARC-17,
 * MON-03, SVC-02), as the model's "duplicates" section declares it.
 *
 * Structural pairs: records of the section's kinds, of different owners,
 * linked to the same record by a relation of one of its `shared` types
 * (that keeps the type's `when`). Textual pairs: records whose words are
 * alike, by the cosine of their TF-IDF vectors over the word index
 * (tidx.h: the terms the store's own tokenizer makes of their searchable
 * text, kk/ru/en alike), a weight per term of ln(1 + N / df) where N
 * counts the collection's records and df those having the term. All the
 * pairs above a threshold are found exactly by prefix filtering: each
 * record's terms ordered rarest first, only the first ones whose weight
 * can still reach the threshold are indexed, and two records alike enough
 * share one of those (the rarest term they share); candidates are then
 * scored in full. Nothing is kept between requests but, for the similar
 * records of a new object, each record's vector length (8 bytes a record:
 * 0.8 MB at 100,000), made again after the index changes. */
#ifndef AP_REGISTRY_DUPS_H
#define AP_REGISTRY_DUPS_H

#include "registry/registry.h"
#include "registry/tidx.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A term's weight: ln(1 + n_all / df) (df 0: as if 1). */
double dups_weight(size_t n_all, size_t df);

/* Every pair (i < j, indexes of d's records) whose cosine is at least min
 * (0 < min <= 1), given to fn; returns their number. Meets at most
 * `budget` candidates: past it, *complete is false and the pairs are
 * those found so far. Reorders each record's terms (rarest first). */
typedef void (*dups_pair_fn)(void *ctx, size_t i, size_t j, double score);
size_t dups_text_pairs(struct tidx_docs *d, double min, size_t budget, bool *complete,
                       dups_pair_fn fn, void *ctx);

/* The ranked pairs a may read (both records, and for a structural reason
 * the relations and the shared record too): of `kind` only (NULL: every
 * kind of the section), textual ones from `min` (0: the model's
 * threshold), the first `limit`. *out: {items: [{a, b: {id, kind,
 * collection, name, owner, owner_name?}, score, shared: [{relation,
 * record: {id, kind, collection, name}}], text_score?}], count, truncated, text_complete
 * (false: the textual pairs are those found within a bound of work), min}:
 * the pairs sharing most first, then by their words' likeness. 400 for a
 * kind not in the section or a min outside 0.5 .. 1, 404 when the model has no
 * such section, 503 before the word index is built. */
struct dups_query {
    const char *kind;
    double min;
    size_t limit;
};
int registry_duplicates(struct registry *r, const struct actor *a, const struct dups_query *q,
                        json_t **out, struct err *e);

/* The records of the section's kinds (or of `kind`) most like an object
 * not created yet, by its name and more text, scored by the cosine or,
 * when higher, its geometric mean with the share of the query's weight
 * the record holds (a name alone finds the long record that holds it):
 * {items: [{record, score}], register?: [the same of the section's
 * register kinds, REQ SVC-02], kind?, min}, best first, those a may read,
 * from `min` (0: 0.3). A register entry is only ever in `register`. */
struct similar_query {
    const char *kind, *name, *text;
    double min;
    size_t limit;
};
int registry_similar(struct registry *r, const struct actor *a, const struct similar_query *q,
                     json_t **out, struct err *e);

/* Architectural control (MON-03): the duplication findings about rec —
 * itself when it is of the section's kinds, else the records of those
 * kinds that the section's control of its kind reaches (an assessment:
 * its project's objects) — as a reads them: {items: [{record, likes:
 * [{other: {id, kind, collection, name, owner, owner_name?}, shared:
 * [{relation, record}], text_score?}]}]}, per record its records of other
 * owners linked to the same record by a shared relation type, and those
 * whose words are like its own (from the section's threshold), most
 * shared first, at most 10. 503 before the word index is built. */
int registry_duplicates_about(struct registry *r, const struct actor *a, const json_t *rec,
                              json_t **out, struct err *e);

/* Frees the registry's cache of vector lengths. */
struct dups_cache;
void dups_cache_free(struct dups_cache *c);

#endif
