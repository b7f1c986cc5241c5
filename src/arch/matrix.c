/* matrix: a collection's matrices (model key "matrices"; issue 15: the
 * capability × state body and function × information system matrices).
 * Four queries whatever the size: the rows, the relations of the matrix's
 * type (from the relations graph in memory when it is built and the
 * matrix shows no relation attribute), the far ends they reach, the
 * columns. */
#include "arch/arch.h"

#include "util/arena.h"

#include <string.h>

static const char *text_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The rows shown, as arch_tree gives them: a subtree matrix's in tree
 * order, else every row whose filter field is `filter`, by name. */
static json_t *rows_shown(const struct model_collection *c, const struct model_matrix *mx,
                          const json_t *rows, const json_t *order, const char *filter)
{
    if (mx->subtree)
        return arch_tree(c->map, mx->filter, rows, order, filter);
    json_t *out = json_array(), *v;
    size_t i;
    json_array_foreach (order, i, v) {
        const char *fv = mx->filter ? text_of(json_object_get(rows, json_string_value(v)),
                                              mx->filter)
                                    : NULL;
        if (!filter || (fv && strcmp(fv, filter) == 0))
            json_array_append_new(out, json_pack("{s:O, s:i}", "id", v, "depth", 0));
    }
    return out;
}

/* A row's own cells: column id → {far end id: true} (counted), or with
 * a cell attribute column id → the attribute's value ("" when unset). */
static json_t *own_cells(const struct model_matrix *mx, const json_t *entries, const json_t *fars,
                         const json_t *cols)
{
    json_t *cells = json_object(), *en;
    size_t i;
    json_array_foreach (entries, i, en) {
        const char *far_id = text_of(en, "id");
        const json_t *far = json_object_get(fars, far_id);
        const char *col = mx->column ? text_of(far, mx->column) : far_id;
        if (!far || !col || !json_object_get(cols, col))
            continue;
        if (mx->cell) {
            const char *v = text_of(en, "cell");
            if (!json_object_get(cells, col))
                json_object_set_new(cells, col, json_string(v ? v : ""));
            continue;
        }
        json_t *set = json_object_get(cells, col);
        if (!set)
            json_object_set_new(cells, col, set = json_object());
        json_object_set_new(set, far_id, json_true());
    }
    return cells;
}

/* Every row's cells, a subtree row's with its descendants' far ends (the
 * rows in reverse meet each child before its parent); counts as numbers. */
static json_t *all_cells(const struct model_matrix *mx, const json_t *shown, const json_t *far_by,
                         const json_t *fars, const json_t *cols)
{
    json_t *by_row = json_object();
    for (size_t i = json_array_size(shown); i-- > 0;) {
        const json_t *t = json_array_get(shown, i);
        const char *id = text_of(t, "id"), *parent = text_of(t, "parent");
        json_t *own = own_cells(mx, json_object_get(far_by, id), fars, cols);
        json_t *cells = json_object_get(by_row, id);
        if (cells) {
            const char *col;
            json_t *set;
            json_object_foreach (own, col, set) {
                json_t *had = json_object_get(cells, col);
                if (had)
                    json_object_update(had, set);
                else
                    json_object_set(cells, col, set);
            }
            json_decref(own);
        } else {
            json_object_set_new(by_row, id, cells = own);
        }
        if (!parent)
            continue;
        json_t *pc = json_object_get(by_row, parent);
        if (!pc)
            json_object_set_new(by_row, parent, pc = json_object());
        const char *col;
        json_t *set;
        json_object_foreach (cells, col, set) {
            json_t *had = json_object_get(pc, col);
            if (!had)
                json_object_set_new(pc, col, had = json_object());
            json_object_update(had, set);
        }
    }
    if (mx->cell)
        return by_row;
    const char *row;
    json_t *cells;
    json_object_foreach (by_row, row, cells) {
        const char *col;
        json_t *set;
        json_object_foreach (cells, col, set)
            json_object_set_new(cells, col, json_integer((json_int_t)json_object_size(set)));
    }
    return by_row;
}

/* The matrix's relations at the rows `at` (their ids the keys), as
 * arch_relations_by_end gives them without a cell, from the relations
 * graph in memory (registry_links: a relation kept when the reader may
 * read it, as a walk decides). 1 when the store must answer: the graph is
 * not built, or the matrix shows a relation attribute (the graph holds
 * none). */
static int relations_in_memory(struct registry *r, const struct actor *a,
                               const struct model_matrix *mx, const json_t *at, json_t *by,
                               json_t *others)
{
    if (mx->cell)
        return 1;
    struct arena *ar = arena_new();
    const char **ids = arena_calloc(ar, json_object_size(at) + 1, sizeof *ids);
    size_t n = 0;
    const char *id;
    json_t *v;
    json_object_foreach ((json_t *)at, id, v)
        ids[n++] = id;
    struct registry_link *l;
    long k = registry_links(r, a, ar, mx->relation, mx->out, ids, n, &l);
    for (long i = 0; i < k; i++) {
        json_t *list = json_object_get(by, l[i].from);
        if (!list)
            json_object_set_new(by, l[i].from, list = json_array());
        json_array_append_new(list, json_pack("{s:s}", "id", l[i].other));
        json_object_set_new(others, l[i].other, json_true());
    }
    arena_free(ar);
    return k < 0 ? 1 : 0;
}

/* May the rows be narrowed by the filter index (the filter field is
 * filterable in every kind of the collection) rather than read whole? Not
 * for a subtree, whose rows take their ancestors' filter value. */
static bool narrow_by_index(struct registry *r, const struct model_collection *c,
                            const struct model_matrix *mx, const char *filter)
{
    return filter && mx->filter && !mx->subtree && arch_field_indexed(r, c, mx->filter);
}

int arch_matrix_build(struct registry *r, const struct actor *a, const struct model_collection *c,
                      const struct model_matrix *mx, const char *filter, json_t **out,
                      struct err *e)
{
    *out = NULL;
    if (filter && !mx->filter) {
        err_bad_request(e, "filter", "the matrix cannot be narrowed");
        return -1;
    }
    json_t *rows = json_object(), *order = json_array(), *far_by = json_object();
    json_t *far_ids = json_object(), *fars = json_object(), *col_ids = json_object();
    json_t *cols = json_object(), *col_order = json_array();
    int rc = narrow_by_index(r, c, mx, filter)
                 ? arch_load_filtered(r, a, c->id, mx->filter, filter, rows, order, e)
                 : arch_load(r, a, ARCH_WHERE_COLLECTION, c->id, rows, order, e);
    /* the rows shown first: only their far ends make columns */
    json_t *shown = rows_shown(c, mx, rows, order, filter), *at = json_object(), *t;
    size_t i;
    json_array_foreach (shown, i, t)
        json_object_set_new(at, text_of(t, "id"), json_true());
    if (rc == 0 && relations_in_memory(r, a, mx, at, far_by, far_ids) > 0)
        rc = arch_relations_by_end(r, mx->relation, mx->out ? "source" : "target", mx->cell, at,
                                   far_by, far_ids, e);
    json_decref(at);
    if (rc == 0)
        rc = arch_load_ids(r, a, far_ids, false, fars, NULL, e);
    const char *id;
    json_t *far;
    json_object_foreach (fars, id, far) {
        const char *col = mx->column ? text_of(far, mx->column) : id;
        if (col)
            json_object_set_new(col_ids, col, json_true());
    }
    if (rc == 0)
        rc = arch_load_ids(r, a, col_ids, false, cols, col_order, e);
    json_t *cells = all_cells(mx, shown, far_by, fars, cols);
    json_t *out_rows = json_array(), *out_cols = json_array(), *v;
    json_array_foreach (shown, i, t) {
        const char *rid = text_of(t, "id");
        json_t *row_cells = json_object_get(cells, rid);
        json_array_append_new(out_rows,
                              json_pack("{s:s, s:O?, s:O, s:o}", "id", rid, "name",
                                        json_object_get(json_object_get(rows, rid), "name"),
                                        "depth", json_object_get(t, "depth"), "cells",
                                        row_cells ? json_incref(row_cells) : json_object()));
    }
    json_array_foreach (col_order, i, v) {
        const json_t *col = json_object_get(cols, json_string_value(v));
        json_array_append_new(out_cols, json_pack("{s:O, s:s, s:O?}", "id", v, "kind",
                                                  text_of(col, "kind"), "name",
                                                  json_object_get(col, "name")));
    }
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o, s:o}", "id", mx->id, "collection",
                         c->id, "relation", mx->relation, "cell", mx->cell, "filter", filter,
                         "rows", out_rows, "columns", out_cols);
    else {
        json_decref(out_rows);
        json_decref(out_cols);
    }
    json_decref(rows);
    json_decref(order);
    json_decref(far_by);
    json_decref(far_ids);
    json_decref(fars);
    json_decref(col_ids);
    json_decref(cols);
    json_decref(col_order);
    json_decref(shown);
    json_decref(cells);
    return rc;
}
