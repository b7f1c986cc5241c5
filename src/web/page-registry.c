/* The registry page (/{lang}/registry): the list of informatization
 * objects with a search box, facets with counts, sorting and keyset
 * paging, every state of it in the query string (the API's own parameter
 * names: q, kind, owner, filter, sort, cursor, limit); and the same list
 * as a CSV file (/{lang}/registry.csv) for spreadsheets. */
#include "web/internal.h"

#include "registry/listq.h"
#include "registry/registry.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OWNERS_SHOWN 10   /* owner facet: the largest ones (and the selected) */
#define CSV_MAX_ROWS 100000
#define CSV_PAGE 500      /* rows read per step while writing the CSV */

/* The facets, in the order of the page. */
static const char *const facet_fields[] = {"kind", "stage", "status", "class", "placement",
                                           "owner"};
#define N_FACETS (sizeof facet_fields / sizeof facet_fields[0])

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

/* The request's query parameters as list-query parameters. */
static size_t request_params(const struct page *pg, struct listq_param *out)
{
    for (size_t i = 0; i < pg->req->n_query; i++) {
        out[i].key = pg->req->query[i].key;
        out[i].value = pg->req->query[i].value;
    }
    return pg->req->n_query;
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
    const struct model_collection *coll = model_collection(m, "objects");
    enum field_type type;
    const struct model_field *def = NULL;
    return coll && listq_field_filterable(m, coll, field, &type, &def) ? def : NULL;
}

static const char *enum_label(const struct page *pg, const struct model_field *def,
                              const char *value)
{
    const struct model_field *f = def && def->type == FT_LIST ? def->item : def;
    if (!value || !f || f->type != FT_ENUM || !f->enumeration)
        return value ? value : "";
    return page_enum_label(pg, f->enumeration, value);
}

static const char *kind_label(const struct page *pg, const char *kind)
{
    const struct model_kind *k = kind ? model_kind(pg->w->api->model, kind) : NULL;
    return k ? web_label(pg->lang, k->label) : (kind ? kind : "");
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
    char *text = NULL;
    int64_t rev = 0;
    struct err e = ERR_INIT;
    const char *name = id;
    json_t *org = NULL;
    if (registry_get_raw(pg->w->api->reg, pg->req->arena, "organizations", id, &text, &rev, &e) ==
        0)
        org = json_loads(text, 0, NULL);
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
        return kind_label(pg, value);
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
    if (web_objects_query(pg, others, m, &q, e) < 0 ||
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
static json_t *active_filters(struct page *pg, const struct listq_param *p, size_t n,
                              json_t *names)
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
        json_object_set_new(o, "url", json_string(url_with(pg, "/registry", p, n,
                                                           keep_but_selection, &sel, NULL, NULL)));
        json_array_append_new(out, o);
    }
    return out;
}

/* The rows of a page of stored records, as the template shows them. */
static json_t *rows_of(struct page *pg, json_t *items, json_t *names)
{
    const struct model_field *stage = field_def(pg, "stage"), *status = field_def(pg, "status");
    json_t *rows = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(items, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "id"));
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(web_name(pg->lang, json_object_get(rec, "name"))));
        web_set_name_lang(o, pg->lang, json_object_get(rec, "name"));
        json_object_set_new(o, "url", json_string(page_url(pg, "/objects/%s", id ? id : "")));
        json_object_set_new(o, "kind",
                            json_string(kind_label(pg, json_string_value(json_object_get(rec, "kind")))));
        const char *code = json_string_value(json_object_get(rec, "accounting_code"));
        json_object_set_new(o, "code", json_string(code ? code : ""));
        const char *st = json_string_value(json_object_get(rec, "stage"));
        json_object_set_new(o, "stage", json_string(st ? enum_label(pg, stage, st) : ""));
        const char *ss = json_string_value(json_object_get(rec, "status"));
        json_object_set_new(o, "status", json_string(ss ? enum_label(pg, status, ss) : ""));
        json_object_set_new(o, "owner",
                            json_string(org_name(pg, names,
                                                 json_string_value(json_object_get(rec, "owner")))));
        const char *updated = json_string_value(json_object_get(rec, "updated_at"));
        json_object_set_new(o, "updated", json_string(page_local_day(pg, updated)));
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

/* Column headings from the metamodel in the page's language. */
static void column_labels(struct page *pg)
{
    static const char *const fields[] = {"accounting_code", "stage", "status"};
    static const char *const keys[] = {"col_code", "col_stage", "col_status"};
    for (size_t i = 0; i < 3; i++) {
        const struct model_field *f = field_def(pg, fields[i]);
        json_object_set_new(pg->data, keys[i],
                            json_string(f ? web_label(pg->lang, f->label) : fields[i]));
    }
}

static void h_registry(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.nav = "registry";
    json_object_set_new(pg.data, "wide", json_true()); /* the table needs the room */
    struct listq_param params[HTTP_MAX_QUERY];
    size_t n = request_params(&pg, params);
    struct err e = ERR_INIT;
    struct list_query q;
    if (web_objects_query(&pg, params, n, &q, &e) < 0) {
        bad_params(&pg, &e);
        return;
    }
    json_t *list = list_page(&pg, &q, &e);
    if (!list) {
        page_error(&pg, e.status, NULL);
        return;
    }
    json_t *names = json_object();
    json_t *rows = rows_of(&pg, json_object_get(list, "items"), names);
    json_object_set_new(pg.data, "has_rows", json_boolean(json_array_size(rows) > 0));
    json_object_set_new(pg.data, "rows", rows);
    json_object_set_new(pg.data, "total", json_copy(json_object_get(list, "total")));
    const char *next = json_string_value(json_object_get(list, "next_cursor"));
    if (next)
        json_object_set_new(pg.data, "next_url",
                            json_string(url_with(&pg, "/registry", params, n, keep_but_cursor,
                                                 NULL, "cursor", next)));
    json_decref(list);
    if (q.has_cursor)
        json_object_set_new(pg.data, "first_url",
                            json_string(url_with(&pg, "/registry", params, n, keep_but_cursor,
                                                 NULL, NULL, NULL)));
    /* fields without a selection are counted under the page's own query,
     * together (the matching set found once); the others each without
     * their own selection */
    json_t *answers[N_FACETS] = {NULL};
    const char *plain[N_FACETS];
    size_t n_plain = 0, at[N_FACETS];
    int rc = 0;
    for (size_t i = 0; i < N_FACETS && rc == 0; i++) {
        if (!field_selected(&pg, params, n, facet_fields[i])) {
            at[n_plain] = i;
            plain[n_plain++] = facet_fields[i];
        } else if (!(answers[i] = facet_counts(&pg, params, n, facet_fields[i], &e)))
            rc = -1;
    }
    json_t *many[N_FACETS];
    if (rc == 0 && n_plain &&
        (rc = registry_facets_many(pg.w->api->reg, req->arena, &q, plain, n_plain, many, &e)) == 0)
        for (size_t i = 0; i < n_plain; i++)
            answers[at[i]] = many[i];
    if (rc < 0) {
        for (size_t i = 0; i < N_FACETS; i++)
            json_decref(answers[i]);
        json_decref(names);
        page_error(&pg, e.status, NULL);
        return;
    }
    json_t *facets = json_array();
    for (size_t i = 0; i < N_FACETS; i++) {
        json_t *f = facet(&pg, params, n, facet_fields[i], answers[i], names);
        if (json_array_size(json_object_get(f, "values")))
            json_array_append_new(facets, f);
        else
            json_decref(f);
    }
    json_object_set_new(pg.data, "facets", facets);
    json_t *active = active_filters(&pg, params, n, names);
    json_object_set_new(pg.data, "has_active", json_boolean(json_array_size(active) > 0));
    json_object_set_new(pg.data, "active", active);
    json_decref(names);
    const char *qtext = http_req_query(req, "q");
    json_object_set_new(pg.data, "q", json_string(qtext ? qtext : ""));
    json_object_set_new(pg.data, "sorts", sort_options(&pg, &q));
    json_object_set_new(pg.data, "limits", limit_options(&q));
    json_object_set_new(pg.data, "csv_url", json_string(url_with(&pg, "/registry.csv", params, n,
                                                                 keep_for_csv, NULL, NULL, NULL)));
    json_object_set_new(pg.data, "clear_url", json_string(page_url(&pg, "/registry")));
    column_labels(&pg);
    page_render(&pg, 200, "registry", page_tr(&pg, TR("Registry of informatization objects")));
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* One RFC 4180 cell: quoted when it holds a comma, quote or line break;
 * a cell that a spreadsheet would take for a formula (= + - @ tab CR at
 * its start) gets a leading apostrophe. */
static void csv_cell(FILE *f, const char *s, bool last)
{
    if (!s)
        s = "";
    bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    if (quote)
        fputc('"', f);
    fputs(last ? "\r\n" : ",", f);
}

static void csv_row(FILE *f, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        csv_cell(f, cells[i], i + 1 == n);
}

/* Writes the rows of every page of the query, following its cursor, up
 * to CSV_MAX_ROWS. */
static int csv_rows(struct page *pg, struct listq_param *params, size_t n, FILE *f,
                    struct err *e)
{
    json_t *names = json_object();
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
        if (web_objects_query(pg, p, m + (cursor ? 1 : 0), &q, e) < 0 ||
            !(list = list_page(pg, &q, e))) {
            rc = -1;
            break;
        }
        json_t *rows = rows_of(pg, json_object_get(list, "items"), names);
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r)
        {
            if (written == CSV_MAX_ROWS)
                break;
            const char *cells[] = {
                json_string_value(json_object_get(r, "name")),
                json_string_value(json_object_get(r, "kind")),
                json_string_value(json_object_get(r, "code")),
                json_string_value(json_object_get(r, "stage")),
                json_string_value(json_object_get(r, "status")),
                json_string_value(json_object_get(r, "owner")),
                json_string_value(json_object_get(r, "updated")),
                json_string_value(json_object_get(json_array_get(json_object_get(list, "items"), i),
                                                  "id")),
            };
            csv_row(f, cells, sizeof cells / sizeof cells[0]);
            written++;
        }
        json_decref(rows);
        const char *next = json_string_value(json_object_get(list, "next_cursor"));
        cursor = next ? arena_strdup(pg->req->arena, next) : NULL;
        json_decref(list);
        if (!cursor)
            break;
    }
    json_decref(names);
    return rc;
}

static void h_registry_csv(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    struct listq_param params[HTTP_MAX_QUERY];
    size_t n = request_params(&pg, params);
    struct err e = ERR_INIT;
    struct list_query check;
    if (web_objects_query(&pg, params, n, &check, &e) < 0) {
        bad_params(&pg, &e);
        return;
    }
    /* the file is written to an unlinked temporary file and sent from
     * there: 100,000 rows are not held in memory */
    FILE *f = tmpfile();
    if (!f) {
        page_error(&pg, 500, NULL);
        return;
    }
    fputs("\xEF\xBB\xBF", f); /* UTF-8 BOM: spreadsheets then read Cyrillic right */
    const char *head[] = {page_tr(&pg, TR("Name")),
                          page_tr(&pg, TR("Kind")),
                          NULL,
                          NULL,
                          NULL,
                          page_tr(&pg, TR("Owner")),
                          page_tr(&pg, TR("Updated")),
                          page_tr(&pg, TR("Identifier"))};
    static const char *const model_cols[] = {"accounting_code", "stage", "status"};
    for (size_t i = 0; i < 3; i++) {
        const struct model_field *d = field_def(&pg, model_cols[i]);
        head[2 + i] = d ? web_label(pg.lang, d->label) : model_cols[i];
    }
    csv_row(f, head, sizeof head / sizeof head[0]);
    int rc = csv_rows(&pg, params, n, f, &e);
    long size = rc == 0 && fflush(f) == 0 && !ferror(f) ? ftell(f) : -1;
    int fd = size >= 0 ? dup(fileno(f)) : -1;
    fclose(f);
    if (rc < 0 || fd < 0) {
        if (fd >= 0)
            close(fd);
        page_error(&pg, rc < 0 && e.status ? e.status : 500, NULL);
        return;
    }
    web_security_headers(pg.w, resp);
    char day[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    http_resp_header(resp, "Content-Disposition",
                     http_content_disposition(req->arena,
                                              arena_printf(req->arena, "registry-%s.csv", day),
                                              "registry.csv"));
    http_resp_header(resp, "Cache-Control", "no-cache, private");
    http_resp_file(resp, 200, "text/csv; charset=utf-8; header=present", fd, 0, (uint64_t)size);
    json_decref(pg.data);
    pg.data = NULL;
}

void web_registry_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/registry", h_registry, w);
    web_route(rt, "GET", "/registry.csv", h_registry_csv, w);
}
