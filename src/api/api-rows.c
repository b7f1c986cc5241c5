/* api-rows: the imports of files, each sent as the field "file" of a
 * multipart/form-data body or as the raw body with its content type, each
 * answering its report with its problems said in the reader's language:
 * - POST /api/v1/{collection}/import[?kind=K][&dry_run=true][&result=xlsx]:
 *   a CSV or XLSX file's rows into records of a kind (registry/rows.h); the
 *   caller needs create and update on the kind (checked before the body is
 *   read); result=xlsx answers the file back with each row's result and
 *   reasons instead of the report (X-Import-Written says whether it was);
 * - GET /api/v1/{collection}/import/template[?kind=K][&lang=]: the XLSX
 *   workbook to fill in (the kind's records as they would import again);
 * - POST /api/v1/archimate[?dry_run=true][&lang=kk|ru|en]: an architecture
 *   from an ArchiMate exchange file or Archi's CSV files in a ZIP archive
 *   (registry/archimate.h), for the integrator's architects. */
#include "api/internal.h"

#include "docs/amx.h"
#include "registry/archimate.h"
#include "registry/rows.h"
#include "util/buf.h"
#include "web/i18n.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

struct rows_up {
    struct api *api;
    struct actor a;
    const char *kind; /* NULL: an architecture */
    bool dry_run, result_xlsx;
    char lang[3];
    char path[HTTP_TMPNAME_MAX]; /* the result workbook's temporary file */
    struct buf data;
};

/* Answers the workbook a writer made at path (failed: e set instead) as a
 * download named name; the file is unlinked either way. */
static void send_workbook(struct http_req *req, struct http_resp *resp, const char *name,
                          const struct err *failed, const char *path)
{
    uint64_t size;
    int fd = http_tmpname_take(path, !failed, &size);
    if (fd < 0) {
        struct err e = ERR_INIT;
        if (failed)
            e = *failed;
        else
            err_internal(&e, "cannot read the workbook");
        http_resp_problem(resp, &e);
        return;
    }
    http_resp_header(resp, "Content-Disposition", http_content_disposition(req->arena, name, name));
    http_resp_file(resp, 200, XLSX_TYPE, fd, 0, size);
}

/* A temporary file's name for a workbook: 0, or -1 with e set. */
static int workbook_path(char path[HTTP_TMPNAME_MAX], struct err *e)
{
    if (http_tmpname(path))
        return 0;
    err_internal(e, "cannot make a temporary file");
    return -1;
}

/* An upload's state: whose it is and whether it is a dry run. */
static struct rows_up *upload_new(struct api *api, const struct actor *a, const char *dry)
{
    struct rows_up *u = xcalloc(1, sizeof *u);
    u->api = api;
    u->a = *a;
    u->dry_run = dry && strcmp(dry, "true") == 0;
    return u;
}

/* The collection's kind that declares an import: ?kind= or its only one. */
static const char *import_kind_of(const struct api *api, const struct model_collection *coll,
                                  const char *asked, struct err *e)
{
    const char *only = NULL;
    size_t n = 0;
    for (size_t i = 0; i < coll->n_kinds; i++) {
        const struct model_kind *k = model_kind(api->model, coll->kinds[i]);
        if (asked && strcmp(coll->kinds[i], asked) == 0)
            return k->id;
        if (k && k->import)
            only = k->id, n++;
    }
    if (asked)
        err_set(e, 404, "not-found", "kind", "no kind '%s' in collection '%s'", asked, coll->id);
    else if (n != 1)
        err_set(e, 400, "no-import", "kind",
                "collection '%s' has no kind to import into (name one with kind=)", coll->id);
    return asked || n != 1 ? NULL : only;
}

/* The raw body's content type names a CSV or XLSX file (or says nothing
 * of it: the content decides). */
static bool raw_type_ok(const char *ct, bool architecture)
{
    static const char *const arch[] = {"application/xml", "text/xml", "application/zip",
                                       "application/x-zip-compressed", NULL};
    for (size_t i = 0; architecture && ct && arch[i]; i++)
        if (strlen(arch[i]) == strcspn(ct, "; ") && strncasecmp(ct, arch[i], strlen(arch[i])) == 0)
            return true;
    static const char *const ok[] = {
        "text/csv",
        "text/plain",
        "text/tab-separated-values",
        "application/csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        NULL};
    if (!ct)
        return true;
    size_t n = strcspn(ct, "; ");
    for (size_t i = 0; ok[i]; i++)
        if (strlen(ok[i]) == n && strncasecmp(ct, ok[i], n) == 0)
            return true;
    return false;
}

static int rows_begin(struct http_req *req, struct http_resp *resp, void *ctx, void **state)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"kind", "dry_run", "result", NULL};
    const struct model_collection *coll = collection_of(api, req, resp);
    struct actor a;
    if (!coll || only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, true, &a) < 0)
        return -1;
    struct err e = ERR_INIT;
    const char *dry = http_req_query(req, "dry_run");
    const char *kind = import_kind_of(api, coll, http_req_query(req, "kind"), &e);
    const char *result = http_req_query(req, "result");
    if (dry && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0)
        err_bad_request(&e, "dry_run", "dry_run must be true or false");
    else if (result && strcmp(result, "xlsx") != 0 && strcmp(result, "json") != 0)
        err_bad_request(&e, "result", "result must be json or xlsx");
    else if (kind)
        registry_rows_kind(api->reg, &a, kind, &e);
    if (e.status) {
        http_resp_problem(resp, &e);
        return -1;
    }
    struct rows_up *u = upload_new(api, &a, dry);
    u->kind = kind;
    u->result_xlsx = result && strcmp(result, "xlsx") == 0;
    if (u->result_xlsx && workbook_path(u->path, &e) < 0) {
        free(u);
        http_resp_problem(resp, &e);
        return -1;
    }
    buf_init(&u->data, ROWS_MAX_FILE);
    *state = u;
    return 0;
}

static int rows_part(void *state, const char *name, const char *filename, const char *content_type,
                     const char *data, uint64_t off, size_t n, struct err *e)
{
    struct rows_up *u = state;
    (void)filename;
    if (strcmp(name, "file") != 0)
        return 0;
    if (off == 0 && !filename && !raw_type_ok(content_type, !u->kind)) {
        if (u->kind)
            err_set(e, 415, "unsupported-media-type", "file",
                    "the body must be a CSV or XLSX file, or multipart/form-data with one as "
                    "'file'");
        else
            err_set(e, 415, "unsupported-media-type", "file",
                    "the body must be an ArchiMate exchange file (XML) or a ZIP archive of "
                    "Archi's CSV files, or multipart/form-data with one as 'file'");
        return -1;
    }
    if (buf_append(&u->data, data, n) < 0) {
        err_set(e, 413, "body-too-large", "file", "the file exceeds %u bytes",
                u->kind ? ROWS_MAX_FILE : AMX_MAX_UPLOAD);
        return -1;
    }
    return 0;
}

static void rows_finish(void *state, struct http_req *req, struct http_resp *resp)
{
    struct rows_up *u = state;
    struct err e = ERR_INIT;
    json_t *report = NULL;
    int rc = registry_rows_import(u->api->reg, &u->a, u->kind, u->data.p ? u->data.p : "",
                                  u->data.len, u->dry_run, &report, &e);
    enum lang l = i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_EN);
    if (report)
        i18n_rows_errors(l, json_object_get(report, "rows"));
    if (report && u->result_xlsx) {
        struct rows_words w;
        i18n_rows_words(l, &w);
        http_resp_header(resp, "X-Import-Written",
                         json_is_true(json_object_get(report, "written")) ? "true" : "false");
        send_workbook(req, resp, "import-result.xlsx", registry_rows_result(
            u->data.p ? u->data.p : "", u->data.len, report, &w, u->path, &e) < 0 ? &e : NULL,
            u->path);
    } else if (rc < 0) {
        http_resp_problem_ext(resp, &e, report ? "report" : NULL, report);
    } else {
        http_resp_json(resp, 200, report);
    }
}

/* POST /api/v1/archimate: who may import is checked before the body is
 * read (the import checks it again). */
static int arch_begin(struct http_req *req, struct http_resp *resp, void *ctx, void **state)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"dry_run", "lang", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, true, &a) < 0)
        return -1;
    struct err e = ERR_INIT;
    const char *dry = http_req_query(req, "dry_run"), *lang = http_req_query(req, "lang");
    if (dry && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0)
        err_bad_request(&e, "dry_run", "dry_run must be true or false");
    else if (lang && strcmp(lang, "kk") != 0 && strcmp(lang, "ru") != 0 && strcmp(lang, "en") != 0)
        err_bad_request(&e, "lang", "lang must be kk, ru or en");
    else
        registry_archimate_may_import(api->reg, &a, &e);
    if (e.status) {
        http_resp_problem(resp, &e);
        return -1;
    }
    struct rows_up *u = upload_new(api, &a, dry);
    snprintf(u->lang, sizeof u->lang, "%s",
             lang ? lang
                  : i18n_code(i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_RU)));
    buf_init(&u->data, AMX_MAX_UPLOAD);
    *state = u;
    return 0;
}

static void arch_finish(void *state, struct http_req *req, struct http_resp *resp)
{
    struct rows_up *u = state;
    struct err e = ERR_INIT;
    json_t *report = NULL;
    struct arena *ar = arena_new();
    struct amx file;
    int rc = registry_archimate_read(ar, u->data.p ? u->data.p : "", u->data.len, &file, &e);
    if (rc == 0)
        rc = registry_archimate_import(u->api->reg, &u->a, &file, u->lang, u->dry_run, &report,
                                       &e);
    amx_free(&file);
    arena_free(ar);
    if (report) {
        enum lang l = i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_EN);
        i18n_rows_errors(l, json_object_get(report, "concepts"));
    }
    if (rc < 0)
        http_resp_problem_ext(resp, &e, report ? "report" : NULL, report);
    else
        http_resp_json(resp, 200, report);
}

static void rows_cleanup(void *state, bool done)
{
    struct rows_up *u = state;
    (void)done;
    if (u->path[0])
        unlink(u->path); /* a request that ended before its answer */
    buf_free(&u->data);
    free(u);
}

/* GET /api/v1/{collection}/import/template[?kind=K][&lang=kk|ru|en] */
static void h_template(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"kind", "lang", NULL};
    const struct model_collection *coll = collection_of(api, req, resp);
    struct actor a;
    if (!coll || only_params(req, resp, allowed) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    struct err e = ERR_INIT;
    const char *lang = http_req_query(req, "lang");
    enum lang l;
    if (lang && !i18n_parse(lang, &l)) {
        problem(resp, 400, "bad-request", "lang", "lang must be kk, ru or en");
        return;
    }
    if (!lang)
        l = i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_RU);
    const char *kind = import_kind_of(api, coll, http_req_query(req, "kind"), &e);
    const struct model_kind *k = kind ? registry_rows_kind(api->reg, &a, kind, &e) : NULL;
    char path[HTTP_TMPNAME_MAX];
    if (!k || workbook_path(path, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    struct rows_words w;
    i18n_rows_words(l, &w);
    int rc = registry_rows_template(api->reg, &a, k, i18n_code(l), &w, path, &e);
    send_workbook(req, resp, arena_printf(req->arena, "%s-%s.xlsx", coll->id, k->id),
                  rc < 0 ? &e : NULL, path);
}

void api_rows_routes(struct api *api, struct router *rt)
{
    router_add(rt, "GET", "/api/v1/{collection}/import/template", h_template, api);
    api->import_ops = (struct http_stream_ops){
        .max_body = ROWS_MAX_FILE + 65536, /* the file and its multipart envelope */
        .raw = true,
        .begin = rows_begin,
        .part = rows_part,
        .finish = rows_finish,
        .cleanup = rows_cleanup,
    };
    router_add_stream(rt, "POST", "/api/v1/{collection}/import", &api->import_ops, api);
    api->archimate_ops = (struct http_stream_ops){
        .max_body = AMX_MAX_UPLOAD + 65536,
        .raw = true,
        .begin = arch_begin,
        .part = rows_part,
        .finish = arch_finish,
        .cleanup = rows_cleanup,
    };
    router_add_stream(rt, "POST", "/api/v1/archimate", &api->archimate_ops, api);
}
