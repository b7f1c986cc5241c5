/* The figures of a record whose kind tallies (model key "tally", issue 17:
 * the period report on the implementation of the architecture, REQ
 * MON-06, MON-08): on its card a table — one row per state body, its
 * scorecard, then the whole country's — and the same table to download
 * as CSV, as an XLSX workbook and as a PDF document (GET
 * /{lang}/{collection}/{id}/tally.csv, tally.xlsx and tally.pdf), for
 * those who may read the record. */
#include "web/internal.h"

#include "registry/listq.h"
#include "registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <xlsxwriter.h>

/* A table of the tally: the header (the body, then each column's label)
 * and per item the cells' texts; *hrefs the bodies' cards (NULL: none). */
struct table {
    size_t n_cols, n_rows;
    const char **head;
    const char ***cells;
    const char **hrefs;
    bool *numeric; /* per column */
    bool *decimal; /* per column: a decimal (money, per cent) */
};

/* A figure as text: a count, or a decimal's canonical text ("" for none),
 * copied into the arena. */
static const char *figure_text(struct arena *a, const json_t *v)
{
    return json_is_integer(v)  ? arena_printf(a, "%lld", (long long)json_integer_value(v))
           : json_is_string(v) ? arena_strdup(a, json_string_value(v))
                               : "";
}

static const struct model_field *into_of(const struct model_kind *k)
{
    return model_field(k, k->tally->into);
}

static void table_of(struct page *pg, const struct model_kind *k, const json_t *rec,
                     struct table *t)
{
    struct arena *a = pg->req->arena;
    const struct model_field *obj = into_of(k)->item;
    const json_t *items = json_object_get(rec, k->tally->into);
    t->n_cols = obj->n_sub;
    t->n_rows = json_array_size(items);
    t->head = arena_calloc(a, t->n_cols, sizeof *t->head);
    t->numeric = arena_calloc(a, t->n_cols, sizeof *t->numeric);
    t->decimal = arena_calloc(a, t->n_cols, sizeof *t->decimal);
    t->cells = arena_calloc(a, t->n_rows ? t->n_rows : 1, sizeof *t->cells);
    t->hrefs = arena_calloc(a, t->n_rows ? t->n_rows : 1, sizeof *t->hrefs);
    for (size_t c = 0; c < t->n_cols; c++) {
        t->head[c] = web_label(pg->lang, obj->sub[c].label);
        t->numeric[c] = obj->sub[c].type == FT_INTEGER || obj->sub[c].type == FT_DECIMAL;
        t->decimal[c] = obj->sub[c].type == FT_DECIMAL;
    }
    size_t i;
    const json_t *it;
    json_array_foreach (items, i, it) {
        t->cells[i] = arena_calloc(a, t->n_cols, sizeof **t->cells);
        for (size_t c = 0; c < t->n_cols; c++) {
            const struct model_field *f = &obj->sub[c];
            const json_t *v = json_object_get(it, f->name);
            const char *text = "";
            if (strcmp(f->name, k->tally->by) == 0) {
                text = page_tr(pg, TR("The whole country"));
                if (json_is_string(v)) {
                    json_t *org = NULL;
                    struct err e = ERR_INIT;
                    const char *id = json_string_value(v);
                    text = id;
                    if (registry_get_visible(pg->w->api->reg, &pg->actor, NULL, id, &org, &e) ==
                        0) {
                        const char *name = web_name(pg->lang, json_object_get(org, "name"));
                        text = arena_strdup(a, *name ? name : id);
                        const struct model_kind *ok =
                            model_kind(pg->w->api->model,
                                       json_string_value(json_object_get(org, "kind")));
                        if (ok)
                            t->hrefs[i] = page_url(pg, "/%s/%s", ok->collection, id);
                    }
                    json_decref(org);
                }
            } else
                text = figure_text(a, v);
            t->cells[i][c] = text;
        }
    }
}

void page_tally_section(struct page *pg, const struct model_kind *k, const char *coll,
                        const char *id, const json_t *rec)
{
    if (!k->tally || !json_is_array(json_object_get(rec, k->tally->into)))
        return;
    struct table t;
    table_of(pg, k, rec, &t);
    json_t *head = json_array(), *rows = json_array();
    for (size_t c = 0; c < t.n_cols; c++)
        json_array_append_new(head, json_pack("{s:s, s:s}", "label", t.head[c], "align",
                                              t.numeric[c] ? "text-right" : ""));
    for (size_t r = 0; r < t.n_rows; r++) {
        json_t *cells = json_array();
        for (size_t c = 0; c < t.n_cols; c++) {
            json_t *cell = json_pack("{s:s, s:s, s:b}", "text", t.cells[r][c], "align",
                                     t.numeric[c] ? "text-right" : "", "first", c == 0);
            if (c == 0 && t.hrefs[r]) {
                json_object_set_new(cell, "href", json_string(t.hrefs[r]));
                const char *owner = json_string_value(json_object_get(
                    json_array_get(json_object_get(rec, k->tally->into), r), k->tally->by));
                if (owner)
                    json_object_set_new(cell, "scorecard",
                                        json_string(page_url(pg, "/%s/scorecards/%s", coll, owner)));
            }
            json_array_append_new(cells, cell);
        }
        json_array_append_new(rows, json_pack("{s:o, s:s}", "cells", cells, "style",
                                              r + 1 == t.n_rows ? "text-bold" : ""));
    }
    const char *at = json_string_value(json_object_get(rec, k->tally->at));
    json_object_set_new(
        pg->data, "tally",
        json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:s}", "label",
                  web_label(pg->lang, into_of(k)->label), "at", page_local_time(pg, at), "head",
                  head, "rows", rows, "csv_url", page_url(pg, "/%s/%s/tally.csv", coll, id),
                  "xlsx_url", page_url(pg, "/%s/%s/tally.xlsx", coll, id), "pdf_url",
                  page_url(pg, "/%s/%s/tally.pdf", coll, id)));
}

/* The record of the request as the visitor may read it, with its kind
 * (a tallying one), or NULL after an error page. */
static json_t *tallied(struct page *pg, const struct model_kind **k)
{
    const char *coll = web_path_collection(pg) ? web_path_collection(pg)->id : NULL;
    const char *id = http_req_param(pg->req, "id");
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (!coll || !id || registry_get_visible(pg->w->api->reg, &pg->actor, coll, id, &rec, &e) < 0) {
        page_error(pg, e.status ? e.status : 404, NULL);
        return NULL;
    }
    *k = model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
    if (!*k || !(*k)->tally || !json_is_array(json_object_get(rec, (*k)->tally->into))) {
        json_decref(rec);
        page_error(pg, 404, NULL);
        return NULL;
    }
    return rec;
}

static void h_tally_csv(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model_kind *k;
    json_t *rec = tallied(&pg, &k);
    struct page_csv csv;
    if (!rec)
        return;
    if (page_csv_begin(&pg, &csv) < 0) {
        json_decref(rec);
        return;
    }
    struct table t;
    table_of(&pg, k, rec, &t);
    web_csv_row(csv.f, t.head, t.n_cols, csv.sep);
    for (size_t r = 0; r < t.n_rows; r++)
        web_csv_row(csv.f, t.cells[r], t.n_cols, csv.sep);
    const char *base = arena_printf(req->arena, "%s", json_string_value(json_object_get(rec, "id")));
    json_decref(rec);
    page_csv_send(&pg, &csv, base);
}

/* The table as a workbook: one sheet, the header bold and frozen, numbers
 * as numbers, the whole country's row bold; an open descriptor of its
 * file (page_xlsx_done), or -1. */
static int workbook_of(const struct table *t, const char *sheet_name, const char *title,
                       uint64_t *size)
{
    char path[PAGE_XLSX_PATH];
    lxw_workbook *wb = page_xlsx_new(path, false);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, sheet_name) : NULL;
    if (!ws)
        return wb ? page_xlsx_done(wb, path, false, size) : -1;
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    lxw_format *wrap = workbook_add_format(wb);
    format_set_bold(wrap);
    format_set_text_wrap(wrap);
    format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
    worksheet_write_string(ws, 0, 0, title, bold);
    for (size_t c = 0; c < t->n_cols; c++) {
        worksheet_write_string(ws, 2, (lxw_col_t)c, t->head[c], wrap);
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, c ? 16 : 48, NULL);
    }
    worksheet_freeze_panes(ws, 3, 1);
    for (size_t r = 0; r < t->n_rows; r++) {
        lxw_format *f = r + 1 == t->n_rows ? bold : NULL;
        for (size_t c = 0; c < t->n_cols; c++) {
            const char *s = t->cells[r][c];
            lxw_row_t row = (lxw_row_t)(r + 3);
            if (t->numeric[c] && *s)
                worksheet_write_number(ws, row, (lxw_col_t)c, strtod(s, NULL), f);
            else if (*s)
                worksheet_write_string(ws, row, (lxw_col_t)c, s, f);
        }
    }
    return page_xlsx_done(wb, path, true, size);
}

static void h_tally_xlsx(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model_kind *k;
    json_t *rec = tallied(&pg, &k);
    if (!rec)
        return;
    struct table t;
    table_of(&pg, k, rec, &t);
    const char *title = web_name(pg.lang, json_object_get(rec, "name"));
    const char *id = arena_printf(req->arena, "%s", json_string_value(json_object_get(rec, "id")));
    /* a sheet's name: at most 31 characters, none of []:*?/\ */
    char sheet[32];
    snprintf(sheet, sizeof sheet, "%s", k->tally->into);
    uint64_t size = 0;
    int fd = workbook_of(&t, sheet, title, &size);
    json_decref(rec);
    if (fd < 0) {
        page_error(&pg, 500, NULL);
        return;
    }
    const char *name = arena_printf(req->arena, "%s.xlsx", id);
    page_file_send(&pg, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", fd,
                   size, name, name);
}


/* ---- PDF: the table on A4 landscape pages, laid out by Pango ----------- */

#define PDF_W 841.89 /* A4 landscape, in points */
#define PDF_H 595.28
#define PDF_MARGIN 36.0
#define PDF_PAD 3.0
#define PDF_FIRST_COL 150.0

struct pdf {
    cairo_t *cr;
    PangoLayout *text;
    double y;
    int page;
    const char *footer;
};

static cairo_status_t to_file(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

/* Lays out text in a box of width w (points) with font `font`; its height. */
static double measure(struct pdf *p, const char *text, const char *font, double w,
                      PangoAlignment align)
{
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(p->text, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(p->text, (int)(w * PANGO_SCALE));
    pango_layout_set_wrap(p->text, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(p->text, align);
    pango_layout_set_text(p->text, text, -1);
    int tw, th;
    pango_layout_get_size(p->text, &tw, &th);
    return (double)th / PANGO_SCALE;
}

static void draw(struct pdf *p, const char *text, const char *font, double x, double y, double w,
                 PangoAlignment align)
{
    measure(p, text, font, w, align);
    cairo_move_to(p->cr, x, y);
    pango_cairo_show_layout(p->cr, p->text);
}

static void footer(struct pdf *p)
{
    char n[32];
    snprintf(n, sizeof n, "%d", p->page);
    draw(p, p->footer, "DejaVu Sans 7", PDF_MARGIN, PDF_H - PDF_MARGIN + 8, PDF_W - 2 * PDF_MARGIN - 40,
         PANGO_ALIGN_LEFT);
    draw(p, n, "DejaVu Sans 7", PDF_W - PDF_MARGIN - 40, PDF_H - PDF_MARGIN + 8, 40,
         PANGO_ALIGN_RIGHT);
}

/* One row of cells (the header when head), on a new page when it does not
 * fit on this one (the header repeated there first). */
static void pdf_row(struct pdf *p, const struct table *t, const char *const *cells, bool head,
                    bool bold);

/* Column c's left edge and width: the first column fixed, the others
 * sharing the rest, a decimal's (a sum of money) wider than a count's. */
static double col_x(const struct table *t, size_t c, double *w)
{
    double units = 0, before = 0;
    for (size_t i = 1; i < t->n_cols; i++) {
        double u = t->decimal[i] ? 2.4 : 1.0;
        units += u;
        before += i < c ? u : 0;
    }
    double unit = (PDF_W - 2 * PDF_MARGIN - PDF_FIRST_COL) / (units > 0 ? units : 1);
    *w = c == 0 ? PDF_FIRST_COL : unit * (t->decimal[c] ? 2.4 : 1.0);
    return PDF_MARGIN + (c == 0 ? 0 : PDF_FIRST_COL + unit * before);
}

static void pdf_row(struct pdf *p, const struct table *t, const char *const *cells, bool head,
                    bool bold)
{
    const char *font = head ? "DejaVu Sans Bold 6" : bold ? "DejaVu Sans Bold 7" : "DejaVu Sans 7";
    double h = 0, w;
    for (size_t c = 0; c < t->n_cols; c++) {
        col_x(t, c, &w);
        double ch = measure(p, cells[c], font, w - 2 * PDF_PAD,
                            t->numeric[c] && !head ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
        h = ch > h ? ch : h;
    }
    h += 2 * PDF_PAD;
    if (!head && p->y + h > PDF_H - PDF_MARGIN) {
        footer(p);
        cairo_show_page(p->cr);
        p->page++;
        p->y = PDF_MARGIN;
        pdf_row(p, t, t->head, true, true);
    }
    if (head) {
        cairo_set_source_rgb(p->cr, 0.92, 0.92, 0.92);
        cairo_rectangle(p->cr, PDF_MARGIN, p->y, PDF_W - 2 * PDF_MARGIN, h);
        cairo_fill(p->cr);
    }
    cairo_set_source_rgb(p->cr, 0, 0, 0);
    cairo_set_line_width(p->cr, 0.4);
    for (size_t c = 0; c < t->n_cols; c++) {
        double x = col_x(t, c, &w);
        draw(p, cells[c], font, x + PDF_PAD, p->y + PDF_PAD, w - 2 * PDF_PAD,
             t->numeric[c] && !head ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
        cairo_rectangle(p->cr, x, p->y, w, h);
        cairo_stroke(p->cr);
    }
    p->y += h;
}

/* The document: the record's name, the lines said of it (`lines`), then
 * the table; written to out. */
static int pdf_of(const struct table *t, const char *title, const char *const *lines,
                  size_t n_lines, const char *foot, FILE *out)
{
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(to_file, out, PDF_W, PDF_H);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, foot);
    struct pdf p = {.cr = cairo_create(s), .y = PDF_MARGIN, .page = 1, .footer = foot};
    p.text = pango_cairo_create_layout(p.cr);
    double w = PDF_W - 2 * PDF_MARGIN;
    draw(&p, title, "DejaVu Sans Bold 14", PDF_MARGIN, p.y, w, PANGO_ALIGN_LEFT);
    p.y += measure(&p, title, "DejaVu Sans Bold 14", w, PANGO_ALIGN_LEFT) + 8;
    for (size_t i = 0; i < n_lines; i++) {
        draw(&p, lines[i], "DejaVu Sans 9", PDF_MARGIN, p.y, w, PANGO_ALIGN_LEFT);
        p.y += measure(&p, lines[i], "DejaVu Sans 9", w, PANGO_ALIGN_LEFT) + 2;
    }
    p.y += 10;
    pdf_row(&p, t, t->head, true, true);
    for (size_t r = 0; r < t->n_rows; r++)
        pdf_row(&p, t, t->cells[r], false, r + 1 == t->n_rows);
    footer(&p);
    cairo_show_page(p.cr);
    g_object_unref(p.text);
    cairo_destroy(p.cr);
    cairo_surface_finish(s);
    int rc = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS ? 0 : -1;
    cairo_surface_destroy(s);
    return rc;
}

/* "Label: value" of a field of the record, or NULL when it has none. */
static const char *said(struct page *pg, const struct model_kind *k, const json_t *rec,
                        const char *name)
{
    const struct model_field *f = model_field(k, name);
    const json_t *v = json_object_get(rec, name);
    if (!f || !v || json_is_null(v))
        return NULL;
    const char *text = f->type == FT_ENUM  ? page_enum_label(pg, f->enumeration, json_string_value(v))
                       : f->type == FT_I18N ? web_name(pg->lang, v)
                       : f->type == FT_TIMESTAMP ? page_local_time(pg, json_string_value(v))
                       : json_string_value(v);
    return text && *text ? arena_printf(pg->req->arena, "%s: %s", web_label(pg->lang, f->label), text)
                         : NULL;
}

static void h_tally_pdf(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model_kind *k;
    json_t *rec = tallied(&pg, &k);
    if (!rec)
        return;
    struct table t;
    table_of(&pg, k, rec, &t);
    const char *title = web_name(pg.lang, json_object_get(rec, "name"));
    /* what the record says besides: its fields but the figures, in order */
    const char **lines = arena_calloc(req->arena, k->n_fields + 1, sizeof *lines);
    size_t n = 0;
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (f->restricted || strcmp(f->name, k->tally->into) == 0)
            continue;
        const char *l = said(&pg, k, rec, f->name);
        if (l)
            lines[n++] = l;
    }
    const char *id = arena_printf(req->arena, "%s", json_string_value(json_object_get(rec, "id")));
    FILE *out = tmpfile();
    int rc = out ? pdf_of(&t, title, lines, n,
                          page_tr(&pg, TR("Architectural portal")), out)
                 : -1;
    json_decref(rec);
    uint64_t size = 0;
    int fd = out ? http_tmpfile_done(out, rc == 0, &size) : -1;
    if (fd < 0) {
        page_error(&pg, 500, NULL);
        return;
    }
    const char *name = arena_printf(req->arena, "%s.pdf", id);
    page_file_send(&pg, "application/pdf", fd, size, name, name);
}

/* ---- a body's scorecard: its row in each report it may read ------------ */

/* The most tallying records a scorecard reads (a report a quarter: a
 * century of them). */
#define SCORECARD_MAX 400

/* GET /{lang}/{collection}/scorecards/{owner}: for each record of the
 * collection's tallying kinds the visitor may read that has a row for
 * the owner, newest period first, that row — the body's results period by
 * period (REQ MON-08). */
static void h_scorecard(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model_collection *c = web_path_collection(&pg);
    const char *owner = http_req_param(req, "owner");
    const struct model_kind *k = NULL;
    for (size_t i = 0; c && i < c->n_kinds && !k; i++) {
        const struct model_kind *x = model_kind(pg.w->api->model, c->kinds[i]);
        k = x && x->tally ? x : NULL;
    }
    json_t *org = NULL;
    struct err e = ERR_INIT;
    if (!k || !owner ||
        registry_get_visible(pg.w->api->reg, &pg.actor, NULL, owner, &org, &e) < 0) {
        page_error(&pg, 404, NULL);
        return;
    }
    const struct model_field *obj = into_of(k)->item;
    json_t *head = json_array();
    json_array_append_new(head, json_pack("{s:s, s:s}", "label",
                                          web_label(pg.lang, k->label), "align", ""));
    for (size_t i = 0; i < obj->n_sub; i++)
        if (strcmp(obj->sub[i].name, k->tally->by) != 0)
            json_array_append_new(head, json_pack("{s:s, s:s}", "label",
                                                  web_label(pg.lang, obj->sub[i].label), "align",
                                                  "text-right"));
    /* the records, newest period first (sorted by the period's start) */
    const char *sort = arena_printf(req->arena, "-%s", k->tally->from);
    json_t *rows = json_array();
    const char *cursor = NULL;
    size_t seen = 0;
    int rc = 0;
    while (rc == 0 && seen < SCORECARD_MAX) {
        struct listq_param p[4] = {{"kind", k->id}, {"limit", "100"}, {"sort", sort}, {"cursor", cursor}};
        struct list_query q;
        json_t *list = NULL;
        rc = web_list_query(&pg, c, p, cursor ? 4 : 3, &q, &e) < 0 ||
                     registry_list(pg.w->api->reg, req->arena, &q, &list, &e) < 0
                 ? -1
                 : 0;
        size_t i, j;
        json_t *rec, *it;
        json_array_foreach (json_object_get(list, "items"), i, rec) {
            seen++;
            json_array_foreach (json_object_get(rec, k->tally->into), j, it) {
                if (!json_is_string(json_object_get(it, k->tally->by)) ||
                    strcmp(json_string_value(json_object_get(it, k->tally->by)), owner) != 0)
                    continue;
                const char *id = json_string_value(json_object_get(rec, "id"));
                json_t *cells = json_array();
                json_array_append_new(
                    cells, json_pack("{s:s, s:s, s:s, s:b}", "text",
                                     web_name(pg.lang, json_object_get(rec, "name")), "href",
                                     page_url(&pg, "/%s/%s", c->id, id), "align", "", "first",
                                     true));
                for (size_t f = 0; f < obj->n_sub; f++) {
                    if (strcmp(obj->sub[f].name, k->tally->by) == 0)
                        continue;
                    const json_t *v = json_object_get(it, obj->sub[f].name);
                    json_array_append_new(cells, json_pack("{s:s, s:s, s:b}", "text",
                                                           figure_text(req->arena, v),
                                                           "align", "text-right", "first", false));
                }
                json_array_append_new(rows, json_pack("{s:o, s:s}", "cells", cells, "style", ""));
            }
        }
        const char *next = json_string_value(json_object_get(list, "next_cursor"));
        cursor = next ? arena_strdup(req->arena, next) : NULL;
        json_decref(list);
        if (!cursor)
            break;
    }
    if (rc < 0) {
        json_decref(head);
        json_decref(rows);
        json_decref(org);
        page_error(&pg, e.status ? e.status : 500, NULL);
        return;
    }
    const char *name = web_name(pg.lang, json_object_get(org, "name"));
    const struct model_kind *ok =
        model_kind(pg.w->api->model, json_string_value(json_object_get(org, "kind")));
    json_object_set_new(pg.data, "org", json_pack("{s:s, s:s}", "name", name, "href",
                                                  ok ? page_url(&pg, "/%s/%s", ok->collection, owner)
                                                     : ""));
    json_object_set_new(pg.data, "collection", json_pack("{s:s, s:s}", "label",
                                                         web_label(pg.lang, c->label), "href",
                                                         page_url(&pg, "/%s", c->id)));
    json_object_set_new(pg.data, "head", head);
    json_object_set_new(pg.data, "rows", rows);
    json_object_set_new(pg.data, "has_rows", json_boolean(json_array_size(rows) > 0));
    const char *title = arena_printf(req->arena, "%s: %s", page_tr(&pg, TR("Scorecard")), name);
    json_decref(org);
    page_render(&pg, 200, "scorecard", title);
}

void web_tally_routes_for(struct web *w, struct router *rt, const struct model_collection *c)
{
    bool tallies = false;
    for (size_t i = 0; i < c->n_kinds; i++) {
        const struct model_kind *k = model_kind(w->api->model, c->kinds[i]);
        tallies |= k && k->tally;
    }
    if (!tallies)
        return;
    char path[160];
    snprintf(path, sizeof path, "/%s/{id}/tally.csv", c->id);
    web_route(rt, "GET", path, h_tally_csv, w);
    snprintf(path, sizeof path, "/%s/{id}/tally.xlsx", c->id);
    web_route(rt, "GET", path, h_tally_xlsx, w);
    snprintf(path, sizeof path, "/%s/{id}/tally.pdf", c->id);
    web_route(rt, "GET", path, h_tally_pdf, w);
    snprintf(path, sizeof path, "/%s/scorecards/{owner}", c->id);
    web_route(rt, "GET", path, h_scorecard, w);
}
