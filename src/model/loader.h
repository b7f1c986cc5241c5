/* Private to the model module: the state of one load and the helpers
 * that parse and check the model document (model.c, workflow.c; ld_blank
 * also serves validate.c). */
#ifndef AP_MODEL_LOADER_H
#define AP_MODEL_LOADER_H

#include "model/model.h"
#include "util/arena.h"

#define MODEL_NAME_MAX 64

struct model {
    struct arena *arena;
    json_t *doc; /* the expanded document */
    struct model_enum *enums;
    size_t n_enums;
    struct model_kind *kinds; /* record kinds, then relation kinds */
    size_t n_kinds;
    struct model_collection *colls;
    size_t n_colls;
    struct model_policy *policies;
    size_t n_policies;
    struct model_workflow *workflows;
    size_t n_workflows;
    struct model_doc_list *doc_lists;
    size_t n_doc_lists;
    struct model_rule *rules;
    size_t n_rules;
    struct model_rule_group *rule_groups;
    size_t n_rule_groups;
    struct model_findings *findings; /* rule_report.findings, or NULL */
    struct model_gap_analysis *gaps; /* "gap_analysis", or NULL */
    struct model_trigger *triggers;
    size_t n_triggers;
    struct model_duplicates *dups;   /* "duplicates", or NULL */
    struct model_archimate *archimate; /* "archimate", or NULL */
    struct model_measure *measures;
    size_t n_measures;
    struct model_score *scores;
    size_t n_scores;
    uint32_t *kind_slots; /* open addressing by the kinds' ids: index + 1, 0 empty
                             (built once the model has loaded; NULL while it loads) */
    size_t kind_mask;
};

struct field_set {
    const char *id;
    struct model_field *fields;
    size_t n_fields;
};

/* State of one load. Paths and scratch go to `tmp`, freed when it ends. */
struct loader {
    struct model *m;
    struct arena *tmp;
    struct err *e;
    json_t *root;
    json_t *kinds_in;     /* root.kinds */
    json_t *relations_in; /* root.relations (or NULL) */
    struct field_set *sets;
    size_t n_sets;
    bool relation_attrs; /* parsing a relation's attributes */
};

bool ld_in_list(const char *s, const char *const *list);
/* ^[a-z][a-z0-9_]*$, at most MODEL_NAME_MAX bytes. */
bool ld_name_ok(const char *s);
bool ld_blank(const char *s);
/* A value the model counts as none: absent, null, blank text, an empty
 * list, an object of such values. */
bool ld_empty(const json_t *v);
/* Fails the load: e names path and the message. Returns -1. */
int ld_fail(struct loader *ld, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* path.key and path[i] (scratch memory of the load). */
const char *ld_sub(struct loader *ld, const char *path, const char *key);
const char *ld_idx(struct loader *ld, const char *path, size_t i);
/* A copy that lives as long as the model. */
char *ld_keep(struct loader *ld, const char *s);
int ld_check_keys(struct loader *ld, const json_t *obj, const char *path,
               const char *const *allowed);
int ld_want_object(struct loader *ld, const json_t *v, const char *path);
/* Member `key` of obj as an object or array; absent is an error only when
 * required (then *out is NULL when absent). */
int ld_member(struct loader *ld, const json_t *obj, const char *key, const char *path,
               json_type jtype, bool required, json_t **out);
int ld_string(struct loader *ld, const json_t *obj, const char *key, const char *path,
               bool required, const char **out);
int ld_bool(struct loader *ld, const json_t *obj, const char *key, const char *path, bool *out);
int ld_name(struct loader *ld, const char *name, const char *path);
/* A {kk, ru, en} label, all three non-blank. */
int ld_label(struct loader *ld, const json_t *obj, const char *key, const char *path,
                struct i18n *out);

/* A condition {"<name>": [values]} (one member, a non-empty array of
 * strings) into *name and a model-lifetime array *values of *n strings. */
int ld_condition(struct loader *ld, const json_t *v, const char *path, const char **name,
                 const char ***values, size_t *n);
/* Does rec's string member `field` hold one of values? */
bool ld_cond_holds(const json_t *rec, const char *field, const char **values, size_t n);
/* The strings of array a (non-empty when nonempty) into a model-lifetime,
 * NULL-terminated *out of *n. */
int ld_strings(struct loader *ld, const json_t *a, const char *path, bool nonempty,
               const char ***out, size_t *n);
/* A condition {"<field>": [values], …} (at least one member, each a
 * non-empty array of strings) into *c, model-lifetime. */
int ld_cond(struct loader *ld, const json_t *v, const char *path, struct model_cond *c);
/* Every term's field is an enum or boolean field of k and its values are
 * the field's values ("true"/"false" for a boolean). */
int ld_check_cond(struct loader *ld, const char *path, const struct model_kind *k,
                  const struct model_cond *c);
/* An enum value of the model's enum en (NULL-safe on en). */
bool ld_enum_has(const struct model_enum *en, const char *value);
/* The condition's field is an enum field of k and the values are its
 * values; *field gets it. */
int ld_check_condition(struct loader *ld, const char *path, const struct model_kind *k,
                       const char *name, const char **values, size_t n,
                       const struct model_field **field);

/* "<key>": {"from"?, "until"?, "source"?} of v into *out (always in force
 * when absent). */
int ld_span(struct loader *ld, const json_t *v, const char *key, const char *path,
            struct model_span *out);
/* v's "earlier": [{"until", "label", "source"?}, …] (none when absent). */
int ld_wordings(struct loader *ld, const json_t *v, const char *path, struct model_wording **out,
                size_t *n);
json_t *wordings_json(const struct model_wording *w, size_t n);

/* workflow.c: each derived field of k derives from a date field of k. */
int check_derived(struct loader *ld, const char *path, struct model_kind *k);

/* rules.c: the `rules` section (after the kinds), and its JSON. */
int parse_rules(struct loader *ld);
/* measures.c: the "measures" section, then each kind's "measures" (after
 * the kinds and relations are known). */
int parse_measures(struct loader *ld);
json_t *measures_json(const struct model *m);
/* scores.c: the "scores" section (after the kinds, relations and
 * policies), and its JSON. */
int parse_scores(struct loader *ld);
/* archimate.c: the section "archimate" and each kind's and relation
 * type's (after the kinds), and their JSON. */
int parse_archimate(struct loader *ld);
json_t *archimate_json(const struct model *m);
json_t *archimate_kind_json(const struct model *m, const struct model_archimate_kind *a);
/* tally.c: each kind's "tally" (after the scores), and its JSON. */
int parse_tallies(struct loader *ld);
json_t *tally_json(const struct model_tally *t);
json_t *scores_json(const struct model *m);
json_t *kind_measures_json(const struct model_kind *k);
json_t *rules_json(const struct model *m);
json_t *rule_report_json(const struct model *m);

/* doctypes.c: the `document_lists` section, and each kind's link to one. */
int parse_doc_lists(struct loader *ld);
int parse_kind_documents(struct loader *ld, const json_t *v, const char *path,
                         struct model_kind *k);
json_t *doc_lists_json(const struct model *m);

/* maps.c: each records collection's "map" and "matrices" (after the
 * collections know their kinds). */
int parse_maps(struct loader *ld);
int parse_gap_analysis(struct loader *ld);
int parse_triggers(struct loader *ld);
json_t *gaps_json(const struct model *m);
int parse_duplicates(struct loader *ld);
/* rows.c: a kind's "import" (after its fields), and its JSON. */
int parse_kind_import(struct loader *ld, const json_t *v, const char *path, struct model_kind *k);
/* Derives the import of every record kind that declares none, and the
 * headers templates write for every column (model/rows.c). */
int derive_imports(struct loader *ld);
json_t *import_json(const struct model_import *im);
json_t *dups_json(const struct model *m);
/* A relation type's `required_for` ({"kinds": [...], "when": {<enum
 * field>: [values]}}), checked against the kinds. */
int parse_relation_required(struct loader *ld, const json_t *v, const char *path,
                            struct model_kind *rel);
json_t *relation_required_json(const struct model_kind *rel);

/* paths.c: a path of steps (struct model_path), followed by the loader
 * through the kinds it reaches. A set of the model's kinds (scratch of the
 * load), one flag per kind: */
struct ld_kinds {
    bool *has;
    size_t n; /* the model's kinds */
};
struct ld_kinds ld_kinds_new(struct loader *ld);
void ld_kinds_add(struct ld_kinds *s, const struct model *m, const char *id);
void ld_kinds_union(struct ld_kinds *s, const struct ld_kinds *t);
bool ld_kinds_any(const struct ld_kinds *s, const struct model *m, const char *const *ids,
                  size_t n);
/* k's field `name` when it is a ref or a list of refs (its item), else NULL. */
const struct model_field *ld_ref_field(const struct model_kind *k, const char *name);
/* The path v (an array of min_steps to MODEL_PATH_MAX_STEPS steps) into
 * *out, model-lifetime; *at holds the kinds it starts from and gets those
 * it ends at. */
int ld_path(struct loader *ld, const json_t *v, const char *path, size_t min_steps,
            struct ld_kinds *at, struct model_path *out);
json_t *path_json(const struct model_path *p);
/* model.c: n strings as a JSON array (new ref). */
json_t *strings_json(const char *const *s, size_t n);

/* views.c: every kind's "views" (after the kinds and relations), and a
 * view's JSON. */
int parse_views(struct loader *ld);
json_t *views_json(const struct model_kind *k);

/* workflow.c: the `workflows` section, and each kind's link to one. */
int parse_workflows(struct loader *ld);
int parse_kind_workflow(struct loader *ld, const json_t *v, const char *path,
                        struct model_kind *k);
/* Checks the `needed` conditions of a kind's fields against its fields. */
int check_needed(struct loader *ld, const char *path, struct model_kind *k);
json_t *workflows_json(const struct model *m);

/* model/checks.c: a kind's "checks" (after its fields). */
int parse_kind_checks(struct loader *ld, const json_t *v, const char *path, struct model_kind *k);
/* model/checks.c: a kind's "compute" (after its fields). */
int parse_kind_computes(struct loader *ld, const json_t *v, const char *path,
                        struct model_kind *k);
/* model/checks.c: a relation type's "derive" (after its attributes). */
int parse_relation_derive(struct loader *ld, const json_t *v, const char *path,
                          struct model_kind *k);

#endif
