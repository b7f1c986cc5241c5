/* rows: a spreadsheet's rows into records of a kind (see rows.h). */
#include "registry/rows.h"

#include "auth/authz.h"
#include "docs/sheet.h"
#include "registry/listq.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct imp {
    struct registry *r;
    const struct actor *a;
    const struct model_kind *k;
    const struct model_import *im;
    const struct model_collection *coll;
    struct arena *ar;
    const struct model_import_column **col; /* per column of the file; NULL: ignored */
    size_t n_file_cols, key_at;
    json_t *seen; /* key → line */
    json_t *rows;
    long created, changed, unchanged, refused;
};

/* ---- a cell as a field's value ---------------------------------------------------------- */

static char *trimmed(struct arena *ar, const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return arena_strndup(ar, s, n);
}

/* A cell for a one-line value: trimmed, each run of line breaks and tabs
 * one space (a long name the keeper's file wraps). */
static char *one_line(struct arena *ar, const char *s)
{
    char *t = trimmed(ar, s), *w = t;
    for (const char *p = t; *p; p++) {
        bool brk = *p == '\r' || *p == '\n' || *p == '\t';
        if (!brk)
            *w++ = *p;
        else if (w > t && w[-1] != ' ')
            *w++ = ' ';
    }
    *w = '\0';
    return t;
}

/* "YYYY-MM-DD", "DD.MM.YYYY" or a spreadsheet's day serial (1900 system:
 * day 25569 is 1970-01-01) as "YYYY-MM-DD" into out; -1 when none. */
static int cell_date(const char *s, char out[16])
{
    int y, m, d;
    if (time_parse_date(s, &y, &m, &d) == 0) {
        snprintf(out, 16, "%s", s);
        return 0;
    }
    char iso[16];
    if (strlen(s) == 10 && s[2] == '.' && s[5] == '.') {
        snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", s + 6, s + 3, s);
        if (time_parse_date(iso, &y, &m, &d) == 0) {
            snprintf(out, 16, "%s", iso);
            return 0;
        }
        return -1;
    }
    char *end = NULL;
    double serial = strtod(s, &end);
    if (!*s || *end || !(serial >= 1 && serial < 2958466) || serial != (double)(long)serial)
        return -1;
    time_format_date((int64_t)serial - 25569, out, 16);
    return 0;
}

static const char *enum_value(struct arena *ar, const struct model_enum *en, const char *s)
{
    const char *folded = model_import_fold(ar, s);
    for (size_t i = 0; i < en->n_values; i++) {
        const struct model_enum_value *v = &en->values[i];
        if (strcmp(v->id, s) == 0)
            return v->id;
        const char *labels[] = {v->label.kk, v->label.ru, v->label.en};
        for (size_t l = 0; l < 3; l++)
            if (labels[l] && strcmp(model_import_fold(ar, labels[l]), folded) == 0)
                return v->id;
    }
    return NULL;
}

static int cell_bool(struct arena *ar, const char *s, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "да", "иә", NULL};
    static const char *const no[] = {"false", "0", "no", "нет", "жоқ", NULL};
    const char *f = text_fold(ar, s);
    for (size_t i = 0; yes[i]; i++)
        if (strcmp(f, yes[i]) == 0)
            return *out = true, 0;
    for (size_t i = 0; no[i]; i++)
        if (strcmp(f, no[i]) == 0)
            return *out = false, 0;
    return -1;
}

/* The value of a non-empty, trimmed cell s for field f (an item's type
 * for a list): a new reference, or NULL with one filled. */
static json_t *scalar_value(struct arena *ar, const struct model_field *f, const char *s,
                            const char *path, struct err *one)
{
    switch (f->type) {
    case FT_INTEGER: {
        char *end = NULL;
        long long v = strtoll(s, &end, 10);
        if (end != s && (!*end || strcmp(end, ".0") == 0))
            return json_integer(v);
        err_set(one, 422, "bad-format", path, "'%s' is not a whole number", s);
        return NULL;
    }
    case FT_DECIMAL: {
        char *d = arena_strdup(ar, s), *w = d;
        for (const char *p = s; *p; p++)
            if (*p != ' ')
                *w++ = *p == ',' ? '.' : *p;
        *w = '\0';
        return json_string(d);
    }
    case FT_DATE: {
        char out[16];
        if (cell_date(s, out) == 0)
            return json_string(out);
        err_set(one, 422, "bad-format", path,
                "'%s' is not a date (YYYY-MM-DD, DD.MM.YYYY or a spreadsheet's date)", s);
        return NULL;
    }
    case FT_BOOL: {
        bool b;
        if (cell_bool(ar, s, &b) == 0)
            return json_boolean(b);
        err_set(one, 422, "bad-format", path, "'%s' is neither yes nor no", s);
        return NULL;
    }
    case FT_ENUM: {
        const char *v = enum_value(ar, f->enumeration, s);
        if (v)
            return json_string(v);
        err_set(one, 422, "bad-enum", path, "'%s' is not one of the values of '%s'", s, path);
        return NULL;
    }
    default:
        return json_string(s);
    }
}

/* A list's items: the cell's parts between ";" or line breaks. */
static json_t *list_value(struct arena *ar, const struct model_field *f, const char *s,
                          const char *path, struct err *one)
{
    json_t *items = json_array();
    char *copy = arena_strdup(ar, s);
    for (char *save = NULL, *part = strtok_r(copy, ";\n", &save); part;
         part = strtok_r(NULL, ";\n", &save)) {
        const char *t = trimmed(ar, part);
        if (!*t)
            continue;
        json_t *v = scalar_value(ar, f->item, t, path, one);
        if (!v) {
            json_decref(items);
            return NULL;
        }
        json_array_append_new(items, v);
    }
    return items;
}

json_t *registry_cell_value(struct arena *ar, const struct model_field *f, const char *s,
                            const char *path, struct err *one)
{
    return f->type == FT_LIST ? list_value(ar, f, s, path, one)
                              : scalar_value(ar, f, s, path, one);
}

/* Puts column c's cell into body (json null for an empty cell: the
 * file says there is no value). -1 with one filled. */
static int put_column(struct imp *im, json_t *body, const struct model_import_column *c,
                      const char *cell, struct err *one)
{
    char *guarded = arena_strdup(im->ar, cell);
    if (sheet_formula(&guarded)) {
        err_set(one, 422, "formula", c->target,
                "the cell of '%s' starts a formula, which the portal does not take", c->target);
        return -1;
    }
    cell = guarded;
    const char *s = c->f && c->f->type == FT_TEXT ? cell : one_line(im->ar, cell);
    bool empty = !*trimmed(im->ar, s);
    if (c->lang) {
        json_t *o = json_object_get(body, c->field);
        if (!o) {
            o = json_object();
            json_object_set_new(body, c->field, o);
        }
        json_object_set_new(o, c->lang, empty ? json_null() : json_string(s));
        return 0;
    }
    if (empty) {
        json_object_set_new(body, c->field, json_null());
        return 0;
    }
    if (!c->f) { /* the owner: an organisation's id */
        json_object_set_new(body, c->field, json_string(s));
        return 0;
    }
    json_t *v = c->f->type == FT_LIST ? list_value(im->ar, c->f, s, c->target, one)
                                      : scalar_value(im->ar, c->f, s, c->target, one);
    if (!v)
        return -1;
    json_object_set_new(body, c->field, v);
    return 0;
}

/* ---- the header ------------------------------------------------------------------------- */

static int read_header(struct imp *im, const struct sheet_row *h, json_t *columns, json_t *ignored,
                       struct err *e)
{
    im->n_file_cols = h->n;
    im->key_at = (size_t)-1; /* a derived import's file may have no ID column: all new */
    im->col = arena_calloc(im->ar, h->n + 1, sizeof *im->col);
    bool key = false, any = false;
    for (size_t i = 0; i < h->n; i++) {
        const struct model_import_column *c =
            model_import_column(im->im, model_import_fold(im->ar, h->cell[i]));
        if (!c) {
            if (*trimmed(im->ar, h->cell[i]))
                json_array_append_new(ignored, json_string(h->cell[i]));
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (im->col[j] == c) {
                err_set(e, 400, "no-columns", "file", "the columns '%s' and '%s' both fill '%s'",
                        h->cell[j], h->cell[i], c->target);
                return -1;
            }
        im->col[i] = c;
        any = true;
        if (c == im->im->key)
            key = true, im->key_at = i;
        json_array_append_new(columns,
                              json_pack("{s:s, s:s}", "header", h->cell[i], "target", c->target));
    }
    if (!any) {
        err_set(e, 400, "no-columns", "file",
                "the first row names none of the columns of '%s' (such as '%s'): the file is "
                "not a list of them",
                im->k->id, im->im->key->headers[0]);
        return -1;
    }
    if (!key && !im->im->derived) {
        err_set(e, 400, "no-columns", "file", "the file has no column for the key '%s'",
                im->im->key->target);
        return -1;
    }
    return 0;
}

/* ---- one row ---------------------------------------------------------------------------- */

/* The live record of the kind whose key field holds key: 1 (*out a new
 * reference), 0 none, -1 on error (two of them: one filled). */
static int find_record(struct imp *im, const char *key, json_t **out, struct err *one)
{
    struct list_query q;
    memset(&q, 0, sizeof q);
    q.coll = im->coll;
    q.filters[0] = (struct listq_filter){.field = "kind", .col = LISTQ_KIND, .n_values = 1};
    q.filters[0].values[0] = im->k->id;
    q.filters[1] =
        (struct listq_filter){.field = im->im->key->field, .col = LISTQ_ATTR, .n_values = 1};
    q.filters[1].values[0] = key;
    q.n_filters = 2;
    q.sort = SORT_NAME;
    q.sort_spec = "name";
    q.limit = 2;
    json_t *list = NULL;
    *out = NULL;
    struct arena *ar = arena_new(); /* one query's: a file has many rows */
    int listed = registry_list(im->r, ar, &q, &list, one);
    arena_free(ar);
    if (listed < 0)
        return -1;
    json_t *items = json_object_get(list, "items");
    int rc = 0;
    if (json_array_size(items) > 1) {
        err_set(one, 409, "duplicate-key", im->im->key->target,
                "two records hold the key '%s': %s and %s", key,
                json_string_value(json_object_get(json_array_get(items, 0), "id")),
                json_string_value(json_object_get(json_array_get(items, 1), "id")));
        rc = -1;
    } else if (json_array_size(items) == 1) {
        *out = json_incref(json_array_get(items, 0));
        rc = 1;
    }
    json_decref(list);
    return rc;
}

/* The record of the kind whose id is key (a derived import's key): 1
 * (*out a new reference) or -1 with one filled. */
static int find_by_id(struct imp *im, const char *key, json_t **out, struct err *one)
{
    struct err e = ERR_INIT;
    *out = NULL;
    if (registry_get_visible(im->r, im->a, im->k->collection, key, out, &e) < 0) {
        if (e.status == 404)
            err_set(one, 422, "not-found", "id",
                    "no record '%s' in this list: leave the ID empty to add a record", key);
        else
            err_collect(one, &e);
        return -1;
    }
    const char *kind = json_string_value(json_object_get(*out, im->k->is_relation ? "type" : "kind"));
    if (!kind || strcmp(kind, im->k->id) != 0) {
        err_set(one, 422, "wrong-kind", "id", "record '%s' is not of kind '%s'", key, im->k->id);
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 1;
}

/* Drops the nulls of a new record's body (an i18n value with none left). */
static void drop_nulls(json_t *body)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(body, tmp, k, v)
    {
        if (json_is_object(v))
            drop_nulls(v);
        if (json_is_null(v) || (json_is_object(v) && !json_object_size(v)))
            json_object_del(body, k);
    }
}

/* The fields of the columns whose value differs between before and after. */
static json_t *changed_fields(const struct imp *im, const json_t *before, const json_t *after)
{
    json_t *fields = json_array();
    for (size_t i = 0; i < im->im->n_cols; i++) {
        const char *f = im->im->cols[i].field;
        if (&im->im->cols[i] == im->im->key && !im->im->key->f)
            continue; /* the id */
        bool listed = false;
        for (size_t j = 0; j < i; j++)
            listed = listed || strcmp(im->im->cols[j].field, f) == 0;
        const json_t *x = json_object_get(before, f), *y = json_object_get(after, f);
        if (!listed && !((!x && !y) || (x && y && json_equal(x, y))))
            json_array_append_new(fields, json_string(f));
    }
    return fields;
}

/* A row read: its record's body as the file gives it, the live record
 * its key finds (NULL: none), its problems so far. */
struct pending {
    json_t *out; /* the report's row */
    json_t *body;
    json_t *cur;
    struct err row;
};

/* Writes the row's record: its result, or NULL with the problems in p->row. */
static const char *write_row(struct imp *im, struct pending *p)
{
    struct err sub = ERR_INIT;
    sub.errors = json_array();
    json_t *out = NULL;
    const char *result = NULL;
    if (!p->cur) {
        json_object_set_new(p->body, im->k->is_relation ? "type" : "kind",
                            json_string(im->k->id));
        /* a new record of an owned kind without an owner column: the
         * importer's organisation's, as a form would make it */
        if (im->k->owned && !json_string_value(json_object_get(p->body, "owner")) && *im->a->org)
            json_object_set_new(p->body, "owner", json_string(im->a->org));
        drop_nulls(p->body);
        if (registry_create(im->r, im->a, im->k->collection, p->body, NULL, &out, &sub) == 0)
            result = "created";
    } else {
        const char *id = json_string_value(json_object_get(p->cur, "id"));
        json_int_t rev = json_integer_value(json_object_get(p->cur, "revision"));
        if (registry_patch(im->r, im->a, im->k->collection, id, rev, p->body, &out, &sub) == 0) {
            json_t *fields = changed_fields(im, p->cur, out);
            bool same = json_integer_value(json_object_get(out, "revision")) == rev ||
                        !json_array_size(fields);
            result = same ? "unchanged" : "changed";
            if (!same)
                json_object_set(p->out, "fields", fields);
            json_decref(fields);
        }
    }
    if (result)
        json_object_set(p->out, "id", json_object_get(out, "id"));
    else
        err_collect_all(&p->row, &sub);
    json_decref(sub.errors);
    json_decref(out);
    return result;
}

/* Reads row sr into p: its key, its cells, the record it updates. */
static void read_row(struct imp *im, const struct sheet_row *sr, struct pending *p)
{
    p->row = (struct err)ERR_INIT;
    p->row.errors = json_array();
    const char *key = sr->n > im->key_at ? one_line(im->ar, sr->cell[im->key_at]) : "";
    p->out = json_pack("{s:I, s:s}", "line", (json_int_t)sr->line, "key", key);
    p->body = json_object();
    p->cur = NULL;
    json_t *before = *key ? json_object_get(im->seen, key) : NULL;
    struct err one = ERR_INIT;
    bool by_id = !im->im->key->f; /* a derived import: an empty id adds a record */
    if (!*key && !by_id) {
        err_set(&one, 422, "required", im->im->key->target, "the key '%s' is empty",
                im->im->key->target);
        err_collect(&p->row, &one);
        return;
    }
    if (before) {
        err_set(&one, 422, "duplicate-key", im->im->key->target, "the key '%s' is on line %ld too",
                key, (long)json_integer_value(before));
        err_collect(&p->row, &one);
        return;
    }
    if (*key)
        json_object_set_new(im->seen, key, json_integer(sr->line));
    for (size_t i = 0; i < im->n_file_cols; i++) {
        struct err cell = ERR_INIT;
        if (im->col[i] && !(by_id && im->col[i] == im->im->key) &&
            put_column(im, p->body, im->col[i], i < sr->n ? sr->cell[i] : "", &cell) < 0)
            err_collect(&p->row, &cell);
    }
    if (!json_array_size(p->row.errors) && *key &&
        (by_id ? find_by_id(im, key, &p->cur, &one) : find_record(im, key, &p->cur, &one)) < 0)
        err_collect(&p->row, &one);
}

/* Ends row p in the report with its result (NULL: refused). */
static void end_row(struct imp *im, struct pending *p, const char *result)
{
    if (!result) {
        result = "refused";
        json_object_set(p->out, "errors", p->row.errors);
    }
    json_object_set_new(p->out, "result", json_string(result));
    im->created += strcmp(result, "created") == 0;
    im->changed += strcmp(result, "changed") == 0;
    im->unchanged += strcmp(result, "unchanged") == 0;
    im->refused += strcmp(result, "refused") == 0;
    json_array_append_new(im->rows, p->out);
    json_decref(p->body);
    json_decref(p->cur);
    json_decref(p->row.errors);
}

/* ---- the import ------------------------------------------------------------------------- */

static int may_import(struct registry *r, const struct actor *a, const struct model_kind *k,
                      struct err *e)
{
    if (a->system)
        return 0;
    const struct rights *rt = registry_rights(r);
    if (!rt) {
        err_set(e, 403, "forbidden", "", "no rights are configured");
        return -1;
    }
    const char *org = k->owned ? a->org : "";
    return authz_check(rt, a, RA_CREATE, k->id, org, e) < 0 ||
                   authz_check(rt, a, RA_UPDATE, k->id, org, e) < 0
               ? -1
               : 0;
}

const struct model_kind *registry_rows_kind(struct registry *r, const struct actor *a,
                                            const char *kind, struct err *e)
{
    const struct model_kind *k = kind ? model_kind(registry_model(r), kind) : NULL;
    if (!k) {
        err_set(e, 404, "not-found", "kind", "no kind '%s'", kind ? kind : "");
        return NULL;
    }
    if (!k->import) {
        err_set(e, 400, "no-import", "kind", "kind '%s' declares no import", k->id);
        return NULL;
    }
    return may_import(r, a, k, e) < 0 ? NULL : k;
}

static json_t *report_new(const struct imp *im, const char *format, bool dry_run, json_t *columns,
                          json_t *ignored)
{
    return json_pack(
        "{s:s, s:s, s:s, s:b, s:b, s:{s:I, s:I, s:I, s:I, s:I}, s:O, s:O, s:O}", "kind", im->k->id,
        "collection", im->k->collection, "format", format, "dry_run", dry_run, "written", false,
        "counts", "rows", (json_int_t)json_array_size(im->rows), "created", (json_int_t)im->created,
        "changed", (json_int_t)im->changed, "unchanged", (json_int_t)im->unchanged, "refused",
        (json_int_t)im->refused, "columns", columns, "ignored", ignored, "rows", im->rows);
}

/* Reads every row (the records their keys find, before the write), then
 * writes them in one write: committed only for a real run that refuses
 * none. */
static int run_rows(struct imp *im, const struct sheet *s, bool dry_run, struct err *e)
{
    size_t n = s->n_rows - 1;
    struct pending *p = xcalloc(n + 1, sizeof *p);
    for (size_t i = 0; i < n; i++)
        read_row(im, &s->row[i + 1], &p[i]);
    struct store_conn *c = registry_write_enter(im->r, e);
    if (!c) {
        for (size_t i = 0; i < n; i++)
            end_row(im, &p[i], "refused");
        free(p);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        end_row(im, &p[i], json_array_size(p[i].row.errors) ? NULL : write_row(im, &p[i]));
    free(p);
    bool commit = !dry_run && im->refused == 0;
    struct err scratch = ERR_INIT;
    if (registry_write_leave(im->r, c, commit ? 0 : -1, commit ? e : &scratch) < 0 && commit)
        return -1;
    return 0;
}

int registry_rows_import(struct registry *r, const struct actor *a, const char *kind,
                         const char *data, size_t n, bool dry_run, json_t **report, struct err *e)
{
    *report = NULL;
    const struct model_kind *k = registry_rows_kind(r, a, kind, e);
    if (!k)
        return -1;
    if (n > ROWS_MAX_FILE) {
        err_set(e, 413, "body-too-large", "file", "the file exceeds %u bytes", ROWS_MAX_FILE);
        return -1;
    }
    struct imp im = {.r = r, .a = a, .k = k, .im = k->import, .ar = arena_new()};
    im.coll = model_collection(registry_model(r), k->collection);
    struct sheet s;
    json_t *columns = json_array(), *ignored = json_array();
    im.seen = json_object();
    im.rows = json_array();
    int rc = sheet_read(im.ar, data, n, &s, e);
    if (rc == 0 && s.n_rows == 0) {
        err_set(e, 400, "no-columns", "file", "the file is empty");
        rc = -1;
    }
    if (rc == 0)
        rc = read_header(&im, &s.row[0], columns, ignored, e);
    if (rc == 0)
        rc = run_rows(&im, &s, dry_run, e);
    if (rc == 0) {
        *report = report_new(&im, s.format, dry_run, columns, ignored);
        bool written = !dry_run && im.refused == 0;
        json_object_set_new(*report, "written", json_boolean(written));
        if (!dry_run && !written) {
            err_set(e, 422, "import-refused", "file",
                    "%ld of the file's rows are refused; nothing was imported", im.refused);
            rc = -1;
        }
    }
    json_decref(columns);
    json_decref(ignored);
    json_decref(im.seen);
    json_decref(im.rows);
    arena_free(im.ar);
    return rc;
}
