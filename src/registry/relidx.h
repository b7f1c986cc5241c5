/* relidx: the relations graph in memory, for traceability walks.
 *
 * Nodes are records (by id: their kind, row id, and whether they are live)
 * and edges are relations (by row id: their id, type, ends and who may read
 * them, as the filter index holds it under "<collection>:_visible"). Each
 * node lists the edges out of it and into it, so a walk's level is a few
 * array reads per frontier node instead of an SQL query.
 *
 * The serving process keeps one, current, inside the filter index (fidx.h:
 * built with it, changed by the same staged writes after they commit, read
 * under its lock); a walk as of an instant reads it through a private one
 * of the relations written since, as they were then (relidx_load_changed). Not thread-safe by
 * itself. */
#ifndef AP_RELIDX_H
#define AP_RELIDX_H

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct relidx;

struct relidx *relidx_new(void);
void relidx_free(struct relidx *g);

/* A record that is not a relation: live (not retired) or not. Strings are
 * copied. */
void relidx_set_node(struct relidx *g, const char *id, const char *kind, uint32_t rid, bool live);
/* A relation's state (live: not retired), replacing what rid had; a
 * relation that is not live leaves the walks (the graph still knows it).
 * visible may be NULL. */
void relidx_set_edge(struct relidx *g, uint32_t rid, const char *id, const char *type,
                     const char *source, const char *target, const char *visible, bool live);

/* Loads the live records and relations of the store (a fresh graph). */
int relidx_load_now(struct relidx *g, struct store_conn *c, struct err *e);
/* Loads the relations of the collections listed (a JSON array text)
 * written after `at` (RFC 3339, the revisions' form), each as it was then:
 * live with its ends when its last revision at or before `at` exists and
 * had not retired it, else known but not live. With the current graph it
 * gives the graph as of `at`: a relation is as it was then if this graph
 * knows it (relidx_has_edge), as it is now otherwise. Costs what was
 * written since. Ends' states are not loaded (nodes of unknown state). */
int relidx_load_changed(struct relidx *g, struct store_conn *c, const char *at,
                        const char *collections, struct err *e);
/* Does the graph know the relation rid (live or not)? */
bool relidx_has_edge(const struct relidx *g, uint32_t rid);

/* The node of record id: its row id, kind (NULL when unknown) and whether
 * it is live (a record's end known only from a relation is not). False
 * when the graph has no such node (no such record, or a relation). */
bool relidx_node(const struct relidx *g, const char *id, uint32_t *rid, const char **kind,
                 bool *live);

/* The node of record id + 1 (0: none), for relidx_hits_into's nodes. */
uint32_t relidx_node_at(const struct relidx *g, const char *id);

/* One relation met from a node of the frontier. Its strings are not
 * copied: from is the caller's, the others the graph's, valid while it is
 * read and unchanged (under the caller's read lock); a caller copies what
 * it keeps after. Two hits with the same other end share its pointer. */
struct relidx_hit {
    uint32_t rid;           /* the relation's row id */
    const char *id, *type;  /* the relation */
    const char *visible;    /* NULL when unknown */
    const char *from;       /* its end in the frontier */
    const char *other;      /* its other end */
    const char *other_kind; /* NULL when unknown */
    uint32_t other_rid;     /* 0 when unknown */
    bool other_live;        /* the other end is a live record the graph knows */
    uint32_t other_node;    /* its node in the graph + 1 (relidx_hits_into) */
};

/* Which relations a walk wants (its row id and type), asked before its
 * other end is read (under the caller's lock). */
typedef bool (*relidx_keep_fn)(void *ctx, uint32_t rid, const char *type);

/* The relations out of (out) or into (!out) the n nodes listed that keep
 * (NULL: all) wants, node by node in the order listed, each node's ordered
 * by their row ids (a caller that wants them all in that order sorts
 * them); the array is in the arena, its strings the graph's (above).
 * Returns the count. */
size_t relidx_hits(const struct relidx *g, struct arena *a, const char *const *ids, size_t n,
                   bool out, relidx_keep_fn keep, void *ctx, struct relidx_hit **hits);

/* relidx_hits into the caller's array *v of room *cap (grown in the arena
 * when a batch needs more), reused from one batch of nodes to the next (a
 * caller that reads many nodes' hits a batch at a time allocates nothing
 * per batch), from nodes known by an earlier call on the same graph when
 * nodes is not NULL (a hit's other_node; 0: unknown, found by its id in
 * ids[i], which the hits' from name): a node keeps its place while the
 * graph lives, so no id is looked up again. */
size_t relidx_hits_into(const struct relidx *g, struct arena *a, const uint32_t *nodes,
                        const char *const *ids, size_t n, bool out, relidx_keep_fn keep,
                        void *ctx, struct relidx_hit **v, size_t *cap);

/* Copies the n hits' relation and other-end ids into the arena, for a
 * caller that reads them after it releases the graph. */
void relidx_hits_copy(struct arena *a, struct relidx_hit *hits, size_t n);

/* Sizes, for the log: nodes, live edges, bytes held. */
void relidx_size(const struct relidx *g, size_t *nodes, size_t *edges, size_t *bytes);

#endif
