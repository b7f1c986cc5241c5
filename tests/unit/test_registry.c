/* Unit tests of the registry engine over a real SQLite database in a temp
 * directory and the shipped metamodel: writes, revisions, merge patches,
 * retirement, the audit chain, export/import and the consistency check. */
#include "arch/arch.h"
#include "registry/dump.h"
#include "registry/fidx.h"
#include "registry/listq.h"
#include "registry/registry.h"
#include "registry/relidx.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pgtest.h"

#ifndef MODEL_PATH
#define MODEL_PATH "../model/egov-kz.json"
#endif

struct fx {
    char dir[64];
    char db[48]; /* on PostgreSQL (pgtest.h): the test's database */
    char url[128]; /* of the store */
    struct model *model;
    struct store *store;
    struct registry *reg;
    struct actor actor;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ap-reg-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    struct err e = ERR_INIT;
    if (model_load_file(MODEL_PATH, &f->model, &e) < 0) {
        fprintf(stderr, "model: %s\n", e.detail);
        return -1;
    }
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/db", f->dir);
    if (pgtest_base() && pgtest_create("registry_test", f->db, sizeof f->db, url, sizeof url) < 0)
        return -1;
    struct store_options so = {.busy_timeout_ms = 5000};
    if (store_open(url, &so, &f->store, &e) < 0)
        return -1;
    snprintf(f->url, sizeof f->url, "%s", url);
    f->reg = registry_new(f->store, f->model);
    snprintf(f->actor.id, sizeof f->actor.id, "test");
    f->actor.system = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    registry_free(f->reg);
    store_close(f->store);
    model_free(f->model);
    if (f->db[0] && pgtest_drop(f->db) < 0)
        return -1;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static json_t *create(struct fx *f, const char *coll, const char *json, const char *id)
{
    json_t *body = json_loads(json, 0, NULL);
    assert_non_null(body);
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = registry_create(f->reg, &f->actor, coll, body, id, &out, &e);
    json_decref(body);
    if (rc < 0)
        fail_msg("create failed: %d %s %s: %s", e.status, e.type, e.field, e.detail);
    return out;
}

static const char *ORG_JSON =
    "{\"kind\":\"organization\",\"name\":{\"ru\":\"Министерство\",\"kk\":\"Министрлік\"},"
    "\"bin\":\"000140000002\",\"org_type\":\"central_state_body\"}";

static json_t *make_org(struct fx *f, const char *id)
{
    return create(f, "organizations", ORG_JSON, id);
}

static json_t *make_system(struct fx *f, const char *id, const char *owner)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"kind\":\"information_system\",\"owner\":\"%s\",\"name\":{\"ru\":\"Система %s\"},"
             "\"stage\":\"creation\",\"supplier\":\"ТОО Поставщик\"}",
             owner, id);
    return create(f, "objects", body, id);
}

/* Two nodes (two stores, each with its registry, on one database) write at
 * once: each patches its own records (no row in common but the audit
 * chain's head), every write is kept and the chain holds, the nodes
 * appending to it in turn (store_lock). REQ: X-AUD-01 */
static int64_t count_rows(struct fx *f, const char *sql);
static json_t *make_org(struct fx *f, const char *id);

struct node_writer {
    struct registry *reg;
    const struct actor *a;
    int node, ok;
};

static void *node_main(void *arg)
{
    struct node_writer *w = arg;
    for (int i = 0; i < 30; i++) {
        char id[32], body[128];
        snprintf(id, sizeof id, "node%d-%d", w->node, i % 3);
        snprintf(body, sizeof body, "{\"supplier\":\"ТОО %d\"}", i);
        json_t *patch = json_loads(body, 0, NULL), *out = NULL;
        struct err e = ERR_INIT;
        if (registry_patch(w->reg, w->a, "objects", id, -1, patch, &out, &e) == 0) /* any */
            w->ok++;
        else
            fprintf(stderr, "node %d: %s\n", w->node, e.detail);
        json_decref(patch);
        json_decref(out);
    }
    return NULL;
}

/* The chain's head a writer keeps between the entries of one transaction
 * is forgotten when a savepoint rolls back (a write of a group commit that
 * failed): the next entry follows the last one kept, not the one undone.
 * REQ: X-AUD-01 */
static void test_audit_head_after_a_rollback(void **state)
{
    struct fx *f = *state;
    struct err e = ERR_INIT;
    int before = count_rows(f, "SELECT count(*) FROM audit");
    struct store_conn *w = store_begin_write(f->store, &e);
    assert_non_null(w);
    const char *at = "2026-12-07T10:00:00.000Z";
    assert_int_equal(audit_append(w, at, &f->actor, "test", "objects", "kept-1", 1, NULL, "{}", &e), 0);
    assert_int_equal(store_exec(w, "SAVEPOINT one", &e, 0), 0);
    assert_int_equal(audit_append(w, at, &f->actor, "test", "objects", "undone", 1, NULL, "{}", &e), 0);
    assert_int_equal(store_exec(w, "ROLLBACK TO one", &e, 0), 0);
    if (audit_append(w, at, &f->actor, "test", "objects", "kept-2", 1, NULL, "{}", &e) != 0)
        fail_msg("%s", e.detail);
    assert_int_equal(store_commit(w, &e), 0);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM audit"), before + 2);
    char *report = NULL;
    assert_int_equal(audit_verify(store_conn(f->store), &report), 0);
    free(report);
}

static void test_audit_chain_across_nodes(void **state)
{
    struct fx *f = *state;
    struct err e = ERR_INIT;
    json_decref(make_org(f, "org-1"));
    for (int n = 1; n <= 2; n++)
        for (int i = 0; i < 3; i++) {
            char id[32];
            snprintf(id, sizeof id, "node%d-%d", n, i);
            json_decref(make_system(f, id, "org-1"));
        }
    struct store *other = NULL;
    struct store_options so = {.busy_timeout_ms = 10000};
    assert_int_equal(store_open(f->url, &so, &other, &e), 0);
    struct registry *reg2 = registry_new(other, f->model);
    struct node_writer w[2] = {{f->reg, &f->actor, 1, 0}, {reg2, &f->actor, 2, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, node_main, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(w[0].ok + w[1].ok, 60);
    char *report = NULL;
    assert_int_equal(audit_verify(store_conn(f->store), &report), 0);
    free(report);
    /* the organisation, six systems and sixty patches */
    assert_int_equal(count_rows(f, "SELECT count(*) FROM audit"), 67);
    registry_free(reg2);
    store_close(other);
}

/* REQ: REG-06, X-AUD-01 */
static void test_revisions_and_merge_patch(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_t *rec = make_system(f, "is-1", "org-1");
    assert_int_equal(json_integer_value(json_object_get(rec, "revision")), 1);
    json_decref(rec);
    json_t *patch = json_loads("{\"supplier\":null,\"stage\":\"development\"}", 0, NULL);
    json_t *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_patch(f->reg, &f->actor, "objects", "is-1", 1, patch, &out, &e), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "revision")), 2);
    assert_null(json_object_get(out, "supplier")); /* null removes (RFC 7396) */
    assert_string_equal(json_string_value(json_object_get(out, "stage")), "development");
    json_decref(out);
    /* a stale revision changes nothing */
    assert_int_equal(registry_patch(f->reg, &f->actor, "objects", "is-1", 1, patch, &out, &e), -1);
    assert_int_equal(e.status, 412);
    json_decref(patch);
    json_t *hist = NULL;
    assert_int_equal(registry_history(f->reg, &f->actor, "objects", "is-1", &hist, &e), 0);
    json_t *items = json_object_get(hist, "items");
    assert_int_equal(json_array_size(items), 2);
    json_t *changes = json_object_get(json_array_get(items, 1), "changes");
    assert_int_equal(json_array_size(changes), 2);
    json_decref(hist);
}

static void test_invalid_patch_changes_nothing(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "is-1", "org-1"));
    json_t *patch = json_loads("{\"stage\":\"flying\"}", 0, NULL);
    json_t *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_patch(f->reg, &f->actor, "objects", "is-1", 1, patch, &out, &e), -1);
    assert_int_equal(e.status, 422);
    assert_string_equal(e.field, "stage");
    json_decref(patch);
    char *raw = NULL;
    int64_t rev = 0;
    struct arena *a = arena_new();
    assert_int_equal(registry_get_raw(f->reg, a, "objects", "is-1", &raw, &rev, &e), 0);
    assert_int_equal(rev, 1);
    assert_non_null(strstr(raw, "\"creation\""));
    arena_free(a);
}

static void test_retire_and_references(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "is-1", "org-1"));
    struct err e = ERR_INIT;
    assert_int_equal(registry_retire(f->reg, &f->actor, "organizations", "org-1", -1, &e), -1);
    assert_int_equal(e.status, 409);
    assert_int_equal(registry_retire(f->reg, &f->actor, "objects", "is-1", -1, &e), 0);
    assert_int_equal(registry_retire(f->reg, &f->actor, "objects", "is-1", -1, &e), -1);
    assert_int_equal(e.status, 410);
    assert_int_equal(registry_retire(f->reg, &f->actor, "organizations", "org-1", -1, &e), 0);
    /* the retired owner can no longer be referenced */
    json_t *body = json_loads("{\"kind\":\"information_system\",\"owner\":\"org-1\","
                              "\"name\":{\"en\":\"X\"},\"stage\":\"creation\"}",
                              0, NULL);
    json_t *out = NULL;
    assert_int_equal(registry_create(f->reg, &f->actor, "objects", body, NULL, &out, &e), -1);
    assert_int_equal(e.status, 422);
    assert_string_equal(e.field, "owner");
    json_decref(body);
}

static char *export_text(struct fx *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    struct err e = ERR_INIT;
    assert_int_equal(dump_export(f->reg, m, &e), 0);
    fclose(m);
    return text;
}

/* A star of five systems around is-0: the walk stops at its node cap and
 * says so; the relation counts rules over relations are judged by see only
 * live relations of the type asked, in the direction asked. */
static void test_trace_cap_and_relation_counts(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "is-0", "org-1"));
    for (int i = 1; i <= 5; i++) {
        char id[16], rel[16], body[256];
        snprintf(id, sizeof id, "is-%d", i);
        snprintf(rel, sizeof rel, "rel-%d", i);
        json_decref(make_system(f, id, "org-1"));
        snprintf(body, sizeof body,
                 "{\"type\":\"exchanges_data_with\",\"source\":\"is-0\",\"target\":\"%s\","
                 "\"data_carried\":\"ИИН\"}",
                 id);
        json_decref(create(f, "relations", body, rel));
    }
    struct registry_trace_query q = {.out = true, .depth = 3, .max_nodes = 3};
    json_t *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_trace(f->reg, &f->actor, "objects", "is-0", &q, &out, &e), 0);
    assert_int_equal(json_array_size(json_object_get(out, "nodes")), 3);
    assert_int_equal(json_array_size(json_object_get(out, "edges")), 2);
    assert_true(json_is_true(json_object_get(out, "truncated")));
    json_decref(out);
    q.max_nodes = 6; /* exactly enough: not cut */
    assert_int_equal(registry_trace(f->reg, &f->actor, "objects", "is-0", &q, &out, &e), 0);
    assert_int_equal(json_array_size(json_object_get(out, "nodes")), 6);
    assert_true(json_is_false(json_object_get(out, "truncated")));
    json_decref(out);
    json_t *hub = json_pack("{s:s}", "id", "is-0"), *leaf = json_pack("{s:s}", "id", "is-1");
    assert_int_equal(registry_count_relations(f->reg, hub, "exchanges_data_with", true), 5);
    assert_int_equal(registry_count_relations(f->reg, hub, "exchanges_data_with", false), 0);
    assert_int_equal(registry_count_relations(f->reg, hub, "runs_on", true), 0);
    assert_int_equal(registry_count_relations(f->reg, leaf, "exchanges_data_with", false), 1);
    assert_int_equal(registry_retire(f->reg, &f->actor, "relations", "rel-2", -1, &e), 0);
    assert_int_equal(registry_count_relations(f->reg, hub, "exchanges_data_with", true), 4);
    json_decref(hub);
    json_decref(leaf);
}

static const struct model_rule *rule_of(const struct model *m, const char *id)
{
    for (size_t i = 0; i < model_n_rules(m); i++)
        if (strcmp(model_rule_at(m, i)->id, id) == 0)
            return model_rule_at(m, i);
    fail_msg("no rule %s", id);
    return NULL;
}

/* What the gap lists' requirements count (rule-count.c): relations whose
 * other end keeps `where`, records whose ref names this one, the record a
 * ref names; only live ones. REQ: ARC-13 */
static void test_rule_requirement_counts(void **state)
{
    struct fx *f = *state;
    struct err e = ERR_INIT;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "is-old", "org-1"));
    json_decref(make_system(f, "is-new", "org-1"));
    json_decref(create(f, "domains", "{\"kind\":\"domain\",\"name\":{\"ru\":\"Домен\"}}", "dom"));
    json_decref(create(f, "functions",
                       "{\"kind\":\"state_function\",\"owner\":\"org-1\",\"domain\":\"dom\","
                       "\"name\":{\"ru\":\"Функция\"}}",
                       "fn"));
    json_decref(create(f, "relations",
                       "{\"type\":\"automates\",\"source\":\"is-old\",\"target\":\"fn\"}", "r-old"));
    json_decref(create(f, "relations",
                       "{\"type\":\"automates\",\"source\":\"is-new\",\"target\":\"fn\"}", "r-new"));
    const struct model_rule_relation *term =
        &rule_of(f->model, "service_system_terminated")->relations[0];
    /* past its stage: the date its industrial operation ends has come */
    const struct model_rule_relation *past =
        &rule_of(f->model, "service_system_terminated")->relations[1];
    int64_t today = registry_today(f->reg);
    json_t *fn = json_pack("{s:s, s:s}", "id", "fn", "owner", "org-1");
    char date[16];
    assert_int_equal(registry_count_rule(f->reg, fn, past, today), 0);
    json_t *dated = json_pack("{s:s}", "termination_date", time_format_date(today + 30, date, sizeof date));
    json_t *done = NULL;
    assert_int_equal(registry_patch(f->reg, &f->actor, "objects", "is-new", -1, dated, &done, &e), 0);
    json_decref(done);
    assert_int_equal(registry_count_rule(f->reg, fn, past, today), 0); /* still ahead */
    assert_int_equal(registry_count_rule(f->reg, fn, past, today + 30), 1); /* the day it comes */
    json_object_set_new(dated, "termination_date", json_string(time_format_date(today - 1, date, sizeof date)));
    assert_int_equal(registry_patch(f->reg, &f->actor, "objects", "is-new", -1, dated, &done, &e), 0);
    json_decref(done);
    json_decref(dated);
    assert_int_equal(registry_count_rule(f->reg, fn, past, today), 1);
    assert_int_equal(registry_count_rule(f->reg, fn, term, today), 0);
    json_t *patch = json_pack("{s:s}", "stage", "termination"), *out = NULL;
    assert_int_equal(registry_patch(f->reg, &f->actor, "objects", "is-old", -1, patch, &out, &e), 0);
    json_decref(out);
    json_decref(patch);
    assert_int_equal(registry_count_rule(f->reg, fn, term, today), 1);
    /* the other end retired: not counted */
    assert_int_equal(registry_retire(f->reg, &f->actor, "objects", "is-old", -1, &e), 0);
    assert_int_equal(registry_count_rule(f->reg, fn, term, today), 0);
    /* children by parent: only capabilities whose parent it is */
    json_decref(create(f, "capabilities", "{\"kind\":\"capability\",\"name\":{\"ru\":\"A\"}}", "cap-a"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"name\":{\"ru\":\"B\"},\"parent\":\"cap-a\","
                       "\"domain\":\"dom\"}",
                       "cap-b"));
    const struct model_rule_relation *children = &rule_of(f->model, "capability_has_content")->any_of[0];
    json_t *a = json_pack("{s:s}", "id", "cap-a"), *b = json_pack("{s:s}", "id", "cap-b");
    json_t *d = json_pack("{s:s}", "id", "dom");
    assert_int_equal(registry_count_rule(f->reg, a, children, today), 1);
    assert_int_equal(registry_count_rule(f->reg, b, children, today), 0);
    /* the domain is referred to by cap-b too, but not by `parent` */
    assert_int_equal(registry_count_rule(f->reg, d, children, today), 0);
    /* the owner a ref names, by its organisation type */
    const struct model_rule_relation *owner = &rule_of(f->model, "process_has_owner")->relations[0];
    assert_int_equal(registry_count_rule(f->reg, fn, owner, today), 1);
    json_object_set_new(fn, "owner", json_string("org-none"));
    assert_int_equal(registry_count_rule(f->reg, fn, owner, today), 0);
    json_decref(fn);
    json_decref(a);
    json_decref(b);
    json_decref(d);
}

/* A domain's view (the shipped model's "architecture"): a section stops
 * at its cap (here 3 records) and says it was cut; the sections that start
 * from it go on from what it kept. */
static void test_view_cap(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(create(f, "domains", "{\"name\":{\"ru\":\"Домен\"}}", "dom-1"));
    json_decref(create(f, "domains", "{\"name\":{\"ru\":\"Другой\"}}", "dom-2"));
    for (int i = 0; i <= 4; i++) {
        char id[16], body[256];
        snprintf(id, sizeof id, "fn-%d", i);
        snprintf(body, sizeof body,
                 "{\"name\":{\"ru\":\"Функция %d\"},\"owner\":\"org-1\",\"domain\":\"%s\"}", i,
                 i == 0 ? "dom-2" : "dom-1");
        json_decref(create(f, "functions", body, id));
    }
    json_decref(create(f, "services",
                       "{\"name\":{\"ru\":\"Услуга\"},\"owner\":\"org-1\",\"function\":\"fn-1\","
                       "\"recipient\":\"g2c\",\"maturity\":\"informational\"}",
                       "svc-1"));
    json_t *out = NULL;
    struct err e = ERR_INIT;
    const struct registry_view_query three = {.max_records = 3}, all = {0};
    assert_int_equal(registry_view(f->reg, &f->actor, "domains", "dom-1", "architecture", &three, &out, &e), 0);
    json_t *secs = json_object_get(out, "sections");
    json_t *fns = NULL, *svcs = NULL;
    size_t i;
    json_t *s;
    json_array_foreach (secs, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        if (strcmp(name, "functions") == 0)
            fns = s;
        if (strcmp(name, "services") == 0)
            svcs = s;
    }
    assert_int_equal(json_array_size(json_object_get(fns, "items")), 3);
    assert_true(json_is_true(json_object_get(fns, "truncated")));
    assert_int_equal(json_array_size(json_object_get(svcs, "items")), 1); /* fn-1 is kept */
    assert_true(json_is_false(json_object_get(svcs, "truncated")));
    json_decref(out);
    assert_int_equal(registry_view(f->reg, &f->actor, "domains", "dom-2", "architecture", &three, &out, &e), 0);
    json_array_foreach (json_object_get(out, "sections"), i, s)
        if (strcmp(json_string_value(json_object_get(s, "name")), "functions") == 0) {
            assert_int_equal(json_array_size(json_object_get(s, "items")), 1);
            assert_true(json_is_false(json_object_get(s, "truncated")));
        }
    json_decref(out);
    assert_int_equal(registry_view(f->reg, &f->actor, "domains", "dom-1", "nothing", &all, &out, &e), -1);
    assert_int_equal(e.status, 404);
    assert_int_equal(registry_view(f->reg, &f->actor, "domains", "fn-1", "architecture", &all, &out, &e), -1);
    assert_int_equal(e.status, 404);
}

/* The walk `from` with the indexed registry (its graph in memory) and with
 * the plain one (a graph loaded from the store for the walk): the same
 * answer, returned (new ref); as of at_ms unless it is 0. */
static json_t *walk_both_at(struct fx *f, struct registry *mem, const char *from, int64_t at_ms)
{
    struct registry_trace_query q = {
        .out = true, .in = true, .depth = 10, .at_set = at_ms != 0, .at_ms = at_ms};
    json_t *got = NULL, *want = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_trace(mem, &f->actor, "objects", from, &q, &got, &e), 0);
    assert_int_equal(registry_trace(f->reg, &f->actor, "objects", from, &q, &want, &e), 0);
    char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
    if (!json_equal(got, want))
        fail_msg("the graph in memory walks\n%s\nthe store walks\n%s", g, w);
    free(g);
    free(w);
    json_decref(want);
    return got;
}

static json_t *walk_both(struct fx *f, struct registry *mem, const char *from)
{
    return walk_both_at(f, mem, from, 0);
}

/* A distinct instant between writes (ms). */
static int64_t instant(void)
{
    usleep(3000);
    int64_t t = time_now_ms();
    usleep(3000);
    return t;
}

/* The ids of a walk's edges, in order, space-separated (static buffer). */
static const char *walk_edges(json_t *walk)
{
    static char out[512];
    size_t i, n = 0;
    json_t *edge;
    out[0] = '\0';
    json_array_foreach(json_object_get(walk, "edges"), i, edge)
    {
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n ? " " : "",
                              json_string_value(json_object_get(edge, "id")));
    }
    json_decref(walk);
    return out;
}

/* A reader's view of an instant (registry_at_*: what the capability map
 * as of a date reads): the records a collection held then, by their names
 * then, and the relations live then whose far end was there then. REQ:
 * ARC-12 */
static void test_view_of_an_instant(void **state)
{
    struct fx *f = *state;
    struct err e = ERR_INIT;
    json_decref(make_org(f, "org-1"));
    json_decref(create(f, "domains", "{\"kind\":\"domain\",\"name\":{\"ru\":\"Домен\"}}", "dom"));
    json_decref(create(f, "capabilities", "{\"kind\":\"capability\",\"name\":{\"ru\":\"Бета\"}}", "cap-a"));
    json_decref(create(f, "capabilities", "{\"kind\":\"capability\",\"name\":{\"ru\":\"Альфа\"}}", "cap-b"));
    json_decref(create(f, "functions",
                       "{\"kind\":\"state_function\",\"owner\":\"org-1\",\"domain\":\"dom\","
                       "\"name\":{\"ru\":\"Функция\"}}",
                       "fn"));
    json_decref(create(f, "functions",
                       "{\"kind\":\"state_function\",\"owner\":\"org-1\",\"domain\":\"dom\","
                       "\"name\":{\"ru\":\"Другая\"}}",
                       "fn-2"));
    json_decref(create(f, "relations", "{\"type\":\"groups\",\"source\":\"cap-a\",\"target\":\"fn\"}",
                       "g-a"));
    json_decref(create(f, "relations", "{\"type\":\"groups\",\"source\":\"cap-b\",\"target\":\"fn-2\"}",
                       "g-b2"));
    /* the graph in memory (the serving process's) and the store alike */
    struct registry *mem = registry_new(f->store, f->model);
    registry_set_rights(mem, registry_rights(f->reg));
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    int64_t then = instant();
    /* since: the first grouping ends, another begins, cap-a renamed, cap-c
     * new, fn-2 (grouped by cap-b, unchanged) renamed */
    assert_int_equal(registry_retire(mem, &f->actor, "relations", "g-a", -1, &e), 0);
    json_t *body = json_pack("{s:s, s:s, s:s}", "type", "groups", "source", "cap-b", "target", "fn"),
           *out = NULL;
    assert_int_equal(registry_create(mem, &f->actor, "relations", body, "g-b", &out, &e), 0);
    json_decref(out);
    json_decref(body);
    json_t *patch = json_pack("{s:{s:s}}", "name", "ru", "Гамма");
    assert_int_equal(registry_patch(mem, &f->actor, "capabilities", "cap-a", -1, patch, &out, &e), 0);
    json_decref(out);
    assert_int_equal(registry_patch(mem, &f->actor, "functions", "fn-2", -1, patch, &out, &e), 0);
    json_decref(out);
    json_decref(patch);
    body = json_pack("{s:s, s:{s:s}}", "kind", "capability", "name", "ru", "Дельта");
    assert_int_equal(registry_create(mem, &f->actor, "capabilities", body, "cap-c", &out, &e), 0);
    json_decref(out);
    json_decref(body);
    const char *caps[] = {"cap-a", "cap-b", "cap-c"};
    for (int k = 0; k < 4; k++) {
        bool now = k & 1;
        struct registry *reg = k < 2 ? f->reg : mem;
        struct registry_at *v = registry_at_open(reg, &f->actor, now ? time_now_ms() + 1000 : then);
        json_t *recs = json_object(), *order = json_array();
        assert_int_equal(registry_at_collection(v, "capabilities", recs, order, &e), 0);
        char *o = json_dumps(order, JSON_COMPACT);
        /* then: Альфа, Бета (cap-c not yet); now: Альфа, Гамма, Дельта */
        assert_string_equal(o, now ? "[\"cap-b\",\"cap-a\",\"cap-c\"]" : "[\"cap-b\",\"cap-a\"]");
        free(o);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(json_object_get(recs, "cap-a"), "name"), "ru")),
                            now ? "Гамма" : "Бета");
        struct arena *ar = arena_new();
        struct registry_link *links;
        long n = registry_at_links(v, ar, "groups", true, caps, 3, &links, &e);
        /* then: cap-a → fn, cap-b → fn-2; now: cap-b → fn-2 and fn */
        assert_int_equal(n, 2);
        char got[64];
        snprintf(got, sizeof got, "%s>%s %s>%s", links[0].from, links[0].other, links[1].from,
                 links[1].other);
        if (now)
            assert_true(strcmp(got, "cap-b>fn-2 cap-b>fn") == 0 || strcmp(got, "cap-b>fn cap-b>fn-2") == 0);
        else
            assert_true(strcmp(got, "cap-a>fn cap-b>fn-2") == 0 || strcmp(got, "cap-b>fn-2 cap-a>fn") == 0);
        assert_string_equal(links[0].other_kind, "state_function");
        /* into the function: the same relation seen from its other end */
        const char *fn[] = {"fn"};
        n = registry_at_links(v, ar, "groups", false, fn, 1, &links, &e);
        assert_int_equal(n, 1);
        assert_string_equal(links[0].other, now ? "cap-b" : "cap-a");
        assert_null(registry_at_record(v, now ? "g-a" : "g-b", &e));
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(registry_at_record(v, "fn-2", &e), "name"), "ru")),
                            now ? "Гамма" : "Другая");
        arena_free(ar);
        json_decref(recs);
        json_decref(order);
        registry_at_close(v);
    }
    registry_free(mem);
}

static void relate(struct fx *f, struct registry *r, const char *id, const char *src,
                   const char *dst)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"type\":\"exchanges_data_with\",\"source\":\"%s\",\"target\":\"%s\","
             "\"data_carried\":\"ИИН\"}",
             src, dst);
    json_t *in = json_loads(body, 0, NULL), *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_create(r, &f->actor, "relations", in, id, &out, &e), 0);
    json_decref(in);
    json_decref(out);
}

/* The relations graph of the memory index follows every committed write
 * (a relation created, moved, retired; an end retired) and no write that
 * rolled back: after each, a walk over it answers what a walk over the
 * store answers. */
static void test_relation_graph_follows_writes(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "is-%d", i);
        json_decref(make_system(f, id, "org-1"));
    }
    relate(f, f->reg, "rel-a", "is-0", "is-1");
    relate(f, f->reg, "rel-b", "is-2", "is-1");
    struct registry *mem = registry_new(f->store, f->model);
    struct err e = ERR_INIT;
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    assert_string_equal(walk_edges(walk_both(f, mem, "is-0")), "rel-a rel-b");
    int64_t t1 = instant();
    relate(f, mem, "rel-c", "is-1", "is-3"); /* created */
    assert_string_equal(walk_edges(walk_both(f, mem, "is-0")), "rel-a rel-c rel-b");
    json_t *patch = json_pack("{s:s}", "target", "is-4"), *out = NULL; /* moved */
    assert_int_equal(registry_patch(mem, &f->actor, "relations", "rel-c", -1, patch, &out, &e), 0);
    json_decref(patch);
    json_decref(out);
    json_t *walk = walk_both(f, mem, "is-4");
    assert_int_equal(json_array_size(json_object_get(walk, "nodes")), 4);
    json_decref(walk);
    assert_int_equal(registry_retire(mem, &f->actor, "relations", "rel-a", -1, &e), 0);
    assert_string_equal(walk_edges(walk_both(f, mem, "is-0")), "");
    assert_string_equal(walk_edges(walk_both(f, mem, "is-1")), "rel-c rel-b");
    /* an end retired: its relations are not crossed any more */
    assert_int_equal(registry_retire(mem, &f->actor, "objects", "is-2", -1, &e), 0);
    assert_string_equal(walk_edges(walk_both(f, mem, "is-1")), "rel-c");
    /* a transaction that rolls back leaves the graph as it was */
    struct store_conn *c = registry_write_enter(mem, &e);
    assert_non_null(c);
    relate(f, mem, "rel-d", "is-1", "is-3");
    assert_int_equal(registry_retire(mem, &f->actor, "relations", "rel-c", -1, &e), 0);
    assert_int_equal(registry_write_leave(mem, c, -1, &e), -1);
    assert_string_equal(walk_edges(walk_both(f, mem, "is-1")), "rel-c");
    /* and one that commits changes it */
    c = registry_write_enter(mem, &e);
    assert_non_null(c);
    relate(f, mem, "rel-d", "is-1", "is-3");
    assert_int_equal(registry_write_leave(mem, c, 0, &e), 0);
    assert_string_equal(walk_edges(walk_both(f, mem, "is-1")), "rel-c rel-d");
    /* as of t1, before all this: the relations written since as they were
     * then (rel-a live, rel-c not there), the others as they are */
    assert_string_equal(walk_edges(walk_both_at(f, mem, "is-0", t1)), "rel-a rel-b");
    int64_t t2 = instant(); /* now: the walk as it is */
    assert_string_equal(walk_edges(walk_both_at(f, mem, "is-1", t2)), "rel-c rel-d");
    registry_free(mem);
}

/* The graph loaded from a store takes the room its records and relations
 * need, not a capacity rounded up to the next power of two (at national
 * scale that left up to half of each array unused: 18 MB of edges for 13),
 * and a write after the load grows it by a part, not by doubling. */
static void test_relation_graph_sized_to_fit(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "is-%d", i);
        json_decref(make_system(f, id, "org-1"));
    }
    for (int i = 0; i < 10; i++) {
        char id[16], a[16], b[16];
        snprintf(id, sizeof id, "rel-%d", i);
        snprintf(a, sizeof a, "is-%d", i);
        snprintf(b, sizeof b, "is-%d", i + 1);
        relate(f, f->reg, id, a, b);
    }
    struct relidx *g = relidx_new();
    struct err e = ERR_INIT;
    assert_int_equal(relidx_load_now(g, store_conn(f->store), &e), 0);
    size_t nodes, edges, bytes;
    relidx_size(g, &nodes, &edges, &bytes);
    assert_int_equal(nodes, 21);
    assert_int_equal(edges, 10);
    /* the id tables' first size (1,024 slots each) and about 100 bytes a
     * record; a capacity of 1,024 nodes and edges took 66 kB */
    assert_true(bytes < 2 * 1024 * 4 + 31 * 100);
    size_t loaded = bytes;
    relidx_set_node(g, "is-new", "information_system", 40, true);
    relidx_set_edge(g, 41, "rel-new", "uses", "is-new", "is-0", NULL, true);
    relidx_size(g, &nodes, &edges, &bytes);
    assert_int_equal(nodes, 22);
    assert_int_equal(edges, 11);
    assert_true(bytes < loaded + loaded / 2);
    relidx_free(g);
}

static bool only_uses(void *ctx, uint32_t rid, const char *type)
{
    (void)ctx;
    (void)rid;
    return strcmp(type, "uses") == 0;
}

/* The graph itself: edges replaced and removed, ends not known as records
 * (not live), hits node by node as asked, each node's in the order of the
 * relations' row ids. */
static void test_relation_graph_edges(void **state)
{
    (void)state;
    struct relidx *g = relidx_new();
    relidx_set_node(g, "a", "information_system", 1, true);
    relidx_set_node(g, "b", "information_system", 2, true);
    relidx_set_edge(g, 9, "r9", "uses", "a", "b", ":public", true);
    relidx_set_edge(g, 5, "r5", "runs_on", "a", "x", NULL, true); /* x: no such record */
    relidx_set_edge(g, 7, "r7", "uses", "b", "a", ":none", true);
    struct arena *ar = arena_new();
    struct relidx_hit *h;
    const char *from[] = {"a", "b"};
    assert_int_equal(relidx_hits(g, ar, from, 2, true, NULL, NULL, &h), 3);
    assert_string_equal(h[0].id, "r5");
    assert_false(h[0].other_live);
    assert_null(h[0].visible);
    assert_string_equal(h[1].id, "r9");
    assert_string_equal(h[1].visible, ":public");
    assert_string_equal(h[2].id, "r7");
    assert_string_equal(h[2].from, "b");
    assert_string_equal(h[2].other, "a");
    assert_string_equal(h[2].other_kind, "information_system");
    assert_int_equal(h[2].other_rid, 1);
    assert_true(h[2].other_live);
    /* what the walk does not want is left out */
    assert_int_equal(relidx_hits(g, ar, from, 2, true, only_uses, NULL, &h), 2);
    assert_string_equal(h[0].id, "r9");
    assert_string_equal(h[1].id, "r7");
    relidx_set_edge(g, 9, "r9", "uses", "b", "a", ":public", true); /* reversed */
    relidx_set_edge(g, 5, "r5", "runs_on", "a", "x", NULL, false);  /* retired */
    relidx_set_node(g, "b", "information_system", 2, false);         /* retired */
    assert_int_equal(relidx_hits(g, ar, from, 1, true, NULL, NULL, &h), 0);
    assert_int_equal(relidx_hits(g, ar, from, 1, false, NULL, NULL, &h), 2);
    assert_string_equal(h[0].id, "r7");
    assert_false(h[0].other_live);
    assert_string_equal(h[1].id, "r9");
    size_t nodes, edges, bytes;
    relidx_size(g, &nodes, &edges, &bytes);
    assert_int_equal(nodes, 3);
    assert_int_equal(edges, 2);
    arena_free(ar);
    relidx_free(g);
}

/* Hits are not copied: their ids are the graph's (hits meeting the same
 * record share its pointer), the array alone is in the arena; a caller
 * that keeps them after the graph changes copies them
 * (relidx_hits_copy). */
static void test_relation_graph_hits_borrowed(void **state)
{
    (void)state;
    struct relidx *g = relidx_new();
    relidx_set_node(g, "a", "information_system", 1, true);
    relidx_set_node(g, "b", "information_system", 2, true);
    relidx_set_node(g, "c", "information_system", 3, true);
    relidx_set_edge(g, 6, "r6", "uses", "a", "c", NULL, true);
    relidx_set_edge(g, 4, "r4", "uses", "b", "c", NULL, true);
    relidx_set_edge(g, 5, "r5", "uses", "a", "b", NULL, true);
    struct arena *ar = arena_new();
    struct relidx_hit *h;
    const char *from[] = {"b", "a"};
    size_t used = arena_used(ar);
    assert_int_equal(relidx_hits(g, ar, from, 2, true, NULL, NULL, &h), 3);
    assert_true(arena_used(ar) - used <= 64 * sizeof *h); /* the array only */
    assert_string_equal(h[0].id, "r4");
    assert_ptr_equal(h[0].from, from[0]);
    assert_string_equal(h[1].id, "r5");
    assert_string_equal(h[2].id, "r6");
    assert_string_equal(h[2].other, "c");
    assert_ptr_equal(h[0].other, h[2].other); /* c, once in the graph */
    relidx_hits_copy(ar, h, 3);
    assert_ptr_not_equal(h[0].other, h[2].other);
    relidx_free(g); /* the copies outlive the graph */
    assert_string_equal(h[0].id, "r4");
    assert_string_equal(h[0].other, "c");
    assert_string_equal(h[1].other, "b");
    assert_string_equal(h[2].id, "r6");
    arena_free(ar);
}

/* REQ: X-AUD-01 */
static void test_export_import_roundtrip_and_check(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "is-1", "org-1"));
    json_decref(make_system(f, "is-2", "org-1"));
    json_decref(create(f, "relations",
                       "{\"type\":\"exchanges_data_with\",\"source\":\"is-1\",\"target\":\"is-2\","
                       "\"data_carried\":\"ИИН\"}",
                       "rel-1"));
    struct err e = ERR_INIT;
    assert_int_equal(registry_retire(f->reg, &f->actor, "objects", "is-2", -1, &e), 0);
    char *report = NULL;
    assert_int_equal(dump_check(f->reg, &report), 0);
    free(report);
    char *first = export_text(f);

    struct fx *g = NULL;
    assert_int_equal(setup((void **)&g), 0);
    FILE *in = fmemopen(first, strlen(first), "r");
    assert_int_equal(dump_import(g->reg, in, &e), 0);
    fclose(in);
    char *second = export_text(g);
    assert_string_equal(first, second);
    assert_int_equal(dump_check(g->reg, &report), 0);
    free(report);
    /* importing again into a non-empty repository is refused */
    in = fmemopen(first, strlen(first), "r");
    assert_int_equal(dump_import(g->reg, in, &e), -1);
    assert_int_equal(e.status, 409);
    fclose(in);
    free(first);
    free(second);
    assert_int_equal(teardown((void **)&g), 0);
}

static void test_check_detects_tampering(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "is-1", "org-1"));
    struct store_conn *c = store_conn(f->store);
    struct err e = ERR_INIT;
    assert_int_equal(store_exec(c, "UPDATE audit SET actor = 'mallory' WHERE seq = 1", &e, 0), 0);
    assert_int_equal(store_exec(c, "DELETE FROM attrs WHERE field = 'objects:stage'", &e, 0), 0);
    char *report = NULL;
    int n = dump_check(f->reg, &report);
    assert_true(n >= 2);
    assert_non_null(strstr(report, "altered"));
    assert_non_null(strstr(report, "filter index"));
    free(report);
}

static void test_failed_import_leaves_nothing(void **state)
{
    struct fx *f = *state;
    struct fx *g = NULL;
    assert_int_equal(setup((void **)&g), 0);
    json_decref(make_org(g, "org-1"));
    char *good = export_text(g);
    assert_int_equal(teardown((void **)&g), 0);
    /* a good export with a broken last line: nothing of it may stay */
    size_t lines = 0;
    for (const char *p = good; *p; p++)
        lines += *p == '\n';
    char *dump = NULL;
    assert_true(asprintf(&dump, "%s{\"record\":{\"id\":\"x\"}}\n", good) > 0);
    FILE *in = fmemopen(dump, strlen(dump), "r");
    struct err e = ERR_INIT;
    assert_int_equal(dump_import(f->reg, in, &e), -1);
    fclose(in);
    char want[32];
    snprintf(want, sizeof want, "line %zu", lines + 1);
    assert_non_null(strstr(e.detail, want));
    assert_int_equal(registry_is_empty(f->reg, &e), 1);
    char *text = export_text(f);
    assert_null(strstr(text, "org-1"));
    free(text);
    free(dump);
    free(good);
}

static void test_list_query_parsing(void **state)
{
    struct fx *f = *state;
    const struct model_collection *coll = model_collection(f->model, "objects");
    struct arena *a = arena_new();
    struct list_query q;
    struct err e = ERR_INIT;
    struct listq_param ok[] = {{"q", "Электрондық ҮКІМЕТ"}, {"filter", "stage:creation"},
                               {"filter", "stage:development"}, {"kind", "information_system"},
                               {"sort", "-updated_at"}, {"limit", "10"}};
    assert_int_equal(listq_parse(a, f->model, coll, ok, 6, NULL, &q, &e), 0);
    assert_int_equal(q.n_words, 2);
    assert_string_equal(q.words[1], "үкімет");
    assert_int_equal(q.n_filters, 2);
    assert_int_equal(q.filters[0].n_values, 2);
    assert_true(q.sort_desc);
    struct listq_param bad[][1] = {{{"limit", "0"}},      {{"limit", "12x"}},
                                   {{"filter", "stage"}}, {{"filter", "nofield:1"}},
                                   {{"sort", "purpose"}}, {{"cursor", "%%%"}},
                                   {{"kind", "organization"}}, {{"owner", "'; --"}}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(listq_parse(a, f->model, coll, bad[i], 1, NULL, &q, &e), -1);
    /* repeated q parameters share one limit on words (found by fuzzing) */
    struct listq_param many[] = {{"q", "a b c d e f g h i j"}, {"q", "k l m n o p q r s t"}};
    assert_int_equal(listq_parse(a, f->model, coll, many, 2, NULL, &q, &e), -1);
    assert_string_equal(e.field, "q");
    /* a cursor made for one sort order is refused for another */
    struct listq_param s1[] = {{"sort", "name"}};
    assert_int_equal(listq_parse(a, f->model, coll, s1, 1, NULL, &q, &e), 0);
    char *cur = listq_cursor_encode(a, &q, "abc", 42);
    struct listq_param s2[] = {{"sort", "id"}, {"cursor", cur}};
    assert_int_equal(listq_parse(a, f->model, coll, s2, 2, NULL, &q, &e), -1);
    assert_string_equal(e.field, "cursor");
    struct listq_param s3[] = {{"sort", "name"}, {"cursor", cur}};
    assert_int_equal(listq_parse(a, f->model, coll, s3, 2, NULL, &q, &e), 0);
    assert_int_equal(q.cursor_rid, 42);
    arena_free(a);
}


/* Lists and facets from the in-memory filter index must equal the SQL
 * path's, for random queries, across pages, and after writes. */
static const char *const STAGES[] = {"creation", "pilot_operation", "industrial_operation",
                                     "development", "termination"};
static const char *const CLASSES[] = {"first", "second", "third"};
static const char *const WORDS[] = {"портал", "шлюз", "тізілім", "registry", "жүйе", "база"};

static void make_random_objects(struct fx *f, unsigned *seed, int n)
{
    for (int i = 0; i < n; i++) {
        char body[768], id[32], cls[48] = "", src[96] = "";
        snprintf(id, sizeof id, "o-%d", i);
        if (rand_r(seed) % 4)
            snprintf(cls, sizeof cls, ",\"class\":\"%s\"", CLASSES[rand_r(seed) % 3]);
        if (rand_r(seed) % 2)
            snprintf(src, sizeof src, ",\"source_code_transferred\":true");
        if (rand_r(seed) % 2) /* a field the memory index does not hold */
            snprintf(src + strlen(src), sizeof src - strlen(src),
                     ",\"commissioning_date\":\"2020-01-%02d\"", 1 + (int)(rand_r(seed) % 28));
        snprintf(body, sizeof body,
                 "{\"kind\":\"%s\",\"owner\":\"org-%d\",\"name\":{\"ru\":\"%s %s %d\","
                 "\"kk\":\"%s\"},\"stage\":\"%s\"%s%s}",
                 rand_r(seed) % 3 ? "information_system" : "state_information_resource",
                 (int)(rand_r(seed) % 4), WORDS[rand_r(seed) % 6], WORDS[rand_r(seed) % 6], i,
                 WORDS[rand_r(seed) % 6], STAGES[rand_r(seed) % 5], cls, src);
        json_decref(create(f, "objects", body, id));
    }
}

static size_t random_query(unsigned *seed, struct listq_param *p, char bufs[][64])
{
    /* the dates: the SQL path even for the indexed registry, which then
     * tests the words by its word index's matches */
    static const char *const sorts[] = {"name",  "-name",  "created_at", "-updated_at",
                                        "id",    "stage",  "-class",     "-id",
                                        "commissioning_date", "-commissioning_date"};
    size_t n = 0;
    if (rand_r(seed) % 3 == 0) {
        snprintf(bufs[n], 64, "stage:%s", STAGES[rand_r(seed) % 5]);
        p[n].key = "filter", p[n].value = bufs[n], n++;
        if (rand_r(seed) % 2) {
            snprintf(bufs[n], 64, "stage:%s", STAGES[rand_r(seed) % 5]);
            p[n].key = "filter", p[n].value = bufs[n], n++;
        }
    }
    if (rand_r(seed) % 3 == 0) {
        snprintf(bufs[n], 64, "class:%s", CLASSES[rand_r(seed) % 3]);
        p[n].key = "filter", p[n].value = bufs[n], n++;
    }
    if (rand_r(seed) % 4 == 0) {
        snprintf(bufs[n], 64, "org-%d", (int)(rand_r(seed) % 4));
        p[n].key = "owner", p[n].value = bufs[n], n++;
    }
    if (rand_r(seed) % 4 == 0)
        p[n].key = "kind", p[n].value = "information_system", n++;
    if (rand_r(seed) % 3 == 0) {
        const char *w = WORDS[rand_r(seed) % 6];
        snprintf(bufs[n], 64, "%.*s", (int)(strlen(w) > 6 ? 6 : strlen(w)), w);
        p[n].key = "q", p[n].value = bufs[n], n++;
    }
    p[n].key = "sort", p[n].value = sorts[rand_r(seed) % 10], n++;
    snprintf(bufs[n], 64, "%d", 1 + (int)(rand_r(seed) % 40));
    p[n].key = "limit", p[n].value = bufs[n], n++;
    return n;
}

static void compare_paths(struct fx *f, struct registry *mem, unsigned *seed, int queries)
{
    const struct model_collection *coll = model_collection(f->model, "objects");
    for (int qi = 0; qi < queries; qi++) {
        struct listq_param p[12];
        char bufs[12][64];
        size_t n = random_query(seed, p, bufs);
        char *cursor = NULL;
        for (int page = 0; page < 50; page++) {
            struct arena *a = arena_new();
            struct listq_param pc[13];
            memcpy(pc, p, n * sizeof *p);
            size_t m = n;
            if (cursor)
                pc[m].key = "cursor", pc[m].value = cursor, m++;
            struct list_query q;
            struct err e = ERR_INIT;
            assert_int_equal(listq_parse(a, f->model, coll, pc, m, NULL, &q, &e), 0);
            json_t *x = NULL, *y = NULL;
            assert_int_equal(registry_list(f->reg, a, &q, &x, &e), 0);
            assert_int_equal(registry_list(mem, a, &q, &y, &e), 0);
            if (!json_equal(x, y)) {
                char *sx = json_dumps(x, JSON_COMPACT), *sy = json_dumps(y, JSON_COMPACT);
                fail_msg("query %d page %d differs:\nsql %.600s\nmem %.600s", qi, page, sx, sy);
            }
            json_t *fx1 = NULL, *fx2 = NULL;
            const char *field = (qi % 3 == 0) ? "stage" : (qi % 3 == 1) ? "kind" : "owner";
            assert_int_equal(registry_facets(f->reg, a, &q, field, &fx1, &e), 0);
            assert_int_equal(registry_facets(mem, a, &q, field, &fx2, &e), 0);
            assert_true(json_equal(fx1, fx2));
            json_decref(fx1);
            json_decref(fx2);
            /* several fields at once answer as one at a time */
            static const char *const many[] = {"stage", "kind", "owner", "class", "placement"};
            json_t *fm[5];
            assert_int_equal(registry_facets_many(mem, a, &q, many, 5, fm, &e), 0);
            for (size_t k = 0; k < 5; k++) {
                assert_int_equal(registry_facets(f->reg, a, &q, many[k], &fx1, &e), 0);
                if (!json_equal(fx1, fm[k])) {
                    char *s1 = json_dumps(fx1, JSON_COMPACT), *s2 = json_dumps(fm[k], JSON_COMPACT);
                    fail_msg("facet %s of query %d differs:\nsql %.600s\nmany %.600s", many[k], qi,
                             s1, s2);
                }
                json_decref(fx1);
                json_decref(fm[k]);
            }
            const char *next = json_string_value(json_object_get(x, "next_cursor"));
            free(cursor);
            cursor = next ? strdup(next) : NULL;
            json_decref(x);
            json_decref(y);
            arena_free(a);
            if (!cursor)
                break;
        }
        free(cursor);
    }
}

/* The in-memory filter and word indexes answer every list, total and
 * facet exactly as SQL does, also after writes. REQ: REG-01 */
/* One write of the feed test: a patch (a stage, maybe a name: new words),
 * a retirement or a new record, through node `reg`. */
static void feed_write(struct fx *f, struct registry *reg, unsigned *seed, int i)
{
    struct err e = ERR_INIT;
    char id[32];
    snprintf(id, sizeof id, "o-%d", (int)(rand_r(seed) % 120));
    json_t *out = NULL;
    if (i % 7 == 0) {
        registry_retire(reg, &f->actor, "objects", id, -1, &e); /* may be retired already */
    } else if (i % 5 == 0) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"kind\":\"information_system\",\"owner\":\"org-%d\",\"name\":{\"ru\":"
                 "\"%s узел %d\"},\"stage\":\"%s\"}",
                 i % 4, WORDS[rand_r(seed) % 6], i, STAGES[rand_r(seed) % 5]);
        json_t *in = json_loads(body, 0, NULL);
        assert_int_equal(registry_create(reg, &f->actor, "objects", in, NULL, &out, &e), 0);
        json_decref(in);
    } else {
        json_t *patch = json_pack("{s:s}", "stage", STAGES[rand_r(seed) % 5]);
        if (i % 3 == 1)
            json_object_set_new(patch, "name", json_pack("{s:s}", "ru", WORDS[rand_r(seed) % 6]));
        registry_patch(reg, &f->actor, "objects", id, -1, patch, &out, &e); /* may be retired */
        json_decref(patch);
    }
    json_decref(out);
}

struct feed_writer {
    struct fx *f;
    struct registry *reg;
    unsigned seed;
    int from;
};

static void *feed_writer_main(void *arg)
{
    struct feed_writer *w = arg;
    for (int i = w->from; i < w->from + 40; i++)
        feed_write(w->f, w->reg, &w->seed, i);
    return NULL;
}

/* Two nodes on one PostgreSQL database, each with its memory indexes:
 * each applies the other's writes from the change feed, in the commits'
 * order, so that both answer lists, facets and words as SQL does, after
 * writes taking turns and writes at once; the thread that follows the
 * feed applies a write of the other node by itself, notified. */
static void test_change_feed_between_nodes(void **state)
{
    struct fx *f = *state;
    assert_true(store_shared(f->store)); /* (run on PostgreSQL only: main) */
    unsigned seed = 777;
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "org-%d", i);
        json_decref(make_org(f, id));
    }
    make_random_objects(f, &seed, 120);
    struct err e = ERR_INIT;
    struct store *s2 = NULL;
    struct store_options so = {.busy_timeout_ms = 10000};
    assert_int_equal(store_open(f->url, &so, &s2, &e), 0);
    assert_int_equal(store_analyze(f->store, &e), 0);
    struct registry *a = registry_new(f->store, f->model), *b = registry_new(s2, f->model);
    assert_int_equal(registry_enable_filter_index(a, &e), 0);
    assert_int_equal(registry_enable_filter_index(b, &e), 0);
    /* taking turns: each write on one node, the other told at once */
    for (int i = 0; i < 40; i++)
        feed_write(f, i % 2 ? b : a, &seed, i);
    assert_int_equal(registry_feed_catch_up(a, &e), 0);
    assert_int_equal(registry_feed_catch_up(b, &e), 0);
    compare_paths(f, a, &seed, 15);
    compare_paths(f, b, &seed, 15);
    int64_t seq_a, seq_b;
    uint64_t from_a = registry_feed_applied(b, &seq_b), from_b = registry_feed_applied(a, &seq_a);
    assert_true(from_a >= 15 && from_b >= 15); /* the other's (some patches named retired ones) */
    assert_int_equal(seq_a, seq_b);
    /* at once, from two threads */
    struct feed_writer w[2] = {{f, a, 11, 100}, {f, b, 22, 200}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, feed_writer_main, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(registry_feed_catch_up(a, &e), 0);
    assert_int_equal(registry_feed_catch_up(b, &e), 0);
    compare_paths(f, a, &seed, 15);
    compare_paths(f, b, &seed, 15);
    /* one more on a: b's thread applies it, notified, without being asked */
    registry_feed_applied(b, &seq_b);
    feed_write(f, a, &seed, 5);
    registry_feed_applied(a, &seq_a);
    for (int ms = 0; ms < 10000 && seq_b < seq_a; ms += 10) { /* loaded CI: generous */
        usleep(10000);
        registry_feed_applied(b, &seq_b);
    }
    assert_int_equal(seq_b, seq_a);
    compare_paths(f, b, &seed, 5);
    registry_free(b);
    registry_free(a);
    store_close(s2);
}

static void test_memory_index_matches_sql(void **state)
{
    struct fx *f = *state;
    unsigned seed = 12345;
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "org-%d", i);
        json_decref(make_org(f, id));
    }
    make_random_objects(f, &seed, 420); /* over MEM_SORT_MAX: pages walk too */
    struct registry *mem = registry_new(f->store, f->model);
    struct err e = ERR_INIT;
    /* as serve does after a bulk load: the planner's statistics (without
     * them PostgreSQL plans these lists as over empty tables) */
    assert_int_equal(store_analyze(f->store, &e), 0);
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    compare_paths(f, mem, &seed, 150);
    /* writes through the indexed registry keep its index exact */
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "o-%d", (int)(rand_r(&seed) % 420));
        json_t *patch = json_pack("{s:s}", "stage", STAGES[rand_r(&seed) % 5]);
        if (i % 3 == 1) /* new words: the word index follows */
            json_object_set_new(patch, "name",
                                json_pack("{s:s}", "ru", WORDS[rand_r(&seed) % 6]));
        json_t *out = NULL;
        if (i % 5 == 0)
            registry_retire(mem, &f->actor, "objects", id, -1, &e); /* may be retired already */
        else if (registry_patch(mem, &f->actor, "objects", id, -1, patch, &out, &e) == 0)
            json_decref(out);
        json_decref(patch);
    }
    /* new records through the indexed registry are found by their words */
    for (int i = 0; i < 20; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"kind\":\"information_system\",\"owner\":\"org-1\",\"name\":{\"ru\":"
                 "\"%s новый %d\"},\"stage\":\"%s\"}",
                 WORDS[rand_r(&seed) % 6], i, STAGES[rand_r(&seed) % 5]);
        json_t *in = json_loads(body, 0, NULL), *made = NULL;
        assert_non_null(in);
        assert_int_equal(registry_create(mem, &f->actor, "objects", in, NULL, &made, &e), 0);
        json_decref(in);
        json_decref(made);
    }
    /* a refused write leaves the index as it was */
    json_t *bad = json_pack("{s:s}", "stage", "flying");
    json_t *out = NULL;
    assert_int_equal(registry_patch(mem, &f->actor, "objects", "o-1", -1, bad, &out, &e), -1);
    json_decref(bad);
    compare_paths(f, mem, &seed, 150);
    registry_free(mem);
}

/* Sets a record's workflow status (as a verifier's decision would). */
static int set_status(void *ctx, struct store_conn *c, const json_t *cur, json_t *next,
                      struct err *e)
{
    json_object_set_new(next, "status", json_string(ctx));
    return 0;
}

static void set_record_status(struct fx *f, struct registry *r, const char *id, const char *status)
{
    struct err e = ERR_INIT;
    struct store_conn *c = registry_write_enter(r, &e);
    assert_non_null(c);
    json_t *out = NULL;
    int rc = registry_transition(r, c, &f->actor, "objects", id, -1, "test", set_status,
                                 (void *)status, &out, &e);
    json_decref(out);
    assert_int_equal(registry_write_leave(r, c, rc, &e), 0);
    assert_int_equal(rc, 0);
}

/* The other ends of the links registry_links gave, space-separated
 * (static buffer). */
static const char *link_ends(const struct registry_link *l, long n)
{
    static char out[256];
    size_t k = 0;
    out[0] = '\0';
    for (long i = 0; i < n; i++)
        k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", k ? " " : "", l[i].other);
    return out;
}

/* Many records' relations of one type at once, from the graph in memory
 * (what the capability map reads): only those whose other end is live and
 * that the reader may read, also after a write; and a field's value as
 * the filter index holds it. */
static void test_links_from_memory(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "is-%d", i);
        json_decref(make_system(f, id, "org-1"));
    }
    set_record_status(f, f->reg, "is-0", "registered");
    set_record_status(f, f->reg, "is-1", "registered");
    relate(f, f->reg, "rel-a", "is-0", "is-1");
    relate(f, f->reg, "rel-b", "is-0", "is-2"); /* is-2 unpublished */
    relate(f, f->reg, "rel-c", "is-3", "is-0");
    struct registry *mem = registry_new(f->store, f->model);
    struct err e = ERR_INIT;
    struct arena *ar = arena_new();
    const char *from[] = {"is-0"};
    struct registry_link *l;
    /* without the index the caller asks the store */
    assert_int_equal(registry_links(mem, &f->actor, ar, "exchanges_data_with", true, from, 1, &l),
                     -1);
    assert_int_equal(registry_field_has(mem, "objects", "stage", "creation", 1), -1);
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    long n = registry_links(mem, &f->actor, ar, "exchanges_data_with", true, from, 1, &l);
    assert_string_equal(link_ends(l, n), "is-1 is-2");
    assert_string_equal(l[0].from, "is-0");
    assert_string_equal(l[0].other_kind, "information_system");
    uint32_t rid2 = l[1].other_rid;
    n = registry_links(mem, &f->actor, ar, "exchanges_data_with", false, from, 1, &l);
    assert_string_equal(link_ends(l, n), "is-3");
    assert_int_equal(registry_links(mem, &f->actor, ar, "automates", true, from, 1, &l), 0);
    /* the public reads no relation to an unpublished record */
    struct actor pub = ACTOR_ANONYMOUS;
    n = registry_links(mem, &pub, ar, "exchanges_data_with", true, from, 1, &l);
    assert_string_equal(link_ends(l, n), "is-1");
    /* the links are the caller's: a write that grows the graph after
     * leaves them as they were */
    struct registry_link *before;
    long n_before = registry_links(mem, &f->actor, ar, "exchanges_data_with", true, from, 1,
                                   &before);
    relate(f, mem, "rel-grown-with-a-long-id-1", "is-1", "is-3");
    relate(f, mem, "rel-grown-with-a-long-id-2", "is-2", "is-3");
    assert_string_equal(link_ends(before, n_before), "is-1 is-2");
    assert_string_equal(before[0].from, "is-0");
    /* the next step from the ends' nodes as the first met them, after a
     * write that added nodes (is-4 and its relation): the same links as
     * from their ids; a node unknown (0) is looked up by its id */
    struct registry *was = f->reg;
    f->reg = mem; /* created through the registry whose graph it grows */
    json_decref(make_system(f, "is-4", "org-1"));
    f->reg = was;
    relate(f, mem, "rel-grown-3", "is-2", "is-4");
    const char *ends[] = {before[0].other, before[1].other, "is-0"};
    uint32_t nodes[] = {before[0].other_node, before[1].other_node, 0};
    assert_true(nodes[0] > 0 && nodes[1] > 0 && nodes[0] != nodes[1]);
    struct registry_link *by_id, *by_node;
    long n_id = registry_links(mem, &f->actor, ar, "exchanges_data_with", true, ends, 3, &by_id);
    long n_node = registry_links_of(mem, &f->actor, ar, "exchanges_data_with", true, nodes, ends, 3,
                                    &by_node);
    assert_string_equal(link_ends(by_id, n_id), "is-3 is-3 is-4 is-1 is-2");
    assert_string_equal(link_ends(by_node, n_node), "is-3 is-3 is-4 is-1 is-2");
    assert_int_equal(n_node, n_id);
    for (long i = 0; i < n_node; i++) {
        assert_ptr_equal(by_node[i].from, by_id[i].from);
        assert_int_equal(by_node[i].other_node, by_id[i].other_node);
    }
    n = registry_links_of(mem, &pub, ar, "exchanges_data_with", true, nodes, ends, 3, &l);
    assert_string_equal(link_ends(l, n), "is-1");
    /* a retired end leaves */
    assert_int_equal(registry_retire(mem, &f->actor, "objects", "is-1", -1, &e), 0);
    n = registry_links(mem, &f->actor, ar, "exchanges_data_with", true, from, 1, &l);
    assert_string_equal(link_ends(l, n), "is-2");
    /* a field the index holds, before and after a write */
    assert_int_equal(registry_field_has(mem, "objects", "stage", "creation", rid2), 1);
    assert_int_equal(registry_field_has(mem, "objects", "stage", "development", rid2), 0);
    json_t *patch = json_pack("{s:s}", "stage", "development"), *out = NULL;
    assert_int_equal(registry_patch(mem, &f->actor, "objects", "is-2", -1, patch, &out, &e), 0);
    json_decref(patch);
    json_decref(out);
    assert_int_equal(registry_field_has(mem, "objects", "stage", "creation", rid2), 0);
    assert_int_equal(registry_field_has(mem, "objects", "stage", "development", rid2), 1);
    assert_int_equal(registry_field_has(mem, "objects", "name", "x", rid2), -1);
    arena_free(ar);
    registry_free(mem);
}

static struct actor actor_of(const struct rights *rights, const char *role, const char *org)
{
    struct actor a = ACTOR_ANONYMOUS;
    if (role) {
        snprintf(a.id, sizeof a.id, "user:u-%s", role);
        snprintf(a.user, sizeof a.user, "u-%s", role);
        snprintf(a.org, sizeof a.org, "%s", org);
        a.roles = 1u << rights_role_index(rights, role);
        a.read_only = false;
    }
    return a;
}

/* What the actor should see of a relation, from its ends' stored state:
 * registered ends are public, the others their organisation's (owners'
 * read-unpublished) or the integrator's. */
static bool expect_visible(struct fx *f, const struct actor *a, const json_t *rel)
{
    static const char *const ends[] = {"source", "target"};
    for (size_t i = 0; i < 2; i++) {
        json_t *end = NULL;
        struct err e = ERR_INIT;
        assert_int_equal(registry_get_visible(f->reg, &f->actor, NULL,
                                              json_string_value(json_object_get(rel, ends[i])),
                                              &end, &e),
                         0);
        const char *status = json_string_value(json_object_get(end, "status"));
        const char *owner = json_string_value(json_object_get(end, "owner"));
        bool ok = strcmp(status, "registered") == 0 ||
                  strcmp(a->id, "user:u-integrator-verifier") == 0 ||
                  (a->org[0] && strcmp(owner, a->org) == 0);
        json_decref(end);
        if (!ok)
            return false;
    }
    return true;
}

/* The relations an actor lists (every page) and their facet of types, by
 * both paths: the SQL one and the memory index's. */
static void check_relations_for(struct fx *f, struct registry *mem, const struct actor *a,
                                const char *q)
{
    const struct model_collection *coll = model_collection(f->model, "relations");
    struct arena *ar = arena_new();
    struct listq_param p[] = {{"limit", "500"}, {"q", q}};
    struct list_query lq;
    struct err e = ERR_INIT;
    assert_int_equal(listq_parse(ar, f->model, coll, p, q ? 2 : 1, NULL, &lq, &e), 0);
    assert_int_equal(registry_scope_list(f->reg, a, &lq, &e), 0);
    json_t *x = NULL, *y = NULL, *fx1 = NULL, *fx2 = NULL;
    assert_int_equal(registry_list(f->reg, ar, &lq, &x, &e), 0);
    assert_int_equal(registry_list(mem, ar, &lq, &y, &e), 0);
    assert_true(json_equal(x, y));
    assert_int_equal(registry_facets(f->reg, ar, &lq, "kind", &fx1, &e), 0);
    assert_int_equal(registry_facets(mem, ar, &lq, "kind", &fx2, &e), 0);
    assert_true(json_equal(fx1, fx2));
    /* exactly the live relations whose ends it may read */
    json_t *all = NULL;
    struct list_query every;
    assert_int_equal(listq_parse(ar, f->model, coll, p, q ? 2 : 1, NULL, &every, &e), 0);
    assert_int_equal(registry_list(f->reg, ar, &every, &all, &e), 0);
    size_t want = 0, i, j;
    json_t *rel, *item;
    json_array_foreach (json_object_get(all, "items"), i, rel) {
        bool expected = expect_visible(f, a, rel), listed = false;
        json_array_foreach (json_object_get(x, "items"), j, item)
            listed = listed || json_equal(json_object_get(item, "id"), json_object_get(rel, "id"));
        if (expected != listed)
            fail_msg("%s: relation %s expected %d, listed %d", a->id,
                     json_string_value(json_object_get(rel, "id")), expected, listed);
        assert_true(registry_may_read(f->reg, a, rel) == expected);
        want += expected;
    }
    assert_int_equal(json_integer_value(json_object_get(x, "total")), want);
    json_int_t counted = 0;
    json_array_foreach (json_object_get(fx1, "values"), i, item)
        counted += json_integer_value(json_object_get(item, "count"));
    assert_int_equal(counted, want);
    json_decref(all);
    json_decref(x);
    json_decref(y);
    json_decref(fx1);
    json_decref(fx2);
    arena_free(ar);
}

/* A relation is listed, counted, found and faceted for those who may read
 * both of its ends, by the memory index as by SQL, and follows its ends
 * when they are registered or change organisation. REQ: ROL-05, ACC-03 */
static void test_relations_visible_as_their_ends(void **state)
{
    struct fx *f = *state;
    FILE *fp = fopen(RIGHTS_PATH, "rb");
    assert_non_null(fp);
    static char text[1 << 18]; /* the whole file: the test checks it was */
    size_t len = fread(text, 1, sizeof text, fp);
    assert_true(feof(fp));
    fclose(fp);
    struct rights *rights = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(rights_load(text, len, f->model, &rights, &e), 0);
    registry_set_rights(f->reg, rights);
    unsigned seed = 777;
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "org-%d", i);
        json_decref(make_org(f, id));
    }
    make_random_objects(f, &seed, 60);
    char id[16];
    for (int i = 0; i < 60; i += 3) { /* a third registered */
        snprintf(id, sizeof id, "o-%d", i);
        set_record_status(f, f->reg, id, "registered");
    }
    for (int i = 0; i < 90; i++) { /* relations between random objects */
        char body[256];
        int s = (int)(rand_r(&seed) % 60), t = (int)(rand_r(&seed) % 60);
        if (s == t)
            continue;
        snprintf(body, sizeof body,
                 "{\"type\":\"exchanges_data_with\",\"source\":\"o-%d\",\"target\":\"o-%d\","
                 "\"data_carried\":\"%s\"}",
                 s, t, WORDS[rand_r(&seed) % 6]);
        json_t *in = json_loads(body, 0, NULL), *out = NULL;
        if (registry_create(f->reg, &f->actor, "relations", in, NULL, &out, &e) < 0)
            assert_int_equal(e.status, 409); /* already there */
        json_decref(in);
        json_decref(out);
    }
    /* relations an older version stored have no visibility row: serving
     * starts by giving them one */
    assert_int_equal(store_exec(store_conn(f->store),
                                "DELETE FROM attrs WHERE field = 'relations:_visible' AND rid IN "
                                "(SELECT rid FROM records WHERE rid % 2 = 0)",
                                &e, 0),
                     0);
    struct registry *mem = registry_new(f->store, f->model);
    registry_set_rights(mem, rights);
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    struct actor actors[] = {actor_of(rights, NULL, ""), actor_of(rights, "owner-editor", "org-1"),
                             actor_of(rights, "owner-viewer", "org-2"),
                             actor_of(rights, "integrator-verifier", "org-3")};
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < 4; i++) {
            check_relations_for(f, mem, &actors[i], NULL);
            check_relations_for(f, mem, &actors[i], WORDS[round]);
        }
        /* writes through the indexed registry: ends registered, returned,
         * moved to another organisation; their relations follow */
        for (int i = 0; i < 25; i++) {
            snprintf(id, sizeof id, "o-%d", (int)(rand_r(&seed) % 60));
            if (i % 5 == 4) {
                json_t *patch = json_pack("{s:s}", "owner", i % 2 ? "org-1" : "org-2"), *out = NULL;
                assert_int_equal(registry_patch(mem, &f->actor, "objects", id, -1, patch, &out, &e),
                                 0);
                json_decref(patch);
                json_decref(out);
            } else {
                set_record_status(f, mem, id, i % 3 ? "registered" : "returned");
            }
        }
    }
    char *report = NULL;
    assert_int_equal(dump_check(f->reg, &report), 0); /* the index holds what check expects */
    free(report);
    registry_free(mem);
    registry_set_rights(f->reg, NULL);
    rights_free(rights);
}

static int64_t count_rows(struct fx *f, const char *sql)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(store_conn(f->store), sql, false, &e);
    assert_non_null(st);
    assert_int_equal(store_step(st, &e), STORE_ROW);
    int64_t n = store_col_int64(st, 0);
    store_finalize(st);
    return n;
}

/* The position of record `id` in the objects sorted by `sort` (-1 when it
 * is not among them). */
static int position_in(struct fx *f, struct registry *r, const char *sort, const char *id)
{
    struct arena *a = arena_new();
    struct listq_param p[] = {{"sort", sort}, {"limit", "500"}};
    struct list_query q;
    struct err e = ERR_INIT;
    assert_int_equal(
        listq_parse(a, f->model, model_collection(f->model, "objects"), p, 2, NULL, &q, &e), 0);
    json_t *out = NULL;
    assert_int_equal(registry_list(r, a, &q, &out, &e), 0);
    int at = -1;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(out, "items"), i, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "id")), id) == 0)
            at = (int)i;
    }
    json_decref(out);
    arena_free(a);
    return at;
}

/* An absent enum or boolean field has no row in the attrs table (a write
 * stores fewer rows); the memory index, built from the table, still holds
 * such records under "" and sorts them first, as the SQL path does. Rows
 * an older version stored for them are dropped when the index is enabled.
 * An absent field of many values (a date) keeps its "" row, which SQL
 * sorts walk. REQ: REG-01 */
static void test_absent_few_valued_fields_have_no_rows(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(create(f, "objects",
                       "{\"kind\":\"information_system\",\"owner\":\"org-1\",\"name\":{\"ru\":"
                       "\"Б\"},\"stage\":\"creation\",\"class\":\"second\"}",
                       "with-class"));
    json_decref(create(f, "objects",
                       "{\"kind\":\"information_system\",\"owner\":\"org-1\",\"name\":{\"ru\":"
                       "\"А\"},\"stage\":\"creation\"}",
                       "no-class"));
    assert_int_equal(count_rows(f, "SELECT count(*) FROM attrs WHERE value = '' AND field IN "
                                   "('objects:class', 'objects:placement', "
                                   "'objects:source_code_transferred')"),
                     0);
    assert_true(count_rows(f, "SELECT count(*) FROM attrs WHERE value = '' AND field = "
                              "'objects:commissioning_date'") == 2);
    /* an older version's row for the absent class */
    struct err e = ERR_INIT;
    assert_int_equal(store_exec(store_conn(f->store),
                                "INSERT INTO attrs(field, value, rid) SELECT 'objects:class', "
                                "'', rid FROM records WHERE id = 'no-class'",
                                &e, 0),
                     0);
    struct registry *mem = registry_new(f->store, f->model);
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    assert_int_equal(
        count_rows(f, "SELECT count(*) FROM attrs WHERE value = '' AND field = 'objects:class'"),
        0);
    char *report = NULL;
    assert_int_equal(dump_check(f->reg, &report), 0);
    free(report);
    /* both paths sort the record without a class first, and last when
     * descending */
    assert_int_equal(position_in(f, f->reg, "class", "no-class"), 0);
    assert_int_equal(position_in(f, mem, "class", "no-class"), 0);
    assert_int_equal(position_in(f, f->reg, "-class", "no-class"), 1);
    assert_int_equal(position_in(f, mem, "-class", "no-class"), 1);
    /* a record created through the indexed registry without a class too */
    json_t *in = json_loads("{\"kind\":\"information_system\",\"owner\":\"org-1\","
                            "\"name\":{\"ru\":\"В\"},\"stage\":\"creation\"}",
                            0, NULL),
           *made = NULL;
    assert_int_equal(registry_create(mem, &f->actor, "objects", in, NULL, &made, &e), 0);
    const char *id = json_string_value(json_object_get(made, "id"));
    /* among those without a class, the newest first */
    assert_int_equal(position_in(f, mem, "-class", id), 1);
    assert_int_equal(position_in(f, f->reg, "-class", id), 1);
    assert_int_equal(position_in(f, mem, "-class", "no-class"), 2);
    json_decref(in);
    json_decref(made);
    registry_free(mem);
}

/* The ids of the objects in the order of "name" in lang's alphabet, joined
 * by spaces. */
static char *name_order(struct fx *f, struct registry *r, const char *lang, const char *sort)
{
    struct arena *a = arena_new();
    struct listq_param p[] = {{"sort", sort}, {"limit", "2"}};
    static char ids[256];
    ids[0] = '\0';
    struct list_query q;
    struct err e = ERR_INIT;
    const char *cursor = NULL;
    do { /* two at a time: the cursor carries the key across pages */
        struct listq_param pc[] = {p[0], p[1], {"cursor", cursor}};
        assert_int_equal(listq_parse_lang(a, f->model, model_collection(f->model, "objects"), pc,
                                          cursor ? 3 : 2, NULL, lang, &q, &e),
                         0);
        json_t *out = NULL;
        assert_int_equal(registry_list(r, a, &q, &out, &e), 0);
        size_t i;
        json_t *item;
        json_array_foreach (json_object_get(out, "items"), i, item) {
            strcat(ids, ids[0] ? " " : "");
            strcat(ids, json_string_value(json_object_get(item, "id")));
        }
        const char *next = json_string_value(json_object_get(out, "next_cursor"));
        cursor = next ? arena_strdup(a, next) : NULL;
        json_decref(out);
    } while (cursor);
    arena_free(a);
    return ids;
}

/* Names sort by the alphabet of the language asked for (ICU's collation),
 * not by bytes: Kazakh Ғ after Г and Ұ, Ү after У; Russian with the
 * Kazakh Ә next to А and Cyrillic before Latin; English Ä with A. Through
 * SQL and through the memory index, across cursor pages, and for records
 * stored before the keys existed once they are filled. REQ: X-I18N-01 */
static void test_name_sorts_by_the_language_alphabet(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    static const char *const names[][4] = {
        {"r1", "Ғалым", "Әлем", "Ärger"}, {"r2", "Гүл", "Банк", "zebra"},
        {"r3", "Дом", "Apple", "apple"},  {"r4", "Үй", "Уют", "Home"},
        {"r5", "Ұл", "Сын", "Son"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"kind\":\"information_system\",\"owner\":\"org-1\",\"name\":{\"kk\":\"%s\","
                 "\"ru\":\"%s\",\"en\":\"%s\"},\"stage\":\"creation\"}",
                 names[i][1], names[i][2], names[i][3]);
        json_decref(create(f, "objects", body, names[i][0]));
    }
    struct registry *mem = registry_new(f->store, f->model);
    struct err e = ERR_INIT;
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    for (int pass = 0; pass < 2; pass++) {
        struct registry *regs[] = {f->reg, mem};
        for (size_t i = 0; i < 2; i++) {
            struct registry *r = regs[i];
            /* byte order of the folded name, as before: no language */
            assert_string_equal(name_order(f, r, NULL, "name"), "r3 r2 r5 r4 r1");
            assert_string_equal(name_order(f, r, "kk", "name"), "r2 r1 r3 r5 r4");
            assert_string_equal(name_order(f, r, "ru", "name"), "r1 r2 r5 r4 r3");
            assert_string_equal(name_order(f, r, "en", "name"), "r3 r1 r4 r5 r2");
            assert_string_equal(name_order(f, r, "kk", "-name"), "r4 r5 r3 r1 r2");
        }
        /* as if written before migration 9: the keys are filled once */
        struct store_conn *c = store_conn(f->store);
        assert_int_equal(
            store_execf(c, "UPDATE records SET sort_kk = NULL, sort_ru = NULL, sort_en = NULL", &e,
                        ""),
            0);
        assert_int_equal(registry_fill_sort_keys(f->reg, &e), 0);
        assert_int_equal(count_rows(f, "SELECT count(*) FROM records WHERE sort_kk IS NULL OR "
                                       "sort_ru IS NULL OR sort_en IS NULL"),
                         0);
        registry_free(mem);
        mem = registry_new(f->store, f->model);
        assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    }
    /* the index of each language is what a sorted list walks */
    assert_int_equal(count_rows(f, pgtest_base()
                                       ? "SELECT count(*) FROM pg_indexes WHERE indexname IN "
                                         "('records_list_kk', 'records_list_ru', "
                                         "'records_list_en')"
                                       : "SELECT count(*) FROM sqlite_master WHERE type = "
                                         "'index' AND name IN ('records_list_kk', "
                                         "'records_list_ru', 'records_list_en')"),
                     3);
    registry_free(mem);
}

/* ---- inherited attributes (REQ ARC-06) ------------------------------------ */

static json_t *make_master(struct fx *f, const char *id, const char *kind, const char *base,
                           const char *attr)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"kind\":\"%s\",\"name\":{\"ru\":\"%s\"}%s%s%s,\"attributes\":[{\"name\":\"%s\"}]}",
             kind, id, base ? ",\"base\":\"" : "", base ? base : "", base ? "\"" : "", attr);
    return create(f, "master_data", body, id);
}

/* A signed-in user with no role: master data are read by signed-in users
 * only ("read": "signed-in"). */
static struct actor reader(void)
{
    struct actor a = ACTOR_ANONYMOUS;
    snprintf(a.id, sizeof a.id, "user:u-reader");
    snprintf(a.user, sizeof a.user, "u-reader");
    return a;
}

static json_t *inherited_of(struct fx *f, const struct actor *a, const char *id)
{
    json_t *rec = NULL, *inh = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_get_visible(f->reg, a, NULL, id, &rec, &e), 0);
    assert_int_equal(registry_inherited(f->reg, a, rec, &inh, &e), 0);
    json_decref(rec);
    assert_non_null(inh);
    return inh;
}

/* The attribute names each base gives, as "from:name,name;from:name". */
static char *provenance(const json_t *inh, const char *field)
{
    static char out[512];
    size_t n = 0, i, j;
    const json_t *b, *item;
    out[0] = 0;
    json_array_foreach (json_object_get(inh, field), i, b) {
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s:", i ? ";" : "",
                              json_string_value(json_object_get(b, "from")));
        json_array_foreach (json_object_get(b, "items"), j, item)
            n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", j ? "," : "",
                                  json_string_value(json_object_get(item, "name")));
    }
    return out;
}

/* A type three levels below a subject reads the attributes of every base,
 * nearest first, each with where it comes from; a base's change shows at
 * once below it. REQ: ARC-06 */
static void test_inherited_attributes_at_depth(void **state)
{
    struct fx *f = *state;
    json_decref(make_master(f, "subj", "data_subject", NULL, "iin"));
    json_decref(make_master(f, "t1", "data_type", "subj", "pension"));
    json_decref(make_master(f, "t2", "data_type", "t1", "disability"));
    json_decref(make_master(f, "t3", "data_type", "t2", "group"));
    struct actor rd = reader();
    json_t *inh = inherited_of(f, &rd, "t3");
    assert_string_equal(provenance(inh, "attributes"), "t2:disability;t1:pension;subj:iin");
    json_decref(inh);
    /* the record itself holds only its own attributes */
    char *raw = NULL;
    int64_t rev = 0;
    struct err e = ERR_INIT;
    struct arena *ar = arena_new();
    assert_int_equal(registry_get_raw(f->reg, ar, "master_data", "t3", &raw, &rev, &e), 0);
    assert_null(strstr(raw, "iin"));
    /* the subject gains an attribute: every type below shows it at once */
    json_t *patch = json_loads("{\"attributes\":[{\"name\":\"iin\"},{\"name\":\"birth_date\"}]}", 0,
                               NULL), *out = NULL;
    assert_int_equal(registry_patch(f->reg, &f->actor, "master_data", "subj", 1, patch, &out, &e), 0);
    json_decref(patch);
    json_decref(out);
    inh = inherited_of(f, &rd, "t3");
    assert_string_equal(provenance(inh, "attributes"),
                         "t2:disability;t1:pension;subj:iin,birth_date");
    json_decref(inh);
    inh = inherited_of(f, &rd, "t1");
    assert_string_equal(provenance(inh, "attributes"), "subj:iin,birth_date");
    json_decref(inh);
    /* a subject inherits nothing */
    json_t *rec = NULL;
    assert_int_equal(registry_get_visible(f->reg, &rd, NULL, "subj", &rec, &e), 0);
    assert_int_equal(registry_inherited(f->reg, &rd, rec, &inh, &e), 0);
    assert_null(inh);
    json_decref(rec);
    arena_free(ar);
    /* the public does not see master data at all */
    struct actor pub = ACTOR_ANONYMOUS;
    assert_int_equal(registry_get_visible(f->reg, &pub, NULL, "subj", &rec, &e), -1);
    assert_int_equal(e.status, 404);
}

/* A base that would make the chain come back to the record is refused,
 * naming the field, and changes nothing. REQ: ARC-06 */
static void test_inheritance_cycle_refused(void **state)
{
    struct fx *f = *state;
    json_decref(make_master(f, "subj", "data_subject", NULL, "iin"));
    json_decref(make_master(f, "t1", "data_type", "subj", "pension"));
    json_decref(make_master(f, "t2", "data_type", "t1", "disability"));
    json_decref(make_master(f, "t3", "data_type", "t2", "group"));
    static const char *const bases[] = {"t3", "t2", "t1"};
    for (size_t i = 0; i < 3; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"base\":\"%s\"}", bases[i]);
        json_t *patch = json_loads(body, 0, NULL), *out = NULL;
        struct err e = ERR_INIT;
        assert_int_equal(registry_patch(f->reg, &f->actor, "master_data", "t1", 1, patch, &out, &e),
                         -1);
        json_decref(patch);
        assert_int_equal(e.status, 422);
        assert_string_equal(e.type, "inheritance-cycle");
        assert_string_equal(e.field, "base");
    }
    char *raw = NULL;
    int64_t rev = 0;
    struct err e = ERR_INIT;
    struct arena *ar = arena_new();
    assert_int_equal(registry_get_raw(f->reg, ar, "master_data", "t1", &raw, &rev, &e), 0);
    assert_int_equal(rev, 1);
    assert_non_null(strstr(raw, "\"base\":\"subj\""));
    arena_free(ar);
    /* a record created under a forced id that names itself */
    json_t *body = json_loads("{\"kind\":\"data_type\",\"name\":{\"ru\":\"x\"},\"base\":\"t9\"}", 0,
                              NULL), *out = NULL;
    assert_int_equal(registry_create(f->reg, &f->actor, "master_data", body, "t9", &out, &e), -1);
    json_decref(body);
    assert_int_equal(e.status, 422);
    /* moving t1 onto another subject is no cycle */
    json_decref(make_master(f, "obj", "data_object", NULL, "cadastre"));
    json_t *patch = json_loads("{\"base\":\"obj\"}", 0, NULL);
    assert_int_equal(registry_patch(f->reg, &f->actor, "master_data", "t1", 1, patch, &out, &e), 0);
    json_decref(patch);
    json_decref(out);
}

/* A chain of more than 64 bases is refused on write; one of 64 reads
 * whole. REQ: ARC-06 */
static void test_inheritance_depth_guard(void **state)
{
    struct fx *f = *state;
    json_decref(make_master(f, "t0", "data_subject", NULL, "a0"));
    char id[16], base[16], attr[16];
    for (int i = 1; i <= 64; i++) {
        snprintf(id, sizeof id, "t%d", i);
        snprintf(base, sizeof base, "t%d", i - 1);
        snprintf(attr, sizeof attr, "a%d", i);
        json_decref(make_master(f, id, "data_type", base, attr));
    }
    struct actor rd = reader();
    json_t *inh = inherited_of(f, &rd, "t64");
    json_t *bases = json_object_get(inh, "attributes");
    assert_int_equal(json_array_size(bases), 64);
    assert_string_equal(json_string_value(json_object_get(json_array_get(bases, 63), "from")), "t0");
    json_decref(inh);
    json_t *body = json_loads("{\"kind\":\"data_type\",\"name\":{\"ru\":\"x\"},\"base\":\"t64\"}",
                              0, NULL), *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_create(f->reg, &f->actor, "master_data", body, "t65", &out, &e), -1);
    json_decref(body);
    assert_int_equal(e.status, 422);
    assert_string_equal(e.type, "inheritance-too-deep");
    assert_string_equal(e.field, "base");
    json_t *rec = NULL;
    assert_int_equal(registry_get_visible(f->reg, &rd, NULL, "t65", &rec, &e), -1);
    assert_int_equal(e.status, 404);
}

/* An attribute's reference data and source are references: checked on
 * write, and a referenced record cannot be retired. */
static void test_attribute_references(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "is-1", "org-1"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"reference_data\",\"name\":{\"ru\":\"КАТО\"}}", "kato"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_subject\",\"name\":{\"ru\":\"ФЛ\"},\"attributes\":[{\"name\":"
                       "\"address\",\"reference_data\":\"kato\",\"source\":\"is-1\"}]}",
                       "subj"));
    json_t *body = json_loads("{\"kind\":\"data_subject\",\"name\":{\"ru\":\"ЮЛ\"},\"attributes\":"
                              "[{\"name\":\"address\",\"source\":\"kato\"}]}",
                              0, NULL), *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_create(f->reg, &f->actor, "master_data", body, NULL, &out, &e), -1);
    json_decref(body);
    assert_int_equal(e.status, 422);
    assert_string_equal(e.field, "attributes[0].source");
    assert_int_equal(registry_retire(f->reg, &f->actor, "master_data", "kato", -1, &e), -1);
    assert_int_equal(e.status, 409);
}

/* Writes `patch` to master-data record id (at revision 1) and expects a
 * 422 inherited-item-conflict at `field`, with nothing changed. */
static void expect_conflict(struct fx *f, const char *id, const char *patch_json, const char *field)
{
    json_t *patch = json_loads(patch_json, 0, NULL), *out = NULL;
    assert_non_null(patch);
    struct err e = ERR_INIT;
    assert_int_equal(registry_patch(f->reg, &f->actor, "master_data", id, 1, patch, &out, &e), -1);
    json_decref(patch);
    assert_int_equal(e.status, 422);
    assert_string_equal(e.type, "inherited-item-conflict");
    assert_string_equal(e.field, field);
    char *raw = NULL;
    int64_t rev = 0;
    struct arena *ar = arena_new();
    assert_int_equal(registry_get_raw(f->reg, ar, "master_data", id, &raw, &rev, &e), 0);
    assert_int_equal(rev, 1);
    arena_free(ar);
}

/* One storage source per attribute ("inherits": "key", "fixed"): a type
 * may redeclare an inherited attribute with the same source only; a record
 * may not name an attribute twice with two sources; a base may not take
 * another source for an attribute a type below declares. REQ: ARC-06 */
static void test_one_source_per_attribute(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "gbd", "org-1"));
    json_decref(make_system(f, "other", "org-1"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_subject\",\"name\":{\"ru\":\"ФЛ\"},\"attributes\":["
                       "{\"name\":\"iin\",\"source\":\"gbd\"},{\"name\":\"surname\"}]}",
                       "subj"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_type\",\"name\":{\"ru\":\"П\"},\"base\":\"subj\","
                       "\"attributes\":[{\"name\":\"pension\",\"source\":\"other\"}]}",
                       "t1"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_type\",\"name\":{\"ru\":\"И\"},\"base\":\"t1\","
                       "\"attributes\":[{\"name\":\"group\"},{\"name\":\"iin\",\"source\":"
                       "\"gbd\"}]}",
                       "t2"));
    /* a type two levels down redeclares iin from another source */
    expect_conflict(f, "t2",
                    "{\"attributes\":[{\"name\":\"group\"},{\"name\":\"iin\",\"source\":"
                    "\"other\"}]}",
                    "attributes[1].source");
    /* or with none: still another source than the subject's */
    expect_conflict(f, "t2", "{\"attributes\":[{\"name\":\"iin\"}]}", "attributes[0].source");
    /* twice in one record */
    expect_conflict(f, "subj",
                    "{\"attributes\":[{\"name\":\"iin\",\"source\":\"gbd\"},{\"name\":\"x\"},"
                    "{\"name\":\"iin\",\"source\":\"other\"}]}",
                    "attributes[2].source");
    /* the subject moves iin to another source while t2 below keeps gbd */
    expect_conflict(f, "subj", "{\"attributes\":[{\"name\":\"iin\",\"source\":\"other\"}]}",
                    "attributes[0].source");
    /* the same source again is no second source; a name of its own is free */
    json_t *patch = json_loads("{\"attributes\":[{\"name\":\"iin\",\"source\":\"gbd\"},"
                               "{\"name\":\"pension\",\"source\":\"other\"}]}",
                               0, NULL),
           *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_patch(f->reg, &f->actor, "master_data", "t2", 1, patch, &out, &e), 0);
    json_decref(patch);
    json_decref(out);
}

/* Master data under a capability's function: a subject with sources "gbd"
 * (registered, in operation) and "new" (being created), a type below it
 * with "gbd" and "draft" (unregistered, in operation). */
static void digitisation_fixture(struct fx *f)
{
    json_decref(make_org(f, "org-1"));
    static const char *const systems[] = {"gbd", "draft"};
    for (size_t i = 0; i < 2; i++) {
        char body[320];
        snprintf(body, sizeof body,
                 "{\"kind\":\"information_system\",\"owner\":\"org-1\",\"name\":{\"ru\":"
                 "\"%s\"},\"stage\":\"industrial_operation\",\"commissioning_date\":"
                 "\"2019-01-10\",\"supplier\":\"ТОО\"}",
                 systems[i]);
        json_decref(create(f, "objects", body, systems[i]));
    }
    set_record_status(f, f->reg, "gbd", "registered");
    json_decref(make_system(f, "new", "org-1"));
    json_decref(create(f, "domains", "{\"kind\":\"domain\",\"name\":{\"ru\":\"Д\"}}", "dom"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_subject\",\"name\":{\"ru\":\"ФЛ\"},\"attributes\":["
                       "{\"name\":\"iin\",\"source\":\"gbd\"},{\"name\":\"address\","
                       "\"source\":\"new\"}]}",
                       "subj"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_type\",\"name\":{\"ru\":\"П\"},\"base\":\"subj\","
                       "\"attributes\":[{\"name\":\"pension\",\"source\":\"gbd\"},"
                       "{\"name\":\"group\",\"source\":\"draft\"}]}",
                       "t1"));
    json_decref(create(f, "functions",
                       "{\"kind\":\"state_function\",\"owner\":\"org-1\",\"domain\":\"dom\","
                       "\"name\":{\"ru\":\"Ф\"}}",
                       "fn"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"domain\":\"dom\",\"name\":{\"ru\":\"В\"}}",
                       "cap"));
}

/* registry_digitisation: the master data under a capability, through the
 * functions it groups and the data they access (a type with its bases'
 * attributes), as the reader may read them: a source the reader may not
 * read (an unregistered system of another body) stores nothing for them.
 * REQ: ARC-06, ARC-17 */
static void test_digitisation_of_a_capability(void **state)
{
    struct fx *f = *state;
    digitisation_fixture(f);
    long n = -1, d = -1;
    struct err e = ERR_INIT;
    assert_int_equal(registry_digitisation(f->reg, &f->actor, "cap", &n, &d, &e), 0);
    assert_int_equal(n, 0);
    json_decref(create(f, "relations",
                       "{\"type\":\"accesses\",\"source\":\"fn\",\"target\":\"t1\","
                       "\"access\":\"read\"}",
                       NULL));
    json_decref(
        create(f, "relations", "{\"type\":\"groups\",\"source\":\"cap\",\"target\":\"fn\"}", NULL));
    assert_int_equal(registry_digitisation(f->reg, &f->actor, "cap", &n, &d, &e), 0);
    assert_int_equal(n, 4); /* pension, group, and the subject's iin, address */
    assert_int_equal(d, 3); /* "new" is being created, not in operation */
    /* a reader who may not read the unregistered "draft" */
    struct actor rd = reader();
    assert_int_equal(registry_digitisation(f->reg, &rd, "fn", &n, &d, &e), 0);
    assert_int_equal(n, 4);
    assert_int_equal(d, 2);
    /* the subject: its own and those of the type below it */
    assert_int_equal(registry_digitisation(f->reg, &f->actor, "subj", &n, &d, &e), 0);
    assert_int_equal(n, 4);
    /* a kind without the measure: nothing; a record the public cannot read: 404 */
    assert_int_equal(registry_digitisation(f->reg, &f->actor, "org-1", &n, &d, &e), 0);
    assert_int_equal(n, 0);
    struct actor pub = ACTOR_ANONYMOUS;
    assert_int_equal(registry_digitisation(f->reg, &pub, "cap", &n, &d, &e), -1);
    assert_int_equal(e.status, 404);
}

/* The measure as a serving process takes it: each item's source judged
 * from the memory index (its row id, kind and life from the relations
 * graph, its stage and status from the filter index) instead of reading
 * the source's record, with the same figures for every reader, and the
 * writes shown at once (a source's stage changed, a source registered). */
static void test_digitisation_from_the_memory_index(void **state)
{
    struct fx *f = *state;
    digitisation_fixture(f);
    json_decref(create(f, "relations",
                       "{\"type\":\"accesses\",\"source\":\"fn\",\"target\":\"t1\","
                       "\"access\":\"read\"}",
                       NULL));
    struct registry *mem = registry_new(f->store, f->model);
    struct err e = ERR_INIT;
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    struct actor rd = reader(), pub = ACTOR_ANONYMOUS;
    const struct actor *who[] = {&f->actor, &rd, &pub};
    static const char *const recs[] = {"t1", "subj", "fn"};
    for (size_t step = 0; step < 3; step++) {
        if (step == 1) { /* "new" goes into operation */
            json_t *patch = json_pack("{s:s}", "stage", "pilot_operation"), *out = NULL;
            assert_int_equal(registry_patch(mem, &f->actor, "objects", "new", -1, patch, &out, &e),
                             0);
            json_decref(patch);
            json_decref(out);
        }
        if (step == 2) /* "new" is registered: published, every reader reads it */
            set_record_status(f, mem, "new", "registered");
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++) {
                long n1 = -1, d1 = -1, n2 = -2, d2 = -2;
                int rc1 = registry_digitisation(f->reg, who[i], recs[j], &n1, &d1, &e);
                int rc2 = registry_digitisation(mem, who[i], recs[j], &n2, &d2, &e);
                assert_int_equal(rc1, rc2);
                assert_int_equal(n1, n2);
                assert_int_equal(d1, d2);
            }
    }
    long n = -1, d = -1;
    assert_int_equal(registry_digitisation(mem, &rd, "t1", &n, &d, &e), 0);
    assert_int_equal(n, 4);
    assert_int_equal(d, 3); /* all but "draft", which the reader may not read */
    registry_free(mem);
}

/* One read's computed parts (registry_computed_text: the inherited items
 * and the measures, reading each base once for both) are what each part
 * computed on its own gives, for every reader: the answers kept for a
 * signed-in reader are not the public's (they were: the cache's key had no
 * word of being signed in). */
static void test_computed_parts_of_one_read(void **state)
{
    struct fx *f = *state;
    digitisation_fixture(f);
    struct actor rd = reader(), pub = ACTOR_ANONYMOUS;
    const struct actor *who[] = {&f->actor, &rd, &pub};
    struct arena *ar = arena_new();
    char *json = NULL;
    int64_t rev = 0;
    struct err e = ERR_INIT;
    assert_int_equal(registry_get_raw(f->reg, ar, "master_data", "t1", &json, &rev, &e), 0);
    json_t *rec = json_loads(json, 0, NULL);
    for (size_t i = 0; i < 3; i++) {
        char *inh = NULL, *ms = NULL;
        assert_int_equal(registry_computed_text(f->reg, who[i], "t1", json, &inh, &ms, &e), 0);
        json_t *inh1 = NULL, *ms1 = NULL;
        assert_int_equal(registry_inherited(f->reg, who[i], rec, &inh1, &e), 0);
        assert_int_equal(registry_measures(f->reg, who[i], rec, &ms1, &e), 0);
        char *inh2 = json_dumps(inh1, JSON_COMPACT);
        char *ms2 = json_dumps(ms1, JSON_COMPACT | JSON_REAL_PRECISION(6));
        assert_string_equal(inh, inh2);
        assert_string_equal(ms, ms2);
        /* the subject is for the signed-in: not in the public's answer,
         * which is kept apart from theirs */
        assert_true(!strstr(inh, "\"from\":\"subj\"") == (who[i] == &pub));
        free(inh);
        free(ms);
        free(inh2);
        free(ms2);
        json_decref(inh1);
        json_decref(ms1);
    }
    json_decref(rec);
    arena_free(ar);
}

static bool want_all(void *ctx, const char *field)
{
    (void)ctx;
    (void)field;
    return true;
}

/* A filter index of every field, built from the fixture's store. */
static struct fidx *built_index(struct fx *f)
{
    struct fidx *x = fidx_new();
    struct err e = ERR_INIT;
    assert_int_equal(fidx_build(x, store_conn(f->store), want_all, NULL, NULL, 0, &e), 0);
    return x;
}

/* Moves rid from value `from` to value `to` of field "objects:stage"
 * ("": none) and applies it. */
static void restage(struct fidx *x, struct arena *a, uint32_t rid, const char *from, const char *to)
{
    const char *old[1] = {fidx_key_field(a, "objects:stage", from)};
    const char *now[1] = {fidx_key_field(a, "objects:stage", to)};
    fidx_stage(x, rid, old, from[0] ? 1 : 0, now, to[0] ? 1 : 0);
    fidx_commit(x);
}

/* The code of rid's value of "objects:stage" as the index's codes give
 * it. */
static uint8_t code_at(struct fidx *x, uint32_t rid)
{
    struct fidx_codes c;
    fidx_read_lock(x);
    assert_true(fidx_codes(x, "objects:stage", &c));
    uint8_t code = rid < c.n ? c.codes[rid] : 0;
    fidx_read_unlock(x);
    return code;
}

/* A field's codes by row id (a measure judges a record at one memory read
 * per field) say what the sets say, from when first asked and after
 * writes: a value changed, a second value, a row id past the end, a value
 * left; a field with more values than a code holds has none. */
static void test_filter_index_codes_follow_the_sets(void **state)
{
    struct fidx *x = built_index(*state);
    struct arena *a = arena_new();
    restage(x, a, 5, "", "creation");
    restage(x, a, 7, "", "industrial_operation");
    uint8_t creation = fidx_code(x, a, "objects:stage", "creation");
    uint8_t operation = fidx_code(x, a, "objects:stage", "industrial_operation");
    assert_true(creation && operation && creation != operation);
    assert_int_equal(fidx_code(x, a, "objects:stage", "never"), 0);
    assert_int_equal(code_at(x, 5), creation); /* made now, from the sets */
    assert_int_equal(code_at(x, 7), operation);
    assert_int_equal(code_at(x, 6), 0);
    restage(x, a, 5, "creation", "industrial_operation");
    assert_int_equal(code_at(x, 5), operation);
    restage(x, a, 100000, "", "creation"); /* past the codes made */
    assert_int_equal(code_at(x, 100000), creation);
    restage(x, a, 7, "", "creation"); /* a second value */
    assert_int_equal(code_at(x, 7), FIDX_SEVERAL);
    restage(x, a, 7, "industrial_operation", "");
    assert_int_equal(code_at(x, 7), creation);
    restage(x, a, 100000, "creation", "");
    assert_int_equal(code_at(x, 100000), 0);
    /* too many values for a byte: no codes, the sets answer */
    for (uint32_t i = 0; i < 300; i++) {
        const char *now[1] = {fidx_key_field(a, "objects:name", arena_printf(a, "v%u", i))};
        fidx_stage(x, 10 + i, NULL, 0, now, 1);
    }
    fidx_commit(x);
    struct fidx_codes c;
    fidx_read_lock(x);
    assert_false(fidx_codes(x, "objects:name", &c));
    assert_false(fidx_codes(x, "objects:unknown", &c));
    fidx_read_unlock(x);
    arena_free(a);
    fidx_free(x);
}

/* Moves rid from owner `from` to owner `to` ("": none) and applies it. */
static void reown(struct fidx *x, struct arena *a, uint32_t rid, const char *from, const char *to)
{
    const char *old[1] = {fidx_key_owner(a, from)};
    const char *now[1] = {fidx_key_owner(a, to)};
    fidx_stage(x, rid, old, from[0] ? 1 : 0, now, to[0] ? 1 : 0);
    fidx_commit(x);
}

/* rid's one value of field as fidx_one_value gives it ("" none or several,
 * else the value and its position after a space). */
static const char *one_value(struct fidx *x, const char *field, uint32_t rid)
{
    static char out[160];
    size_t pos = 0;
    fidx_read_lock(x);
    const char *v = fidx_one_value(x, field, rid, &pos);
    if (v)
        snprintf(out, sizeof out, "%s %zu", v, pos);
    else
        out[0] = '\0';
    fidx_read_unlock(x);
    return out;
}

/* A record's one value of a field with any number of values (its owner:
 * a rule's distinct owner reads it for each far end) follows the sets, from
 * when first asked and after writes: a value changed, a second value, a
 * row id past the end, a value left; each value keeps its position. */
static void test_filter_index_one_value_follows_the_sets(void **state)
{
    struct fidx *x = built_index(*state);
    struct arena *a = arena_new();
    for (uint32_t i = 0; i < 400; i++) /* more owners than a byte's codes */
        reown(x, a, 10 + i, "", arena_printf(a, "org-%u", i));
    char want[64];
    const char *got = one_value(x, "owner", 15); /* made now, from the sets */
    size_t pos5 = (size_t)strtoul(strchr(got, ' ') + 1, NULL, 10);
    snprintf(want, sizeof want, "org-5 %zu", pos5);
    assert_string_equal(got, want);
    assert_string_equal(one_value(x, "owner", 9), "");
    got = one_value(x, "owner", 409);
    assert_int_equal(strncmp(got, "org-399 ", 8), 0);
    reown(x, a, 15, "org-5", "org-399"); /* moved: the other's position */
    snprintf(want, sizeof want, "org-399 %s", strchr(got, ' ') + 1);
    assert_string_equal(one_value(x, "owner", 15), want);
    reown(x, a, 200000, "", "org-5"); /* past the words made */
    snprintf(want, sizeof want, "org-5 %zu", pos5);
    assert_string_equal(one_value(x, "owner", 200000), want);
    reown(x, a, 15, "", "org-5"); /* a second value: none told */
    assert_string_equal(one_value(x, "owner", 15), "");
    reown(x, a, 15, "org-399", ""); /* back to one */
    assert_string_equal(one_value(x, "owner", 15), want);
    reown(x, a, 200000, "org-5", "");
    assert_string_equal(one_value(x, "owner", 200000), "");
    /* a field's too, and none of a field the index does not have */
    restage(x, a, 5, "", "creation");
    assert_int_equal(strncmp(one_value(x, "objects:stage", 5), "creation ", 9), 0);
    assert_string_equal(one_value(x, "objects:unknown", 5), "");
    arena_free(a);
    fidx_free(x);
}

/* What a read's inherited items must be, from the bases parsed one by
 * one as the reader may read them (the rule, written again in the test):
 * compact JSON text (malloc'd). */
static char *inherited_oracle(struct fx *f, const struct actor *a, const char *id)
{
    json_t *rec = NULL, *list = json_array();
    struct err e = ERR_INIT;
    assert_int_equal(registry_get_visible(f->reg, a, NULL, id, &rec, &e), 0);
    char base[128];
    snprintf(base, sizeof base, "%s", json_string_value(json_object_get(rec, "base")));
    json_decref(rec);
    while (base[0] && registry_get_visible(f->reg, a, NULL, base, &rec, &e) == 0) {
        json_t *items = json_object_get(rec, "attributes");
        if (json_array_size(items))
            json_array_append_new(list, json_pack("{s:s, s:O}", "from", base, "items", items));
        const char *next = strcmp(json_string_value(json_object_get(rec, "kind")), "data_type")
                               ? NULL
                               : json_string_value(json_object_get(rec, "base"));
        snprintf(base, sizeof base, "%s", next ? next : "");
        json_decref(rec);
    }
    json_t *inh = json_pack("{s:o}", "attributes", list);
    char *text = json_dumps(inh, JSON_COMPACT);
    json_decref(inh);
    return text;
}

/* The digitisation of record id as the walk reaches its records (parsed)
 * and each source read: items and those done. */
static void digitisation_oracle(struct fx *f, const struct actor *a, const char *id, long *n,
                                long *d)
{
    json_t *rec = NULL, *recs = NULL, *r, *item;
    struct err e = ERR_INIT;
    assert_int_equal(registry_get_visible(f->reg, a, NULL, id, &rec, &e), 0);
    const struct model_kind_measure *km = model_kind_measure(
        model_kind(f->model, json_string_value(json_object_get(rec, "kind"))), "digitisation");
    assert_non_null(km);
    assert_int_equal(registry_measure_records(f->reg, a, km, rec, &recs, &e), 0);
    size_t i, j;
    *n = *d = 0;
    json_array_foreach (recs, i, r)
        json_array_foreach (json_object_get(r, "attributes"), j, item) {
            const char *src = json_string_value(json_object_get(item, "source"));
            json_t *s = NULL;
            (*n)++;
            if (src && registry_get_visible(f->reg, a, NULL, src, &s, &e) == 0 &&
                model_cond_holds(&km->measure->done_when, s, registry_today(f->reg)))
                (*d)++;
            json_decref(s);
        }
    json_decref(recs);
    json_decref(rec);
}

/* A read copies its bases' items from their stored text and follows the
 * chain of bases for its measure on the text: the answer is, byte for
 * byte, what the bases parsed give, with names that need escapes, a base
 * without items (then with one, shown at once), for every reader (an
 * unregistered source only some read).
 * REQ: ARC-06, ARC-17 */
static void test_computed_read_as_the_parsed_bases(void **state)
{
    struct fx *f = *state;
    digitisation_fixture(f);
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_type\",\"name\":{\"ru\":\"Пусто\"},\"base\":\"t1\"}",
                       "t2"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_type\",\"name\":{\"ru\":\"Т\"},\"base\":\"t2\","
                       "\"attributes\":[{\"name\":\"q\\\"uote\\\\ \\u04d9/\",\"source\":"
                       "\"gbd\"},{\"name\":\"no source\"},{\"name\":\"x\",\"source\":\"new\"}]}",
                       "t3"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_type\",\"name\":{\"ru\":\"Н\"},\"base\":\"t3\","
                       "\"attributes\":[{\"name\":\"own\",\"source\":\"draft\"}]}",
                       "t4"));
    struct actor rd = reader(), pub = ACTOR_ANONYMOUS;
    const struct actor *who[] = {&f->actor, &rd};
    struct arena *ar = arena_new();
    struct err e = ERR_INIT;
    for (int round = 0; round < 2; round++) {
        if (round == 1) { /* t2 gets an item: shown at once below it */
            json_t *patch = json_loads("{\"attributes\":[{\"name\":\"late\",\"source\":\"gbd\"}]}",
                                       0, NULL),
                   *out = NULL;
            assert_int_equal(
                registry_patch(f->reg, &f->actor, "master_data", "t2", -1, patch, &out, &e), 0);
            json_decref(patch);
            json_decref(out);
        }
        char *raw = NULL;
        int64_t rev = 0;
        assert_int_equal(registry_get_raw(f->reg, ar, "master_data", "t4", &raw, &rev, &e), 0);
        for (size_t i = 0; i < 2; i++) {
            char *inh = NULL, *ms = NULL, *want = inherited_oracle(f, who[i], "t4");
            assert_int_equal(registry_computed_text(f->reg, who[i], "t4", raw, &inh, &ms, &e), 0);
            assert_string_equal(inh, want);
            assert_true(!strstr(inh, "\"from\":\"t2\"") == !round);
            long n, d;
            digitisation_oracle(f, who[i], "t4", &n, &d);
            json_t *m = json_loads(ms, 0, NULL);
            json_t *dg = json_object_get(m, "digitisation");
            assert_int_equal(json_integer_value(json_object_get(dg, "items")), n);
            assert_int_equal(json_integer_value(json_object_get(dg, "done")), d);
            assert_int_equal(n, round ? 9 : 8);
            json_decref(m);
            free(inh);
            free(ms);
            free(want);
        }
    }
    /* the public reads no master data: 404 before any of this */
    assert_int_equal(registry_get_visible(f->reg, &pub, NULL, "t4", &(json_t *){NULL}, &e), -1);
    arena_free(ar);
}

/* A read's check of the stored text without parsing it: a signed-in
 * reader surely reads a record of a kind only the signed-in read (master
 * data) unless a workflow's state says otherwise; the public does not; a
 * relation is judged on its ends (parsed). */
static void test_text_surely_readable(void **state)
{
    struct fx *f = *state;
    digitisation_fixture(f);
    struct actor rd = reader(), pub = ACTOR_ANONYMOUS;
    struct arena *ar = arena_new();
    char *json = NULL;
    int64_t rev = 0;
    struct err e = ERR_INIT;
    assert_int_equal(registry_get_raw(f->reg, ar, "master_data", "t1", &json, &rev, &e), 0);
    assert_true(registry_text_surely_readable(f->reg, &rd, "master_data", json, strlen(json)));
    assert_false(registry_text_surely_readable(f->reg, &pub, "master_data", json, strlen(json)));
    assert_true(
        registry_text_surely_readable(f->reg, &f->actor, "master_data", json, strlen(json)));
    /* an unregistered system of a body: parse it (the reader may not read it) */
    assert_int_equal(registry_get_raw(f->reg, ar, "objects", "draft", &json, &rev, &e), 0);
    assert_false(registry_text_surely_readable(f->reg, &rd, "objects", json, strlen(json)));
    assert_int_equal(registry_get_raw(f->reg, ar, "objects", "gbd", &json, &rev, &e), 0);
    assert_true(registry_text_surely_readable(f->reg, &rd, "objects", json, strlen(json)));
    json_decref(create(f, "relations",
                       "{\"type\":\"accesses\",\"source\":\"fn\",\"target\":\"t1\","
                       "\"access\":\"read\"}",
                       "acc"));
    assert_int_equal(registry_get_raw(f->reg, ar, "relations", "acc", &json, &rev, &e), 0);
    assert_false(registry_text_surely_readable(f->reg, &rd, "relations", json, strlen(json)));
    arena_free(ar);
}

/* Legacy flows (stored before flows named their data types) take the
 * master data whose names their free text gives; the others keep only the
 * text and break the warning rule "a flow names the master data it
 * carries". REQ: ARC-08 */
static void test_legacy_flows_migrate(void **state)
{
    struct fx *f = *state;
    struct err e = ERR_INIT;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "a", "org-1"));
    json_decref(make_system(f, "b", "org-1"));
    json_decref(create(f, "master_data",
                       "{\"kind\":\"data_subject\",\"name\":{\"ru\":\"Физическое лицо\","
                       "\"en\":\"Individual\"}}",
                       "fl"));
    json_decref(
        create(f, "master_data", "{\"kind\":\"data_object\",\"name\":{\"ru\":\"Адрес\"}}", "addr"));
    json_decref(create(f, "relations",
                       "{\"type\":\"exchanges_data_with\",\"source\":\"a\",\"target\":\"b\","
                       "\"data_carried\":\"Сведения: ФИЗИЧЕСКОЕ ЛИЦО и его адрес регистрации\"}",
                       "flow-1"));
    json_decref(create(f, "relations",
                       "{\"type\":\"exchanges_data_with\",\"source\":\"b\",\"target\":\"a\","
                       "\"data_carried\":\"Платежи\"}",
                       "flow-2"));
    assert_int_equal(registry_migrate_fields(f->reg, &e), 0);
    json_t *rec = NULL;
    assert_int_equal(registry_get_visible(f->reg, &f->actor, NULL, "flow-1", &rec, &e), 0);
    json_t *types = json_object_get(rec, "data_types");
    assert_int_equal(json_array_size(types), 2);
    assert_string_equal(json_string_value(json_array_get(types, 0)), "fl");
    assert_string_equal(json_string_value(json_array_get(types, 1)), "addr");
    assert_non_null(strstr(json_string_value(json_object_get(rec, "data_carried")), "ФИЗИЧЕСКОЕ"));
    assert_int_equal(json_integer_value(json_object_get(rec, "revision")), 2);
    json_decref(rec);
    /* the rule flags what no name matched, and only that */
    const struct model_rule *rule = NULL;
    for (size_t r = 0; r < model_n_rules(f->model); r++)
        if (strcmp(model_rule_at(f->model, r)->id, "flow_has_data_types") == 0)
            rule = model_rule_at(f->model, r);
    assert_non_null(rule);
    assert_int_equal(registry_get_visible(f->reg, &f->actor, NULL, "flow-2", &rec, &e), 0);
    assert_null(json_object_get(rec, "data_types"));
    assert_true(model_rule_applies(rule, rec, INT64_MAX / 2));
    assert_int_equal(model_rule_holds(rule, rec, INT64_MAX / 2, NULL, NULL, NULL), 0);
    json_decref(rec);
    assert_int_equal(registry_get_visible(f->reg, &f->actor, NULL, "flow-1", &rec, &e), 0);
    assert_int_equal(model_rule_holds(rule, rec, INT64_MAX / 2, NULL, NULL, NULL), 1);
    json_decref(rec);
    /* run again: nothing more changes */
    assert_int_equal(registry_migrate_fields(f->reg, &e), 0);
    assert_int_equal(registry_get_visible(f->reg, &f->actor, NULL, "flow-1", &rec, &e), 0);
    assert_int_equal(json_integer_value(json_object_get(rec, "revision")), 2);
    json_decref(rec);
}

/* A base the reader may not read (here a draft information system, in a
 * copy of the model where types may also have one as their base) does not
 * exist for them: its attributes are left out. REQ: ARC-06 */
static void test_inherited_only_from_readable_bases(void **state)
{
    struct fx *f = *state;
    json_error_t jerr;
    json_t *doc = json_load_file(MODEL_PATH, 0, &jerr);
    assert_non_null(doc);
    json_t *kinds = json_object_get(doc, "kinds");
    json_t *type_fields = json_object_get(json_object_get(kinds, "data_type"), "fields");
    json_array_append_new(json_object_get(json_array_get(type_fields, 0), "to"),
                          json_string("information_system"));
    json_t *is = json_object_get(kinds, "information_system");
    json_t *inc = json_object_get(is, "include");
    if (!inc)
        json_object_set_new(is, "include", inc = json_array());
    json_array_append_new(inc, json_string("master_data_attributes"));
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    struct model *m = NULL;
    struct err e = ERR_INIT;
    if (model_load_buffer(text, strlen(text), &m, &e) < 0)
        fail_msg("model copy: %s", e.detail);
    free(text);
    struct registry *r = registry_new(f->store, m);
    struct registry *keep = f->reg;
    f->reg = r;
    json_decref(make_org(f, "org-1"));
    json_decref(create(f, "objects",
                       "{\"kind\":\"information_system\",\"owner\":\"org-1\",\"name\":{\"ru\":\"ИС\"},"
                       "\"stage\":\"creation\",\"supplier\":\"ТОО\",\"attributes\":[{\"name\":"
                       "\"draft_only\"}]}",
                       "is-1"));
    json_decref(make_master(f, "t1", "data_type", "is-1", "pension"));
    json_decref(make_master(f, "t2", "data_type", "t1", "disability"));
    struct actor rd = reader();
    json_t *inh = inherited_of(f, &rd, "t2");
    assert_string_equal(provenance(inh, "attributes"), "t1:pension");
    json_decref(inh);
    inh = inherited_of(f, &f->actor, "t2");
    assert_string_equal(provenance(inh, "attributes"), "t1:pension;is-1:draft_only");
    json_decref(inh);
    /* the answers kept until the next write are kept per reader: the
     * system's first, then the public's */
    char *raw = NULL;
    int64_t rev = 0;
    struct arena *ar = arena_new();
    assert_int_equal(registry_get_raw(r, ar, "master_data", "t2", &raw, &rev, &e), 0);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(registry_inherited_text(r, &f->actor, "t2", raw, &text, &e), 0);
        assert_non_null(strstr(text, "draft_only"));
        free(text);
        assert_int_equal(registry_inherited_text(r, &rd, "t2", raw, &text, &e), 0);
        assert_null(strstr(text, "draft_only"));
        assert_non_null(strstr(text, "pension"));
        free(text);
    }
    arena_free(ar);
    /* once registered (published), that reader sees it too */
    set_record_status(f, r, "is-1", "registered");
    inh = inherited_of(f, &rd, "t2");
    assert_string_equal(provenance(inh, "attributes"), "t1:pension;is-1:draft_only");
    json_decref(inh);
    f->reg = keep;
    registry_free(r);
    model_free(m);
}

/* The group of referrers of kind/field/sub ("" none) in a
 * registry_referrers answer, or NULL. */
static const json_t *referrer_group(const json_t *found, const char *kind, const char *field,
                                    const char *sub)
{
    size_t i;
    const json_t *g;
    json_array_foreach (json_object_get(found, "groups"), i, g) {
        const char *gs = json_string_value(json_object_get(g, "sub"));
        if (strcmp(json_string_value(json_object_get(g, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(g, "field")), field) == 0 &&
            strcmp(gs ? gs : "", sub) == 0)
            return g;
    }
    return NULL;
}

/* What a card lists as referring to a record: the records whose ref
 * fields name it, a ref sub-field of a list's items too, grouped by kind
 * and field, each counted once per group however many items name it,
 * listed up to the cap, for readers who may read them; not the owner, not
 * a relation's fields. */
static void test_referrers(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(make_system(f, "is-1", "org-1"));
    json_decref(make_system(f, "is-2", "org-1"));
    json_decref(
        create(f, "master_data",
               "{\"kind\":\"data_subject\",\"name\":{\"ru\":\"ФЛ\"},\"attributes\":["
               "{\"name\":\"ИИН\",\"source\":\"is-1\"},{\"name\":\"ФИО\",\"source\":\"is-1\"}]}",
               "subj"));
    for (int i = 1; i <= 3; i++) {
        char id[8], body[256];
        snprintf(id, sizeof id, "t%d", i);
        snprintf(body, sizeof body,
                 "{\"kind\":\"data_type\",\"base\":\"subj\",\"name\":{\"ru\":\"Тип %d\"},"
                 "\"attributes\":[{\"name\":\"a%d\",\"source\":\"is-1\"}]}",
                 i, i);
        json_decref(create(f, "master_data", body, id));
    }
    json_decref(create(f, "relations",
                       "{\"type\":\"exchanges_data_with\",\"source\":\"is-2\",\"target\":\"is-1\","
                       "\"data_types\":[\"subj\"],\"channel\":\"direct\"}",
                       NULL));
    json_t *found = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_referrers(f->reg, &f->actor, "is-1", 2, &found, &e), 0);
    assert_true(json_is_true(json_object_get(found, "complete")));
    assert_int_equal(json_array_size(json_object_get(found, "groups")), 2);
    const json_t *g = referrer_group(found, "data_subject", "attributes", "source");
    assert_non_null(g);
    assert_int_equal(json_integer_value(json_object_get(g, "count")), 1);
    g = referrer_group(found, "data_type", "attributes", "source");
    assert_non_null(g);
    assert_int_equal(json_integer_value(json_object_get(g, "count")), 3);
    assert_int_equal(json_array_size(json_object_get(g, "items")), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(g, "items"), 0), "id")),
        "t1");
    json_decref(found);
    /* a base by its ref field; the flow that carries it is a relation */
    assert_int_equal(registry_referrers(f->reg, &f->actor, "subj", 0, &found, &e), 0);
    assert_int_equal(json_array_size(json_object_get(found, "groups")), 1);
    g = referrer_group(found, "data_type", "base", "");
    assert_non_null(g);
    assert_int_equal(json_integer_value(json_object_get(g, "count")), 3);
    json_decref(found);
    /* the owner is not a ref field: the organisation's own section shows
     * it; a ref field that names the owner counts */
    assert_int_equal(registry_referrers(f->reg, &f->actor, "org-1", 0, &found, &e), 0);
    assert_int_equal(json_array_size(json_object_get(found, "groups")), 0);
    json_decref(found);
    json_decref(create(f, "objects",
                       "{\"kind\":\"ict_service\",\"owner\":\"org-1\",\"provider\":\"org-1\","
                       "\"name\":{\"ru\":\"Услуга\"},\"service_type\":\"infrastructure_provision\","
                       "\"stage\":\"creation\"}",
                       "svc-1"));
    assert_int_equal(registry_referrers(f->reg, &f->actor, "org-1", 0, &found, &e), 0);
    assert_int_equal(json_array_size(json_object_get(found, "groups")), 1);
    assert_non_null(referrer_group(found, "ict_service", "provider", ""));
    json_decref(found);
    /* master data are read by signed-in users only */
    struct actor anon = ACTOR_ANONYMOUS, rd = reader();
    assert_int_equal(registry_referrers(f->reg, &anon, "is-1", 0, &found, &e), 0);
    assert_int_equal(json_array_size(json_object_get(found, "groups")), 0);
    json_decref(found);
    assert_int_equal(registry_referrers(f->reg, &rd, "is-1", 0, &found, &e), 0);
    assert_int_equal(json_array_size(json_object_get(found, "groups")), 2);
    json_decref(found);
}

/* A map's tree (arch_tree): children after their parent in the records'
 * order, a record without the filter field takes its nearest ancestor's,
 * one whose parent is hidden is a root, a record its own parent is a root,
 * and a loop of parents is shown once, cut where it is met. REQ: ARC-03 */
static void test_map_tree(void **state)
{
    (void)state;
    struct model_map map = {.kind = "cap", .parent = "parent"};
    json_t *recs = json_loads("{\"a\": {\"dom\": \"d1\"}, \"b\": {\"parent\": \"a\"}, "
                              "\"c\": {\"parent\": \"b\"}, \"x\": {\"dom\": \"d2\", \"parent\": \"a\"}, "
                              "\"y\": {\"parent\": \"x\"}, \"s\": {\"parent\": \"s\"}, "
                              "\"l1\": {\"parent\": \"l2\"}, \"l2\": {\"parent\": \"l1\"}}",
                              0, NULL);
    json_t *order = json_pack("[s, s, s, s, s, s, s, s]", "c", "b", "a", "x", "y", "s", "l1", "l2");
    json_t *all = arch_tree(&map, "dom", recs, order, NULL);
    char *text = json_dumps(all, JSON_COMPACT);
    assert_string_equal(
        text, "[{\"id\":\"a\",\"depth\":0,\"parent\":null},{\"id\":\"b\",\"depth\":1,\"parent\":\"a\"},"
              "{\"id\":\"c\",\"depth\":2,\"parent\":\"b\"},{\"id\":\"x\",\"depth\":1,"
              "\"parent\":\"a\"},{\"id\":\"y\",\"depth\":2,\"parent\":\"x\"},{\"id\":\"s\","
              "\"depth\":0,\"parent\":null},{\"id\":\"l1\",\"depth\":0,\"parent\":null},{\"id\":\"l2\",\"depth\":1,"
              "\"parent\":\"l1\"}]");
    free(text);
    json_decref(all);
    /* narrowed to d1: x holds d2, so it and y (its child) are not shown */
    json_t *d1 = arch_tree(&map, "dom", recs, order, "d1");
    text = json_dumps(d1, JSON_COMPACT);
    assert_string_equal(text, "[{\"id\":\"a\",\"depth\":0,\"parent\":null},{\"id\":\"b\",\"depth\":1,"
                              "\"parent\":\"a\"},{\"id\":\"c\",\"depth\":2,\"parent\":\"b\"}]");
    free(text);
    json_decref(d1);
    /* narrowed to d2: x is a root (its parent is not shown), y under it */
    json_t *d2 = arch_tree(&map, "dom", recs, order, "d2");
    text = json_dumps(d2, JSON_COMPACT);
    assert_string_equal(text, "[{\"id\":\"x\",\"depth\":0,\"parent\":null},{\"id\":\"y\",\"depth\":1,"
                              "\"parent\":\"x\"}]");
    free(text);
    json_decref(d2);
    json_decref(order);
    json_decref(recs);
}

static void map_link(struct fx *f, const char *type, const char *src, const char *dst)
{
    char body[256];
    snprintf(body, sizeof body, "{\"type\":\"%s\",\"source\":\"%s\",\"target\":\"%s\"}", type, src,
             dst);
    json_decref(create(f, "relations", body, NULL));
}

/* A map's arrays (arch_map_view_build, what the page draws) say what its
 * JSON (arch_map_build, the API's) says, tile by tile. */
static void view_agrees(const struct arch_map_view *v, const json_t *map)
{
    const json_t *items = json_object_get(map, "items");
    assert_int_equal(v->n, json_array_size(items));
    assert_string_equal(v->measure, json_string_value(json_object_get(map, "measure")));
    assert_true(v->listed == json_is_true(json_object_get(map, "leaves_listed")));
    assert_true(v->max == json_number_value(json_object_get(map, "max")));
    for (size_t t = 0; t < v->n; t++) {
        const struct arch_map_tile *x = &v->tiles[t];
        const json_t *it = json_array_get(items, t);
        assert_string_equal(x->id, json_string_value(json_object_get(it, "id")));
        assert_true(json_equal((json_t *)x->name, json_object_get(it, "name")));
        const char *parent = json_string_value(json_object_get(it, "parent"));
        if (parent)
            assert_string_equal(v->tiles[x->parent].id, parent);
        else
            assert_true(x->parent < 0);
        assert_int_equal(x->depth, json_integer_value(json_object_get(it, "depth")));
        assert_int_equal(x->leaf_count, json_integer_value(json_object_get(it, "leaf_count")));
        assert_int_equal(x->systems, json_integer_value(json_object_get(it, "systems")));
        assert_true(x->has == (json_object_get(it, "value") != NULL));
        if (x->has)
            assert_true(x->value == json_number_value(json_object_get(it, "value")));
        assert_true(json_equal(x->leaves, json_object_get(it, "leaves")) ||
                    (!x->leaves && !json_object_get(it, "leaves")));
        assert_true(json_equal(json_object_get(x->figures, "stages"),
                               json_object_get(it, "stages")) ||
                    !json_object_get(it, "stages"));
        assert_true(json_object_get(it, "stages") == NULL ||
                    json_object_get(x->figures, "stages") != NULL);
    }
}

/* The map as the target and as the difference (REQ ARC-11, ARC-12), from
 * the store and from the graph alike: a decommissioned system drops out
 * of its tiles' counts, a replaced capability out of the target (its child
 * then at depth 0), a developed one is marked, each tile of the
 * difference with its value before; an unknown view is a 400. */
static void test_map_target_and_difference(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(create(f, "capabilities", "{\"kind\":\"capability\",\"name\":{\"ru\":\"Корень\"}}",
                       "cap-r"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"name\":{\"ru\":\"Выплаты\"},\"parent\":\"cap-r\"}",
                       "cap-c"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"name\":{\"ru\":\"Пособия\"},\"parent\":\"cap-c\"}",
                       "cap-g"));
    json_decref(create(f, "domains", "{\"kind\":\"domain\",\"name\":{\"ru\":\"Домен\"}}", "dom-a"));
    json_decref(create(f, "functions",
                       "{\"kind\":\"state_function\",\"name\":{\"ru\":\"Ф\"},\"owner\":\"org-1\","
                       "\"domain\":\"dom-a\"}",
                       "fn-1"));
    json_decref(make_system(f, "is-1", "org-1"));
    json_decref(make_system(f, "is-2", "org-1"));
    map_link(f, "groups", "cap-c", "fn-1");
    map_link(f, "groups", "cap-g", "fn-1");
    map_link(f, "automates", "is-1", "fn-1");
    map_link(f, "automates", "is-2", "fn-1");
    static const char *const inits[][2] = {{"init-1", "decommission"}, {"init-2", "develop"},
                                           {"init-3", "replace"}};
    for (size_t i = 0; i < 3; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"kind\":\"initiative\",\"name\":{\"ru\":\"Инициатива\"},\"owner\":\"org-1\","
                 "\"initiative_type\":\"%s\",\"priority\":\"high\",\"status\":\"planned\"}",
                 inits[i][1]);
        json_decref(create(f, "initiatives", body, inits[i][0]));
    }
    static const char *const affects[][2] = {{"init-1", "is-2"}, {"init-2", "cap-r"},
                                             {"init-3", "cap-c"}};
    for (size_t i = 0; i < 3; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"type\":\"affects\",\"source\":\"%s\",\"target\":\"%s\",\"role\":\"changed\"}",
                 affects[i][0], affects[i][1]);
        json_decref(create(f, "relations", body, NULL));
    }
    struct err e = ERR_INIT;
    struct registry *mem = registry_new(f->store, f->model);
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    const struct model_collection *c = model_collection(f->model, "capabilities");
    struct registry *regs[] = {f->reg, mem};
    for (size_t k = 0; k < 2; k++) {
        json_t *out = NULL;
        assert_int_equal(arch_map_build_view(regs[k], NULL, &f->actor, c, NULL, NULL, "target",
                                             NULL, &out, &e),
                         0);
        assert_string_equal(json_string_value(json_object_get(out, "view")), "target");
        json_t *items = json_object_get(out, "items");
        assert_int_equal(json_array_size(items), 2); /* cap-c replaced: gone */
        json_t *r = json_array_get(items, 0), *g = json_array_get(items, 1);
        assert_string_equal(json_string_value(json_object_get(r, "id")), "cap-r");
        assert_string_equal(json_string_value(json_object_get(g, "id")), "cap-g");
        assert_int_equal(json_integer_value(json_object_get(g, "depth")), 0);
        assert_true(json_is_null(json_object_get(g, "parent")) || !json_object_get(g, "parent"));
        assert_true(json_real_value(json_object_get(g, "value")) == 1); /* is-2 decommissioned */
        assert_true(json_real_value(json_object_get(r, "value")) == 0); /* cap-g no longer under it */
        json_decref(out);
        assert_int_equal(arch_map_build_view(regs[k], NULL, &f->actor, c, NULL, NULL,
                                             "difference", NULL, &out, &e),
                         0);
        items = json_object_get(out, "items");
        assert_int_equal(json_array_size(items), 3);
        static const char *const want[][2] = {{"cap-r", "enhance"}, {"cap-c", "replace"},
                                              {"cap-g", "keep"}};
        static const double before[] = {2, 2, 2}, after[] = {0, -1, 1};
        for (size_t i = 0; i < 3; i++) {
            json_t *x = json_array_get(items, i);
            assert_string_equal(json_string_value(json_object_get(x, "id")), want[i][0]);
            assert_string_equal(json_string_value(json_object_get(x, "effect")), want[i][1]);
            assert_true(json_real_value(json_object_get(x, "before")) == before[i]);
            if (after[i] < 0)
                assert_null(json_object_get(x, "value")); /* removed: none in the target */
            else
                assert_true(json_real_value(json_object_get(x, "value")) == after[i]);
        }
        json_decref(out);
        /* the as-is is as before: no view, no effect */
        assert_int_equal(
            arch_map_build_view(regs[k], NULL, &f->actor, c, NULL, NULL, NULL, NULL, &out, &e), 0);
        assert_null(json_object_get(out, "view"));
        assert_null(json_object_get(json_array_get(json_object_get(out, "items"), 0), "effect"));
        json_decref(out);
        e = (struct err)ERR_INIT;
        assert_int_equal(arch_map_build_view(regs[k], NULL, &f->actor, c, NULL, NULL, "future",
                                             NULL, &out, &e),
                         -1);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.field, "view");
        e = (struct err)ERR_INIT;
    }
    registry_free(mem);
}

/* A compact record (arch_load: what the maps and matrices read of
 * thousands of records) holds the stored record's own values of its
 * members, found in the stored text without parsing it: names with
 * escapes, quotes and non-ASCII letters, in kk, ru, en order whatever the
 * stored order, and the map's fields, absent ones left out. */
static void test_compact_records_are_the_stored_ones(void **state)
{
    struct fx *f = *state;
    json_decref(create(f, "domains", "{\"kind\":\"domain\",\"name\":{\"ru\":\"Д\"}}", "dom-a"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"name\":{\"en\":\"A \\\"quoted\\\" \\\\ name\","
                       "\"ru\":\"Имя «в кавычках» \\u00e9\",\"kk\":\"Қазақша атау\"},\"domain\":\"dom-a\"}",
                       "cap-r"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"name\":{\"ru\":\"Дочь\"},\"parent\":\"cap-r\"}",
                       "cap-c"));
    json_t *compact = json_object(), *order = json_array(), *whole = json_object();
    struct err e = ERR_INIT;
    assert_int_equal(arch_load(f->reg, &f->actor, ARCH_WHERE_COLLECTION, "capabilities", compact,
                               order, &e),
                     0);
    assert_int_equal(json_array_size(order), 2);
    assert_int_equal(arch_load_ids(f->reg, &f->actor, compact, true, whole, NULL, &e), 0);
    const char *id;
    json_t *rec;
    json_object_foreach (compact, id, rec) {
        const json_t *stored = json_object_get(whole, id);
        assert_non_null(stored);
        assert_true(json_equal(json_object_get(rec, "name"), json_object_get(stored, "name")));
        static const char *const keys[] = {"id", "kind", "parent", "domain", "owner"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            const json_t *a = json_object_get(rec, keys[i]), *b = json_object_get(stored, keys[i]);
            assert_true(a ? b && json_equal(a, b) : !b);
        }
        assert_null(json_object_get(rec, "revision")); /* compact: only what the views read */
    }
    /* the languages in the engine's order */
    char *name = json_dumps(json_object_get(json_object_get(compact, "cap-r"), "name"), 0);
    assert_string_equal(name, "{\"kk\": \"Қазақша атау\", \"ru\": \"Имя «в кавычках» é\", "
                              "\"en\": \"A \\\"quoted\\\" \\\\ name\"}");
    free(name);
    json_decref(compact);
    json_decref(order);
    json_decref(whole);
}

/* The capability map is the same whether the relations come from the
 * graph in memory (the server) or from the store (no index built): tiles,
 * leaves with their names, systems under each tile, for each measure of
 * the table, whole and narrowed; and its arrays (the page's) say the same
 * as its JSON (the API's). REQ: ARC-03 */
static void test_map_store_and_graph_agree(void **state)
{
    struct fx *f = *state;
    json_decref(make_org(f, "org-1"));
    json_decref(create(f, "domains", "{\"kind\":\"domain\",\"name\":{\"ru\":\"Домен\"}}", "dom-a"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"name\":{\"ru\":\"Корень\",\"kk\":\"Түбір\"},"
                       "\"domain\":\"dom-a\"}",
                       "cap-r"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"name\":{\"ru\":\"Выплаты\"},\"parent\":\"cap-r\"}",
                       "cap-c"));
    json_decref(create(f, "capabilities",
                       "{\"kind\":\"capability\",\"name\":{\"en\":\"Health\"},\"parent\":\"cap-r\"}",
                       "cap-d"));
    json_decref(create(f, "capabilities", "{\"kind\":\"capability\",\"name\":{\"ru\":\"Другой\"}}",
                       "cap-o"));
    const char *fns[] = {"fn-1", "fn-2", "fn-3"};
    for (size_t i = 0; i < 3; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"kind\":\"state_function\",\"name\":{\"ru\":\"Функция %zu\"},\"owner\":\"org-1\","
                 "\"domain\":\"dom-a\"}",
                 i);
        json_decref(create(f, "functions", body, fns[i]));
    }
    json_decref(make_system(f, "is-1", "org-1"));
    json_decref(make_system(f, "is-2", "org-1"));
    json_t *patch = json_pack("{s:s}", "stage", "industrial_operation"), *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(registry_patch(f->reg, &f->actor, "objects", "is-2", -1, patch, &out, &e), 0);
    json_decref(patch);
    json_decref(out);
    map_link(f, "groups", "cap-c", "fn-1");
    map_link(f, "groups", "cap-c", "fn-2");
    map_link(f, "groups", "cap-d", "fn-3");
    map_link(f, "groups", "cap-o", "fn-3");
    map_link(f, "automates", "is-1", "fn-1");
    map_link(f, "automates", "is-1", "fn-2");
    map_link(f, "automates", "is-2", "fn-3");
    struct registry *mem = registry_new(f->store, f->model);
    assert_int_equal(registry_enable_filter_index(mem, &e), 0);
    const struct model_collection *c = model_collection(f->model, "capabilities");
    const char *measures[] = {"systems", "stages", "completeness"};
    const char *filters[] = {NULL, "dom-a"};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 2; j++) {
            json_t *sql = NULL, *graph = NULL;
            assert_int_equal(arch_map_build(f->reg, NULL, &f->actor, c, measures[i], filters[j],
                                            NULL, &sql, &e),
                             0);
            assert_int_equal(
                arch_map_build(mem, NULL, &f->actor, c, measures[i], filters[j], NULL, &graph, &e),
                0);
            char *a = json_dumps(sql, JSON_SORT_KEYS), *b = json_dumps(graph, JSON_SORT_KEYS);
            assert_string_equal(a, b);
            struct arch_map_view *v = NULL;
            assert_int_equal(arch_map_view_build(mem, NULL, &f->actor, c, measures[i], filters[j],
                                                 ARCH_AS_IS, NULL, &v, &e),
                             0);
            view_agrees(v, graph);
            arch_map_view_free(v);
            /* as of this instant (REQ ARC-12): the same map, through the
             * revisions (store) or the graph, for the measures it may show */
            for (int k = 0; i < 2 && k < 2; k++) {
                struct registry_at *at = registry_at_open(k ? mem : f->reg, &f->actor,
                                                          time_now_ms() + 1000);
                json_t *then = NULL;
                assert_int_equal(arch_map_build(k ? mem : f->reg, NULL, &f->actor, c, measures[i],
                                                filters[j], at, &then, &e),
                                 0);
                registry_at_close(at);
                assert_non_null(json_object_get(then, "at"));
                json_object_del(then, "at");
                char *t = json_dumps(then, JSON_SORT_KEYS);
                assert_string_equal(t, a);
                free(t);
                json_decref(then);
            }
            free(a);
            free(b);
            json_decref(graph);
            json_decref(sql);
        }
    /* what they agree on: the root has both systems, its children one each */
    json_t *map = NULL;
    assert_int_equal(arch_map_build(mem, NULL, &f->actor, c, NULL, "dom-a", NULL, &map, &e), 0);
    json_t *items = json_object_get(map, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_true(json_is_true(json_object_get(map, "leaves_listed")));
    const json_t *root = json_array_get(items, 0), *pay = json_array_get(items, 2);
    assert_string_equal(json_string_value(json_object_get(root, "id")), "cap-r");
    assert_int_equal(json_integer_value(json_object_get(root, "systems")), 2);
    assert_string_equal(json_string_value(json_object_get(pay, "id")), "cap-c");
    assert_int_equal(json_integer_value(json_object_get(pay, "systems")), 1);
    assert_int_equal(json_integer_value(json_object_get(pay, "leaf_count")), 2);
    const json_t *leaf = json_array_get(json_object_get(pay, "leaves"), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(leaf, "name"), "ru")),
                        "Функция 1");
    json_decref(map);
    registry_free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_revisions_and_merge_patch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain_across_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_head_after_a_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_patch_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retire_and_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_import_roundtrip_and_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_detects_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_import_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_query_parsing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_sorts_by_the_language_alphabet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_index_matches_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relations_visible_as_their_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trace_cap_and_relation_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_requirement_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_of_an_instant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relation_graph_follows_writes, setup, teardown),
        cmocka_unit_test(test_relation_graph_edges),
        cmocka_unit_test(test_relation_graph_hits_borrowed),
        cmocka_unit_test(test_map_tree),
        cmocka_unit_test_setup_teardown(test_map_store_and_graph_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_records_are_the_stored_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_target_and_difference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relation_graph_sized_to_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_few_valued_fields_have_no_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inherited_attributes_at_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inheritance_cycle_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inheritance_depth_guard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attribute_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inherited_only_from_readable_bases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_computed_read_as_the_parsed_bases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_index_codes_follow_the_sets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_index_one_value_follows_the_sets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_source_per_attribute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digitisation_of_a_capability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digitisation_from_the_memory_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_computed_parts_of_one_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_surely_readable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_flows_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_referrers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links_from_memory, setup, teardown),
    };
    /* on PostgreSQL, what only a database several nodes share has */
    const struct CMUnitTest shared[] = {
        cmocka_unit_test_setup_teardown(test_change_feed_between_nodes, setup, teardown),
    };
    size_t n = sizeof tests / sizeof *tests, m = pgtest_base() ? sizeof shared / sizeof *shared : 0;
    struct CMUnitTest *all = calloc(n + m, sizeof *all);
    memcpy(all, tests, sizeof tests);
    memcpy(all + n, shared, m * sizeof *shared);
    int rc = _cmocka_run_group_tests("test_registry", all, n + m, NULL, NULL);
    free(all);
    return rc;
}
