/* page-import: loading a collection's records from a spreadsheet without
 * JavaScript (the rows import, registry/rows.h; issue 16 item 2): the
 * upload form on the list page of a collection whose kind declares an
 * import, for those who may create and update its records; POST
 * /{lang}/{collection}/import (multipart/form-data, streamed: _csrf first,
 * then dry_run, report and the file) answers the import's report as a page,
 * or as CSV to download. */
#include "web/internal.h"

#include "registry/rows.h"

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#include "util/buf.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The collection's kind `id` (NULL: its first) that the visitor may
 * import into, or NULL. */
static const struct model_kind *import_kind(struct page *pg, const struct model_collection *c,
                                            const char *id)
{
    const struct model *m = registry_model(pg->w->api->reg);
    for (size_t i = 0; c && pg->signed_in && i < c->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, c->kinds[i]);
        struct err e = ERR_INIT;
        if (k && (!id || strcmp(k->id, id) == 0) && k->import &&
            registry_rows_kind(pg->w->api->reg, &pg->actor, k->id, &e))
            return k;
    }
    return NULL;
}

void web_import_form(struct page *pg)
{
    if (!pg->coll)
        return;
    /* the kinds the visitor may load, each with its template to fill in */
    json_t *kinds = json_array();
    for (size_t i = 0; i < pg->coll->n_kinds; i++) {
        const struct model_kind *k = import_kind(pg, pg->coll, pg->coll->kinds[i]);
        if (k)
            json_array_append_new(
                kinds,
                json_pack("{s:s, s:s, s:s}", "id", k->id, "label", web_label(pg->lang, k->label),
                          "template_url",
                          page_url(pg, "/%s/import-template?kind=%s", pg->coll->id, k->id)));
    }
    if (json_array_size(kinds))
        json_object_set_new(pg->data, "import_url",
                            json_string(page_url(pg, "/%s/import", pg->coll->id)));
    json_object_set_new(pg->data, "import_several", json_boolean(json_array_size(kinds) > 1));
    json_object_set_new(pg->data, "import_kinds", kinds);
}

/* ---- the report ------------------------------------------------------------------------ */

static const char *result_label(struct page *pg, const char *result, bool dry_run)
{
    if (strcmp(result, "created") == 0)
        return page_tr(pg, dry_run ? TR("would be created") : TR("created"));
    if (strcmp(result, "changed") == 0)
        return page_tr(pg, dry_run ? TR("would be changed") : TR("changed"));
    if (strcmp(result, "unchanged") == 0)
        return page_tr(pg, TR("unchanged"));
    return page_tr(pg, TR("refused"));
}

/* What a row's result says besides: the fields it changes, or why it is
 * refused (in the page's language). */
static const char *row_details(struct page *pg, const struct model_kind *k, const json_t *row)
{
    struct buf b;
    buf_init(&b, 0);
    size_t i;
    json_t *x;
    json_array_foreach (json_object_get(row, "fields"), i, x) {
        const struct model_field *f = model_field(k, json_string_value(x));
        buf_printf(&b, "%s%s", i ? ", " : "",
                   f ? web_label(pg->lang, f->label) : json_string_value(x));
    }
    json_array_foreach (json_object_get(row, "errors"), i, x)
        buf_printf(&b, "%s%s", i ? "; " : "", json_string_value(json_object_get(x, "detail")));
    const char *s = arena_strndup(pg->req->arena, b.p ? b.p : "", b.len);
    buf_free(&b);
    return s;
}

static void report_csv(struct page *pg, const struct model_kind *k, const json_t *report)
{
    struct page_csv csv;
    if (page_csv_begin(pg, &csv) < 0)
        return;
    bool dry = json_is_true(json_object_get(report, "dry_run"));
    const char *head[] = {page_tr(pg, TR("Line")), page_tr(pg, TR("Key")),
                          page_tr(pg, TR("Result")), page_tr(pg, TR("Details")), "id"};
    web_csv_row(csv.f, head, 5, csv.sep);
    size_t i;
    json_t *row;
    json_array_foreach (json_object_get(report, "rows"), i, row) {
        char line[24];
        snprintf(line, sizeof line, "%lld",
                 (long long)json_integer_value(json_object_get(row, "line")));
        const char *id = json_string_value(json_object_get(row, "id"));
        const char *cells[] = {
            line, json_string_value(json_object_get(row, "key")),
            result_label(pg, json_string_value(json_object_get(row, "result")), dry),
            row_details(pg, k, row), id ? id : ""};
        web_csv_row(csv.f, cells, 5, csv.sep);
    }
    page_csv_send(pg, &csv, "import-report");
}

static void report_page(struct page *pg, const struct model_kind *k, json_t *report, int status)
{
    bool dry = json_is_true(json_object_get(report, "dry_run"));
    json_t *rows = json_array(), *row;
    size_t i;
    json_array_foreach (json_object_get(report, "rows"), i, row) {
        const char *id = json_string_value(json_object_get(row, "id"));
        const char *result = json_string_value(json_object_get(row, "result"));
        json_t *r = json_pack("{s:O, s:O, s:s, s:s}", "line", json_object_get(row, "line"), "key",
                              json_object_get(row, "key"), "result", result_label(pg, result, dry),
                              "details", row_details(pg, k, row));
        if (id && !dry)
            json_object_set_new(r, "href", json_string(page_url(pg, "/%s/%s", pg->coll->id, id)));
        json_array_append_new(rows, r);
    }
    struct buf ign;
    buf_init(&ign, 0);
    json_array_foreach (json_object_get(report, "ignored"), i, row)
        buf_printf(&ign, "%s%s", i ? ", " : "", json_string_value(row));
    if (ign.len)
        json_object_set_new(pg->data, "ignored_list", json_stringn(ign.p, ign.len));
    buf_free(&ign);
    json_t *counts = json_object_get(report, "counts");
    json_object_update(pg->data, counts);
    json_object_set_new(pg->data, "dry_run", json_boolean(dry));
    json_object_set_new(pg->data, "written", json_incref(json_object_get(report, "written")));
    json_object_set_new(pg->data, "report_rows", rows);
    json_object_set_new(pg->data, "list_url", json_string(page_url(pg, "/%s", pg->coll->id)));
    const char *title = page_tr(pg, TR("Report of the file's load"));
    json_object_set_new(pg->data, "heading", json_string(title));
    json_object_set_new(pg->data, "collection_label",
                        json_string(web_label(pg->lang, pg->coll->label)));
    page_render(pg, status, "import", title);
}

/* Sends the workbook a writer made at path (unlinked either way). */
static void send_workbook(struct page *pg, const char *path, bool made, const char *name)
{
    uint64_t size;
    int fd = http_tmpname_take(path, made, &size);
    if (fd < 0)
        page_error(pg, 500, NULL);
    else
        page_file_send(pg, XLSX_TYPE, fd, size, name, name);
}

/* The imported file back, each row with its result and reasons. */
static void report_xlsx(struct page *pg, const char *data, size_t n, const json_t *report)
{
    char path[HTTP_TMPNAME_MAX];
    struct rows_words w;
    i18n_rows_words(pg->lang, &w);
    struct err e = ERR_INIT;
    bool made = http_tmpname(path) && registry_rows_result(data, n, report, &w, path, &e) == 0;
    send_workbook(pg, path, made, "import-result.xlsx");
}

/* GET /{lang}/{collection}/import-template?kind=K: the workbook to fill in. */
static void h_template(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.coll = web_path_collection(&pg);
    const char *kind = http_req_query(req, "kind");
    const struct model_kind *k = import_kind(&pg, pg.coll, kind);
    if (!k) {
        page_error(&pg, pg.signed_in ? 403 : 401, NULL);
        return;
    }
    char path[HTTP_TMPNAME_MAX];
    struct rows_words w;
    i18n_rows_words(pg.lang, &w);
    struct err e = ERR_INIT;
    bool made = http_tmpname(path) &&
                registry_rows_template(pg.w->api->reg, &pg.actor, k, i18n_code(pg.lang), &w, path,
                                       &e) == 0;
    send_workbook(&pg, path, made,
                  arena_printf(req->arena, "%s-%s-%s.xlsx", pg.coll->id, k->id,
                               i18n_code(pg.lang)));
}

/* ---- the upload ------------------------------------------------------------------------ */

struct web_import {
    struct page pg;
    const struct model_kind *k;
    char csrf[80];
    size_t csrf_len;
    char kind[65]; /* the kind chosen on the form ("" the first) */
    bool csrf_ok, dry_run, as_csv, as_xlsx;
    struct buf data;
};

static int wi_begin(struct http_req *req, struct http_resp *resp, void *ctx, void **state)
{
    struct web_import *wi = arena_calloc(req->arena, 1, sizeof *wi);
    page_begin(ctx, req, resp, &wi->pg);
    wi->pg.coll = web_path_collection(&wi->pg);
    if (!web_same_origin(req)) {
        page_error(&wi->pg, 403,
                   page_tr(&wi->pg, TR("The form was not sent from the portal's own page.")));
        return -1;
    }
    if (!wi->pg.signed_in || !(wi->k = import_kind(&wi->pg, wi->pg.coll, NULL))) {
        page_error(&wi->pg, wi->pg.coll ? 403 : 404, NULL);
        return -1;
    }
    buf_init(&wi->data, ROWS_MAX_FILE);
    *state = wi;
    return 0;
}

static int wi_csrf(struct web_import *wi, struct err *e)
{
    size_t n = strlen(wi->pg.csrf);
    if (!wi->csrf_ok &&
        (n == 0 || wi->csrf_len != n || sodium_memcmp(wi->csrf, wi->pg.csrf, n) != 0)) {
        err_set(e, 403, "csrf-failed", "_csrf",
                "the form must send the session's token in its first field, _csrf");
        return -1;
    }
    wi->csrf_ok = true;
    return 0;
}

static int wi_part(void *state, const char *name, const char *filename, const char *content_type,
                   const char *data, uint64_t off, size_t n, struct err *e)
{
    struct web_import *wi = state;
    (void)filename;
    (void)content_type;
    if (strcmp(name, "_csrf") == 0) {
        if (wi->csrf_ok || off + n >= sizeof wi->csrf) {
            err_set(e, 403, "csrf-failed", "_csrf", "the form's token is malformed");
            return -1;
        }
        memcpy(wi->csrf + off, data, n);
        wi->csrf_len = (size_t)off + n;
        return 0;
    }
    if (wi_csrf(wi, e) < 0)
        return -1;
    if (strcmp(name, "dry_run") == 0)
        wi->dry_run = true;
    else if (strcmp(name, "report") == 0) {
        wi->as_csv = n == 3 && memcmp(data, "csv", 3) == 0;
        wi->as_xlsx = n == 4 && memcmp(data, "xlsx", 4) == 0;
    } else if (strcmp(name, "kind") == 0) {
        if (off + n >= sizeof wi->kind) {
            err_set(e, 400, "bad-request", "kind", "no such kind");
            return -1;
        }
        memcpy(wi->kind + off, data, n);
    }
    else if (strcmp(name, "file") == 0 && buf_append(&wi->data, data, n) < 0) {
        err_set(e, 413, "body-too-large", "file", "the file exceeds %u bytes", ROWS_MAX_FILE);
        return -1;
    }
    return 0;
}

static void wi_finish(void *state, struct http_req *req, struct http_resp *resp)
{
    struct web_import *wi = state;
    wi->pg.req = req;
    wi->pg.resp = resp;
    struct err e = ERR_INIT;
    if (wi_csrf(wi, &e) < 0) {
        page_error(&wi->pg, 403,
                   page_tr(&wi->pg, TR("The form has expired. Open the page again and repeat.")));
        return;
    }
    if (wi->kind[0] && !(wi->k = import_kind(&wi->pg, wi->pg.coll, wi->kind))) {
        page_error(&wi->pg, 403, NULL);
        return;
    }
    json_t *report = NULL;
    int rc =
        registry_rows_import(wi->pg.w->api->reg, &wi->pg.actor, wi->k->id,
                             wi->data.p ? wi->data.p : "", wi->data.len, wi->dry_run, &report, &e);
    if (!report) {
        page_error(&wi->pg, e.status, page_err_text(&wi->pg, &e));
        return;
    }
    i18n_rows_errors(wi->pg.lang, json_object_get(report, "rows"));
    if (wi->as_xlsx)
        report_xlsx(&wi->pg, wi->data.p ? wi->data.p : "", wi->data.len, report);
    else if (wi->as_csv)
        report_csv(&wi->pg, wi->k, report);
    else
        report_page(&wi->pg, wi->k, report, rc < 0 ? 422 : 200);
    json_decref(report);
}

static void wi_cleanup(void *state, bool done)
{
    (void)done;
    struct web_import *wi = state;
    buf_free(&wi->data);
    json_decref(wi->pg.data); /* when no answer released it */
    wi->pg.data = NULL;
}

static struct http_stream_ops import_ops;

void web_import_routes_for(struct web *w, struct router *rt, const struct model_collection *c)
{
    const struct model *m = registry_model(w->api->reg);
    bool any = false;
    for (size_t i = 0; i < c->n_kinds; i++)
        any = any || model_kind(m, c->kinds[i])->import;
    if (!any)
        return;
    import_ops = (struct http_stream_ops){
        .max_body = ROWS_MAX_FILE + 65536,
        .begin = wi_begin,
        .part = wi_part,
        .finish = wi_finish,
        .cleanup = wi_cleanup,
    };
    for (int l = 0; l < LANG_N; l++) {
        char pattern[160];
        snprintf(pattern, sizeof pattern, "/%s/%s/import", i18n_code((enum lang)l), c->id);
        router_add_stream(rt, "POST", pattern, &import_ops, w);
        snprintf(pattern, sizeof pattern, "/%s/%s/import-template", i18n_code((enum lang)l), c->id);
        router_add(rt, "GET", pattern, h_template, w);
    }
}
