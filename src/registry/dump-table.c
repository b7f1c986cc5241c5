/* dump-table: export, import and type checks of the plain tables that
 * other modules declare as dump parts (see dump.h). */
#include "dump.h"

#include "internal.h"
#include "util/timeutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX_LINES 200

void dump_add_part(struct registry *r, const struct dump_part *p)
{
    if (r->n_parts == sizeof r->parts / sizeof r->parts[0])
        fatal("dump_add_part: too many parts");
    r->parts[r->n_parts++] = p;
}

void dump_problem(struct dump_report *rep, const char *fmt, ...)
{
    rep->problems++;
    if (rep->problems > REPORT_MAX_LINES)
        return;
    char line[sizeof rep->first];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (rep->problems == 1)
        memcpy(rep->first, line, sizeof line);
    buf_puts(&rep->text, line);
    buf_putc(&rep->text, '\n');
}

static char *select_sql(const struct dump_table *t)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "SELECT ");
    for (size_t i = 0; i < t->ncols; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", t->cols[i].name);
    buf_printf(&b, " FROM %s ORDER BY %s", t->table, t->order);
    return buf_steal(&b, NULL);
}

/* The JSON of column i of the current row. */
static json_t *col_json(struct store_stmt *st, const struct dump_col *col, int i)
{
    if (store_col_null(st, i))
        return json_null();
    if (col->type == 'i')
        return json_integer((json_int_t)store_col_int64(st, i));
    const char *text = store_col_text(st, i);
    if (col->type == 'j') {
        json_t *j = json_loads(text, 0, NULL);
        if (j)
            return j;
    }
    return json_string(text);
}

int dump_table_export(struct store_conn *c, const struct dump_table *t, FILE *out,
                      struct err *e)
{
    char *sql = select_sql(t);
    struct store_stmt *st = store_prepare(c, sql, false, e);
    free(sql);
    if (!st)
        return -1;
    int rc, wrc = 0;
    while (wrc == 0 && (rc = store_step(st, e)) == STORE_ROW) {
        json_t *row = json_object();
        for (size_t i = 0; i < t->ncols; i++)
            json_object_set_new(row, t->cols[i].name, col_json(st, &t->cols[i], (int)i));
        json_t *line = json_object();
        json_object_set_new(line, t->entity, row);
        char *s = reg_dump(line);
        json_decref(line);
        wrc = fputs(s, out) < 0 || fputc('\n', out) == EOF ? -1 : 0;
        free(s);
    }
    store_finalize(st);
    if (wrc < 0)
        err_internal(e, "cannot write the export");
    return rc == STORE_ERROR || wrc < 0 ? -1 : 0;
}

static const struct dump_col *col_named(const struct dump_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

static bool value_fits(const struct dump_col *col, const json_t *v)
{
    switch (col->type) {
    case 'i':
        return json_is_integer(v);
    case 'j':
        return json_is_object(v) || json_is_array(v);
    case 't': {
        int64_t ms;
        return json_is_string(v) && time_parse_rfc3339(json_string_value(v), &ms) == 0;
    }
    default:
        return json_is_string(v);
    }
}

static const char *type_words(char type)
{
    switch (type) {
    case 'i':
        return "an integer";
    case 'j':
        return "a JSON object or array";
    case 't':
        return "an RFC 3339 timestamp";
    default:
        return "a string";
    }
}

int dump_table_import(struct store_conn *c, const struct dump_table *t, const json_t *row,
                      struct err *e)
{
    if (!json_is_object(row)) {
        err_bad_request(e, t->entity, "a %s must be a JSON object", t->entity);
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)row, key, v)
    {
        const struct dump_col *col = col_named(t, key);
        if (!col) {
            err_bad_request(e, key, "'%.60s' is not a field of a %s", key, t->entity);
            return -1;
        }
        if (!json_is_null(v) && !value_fits(col, v)) {
            err_bad_request(e, key, "%s '%s' must be %s", t->entity, key, type_words(col->type));
            return -1;
        }
    }
    /* only the columns present, so that absent ones take their defaults */
    struct buf cols, vals;
    buf_init(&cols, 0);
    buf_init(&vals, 0);
    int n = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const json_t *cv = json_object_get(row, t->cols[i].name);
        if (t->cols[i].required && (!cv || json_is_null(cv))) {
            buf_free(&cols);
            buf_free(&vals);
            err_bad_request(e, t->cols[i].name, "a %s needs '%s'", t->entity, t->cols[i].name);
            return -1;
        }
        if (!cv)
            continue;
        n++;
        buf_printf(&cols, "%s%s", n > 1 ? ", " : "", t->cols[i].name);
        buf_printf(&vals, "%s$%d", n > 1 ? ", " : "", n);
    }
    char *cs = buf_steal(&cols, NULL), *vs = buf_steal(&vals, NULL);
    size_t len = strlen(t->table) + strlen(cs) + strlen(vs) + 32;
    char *sql = xmalloc(len);
    snprintf(sql, len, "INSERT INTO %s(%s) VALUES (%s)", t->table, cs, vs);
    free(cs);
    free(vs);
    struct store_stmt *st = store_prepare(c, sql, false, e);
    free(sql);
    if (!st)
        return -1;
    n = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const json_t *cv = json_object_get(row, t->cols[i].name);
        if (!cv)
            continue;
        n++;
        if (json_is_null(cv)) {
            store_bind_null(st, n);
        } else if (t->cols[i].type == 'i') {
            store_bind_int64(st, n, (int64_t)json_integer_value(cv));
        } else if (t->cols[i].type == 'j') {
            char *text = reg_dump(cv);
            store_bind_text(st, n, text);
            free(text);
        } else {
            store_bind_text(st, n, json_string_value(cv));
        }
    }
    int rc = store_step(st, e);
    store_finalize(st);
    if (rc == STORE_ERROR)
        err_bad_request(e, t->entity, "%s refused: %s", t->entity, e->detail);
    return rc == STORE_ERROR ? -1 : 0;
}

void dump_table_check(struct store_conn *c, const struct dump_table *t, struct dump_report *rep)
{
    struct err e = ERR_INIT;
    char *sql = select_sql(t);
    struct store_stmt *st = store_prepare(c, sql, false, &e);
    free(sql);
    if (!st) {
        dump_problem(rep, "%s: cannot read: %s", t->table, e.detail);
        return;
    }
    int rc;
    while ((rc = store_step(st, &e)) == STORE_ROW) {
        char name[80];
        snprintf(name, sizeof name, "%s", store_col_null(st, 0) ? "?" : store_col_text(st, 0));
        for (size_t i = 0; i < t->ncols; i++) {
            const struct dump_col *col = &t->cols[i];
            if (store_col_null(st, (int)i)) {
                if (col->required)
                    dump_problem(rep, "%s %s: '%s' is empty", t->entity, name, col->name);
                continue;
            }
            json_t *v = col_json(st, col, (int)i);
            if (!value_fits(col, v))
                dump_problem(rep, "%s %s: '%s' is not %s", t->entity, name, col->name,
                             type_words(col->type));
            json_decref(v);
        }
    }
    if (rc == STORE_ERROR)
        dump_problem(rep, "%s: reading failed: %s", t->table, e.detail);
    store_finalize(st);
}
