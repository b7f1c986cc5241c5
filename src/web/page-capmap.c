/* The map and matrices pages (issue 15): for a collection
 * whose model declares a map, /{lang}/{collection}/map draws it as nested
 * tiles coloured by a measure chosen in a plain GET form (the capability
 * map: capabilities by their parent, the functions and services each
 * groups), with a legend and the same figures as a table; for each matrix
 * a collection declares, /{lang}/{collection}/matrix/{id} shows it as a
 * table and /{lang}/{collection}/matrix/{id}.csv as a file. The figures
 * are src/arch's, as the reader may read them; no kind is named here. */
#include "web/internal.h"

#include "arch/arch.h"
#include "calendar/calsvc.h"
#include "registry/registry.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The labels on the page of the measures of arch's table, by id (a measure the
 * page does not know is offered under its id). */
static const struct {
    const char *id, *label, *about;
} MEASURE_TEXT[] = {
    {"systems", TR("Systems automating it"),
     TR("How many information systems automate the functions and services it groups, with the "
        "capabilities under it; each system counted once.")},
    {"stages", TR("Life-cycle stages of its systems"),
     TR("The share of those systems at each stage of their life cycle; the colour shows the "
        "share of the first.")},
    {"completeness", TR("Completeness of its systems' records"),
     TR("The mean completeness of those systems' records on the portal (data, documents and "
        "relations), in per cent.")},
};

/* The views of the map (arch_view_parse's names, in its order), for the
 * form. */
static const struct {
    const char *id, *label;
} VIEW_TEXT[] = {
    {"as_is", TR("Current (as-is)")},
    {"target", TR("Target")},
    {"difference", TR("Difference: current → target")},
};

#define HEAT_STEPS 5
#define LEAVES_SHOWN 5

/* What a measure of the model's says on the map (its label is the
 * model's). */
static const char *const MODEL_MEASURE_ABOUT =
    TR("Computed as the model declares it for the record itself (not for the records under it): "
       "the share of the items it counts that are done, in per cent.");

static const char *measure_text(const char *id, bool about)
{
    for (size_t i = 0; i < sizeof MEASURE_TEXT / sizeof MEASURE_TEXT[0]; i++)
        if (strcmp(MEASURE_TEXT[i].id, id) == 0)
            return about ? MEASURE_TEXT[i].about : MEASURE_TEXT[i].label;
    return about ? "" : id;
}

static const char *measure_label(struct page *pg, const struct arch_measure *ms)
{
    return ms->model ? web_label(pg->lang, ms->model->label)
                     : page_tr(pg, measure_text(ms->id, false));
}

static const char *measure_about(struct page *pg, const struct arch_measure *ms)
{
    const char *about = ms->model ? MODEL_MEASURE_ABOUT : measure_text(ms->id, true);
    return *about ? page_tr(pg, about) : "";
}

/* The collection of the path (/{lang}/{collection}/…) and its last
 * segment without ".csv" (*csv says whether it had one). */
static const struct model_collection *path_parts(struct page *pg, const char **last, bool *csv)
{
    const char *slash = strrchr(pg->req->path, '/');
    const char *seg = slash ? slash + 1 : "";
    size_t n = strlen(seg);
    *csv = n > 4 && strcmp(seg + n - 4, ".csv") == 0;
    *last = arena_strndup(pg->req->arena, seg, *csv ? n - 4 : n);
    return web_path_collection(pg);
}

/* The filter's value (?<field>=<id>): NULL when absent or empty; false
 * after answering 400 for one that is no id. */
static bool filter_param(struct page *pg, const char *field, const char **out)
{
    *out = field ? http_req_query(pg->req, field) : NULL;
    if (*out && !**out)
        *out = NULL;
    if (*out && !text_id_valid(*out)) {
        page_error(pg, 400, NULL);
        return false;
    }
    return true;
}

/* The records the filter may name (the filter field's kinds, as the reader
 * may read them): [{id, name, selected}], by name. */
static json_t *filter_options(struct page *pg, const char *kind, const char *field,
                              const char *chosen)
{
    const struct model *m = pg->w->api->model;
    const struct model_field *f = model_field(model_kind(m, kind), field);
    json_t *opts = json_array();
    for (size_t i = 0; f && i < f->n_ref_kinds; i++) {
        const struct model_kind *k = model_kind(m, f->ref_kinds[i]);
        json_t *recs = json_object(), *order = json_array(), *v;
        struct err e = ERR_INIT;
        size_t j;
        if (k && arch_load(pg->w->api->reg, &pg->actor, ARCH_WHERE_COLLECTION, k->collection,
                           recs, order, &e) == 0)
            json_array_foreach (order, j, v) {
                const json_t *rec = json_object_get(recs, json_string_value(v));
                if (strcmp(json_string_value(json_object_get(rec, "kind")), k->id) != 0)
                    continue;
                json_t *o = json_pack("{s:O, s:s, s:b}", "id", v, "name",
                                      web_name(pg->lang, json_object_get(rec, "name")),
                                      "selected", chosen && strcmp(chosen, json_string_value(v)) == 0);
                json_array_append_new(opts, o);
            }
        json_decref(recs);
        json_decref(order);
    }
    return opts;
}

/* The filter form's data: {field, label, options} or NULL without one. */
static json_t *filter_form(struct page *pg, const char *kind, const char *field, const char *chosen)
{
    if (!field)
        return NULL;
    const struct model_field *f = model_field(model_kind(pg->w->api->model, kind), field);
    return json_pack("{s:s, s:s, s:o}", "field", field, "label",
                     f ? web_label(pg->lang, f->label) : field, "options",
                     filter_options(pg, kind, field, chosen));
}

/* ---- the map ------------------------------------------------------------------------ */

/* The colour step (1…HEAT_STEPS) of a value: a percentage by fifths; a
 * count 0 the first, the map's largest the last, the others between. */
static int heat_step(enum arch_scale scale, double value, double max)
{
    int step = scale == ARCH_PERCENT ? 1 + (int)floor(value * HEAT_STEPS / 100.0)
               : max > 0          ? 1 + (int)ceil(value * (HEAT_STEPS - 1) / max - 1e-9)
                                  : 1;
    return step < 1 ? 1 : step > HEAT_STEPS ? HEAT_STEPS : step;
}

/* The legend: each step with the values it stands for. */
static json_t *legend(struct page *pg, enum arch_scale scale, double max)
{
    json_t *steps = json_array();
    for (int s = 1; s <= HEAT_STEPS; s++) {
        const char *range;
        if (scale == ARCH_PERCENT) {
            range = arena_printf(pg->req->arena, "%d–%d %%", (s - 1) * 100 / HEAT_STEPS,
                                 s * 100 / HEAT_STEPS);
        } else {
            /* the counts v with heat_step(v) == s */
            long lo = s == 1 ? 0 : (long)floor((s - 2) * max / (HEAT_STEPS - 1)) + 1;
            long hi = s == 1 ? 0 : (long)floor((s - 1) * max / (HEAT_STEPS - 1) + 1e-9);
            if (hi < lo || (s > 1 && max <= 0))
                continue;
            range = lo == hi ? arena_printf(pg->req->arena, "%ld", lo)
                             : arena_printf(pg->req->arena, "%ld–%ld", lo, hi);
        }
        json_array_append_new(steps, json_pack("{s:i, s:s}", "step", s, "range", range));
    }
    return steps;
}

/* A value as "%.0f" (and " %" for a percentage) prints it: a whole number
 * (a count, mostly) as its digits, for thousands of tiles and cells
 * (printf's floating point is slow). */
static const char *number_text(struct page *pg, double v, bool percent)
{
    if (v >= 0 && v < 1e15 && v == floor(v) && !signbit(v)) {
        char digits[24], *p = digits + sizeof digits;
        *--p = '\0';
        if (percent) {
            p -= 2;
            memcpy(p, " %", 2);
        }
        p = text_digits((unsigned long long)v, p);
        return arena_strdup(pg->req->arena, p);
    }
    return percent ? arena_printf(pg->req->arena, "%.0f %%", v)
                   : arena_printf(pg->req->arena, "%.0f", v);
}

static const char *value_text(struct page *pg, enum arch_scale scale, const struct arch_map_tile *x)
{
    if (!x->has)
        return page_tr(pg, TR("no systems"));
    return number_text(pg, x->value, scale == ARCH_PERCENT);
}

/* The difference's value: as-is → target (a tile removed has none). */
static const char *change_text(struct page *pg, enum arch_scale scale,
                               const struct arch_map_tile *x)
{
    const char *was = x->had ? number_text(pg, x->before, scale == ARCH_PERCENT)
                             : page_tr(pg, TR("no systems"));
    const char *now = x->has ? value_text(pg, scale, x) : "—";
    return arena_printf(pg->req->arena, "%s → %s", was, now);
}

/* The change's words ("Kept" when none): the tile says it in text, not by
 * its colour alone. */
static const char *change_label(struct page *pg, const char *effect)
{
    return strcmp(effect, "keep") == 0 ? page_tr(pg, TR("Kept"))
                                       : web_gap_effect_label(pg, effect);
}

/* A card link and name of a record (name_lang when not in the page's
 * language). */
static json_t *named_link(struct page *pg, const char *kind, const char *id, const json_t *name)
{
    const struct model_kind *k = model_kind(pg->w->api->model, kind);
    const char *n = web_name(pg->lang, name);
    json_t *o = json_pack("{s:s}", "name", *n ? n : id);
    web_set_name_lang(o, pg->lang, name);
    if (k)
        json_object_set_new(o, "href", json_string(page_url(pg, "/%s/%s", k->collection, id)));
    return o;
}

/* Small whole numbers, each made once a page: thousands of tiles and rows
 * repeat them. */
struct small_ints {
    json_t *v[256];
};

static json_t *small_int(struct small_ints *c, json_int_t n)
{
    if (n < 0 || n >= (json_int_t)(sizeof c->v / sizeof c->v[0]))
        return json_integer(n);
    if (!c->v[n])
        c->v[n] = json_integer(n);
    return json_incref(c->v[n]);
}

static void small_ints_drop(struct small_ints *c)
{
    for (size_t i = 0; i < sizeof c->v / sizeof c->v[0]; i++)
        json_decref(c->v[i]);
}

/* The tiles nested: roots, their children, and below those every
 * descendant in tree order (a page nests three levels). Each tile is its
 * row of the table (rows[i]: its link and value's text) with the tile's
 * own figures added: its colour, its leaves (when listed) or their count,
 * and its children. */
static json_t *nested(struct page *pg, const struct arch_map_view *v, json_t *rows,
                      struct small_ints *ints)
{
    json_t *roots = json_array(), *root = NULL, *child = NULL, *none = json_string("none");
    for (size_t i = 0; i < v->n; i++) {
        const struct arch_map_tile *x = &v->tiles[i];
        json_t *t = json_array_get(rows, i), *l;
        json_object_set_new(t, "heat",
                            x->has ? small_int(ints, heat_step(v->scale, x->value, v->max))
                                   : json_incref(none));
        json_t *leaves = json_array_size(x->leaves) ? json_array() : json_false();
        size_t j;
        json_array_foreach (x->leaves, j, l) {
            if (j == LEAVES_SHOWN)
                break;
            json_array_append_new(leaves,
                                  named_link(pg, json_string_value(json_object_get(l, "kind")),
                                             json_string_value(json_object_get(l, "id")),
                                             json_object_get(l, "name")));
        }
        size_t n = x->leaf_count;
        json_object_set_new(t, "leaves", leaves);
        if (!x->leaves && n > 0) /* a large map: the count only */
            json_object_set_new(t, "count", small_int(ints, (json_int_t)n));
        else if (n > LEAVES_SHOWN)
            json_object_set_new(t, "more", json_integer((json_int_t)(n - LEAVES_SHOWN)));
        /* none yet (false, not absent: a tile's own, not its parent's) */
        json_object_set_new(t, "children", json_false());
        json_t *parent = NULL;
        if (x->depth == 0 || !root) {
            json_array_append(roots, t);
            root = t;
            child = NULL;
        } else if (x->depth == 1 || !child) {
            parent = root;
            child = t;
        } else {
            json_object_set_new(t, "depth", small_int(ints, x->depth));
            parent = child;
        }
        if (parent && !json_is_array(json_object_get(parent, "children")))
            json_object_set_new(parent, "children", json_array());
        if (parent)
            json_array_append(json_object_get(parent, "children"), t);
    }
    json_decref(none);
    return roots;
}

/* The same figures as rows: name (indented by depth), leaves, systems,
 * the measure, and the share per stage group when the measure gives them. */
static json_t *table_rows(struct page *pg, const char *kind, const struct model_map *decl,
                          const struct arch_map_view *v, struct small_ints *ints,
                          json_t **stage_heads)
{
    const struct model_kind *k = model_kind(pg->w->api->model, kind);
    /* each card's address: the collection's, then the id */
    const char *base = k ? page_url(pg, "/%s/", k->collection) : NULL;
    size_t base_len = base ? strlen(base) : 0;
    json_t *rows = json_array(),
           *no_value = json_string(value_text(pg, v->scale, &(struct arch_map_tile){0}));
    bool by_stage = strcmp(v->measure, "stages") == 0;
    *stage_heads = NULL;
    for (size_t i = 0; i < v->n; i++) {
        const struct arch_map_tile *x = &v->tiles[i];
        const char *n = web_name(pg->lang, x->name);
        json_t *r = json_object();
        json_object_set_new_nocheck(r, "name", json_string(*n ? n : x->id));
        web_set_name_lang(r, pg->lang, x->name);
        if (base) {
            size_t id_len = strlen(x->id);
            char *href = arena_alloc(pg->req->arena, base_len + id_len + 1);
            memcpy(href, base, base_len);
            memcpy(href + base_len, x->id, id_len + 1);
            json_object_set_new(r, "href", json_stringn(href, base_len + id_len));
        }
        json_object_set_new(r, "indent", small_int(ints, x->depth > 4 ? 4 : x->depth));
        json_object_set_new(r, "leaf_count", small_int(ints, (json_int_t)x->leaf_count));
        json_object_set_new(r, "systems", small_int(ints, (json_int_t)x->systems));
        json_object_set_new(
            r, "value", x->has ? json_string(value_text(pg, v->scale, x)) : json_incref(no_value));
        if (x->effect) { /* the difference */
            json_object_set_new(r, "value", json_string(change_text(pg, v->scale, x)));
            json_object_set_new(r, "change", json_string(change_label(pg, x->effect)));
            json_object_set_new(r, "change_id", json_string(x->effect));
        }
        const json_t *stages = json_object_get(x->figures, "stages");
        if (by_stage) {
            json_t *cells = json_array();
            for (size_t g = 0; g < decl->n_stages; g++) {
                const json_t *s = json_object_get(stages, decl->stages[g].id);
                json_array_append_new(
                    cells, json_pack("{s:s}", "text",
                                     s ? number_text(pg, json_number_value(s), true) : "—"));
            }
            json_object_set_new(r, "stages", cells);
        }
        json_array_append_new(rows, r);
    }
    json_decref(no_value);
    if (by_stage) {
        *stage_heads = json_array();
        for (size_t g = 0; g < decl->n_stages; g++)
            json_array_append_new(*stage_heads,
                                  json_pack("{s:s}", "label", web_label(pg->lang, decl->stages[g].label)));
    }
    return rows;
}

/* The form's views: [{id, label, selected}]. */
static json_t *view_options(struct page *pg, enum arch_view chosen)
{
    json_t *out = json_array();
    for (size_t i = 0; i < sizeof VIEW_TEXT / sizeof VIEW_TEXT[0]; i++) {
        enum arch_view v;
        arch_view_parse(VIEW_TEXT[i].id, &v);
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "id", VIEW_TEXT[i].id, "label",
                                             page_tr(pg, VIEW_TEXT[i].label), "selected",
                                             v == chosen));
    }
    return out;
}

/* The difference's legend: each change of the gap matrix, kept first. */
static json_t *change_legend(struct page *pg)
{
    json_t *out = json_pack("[{s:s, s:s}]", "id", "keep", "label", change_label(pg, "keep"));
    for (size_t i = 0; MODEL_GAP_EFFECTS[i]; i++)
        json_array_append_new(out, json_pack("{s:s, s:s}", "id", MODEL_GAP_EFFECTS[i], "label",
                                             change_label(pg, MODEL_GAP_EFFECTS[i])));
    return out;
}

/* The instant the map is asked as of: ?at=<RFC 3339>, else the form's
 * ?on=<YYYY-MM-DD>, the end of that day on the portal's calendar; *set
 * false for now. False after answering 400. */
static bool as_of_param(struct page *pg, bool *set, int64_t *ms)
{
    const char *on = http_req_query(pg->req, "on");
    int y, mo, d;
    if (!page_at_param(pg, set, ms))
        return false;
    if (!*set && on && *on) {
        if (time_parse_date(on, &y, &mo, &d) < 0 || strlen(on) != 10) {
            page_error(pg, 400, page_tr(pg, TR("Enter the date as YYYY-MM-DD.")));
            return false;
        }
        *ms = calsvc_day_end(pg->w->api->cal, time_days_from_civil(y, mo, d));
        *set = true;
    }
    return true;
}

static void h_map(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *last, *filter;
    bool csv;
    const struct model_collection *c = path_parts(&pg, &last, &csv);
    if (!c || !c->map) {
        page_error(&pg, 404, NULL);
        return;
    }
    const struct model_map *decl = c->map;
    if (!filter_param(&pg, decl->filter, &filter))
        return;
    bool at_set;
    int64_t at_ms;
    if (!as_of_param(&pg, &at_set, &at_ms))
        return;
    const char *measure = http_req_query(req, "measure");
    const char *view_id = http_req_query(req, "view");
    enum arch_view view;
    if (!arch_view_parse(view_id && *view_id ? view_id : NULL, &view)) {
        page_error(&pg, 400, NULL);
        return;
    }
    struct arch_map_view *map = NULL;
    struct err e = ERR_INIT;
    struct registry_at *at = at_set ? registry_at_open(pg.w->api->reg, &pg.actor, at_ms) : NULL;
    int rc = arch_map_view_build(pg.w->api->reg, pg.w->api->docs, &pg.actor, c,
                                 measure && *measure ? measure : NULL, filter, view, at, &map, &e);
    registry_at_close(at);
    if (rc < 0) {
        bool bad = e.status == 400;
        page_error(&pg, e.status,
                   bad && strcmp(e.field, "view") == 0
                       ? page_tr(&pg, at ? TR("The target and the difference are shown only as "
                                              "they are now: leave the date empty.")
                                         : TR("This measure is shown for the current "
                                              "architecture only."))
                   : at && bad && strcmp(e.field, "at") == 0
                       ? page_tr(&pg, TR("This measure is shown only as it is now."))
                       : NULL);
        return;
    }
    pg.nav = "registry";
    const char *chosen = map->measure;
    const struct model *model = pg.w->api->model;
    struct arch_measure ms, x;
    arch_measure(model, decl, chosen, &ms);
    json_t *measures = json_array();
    for (size_t i = 0; arch_measure_nth(model, decl, i, &x); i++)
        if ((!at_set || arch_measure_as_of(&x)) && (view == ARCH_AS_IS || !x.model))
            json_array_append_new(measures, json_pack("{s:s, s:s, s:b}", "id", x.id, "label",
                                                      measure_label(&pg, &x), "selected",
                                                      strcmp(x.id, chosen) == 0));
    const char *when = map->at;
    if (when) { /* as it was then, with the way back to now */
        json_object_set_new(pg.data, "as_of", json_string(page_local_time(&pg, when)));
        json_object_set_new(pg.data, "now_url", json_string(page_url(&pg, "/%s/map", c->id)));
    }
    const char *on = http_req_query(req, "on");
    json_object_set_new(pg.data, "on", json_string(on ? on : ""));
    json_object_set_new(pg.data, "views", view_options(&pg, view));
    if (view != ARCH_AS_IS)
        json_object_set_new(pg.data, "gaps_url", json_string(page_url(&pg, "/gaps")));
    if (view == ARCH_TARGET)
        json_object_set_new(pg.data, "target", json_true());
    if (view == ARCH_DIFFERENCE) {
        json_object_set_new(pg.data, "difference", json_true());
        json_object_set_new(pg.data, "changes", change_legend(&pg));
    }
    json_t *stage_heads = NULL;
    struct small_ints ints = {{NULL}};
    json_t *rows = table_rows(&pg, decl->kind, decl, map, &ints, &stage_heads);
    const char *about = measure_about(&pg, &ms);
    json_object_set_new(pg.data, "collection", json_string(web_label(pg.lang, c->label)));
    json_object_set_new(pg.data, "list_url", json_string(page_url(&pg, "/%s", c->id)));
    json_object_set_new(pg.data, "self_url", json_string(page_url(&pg, "/%s/map", c->id)));
    json_object_set_new(pg.data, "measures", measures);
    json_object_set_new(pg.data, "measure_label", json_string(measure_label(&pg, &ms)));
    if (*about)
        json_object_set_new(pg.data, "measure_about", json_string(about));
    if (strcmp(chosen, "stages") == 0)
        json_object_set_new(pg.data, "stage_first", json_string(web_label(pg.lang, decl->stages[0].label)));
    json_t *ff = filter_form(&pg, decl->kind, decl->filter, filter);
    if (ff)
        json_object_set_new(pg.data, "filter", ff);
    json_object_set_new(pg.data, "legend",
                        legend(&pg, ms.scale, map->max));
    json_t *roots = nested(&pg, map, rows, &ints);
    small_ints_drop(&ints);
    json_object_set_new(pg.data, "has_tiles", json_boolean(json_array_size(roots) > 0));
    if (decl->filter && !map->listed)
        json_object_set_new(pg.data, "leaves_unlisted", json_true());
    json_object_set_new(pg.data, "roots", roots);
    json_object_set_new(pg.data, "rows", rows);
    if (stage_heads)
        json_object_set_new(pg.data, "stage_heads", stage_heads);
    json_t *links = json_array();
    for (size_t i = 0; i < c->n_matrices; i++)
        json_array_append_new(links, json_pack("{s:s, s:s}", "label",
                                               web_label(pg.lang, c->matrices[i].label), "href",
                                               page_url(&pg, "/%s/matrix/%s", c->id,
                                                        c->matrices[i].id)));
    json_object_set_new(pg.data, "matrices", links);
    arch_map_view_free(map);
    page_render(&pg, 200, "capmap/map",
                arena_printf(req->arena, "%s: %s", page_tr(&pg, TR("Map")),
                             web_label(pg.lang, c->label)));
}

/* ---- matrices ---------------------------------------------------------------------- */

static const struct model_matrix *matrix_of(const struct model_collection *c, const char *id)
{
    for (size_t i = 0; c && i < c->n_matrices; i++)
        if (strcmp(c->matrices[i].id, id) == 0)
            return &c->matrices[i];
    return NULL;
}

/* A cell's text: the attribute's label, or the count ("" when none). */
static const char *cell_text(struct page *pg, const struct model_matrix *mx, const json_t *v)
{
    if (!v)
        return "";
    if (json_is_integer(v))
        return arena_printf(pg->req->arena, "%lld", (long long)json_integer_value(v));
    const struct model_kind *rel = model_kind(pg->w->api->model, mx->relation);
    const struct model_field *f = rel && mx->cell ? model_field(rel, mx->cell) : NULL;
    const char *s = json_string_value(v);
    if (!s || !*s)
        return "✓";
    return f ? page_enum_label(pg, f->enumeration, s) : s;
}

/* The matrix's CSV: a head row (the rows' kind, then each column's name)
 * and a row per row. */
static void matrix_csv(struct page *pg, const struct model_collection *c,
                       const struct model_matrix *mx, const json_t *out)
{
    struct page_csv csv;
    if (page_csv_begin(pg, &csv) < 0)
        return;
    const json_t *cols = json_object_get(out, "columns"), *col, *row;
    size_t n = json_array_size(cols) + 1, i, j;
    const char **cells = arena_calloc(pg->req->arena, n, sizeof *cells);
    cells[0] = web_label(pg->lang, c->label);
    json_array_foreach (cols, i, col)
        cells[i + 1] = web_name(pg->lang, json_object_get(col, "name"));
    web_csv_row(csv.f, cells, n, csv.sep);
    json_array_foreach (json_object_get(out, "rows"), j, row) {
        cells[0] = web_name(pg->lang, json_object_get(row, "name"));
        json_array_foreach (cols, i, col)
            cells[i + 1] = cell_text(pg, mx, json_object_get(json_object_get(row, "cells"),
                                                             json_string_value(json_object_get(col, "id"))));
        web_csv_row(csv.f, cells, n, csv.sep);
    }
    page_csv_send(pg, &csv, arena_printf(pg->req->arena, "%s-%s", c->id, mx->id));
}

/* The most cells a matrix's page shows (rows × columns); a larger one
 * says so and offers its CSV and the narrowing form. */
#define MATRIX_PAGE_CELLS 40000

static void h_matrix(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *last, *filter;
    bool csv;
    const struct model_collection *c = path_parts(&pg, &last, &csv);
    const struct model_matrix *mx = matrix_of(c, last);
    if (!mx) {
        page_error(&pg, 404, NULL);
        return;
    }
    if (!filter_param(&pg, mx->filter, &filter))
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (arch_matrix_build(pg.w->api->reg, &pg.actor, c, mx, filter, &out, &e) < 0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    if (csv) {
        matrix_csv(&pg, c, mx, out);
        json_decref(out);
        return;
    }
    pg.nav = "registry";
    json_t *cols = json_array(), *rows = json_array(), *col, *row;
    size_t i, j;
    size_t n_rows = json_array_size(json_object_get(out, "rows"));
    size_t n_cols = json_array_size(json_object_get(out, "columns"));
    if (n_rows * n_cols > MATRIX_PAGE_CELLS) {
        /* the whole country's bodies × capabilities: no page holds it, the
         * CSV does; a domain's fits */
        json_object_set_new(pg.data, "too_large",
                            json_pack("{s:I, s:I}", "rows", (json_int_t)n_rows, "columns",
                                      (json_int_t)n_cols));
        json_array_clear(json_object_get(out, "rows"));
        json_array_clear(json_object_get(out, "columns"));
    }
    json_array_foreach (json_object_get(out, "columns"), i, col)
        json_array_append_new(cols, named_link(&pg, json_string_value(json_object_get(col, "kind")),
                                               json_string_value(json_object_get(col, "id")),
                                               json_object_get(col, "name")));
    const char *row_kind = c->n_kinds == 1 ? c->kinds[0] : NULL;
    json_array_foreach (json_object_get(out, "rows"), j, row) {
        const char *id = json_string_value(json_object_get(row, "id"));
        json_t *r = named_link(&pg, row_kind ? row_kind : "", id, json_object_get(row, "name"));
        if (!row_kind)
            json_object_set_new(r, "href", json_string(page_url(&pg, "/%s/%s", c->id, id)));
        json_int_t depth = json_integer_value(json_object_get(row, "depth"));
        json_object_set_new(r, "indent", json_integer(depth > 4 ? 4 : depth));
        json_t *cells = json_array();
        json_array_foreach (json_object_get(out, "columns"), i, col)
            json_array_append_new(cells, json_pack("{s:s}", "text",
                                                   cell_text(&pg, mx,
                                                             json_object_get(json_object_get(row, "cells"),
                                                                             json_string_value(json_object_get(col, "id"))))));
        json_object_set_new(r, "cells", cells);
        json_array_append_new(rows, r);
    }
    json_decref(out);
    const char *base = page_url(&pg, "/%s/matrix/%s.csv", c->id, mx->id);
    const char *q = filter ? arena_printf(req->arena, "?%s=%s", mx->filter, filter) : "";
    json_object_set_new(pg.data, "label", json_string(web_label(pg.lang, mx->label)));
    json_object_set_new(pg.data, "collection", json_string(web_label(pg.lang, c->label)));
    json_object_set_new(pg.data, "list_url", json_string(page_url(&pg, "/%s", c->id)));
    json_object_set_new(pg.data, "self_url",
                        json_string(page_url(&pg, "/%s/matrix/%s", c->id, mx->id)));
    if (c->map)
        json_object_set_new(pg.data, "map_url", json_string(page_url(&pg, "/%s/map", c->id)));
    json_object_set_new(pg.data, "csv_url", json_string(arena_printf(req->arena, "%s%s", base, q)));
    json_object_set_new(pg.data, "csv_semicolon_url",
                        json_string(arena_printf(req->arena, "%s%s%ssep=semicolon", base, q,
                                                 *q ? "&" : "?")));
    json_t *ff = filter_form(&pg, c->kinds[0], mx->filter, filter);
    if (ff)
        json_object_set_new(pg.data, "filter", ff);
    json_object_set_new(pg.data, "columns", cols);
    json_object_set_new(pg.data, "rows", rows);
    json_object_set_new(pg.data, "has_rows", json_boolean(json_array_size(rows) > 0));
    page_render(&pg, 200, "capmap/matrix", web_label(pg.lang, mx->label));
}

json_t *web_capmap_links(struct page *pg, const struct model_collection *c)
{
    json_t *links = json_array();
    if (c && c->map)
        json_array_append_new(links, json_pack("{s:s, s:s}", "label", page_tr(pg, TR("Map")), "href",
                                               page_url(pg, "/%s/map", c->id)));
    for (size_t i = 0; c && i < c->n_matrices; i++)
        json_array_append_new(links, json_pack("{s:s, s:s}", "label",
                                               web_label(pg->lang, c->matrices[i].label), "href",
                                               page_url(pg, "/%s/matrix/%s", c->id,
                                                        c->matrices[i].id)));
    for (size_t i = 0; c && i < c->n_networks; i++)
        json_array_append_new(links, json_pack("{s:s, s:s}", "label",
                                               web_label(pg->lang, c->networks[i].label), "href",
                                               page_url(pg, "/%s/network/%s", c->id,
                                                        c->networks[i].id)));
    return links;
}

/* Does the ref field `filter` of kind `of` name records of kind k? */
static bool narrows_by(const struct model *m, const char *of, const char *filter,
                       const struct model_kind *k)
{
    const struct model_kind *ok = filter ? model_kind(m, of) : NULL;
    const struct model_field *f = ok ? model_field(ok, filter) : NULL;
    for (size_t i = 0; f && f->type == FT_REF && i < f->n_ref_kinds; i++)
        if (strcmp(f->ref_kinds[i], k->id) == 0)
            return true;
    return false;
}

void web_capmap_record_links(struct page *pg, const struct model_kind *k, const char *id,
                             json_t *links)
{
    const struct model *m = pg->w->api->model;
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        const struct model_map *map = c->map;
        if (map && narrows_by(m, map->kind, map->filter, k))
            json_array_append_new(
                links, json_pack("{s:s, s:s}", "label",
                                 arena_printf(pg->req->arena, "%s: %s", page_tr(pg, TR("Map")),
                                              web_label(pg->lang, c->label)),
                                 "url", page_url(pg, "/%s/map?%s=%s", c->id, map->filter, id)));
        for (size_t j = 0; c->n_kinds && j < c->n_matrices; j++)
            if (narrows_by(m, c->kinds[0], c->matrices[j].filter, k))
                json_array_append_new(
                    links, json_pack("{s:s, s:s}", "label",
                                     web_label(pg->lang, c->matrices[j].label), "url",
                                     page_url(pg, "/%s/matrix/%s?%s=%s", c->id, c->matrices[j].id,
                                              c->matrices[j].filter, id)));
    }
}

/* The map and matrix pages of every collection that declares them. */
void web_capmap_routes(struct web *w, struct router *rt)
{
    const struct model *m = w->api->model;
    char path[256];
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        if (c->map) {
            snprintf(path, sizeof path, "/%s/map", c->id);
            web_route(rt, "GET", path, h_map, w);
        }
        for (size_t j = 0; j < c->n_matrices; j++) {
            snprintf(path, sizeof path, "/%s/matrix/%s", c->id, c->matrices[j].id);
            web_route(rt, "GET", path, h_matrix, w);
            snprintf(path, sizeof path, "/%s/matrix/%s.csv", c->id, c->matrices[j].id);
            web_route(rt, "GET", path, h_matrix, w);
        }
    }
}
