/* graph: Graphviz drawing of a record's neighbourhood. The gvc context
 * and cgraph keep global state, so every drawing holds one mutex.
 *
 * The context gets only two plugins, the dot layout and the core SVG
 * renderer, loaded from Graphviz's plugin directory beside libgvc: with
 * its configured plugins it would measure text through pango and
 * fontconfig, which leak memory at every start (and a leak fails our
 * sanitized tests); the core estimates text widths from its own font
 * metrics, which is enough for boxes of names. */
#include "util/graph.h"

#include <math.h>
#include <stdlib.h>

#include <dlfcn.h>
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gvc; /* made once, kept for the life of the process */

/* The address of plugin `name`'s library descriptor, from the plugin
 * directory ("graphviz/" beside libgvc). NULL when it cannot be loaded. */
static void *plugin_library(const char *dir, const char *name)
{
    char path[4096], sym[128];
    if (snprintf(path, sizeof path, "%s/graphviz/libgvplugin_%s.so.6", dir, name) >=
            (int)sizeof path ||
        snprintf(sym, sizeof sym, "gvplugin_%s_LTX_library", name) >= (int)sizeof sym)
        return NULL;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    return h ? dlsym(h, sym) : NULL; /* kept open: the context uses it */
}

static GVC_t *context(void)
{
    Dl_info info;
    GVC_t *(*fn)(void) = gvContext;
    void *addr; /* a function's address as dladdr takes it */
    memcpy(&addr, &fn, sizeof addr);
    if (!dladdr(addr, &info) || !info.dli_fname)
        return NULL;
    char dir[4096];
    const char *slash = strrchr(info.dli_fname, '/');
    size_t n = slash ? (size_t)(slash - info.dli_fname) : 0;
    if (!slash || n >= sizeof dir)
        return NULL;
    memcpy(dir, info.dli_fname, n);
    dir[n] = '\0';
    static lt_symlist_t builtins[3];
    builtins[0] =
        (lt_symlist_t){"gvplugin_dot_layout_LTX_library", plugin_library(dir, "dot_layout")};
    builtins[1] = (lt_symlist_t){"gvplugin_core_LTX_library", plugin_library(dir, "core")};
    builtins[2] = (lt_symlist_t){NULL, NULL};
    if (!builtins[0].address || !builtins[1].address)
        return NULL;
    return gvContextPlugins(builtins, 0);
}

/* A label as Graphviz text: its escapes (\N, \G, \l …) are made literal
 * by doubling every backslash (Graphviz escapes & < > " ' itself when it
 * writes SVG); long labels are wrapped at spaces into lines of about
 * WRAP characters (Graphviz's "\n"), so that the picture stays narrow. */
#define WRAP 26
#define FONT_PT 11 /* the nodes' font size */
struct label_size {
    size_t cols, lines; /* the longest line's characters, how many lines */
};

static void label_text(struct buf *b, const char *s, struct label_size *size)
{
    buf_reset(b);
    size_t col = 0;
    *size = (struct label_size){0, 1};
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool space = ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
        if (space && col >= WRAP) {
            buf_puts(b, "\\n");
            size->lines++;
            col = 0;
            continue;
        }
        if (ch == '\\')
            buf_puts(b, "\\\\");
        else
            buf_putc(b, space ? ' ' : (char)ch);
        if ((ch & 0xC0) != 0x80) /* count characters, not UTF-8 bytes */
            col++;
        if (col > size->cols)
            size->cols = col;
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
    set(g, "fontname", "Helvetica");
    struct buf b;
    buf_init(&b, 1u << 20);
    for (size_t i = 0; i < n_nodes; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%zu", i);
        made[i] = agnode(g, name, 1);
        struct label_size size;
        label_text(&b, nodes[i].label ? nodes[i].label : "", &size);
        set(made[i], "label", b.p);
        /* the box's size from the characters: the core plugin's estimate
         * counts UTF-8 bytes, which makes Cyrillic boxes twice too wide.
         * fixedsize=true makes this box the node for the layout and for
         * the edges' ends alike (with "shape", edges were clipped to the
         * byte-sized label and ran through the names) */
        char dim[32];
        snprintf(dim, sizeof dim, "%.2f", (double)size.cols * FONT_PT * 0.6 / 72.0 + 0.3);
        set(made[i], "width", dim);
        snprintf(dim, sizeof dim, "%.2f", (double)size.lines * FONT_PT * 1.3 / 72.0 + 0.2);
        set(made[i], "height", dim);
        set(made[i], "fixedsize", "true");
        set(made[i], "tooltip", b.p);
        set(made[i], "shape", "box");
        set(made[i], "style", nodes[i].focus ? "rounded,filled,bold" : "rounded,filled");
        set(made[i], "fillcolor", nodes[i].focus ? "#d9e8f6" : "#ffffff");
        set(made[i], "color", "#1a4480");
        set(made[i], "fontname", "Helvetica");
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
        struct label_size size;
        label_text(&b, edges[i].label ? edges[i].label : "", &size);
        set(ed, "label", b.p);
        set(ed, "fontname", "Helvetica");
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
    if (!gvc) {
        agseterr(AGERR); /* its warnings (text sizes) would go to stderr */
        gvc = context();
    }
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

int graph_layout(size_t n_nodes, const struct graph_edge *edges, size_t n_edges, double w,
                 double h, struct graph_box *boxes, struct err *e)
{
    if (n_nodes > GRAPH_LAYOUT_MAX_NODES)
        n_nodes = GRAPH_LAYOUT_MAX_NODES;
    if (!n_nodes)
        return 0;
    Agnode_t **made = calloc(n_nodes, sizeof *made);
    if (!made) {
        err_internal(e, "out of memory");
        return -1;
    }
    int rc = -1;
    pthread_mutex_lock(&gv_lock);
    if (!gvc) {
        agseterr(AGERR);
        gvc = context();
    }
    Agraph_t *g = gvc ? agopen((char *)"layout", Agdirected, NULL) : NULL;
    if (g) {
        set(g, "rankdir", "LR");
        set(g, "nodesep", "0.4");
        set(g, "ranksep", "0.8");
        char dim[32];
        for (size_t i = 0; i < n_nodes; i++) {
            char name[32];
            snprintf(name, sizeof name, "n%zu", i);
            made[i] = agnode(g, name, 1);
            set(made[i], "shape", "box");
            set(made[i], "fixedsize", "true");
            set(made[i], "label", "");
            snprintf(dim, sizeof dim, "%.3f", w / 72.0);
            set(made[i], "width", dim);
            snprintf(dim, sizeof dim, "%.3f", h / 72.0);
            set(made[i], "height", dim);
        }
        for (size_t i = 0; i < n_edges; i++)
            if (edges[i].from < n_nodes && edges[i].to < n_nodes)
                agedge(g, made[edges[i].from], made[edges[i].to], NULL, 1);
        if (gvLayout(gvc, g, "dot") == 0) {
            /* Graphviz's y grows upwards from the bounding box's bottom */
            boxf bb = GD_bb(g);
            for (size_t i = 0; i < n_nodes; i++) {
                pointf c = ND_coord(made[i]);
                double nw = ND_width(made[i]) * 72.0, nh = ND_height(made[i]) * 72.0;
                boxes[i] = (struct graph_box){lround(c.x - bb.LL.x - nw / 2) + 20,
                                              lround(bb.UR.y - c.y - nh / 2) + 20, lround(nw),
                                              lround(nh)};
                if (boxes[i].x < 0)
                    boxes[i].x = 0;
                if (boxes[i].y < 0)
                    boxes[i].y = 0;
            }
            gvFreeLayout(gvc, g);
            rc = 0;
        }
        agclose(g);
    }
    pthread_mutex_unlock(&gv_lock);
    free(made);
    if (rc < 0)
        err_internal(e, "Graphviz could not lay out the diagram");
    return rc;
}
