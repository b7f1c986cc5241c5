/* graph: a record's neighbourhood drawn as SVG by Graphviz (libgvc), in
 * the process, for the card page. */
#ifndef AP_WEB_GRAPH_H
#define AP_WEB_GRAPH_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define GRAPH_MAX_NODES 60

struct graph_node {
    const char *label; /* any text: escaped by Graphviz in the SVG */
    const char *url;   /* the node's link (a portal path), or NULL */
    bool focus;        /* the record the card is about */
};
struct graph_edge {
    size_t from, to; /* indexes into the nodes */
    const char *label;
};

/* Lays out the nodes and edges (at most GRAPH_MAX_NODES nodes) and appends
 * the <svg> element (without XML prolog or DOCTYPE) to out. Thread-safe:
 * one drawing at a time. -1 with e (500) when Graphviz fails. */
int graph_svg(const struct graph_node *nodes, size_t n_nodes, const struct graph_edge *edges,
              size_t n_edges, struct buf *out, struct err *e);

#endif
