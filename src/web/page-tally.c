/* The figures of a record whose kind tallies (model key "tally", issue 17:
 * the period report on the implementation of the architecture, REQ
 * MON-06, MON-08): on its card a table — one row per state body, its
 * scorecard, then the whole country's — and the same table to download
 * as CSV and as an XLSX workbook (GET /{lang}/{collection}/{id}/tally.csv
 * and tally.xlsx), for those who may read the record. */
#include "web/internal.h"

#include "registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* A table of the tally: the header (the body, then each column's label)
 * and per item the cells' texts; *hrefs the bodies' cards (NULL: none). */
struct table {
    size_t n_cols, n_rows;
    const char **head;
    const char ***cells;
    const char **hrefs;
    bool *numeric; /* per column */
};

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
    t->cells = arena_calloc(a, t->n_rows ? t->n_rows : 1, sizeof *t->cells);
    t->hrefs = arena_calloc(a, t->n_rows ? t->n_rows : 1, sizeof *t->hrefs);
    for (size_t c = 0; c < t->n_cols; c++) {
        t->head[c] = web_label(pg->lang, obj->sub[c].label);
        t->numeric[c] = obj->sub[c].type == FT_INTEGER || obj->sub[c].type == FT_DECIMAL;
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
            } else if (json_is_integer(v))
                text = arena_printf(a, "%lld", (long long)json_integer_value(v));
            else if (json_is_string(v))
                text = json_string_value(v);
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
            if (c == 0 && t.hrefs[r])
                json_object_set_new(cell, "href", json_string(t.hrefs[r]));
            json_array_append_new(cells, cell);
        }
        json_array_append_new(rows, json_pack("{s:o, s:s}", "cells", cells, "style",
                                              r + 1 == t.n_rows ? "text-bold" : ""));
    }
    const char *at = json_string_value(json_object_get(rec, k->tally->at));
    json_object_set_new(
        pg->data, "tally",
        json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "label",
                  web_label(pg->lang, into_of(k)->label), "at", page_local_time(pg, at), "head",
                  head, "rows", rows, "csv_url", page_url(pg, "/%s/%s/tally.csv", coll, id),
                  "xlsx_url", page_url(pg, "/%s/%s/tally.xlsx", coll, id)));
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
 * as numbers, the whole country's row bold; written to a temporary file
 * (the library writes files) and answered from memory. */
static int workbook_of(const struct table *t, const char *sheet_name, const char *title,
                       char **out, size_t *len)
{
    char path[] = "/tmp/archportal-xlsx-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = NULL};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, sheet_name) : NULL;
    if (!ws) {
        if (wb)
            workbook_close(wb);
        unlink(path);
        return -1;
    }
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
    int rc = workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
    FILE *fp = rc == 0 ? fopen(path, "rb") : NULL;
    *out = NULL;
    *len = 0;
    if (fp) {
        fseek(fp, 0, SEEK_END);
        long size = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        *out = size > 0 ? xmalloc((size_t)size) : NULL;
        if (*out && fread(*out, 1, (size_t)size, fp) == (size_t)size)
            *len = (size_t)size;
        else {
            free(*out);
            *out = NULL;
            rc = -1;
        }
        fclose(fp);
    }
    unlink(path);
    return *out ? 0 : -1;
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
    char *bytes;
    size_t len;
    int rc = workbook_of(&t, sheet, title, &bytes, &len);
    json_decref(rec);
    if (rc < 0) {
        page_error(&pg, 500, NULL);
        return;
    }
    web_security_headers(pg.w, resp);
    const char *name = arena_printf(req->arena, "%s.xlsx", id);
    http_resp_header(resp, "Content-Disposition", http_content_disposition(req->arena, name, name));
    http_resp_header(resp, "Cache-Control", "no-cache, private");
    http_resp_bytes(resp, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    bytes, len);
    free(bytes);
    json_decref(pg.data);
    pg.data = NULL;
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
}
