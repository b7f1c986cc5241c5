/* listq: the list query of GET /api/v1/{collection} — q, filter, kind,
 * owner, sort, limit, cursor — parsed and checked against the metamodel,
 * and the opaque cursor's encoding. */
#ifndef AP_LISTQ_H
#define AP_LISTQ_H

#include "model/model.h"
#include "util/arena.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>

#define LISTQ_MAX_FILTERS 16
#define LISTQ_MAX_VALUES 32
#define LISTQ_MAX_WORDS 16
#define LISTQ_MAX_KINDS 16
#define LISTQ_MAX_LIMIT 500
#define LISTQ_DEFAULT_LIMIT 50

enum listq_col { LISTQ_ATTR, LISTQ_KIND, LISTQ_OWNER };

struct listq_filter {
    const char *field;
    enum listq_col col;
    const char *values[LISTQ_MAX_VALUES];
    size_t n_values;
};

/* SORT_NAME orders by the folded name (sort_name: byte order); the
 * SORT_NAME_<LANG> keys by the name in that language's alphabet
 * (util/collate.h), which SORT_NAME becomes when a language is given. */
enum listq_sort_key {
    SORT_NAME,
    SORT_CREATED,
    SORT_UPDATED,
    SORT_ID,
    SORT_FIELD,
    SORT_NAME_KK,
    SORT_NAME_RU,
    SORT_NAME_EN
};

struct list_query {
    const struct model_collection *coll;
    const char *words[LISTQ_MAX_WORDS]; /* folded words of q */
    size_t n_words;
    struct listq_filter filters[LISTQ_MAX_FILTERS];
    size_t n_filters;
    enum listq_sort_key sort;
    const char *sort_field;  /* SORT_FIELD: the model field */
    bool sort_int;           /* SORT_FIELD: compare as integers */
    bool sort_few;           /* SORT_FIELD: few values (no attrs row when absent) */
    bool sort_desc;
    const char *sort_spec;   /* as given, e.g. "-updated_at" */
    const char *lang;        /* "kk", "ru", "en" (?lang= or listq_set_lang), or NULL */
    int limit;
    bool has_cursor;
    const char *cursor_key;  /* sort key of the last row seen */
    int64_t cursor_rid;
};

/* One query parameter. */
struct listq_param {
    const char *key, *value;
};

/* Parses the parameters (unknown ones are refused with 400 so typos show).
 * `extra_ok` names parameters the caller handles itself (e.g. "field" for
 * facets), NULL-terminated. 400 for malformed input, 422 for a filter or
 * sort on a field that is unknown or not filterable. */
int listq_parse(struct arena *a, const struct model *m, const struct model_collection *coll,
                const struct listq_param *params, size_t n, const char *const *extra_ok,
                struct list_query *q, struct err *e);
/* The same, with the language whose alphabet "name" sorts by when the
 * parameters give none with lang= ("kk", "ru", "en"; NULL or another
 * value: none, the folded name's byte order as listq_parse does). */
int listq_parse_lang(struct arena *a, const struct model *m, const struct model_collection *coll,
                     const struct listq_param *params, size_t n, const char *const *extra_ok,
                     const char *lang, struct list_query *q, struct err *e);

/* The records column a sort key orders by, and the index that walks in
 * that order (NULL for SORT_FIELD). */
const char *listq_sort_column(enum listq_sort_key k);
const char *listq_sort_index(enum listq_sort_key k);

/* Encodes the cursor after a row with sort key `key` and rid. */
char *listq_cursor_encode(struct arena *a, const struct list_query *q, const char *key,
                          int64_t rid);

/* True when any kind of the collection has `field` as a filterable field;
 * sets *type to its type (list: the item type). */
bool listq_field_filterable(const struct model *m, const struct model_collection *coll,
                            const char *field, enum field_type *type,
                            const struct model_field **def);

#endif
