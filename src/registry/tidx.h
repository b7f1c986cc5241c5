/* tidx: the in-memory full-text index of the serving process.
 *
 * For each collection it keeps the terms of its live records — split and
 * folded by the store's own full-text tokenizer (store_fts_terms), so that
 * it answers exactly what the store's index would — and, for each term, the
 * sorted rids of the records that have it. A query is a list of prefixes,
 * all required: the records that have, for every prefix, a term starting
 * with it.
 *
 * Most of it is a compact base built when serving starts. A record written
 * since is marked stale there and its current terms are kept in a short
 * delta list; when that list grows long, it is frozen, and a thread of its
 * own sorts its terms while queries read base, frozen list and the new
 * delta, then folds them into the base in place under the owner's write
 * lock (queries see the base before or after, never between). Not
 * thread-safe otherwise: fidx holds it under its lock. */
#ifndef AP_TIDX_H
#define AP_TIDX_H

#include "fidx.h"
#include "util/arena.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct tidx;

/* lock: the owner's lock over the index, which a merge in the background
 * takes (for writing) to install its result; NULL: merge at once. */
struct tidx *tidx_new(pthread_rwlock_t *lock);
/* Waits for merges under way (the caller must not hold the lock). */
void tidx_wait(struct tidx *t);
void tidx_free(struct tidx *t);

/* Building, in two passes over the same records (so that no list of
 * every (term, record) pair is ever held): tidx_load with the terms of
 * every record (repeated terms are fine), tidx_fill_begin, tidx_load with
 * the same records again, tidx_seal. */
void tidx_load(struct tidx *t, const char *collection, uint32_t rid, const char *const *terms,
               const size_t *lens, size_t n);
void tidx_fill_begin(struct tidx *t);
void tidx_seal(struct tidx *t);

/* After sealing: rid's terms are now these (n == 0: it left the index). */
void tidx_set(struct tidx *t, const char *collection, uint32_t rid, const char *const *terms,
              const size_t *lens, size_t n);

/* The rids of collection's records that have, for each of the n prefixes,
 * a term starting with it (n == 0: none). */
struct rids tidx_match(struct tidx *t, struct arena *a, const char *collection,
                       const char *const *prefixes, size_t n);

/* Terms, rids listed and bytes held, over all collections. */
void tidx_size(const struct tidx *t, size_t *terms, size_t *postings, size_t *bytes);

/* The most bytes a merge held at once, over the merges ended so far (after
 * tidx_wait): the base's arrays and the merge's own, whichever collection. */
size_t tidx_merge_peak(const struct tidx *t);

/* Bumped by every change after sealing (a write, a merge installed): what
 * a caller derived from the index holds while it is unchanged. */
uint64_t tidx_generation(const struct tidx *t);

/* The live records of collection that have exactly `term` (in the arena). */
struct rids tidx_term(struct tidx *t, struct arena *a, const char *collection, const char *term);

/* The live records of collection that are in `only` (NULL: all) as lists
 * of term numbers, for similarity measures: record rid[i] (ascending) has
 * the distinct terms term[at[i] .. at[i + 1]); df[t] counts the
 * collection's live records having term t (of n_terms), n_all its live
 * records with any term. Costs one pass over the collection's postings;
 * free with tidx_docs_free. */
struct tidx_docs {
    size_t n_docs, n_terms, n_all;
    uint32_t *rid, *at, *term, *df;
};
void tidx_docs(struct tidx *t, const char *collection, const struct rids *only,
               struct tidx_docs *out);
void tidx_docs_free(struct tidx_docs *d);

#endif
