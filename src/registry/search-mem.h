/* search-mem: list pages, totals and facets from the in-memory filter
 * index (used by search.c when the index is enabled). */
#ifndef AP_SEARCH_MEM_H
#define AP_SEARCH_MEM_H

#include "fidx.h"
#include "listq.h"
#include "registry.h"

/* The sorted rids of the live records of q's collection that match its
 * words, by their own text (the word index) or their documents' (doc_fts). */
int mem_word_matches(struct registry *r, struct store_conn *c, struct arena *a,
                     const struct list_query *q, struct rids *out, struct err *e);
/* s as a JSON array of integers (for STORE_SQL_JSON_INTS), in the arena. */
const char *mem_rids_json(struct arena *a, struct rids s);
/* The sorted rids of the live records of q's collection that match all of
 * q's filters and words. */
int mem_matches(struct registry *r, struct store_conn *c, struct arena *a,
                const struct list_query *q, struct rids *out, struct err *e);

/* One page of the matches s in q's order, after q's cursor: the page's
 * rids in order and the next cursor (NULL on the last page). */
int mem_page(struct registry *r, struct store_conn *c, struct arena *a,
             const struct list_query *q, struct rids s, int64_t **rids, size_t *n_rids,
             char **next, struct err *e);

/* Facet counts of `field` ("kind", "owner" or a filterable field) over the
 * matches s: values with a non-zero count, most frequent first. */
size_t mem_facet_counts(struct registry *r, struct arena *a, const struct list_query *q,
                        struct rids s, const char *field, const char ***values,
                        size_t **counts);

#endif
