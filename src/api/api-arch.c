/* api-arch: the architecture's views over many records (src/arch):
 * GET /api/v1/{collection}/map?measure=&at=&view=&<filter field>= — the map
 * of a collection that declares one (as-is, target or difference); GET /api/v1/{collection}/matrix/{matrix}
 * ?<filter field>= — one of its matrices; GET /api/v1/gaps?collection=
 * &domain=&effect= — the target architecture's gap report; GET
 * /api/v1/duplicates?kind=&min=&limit= — duplicate pairs with a reuse
 * suggestion in the reader's language; GET /api/v1/similar?kind=&name=
 * &text=&min=&limit= — the records most like an object not created yet;
 * GET /api/v1/{collection}/{id}/compare/{other} and …/{id}/content — two
 * versions of the architecture compared, a version in digital form;
 * …/{id}/elements[/{element}] — a version's elements as they were; GET
 * /api/v1/scores — the model's scores; GET /api/v1/scores/{score}?owner=
 * &level= — a score of every record of its kind (an ICT project's risk
 * level), rolled up by state body; GET /api/v1/scores/{score}/{id} — one
 * record's, explained. */
#include "api/internal.h"

#include "arch/arch.h"
#include "registry/dups.h"
#include "auth/authz.h"
#include "registry/archimate.h"
#include "util/arena.h"
#include "util/text.h"
#include "web/i18n.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio.h>
#include <string.h>

/* The filter's value (?<field>=<id>), or NULL; -1 after answering 400. */
static int filter_of(struct http_req *req, struct http_resp *resp, const char *field,
                     const char **out)
{
    *out = field ? http_req_query(req, field) : NULL;
    if (*out && !text_id_valid(*out)) {
        problem(resp, 400, "bad-request", field, "'%.60s' must be a record id", field);
        return -1;
    }
    return 0;
}

static void h_map(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *c = collection_of(api, req, resp);
    if (!c)
        return;
    if (!c->map) {
        problem(resp, 404, "not-found", "", "collection '%.60s' has no map", c->id);
        return;
    }
    const char *allowed[] = {"measure", "at", "view", c->map->filter, NULL};
    const char *filter;
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || filter_of(req, resp, c->map->filter, &filter) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    bool at_set;
    int64_t at_ms;
    int rc = api_at_query(req, &at_set, &at_ms, &e);
    struct registry_at *at = rc == 0 && at_set ? registry_at_open(api->reg, &a, at_ms) : NULL;
    if (rc == 0)
        rc = arch_map_build_view(api->reg, api->docs, &a, c, http_req_query(req, "measure"),
                                 filter, http_req_query(req, "view"), at, &out, &e);
    registry_at_close(at);
    answer(resp, rc, &e, out);
}

static void h_matrix(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *c = collection_of(api, req, resp);
    if (!c)
        return;
    const char *name = http_req_param(req, "matrix");
    const struct model_matrix *mx = NULL;
    for (size_t i = 0; name && i < c->n_matrices; i++)
        if (strcmp(c->matrices[i].id, name) == 0)
            mx = &c->matrices[i];
    if (!mx) {
        problem(resp, 404, "not-found", "", "collection '%.60s' has no matrix '%.60s'", c->id,
                name ? name : "");
        return;
    }
    const char *allowed[] = {mx->filter, NULL};
    const char *filter;
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || filter_of(req, resp, mx->filter, &filter) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = arch_matrix_build(api->reg, &a, c, mx, filter, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_gaps(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"collection", "domain", "effect", NULL};
    struct arch_gap_query q = {http_req_query(req, "collection"), NULL, http_req_query(req, "effect")};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || filter_of(req, resp, "domain", &q.domain) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = arch_gaps(api->reg, &a, &q, &out, &e);
    answer(resp, rc, &e, out);
}

static const char *const none[] = {NULL};

/* A version read with a second path parameter (`param`): the registry's
 * fn(collection, id, that parameter) answered as JSON. */
typedef int (*version_read_fn)(struct registry *r, const struct actor *a, const char *collection,
                               const char *id, const char *other, json_t **out, struct err *e);
static void version_read(struct http_req *req, struct http_resp *resp, struct api *api,
                         const char *param, version_read_fn fn)
{
    const struct model_collection *c = collection_of(api, req, resp);
    struct actor a;
    if (!c || only_params(req, resp, none) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = fn(api->reg, &a, c->id, http_req_param(req, "id"), http_req_param(req, param), &out,
                &e);
    answer(resp, rc, &e, out);
}

/* GET /api/v1/{collection}/{id}/compare/{other}: two versions of the
 * architecture, element by element and field by field. */
static void h_compare(struct http_req *req, struct http_resp *resp, void *ctx)
{
    version_read(req, resp, ctx, "other", registry_snapshot_compare);
}

/* GET /api/v1/{collection}/{id}/content: a version's records as they were
 * (the published architecture in digital form, for everyone once it is
 * published), written to a temporary file and sent from there. */
static void h_content(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *c = collection_of(api, req, resp);
    struct actor a;
    if (!c || only_params(req, resp, none) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    struct err e = ERR_INIT;
    FILE *f = tmpfile();
    if (!f) {
        err_internal(&e, "cannot make a temporary file");
        answer(resp, -1, &e, NULL);
        return;
    }
    const char *id = http_req_param(req, "id");
    int rc = registry_snapshot_content(api->reg, &a, c->id, id, f, &e);
    uint64_t size;
    int fd = http_tmpfile_done(f, rc == 0, &size);
    if (fd < 0) {
        if (rc == 0)
            err_internal(&e, "cannot write the version's content");
        answer(resp, -1, &e, NULL);
        return;
    }
    const char *name = arena_printf(req->arena, "architecture-%s.json", id);
    http_resp_header(resp, "Content-Disposition", http_content_disposition(req->arena, name, name));
    http_resp_file(resp, 200, "application/json", fd, 0, size);
}

/* ?format=csv: Archi's three CSV files in a ZIP archive (one language:
 * ?lang=, ru by default). */
static void archi_csv(struct api *api, struct http_req *req, struct http_resp *resp,
                      const struct actor *a)
{
    struct err e = ERR_INIT;
    char path[HTTP_TMPNAME_MAX];
    if (!http_tmpname(path)) {
        err_internal(&e, "cannot make a temporary file");
        answer(resp, -1, &e, NULL);
        return;
    }
    const char *domain = http_req_query(req, "domain"), *version = http_req_query(req, "version");
    int rc = registry_archi_csv_zip(api->reg, a, domain && *domain ? domain : NULL,
                                    version && *version ? version : NULL,
                                    http_req_query(req, "lang"), path, &e);
    uint64_t size;
    int out = http_tmpname_take(path, rc == 0, &size);
    if (rc == 0 && out < 0) {
        err_internal(&e, "cannot read the archive");
        rc = -1;
    }
    if (rc < 0) {
        answer(resp, -1, &e, NULL);
        return;
    }
    http_resp_header(resp, "Content-Disposition",
                     http_content_disposition(req->arena, "architecture-csv.zip",
                                              "architecture-csv.zip"));
    http_resp_file(resp, 200, "application/zip", out, 0, size);
}

/* GET /api/v1/archimate[?domain=|?version=]: the architecture (a domain's
 * part, or a version as it was frozen) in the
 * ArchiMate exchange format 3.1, as the reader may read it, for holders of
 * architecture-interchange (the integrator's architects, the authorized
 * body, administrators); written to a temporary file and sent from there. */
static void h_archimate(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"domain", "version", "format", "lang", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    struct err e = ERR_INIT;
    if (authz_check_everywhere(registry_rights(api->reg), &a, RA_INTERCHANGE, &e) < 0) {
        answer(resp, -1, &e, NULL);
        return;
    }
    const char *format = http_req_query(req, "format");
    if (format && strcmp(format, "csv") == 0) {
        archi_csv(api, req, resp, &a);
        return;
    }
    if (format && strcmp(format, "xml") != 0) {
        problem(resp, 400, "bad-request", "format", "format is xml (the exchange format) or csv (Archi's)");
        return;
    }
    FILE *f = tmpfile();
    if (!f) {
        err_internal(&e, "cannot make a temporary file");
        answer(resp, -1, &e, NULL);
        return;
    }
    const char *domain = http_req_query(req, "domain");
    const char *version = http_req_query(req, "version");
    int rc = registry_archimate_export(api->reg, &a, domain && *domain ? domain : NULL,
                                       version && *version ? version : NULL, f, &e);
    uint64_t size;
    int fd = http_tmpfile_done(f, rc == 0, &size);
    if (fd < 0) {
        if (rc == 0)
            err_internal(&e, "cannot write the ArchiMate file");
        answer(resp, -1, &e, NULL);
        return;
    }
    const char *part = domain && *domain ? domain : version && *version ? version : NULL;
    const char *name = part ? arena_printf(req->arena, "architecture-%s.xml", part)
                            : "architecture.xml";
    http_resp_header(resp, "Content-Disposition", http_content_disposition(req->arena, name, name));
    http_resp_file(resp, 200, "application/xml", fd, 0, size);
}

/* A count parameter ?name= from lo to hi (dflt when absent); -1 after
 * answering 400. */
static int count_param(struct http_req *req, struct http_resp *resp, const char *name, long lo,
                       long hi, long dflt, size_t *out)
{
    const char *v = http_req_query(req, name);
    *out = (size_t)dflt;
    if (!v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || v[0] < '0' || v[0] > '9' || n < lo || n > hi) {
        problem(resp, 400, "bad-request", name, "'%s' must be a whole number from %ld to %ld", name,
                lo, hi);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

/* GET /api/v1/{collection}/{id}/elements?collection=&q=&offset=&limit=:
 * the elements of one of a version's collections as they were, by name
 * (the published architecture, read by everyone once it is published). */
static void h_elements(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"collection", "q", "offset", "limit", NULL};
    const struct model_collection *c = collection_of(api, req, resp);
    const char *of, *q = http_req_query(req, "q");
    size_t offset, limit;
    struct actor a;
    if (!c || only_params(req, resp, allowed) < 0 || filter_of(req, resp, "collection", &of) < 0 ||
        count_param(req, resp, "offset", 0, 1000000000, 0, &offset) < 0 ||
        count_param(req, resp, "limit", 1, 500, 50, &limit) < 0)
        return;
    if (q && (strlen(q) > 200 || !text_controls_ok(q, strlen(q), false))) {
        problem(resp, 400, "bad-request", "q", "'q' must be UTF-8 text of at most 200 bytes");
        return;
    }
    if (authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = registry_snapshot_members(api->reg, &a, c->id, http_req_param(req, "id"), of, q,
                                       offset, limit, &out, &e);
    answer(resp, rc, &e, out);
}

/* GET /api/v1/{collection}/{id}/elements/{element}: one element of a
 * version as it was, with its relations then. */
static void h_element(struct http_req *req, struct http_resp *resp, void *ctx)
{
    version_read(req, resp, ctx, "element", registry_snapshot_member);
}

/* ?min= (a fraction, 0: absent) and ?limit= (1 .. 500, 0: absent); -1
 * after answering 400. */
static int dups_params(struct http_req *req, struct http_resp *resp, double floor, double *min,
                       size_t *limit)
{
    const char *ms = http_req_query(req, "min"), *ls = http_req_query(req, "limit");
    *min = 0;
    *limit = 0;
    if (ms && (!text_fraction(ms, min) || *min < floor)) {
        if (floor > 0.3)
            problem(resp, 400, "bad-request", "min", "'min' must be a number from 0.5 to 1");
        else
            problem(resp, 400, "bad-request", "min", "'min' must be a number from 0.3 to 1");
        return -1;
    }
    if (ls) {
        char *end;
        long n = strtol(ls, &end, 10);
        if (!*ls || *end || ls[0] < '0' || ls[0] > '9' || n < 1 || n > 500) {
            problem(resp, 400, "bad-request", "limit", "'limit' is 1..500");
            return -1;
        }
        *limit = (size_t)n;
    }
    return 0;
}

static const char *label_in(const struct i18n *l, enum lang g)
{
    const char *s = g == LANG_KK ? l->kk : g == LANG_RU ? l->ru : l->en;
    return s ? s : l->en ? l->en : "";
}

void api_dups_suggest(const struct api *api, json_t *pair, enum lang g)
{
    const json_t *a = json_object_get(pair, "a"), *b = json_object_get(pair, "b");
    const char *lang = i18n_code(g);
    const char *oa = json_string_value(json_object_get(a, "owner"));
    const char *ob = json_string_value(json_object_get(b, "owner"));
    if (!oa || !ob || strcmp(oa, ob) == 0)
        return;
    const json_t *na = json_object_get(a, "owner_name"), *nb = json_object_get(b, "owner_name");
    json_t *wa = json_pack("{s:O?}", "name", na), *wb = json_pack("{s:O?}", "name", nb);
    const char *body_a = na ? registry_name_in(wa, lang) : NULL;
    const char *body_b = nb ? registry_name_in(wb, lang) : NULL;
    const char *rec_a = registry_name_in(a, lang);
    char buf[1024];
    const json_t *sh = json_array_get(json_object_get(pair, "shared"), 0);
    if (sh) {
        const struct model_kind *rk = model_kind(
            registry_model(api->reg), json_string_value(json_object_get(sh, "relation")));
        const char *shared = registry_name_in(json_object_get(sh, "record"), lang);
        snprintf(buf, sizeof buf,
                 i18n_tr(g, TR("%s could use %s of %s, which does the same: %s %s")),
                 body_b ? body_b : ob, rec_a ? rec_a : "", body_a ? body_a : oa,
                 rk ? label_in(&rk->label, g) : "", shared ? shared : "");
    } else {
        snprintf(buf, sizeof buf, i18n_tr(g, TR("%s could use %s of %s, which is described alike")),
                 body_b ? body_b : ob, rec_a ? rec_a : "", body_a ? body_a : oa);
    }
    json_decref(wa);
    json_decref(wb);
    json_object_set_new(pair, "suggestion", json_string(buf));
}

/* ?about=<id>: the architectural control of a record (MON-03): the
 * duplication findings about it, or about what its kind's control reaches
 * (an assessment: its project's objects), each with the suggestion of
 * reuse in the reader's language. */
static void duplicates_about(struct api *api, struct http_req *req, struct http_resp *resp,
                             const struct actor *a, const char *about)
{
    json_t *rec = NULL, *out = NULL;
    struct err e = ERR_INIT;
    int rc = registry_get_visible(api->reg, a, NULL, about, &rec, &e);
    if (rc == 0)
        rc = registry_duplicates_about(api->reg, a, rec, &out, &e);
    json_decref(rec);
    if (rc == 0) {
        enum lang g = i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_EN);
        size_t i, j;
        json_t *it, *like;
        json_array_foreach (json_object_get(out, "items"), i, it)
            json_array_foreach (json_object_get(it, "likes"), j, like) {
                json_t *pair = api_dups_about_pair(it, like);
                api_dups_suggest(api, pair, g);
                json_object_set(like, "suggestion", json_object_get(pair, "suggestion"));
                json_decref(pair);
            }
    }
    answer(resp, rc, &e, out);
}

json_t *api_dups_about_pair(const json_t *item, const json_t *like)
{
    return json_pack("{s:O, s:O, s:O, s:O?}", "a", json_object_get(like, "other"), "b",
                     json_object_get(item, "record"), "shared", json_object_get(like, "shared"),
                     "text_score", json_object_get(like, "text_score"));
}

static void h_duplicates(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"kind", "min", "limit", "about", NULL};
    struct dups_query q = {http_req_query(req, "kind"), 0, 0};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || dups_params(req, resp, 0.5, &q.min, &q.limit) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    const char *about = http_req_query(req, "about");
    if (about) {
        duplicates_about(api, req, resp, &a, about);
        return;
    }
    int rc = registry_duplicates(api->reg, &a, &q, &out, &e);
    if (rc == 0) {
        enum lang g = i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_EN);
        size_t i;
        json_t *pair;
        json_array_foreach (json_object_get(out, "items"), i, pair)
            api_dups_suggest(api, pair, g);
    }
    answer(resp, rc, &e, out);
}

static void h_similar(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"kind", "name", "text", "min", "limit", NULL};
    struct similar_query q = {http_req_query(req, "kind"), http_req_query(req, "name"),
                              http_req_query(req, "text"), 0, 0};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || dups_params(req, resp, 0.3, &q.min, &q.limit) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    if ((q.name && strlen(q.name) > 1000) || (q.text && strlen(q.text) > 4000)) {
        problem(resp, 400, "bad-request", q.text && strlen(q.text) > 4000 ? "text" : "name",
                "the text is too long");
        return;
    }
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = registry_similar(api->reg, &a, &q, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_scores(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *items = json_array();
    for (size_t i = 0; i < model_n_scores(api->model); i++) {
        const struct model_score *s = model_score_at(api->model, i);
        json_array_append_new(items, json_pack("{s:s, s:o, s:s}", "id", s->id, "label",
                                               model_label_json(s->label), "kind", s->kind->id));
    }
    http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

/* A score's level from ?level= (a value of its scale), 0 when absent, -1
 * after answering 400. */
static int level_param(struct http_req *req, struct http_resp *resp, const json_t *score)
{
    const char *v = http_req_query(req, "level");
    const json_t *x;
    size_t i;
    if (!v)
        return 0;
    json_array_foreach (json_object_get(score, "scale"), i, x)
        if (strcmp(json_string_value(json_object_get(x, "value")), v) == 0)
            return (int)json_integer_value(json_object_get(x, "level"));
    problem(resp, 400, "bad-request", "level", "'%.60s' is not a level of the score", v);
    return -1;
}

/* The answer with only the records of `owner` and (level > 0) of that
 * level: a new object sharing the kept answer's parts. */
static json_t *score_only(const json_t *score, const char *owner, int level)
{
    json_t *out = json_object(), *items = json_array(), *by = json_array(), *v;
    const char *key;
    size_t i;
    json_object_foreach ((json_t *)score, key, v)
        if (strcmp(key, "items") != 0 && strcmp(key, "by") != 0)
            json_object_set(out, key, v);
    json_array_foreach (json_object_get(score, "items"), i, v) {
        const char *o = json_string_value(json_object_get(v, "owner"));
        if ((!owner || (o && strcmp(o, owner) == 0)) &&
            (!level || json_integer_value(json_object_get(v, "level")) == level))
            json_array_append(items, v);
    }
    json_array_foreach (json_object_get(score, "by"), i, v) {
        const char *o = json_string_value(json_object_get(v, "owner"));
        if (!owner || (o && strcmp(o, owner) == 0))
            json_array_append(by, v);
    }
    json_object_set_new(out, "by", by);
    json_object_set_new(out, "items", items);
    return out;
}

static void h_score(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"owner", "level", NULL};
    const char *owner;
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || filter_of(req, resp, "owner", &owner) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (registry_score(api->reg, &a, http_req_param(req, "score"), &out, NULL, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    int level = level_param(req, resp, out);
    if (level >= 0)
        http_resp_json(resp, 200, score_only(out, owner, level));
    json_decref(out);
}

static void h_score_of(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    json_t *index = NULL;
    const char *id = http_req_param(req, "id");
    if (registry_score(api->reg, &a, http_req_param(req, "score"), &out, &index, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    const json_t *it = registry_score_item(out, index, id);
    if (!it)
        problem(resp, 404, "not-found", "", "no record '%.60s' with this score", id);
    else
        http_resp_json(resp, 200,
                       json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "score",
                                 json_object_get(out, "score"), "label", json_object_get(out, "label"),
                                 "judged_on", json_object_get(out, "judged_on"), "scale",
                                 json_object_get(out, "scale"), "factors",
                                 json_object_get(out, "factors"), "item", it));
    json_decref(index);
    json_decref(out);
}

void api_arch_routes(struct api *api, struct router *rt)
{
    router_add(rt, "GET", "/api/v1/{collection}/{id}/compare/{other}", h_compare, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/content", h_content, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/elements", h_elements, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/elements/{element}", h_element, api);
    router_add(rt, "GET", "/api/v1/duplicates", h_duplicates, api);
    router_add(rt, "GET", "/api/v1/archimate", h_archimate, api);
    router_add(rt, "GET", "/api/v1/similar", h_similar, api);
    router_add(rt, "GET", "/api/v1/gaps", h_gaps, api);
    router_add(rt, "GET", "/api/v1/scores", h_scores, api);
    router_add(rt, "GET", "/api/v1/scores/{score}", h_score, api);
    router_add(rt, "GET", "/api/v1/scores/{score}/{id}", h_score_of, api);
    router_add(rt, "GET", "/api/v1/{collection}/map", h_map, api);
    router_add(rt, "GET", "/api/v1/{collection}/matrix/{matrix}", h_matrix, api);
}
