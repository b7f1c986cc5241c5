/* The list page of every records collection (/{lang}/{collection}; the
 * registry /{lang}/registry is the model's first collection's): a search
 * box, facets with counts, sorting and keyset paging, every state of it in
 * the query string (the API's own parameter names: q, kind, owner, filter,
 * sort, cursor, limit; and `at`, the position of the page's first row);
 * and the same list as a CSV file (/{lang}/{collection}.csv, comma or
 * semicolon separated) for spreadsheets. The facets are the collection's
 * (model key "facets", or every filterable enum and boolean field), the
 * columns its workflow's code, stage and status fields. */
#include "web/internal.h"
#include "util/csvw.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "registry/listq.h"
#include "registry/registry.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OWNERS_SHOWN 10   /* owner facet: the largest ones (and the selected) */
#define CSV_MAX_ROWS 100000
#define CSV_PAGE 500      /* rows read per step while writing the CSV */

#define MAX_FACETS REGISTRY_MAX_FACETS
#define MAX_COLS 11 /* the workflow's code, stage and status fields, the collection's columns */
#define MAX_AT CSV_MAX_ROWS /* the furthest row a page may start at: walking to it
                            * costs what the CSV of as many rows does */

static bool facet_type_ok(const struct model_field *f)
{
    const struct model_field *t = f->type == FT_LIST ? f->item : f;
    return f->filterable && (t->type == FT_ENUM || t->type == FT_BOOL);
}

static bool listed(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* The facets of coll's list, in the order of the page: the model's
 * choice, or by default the kind (when there are several), every
 * filterable enum and boolean field of its kinds, the owner (when they
 * are owned). */
static size_t list_facets(const struct model *m, const struct model_collection *coll,
                          const char **out)
{
    if (coll->n_facets) {
        size_t n = coll->n_facets < MAX_FACETS ? coll->n_facets : MAX_FACETS;
        for (size_t i = 0; i < n; i++)
            out[i] = coll->facets[i];
        return n;
    }
    size_t n = 0;
    bool owned = false;
    if (coll->n_kinds > 1)
        out[n++] = "kind";
    for (size_t i = 0; i < coll->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, coll->kinds[i]);
        owned = owned || (k && k->owned);
        for (size_t j = 0; k && j < k->n_fields && n < MAX_FACETS - 1; j++)
            if (facet_type_ok(&k->fields[j]) && !listed(out, n, k->fields[j].name))
                out[n++] = k->fields[j].name;
    }
    if (owned)
        out[n++] = "owner";
    return n;
}

static bool collection_owned(const struct model *m, const struct model_collection *coll)
{
    for (size_t i = 0; i < coll->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, coll->kinds[i]);
        if (k && k->owned)
            return true;
    }
    return false;
}

/* The model's columns of coll's list: its workflow's code, stage and
 * status fields (those it has), then the collection's "columns". */
static size_t list_columns(const struct model *m, const struct model_collection *coll,
                           const char **out)
{
    const struct model_workflow *wf = web_collection_workflow(m, coll);
    size_t n = 0;
    const char *fields[MAX_COLS] = {wf ? wf->code_field : NULL, wf ? wf->stage_field : NULL,
                                    wf ? wf->status_field : NULL};
    for (size_t i = 0; i < 3; i++)
        if (fields[i])
            out[n++] = fields[i];
    for (size_t i = 0; i < coll->n_columns && n < MAX_COLS; i++)
        if (!listed(out, n, coll->columns[i]))
            out[n++] = coll->columns[i];
    return n;
}

/* Is this parameter the page's own (not a list-query parameter)? */
static bool page_param(const char *key)
{
    return strcmp(key, "at") == 0 || strcmp(key, "sep") == 0;
}

/* One parameter of the request seen as a selection: kind=X and
 * filter=kind:X are both ("kind", "X"); NULL field when it selects nothing
 * (q, sort, limit, cursor). */
static const char *param_field(struct arena *a, const struct listq_param *p, const char **value)
{
    *value = p->value;
    if (strcmp(p->key, "kind") == 0 || strcmp(p->key, "owner") == 0)
        return p->key;
    if (strcmp(p->key, "filter") != 0)
        return NULL;
    const char *colon = strchr(p->value, ':');
    if (!colon || colon == p->value)
        return NULL;
    *value = colon + 1;
    return arena_strndup(a, p->value, (size_t)(colon - p->value));
}

/* The request's query parameters as list-query parameters (without the
 * page's own). */
static size_t request_params(const struct page *pg, struct listq_param *out)
{
    size_t n = 0;
    for (size_t i = 0; i < pg->req->n_query; i++) {
        if (page_param(pg->req->query[i].key))
            continue;
        out[n].key = pg->req->query[i].key;
        out[n++].value = pg->req->query[i].value;
    }
    return n;
}

/* A bad parameter: the friendly 400 page, naming it. */
static void bad_params(struct page *pg, const struct err *e)
{
    if (e->status >= 500) {
        page_error(pg, e->status, NULL);
        return;
    }
    const char *what = page_tr(pg, TR("The registry cannot use this part of the address:"));
    page_error(pg, 400,
               arena_printf(pg->req->arena, "%s %s", what, e->field[0] ? e->field : "?"));
}

/* ---- labels -------------------------------------------------------------------------- */

static const struct model_field *field_def(const struct page *pg, const char *field)
{
    const struct model *m = pg->w->api->model;
    const struct model_collection *coll = pg->coll;
    enum field_type type;
    const struct model_field *def = NULL;
    return coll && listq_field_filterable(m, coll, field, &type, &def) ? def : NULL;
}

/* A column's field: a field of the collection's kinds, filterable or not
 * (the collection's "columns" may name either). */
static const struct model_field *column_def(const struct page *pg, const char *field)
{
    const struct model_field *def = field_def(pg, field);
    for (size_t i = 0; !def && pg->coll && i < pg->coll->n_kinds; i++)
        def = model_field(model_kind(pg->w->api->model, pg->coll->kinds[i]), field);
    return def;
}

static const char *enum_label(const struct page *pg, const struct model_field *def,
                              const char *value)
{
    const struct model_field *f = def && def->type == FT_LIST ? def->item : def;
    if (value && f && f->type == FT_BOOL)
        return page_tr(pg, strcmp(value, "true") == 0 ? TR("Yes") : TR("No"));
    if (!value || !f || f->type != FT_ENUM || !f->enumeration)
        return value ? value : "";
    return page_enum_label(pg, f->enumeration, value);
}

/* An organisation's name in the page's language, looked up once per
 * request (names: id → name). */
static const char *org_name(struct page *pg, json_t *names, const char *id)
{
    if (!id || !*id)
        return "";
    const char *known = json_string_value(json_object_get(names, id));
    if (known)
        return known;
    struct err e = ERR_INIT;
    const char *name = id;
    json_t *org = NULL;
    /* an owner is an organisation, which everyone may read */
    if (registry_get_visible(pg->w->api->reg, &pg->actor, NULL, id, &org, &e) < 0)
        org = NULL;
    if (org) {
        const char *n = web_name(pg->lang, json_object_get(org, "name"));
        if (*n)
            name = arena_strdup(pg->req->arena, n);
    }
    json_decref(org);
    json_object_set_new(names, id, json_string(name));
    return name;
}

/* The label of a selected value of a facet field. */
static const char *value_label(struct page *pg, json_t *names, const char *field,
                               const char *value)
{
    if (strcmp(field, "kind") == 0)
        return page_kind_label(pg, value);
    if (strcmp(field, "owner") == 0)
        return org_name(pg, names, value);
    return enum_label(pg, field_def(pg, field), value);
}

static const char *field_label(struct page *pg, const char *field)
{
    if (strcmp(field, "kind") == 0)
        return page_tr(pg, TR("Kind"));
    if (strcmp(field, "owner") == 0)
        return page_tr(pg, TR("Owner"));
    const struct model_field *def = field_def(pg, field);
    return def ? web_label(pg->lang, def->label) : field;
}

/* ---- addresses ------------------------------------------------------------------------ */

/* "/{lang}{path}?…" with the parameters kept by keep(), then extra
 * (key, value) when given. */
static const char *url_with(struct page *pg, const char *path, const struct listq_param *p,
                            size_t n, bool (*keep)(struct page *, const struct listq_param *,
                                                   const void *),
                            const void *ctx, const char *extra_key, const char *extra_value)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "/%s%s", i18n_code(pg->lang), path);
    bool first = true;
    for (size_t i = 0; i <= n; i++) {
        const char *k = i < n ? p[i].key : extra_key, *v = i < n ? p[i].value : extra_value;
        if (!k || (i < n && !keep(pg, &p[i], ctx)))
            continue;
        buf_putc(&b, first ? '?' : '&');
        first = false;
        tpl_esc_url_part(&b, k, strlen(k));
        buf_putc(&b, '=');
        tpl_esc_url_part(&b, v, strlen(v));
    }
    const char *out = arena_strdup(pg->req->arena, b.p ? b.p : "");
    buf_free(&b);
    return out;
}

static bool keep_but_cursor(struct page *pg, const struct listq_param *p, const void *ctx)
{
    return strcmp(p->key, "cursor") != 0;
}

static bool keep_for_csv(struct page *pg, const struct listq_param *p, const void *ctx)
{
    return strcmp(p->key, "cursor") != 0 && strcmp(p->key, "limit") != 0;
}

/* Leaves out the cursor and the one selection ctx (a listq_param: field,
 * value). */
static bool keep_but_selection(struct page *pg, const struct listq_param *p, const void *ctx)
{
    const struct listq_param *sel = ctx;
    const char *value;
    const char *field = param_field(pg->req->arena, p, &value);
    return keep_but_cursor(pg, p, ctx) &&
           !(field && strcmp(field, sel->key) == 0 && strcmp(value, sel->value) == 0);
}

/* ---- the page ---------------------------------------------------------------------------- */

/* Is (field, value) among the request's selections? */
static bool selected(struct page *pg, const struct listq_param *p, size_t n, const char *field,
                     const char *value)
{
    for (size_t i = 0; i < n; i++) {
        const char *v;
        const char *f = param_field(pg->req->arena, &p[i], &v);
        if (f && strcmp(f, field) == 0 && strcmp(v, value) == 0)
            return true;
    }
    return false;
}

static json_t *facet_value(struct page *pg, const char *field, const char *value,
                           const char *label, json_int_t count, bool checked, size_t idx)
{
    bool plain = strcmp(field, "kind") == 0 || strcmp(field, "owner") == 0;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(plain ? field : "filter"));
    json_object_set_new(o, "value",
                        json_string(plain ? value
                                          : arena_printf(pg->req->arena, "%s:%s", field, value)));
    json_object_set_new(o, "label", json_string(label));
    json_object_set_new(o, "count", json_integer(count));
    json_object_set_new(o, "checked", json_boolean(checked));
    json_object_set_new(o, "input_id",
                        json_string(arena_printf(pg->req->arena, "f-%s-%zu", field, idx)));
    return o;
}

/* Is any value of field selected? */
static bool field_selected(struct page *pg, const struct listq_param *p, size_t n,
                           const char *field)
{
    for (size_t i = 0; i < n; i++) {
        const char *v;
        const char *f = param_field(pg->req->arena, &p[i], &v);
        if (f && strcmp(f, field) == 0)
            return true;
    }
    return false;
}

/* The registry's facet of a field with a selection: counted under every
 * other selection, so that more values of the same field can be ticked. */
static json_t *facet_counts(struct page *pg, const struct listq_param *p, size_t n,
                            const char *field, struct err *e)
{
    struct listq_param *others = arena_alloc(pg->req->arena, (n ? n : 1) * sizeof *others);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v;
        const char *f = param_field(pg->req->arena, &p[i], &v);
        if (!(f && strcmp(f, field) == 0) && strcmp(p[i].key, "cursor") != 0)
            others[m++] = p[i];
    }
    struct list_query q;
    json_t *f = NULL;
    if (web_list_query(pg, pg->coll, others, m, &q, e) < 0 ||
        registry_facets(pg->w->api->reg, pg->req->arena, &q, field, &f, e) < 0)
        return NULL;
    return f;
}

/* One facet as the page shows it, from the registry's answer f (taken):
 * the values with matches (the largest owners only), the selected ones
 * always. */
static json_t *facet(struct page *pg, const struct listq_param *p, size_t n, const char *field,
                     json_t *f, json_t *names)
{
    bool is_owner = strcmp(field, "owner") == 0;
    json_t *values = json_array();
    size_t i, shown = 0;
    json_t *v;
    json_array_foreach(json_object_get(f, "values"), i, v)
    {
        const char *value = json_string_value(json_object_get(v, "value"));
        json_int_t count = json_integer_value(json_object_get(v, "count"));
        bool checked = value && selected(pg, p, n, field, value);
        if (!value || count <= 0 || (is_owner && shown >= OWNERS_SHOWN && !checked))
            continue;
        json_array_append_new(values, facet_value(pg, field, value,
                                                  value_label(pg, names, field, value), count,
                                                  checked, json_array_size(values)));
        shown++;
    }
    json_decref(f);
    /* selected values that match nothing now: shown ticked, with 0 */
    for (size_t j = 0; j < n; j++) {
        const char *value;
        const char *sf = param_field(pg->req->arena, &p[j], &value);
        if (!sf || strcmp(sf, field) != 0)
            continue;
        const char *input = strcmp(field, "kind") == 0 || is_owner
                                ? value
                                : arena_printf(pg->req->arena, "%s:%s", field, value);
        bool listed = false;
        json_array_foreach(values, i, v)
        {
            listed = listed || strcmp(json_string_value(json_object_get(v, "value")), input) == 0;
        }
        if (!listed)
            json_array_append_new(values, facet_value(pg, field, value,
                                                      value_label(pg, names, field, value), 0,
                                                      true, json_array_size(values)));
    }
    json_t *out = json_object();
    json_object_set_new(out, "field", json_string(field));
    json_object_set_new(out, "legend", json_string(field_label(pg, field)));
    json_object_set_new(out, "values", values);
    return out;
}

/* The selected filters, each with the address that removes it. */
static json_t *active_filters(struct page *pg, const char *path, const struct listq_param *p,
                              size_t n, json_t *names)
{
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *value;
        const char *field = param_field(pg->req->arena, &p[i], &value);
        if (!field)
            continue;
        struct listq_param sel = {field, value};
        json_t *o = json_object();
        json_object_set_new(o, "label",
                            json_string(arena_printf(pg->req->arena, "%s: %s",
                                                     field_label(pg, field),
                                                     value_label(pg, names, field, value))));
        json_object_set_new(o, "url", json_string(url_with(pg, path, p, n, keep_but_selection,
                                                           &sel, NULL, NULL)));
        json_array_append_new(out, o);
    }
    return out;
}

/* The columns of the list: {label} each (the record's name first, the
 * kind when the collection has several, the workflow's fields, the owner
 * when owned, the day of the last change). */
struct columns {
    const char *model[MAX_COLS];
    size_t n_model;
    bool kind, owner;
    /* a column "score:<score>[.<factor>]": the score's answer for the
     * visitor and its index, fetched once for the page (NULL: none) */
    const struct model_score *score[MAX_COLS];
    const struct model_score_factor *factor[MAX_COLS];
    json_t *answer[MAX_COLS], *index[MAX_COLS];
};

static void columns_of(struct page *pg, struct columns *c)
{
    const struct model *m = pg->w->api->model;
    c->n_model = list_columns(m, pg->coll, c->model);
    c->kind = pg->coll->n_kinds > 1;
    c->owner = collection_owned(m, pg->coll);
    for (size_t i = 0; i < c->n_model; i++) {
        c->score[i] = model_score_column(m, c->model[i], &c->factor[i]);
        c->answer[i] = c->index[i] = NULL;
        struct err e = ERR_INIT;
        for (size_t j = 0; c->score[i] && j < i && !c->answer[i]; j++)
            if (c->score[j] == c->score[i]) {
                c->answer[i] = json_incref(c->answer[j]);
                c->index[i] = json_incref(c->index[j]);
            }
        /* a score the visitor cannot have judged shows empty cells */
        if (c->score[i] && !c->answer[i] &&
            registry_score(pg->w->api->reg, &pg->actor, c->score[i]->id, &c->answer[i],
                           &c->index[i], &e) < 0)
            c->answer[i] = c->index[i] = NULL;
    }
}

static void columns_free(struct columns *c)
{
    for (size_t i = 0; i < c->n_model; i++) {
        json_decref(c->answer[i]);
        json_decref(c->index[i]);
    }
}

/* A score column's cell: the record's level, or the factor's value. */
static const char *score_cell(struct page *pg, const struct columns *c, size_t i, const char *id)
{
    const json_t *it = c->answer[i] && id ? registry_score_item(c->answer[i], c->index[i], id) : NULL;
    if (!it)
        return "";
    const json_t *scale = json_object_get(c->answer[i], "scale");
    if (!c->factor[i]) {
        json_int_t l = json_integer_value(json_object_get(it, "level"));
        return l > 0 ? web_name(pg->lang, json_object_get(json_array_get(scale, (size_t)l - 1), "label"))
                     : "";
    }
    const json_t *fr = json_array_get(json_object_get(it, "factors"),
                                      (size_t)(c->factor[i] - c->score[i]->factors));
    const char *v = page_score_value(pg, c->factor[i], json_object_get(fr, "value"), true);
    return v ? v : "";
}

/* The day of the last change, flagged when it is older than the
 * collection's stale_after_months. */
static const char *updated_cell(struct page *pg, const char *updated)
{
    if (!updated)
        return "";
    const char *day = page_local_day(pg, updated);
    int months = pg->coll->stale_months;
    int y, mo, d;
    if (!months || time_parse_date(day, &y, &mo, &d) < 0)
        return day;
    int64_t then = time_days_from_civil(y, mo, d);
    /* the same day `months` months before today (the month's last when shorter) */
    int ty, tm, td;
    time_civil_from_days(registry_today(pg->w->api->reg), &ty, &tm, &td);
    int back = ty * 12 + (tm - 1) - months;
    int by = back / 12, bm = back % 12 + 1;
    int last = (int)(time_days_from_civil(bm == 12 ? by + 1 : by, bm == 12 ? 1 : bm + 1, 1) -
                     time_days_from_civil(by, bm, 1));
    if (then >= time_days_from_civil(by, bm, td < last ? td : last))
        return day;
    return arena_printf(pg->req->arena, page_tr(pg, TR("%s (not updated for over %d months)")), day,
                        months);
}

/* The column headings, the name's first. */
static size_t column_heads(struct page *pg, const struct columns *c, const char **out)
{
    size_t n = 0;
    out[n++] = page_tr(pg, TR("Name"));
    if (c->kind)
        out[n++] = page_tr(pg, TR("Kind"));
    for (size_t i = 0; i < c->n_model; i++) {
        const struct model_field *f = column_def(pg, c->model[i]);
        out[n++] = c->factor[i] ? web_label(pg->lang, c->factor[i]->label)
                   : c->score[i] ? web_label(pg->lang, c->score[i]->label)
                   : f           ? web_label(pg->lang, f->label)
                                 : c->model[i];
    }
    if (c->owner)
        out[n++] = page_tr(pg, TR("Owner"));
    out[n++] = page_tr(pg, TR("Updated"));
    return n;
}

/* A column's value as text: an enumeration's labels (a list's joined by
 * commas), a number, yes or no, or the text itself. */
static const char *cell_text(struct page *pg, const struct model_field *f, const json_t *v)
{
    if (json_is_array(v)) {
        struct buf b;
        buf_init(&b, 64u << 10);
        size_t i;
        const json_t *x;
        json_array_foreach (v, i, x) {
            if (i)
                buf_puts(&b, ", ");
            buf_puts(&b, cell_text(pg, f, x));
        }
        const char *out = arena_strdup(pg->req->arena, b.p ? b.p : "");
        buf_free(&b);
        return out;
    }
    if (json_is_integer(v))
        return arena_printf(pg->req->arena, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_boolean(v))
        return enum_label(pg, f, json_is_true(v) ? "true" : "false");
    const char *text = json_string_value(v);
    return text ? enum_label(pg, f, text) : "";
}

/* The cells of a stored record after its name, as column_heads orders
 * them (into out, at most 3 + MAX_COLS). */
static size_t row_cells(struct page *pg, const struct columns *c, json_t *rec, json_t *names,
                        const char **out)
{
    size_t n = 0;
    if (c->kind)
        out[n++] = page_kind_label(pg, json_string_value(json_object_get(rec, "kind")));
    for (size_t i = 0; i < c->n_model; i++)
        out[n++] = c->score[i] ? score_cell(pg, c, i, json_string_value(json_object_get(rec, "id")))
                               : cell_text(pg, column_def(pg, c->model[i]),
                                           json_object_get(rec, c->model[i]));
    if (c->owner)
        out[n++] = org_name(pg, names, json_string_value(json_object_get(rec, "owner")));
    out[n++] = updated_cell(pg, json_string_value(json_object_get(rec, "updated_at")));
    return n;
}

/* The rows of a page of stored records, as the template shows them. */
static json_t *rows_of(struct page *pg, const struct columns *c, json_t *items, json_t *names)
{
    json_t *rows = json_array();
    const char *heads[4 + MAX_COLS]; /* a cell's head labels it when rows stack on a phone */
    size_t n_heads = column_heads(pg, c, heads);
    size_t i;
    json_t *rec;
    json_array_foreach(items, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "id"));
        const char *cells[3 + MAX_COLS];
        size_t n = row_cells(pg, c, rec, names, cells);
        json_t *a = json_array();
        for (size_t j = 0; j < n; j++) {
            json_t *cell = json_pack("{s:s, s:s}", "text", cells[j], "label",
                                     j + 1 < n_heads ? heads[j + 1] : "");
            size_t col = j - (c->kind ? 1 : 0); /* a model column's web address is a link */
            const struct model_field *f =
                (!c->kind || j > 0) && col < c->n_model ? column_def(pg, c->model[col]) : NULL;
            if (f && f->type == FT_URL && *cells[j])
                json_object_set_new(cell, "href", json_string(cells[j]));
            json_array_append_new(a, cell);
        }
        json_t *o = json_pack("{s:s, s:s, s:o}", "name",
                              web_name(pg->lang, json_object_get(rec, "name")), "url",
                              page_url(pg, "/%s/%s", pg->coll->id, id ? id : ""), "cells", a);
        web_set_name_lang(o, pg->lang, json_object_get(rec, "name"));
        json_array_append_new(rows, o);
    }
    return rows;
}

/* A page of the list with the restricted fields the visitor may not read
 * removed (new reference). */
static json_t *list_page(struct page *pg, const struct list_query *q, struct err *e)
{
    char *text = NULL;
    size_t len = 0;
    if (registry_list_text(pg->w->api->reg, pg->req->arena, q, &text, &len, e) < 0)
        return NULL;
    json_t *page = json_loadb(text, len, 0, NULL);
    if (!page) {
        err_internal(e, "a stored record is not valid JSON");
        return NULL;
    }
    if (!pg->actor.system && registry_text_may_hold_restricted(pg->w->api->reg, text, len)) {
        json_t *items = json_object_get(page, "items");
        for (size_t i = 0; i < json_array_size(items); i++)
            registry_redact(pg->w->api->reg, &pg->actor, json_array_get(items, i));
    }
    return page;
}

static json_t *option(const char *value, const char *label, bool sel)
{
    return json_pack("{s:s, s:s, s:b}", "value", value, "label", label, "selected", sel);
}

/* The sort orders offered (the current one kept when it is another). */
static json_t *sort_options(struct page *pg, const struct list_query *q)
{
    const struct {
        const char *spec, *label;
    } sorts[] = {{"name", TR("Name, A to Z")},
                 {"-name", TR("Name, Z to A")},
                 {"-updated_at", TR("Recently updated first")},
                 {"-created_at", TR("Recently added first")},
                 {"created_at", TR("Oldest first")}};
    json_t *out = json_array();
    bool found = false;
    for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++) {
        bool sel = strcmp(q->sort_spec, sorts[i].spec) == 0;
        found = found || sel;
        json_array_append_new(out, option(sorts[i].spec, page_tr(pg, sorts[i].label), sel));
    }
    if (!found)
        json_array_append_new(out, option(q->sort_spec, q->sort_spec, true));
    return out;
}

static json_t *limit_options(const struct list_query *q)
{
    static const char *const limits[] = {"25", "50", "100", "200"};
    json_t *out = json_array();
    bool found = false;
    char cur[16];
    snprintf(cur, sizeof cur, "%d", q->limit);
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        bool sel = strcmp(cur, limits[i]) == 0;
        found = found || sel;
        json_array_append_new(out, option(limits[i], limits[i], sel));
    }
    if (!found)
        json_array_append_new(out, option(cur, cur, true));
    return out;
}

/* The page's `at` (the position of its first row): 0 when absent; -1
 * when it is not a number in 0..MAX_AT. */
static long page_at(const struct page *pg)
{
    const char *at = http_req_query(pg->req, "at");
    if (!at || !*at)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(at, &end, 10);
    return *end || errno || v < 0 || v > MAX_AT ? -1 : v;
}

/* The cursor after the first `skip` rows of the query params (its cursor
 * and limit left out), found by walking from the start; NULL when the
 * list is shorter (then its first page is shown). */
static const char *cursor_after(struct page *pg, const struct listq_param *params, size_t n,
                                long skip, struct err *e, int *rc)
{
    struct listq_param *p = arena_alloc(pg->req->arena, (n + 2) * sizeof *p);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep_for_csv(pg, &params[i], NULL))
            p[m++] = params[i];
    const char *cursor = NULL;
    *rc = 0;
    while (skip > 0) {
        long step = skip < LISTQ_MAX_LIMIT ? skip : LISTQ_MAX_LIMIT;
        p[m] = (struct listq_param){"limit", arena_printf(pg->req->arena, "%ld", step)};
        p[m + 1] = (struct listq_param){"cursor", cursor};
        struct list_query q;
        char *text = NULL;
        size_t len = 0;
        if (web_list_query(pg, pg->coll, p, m + 1 + (cursor ? 1 : 0), &q, e) < 0 ||
            registry_list_text(pg->w->api->reg, pg->req->arena, &q, &text, &len, e) < 0) {
            *rc = -1;
            return NULL;
        }
        json_t *list = json_loadb(text, len, 0, NULL);
        const char *next = json_string_value(json_object_get(list, "next_cursor"));
        cursor = next ? arena_strdup(pg->req->arena, next) : NULL;
        json_decref(list);
        if (!cursor)
            return NULL;
        skip -= step;
    }
    return cursor;
}

/* The addresses of the previous and next pages and "N–M of T". */
static void paging(struct page *pg, const char *path, const struct listq_param *params, size_t n,
                   const struct list_query *q, json_t *list, long at, size_t rows)
{
    json_int_t total = json_integer_value(json_object_get(list, "total"));
    const char *next = json_string_value(json_object_get(list, "next_cursor"));
    if (next) {
        struct listq_param *p = arena_alloc(pg->req->arena, (n + 1) * sizeof *p);
        memcpy(p, params, n * sizeof *p);
        p[n] = (struct listq_param){"at", arena_printf(pg->req->arena, "%ld", at + (long)rows)};
        json_object_set_new(pg->data, "next_url",
                            json_string(url_with(pg, path, p, n + 1, keep_but_cursor, NULL,
                                                 "cursor", next)));
    }
    if (q->has_cursor || at > 0) {
        long prev = at - q->limit;
        json_object_set_new(
            pg->data, "prev_url",
            json_string(prev > 0 ? url_with(pg, path, params, n, keep_but_cursor, NULL, "at",
                                            arena_printf(pg->req->arena, "%ld", prev))
                                 : url_with(pg, path, params, n, keep_but_cursor, NULL, NULL,
                                            NULL)));
    }
    if (rows)
        json_object_set_new(pg->data, "range",
                            json_pack("{s:I, s:I, s:I}", "from", (json_int_t)at + 1, "to",
                                      (json_int_t)at + (json_int_t)rows, "total", total));
}

/* The facet counts of the page: fields without a selection counted under
 * the page's own query, together (the matching set found once); the
 * others each without their own selection. -1 with e. */
static int facet_answers(struct page *pg, const struct listq_param *params, size_t n,
                         const struct list_query *q, const char *const *fields, size_t n_fields,
                         json_t **answers, struct err *e)
{
    const char *plain[MAX_FACETS];
    size_t n_plain = 0, at[MAX_FACETS];
    int rc = 0;
    for (size_t i = 0; i < n_fields; i++)
        answers[i] = NULL;
    for (size_t i = 0; i < n_fields && rc == 0; i++) {
        if (!field_selected(pg, params, n, fields[i])) {
            at[n_plain] = i;
            plain[n_plain++] = fields[i];
        } else if (!(answers[i] = facet_counts(pg, params, n, fields[i], e)))
            rc = -1;
    }
    json_t *many[MAX_FACETS];
    if (rc == 0 && n_plain &&
        (rc = registry_facets_many(pg->w->api->reg, pg->req->arena, q, plain, n_plain, many, e)) ==
            0)
        for (size_t i = 0; i < n_plain; i++)
            answers[at[i]] = many[i];
    if (rc < 0)
        for (size_t i = 0; i < n_fields; i++) {
            json_decref(answers[i]);
            answers[i] = NULL;
        }
    return rc;
}

/* Is the request's page the registry's (/{lang}/registry[.csv]) rather
 * than its collection's own address? */
static bool at_registry(const struct page *pg)
{
    const char *seg = pg->req->path + 4; /* after "/kk/" */
    return strcmp(seg, "registry") == 0 || strcmp(seg, "registry.csv") == 0 ||
           strcmp(seg, "registry.xlsx") == 0;
}

/* The list's own address: /registry for the registry, else /{collection}. */
static const char *list_path(const struct page *pg)
{
    return at_registry(pg) ? "/registry" : arena_printf(pg->req->arena, "/%s", pg->coll->id);
}

static void h_registry(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.coll = web_path_collection(&pg);
    if (!pg.coll) {
        page_error(&pg, 404, NULL);
        return;
    }
    const struct model *m = pg.w->api->model;
    const char *path = list_path(&pg);
    pg.nav = pg.coll == web_main_collection(m) ? "registry" : NULL;
    json_object_set_new(pg.data, "wide", json_true()); /* the table needs the room */
    struct listq_param params[HTTP_MAX_QUERY + 1];
    size_t n = request_params(&pg, params);
    struct err e = ERR_INIT;
    long at = page_at(&pg);
    if (at < 0) {
        err_set(&e, 400, "bad-parameter", "at", "'at' must be a row number");
        bad_params(&pg, &e);
        return;
    }
    size_t n_req = n; /* the request's own parameters, without a cursor found */
    if (at > 0 && !http_req_query(req, "cursor")) { /* "previous": its cursor found again */
        int rc;
        const char *c = cursor_after(&pg, params, n, at, &e, &rc);
        if (rc < 0) {
            bad_params(&pg, &e);
            return;
        }
        if (c)
            params[n++] = (struct listq_param){"cursor", c};
        else
            at = 0;
    }
    struct list_query q;
    if (web_list_query(&pg, pg.coll, params, n, &q, &e) < 0) {
        bad_params(&pg, &e);
        return;
    }
    if (!q.has_cursor)
        at = 0;
    json_t *list = list_page(&pg, &q, &e);
    if (!list) {
        page_error(&pg, e.status, NULL);
        return;
    }
    json_t *names = json_object();
    struct columns cols;
    columns_of(&pg, &cols);
    const char *heads[4 + MAX_COLS];
    size_t n_heads = column_heads(&pg, &cols, heads);
    json_t *ha = json_array();
    for (size_t i = 1; i < n_heads; i++)
        json_array_append_new(ha, json_pack("{s:s}", "label", heads[i]));
    json_object_set_new(pg.data, "heads", ha);
    json_t *rows = rows_of(&pg, &cols, json_object_get(list, "items"), names);
    columns_free(&cols);
    size_t n_rows = json_array_size(rows);
    json_object_set_new(pg.data, "has_rows", json_boolean(n_rows > 0));
    json_object_set_new(pg.data, "rows", rows);
    json_object_set_new(pg.data, "total", json_copy(json_object_get(list, "total")));
    paging(&pg, path, params, n_req, &q, list, at, n_rows);
    json_decref(list);
    const char *fields[MAX_FACETS];
    size_t n_fields = list_facets(m, pg.coll, fields);
    json_t *answers[MAX_FACETS];
    if (facet_answers(&pg, params, n_req, &q, fields, n_fields, answers, &e) < 0) {
        json_decref(names);
        page_error(&pg, e.status, NULL);
        return;
    }
    json_t *facets = json_array();
    for (size_t i = 0; i < n_fields; i++) {
        json_t *f = facet(&pg, params, n_req, fields[i], answers[i], names);
        if (json_array_size(json_object_get(f, "values")))
            json_array_append_new(facets, f);
        else
            json_decref(f);
    }
    json_object_set_new(pg.data, "facets", facets);
    json_t *active = active_filters(&pg, path, params, n_req, names);
    json_object_set_new(pg.data, "has_active", json_boolean(json_array_size(active) > 0));
    json_object_set_new(pg.data, "active", active);
    json_decref(names);
    const char *qtext = http_req_query(req, "q");
    json_object_set_new(pg.data, "q", json_string(qtext ? qtext : ""));
    json_object_set_new(pg.data, "sorts", sort_options(&pg, &q));
    json_object_set_new(pg.data, "limits", limit_options(&q));
    json_object_set_new(pg.data, "list_url", json_string(page_url(&pg, "%s", path)));
    const char *catalogue = web_catalogue_url(&pg, pg.coll);
    if (catalogue)
        json_object_set_new(pg.data, "catalogue_url", json_string(catalogue));
    const char *csv = arena_printf(req->arena, "%s.csv", path);
    json_object_set_new(pg.data, "csv_url", json_string(url_with(&pg, csv, params, n_req,
                                                                 keep_for_csv, NULL, NULL, NULL)));
    json_object_set_new(pg.data, "xlsx_url",
                        json_string(url_with(&pg, arena_printf(req->arena, "%s.xlsx", path),
                                             params, n_req, keep_for_csv, NULL, NULL, NULL)));
    json_object_set_new(pg.data, "csv_semicolon_url",
                        json_string(url_with(&pg, csv, params, n_req, keep_for_csv, NULL, "sep",
                                             "semicolon")));
    json_object_set_new(pg.data, "clear_url", json_string(page_url(&pg, "%s", path)));
    const char *title = web_label(pg.lang, pg.coll->label);
    json_object_set_new(pg.data, "heading", json_string(title));
    json_t *views = web_capmap_links(&pg, pg.coll); /* issue 15: map, matrices */
    json_object_set_new(pg.data, "has_views", json_boolean(json_array_size(views) > 0));
    json_object_set_new(pg.data, "views", views);
    web_import_form(&pg); /* issue 16: a spreadsheet's rows, for those who may */
    page_render(&pg, 200, "registry", title);
}

/* ---- CSV ---------------------------------------------------------------------------------- */

void web_csv_row(FILE *f, const char *const *cells, size_t n, char sep)
{
    csv_write_row(f, cells, n, sep, false);
}

int page_table_begin(struct page *pg, struct page_csv *csv, bool xlsx)
{
    if (!xlsx)
        return page_csv_begin(pg, csv);
    *csv = (struct page_csv){.sep = ','};
    csv->wb = page_xlsx_new(csv->path, true);
    csv->ws = csv->wb ? workbook_add_worksheet(csv->wb, NULL) : NULL;
    if (!csv->ws) {
        uint64_t none;
        if (csv->wb)
            page_xlsx_done(csv->wb, csv->path, false, &none);
        page_error(pg, 500, NULL);
        return -1;
    }
    csv->bold = workbook_add_format(csv->wb);
    format_set_bold(csv->bold);
    worksheet_freeze_panes(csv->ws, 1, 0);
    return 0;
}

void page_csv_row(struct page_csv *csv, const char *const *cells, size_t n)
{
    if (!csv->wb) {
        web_csv_row(csv->f, cells, n, csv->sep);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (cells[i] && *cells[i])
            worksheet_write_string(csv->ws, csv->row, (lxw_col_t)i, cells[i],
                                   csv->row == 0 ? csv->bold : NULL);
    csv->row++;
}

int page_csv_begin(struct page *pg, struct page_csv *csv)
{
    const char *sep_name = http_req_query(pg->req, "sep");
    *csv = (struct page_csv){.sep = sep_name && strcmp(sep_name, "semicolon") == 0 ? ';' : ','};
    if (sep_name && csv->sep == ',' && strcmp(sep_name, "comma") != 0) {
        page_error(pg, 400, NULL);
        return -1;
    }
    csv->f = open_memstream(&csv->text, &csv->len);
    if (!csv->f) {
        page_error(pg, 500, NULL);
        return -1;
    }
    fputs("\xEF\xBB\xBF", csv->f); /* UTF-8 BOM: spreadsheets then read Cyrillic right */
    return 0;
}

void page_csv_send(struct page *pg, struct page_csv *csv, const char *base)
{
    if (csv->wb) {
        uint64_t size;
        int fd = page_xlsx_done(csv->wb, csv->path, true, &size);
        if (fd < 0) {
            page_error(pg, 500, NULL);
            return;
        }
        const char *name = arena_printf(pg->req->arena, "%s.xlsx", base);
        page_file_send(pg, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", fd,
                       size, name, name);
        return;
    }
    fclose(csv->f);
    web_security_headers(pg->w, pg->resp);
    const char *name = arena_printf(pg->req->arena, "%s.csv", base);
    http_resp_header(pg->resp, "Content-Disposition",
                     http_content_disposition(pg->req->arena, name, name));
    http_resp_header(pg->resp, "Cache-Control", "no-cache, private");
    http_resp_bytes(pg->resp, 200, "text/csv; charset=utf-8; header=present", csv->text, csv->len);
    free(csv->text);
    json_decref(pg->data);
    pg->data = NULL;
}

/* Where a list's rows go: a CSV file, or a worksheet of an XLSX workbook
 * (its rows in order, the first one the header). */
struct row_sink {
    FILE *csv;
    char sep;
    lxw_worksheet *ws;
    lxw_format *bold;
    lxw_row_t row;
};

static void sink_row(struct row_sink *s, const char *const *cells, size_t n)
{
    if (s->csv) {
        csv_write_row(s->csv, cells, n, s->sep, false);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (cells[i] && *cells[i])
            worksheet_write_string(s->ws, s->row, (lxw_col_t)i, cells[i],
                                   s->row == 0 ? s->bold : NULL);
    s->row++;
}

/* Writes the rows of every page of the query, following its cursor, up
 * to CSV_MAX_ROWS. */
static int csv_rows(struct page *pg, struct listq_param *params, size_t n, struct row_sink *sink,
                    struct err *e)
{
    json_t *names = json_object();
    struct columns cols;
    columns_of(pg, &cols);
    size_t written = 0;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", CSV_PAGE);
    /* the request's own parameters without cursor and limit, then ours */
    struct listq_param *p = arena_alloc(pg->req->arena, (n + 2) * sizeof *p);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep_for_csv(pg, &params[i], NULL))
            p[m++] = params[i];
    p[m++] = (struct listq_param){"limit", limit};
    const char *cursor = NULL;
    int rc = 0;
    while (rc == 0 && written < CSV_MAX_ROWS) {
        if (cursor)
            p[m] = (struct listq_param){"cursor", cursor};
        struct list_query q;
        json_t *list = NULL;
        if (web_list_query(pg, pg->coll, p, m + (cursor ? 1 : 0), &q, e) < 0 ||
            !(list = list_page(pg, &q, e))) {
            rc = -1;
            break;
        }
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(list, "items"), i, rec)
        {
            if (written == CSV_MAX_ROWS)
                break;
            const char *cells[5 + MAX_COLS];
            cells[0] = web_name(pg->lang, json_object_get(rec, "name"));
            size_t k = 1 + row_cells(pg, &cols, rec, names, cells + 1);
            cells[k++] = json_string_value(json_object_get(rec, "id"));
            sink_row(sink, cells, k);
            written++;
        }
        const char *next = json_string_value(json_object_get(list, "next_cursor"));
        cursor = next ? arena_strdup(pg->req->arena, next) : NULL;
        json_decref(list);
        if (!cursor)
            break;
    }
    columns_free(&cols);
    json_decref(names);
    return rc;
}

struct lxw_workbook *page_xlsx_new(char path[PAGE_XLSX_PATH], bool constant_memory)
{
    if (!http_tmpname(path))
        return NULL;
    lxw_workbook_options opt = {.constant_memory = constant_memory ? LXW_TRUE : LXW_FALSE,
                                .tmpdir = NULL};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb)
        unlink(path);
    return wb;
}

int page_xlsx_done(struct lxw_workbook *wb, const char *path, bool keep, uint64_t *size)
{
    bool ok = workbook_close(wb) == LXW_NO_ERROR && keep;
    return http_tmpname_take(path, ok, size);
}

void page_file_send(struct page *pg, const char *type, int fd, uint64_t size, const char *name,
                    const char *plain_name)
{
    web_security_headers(pg->w, pg->resp);
    http_resp_header(pg->resp, "Content-Disposition",
                     http_content_disposition(pg->req->arena, name, plain_name));
    http_resp_header(pg->resp, "Cache-Control", "no-cache, private");
    http_resp_file(pg->resp, 200, type, fd, 0, size);
    json_decref(pg->data);
    pg->data = NULL;
}

/* The list as a file with the page's filters, sort and search: CSV
 * (?sep=) or an XLSX workbook. Written to an unlinked temporary file and
 * sent from there: 100,000 rows are not held in memory (the workbook in
 * libxlsxwriter's constant-memory mode). */
static void list_download(struct http_req *req, struct http_resp *resp, void *ctx, bool xlsx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.coll = web_path_collection(&pg);
    if (!pg.coll) {
        page_error(&pg, 404, NULL);
        return;
    }
    struct listq_param params[HTTP_MAX_QUERY];
    size_t n = request_params(&pg, params);
    struct err e = ERR_INIT;
    const char *sep_name = http_req_query(req, "sep");
    struct row_sink sink = {.sep = ','};
    if (sep_name && strcmp(sep_name, "semicolon") == 0)
        sink.sep = ';';
    else if (sep_name && strcmp(sep_name, "comma") != 0) {
        err_set(&e, 400, "bad-parameter", "sep", "'sep' is comma or semicolon");
        bad_params(&pg, &e);
        return;
    }
    struct list_query check;
    if (web_list_query(&pg, pg.coll, params, n, &check, &e) < 0) {
        bad_params(&pg, &e);
        return;
    }
    char path[PAGE_XLSX_PATH];
    lxw_workbook *wb = NULL;
    if (xlsx) {
        wb = page_xlsx_new(path, true);
        sink.ws = wb ? workbook_add_worksheet(wb, NULL) : NULL;
        if (!sink.ws) {
            if (wb) {
                uint64_t none;
                page_xlsx_done(wb, path, false, &none);
            }
            page_error(&pg, 500, NULL);
            return;
        }
        sink.bold = workbook_add_format(wb);
        format_set_bold(sink.bold);
        worksheet_freeze_panes(sink.ws, 1, 1);
    } else {
        sink.csv = tmpfile();
        if (!sink.csv) {
            page_error(&pg, 500, NULL);
            return;
        }
        fputs("\xEF\xBB\xBF", sink.csv); /* UTF-8 BOM: spreadsheets then read Cyrillic right */
    }
    struct columns cols;
    columns_of(&pg, &cols);
    const char *head[5 + MAX_COLS];
    size_t k = column_heads(&pg, &cols, head);
    head[k++] = page_tr(&pg, TR("Identifier"));
    sink_row(&sink, head, k);
    columns_free(&cols);
    int rc = csv_rows(&pg, params, n, &sink, &e);
    uint64_t size = 0;
    int fd = xlsx ? page_xlsx_done(wb, path, rc == 0, &size)
                  : http_tmpfile_done(sink.csv, rc == 0, &size);
    if (fd < 0) {
        page_error(&pg, rc < 0 && e.status ? e.status : 500, NULL);
        return;
    }
    char day[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    const char *base = at_registry(&pg) ? "registry" : pg.coll->id;
    const char *ext = xlsx ? "xlsx" : "csv";
    page_file_send(&pg,
                   xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        : "text/csv; charset=utf-8; header=present",
                   fd, size, arena_printf(req->arena, "%s-%s.%s", base, day, ext),
                   arena_printf(req->arena, "%s.%s", base, ext));
}

static void h_registry_csv(struct http_req *req, struct http_resp *resp, void *ctx)
{
    list_download(req, resp, ctx, false);
}

static void h_registry_xlsx(struct http_req *req, struct http_resp *resp, void *ctx)
{
    list_download(req, resp, ctx, true);
}

void web_registry_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/registry", h_registry, w);
    web_route(rt, "GET", "/registry.csv", h_registry_csv, w);
    web_route(rt, "GET", "/registry.xlsx", h_registry_xlsx, w);
}

void web_list_routes(struct web *w, struct router *rt, const char *coll)
{
    char path[160];
    snprintf(path, sizeof path, "/%s", coll);
    web_route(rt, "GET", path, h_registry, w);
    snprintf(path, sizeof path, "/%s.csv", coll);
    web_route(rt, "GET", path, h_registry_csv, w);
    snprintf(path, sizeof path, "/%s.xlsx", coll);
    web_route(rt, "GET", path, h_registry_xlsx, w);
}
