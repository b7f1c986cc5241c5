/* graph: Graphviz drawing of a record's neighbourhood. The gvc context
 * and cgraph keep global state, so every drawing holds one mutex. */
#include "web/graph.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gvc; /* made once, kept for the life of the process */

/* A label as Graphviz text: its escapes (\N, \G, \n, \l …) are made
 * literal by doubling every backslash; Graphviz escapes & < > " ' itself
 * when it writes SVG. Newlines become spaces. */
static void label_text(struct buf *b, const char *s)
{
    buf_reset(b);
    for (; *s; s++) {
        if (*s == '\\')
            buf_puts(b, "\\\\");
        else if (*s == '\n' || *s == '\r')
            buf_putc(b, ' ');
        else
            buf_putc(b, *s);
    }
    buf_putc(b, '\0');
}

static void set(void *obj, const char *name, const char *value)
{
    agsafeset(obj, (char *)name, (char *)value, "");
}

static Agraph_t *build(const struct graph_node *nodes, size_t n_nodes,
                       const struct graph_edge *edges, size_t n_edges, Agnode_t **made)
{
    Agraph_t *g = agopen((char *)"neighbourhood", Agdirected, NULL);
    set(g, "rankdir", "LR");
    set(g, "bgcolor", "transparent");
    set(g, "fontname", "sans-serif");
    struct buf b;
    buf_init(&b, 1u << 20);
    for (size_t i = 0; i < n_nodes; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%zu", i);
        made[i] = agnode(g, name, 1);
        label_text(&b, nodes[i].label ? nodes[i].label : "");
        set(made[i], "label", b.p);
        set(made[i], "tooltip", b.p);
        set(made[i], "shape", "box");
        set(made[i], "style", nodes[i].focus ? "rounded,filled,bold" : "rounded,filled");
        set(made[i], "fillcolor", nodes[i].focus ? "#d9e8f6" : "#ffffff");
        set(made[i], "color", "#1a4480");
        set(made[i], "fontname", "sans-serif");
        set(made[i], "fontsize", "11");
        if (nodes[i].url) {
            set(made[i], "URL", nodes[i].url);
            set(made[i], "target", "_top");
        }
    }
    for (size_t i = 0; i < n_edges; i++) {
        if (edges[i].from >= n_nodes || edges[i].to >= n_nodes)
            continue;
        Agedge_t *ed = agedge(g, made[edges[i].from], made[edges[i].to], NULL, 1);
        label_text(&b, edges[i].label ? edges[i].label : "");
        set(ed, "label", b.p);
        set(ed, "fontname", "sans-serif");
        set(ed, "fontsize", "9");
        set(ed, "color", "#565c65");
    }
    buf_free(&b);
    return g;
}

int graph_svg(const struct graph_node *nodes, size_t n_nodes, const struct graph_edge *edges,
              size_t n_edges, struct buf *out, struct err *e)
{
    if (n_nodes > GRAPH_MAX_NODES)
        n_nodes = GRAPH_MAX_NODES;
    Agnode_t *made[GRAPH_MAX_NODES];
    char *data = NULL;
    size_t len = 0;
    int rc = -1;
    pthread_mutex_lock(&gv_lock);
    if (!gvc)
        gvc = gvContext();
    Agraph_t *g = gvc ? build(nodes, n_nodes, edges, n_edges, made) : NULL;
    if (g && gvLayout(gvc, g, "dot") == 0) {
        unsigned int ulen = 0;
        if (gvRenderData(gvc, g, "svg", &data, &ulen) == 0 && data) {
            len = ulen;
            rc = 0;
        }
        gvFreeLayout(gvc, g);
    }
    if (g)
        agclose(g);
    /* the prolog, DOCTYPE and comments before the element go */
    const char *svg = rc == 0 ? memmem(data, len, "<svg", 4) : NULL;
    if (svg)
        buf_append(out, svg, len - (size_t)(svg - data));
    else
        rc = -1;
    if (data)
        gvFreeRenderData(data);
    pthread_mutex_unlock(&gv_lock);
    if (rc < 0)
        err_internal(e, "Graphviz could not draw the relations");
    return rc;
}
