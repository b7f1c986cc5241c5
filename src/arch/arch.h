/* arch: views of the architecture drawn over many records at once, as the
 * model declares them on a collection (issue 15): its map (the functional
 * model as a capability map, each tile measured) and its matrices. Each
 * reads what it needs in a few queries (the collection, the relations of
 * one type, the records they reach), never one query per tile or row, and
 * shows only what the reader may read: a relation counts when both of its
 * ends may be read. */
#ifndef AP_ARCH_H
#define AP_ARCH_H

#include "auth/actor.h"
#include "model/model.h"
#include "registry/registry.h"
#include "util/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct docs;

/* How a measure's value reads: a count (coloured against the map's
 * largest) or a percentage (0-100). */
enum arch_scale { ARCH_COUNT, ARCH_PERCENT };

struct arch_map;
/* A measure of a tile from the distinct systems under it (`systems`: n
 * distinct indexes of the map's systems: arch_map_system_id and
 * arch_map_system give each one's id and record): *value, or *has false
 * when it has none (no systems). It may add its own figures to `tile`
 * (e.g. a share per stage group; NULL for the count of systems, which
 * adds none). */
typedef int (*arch_measure_fn)(struct arch_map *m, const char *tile_id, const uint32_t *systems,
                               size_t n, json_t *tile, double *value, bool *has, struct err *e);
struct arch_measure {
    const char *id;
    enum arch_scale scale;
    arch_measure_fn fn;
    const struct model_measure *model; /* one of the model's, or NULL */
};
/* The i-th measure a map can be coloured by (false past the last): those
 * of map.c's table (the first the default; new ones are added there, with
 * their labels in the page's), then each measure of the model's section
 * "measures" that the map's kind declares (its label the model's), in per
 * cent over the tile's record. */
bool arch_measure_nth(const struct model *model, const struct model_map *map, size_t i,
                      struct arch_measure *out);
/* May the map be measured by ms as of an instant (over the systems as
 * they were then), or only as it is now (the documents' completeness, the
 * model's measures)? */
bool arch_measure_as_of(const struct arch_measure *ms);
/* The measure `id` of the map (NULL: the first); false when none. */
bool arch_measure(const struct model *model, const struct model_map *map, const char *id,
                  struct arch_measure *out);

/* What a measure may read: the reader, the registry, the documentation
 * (NULL: not served), a system's id and its compact record (read, for all
 * the map's systems in one query, when a measure first asks; NULL if
 * unreadable). */
const struct actor *arch_map_actor(const struct arch_map *m);
struct registry *arch_map_registry(const struct arch_map *m);
struct docs *arch_map_docs(const struct arch_map *m);
const char *arch_map_system_id(const struct arch_map *m, uint32_t sys);
const json_t *arch_map_system(struct arch_map *m, uint32_t sys);
/* The system's whole stored record (the systems are read whole, in one
 * query, when a measure first asks); NULL with e set on a store error,
 * NULL alone for an unknown one. */
const json_t *arch_map_system_whole(struct arch_map *m, uint32_t sys, struct err *e);
const struct model_map *arch_map_decl(const struct arch_map *m);

/* Up to how many tiles a map lists each tile's leaves (with their names);
 * a larger one gives each tile's count only: thousands of names on one
 * page are unread, and reading them is most of a whole map's cost. */
#define ARCH_MAP_LISTED_MAX 300

/* The map of collection c (which has one), measured by `measure` (NULL:
 * the first), narrowed to the records whose filter field (or their
 * nearest ancestor's) is `filter` (NULL: all), as it was at at's instant
 * (NULL: now; REQ ARC-12: its records, relations and systems then; 400 for
 * a measure shown as it is now only). 400 for an unknown measure.
 * *out: {collection, measure, scale, filter, at?, max, leaves_listed, items:
 * [{id, name, parent, depth, leaf_count, leaves: [{id, kind, name}] (when
 * leaves_listed: at most ARCH_MAP_LISTED_MAX tiles), systems, value?, …}]}
 * with the tiles in tree order (children after their parent, by name), a
 * tile whose parent is not shown at depth 0. */
int arch_map_build(struct registry *r, struct docs *d, const struct actor *a,
                   const struct model_collection *c, const char *measure, const char *filter,
                   struct registry_at *at, json_t **out, struct err *e);

/* Which architecture a map draws (REQ ARC-11, ARC-12): the as-is (the
 * records as they are), the target (the as-is with the initiatives
 * applied, as the gap report derives it, arch_gap_effects: a tile, leaf or
 * system an initiative removes or replaces drops out, what it enhances or
 * brings stays; a tile whose parent drops out is shown at depth 0), or the
 * difference (the as-is's tiles, each with its own effect and the measure
 * over the as-is and over the target). */
enum arch_view { ARCH_AS_IS, ARCH_TARGET, ARCH_DIFFERENCE };
/* The view named s ("as_is", "target", "difference"; NULL: the as-is);
 * false for another. */
bool arch_view_parse(const char *s, enum arch_view *out);
/* arch_map_build of one view (`view`: its name, NULL: the as-is; 400 for
 * another, and for the target or the difference as of an instant or by a
 * measure of the model's, which is over the tile's own record): *out as
 * arch_map_build's, with "view" when it is not the as-is and, in the
 * difference, each item's "effect" (keep, remove, replace, enhance, new)
 * and "before" (the value over the as-is, when it has one), its "value"
 * the target's (none for a tile removed). */
int arch_map_build_view(struct registry *r, struct docs *d, const struct actor *a,
                        const struct model_collection *c, const char *measure, const char *filter,
                        const char *view, struct registry_at *at, json_t **out, struct err *e);

/* One tile of a map (arch_map_view_build), as the items of arch_map_build
 * say it: its name (borrowed; NULL when none), its parent's index among the
 * tiles (-1: none shown), its leaves when listed (else NULL), what the
 * measure adds of its own (e.g. stages; NULL when nothing) and its value
 * when `has`. */
struct arch_map_tile {
    const char *id;
    const json_t *name;
    long parent;
    int depth;
    size_t leaf_count, systems;
    json_t *leaves, *figures;
    bool has;
    double value;
    /* the difference only: its own effect ("keep" when none), the
     * measure's value over the as-is when `had` */
    const char *effect;
    bool had;
    double before;
};
/* A map as arrays, for a page that draws it without its JSON: the same
 * figures as arch_map_build's (at: the instant's text, or NULL for now). */
struct arch_map_view {
    const char *collection, *measure, *filter, *at;
    enum arch_view view;
    enum arch_scale scale;
    double max;
    bool listed;
    size_t n;
    struct arch_map_tile *tiles;
    struct arena *ar; /* what it lives in */
    json_t *held;     /* what the names are borrowed from */
};
/* arch_map_build_view's map as arrays (*out: arch_map_view_free). */
int arch_map_view_build(struct registry *r, struct docs *d, const struct actor *a,
                        const struct model_collection *c, const char *measure, const char *filter,
                        enum arch_view view, struct registry_at *at, struct arch_map_view **out,
                        struct err *e);
void arch_map_view_free(struct arch_map_view *v);

/* Matrix mx of collection c, narrowed by `filter` as the map. *out: {id,
 * collection, relation, cell, rows: [{id, name, depth, cells: {<column id>:
 * <cell's enum value, or a count>}}], columns: [{id, kind, name}]}, rows
 * in tree order for a subtree matrix, else by name; columns by name. */
int arch_matrix_build(struct registry *r, const struct actor *a, const struct model_collection *c,
                      const struct model_matrix *mx, const char *filter, json_t **out,
                      struct err *e);

/* ---- shared by map.c and matrix.c ---- */

/* The live records `where` selects ($1 bound to b1 when not NULL) that
 * the reader a may read, into `into` by id, in the query's order; `order`
 * (may be NULL) gets their ids. Each as a compact JSON: id, kind, owner,
 * name and the fields the rights, the workflows' stages and the model's
 * maps and matrices read, not the whole record. */
int arch_load(struct registry *r, const struct actor *a, const char *where, const char *b1,
              json_t *into, json_t *order, struct err *e);
/* The same for the records of `collection` whose filterable `field` holds
 * `value`, through the filter index. */
int arch_load_filtered(struct registry *r, const struct actor *a, const char *collection,
                       const char *field, const char *value, json_t *into, json_t *order,
                       struct err *e);
/* Is `field` a filterable scalar (one row in the attrs table when set,
 * none when absent) in every kind of c? */
bool arch_field_indexed(struct registry *r, const struct model_collection *c, const char *field);
/* A collection's records ($1), by name. */
extern const char ARCH_WHERE_COLLECTION[];
/* The relations of `type` whose `end` ("source" or "target") is a key of
 * `at` (records read): by[end id] = [{id: the other end, cell?: the
 * relation's attribute `cell` ("" when unset), when cell is not NULL}], and
 * each other end's id a key of `others`, to be read with arch_load_ids
 * (those the reader may not read are then left out: a relation counts when
 * both ends may be read). */
int arch_relations_by_end(struct registry *r, const char *type, const char *end, const char *cell,
                          const json_t *at, json_t *by, json_t *others, struct err *e);
/* The records whose ids are the keys of `set` that a may read, as arch_load
 * (with `whole`, the stored records). */
int arch_load_ids(struct registry *r, const struct actor *a, const json_t *set, bool whole,
                  json_t *into, json_t *order, struct err *e);
/* The tree of a map's records (`recs`: id → record, in `order`): each
 * record's id in tree order with its depth, kept when its `field` (a ref
 * field) or its nearest ancestor's is `filter` (NULL: all). [{id, depth,
 * parent (shown, or absent)}]; a loop of parents is cut where it is met. */
json_t *arch_tree(const struct model_map *map, const char *field, const json_t *recs,
                  const json_t *order, const char *filter);

/* The gap report of the target architecture (the model's gap_analysis,
 * REQ ARC-11, ARC-12): the elements the initiatives the reader may read
 * affect (of `collection` only, of the initiatives of `domain` only, of
 * one `effect` only; each NULL: all), each with its effect (remove,
 * replace, enhance, new: the strongest of its initiatives'), its
 * initiatives and, when replaced, what replaces it (the elements the
 * replacing initiative brings). *out: {items: [{element: {id, kind,
 * collection, name, owner}, effect, initiatives: [{id, name, type,
 * effect, role}], replaced_by?: [...]}], counts: {remove, replace,
 * enhance, new}, initiatives: [{id, kind, collection, name, owner, type}]},
 * the items most changed first. 400 for an unknown collection or effect,
 * 404 when the model has no gap analysis. Every other element is kept. */
struct arch_gap_query {
    const char *collection, *domain, *effect;
};
int arch_gaps(struct registry *r, const struct actor *a, const struct arch_gap_query *q,
              json_t **out, struct err *e);
bool arch_gap_effect_known(const char *effect);
/* The same derivation's effect on each element it changes, for the map's
 * target (REQ ARC-12): *out {<element id>: "remove" | "replace" |
 * "enhance" | "new"}, as the reader a may read the initiatives, their
 * relations and the elements; empty when the model has no gap analysis. */
int arch_gap_effects(struct registry *r, const struct actor *a, json_t **out, struct err *e);

#endif
