/* model: the metamodel — kinds, fields, enumerations, relation types and
 * collections — loaded from a JSON file and checked at start, and the
 * validation of records against it.
 *
 * The model is immutable once loaded and shared by all threads. Relation
 * types are also exposed as kinds (collection "relations", is_relation set)
 * whose fields are `source`, `target` and the relation's attributes, so that
 * one validator serves records and relations alike. */
#ifndef AP_MODEL_H
#define AP_MODEL_H

#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

struct i18n {
    const char *kk, *ru, *en;
};

enum field_type {
    FT_STRING,    /* one line of text */
    FT_TEXT,      /* multi-line text */
    FT_I18N,      /* {"kk":..,"ru":..,"en":..}, each optional string */
    FT_INTEGER,   /* JSON integer, optional min/max */
    FT_DECIMAL,   /* number or numeric string; stored as canonical string "123.45" */
    FT_DATE,      /* "YYYY-MM-DD" */
    FT_TIMESTAMP, /* RFC 3339, stored canonical UTC with ms */
    FT_BOOL,
    FT_ENUM,      /* one of an enumeration's value ids */
    FT_URL,       /* absolute http(s) URL */
    FT_EMAIL,
    FT_LIST,      /* JSON array of `item` */
    FT_REF,       /* id of another record, of one of ref_kinds */
    FT_OBJECT,    /* {"<sub-field>": value, …}: a group of scalar sub-fields */
};

/* When an entry of the Rules is in force (REQ X-POL-01): from `from`
 * (inclusive) until `until` (exclusive), local dates "YYYY-MM-DD", either
 * open; with the act that set it. Model key "in_force": {"from", "until",
 * "source"}; an entry without one is always in force. */
struct model_span {
    const char *from, *until, *source; /* NULL: open / not given */
    int64_t from_day, until_day;       /* days since 1970-01-01; INT64_MIN / INT64_MAX when open */
};
bool model_in_force(const struct model_span *s, int64_t day);
/* {"from"?, "until"?, "source"?} (new ref), or NULL when always in force. */
json_t *model_span_json(const struct model_span *s);

/* An earlier wording of a label, used until `until` (a local date), set by
 * `source`. Model key "earlier": [{"until", "label", "source"}, …] in
 * increasing date order. */
struct model_wording {
    const char *until, *source;
    int64_t until_day;
    struct i18n label;
};
/* The wording of a label in force on `day` (INT64_MAX: today's). */
const struct i18n *model_wording_on(const struct i18n *current, const struct model_wording *earlier,
                                    size_t n_earlier, int64_t day);

struct model_enum_value {
    const char *id;
    struct i18n label; /* the wording in force now */
    struct model_wording *earlier;
    size_t n_earlier;
};

struct model_enum {
    const char *id;
    struct i18n label;
    struct model_enum_value *values;
    size_t n_values;
};

/* A condition on a record's fields: every term holds (AND); n_terms == 0
 * is always. A term holds while the record's enum field holds one of its
 * values, or its boolean field is one of "true" / "false", or (a presence
 * term) while its other field has a value or has none. Checked
 * against each kind that uses it when the model loads. */
struct model_cond_term {
    const char *field;
    const char **values;
    size_t n_values;
    /* values ["present"] or ["absent"] on a field that is neither an enum
     * nor a boolean: the field has a value (a non-empty list, a non-blank
     * string…) or has none */
    bool presence;
    /* values ["past"] or ["future"] on a date field: its date is on or
     * before the day judged on (has come), or after it; no date: neither
     * (-1 past, 1 future, 0 not a date term) */
    int when;
};
struct model_cond {
    struct model_cond_term *terms;
    size_t n_terms;
};

/* Does c hold of rec, its date terms judged on local day `day`? */
bool model_cond_holds(const struct model_cond *c, const json_t *rec, int64_t day);
/* The label of value `id` of enum en in the wording in force on `day`
 * (INT64_MAX: today's), or NULL when en has no such value. */
const struct i18n *model_enum_label(const struct model_enum *en, const char *id, int64_t day);
/* {"<field>": [values], …} */
json_t *model_cond_json(const struct model_cond *c);

struct model_field {
    const char *name;
    enum field_type type;
    struct i18n label;
    struct i18n help; /* how to fill it in (the forms' hint); kk NULL: none */
    bool required;
    bool searchable;  /* its text goes into the full-text index */
    bool filterable;  /* indexed for filter=, facets and sort= */
    bool readonly;    /* computed by the portal; ignored on input */
    /* "written_by": only holders of these roles set or change it (NULL:
     * whoever may update the record) */
    const char **written_by;
    size_t n_written_by;
    bool restricted;  /* contacts and the like: hidden from the public and from
                         other organisations (never searchable or filterable) */
    const char *migrate_from;             /* a list of refs: the text field whose names it
                                             takes over (registry_migrate_fields) */
    const struct model_enum *enumeration; /* FT_ENUM */
    const char **ref_kinds;               /* FT_REF: allowed target kinds */
    size_t n_ref_kinds;
    struct model_field *item;             /* FT_LIST: the item type */
    struct model_field *sub;              /* FT_OBJECT: its sub-fields, in order */
    size_t n_sub;
    const char *format;                   /* named check, e.g. "bin" */
    bool has_min, has_max;
    int64_t min, max;                     /* FT_INTEGER bounds */
    size_t max_length;                    /* strings, in bytes; 0 = default */
    /* Needed for a complete record (to submit it), always or only while
     * needed_when holds. */
    bool needed;
    struct model_cond needed_when;
    struct model_span needed_in_force; /* when the Rules began (or ceased) to ask for it */
    /* A date the portal derives (REQ REG-11): derived_from (a date field of
     * the kind) plus derived_months months; such a field is read-only. */
    const char *derived_from;
    int derived_months;
};

/* ---- workflows: a record's life in the registry as a state machine ---- */

struct model_wf_state {
    const char *id;
    struct i18n label;
    bool initial;   /* new records start here (exactly one state) */
    bool published; /* the public sees records in this state */
    bool coded;     /* records here hold an accounting code */
    bool locked;    /* records here cannot be edited (under verification) */
    /* locked but for these roles: those who hold one (and may update the
     * record) edit it in this state, e.g. a reviewer writing their findings
     * into it (model key "edit_by"; NULL-terminated, NULL: none) */
    const char **edit_by;
    size_t n_edit_by;
};

/* What starts a transition: the owner's submission, the verifier's
 * decision, or an edit of the record. */
enum wf_trigger { WF_SUBMIT, WF_ACCEPT, WF_RETURN, WF_UPDATE };

/* An obligation a transition opens: owed by the record's owner
 * organisation, or by everyone holding a role. */
struct model_wf_duty {
    const struct model_policy *policy;
    const char *debtor_role; /* NULL: the record's owner */
};

struct model_wf_transition {
    const char *id;
    struct i18n label;
    enum wf_trigger trigger;
    const struct model_wf_state **from;
    size_t n_from;
    /* review states it applies in ("none" = no review); none listed = any */
    const char **review_from;
    size_t n_review_from;
    const struct model_wf_state *to;
    const char *review;  /* the review state after it; NULL = none */
    bool complete;       /* refused while the record has gaps */
    bool assign_code;    /* gives the record its accounting code */
    bool remarks;        /* needs remarks */
    struct model_wf_duty *opens;
    size_t n_opens;
    const struct model_policy **closes; /* its obligations about the record */
    size_t n_closes;
    /* The roles that may take it, besides the right of its trigger (an
     * agreement by one body and then another: the same right, other
     * roles); none listed: every holder of the right. Checked against the
     * rights file at start. */
    const char **by;
    size_t n_by;
    /* A read-only date field it sets to the local date of the step (the
     * day of an agreement), or NULL. */
    const char *stamp;
};

struct model_workflow {
    const char *id;
    struct i18n label;
    const char *status_field; /* enum field: one value per state */
    const char *review_field; /* enum field of review states, or NULL */
    const char *code_field;   /* string field for the accounting code, or NULL */
    const char *code_pattern; /* {prefix}, {year}, {seq:N}; NULL: no codes */
    /* A change of the record's stage_field (its life-cycle stage) makes
     * the owner owe stage_policy: the data and documents of the new stage
     * (NULL: no such duty). */
    const char *stage_field;
    const struct model_policy *stage_policy;
    /* The date field that says when a stage began, per stage value (e.g.
     * industrial_operation: commissioning_date): the stage's duty runs from
     * that day, not from the day of the edit (REQ REG-05). NULL-terminated
     * pairs; a stage without one starts its duty when it is recorded. */
    struct model_stage_date {
        const char *stage, *field;
    } *stage_dates;
    /* The stages a registered record may move to from each stage (REQ
     * LC-01; NULL: any move). A stage listed with no moves is final. */
    struct model_stage_moves {
        const char *from;
        const char **to;
        size_t n_to;
    } *stage_moves;
    size_t n_stage_moves;
    struct model_wf_state *states;
    size_t n_states;
    struct model_wf_transition *transitions;
    size_t n_transitions;
};

/* ---- technical documentation (REQ DOC-02…DOC-04) ---------------------- */

/* A document type of a legal list (e.g. Appendix 1 of the rules). It is
 * due for a record always, or while the record's enum field due_field
 * holds one of due_values (e.g. the life-cycle stage); otherwise it may be
 * placed but is not demanded. */
struct model_doc_type {
    const char *id;
    int number; /* its item number in the legal list */
    int part;   /* its document within a composite item (6.1, 6.2), or 0 */
    const char *item; /* "6" or "6.1": the number as shown */
    /* A type that newer types replace (an item split into its documents):
     * what is stored under it stays readable, it is never due, and new
     * files go to one of these types. NULL-terminated; NULL: in use. */
    const char **replaced_by;
    struct i18n label;
    struct model_wording *earlier; /* the item's earlier wordings */
    size_t n_earlier;
    struct model_span in_force; /* when the item is in the list */
    bool due_always;
    const char *due_field;
    const char **due_values;
    size_t n_due_values;
};

struct model_doc_list {
    const char *id;
    struct i18n label;
    const char *source; /* the legal act, or NULL */
    struct model_doc_type *types;
    size_t n_types;
};

/* ---- paths (issue 15): from a record to other records --------------- */

/* One step of a path, from a set of records to the next: the records
 * their ref field (or list of refs) names (STEP_REF), the records of
 * `kinds` whose ref field names one of them (STEP_REFERENCED_BY), or the
 * other ends of their live relations of type `relation`, out of them or
 * into them (STEP_RELATION). `repeat` (ref, referenced_by): the step again
 * from what it newly reached, and so on (a chain of bases, every type
 * below a subject); the step reaches every level. Views and measures
 * declare the same steps (model/paths.c); registry/walk.c walks them. */
enum model_step_type { STEP_REF, STEP_REFERENCED_BY, STEP_RELATION };
struct model_step {
    enum model_step_type type;
    const char *field;  /* STEP_REF, STEP_REFERENCED_BY */
    const char **kinds; /* STEP_REFERENCED_BY: NULL-terminated */
    size_t n_kinds;
    const char *relation; /* STEP_RELATION */
    bool out;             /* STEP_RELATION: from source to target */
    bool repeat;
};
#define MODEL_PATH_MAX_STEPS 8
struct model_path {
    struct model_step *steps; /* none: the record itself */
    size_t n_steps;
};

/* ---- views (issue 15): sections of records reached from a record ------ */

/* A named section: the records its path reaches from the record (or from
 * the records of the earlier sections named in `from`), deduplicated. */
struct model_view_section {
    const char *name;
    struct i18n label;
    const char **from; /* earlier sections' names, NULL-terminated; NULL: the record */
    size_t n_from;
    struct model_path path;
};

/* A diagram over the records of some sections: the live relations of the
 * given types, and the given ref fields, among them. */
struct model_view_diagram {
    const char *name;
    struct i18n label;
    const char **sections, **relations, **refs; /* NULL-terminated */
    size_t n_sections, n_relations, n_refs;
};

/* A view of a record (model key "views" of a kind): its own fields shown at
 * the top, then its sections and diagrams. */
struct model_view {
    const char *name;
    struct i18n label;
    const char **fields; /* NULL-terminated */
    size_t n_fields;
    struct model_view_section *sections;
    size_t n_sections;
    struct model_view_diagram *diagrams;
    size_t n_diagrams;
};

/* ---- computed measures (model sections "measures" and kinds' "measures") */

/* A measure (e.g. the digitisation level of master data, REQ ARC-06):
 * over the items of the list field `items` of some records, the share of
 * items whose ref sub-field `done_ref` names a record for which done_when
 * holds (an attribute stored in an object in operation). */
struct model_measure {
    const char *id;
    struct i18n label;
    const char *items;
    const char *done_ref;
    struct model_cond done_when;
};

/* A measure on a kind: over the records its paths reach from a record. */
struct model_kind_measure {
    const struct model_measure *measure;
    struct model_path *paths;
    size_t n_paths;
};

/* ---- scores (model section "scores", issue 17: an ICT project's risk) -- */

/* How a factor's value is worked out from a record (and, through one
 * step, the records it reaches):
 * - SCORE_DAYS_LATE: over the items of its list of objects `items`, the
 *   most days by which an item's first filled `done` date (or today, when
 *   `done_today` and none is filled) comes after its `due` date; none
 *   when no item has a due date; never below 0;
 * - SCORE_EXCESS: over the items with both `actual` and `planned`, by how
 *   many per cent the sum of `actual` exceeds the sum of `planned`; never
 *   below 0; none without such an item or with a zero plan;
 * - SCORE_OVERDUE: how many of the records reached have an open
 *   obligation under one of `policies` past its due time;
 * - SCORE_LATEST: the enum `field` of the record reached keeping
 *   `reached_when` whose date `order` is the latest;
 * - SCORE_SHORTFALL: over the records reached with a `target`, the most
 *   per cent of the way from `baseline` (0 when absent) to `target` that
 *   the last item of their list `actual_items` (its `actual_field`) falls
 *   short of, 0..100; none when no record has an actual value. */
enum model_score_op { SCORE_DAYS_LATE, SCORE_EXCESS, SCORE_OVERDUE, SCORE_LATEST, SCORE_SHORTFALL };

/* A factor's thresholds in force from a day: numeric factors rise a level
 * at each of `at` (n_levels - 1 increasing values: level 2 from at[0],
 * level 3 from at[1]…); SCORE_LATEST maps each enum value to a level. */
struct model_score_thresholds {
    const char *from; /* "YYYY-MM-DD" */
    int64_t from_day;
    const char *source; /* the act or decision, or NULL */
    double *at;
    const char **values; /* SCORE_LATEST: enum values, NULL-terminated */
    int *value_levels;   /* the level of each, 1..n_levels */
    size_t n_values;
};

struct model_score_factor {
    const char *id;
    struct i18n label;
    const char *unit; /* "days", "count", "percent"; NULL for SCORE_LATEST */
    const char *requirement; /* e.g. "MON-07", or NULL */
    enum model_score_op op;
    struct model_cond when; /* on the scored record: the factor counts only then */
    const char *items, *due, *actual, *planned;
    const char **done; /* SCORE_DAYS_LATE: date sub-fields, NULL-terminated */
    size_t n_done;
    bool done_today;
    struct model_step step; /* SCORE_OVERDUE, SCORE_LATEST, SCORE_SHORTFALL */
    const struct model_policy **policies; /* SCORE_OVERDUE, NULL-terminated */
    size_t n_policies;
    struct model_cond reached_when; /* SCORE_LATEST */
    const char *order, *field;      /* SCORE_LATEST */
    const char *baseline, *target, *actual_items, *actual_field; /* SCORE_SHORTFALL */
    const struct model_enum *field_enum;                         /* SCORE_LATEST */
    struct model_score_thresholds *thresholds; /* increasing `from` */
    size_t n_thresholds;
};

/* A score of the records of a kind: each factor gives a level of the
 * enum `scale` (its values in increasing order, level 1 the first), the
 * record's level is the highest of its factors' levels. */
struct model_score {
    const char *id;
    struct i18n label;
    const struct model_kind *kind;
    const struct model_enum *scale;
    struct model_score_factor *factors;
    size_t n_factors;
};

/* A kind whose records freeze the architecture (model key "snapshot",
 * issue 16: an architecture version): each write of such a record (its
 * creation, and its edits while it may be edited) takes the live records
 * of the collections `of` at that instant — their ids and revisions,
 * which never change afterwards — and sets its read-only fields: `at` the
 * instant (a timestamp), `hash` the SHA-256 of the ids and revisions in
 * id order (the content's address: the same content, the same hash),
 * `count` how many. What it froze is read back from the revisions
 * (registry_snapshot_*). */
struct model_snapshot {
    const char **of;
    size_t n_of;
    const char *at, *hash, *count;
};

/* How a row of a spreadsheet file maps to a record of a kind (model key
 * "import", rows.c; the import, registry/rows.h): each column's target —
 * a field of the kind, "<i18n field>.<lang>" or, for a named kind,
 * "name.<lang>" — and the headers (kk/ru/en and the keeper's own) that
 * find it in a file's first row, compared folded and trimmed; `key` is
 * the target of a filterable string field whose value finds the record a
 * row updates. */
struct model_import_column {
    const char *target; /* as declared: "register_number", "name.ru" */
    const char *field;  /* "name", "id", "owner" or the field's name */
    const char *lang;   /* "kk", "ru" or "en" for an i18n value, else NULL */
    const struct model_field *f; /* NULL for the name, the id and the owner */
    const char **headers;        /* folded */
    size_t n_headers;
    struct i18n display; /* the header a template writes, per language */
};
/* A kind's spreadsheet import: declared ("import"), or derived for every
 * record kind that declares none (derived: the key is the record's id, an
 * empty one adding a record; a column per field a cell can fill, headed
 * by the field's name or its label in any language). */
struct model_import {
    const struct model_import_column *key;
    struct model_import_column *cols;
    size_t n_cols;
    bool derived;
};

struct arena;
/* A header as the import compares it: trimmed and folded (arena). */
char *model_import_fold(struct arena *a, const char *header);
/* The column a folded header names, or NULL. */
const struct model_import_column *model_import_column(const struct model_import *im,
                                                      const char *folded);

/* A check between a record's values (model key "checks" of a kind; see
 * model/checks.c): field (of the record, or of each item of the list of
 * objects `items`) not before (or, not_after, not after) the field other
 * of the same object, or today when other is NULL (today's date; this year
 * for an integer); only when if_filled (when given) is filled. */
enum check_op { CHECK_NOT_BEFORE, CHECK_NOT_AFTER, CHECK_BEFORE, CHECK_AFTER };
struct model_check {
    const char *items, *field, *other, *if_filled;
    enum check_op op; /* how field compares with other (or today) */
    enum field_type type;
    /* "equals": instead of an order, field (through `via`, a field of the
     * record its ref names, when the check's field is "ref.via") must be
     * the record's own field `equals` (an answer's criterion of the
     * assessment's stage) */
    const char *via, *equals;
};

/* A read-only enum field worked out at each write from the items of a
 * list of objects (model key "compute" of a kind; model/checks.c): the
 * value of the first case some item keeps (each term: the item's field,
 * or through a ref of it a field of the record it names, "ref.field",
 * holds one of the values), else `otherwise`; no value while the list is
 * empty (issue 17: an assessment's conclusion from its criteria's
 * results and weights). */
struct model_compute_term {
    const char *field, *via;
    const char **values;
    size_t n_values;
};
struct model_compute_case {
    const char *value;
    struct model_compute_term *terms;
    size_t n_terms;
};
#define MODEL_COMPUTE_MAX_TIMES 4
struct model_compute {
    const char *field, *over, *otherwise;
    /* per value of the items' sub-field `by`, the cases over its items:
     * the field is a list of objects {by, value} (NULL: one value) */
    const char *by, *value;
    const char *sum; /* a sum: the number sub-field of the items added up (no cases) */
    /* a sum's other numbers of each item, multiplied in: a sub-field, or
     * through the item's ref `field` the named record's `via` */
    struct model_compute_term times[MODEL_COMPUTE_MAX_TIMES];
    size_t n_times;
    struct model_compute_case *cases;
    size_t n_cases;
};

/* Member `field` of the live record `id` (a new reference), NULL when it
 * has none or there is no such record: how checks and computed fields read
 * through a ref. */
typedef json_t *(*model_peek_fn)(void *ctx, const char *id, const char *field);

/* A relation's attribute derived from its ends (model key "derive" of a
 * relation type; model/checks.c): the value of the first rule whose field
 * (a field of the ends, or their "owner") both ends hold alike and not
 * empty, else `otherwise` (issue 17, ARC-18: a dependency between two
 * projects of one body, of one domain, or across). The attribute is a
 * read-only enum of the relation; the registry stores it when the
 * relation is written and again when an end's compared field changes. */
struct model_derive {
    const char *attr;
    const char **same;   /* the ends' fields compared, in order */
    const char **values; /* the attribute's value when same[i] is shared */
    size_t n;
    const char *otherwise;
};

/* A kind whose records tally the records of other kinds by their owners
 * (model key "tally", issue 17: the period report of the implementation
 * of the architecture, REQ MON-06, MON-08; model/tally.c): a write of
 * such a record that was new or kept `while` before the write (an edit of
 * a draft, its submission) sets its read-only list of objects `into` to
 * one item per owner of what is counted (its ref sub-field `by`) and one
 * for them all (no `by`: the whole country), each column a sub-field, and
 * its read-only timestamp `at` to the instant; in any other state the
 * figures stay as they were (frozen). Records of the counted kinds count
 * as the writer may read them; `dated` ones only when their date field
 * lies in the record's period [from, to]. */
enum tally_op { TALLY_COUNT, TALLY_SUM, TALLY_OVERDUE, TALLY_SCORE, TALLY_PERCENT };
struct model_tally_column {
    const char *field; /* the sub-field of the items it fills */
    enum tally_op op;
    const char **kinds; /* count, sum, overdue: the kinds counted */
    size_t n_kinds;
    struct model_cond when; /* on their enum and boolean fields */
    const char *dated;      /* a date field of theirs: counted in the period only */
    const char *sum;        /* sum: their decimal field added up */
    const char **policies;  /* overdue: counted when an obligation of these is past due */
    size_t n_policies;
    const struct model_score *score; /* score: the score's records ... */
    int factor;                      /* ... whose level (or this factor's, >= 0) ... */
    int from;                        /* ... is at least this */
    int of, over;                    /* percent: column `of` in per cent of column `over` */
};
struct model_tally {
    const char *into, *by, *at, *from, *to;
    struct model_cond while_;
    struct model_tally_column *columns;
    size_t n_columns;
};

/* How records of a kind, or relations of a type, are written in The Open
 * Group's ArchiMate exchange format (model key "archimate", issue 18;
 * model/archimate.c): the element or relationship type; a kind's folder
 * (an index into the section's folders), the ref field naming its domain
 * (a sub-folder) and the field that documents it; a relation type's
 * direction (reverse: target to source) and, for Access, the enum
 * attribute whose values map to the access types. For the import: whether
 * new elements of its type become records of the kind ("import"), the
 * list of {key, value} objects that keeps the properties no field takes
 * ("properties"); a generic kind (or relation type) takes its type from a
 * string field ("type_field", type NULL: every type no kind imports, kept
 * so that nothing is lost) and may keep the folders it was filed in
 * ("path", a string field: the labels below the top folder, " / "
 * between them). */
struct model_archimate_kind {
    const char *type;
    int folder; /* -1: a relationship */
    const char *domain, *documentation;
    bool reverse;
    const char *access_field;
    const char **access_from, **access_to;
    size_t n_access;
    bool import;
    const char *type_field, *properties, *path;
};
struct model_archimate_folder {
    const char *id;
    struct i18n label;
};
/* The section "archimate": the exported model's name, the folders by
 * layer, the relationships' folder. */
struct model_archimate {
    struct i18n name, relations_folder;
    struct model_archimate_folder *folders;
    size_t n_folders;
    /* "scope": a record of scope_kind is exported alone with what its
     * view scope_view reaches (a domain); NULL: no part alone */
    const struct model_kind *scope_kind;
    const char *scope_view;
    /* the generic kind and relation type (NULL: none) */
    const struct model_kind *generic_element, *generic_relationship;
};

struct model_kind {
    const char *id;
    struct i18n label;
    const char *collection;
    bool owned;       /* has an `owner`: the id of a record of the kind that owns */
    bool owns;        /* its records own those of owned kinds (an organisation):
                       * one kind at most; rights are held for its records */
    bool named;       /* has a required i18n `name` */
    bool read_signed_in; /* "read": "signed-in": only signed-in users read its
                          * records; for the public they do not exist */
    bool is_relation; /* a relation type */
    bool has_restricted; /* some field is restricted */
    const struct model_workflow *workflow; /* NULL: no workflow (always published) */
    const struct model_snapshot *snapshot; /* NULL: its records freeze nothing */
    const struct model_tally *tally;       /* NULL: its records tally nothing */
    const struct model_archimate_kind *archimate; /* NULL: not exchanged as ArchiMate */
    const struct model_import *import;     /* NULL: no spreadsheet import */
    const char *code_prefix;               /* {prefix} of its accounting codes */
    const struct model_doc_list *documents; /* its technical documentation, or NULL */
    /* Inclusion in the operator's list at the authorized body's decision
     * (REQ REG-13): the read-only bool field that records it and the
     * document type of the protocol a request must attach; NULL: none. */
    const char *inclusion_field;
    const struct model_doc_type *inclusion_protocol;
    /* relation types only: */
    const char *inverse;
    struct i18n inverse_label;
    /* Required of the records of required_kinds (at least one relation of
     * this type from each), always or while their enum field
     * required_field holds one of required_values (REQ REG-12). */
    const char **required_kinds;
    size_t n_required_kinds;
    const char *required_field;
    const char **required_values;
    size_t n_required_values;
    /* Inherited attributes (REQ ARC-06; model key "inherits"): the list
     * fields inherit_fields take, besides the record's own items, those of
     * the record that its single ref field inherit_via names, and of that
     * record's base in turn. inherit_via NULL: none. */
    const char *inherit_via;
    const char **inherit_fields;
    size_t n_inherit_fields;
    struct model_view *views; /* model key "views" */
    size_t n_views;
    /* "key"/"fixed": items of the inherited fields are named by their
     * string sub-field inherit_key; the sub-fields inherit_fixed keep one
     * value per name along a chain of bases (an attribute's one storage
     * source). inherit_key NULL: no such rule. */
    const char *inherit_key;
    const char **inherit_fixed;
    size_t n_inherit_fixed;
    /* Its computed measures (model key "measures"), in the model's order. */
    struct model_kind_measure *measures;
    size_t n_measures;
    /* "profile": the measure whose records and items its profile page
     * lists, by where each item is stored (a client's digital profile, a
     * data passport's content); NULL: none. */
    const struct model_kind_measure *profile;
    struct model_field *fields;
    size_t n_fields;
    struct model_check *checks; /* model key "checks" */
    size_t n_checks;
    struct model_derive *derives; /* a relation type's key "derive" */
    size_t n_derives;
    struct model_compute *computes; /* model key "compute" */
    size_t n_computes;
};

/* The longest chain of bases a record may have (writes refuse longer). */
#define MODEL_INHERIT_MAX_DEPTH 64

enum collection_type { COLL_RECORDS, COLL_RELATIONS };

struct model_collection {
    const char *id;
    enum collection_type type;
    struct i18n label;
    const char **kinds;
    size_t n_kinds;
    /* The facets its lists show, in order (model key "facets"): "kind",
     * "owner" or filterable enum / boolean fields of its kinds; none
     * given: kind, every such field, owner (web_list_facets). */
    const char **facets;
    size_t n_facets;
    /* The fields its list pages show as columns, in order (model key
     * "columns"), after those of its workflow; fields of its kinds. */
    const char **columns;
    size_t n_columns;
    /* Listed on the architecture page the layout's menu leads to (model
     * key "menu"). */
    bool menu;
    /* A record not changed for this many months is flagged on its lists
     * (model key "stale_after_months"; 0: never): not kept up to date. */
    int stale_months;
    /* Its map (model key "map"; NULL: none) and its matrices ("matrices"),
     * checked by maps.c. */
    const struct model_map *map;
    const struct model_matrix *matrices;
    size_t n_matrices;
    /* Its networks (model key "networks", issue 17: the projects'
     * dependencies), checked by maps.c. */
    const struct model_network *networks;
    size_t n_networks;
};

/* A collection's map (issue 15: the functional model as a capability map):
 * its one kind's records as a tree by their self ref field `parent`, each
 * with the records its relations of type `groups` lead to (its leaves), and
 * the records whose relations of type `systems` lead into those leaves (the
 * systems a measure looks at). `filter`: a ref field of the kind by which
 * the map is narrowed (?<filter>=<id>; a record without one takes its
 * parent's), or NULL. The `stages` group the values of the systems'
 * workflow stage field (e.g. in operation / in development / terminated). */
struct model_map_stage {
    const char *id;
    struct i18n label;
    const char **values;
    size_t n_values;
};
struct model_map {
    const char *kind, *parent, *groups, *systems, *filter;
    const struct model_map_stage *stages;
    size_t n_stages;
};

/* A matrix of a collection (model key "matrices"): a row per record of the
 * collection, a column per record its relations of type `relation` lead to
 * (out) or come from (in) — or, with `column`, per record that field of
 * that far end names ("owner" or a ref field); a cell holds the relation's
 * enum attribute `cell`, or without one how many far ends meet there. With
 * `subtree` (a collection with a map) a row counts its descendants' too.
 * `filter` as the map's. */
/* A collection's network: its records linked by the relations of one type
 * between them, labelled by the relation's enum attribute `by` (or NULL). */
struct model_network {
    const char *id;
    struct i18n label;
    const char *relation;
    const struct model_field *by;
};

struct model_matrix {
    const char *id;
    struct i18n label;
    const char *relation;
    bool out;
    const char *column, *cell, *filter;
    bool subtree;
};

/* A dated policy value (REQ X-POL-01): `value` applies to clocks started
 * on or after `from` (a local date), until the next value's date. */
struct model_policy_value {
    const char *from;  /* "YYYY-MM-DD" */
    int64_t from_day;  /* days since 1970-01-01 */
    int value;
    const char *source; /* the legal act, or NULL */
};

struct model_policy {
    const char *id;   /* e.g. "account_decision" */
    struct i18n label;
    const char *unit; /* "working_days" */
    struct model_policy_value *values; /* increasing `from` */
    size_t n_values;
};

/* ---- rules: what must hold of a record beyond its fields' types ------- */

/* A rule of the Rules over a record's fields (REQ REG-08…REG-10, LC-03):
 * for records of its kinds for which `when` holds, `require` must hold.
 * An error keeps the record from being submitted (a gap, like an empty
 * needed field); a warning is only reported. The integrator's report
 * lists the records that break each rule. */
/* A rule's requirement over what is linked to the record: how many live
 * records are linked (at least `min`, at most `max`), counting only
 * those whose fields keep `where`:
 * - REQ_RELATION: relations of `type` out of it (it is their source) or
 *   into it, each counted when its other end keeps `where`;
 * - REQ_REFERENCED_BY: records of `kinds` whose ref field `field` names it;
 * - REQ_REF: the record its own ref field `field` names (0 or 1);
 * - REQ_MEASURE: not a count but the record's level of the model's measure
 *   `measure` (model_kind_measure) in whole percent, rounded down (100 when
 *   it has no items), as the registry computes it for a reader who reads
 *   everything.
 * A relation's count may also keep only the relations whose own fields
 * (attributes) keep `attrs`, and with `distinct` count the different
 * values of that field of the other ends (e.g. "owner": how many bodies)
 * instead of the relations. */
enum model_req_how { REQ_RELATION, REQ_REFERENCED_BY, REQ_REF, REQ_MEASURE };
struct model_rule_relation {
    enum model_req_how how;
    const char *type;   /* REQ_RELATION: the relation type */
    bool out;           /* REQ_RELATION: out of the record */
    const char *field;  /* REQ_REFERENCED_BY, REQ_REF: the ref field; REQ_MEASURE: the
                           measure's list of items */
    const char **kinds; /* REQ_REFERENCED_BY: the referencing kinds */
    size_t n_kinds;
    struct model_cond where; /* on the linked records' fields; empty: any */
    struct model_cond attrs; /* REQ_RELATION: on the relation's own fields; empty: any */
    const char *distinct;    /* REQ_RELATION: count the other ends' values of this field */
    const char *measure;     /* REQ_MEASURE: the measure's id */
    int min;
    int max; /* -1: no bound */
};

/* A rule's requirement over the items of a list of objects: every item
 * has each of `filled` non-empty, including (when `inherited`) the items
 * the record inherits, which the caller puts into the record as a read
 * shows them ("inherited": {field: [{from, items}]}). */
struct model_rule_items {
    const char *field; /* NULL: none */
    const char **filled;
    size_t n_filled;
    bool inherited;
};

struct model_rule {
    const char *id;
    struct i18n label;       /* what must hold, for people */
    const char *requirement; /* the requirement it serves ("REG-08"), or NULL */
    const char *layer;       /* the architecture's layer: activity|data|systems|infrastructure */
    const char **kinds;
    size_t n_kinds;
    struct model_cond when;
    struct model_cond require;               /* may be empty when relations are given */
    struct model_rule_relation *relations;   /* model key "relations": each must hold */
    size_t n_relations;
    struct model_rule_relation *any_of; /* model key "any_of": one at least must hold */
    size_t n_any_of;
    struct model_rule_items items; /* model key "items" */
    bool warning;
    struct model_span in_force;
};

/* A grouping of the rules' report (model key "rule_report": {"by":
 * [{"kind", "view"}]}): by the records of `kind` (e.g. domain), a record
 * belonging to each whose `view` reaches it; a record may belong to
 * several or none. The report may also group by owner (the body). */
struct model;
struct model_rule_group {
    const struct model_kind *kind;
    const struct model_view *view;
};
/* The rule report's "findings": the kind whose records hand a record that
 * breaks a rule to its owner to correct (its ref field `about` names the
 * record, its string field `rule` the rule), or NULL. */
struct model_findings {
    const struct model_kind *kind;
    const char *about, *rule;
};
const struct model_findings *model_rule_findings(const struct model *m);
size_t model_n_rule_groups(const struct model *m);
const struct model_rule_group *model_rule_group_at(const struct model *m, size_t i);
/* The grouping by records of kind `kind`, or NULL. */
const struct model_rule_group *model_rule_group(const struct model *m, const char *kind);

/* The target architecture (model key "gap_analysis", issue 16): the
 * initiatives of `kind` affect elements through relations of type
 * `relation` whose enum attribute `role` says whether the element is
 * changed by the initiative or, with the value `result`, brought by it; a
 * changed element's effect follows the initiative's enum field `type`
 * (enhance, replace, remove; new for a brought one). Initiatives keeping
 * `exclude` are left out; `domain` is the initiatives' ref to their
 * domain, or NULL. */
/* The effects, strongest first (an element several initiatives touch takes
 * the strongest), NULL-terminated. */
extern const char *const MODEL_GAP_EFFECTS[];
struct model_gap_effect {
    const char *value, *effect;
};
struct model_gap_analysis {
    const struct model_kind *kind, *relation;
    const char *role, *result, *type, *domain;
    struct model_gap_effect *effects;
    size_t n_effects;
    struct model_cond exclude;
};
const struct model_gap_analysis *model_gap_analysis(const struct model *m);
/* The effect on an element it changes of an initiative whose type field is
 * type_value, or NULL. */
const char *model_gap_effect(const struct model_gap_analysis *g, const char *type_value);

/* Duplication and reuse (model key "duplicates", issue 16): records of
 * `kinds` of different owners linked to one record by a relation of a
 * `shared` type (keeping its `when`, when it has terms) duplicate each
 * other; so do two whose words are alike beyond `threshold` (0: no
 * textual pairs). */
struct model_dup_shared {
    const struct model_kind *relation;
    struct model_cond when;
};
struct model_dup_control {
    const struct model_kind *kind;
    const char **via;
    size_t n_via;
};
struct model_duplicates {
    const struct model_kind **kinds;
    size_t n_kinds;
    struct model_dup_shared *shared;
    size_t n_shared;
    double threshold;
    /* "register": {"kinds": [...]}: record kinds of a register (the
     * register of trusted software, SVC-02) whose entries are offered
     * beside the similar objects, in a list of their own, and are never
     * in a pair; their collections hold none of `kinds`. */
    const struct model_kind **register_kinds;
    size_t n_register;
    /* "control": [{"kind", "via": [ref fields]}]: architectural control
     * (MON-03): a record of `kind` shows the duplication findings about
     * the records of the section's kinds its chain of refs `via` reaches
     * (an assessment: its project's objects). */
    struct model_dup_control *control;
    size_t n_control;
};
const struct model_duplicates *model_duplicates(const struct model *m);
/* The section "archimate", or NULL. */
const struct model_archimate *model_archimate(const struct model *m);
/* The access type an Access relation's attribute value maps to, or NULL. */
const char *model_archimate_access(const struct model_archimate_kind *a, const char *value);
/* Is type an ArchiMate 3.1 element (relationship) type? */
bool model_archimate_element_type(const char *type);
bool model_archimate_relationship_type(const char *type);
/* The kind new elements of an ArchiMate element type become: the one that
 * imports it, else the generic kind (NULL: none). */
const struct model_kind *model_archimate_import_kind(const struct model *m, const char *type);
/* Is kind one of d's kinds (d may be NULL)? */
bool model_dup_kind(const struct model_duplicates *d, const char *kind);
/* d's control of records of kind `kind`, or NULL (d may be NULL). */
const struct model_dup_control *model_dup_control(const struct model_duplicates *d,
                                                  const char *kind);

/* A trigger (model key "triggers", issue 16 item 4): a write (`events`,
 * MODEL_ON_*) of a record of the kinds `on` — an update only when one of
 * `fields` changed, if any are given — makes a record of kind `make` with
 * its fields `set_fields` set to `set_values` ("$id": the written record's
 * id, "$name": its name, else the text itself), unless a live record of
 * `make` that refers to the written one keeps `unless` and has the same
 * set values (an open item is not made twice). */
#define MODEL_ON_CREATE 1u
#define MODEL_ON_UPDATE 2u
#define MODEL_ON_RETIRE 4u
struct model_trigger {
    const struct model_kind **on;
    size_t n_on;
    unsigned events;
    const char **fields;
    size_t n_fields;
    const struct model_kind *make;
    const char **set_fields, **set_values;
    size_t n_set;
    struct model_cond unless;
    /* "when": the written record must keep it (after the write); "each":
     * one record made per item of the list `each_items` that keeps
     * each_when (a value "$item.f" is the item's field f, "$item.r.f" the
     * field f of the record its ref r names) */
    struct model_cond when;
    const char *each_items;
    struct model_cond each_when;
};
size_t model_n_triggers(const struct model *m);
const struct model_trigger *model_trigger_at(const struct model *m, size_t i);

/* Is `layer` one a rule may name (activity, data, systems,
 * infrastructure)? */
bool model_rule_layer_known(const char *layer);

/* How many live records requirement q links to rec (see struct
 * model_rule_relation), its `where` judged on local day `day`; -1 on error
 * (supplied by the registry). */
typedef int (*model_relation_count_fn)(void *ctx, const json_t *rec,
                                       const struct model_rule_relation *q, int64_t day);

struct model;

/* Loads and checks a model. On error returns -1 and e->detail names the
 * key at fault as a path, e.g. "kinds.information_system.fields[3].type:
 * unknown type 'strnig'". */
int model_load_file(const char *path, struct model **out, struct err *e);
int model_load_buffer(const char *text, size_t len, struct model **out, struct err *e);
void model_free(struct model *m);

/* The model document as served by GET /api/v1/model (borrowed). */
const json_t *model_json(const struct model *m);

const struct model_kind *model_kind(const struct model *m, const char *id);
/* The kind whose records own the records of owned kinds ("owns": true), or
 * NULL when the model has none (then no owned record can be created). */
const struct model_kind *model_owner_kind(const struct model *m);
const struct model_collection *model_collection(const struct model *m, const char *id);
const struct model_enum *model_enum(const struct model *m, const char *id);
const struct model_field *model_field(const struct model_kind *k, const char *name);
/* Sub-field `name` of object field f, NULL when f is not an object (or
 * NULL) or has none. */
const struct model_field *model_sub_field(const struct model_field *f, const char *name);
bool model_collection_has_kind(const struct model_collection *c, const char *kind);
/* Is `kind` the kind whose records own others (model_owner_kind)? */
bool model_kind_owns(const struct model *m, const char *kind);
size_t model_n_collections(const struct model *m);
const struct model_collection *model_collection_at(const struct model *m, size_t i);
size_t model_n_kinds(const struct model *m);
size_t model_n_rules(const struct model *m);
const struct model_rule *model_rule_at(const struct model *m, size_t i);
/* Does rule r apply to rec, judged on local day `day` (it is in force
 * then, rec's kind is listed and `when` holds)? */
bool model_rule_applies(const struct model_rule *r, const json_t *rec, int64_t day);
/* Does rec keep rule r (its fields' requirement and its relations')? 1
 * yes, 0 no, -1 when counting relations failed. count may be NULL only
 * for a rule without relations. *broken (may be NULL) gets the first
 * requirement rec misses (of "any_of": its first), else NULL. */
int model_rule_holds(const struct model_rule *r, const json_t *rec, int64_t day,
                     model_relation_count_fn count, void *ctx,
                     const struct model_rule_relation **broken);
/* The field to name when a record breaks r with requirement q at fault
 * (NULL: its fields or items): the first field r requires, its list of
 * items, or q's ref field; NULL for a relation. */
const char *model_rule_fix_field(const struct model_rule *r, const struct model_rule_relation *q);
/* The rules rec breaks (errors only, or warnings too): a new array of
 * {rule, label, requirement?, layer, field?, relation?, direction?,
 * severity}; field is the field to put right (the first the rule requires,
 * its list of items or the ref it names, or the referencing records'
 * field), relation and direction the relation it lacks or has too many of
 * (when those are at fault). NULL when counting relations failed. */
json_t *model_rule_gaps(const struct model *m, const json_t *rec, bool warnings, int64_t day,
                        model_relation_count_fn count, void *ctx);
/* Sets rec's derived fields from the fields they derive from (removing a
 * derived value whose source is empty). */
void model_derive(const struct model_kind *k, json_t *rec);
const struct model_kind *model_kind_at(const struct model *m, size_t i);
/* The view `name` of kind k, or NULL. */
const struct model_view *model_view(const struct model_kind *k, const char *name);
/* The section `name` of view v, or NULL. */
const struct model_view_section *model_view_section(const struct model_view *v, const char *name);
/* The measure `id` of the model's "measures" section, or NULL. */
const struct model_measure *model_measure(const struct model *m, const char *id);
/* Kind k's measure `id`, or NULL when it has none. */
const struct model_kind_measure *model_kind_measure(const struct model_kind *k, const char *id);
/* The score `id` of the model's "scores" section, or NULL; the i-th (i <
 * model_n_scores). */
const struct model_score *model_score(const struct model *m, const char *id);
size_t model_n_scores(const struct model *m);
const struct model_score *model_score_at(const struct model *m, size_t i);
/* A collection's column "score:<score>" or "score:<score>.<factor>": the
 * score (NULL when name is not such a column) and the factor (NULL: the
 * record's level). */
const struct model_score *model_score_column(const struct model *m, const char *name,
                                             const struct model_score_factor **factor);
/* Thresholds t of factor f as JSON: {from, at, source?} (a new reference). */
json_t *model_score_thresholds_json(const struct model_score *s, const struct model_score_factor *f,
                                    const struct model_score_thresholds *t);
/* The factor's thresholds in force on local day `day`, or NULL. */
const struct model_score_thresholds *model_score_thresholds_on(const struct model_score_factor *f,
                                                               int64_t day);
/* Does kind k inherit field `name` through its inherit_via? */
bool model_kind_inherits(const struct model_kind *k, const char *name);

const struct model_policy *model_policy(const struct model *m, const char *id);
size_t model_n_policies(const struct model *m);
const struct model_policy *model_policy_at(const struct model *m, size_t i);
/* The value in force on local day `day` (days since 1970-01-01), or NULL
 * when the policy did not exist yet. */
const struct model_policy_value *model_policy_in_force(const struct model_policy *p, int64_t day);
/* {"label":..,"unit":..,"values":[{"from","value","source"}]} (new ref). */
json_t *model_policy_json(const struct model_policy *p);

const struct model_workflow *model_workflow(const struct model *m, const char *id);
size_t model_n_workflows(const struct model *m);
const struct model_workflow *model_workflow_at(const struct model *m, size_t i);
const struct model_wf_state *model_wf_state(const struct model_workflow *w, const char *id);
/* May a registered record move from stage `from` to `to`? (The same stage
 * is no move.) */
bool model_stage_move_allowed(const struct model_workflow *w, const char *from, const char *to);
/* The date field that says when `stage` began (stage_dates), or NULL. */
const char *model_stage_date_field(const struct model_workflow *w, const char *stage);
const struct model_wf_state *model_wf_initial(const struct model_workflow *w);
/* The transition `trigger` takes from (status, review) (review NULL or ""
 * = none), or NULL when none applies. */
const struct model_wf_transition *model_wf_find(const struct model_workflow *w,
                                                enum wf_trigger trigger, const char *status,
                                                const char *review);
const char *model_wf_trigger_name(enum wf_trigger t);
/* Is a record of kind k in this stored state visible to the public? */
bool model_record_published(const struct model_kind *k, const json_t *rec);
/* The instant by whose rules rec is judged (REQ X-POL-01): while its
 * workflow state is locked (submitted, awaiting a decision) the instant it
 * was submitted, its last write; otherwise now_ms. Callers turn it into a
 * local day for the functions below that take `day`. */
int64_t model_judging_ms(const struct model_kind *k, const json_t *rec, int64_t now_ms);
/* The gaps that keep rec from being complete by the rules in force on
 * local day `day`: a JSON array of {"field", "problem"} (new ref; empty
 * when complete). */
json_t *model_gaps(const struct model_kind *k, const json_t *rec, int64_t day);

const struct model_doc_list *model_doc_list(const struct model *m, const char *id);
const struct model_doc_type *model_doc_type(const struct model_doc_list *l, const char *id);
/* Is a document of type t due for the record rec (its stored JSON) by
 * the list in force on local day `day`? */
bool model_doc_due(const struct model_doc_type *t, const json_t *rec, int64_t day);
/* Must rec (a stored record) be the source of a relation of type rel? */
bool model_relation_required(const struct model_kind *rel, const json_t *rec);
/* Is field f needed for rec to be complete on local day `day` (needed,
 * its need in force, its condition holding of rec's values)? */
bool model_field_needed(const struct model_field *f, const json_t *rec, int64_t day);
/* How many fields are needed for rec to be complete (model_gaps lists
 * the missing ones). */
size_t model_needed_count(const struct model_kind *k, const json_t *rec, int64_t day);

/* Reference check supplied by the caller: does record `id` exist (and is it
 * not retired)? On success sets *kind to its kind (a string that stays valid
 * for the call) and returns 0; returns -1 when it does not exist. */
typedef int (*model_ref_lookup)(void *ctx, const char *id, const char **kind);

/* Validates the kind's own fields in `in` (an object that holds only field
 * members: the caller has removed the envelope) and builds the normalised
 * object in *out (new reference, fields in model order, absent optional
 * fields omitted). Unknown fields, wrong types, missing required fields, bad
 * enum values, bad formats and dangling or wrongly-typed references fail
 * with 422 and e->field set to the field's path (e.g. "functions[2]"). */
int model_validate_fields(const struct model_kind *k, const json_t *in, json_t **out,
                          model_ref_lookup lookup, void *ctx, struct err *e);
/* The kind's checks (struct model_check) over validated fields, today
 * being local day `today`: 422 "out-of-order" with the path of the value
 * at fault (every one when e collects them), -1; else 0. */
int model_check_fields(const struct model_kind *k, const json_t *fields, int64_t today,
                       model_peek_fn peek, void *ctx, struct err *e);
/* A value the model counts as none: absent, null, blank text, an empty
 * list, an object of such values. */
bool model_value_empty(const json_t *v);
/* Decimals held exactly: millionths in 128 bits. */
__extension__ typedef __int128 model_i128;
/* A number's value in millionths (a decimal's canonical text, or an
 * integer): false when it is neither. */
bool model_millionths(const json_t *v, model_i128 *out);
/* The canonical decimal text of n millionths, or false when it has more
 * than 18 digits before the point (a decimal holds no more). */
bool model_decimal_text(model_i128 n, char *out, size_t size);
/* The value of computed enum field c for validated fields (NULL: none, or c a sum). */
const char *model_compute_value(const struct model_compute *c, const json_t *fields,
                                model_peek_fn peek, void *ctx);
/* The value of computed field c, an enum's or a sum's (its canonical
 * decimal text; none without items that have the number, or beyond 18
 * digits), as a new JSON string, or NULL. */
json_t *model_compute_json(const struct model_compute *c, const json_t *fields, model_peek_fn peek,
                           void *ctx);
/* The value of derived attribute d for a relation between records source
 * and target (their stored JSON). */
const char *model_derive_value(const struct model_derive *d, const json_t *source,
                               const json_t *target);

/* Validates an i18n value ({kk,ru,en} strings, at least one non-empty when
 * required). Used for `name`. */
int model_validate_i18n(const json_t *v, const char *field, bool required, size_t max_length,
                        struct err *e);

/* Calls fn(ctx, field, value) for every value of a filterable field of a
 * normalised record (list items one by one; bools as "true"/"false";
 * integers in decimal). */
typedef void (*model_index_fn)(void *ctx, const char *field, const char *value);
void model_index_values(const struct model_kind *k, const json_t *rec, model_index_fn fn,
                        void *ctx);

/* Appends to out the text of every searchable field of rec (i18n: all three
 * languages), separated by newlines. */
void model_search_text(const struct model_kind *k, const json_t *rec, struct buf *out);

/* A label as {"kk", "ru", "en"} (new reference). */
json_t *model_label_json(struct i18n l);
/* The label in language lang ("kk", "ru" or "en"; another: ru), else in
 * another language it has; "" when it has none. */
const char *model_label_in(struct i18n l, const char *lang);
/* The name of the envelope's owner (an owned record's organisation) where
 * it is shown or read as a column or property: the spreadsheets' import
 * and the ArchiMate exchange. */
extern const struct i18n model_owner_label;

/* The type's name as written in the model file ("string", "ref", ...). */
const char *model_type_name(enum field_type t);

/* Does a field of this type take few distinct values (an enumeration's, or
 * true and false)? Lists are judged by their items' type. */
bool model_type_few_values(enum field_type t);

/* The byte limit that applies to a string-valued field: its max_length, or
 * the type's default (string 1000, text 100000, i18n 10000 per language,
 * url 2048, email 254); 0 for types that are not strings. */
size_t model_max_length(const struct model_field *f);

/* An e-mail address as the `email` type accepts it. */
bool model_email_valid(const char *s);

/* Kazakhstan BIN/IIN: 12 digits whose last is the check digit. */
bool model_bin_valid(const char *s);

#endif
