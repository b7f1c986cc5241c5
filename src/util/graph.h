/* graph: records and their relations drawn as SVG by Graphviz (libgvc),
 * in the process, for the pages; and laid out for the diagrams of an
 * ArchiMate export. */
#ifndef AP_UTIL_GRAPH_H
#define AP_UTIL_GRAPH_H

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

/* A box laid out: its top-left corner and size, in points, the drawing's
 * top-left corner at (0, 0). */
struct graph_box {
    long x, y, w, h;
};
#define GRAPH_LAYOUT_MAX_NODES 400
/* Lays out n_nodes boxes of w by h points (at most
 * GRAPH_LAYOUT_MAX_NODES) joined by the edges, left to right, into
 * boxes[]. Thread-safe like graph_svg. -1 with e (500) when Graphviz
 * fails. */
int graph_layout(size_t n_nodes, const struct graph_edge *edges, size_t n_edges, double w,
                 double h, struct graph_box *boxes, struct err *e);

#endif
