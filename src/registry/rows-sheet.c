/* rows-sheet: the workbooks around the rows import (see rows.h): the
 * template a kind's records are edited in, and the result file that
 * marks each row of an imported file. Written by libxlsxwriter. */
#include "internal.h"

#include "docs/sheet.h"
#include "registry/rows.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

static const char RECORDS_SQL[] =
    "SELECT d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.collection = $1 AND r.retired = 0 AND r.kind = $2 ORDER BY r.rid";

/* A scalar value as a cell's text (enum values by their label). */
static void scalar_text(struct buf *b, const struct model_field *f, const json_t *v,
                        const char *lang, const struct rows_words *w)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (f && f->type == FT_ENUM && f->enumeration)
            for (size_t i = 0; i < f->enumeration->n_values; i++)
                if (strcmp(f->enumeration->values[i].id, s) == 0) {
                    s = model_label_in(f->enumeration->values[i].label, lang);
                    break;
                }
        buf_printf(b, "%s", s);
    } else if (json_is_integer(v)) {
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        buf_printf(b, "%.17g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        buf_printf(b, "%s", json_is_true(v) ? w->yes : w->no);
    }
}

/* Column c of record rec into the worksheet's cell. */
static void put_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
                     const struct model_import_column *c, const json_t *rec, const char *lang,
                     const struct rows_words *w)
{
    const json_t *v = json_object_get(rec, c->field);
    if (c->lang)
        v = json_object_get(v, c->lang);
    if (!v || json_is_null(v))
        return;
    const struct model_field *f = c->f;
    enum field_type t = f ? f->type : FT_STRING;
    if ((t == FT_INTEGER || t == FT_DECIMAL) && !c->lang) {
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        char *end = NULL;
        double d = s ? strtod(s, &end) : json_number_value(v);
        if (!s || (end && end != s && !*end)) {
            worksheet_write_number(ws, row, col, d, NULL);
            return;
        }
    }
    struct buf b;
    buf_init(&b, SHEET_MAX_CELL);
    if (json_is_array(v)) {
        size_t i;
        const json_t *it;
        json_array_foreach (v, i, it) {
            if (b.len)
                buf_printf(&b, "; ");
            scalar_text(&b, f && f->item ? f->item : NULL, it, lang, w);
        }
    } else {
        scalar_text(&b, f, v, lang, w);
    }
    if (b.len)
        worksheet_write_string(ws, row, col, b.p, NULL);
    buf_free(&b);
}

int registry_rows_template(struct registry *r, const struct actor *a, const struct model_kind *k,
                           const char *lang, const struct rows_words *w, const char *path,
                           struct err *e)
{
    const struct model_import *im = k->import;
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, NULL) : NULL;
    lxw_worksheet *help = wb ? workbook_add_worksheet(wb, w->columns_sheet) : NULL;
    if (!ws || !help) {
        if (wb)
            workbook_close(wb);
        err_internal(e, "cannot make the workbook");
        return -1;
    }
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    for (size_t c = 0; c < im->n_cols; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, model_label_in(im->cols[c].display, lang), bold);
    worksheet_freeze_panes(ws, 1, 0);
    struct store_stmt *st = store_prepare(store_conn(r->store), RECORDS_SQL, true, e);
    int rc = st ? STORE_DONE : STORE_ERROR;
    lxw_row_t row = 1;
    if (st) {
        store_bind_text(st, 1, k->collection);
        store_bind_text(st, 2, k->id);
        while ((rc = store_step(st, e)) == STORE_ROW && row < SHEET_MAX_ROWS) {
            json_t *rec = json_loadb(store_col_text(st, 0), store_col_bytes(st, 0), 0, NULL);
            if (rec && registry_may_read(r, a, rec)) {
                registry_redact(r, a, rec);
                for (size_t c = 0; c < im->n_cols; c++)
                    put_cell(ws, row, (lxw_col_t)c, &im->cols[c], rec, lang, w);
                row++;
            }
            json_decref(rec);
        }
        store_reset(st);
    }
    /* the second sheet: each column and the values it takes */
    worksheet_write_string(help, 0, 0, w->column, bold);
    worksheet_write_string(help, 0, 1, w->values, bold);
    for (size_t c = 0; c < im->n_cols; c++) {
        const struct model_import_column *col = &im->cols[c];
        worksheet_write_string(help, (lxw_row_t)c + 1, 0, model_label_in(col->display, lang), NULL);
        const struct model_field *f = col->f && col->f->type == FT_LIST ? col->f->item : col->f;
        struct buf b;
        buf_init(&b, SHEET_MAX_CELL);
        if (col == im->key && im->derived)
            buf_printf(&b, "%s", w->id_hint);
        else if (f && f->type == FT_ENUM && f->enumeration)
            for (size_t i = 0; i < f->enumeration->n_values; i++)
                buf_printf(&b, "%s%s", i ? "; " : "",
                           model_label_in(f->enumeration->values[i].label, lang));
        else if (f && f->type == FT_DATE)
            buf_printf(&b, "YYYY-MM-DD");
        else if (f && f->type == FT_BOOL)
            buf_printf(&b, "%s; %s", w->yes, w->no);
        else if ((f && f->type == FT_REF) || (!f && strcmp(col->field, "owner") == 0))
            buf_printf(&b, "%s", w->ref_hint);
        if (b.len)
            worksheet_write_string(help, (lxw_row_t)c + 1, 1, b.p, NULL);
        buf_free(&b);
    }
    worksheet_set_column(help, 0, 0, 40, NULL);
    worksheet_set_column(help, 1, 1, 80, NULL);
    if (workbook_close(wb) != LXW_NO_ERROR && rc != STORE_ERROR) {
        err_internal(e, "cannot write the workbook");
        return -1;
    }
    return rc == STORE_ERROR ? -1 : 0;
}

int registry_rows_result(const char *data, size_t n, const json_t *report,
                         const struct rows_words *w, const char *path, struct err *e)
{
    struct arena *ar = arena_new();
    struct sheet s;
    if (sheet_read(ar, data, n, &s, e) < 0) {
        arena_free(ar);
        return -1;
    }
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, NULL) : NULL;
    if (!ws) {
        if (wb)
            workbook_close(wb);
        arena_free(ar);
        err_internal(e, "cannot make the workbook");
        return -1;
    }
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    /* the report's rows by their lines */
    json_t *by_line = json_object();
    size_t i;
    json_t *row;
    json_array_foreach (json_object_get(report, "rows"), i, row) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(row, "line")));
        json_object_set(by_line, key, row);
    }
    size_t width = s.n_rows ? s.row[0].n : 0;
    for (size_t r = 0; r < s.n_rows; r++) {
        const struct sheet_row *sr = &s.row[r];
        for (size_t c = 0; c < sr->n; c++)
            if (*sr->cell[c])
                worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, sr->cell[c],
                                       r == 0 ? bold : NULL);
        if (r == 0) {
            worksheet_write_string(ws, 0, (lxw_col_t)width, w->result, bold);
            worksheet_write_string(ws, 0, (lxw_col_t)width + 1, w->reason, bold);
            continue;
        }
        char key[32];
        snprintf(key, sizeof key, "%ld", sr->line);
        const json_t *rep = json_object_get(by_line, key);
        const char *result = json_string_value(json_object_get(rep, "result"));
        const char *said = !result                           ? ""
                           : strcmp(result, "created") == 0   ? w->created
                           : strcmp(result, "changed") == 0   ? w->changed
                           : strcmp(result, "unchanged") == 0 ? w->unchanged
                                                              : w->refused;
        worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)width, said, NULL);
        struct buf b;
        buf_init(&b, SHEET_MAX_CELL);
        size_t j;
        const json_t *er;
        json_array_foreach (json_object_get(rep, "errors"), j, er)
            buf_printf(&b, "%s%s", b.len ? "; " : "",
                       json_string_value(json_object_get(er, "detail")));
        if (!b.len && json_object_get(rep, "fields"))
            json_array_foreach (json_object_get(rep, "fields"), j, er)
                buf_printf(&b, "%s%s", b.len ? ", " : "", json_string_value(er));
        if (!b.len && json_is_string(json_object_get(rep, "id")) && strcmp(result, "created") == 0)
            buf_printf(&b, "%s", json_string_value(json_object_get(rep, "id")));
        if (b.len)
            worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)width + 1, b.p, NULL);
        buf_free(&b);
    }
    worksheet_freeze_panes(ws, 1, 0);
    json_decref(by_line);
    arena_free(ar);
    if (workbook_close(wb) != LXW_NO_ERROR) {
        err_internal(e, "cannot write the workbook");
        return -1;
    }
    return 0;
}
