/* search: lists with filters, full-text search, facets, keyset paging,
 * relation neighbourhoods, history with field diffs, and "as of" reads.
 *
 * List SQL is assembled from fixed fragments; every value the client sent
 * is bound as a parameter, never pasted into the SQL text. */
#include "internal.h"

#include "cache.h"
#include "search-mem.h"
#include "listq.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQLB_MAX_ARGS 96

/* A SQL text with its bound arguments. */
struct sqlb {
    struct buf sql;
    const char *text[SQLB_MAX_ARGS];
    const char *key[SQLB_MAX_ARGS]; /* stands for text in the cache key, or NULL */
    int64_t num[SQLB_MAX_ARGS];
    bool is_num[SQLB_MAX_ARGS];
    int n;
};

static void sqlb_init(struct sqlb *b)
{
    memset(b, 0, sizeof *b);
    buf_init(&b->sql, 64 * 1024);
}

static int sqlb_text(struct sqlb *b, const char *v)
{
    if (b->n == SQLB_MAX_ARGS)
        fatal("search: too many SQL arguments");
    b->text[b->n] = v;
    b->is_num[b->n] = false;
    return ++b->n;
}

/* A text argument that the cache key names by `key` (a long value that
 * follows from it). */
static int sqlb_text_keyed(struct sqlb *b, const char *v, const char *key)
{
    int n = sqlb_text(b, v);
    b->key[n - 1] = key;
    return n;
}

static int sqlb_num(struct sqlb *b, int64_t v)
{
    if (b->n == SQLB_MAX_ARGS)
        fatal("search: too many SQL arguments");
    b->num[b->n] = v;
    b->is_num[b->n] = true;
    return ++b->n;
}

static void sqlb_add(struct sqlb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sqlb_add(struct sqlb *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp || buf_puts(&b->sql, tmp) < 0)
        fatal("search: SQL fragment too long");
}

/* Queries slower than this are logged with their SQL (AP_SLOW_MS, ms). */
static int64_t slow_ns(void)
{
    static _Atomic int64_t cached = -1;
    int64_t v = cached;
    if (v < 0) {
        const char *env = getenv("AP_SLOW_MS");
        long ms = env ? strtol(env, NULL, 10) : 250;
        v = (ms > 0 ? ms : 250) * 1000000LL;
        cached = v;
    }
    return v;
}

static void log_if_slow(const struct sqlb *b, int64_t start_ns, const char *what)
{
    int64_t took = time_mono_ns() - start_ns;
    if (took < slow_ns())
        return;
    char ms[32];
    snprintf(ms, sizeof ms, "%.1f", (double)took / 1e6);
    log_event(LOG_WARN, "slow-query", "what", what, "ms", ms, "sql", b->sql.p, NULL);
}

static struct store_stmt *sqlb_prepare(struct sqlb *b, struct store_conn *c, struct err *e)
{
    struct store_stmt *st = store_prepare(c, b->sql.p, false, e);
    if (!st)
        return NULL;
    for (int i = 0; i < b->n; i++) {
        if (b->is_num[i])
            store_bind_int64(st, i + 1, b->num[i]);
        else
            store_bind_text(st, i + 1, b->text[i]);
    }
    return st;
}

static void sqlb_in_list(struct sqlb *b, const char *const *values, size_t n)
{
    sqlb_add(b, "(");
    for (size_t i = 0; i < n; i++)
        sqlb_add(b, "%s$%d", i ? ", " : "", sqlb_text(b, values[i]));
    sqlb_add(b, ")");
}

/* The cache key of a query: its SQL and arguments. */
static char *sqlb_key(struct sqlb *b, struct arena *ar)
{
    struct buf k;
    buf_init(&k, 0);
    buf_puts(&k, b->sql.p ? b->sql.p : "");
    for (int i = 0; i < b->n; i++) {
        if (b->is_num[i])
            buf_printf(&k, "\x1f%" PRId64, b->num[i]);
        else
            buf_printf(&k, "\x1f%s", b->key[i] ? b->key[i] : b->text[i]);
    }
    char *out = arena_strndup(ar, k.p ? k.p : "", k.len);
    buf_free(&k);
    return out;
}

/* Model fields live in the filter index as "<collection>:<field>". */
static const char *attr_key(struct arena *ar, const struct list_query *q, const char *field)
{
    return arena_printf(ar, "%s:%s", q->coll->id, field);
}

static bool has_record_filters(const struct list_query *q)
{
    for (size_t i = 0; i < q->n_filters; i++)
        if (q->filters[i].col != LISTQ_ATTR)
            return true;
    return false;
}

/* kind and owner conditions on records r. */
static void add_record_filters(struct sqlb *b, const struct list_query *q)
{
    for (size_t i = 0; i < q->n_filters; i++) {
        const struct listq_filter *f = &q->filters[i];
        if (f->col == LISTQ_ATTR)
            continue;
        sqlb_add(b, f->col == LISTQ_KIND ? " AND r.kind IN " : " AND r.owner IN ");
        sqlb_in_list(b, f->values, f->n_values);
    }
}

/* One EXISTS probe per filter field (but `skip`), on the rid in rid_expr. */
static void add_attr_filters(struct sqlb *b, struct arena *ar, const struct list_query *q,
                             const char *rid_expr, const struct listq_filter *skip)
{
    for (size_t i = 0; i < q->n_filters; i++) {
        const struct listq_filter *f = &q->filters[i];
        if (f->col != LISTQ_ATTR || f == skip)
            continue;
        sqlb_add(b, " AND EXISTS (SELECT 1 FROM attrs x WHERE x.field = $%d AND x.value IN ",
                 sqlb_text(b, attr_key(ar, q, f->field)));
        sqlb_in_list(b, f->values, f->n_values);
        sqlb_add(b, " AND x.rid = %s)", rid_expr);
    }
}

/* How the SQL path tests q. */
struct words_sql {
    char *fts_query;     /* the documents' full-text query (malloc'd, made on use) */
    const char *matches; /* the memory index's matches as a JSON array, or NULL */
};

/* With the memory index ready, its matches for q's words (they spare a
 * test of every record's text, which a sort on a field it does not hold
 * would otherwise need). */
static int words_sql_init(struct registry *r, struct store_conn *c, struct arena *ar,
                          const struct list_query *q, struct words_sql *w, struct err *e)
{
    *w = (struct words_sql){NULL, NULL};
    if (!q->n_words || !fidx_ready(r->fidx))
        return 0;
    struct rids s;
    if (mem_word_matches(r, c, ar, q, &s, e) < 0)
        return -1;
    w->matches = mem_rids_json(ar, s);
    return 0;
}

/* q's words separated by spaces. */
static const char *words_text(struct arena *ar, const struct list_query *q)
{
    const char *words = "";
    for (size_t i = 0; i < q->n_words; i++)
        words = arena_printf(ar, "%s%s ", words, q->words[i]);
    return words;
}

/* A table expression of the word matches' ids (column `value`). */
static const char *matches_table(struct sqlb *b, struct arena *ar, struct store_conn *c,
                                 const struct list_query *q, const struct words_sql *w)
{
    char from[256];
    snprintf(from, sizeof from, store_sql(c, STORE_SQL_JSON_INTS),
             sqlb_text_keyed(b, w->matches, arena_printf(ar, "matches of %s", words_text(ar, q))));
    return arena_strdup(ar, from);
}

/* The words condition on the rid in rid_col. With the memory index, its
 * matches (bound as one JSON array, which the planner can also lead with);
 * without, the record's own text or its documents', tested per row. */
static void add_fts(struct sqlb *b, struct arena *ar, struct store_conn *c,
                    const struct list_query *q, struct words_sql *w, const char *rid_col)
{
    if (!q->n_words)
        return;
    if (w->matches) {
        sqlb_add(b, " AND %s IN (SELECT value FROM %s)", rid_col, matches_table(b, ar, c, q, w));
        return;
    }
    if (!w->fts_query)
        w->fts_query = store_fts_query(c, q->coll->id, q->words, q->n_words);
    int pw = sqlb_text(b, words_text(ar, q)), pq = sqlb_text(b, w->fts_query);
    char frag[512];
    snprintf(frag, sizeof frag, store_sql(c, STORE_SQL_TEXT_MATCH), rid_col, pw, pq);
    sqlb_add(b, " AND %s", frag);
}

/* How a page query finds its rows: walking an index in sort order and
 * probing each record against the filters (good when many records match),
 * or collecting the matches and sorting them (good when few do). */
enum drive { DRIVE_ORDER, DRIVE_MATCHES };

/* Above this many matches a page walks the sort index. */
#define DRIVE_ORDER_MIN 1000

/* Do the word matches lead a query that collects matches? */
static bool words_lead(const struct words_sql *w, enum drive mode)
{
    return w->matches && mode == DRIVE_MATCHES; /* there are matches only with words */
}

/* FROM clause of a query over records r; the word matches lead when known
 * (CROSS JOIN keeps that order). */
static void add_from(struct sqlb *b, struct arena *ar, struct store_conn *c,
                     const struct list_query *q, struct words_sql *w, enum drive mode)
{
    if (words_lead(w, mode))
        sqlb_add(b, " FROM %s m CROSS JOIN records r", matches_table(b, ar, c, q, w));
    else
        sqlb_add(b, " FROM records r");
}

static void add_conditions(struct sqlb *b, struct arena *ar, struct store_conn *c,
                           const struct list_query *q, struct words_sql *w, enum drive mode)
{
    bool led = words_lead(w, mode);
    sqlb_add(b, " WHERE %sr.collection = $%d AND r.retired = 0", led ? "r.rid = m.value AND " : "",
             sqlb_text(b, q->coll->id));
    add_record_filters(b, q);
    /* Matches are collected from the first filter's index range, unless the
     * words or an owner (both more selective) lead. */
    const struct listq_filter *first = NULL;
    bool owner = false;
    for (size_t i = 0; i < q->n_filters; i++) {
        owner = owner || q->filters[i].col == LISTQ_OWNER;
        if (!first && q->filters[i].col == LISTQ_ATTR && mode == DRIVE_MATCHES)
            first = &q->filters[i];
    }
    if (first && !led && !owner) {
        sqlb_add(b, " AND r.rid IN (SELECT rid FROM attrs WHERE field = $%d AND value IN ",
                 sqlb_text(b, attr_key(ar, q, first->field)));
        sqlb_in_list(b, first->values, first->n_values);
        sqlb_add(b, ")");
    } else {
        first = NULL;
    }
    add_attr_filters(b, ar, q, "r.rid", first);
    if (!led)
        add_fts(b, ar, c, q, w, "r.rid");
}

static const char *sort_expr(const struct list_query *q)
{
    static const char *const exprs[] = {[SORT_NAME] = "r.sort_name",
                                        [SORT_CREATED] = "r.created_at",
                                        [SORT_UPDATED] = "r.updated_at",
                                        [SORT_ID] = "r.id",
                                        [SORT_FIELD] = NULL,
                                        [SORT_NAME_KK] = "r.sort_kk",
                                        [SORT_NAME_RU] = "r.sort_ru",
                                        [SORT_NAME_EN] = "r.sort_en"};
    if (q->sort != SORT_FIELD)
        return exprs[q->sort];
    return q->sort_int ? "COALESCE(CAST(sk.value AS INTEGER), -9223372036854775807)"
                       : "COALESCE(sk.value, '')";
}

static const char *sort_index(const struct list_query *q)
{
    return listq_sort_index(q->sort);
}

static void add_keyset(struct sqlb *b, const struct list_query *q, const char *sk)
{
    if (!q->has_cursor)
        return;
    int kp;
    if (q->sort == SORT_FIELD && q->sort_int) {
        char *end = NULL;
        long long v = strtoll(q->cursor_key, &end, 10);
        kp = sqlb_num(b, (*end || !*q->cursor_key) ? 0 : v);
    } else {
        kp = sqlb_text(b, q->cursor_key);
    }
    int rp = sqlb_num(b, q->cursor_rid);
    const char *op = q->sort_desc ? "<" : ">";
    sqlb_add(b, " AND (%s %s $%d OR (%s = $%d AND r.rid %s $%d))", sk, op, kp, sk, kp, op, rp);
}

/* Builds the cheapest counting query for the filters: from the live counts
 * when only kinds are filtered, from the first filter's index range, or
 * from records. */
static void build_count(struct sqlb *b, struct arena *ar, struct store_conn *c,
                        const struct list_query *q, struct words_sql *w)
{
    const struct listq_filter *driver = NULL;
    for (size_t i = 0; i < q->n_filters && !driver; i++)
        if (q->filters[i].col == LISTQ_ATTR)
            driver = &q->filters[i];
    bool owner = false;
    for (size_t i = 0; i < q->n_filters; i++)
        owner = owner || q->filters[i].col == LISTQ_OWNER;
    if (!q->n_words && !driver && !owner) {
        sqlb_add(b, "SELECT COALESCE(SUM(n), 0) FROM counts r WHERE r.collection = $%d",
                 sqlb_text(b, q->coll->id));
        add_record_filters(b, q); /* only kinds here */
        return;
    }
    if (!driver || owner) { /* owners are selective: use their index */
        sqlb_add(b, "SELECT count(*)");
        add_from(b, ar, c, q, w, DRIVE_MATCHES);
        add_conditions(b, ar, c, q, w, DRIVE_MATCHES);
        return;
    }
    bool join = has_record_filters(q);
    sqlb_add(b, "SELECT count(%sa.rid) FROM attrs a%s WHERE a.field = $%d AND a.value IN ",
             driver->n_values > 1 ? "DISTINCT " : "",
             join ? " JOIN records r ON r.rid = a.rid" : "",
             sqlb_text(b, attr_key(ar, q, driver->field)));
    sqlb_in_list(b, driver->values, driver->n_values);
    add_attr_filters(b, ar, q, "a.rid", driver);
    if (join)
        add_record_filters(b, q);
    add_fts(b, ar, c, q, w, "a.rid");
}

static int count_total(struct store_conn *c, struct arena *ar, const struct list_query *q,
                       struct words_sql *w, int64_t *total, struct err *e)
{
    struct sqlb b;
    sqlb_init(&b);
    build_count(&b, ar, c, q, w);
    char *key = sqlb_key(&b, ar), *hit = NULL;
    if (cache_get(key, &hit)) {
        *total = strtoll(hit, NULL, 10);
        free(hit);
        buf_free(&b.sql);
        return 0;
    }
    uint64_t gen = cache_generation();
    int64_t t0 = time_mono_ns();
    struct store_stmt *st = sqlb_prepare(&b, c, e);
    if (!st) {
        buf_free(&b.sql);
        return -1;
    }
    int rc = store_step(st, e);
    *total = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_finalize(st);
    log_if_slow(&b, t0, "count");
    buf_free(&b.sql);
    if (rc == STORE_ERROR)
        return -1;
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, *total);
    cache_put(key, num, gen);
    return 0;
}

static json_t *parse_stored(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    return j ? j : json_null();
}

/* The page's record ids in order, then their data (so that sorting never
 * carries whole records), read in one statement (a statement per row costs
 * a round trip each where the database is a server). */
static int fetch_data(struct store_conn *c, const int64_t *rids, int n, struct buf *items,
                      struct err *e)
{
    if (n <= 0)
        return 0;
    struct buf list;
    buf_init(&list, 0);
    for (int i = 0; i < n; i++)
        buf_printf(&list, "%s%" PRId64, i ? "," : "[", rids[i]);
    buf_putc(&list, ']');
    char ints[128], sql[256];
    snprintf(ints, sizeof ints, store_sql(c, STORE_SQL_JSON_INTS), 1);
    snprintf(sql, sizeof sql, "SELECT rid, data FROM record_data WHERE rid IN (SELECT value FROM %s)",
             ints);
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st) {
        buf_free(&list);
        return -1;
    }
    store_bind_text(st, 1, list.p);
    char **data = xcalloc((size_t)n, sizeof *data);
    size_t *len = xcalloc((size_t)n, sizeof *len);
    int step;
    while ((step = store_step(st, e)) == STORE_ROW) {
        int64_t rid = store_col_int64(st, 0);
        for (int i = 0; i < n; i++)
            if (rids[i] == rid && !data[i]) {
                len[i] = store_col_bytes(st, 1);
                data[i] = xmalloc(len[i] + 1);
                memcpy(data[i], store_col_text(st, 1), len[i] + 1);
            }
    }
    store_reset(st);
    for (int i = 0; i < n; i++) {
        /* the stored JSON is exactly what GET serves: splice it in */
        if (step != STORE_ERROR && data[i] &&
            ((items->len && buf_putc(items, ',') < 0) || buf_append(items, data[i], len[i]) < 0))
            fatal("search: page too large");
        free(data[i]);
    }
    free(data);
    free(len);
    buf_free(&list);
    return step == STORE_ERROR ? -1 : 0;
}

static int run_page(struct store_conn *c, struct arena *ar, const struct list_query *q,
                    struct sqlb *sb, struct buf *items, char **next, struct err *e);

static int fetch_page(struct store_conn *c, struct arena *ar, const struct list_query *q,
                      int64_t total, struct words_sql *w, struct buf *items, char **next,
                      struct err *e)
{
    struct sqlb b;
    sqlb_init(&b);
    const char *sk = sort_expr(q), *index = sort_index(q);
    /* a walk of the field's index range meets every record only when absent
     * values have rows too (reg_index_entries) */
    bool by_field = q->sort == SORT_FIELD && !q->sort_int && !q->sort_few;
    enum drive mode =
        (index || by_field) && total > DRIVE_ORDER_MIN ? DRIVE_ORDER : DRIVE_MATCHES;
    if (mode == DRIVE_ORDER && by_field) {
        /* the field's index range is already in (value, rid) order */
        sk = "sk.value";
        sqlb_add(&b, "SELECT r.rid, sk.value FROM attrs sk CROSS JOIN records r");
        add_conditions(&b, ar, c, q, w, mode);
        sqlb_add(&b, " AND r.rid = sk.rid AND sk.field = $%d",
                 sqlb_text(&b, attr_key(ar, q, q->sort_field)));
        add_keyset(&b, q, sk);
        const char *d = q->sort_desc ? "DESC" : "ASC";
        sqlb_add(&b, " ORDER BY sk.value %s, sk.rid %s LIMIT %d", d, d, q->limit + 1);
        return run_page(c, ar, q, &b, items, next, e);
    }
    sqlb_add(&b, "SELECT r.rid, %s", sk);
    add_from(&b, ar, c, q, w, mode);
    if (mode == DRIVE_ORDER)
        sqlb_add(&b, store_sql(c, STORE_SQL_USE_INDEX), index);
    if (q->sort == SORT_FIELD)
        sqlb_add(&b, " LEFT JOIN attrs sk ON sk.rid = r.rid AND sk.field = $%d",
                 sqlb_text(&b, attr_key(ar, q, q->sort_field)));
    add_conditions(&b, ar, c, q, w, mode);
    add_keyset(&b, q, sk);
    const char *dir = q->sort_desc ? "DESC" : "ASC";
    sqlb_add(&b, " ORDER BY %s %s, r.rid %s LIMIT %d", sk, dir, dir, q->limit + 1);
    return run_page(c, ar, q, &b, items, next, e);
}

/* Runs a page query (rid, sort key) and loads the records' data. */
static int run_page(struct store_conn *c, struct arena *ar, const struct list_query *q,
                    struct sqlb *sb, struct buf *items, char **next, struct err *e)
{
    struct sqlb b = *sb;
    int64_t t0 = time_mono_ns();
    struct store_stmt *st = sqlb_prepare(&b, c, e);
    if (!st) {
        buf_free(&b.sql);
        return -1;
    }
    int64_t *rids = arena_alloc(ar, sizeof *rids * (size_t)(q->limit + 1));
    int rc, n = 0;
    char *last_key = NULL;
    *next = NULL;
    while ((rc = store_step(st, e)) == STORE_ROW && n < q->limit) {
        rids[n++] = store_col_int64(st, 0);
        const char *key = store_col_text(st, 1);
        last_key = arena_strdup(ar, key ? key : "");
    }
    bool more = rc == STORE_ROW;
    store_finalize(st);
    log_if_slow(&b, t0, "page");
    buf_free(&b.sql);
    if (rc == STORE_ERROR)
        return -1;
    if (more)
        *next = listq_cursor_encode(ar, q, last_key, rids[n - 1]);
    return fetch_data(c, rids, n, items, e);
}

/* Can the in-memory index answer q (and a facet on `field`)? */
static bool in_memory(struct registry *r, const struct list_query *q, const char *field)
{
    if (!fidx_ready(r->fidx))
        return false;
    for (size_t i = 0; i < q->n_filters; i++)
        if (q->filters[i].col == LISTQ_ATTR &&
            !reg_field_in_memory(r->model, q->coll->id, q->filters[i].field))
            return false;
    if (q->sort == SORT_FIELD && !reg_field_in_memory(r->model, q->coll->id, q->sort_field))
        return false;
    return !field || strcmp(field, "kind") == 0 || strcmp(field, "owner") == 0 ||
           reg_field_in_memory(r->model, q->coll->id, field);
}

/* From the in-memory index: the matches, then the page. */
static int list_in_memory(struct registry *r, struct store_conn *c, struct arena *ar,
                          const struct list_query *q, int64_t *total, struct buf *items,
                          char **next, struct err *e)
{
    struct rids s;
    int64_t *rids = NULL;
    size_t n = 0;
    if (mem_matches(r, c, ar, q, &s, e) < 0)
        return -1;
    *total = (int64_t)s.n;
    if (q->sort == SORT_FIELD && q->sort_int) { /* rare: let SQL order numbers */
        struct words_sql w;
        int rc = words_sql_init(r, c, ar, q, &w, e);
        if (rc == 0)
            rc = fetch_page(c, ar, q, *total, &w, items, next, e);
        free(w.fts_query);
        return rc;
    }
    if (mem_page(r, c, ar, q, s, &rids, &n, next, e) < 0)
        return -1;
    return fetch_data(c, rids, (int)n, items, e);
}

int registry_list_text(struct registry *r, struct arena *ar, const struct list_query *q,
                       char **out, size_t *len, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    struct words_sql w = {NULL, NULL};
    int64_t total = 0;
    struct buf items;
    buf_init(&items, 0);
    char *next = NULL;
    int rc = store_begin(c, false, e);
    if (rc == 0 && in_memory(r, q, NULL)) {
        rc = list_in_memory(r, c, ar, q, &total, &items, &next, e);
    } else {
        if (rc == 0)
            rc = words_sql_init(r, c, ar, q, &w, e);
        if (rc == 0)
            rc = count_total(c, ar, q, &w, &total, e);
        if (rc == 0)
            rc = fetch_page(c, ar, q, total, &w, &items, &next, e);
    }
    store_rollback(c); /* read-only: nothing to commit */
    free(w.fts_query);
    if (rc < 0) {
        buf_free(&items);
        return -1;
    }
    /* the cursor is base64url: nothing in it needs escaping */
    char tail[160];
    snprintf(tail, sizeof tail, "],\"total\":%" PRId64 ",\"next_cursor\":", total);
    size_t n = items.len, t = strlen(tail), cl = next ? strlen(next) + 2 : 4;
    char *text = arena_alloc(ar, 10 + n + t + cl + 2);
    char *o = text;
    memcpy(o, "{\"items\":[", 10);
    o += 10;
    if (n)
        memcpy(o, items.p, n);
    o += n;
    memcpy(o, tail, t);
    o += t;
    if (next) {
        *o++ = '"';
        memcpy(o, next, cl - 2);
        o += cl - 2;
        *o++ = '"';
    } else {
        memcpy(o, "null", 4);
        o += 4;
    }
    *o++ = '}';
    *o = '\0';
    buf_free(&items);
    *out = text;
    *len = (size_t)(o - text);
    return 0;
}

int registry_list(struct registry *r, struct arena *ar, const struct list_query *q, json_t **out,
                  struct err *e)
{
    char *text;
    size_t len;
    if (registry_list_text(r, ar, q, &text, &len, e) < 0)
        return -1;
    *out = json_loadb(text, len, 0, NULL);
    if (!*out) {
        err_internal(e, "a stored record is not valid JSON");
        return -1;
    }
    return 0;
}

/* Labels of a facet value when the field is an enum or the kind. */
static json_t *kind_label(const struct model *m, const char *value)
{
    const struct model_kind *k = model_kind(m, value);
    return k ? model_label_json(k->label) : NULL;
}

static json_t *enum_label(const struct model_field *def, const char *value)
{
    const struct model_field *f = def && def->type == FT_LIST ? def->item : def;
    if (!f || f->type != FT_ENUM || !f->enumeration)
        return NULL;
    for (size_t i = 0; i < f->enumeration->n_values; i++) {
        const struct model_enum_value *v = &f->enumeration->values[i];
        if (strcmp(v->id, value) == 0)
            return model_label_json(v->label);
    }
    return NULL;
}

static void build_facets(struct sqlb *b, struct arena *ar, struct store_conn *c,
                         const struct list_query *q, const char *field, struct words_sql *w)
{
    bool is_kind = strcmp(field, "kind") == 0, is_owner = strcmp(field, "owner") == 0;
    if (is_kind && !q->n_words && !q->n_filters) {
        sqlb_add(b, "SELECT kind, n FROM counts WHERE collection = $%d AND n > 0 "
                    "ORDER BY 2 DESC, 1",
                 sqlb_text(b, q->coll->id));
    } else if (is_kind || is_owner) {
        const char *col = is_kind ? "r.kind" : "r.owner";
        sqlb_add(b, "SELECT %s, count(*)", col);
        add_from(b, ar, c, q, w, DRIVE_MATCHES);
        add_conditions(b, ar, c, q, w, DRIVE_MATCHES);
        sqlb_add(b, " AND %s IS NOT NULL GROUP BY %s ORDER BY 2 DESC, 1", col, col);
    } else {
        sqlb_add(b, "SELECT a.value, count(*) FROM attrs a WHERE a.field = $%d",
                 sqlb_text(b, attr_key(ar, q, field)));
        add_attr_filters(b, ar, q, "a.rid", NULL);
        if (has_record_filters(q)) {
            sqlb_add(b, " AND EXISTS (SELECT 1 FROM records r WHERE r.rid = a.rid");
            add_record_filters(b, q);
            sqlb_add(b, ")");
        }
        add_fts(b, ar, c, q, w, "a.rid");
        sqlb_add(b, " AND a.value <> '' GROUP BY a.value ORDER BY 2 DESC, 1");
    }
}

static json_t *facet_values(struct registry *r, struct store_stmt *st, const char *field,
                            const struct model_field *def, struct err *e, int *rc)
{
    bool is_kind = strcmp(field, "kind") == 0;
    json_t *values = json_array();
    while ((*rc = store_step(st, e)) == STORE_ROW) {
        const char *v = store_col_text(st, 0);
        json_t *item = json_pack("{s:s, s:I}", "value", v, "count",
                                 (json_int_t)store_col_int64(st, 1));
        json_t *label = is_kind ? kind_label(r->model, v) : enum_label(def, v);
        if (label)
            json_object_set_new(item, "label", label);
        json_array_append_new(values, item);
    }
    return values;
}

/* {"field":F,"values":[…]} of one field over the matching set s. */
static json_t *facet_json(struct registry *r, struct arena *ar, const struct list_query *q,
                          struct rids s, const char *field, const struct model_field *def)
{
    const char **values = NULL;
    size_t *counts = NULL;
    size_t n = mem_facet_counts(r, ar, q, s, field, &values, &counts);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_pack("{s:s, s:I}", "value", values[i], "count", (json_int_t)counts[i]);
        json_t *label = strcmp(field, "kind") == 0 ? kind_label(r->model, values[i])
                                                   : enum_label(def, values[i]);
        if (label)
            json_object_set_new(item, "label", label);
        json_array_append_new(arr, item);
    }
    return json_pack("{s:s, s:o}", "field", field, "values", arr);
}

static int facets_in_memory(struct registry *r, struct store_conn *c, struct arena *ar,
                            const struct list_query *q, const char *field,
                            const struct model_field *def, json_t **out, struct err *e)
{
    struct rids s;
    int rc = store_begin(c, false, e);
    if (rc == 0)
        rc = mem_matches(r, c, ar, q, &s, e);
    store_rollback(c);
    if (rc < 0)
        return -1;
    *out = facet_json(r, ar, q, s, field, def);
    return 0;
}

/* The field's definition for a facet: NULL for kind and owner; -1 with e
 * when it is not filterable. */
static int facet_field(struct registry *r, const struct list_query *q, const char *field,
                       const struct model_field **def, struct err *e)
{
    enum field_type type;
    *def = NULL;
    if (strcmp(field, "kind") == 0 || strcmp(field, "owner") == 0 ||
        listq_field_filterable(r->model, q->coll, field, &type, def))
        return 0;
    err_invalid(e, "field", "'%.60s' is not a filterable field of '%s'", field, q->coll->id);
    return -1;
}

int registry_facets_many(struct registry *r, struct arena *ar, const struct list_query *q,
                         const char *const *fields, size_t n, json_t **out, struct err *e)
{
    const struct model_field *defs[REGISTRY_MAX_FACETS];
    bool mem = n <= REGISTRY_MAX_FACETS;
    for (size_t i = 0; i < n && mem; i++) {
        if (facet_field(r, q, fields[i], &defs[i], e) < 0)
            return -1;
        mem = in_memory(r, q, fields[i]);
    }
    if (!mem) { /* one at a time, each the way registry_facets answers it */
        for (size_t i = 0; i < n; i++) {
            if (registry_facets(r, ar, q, fields[i], &out[i], e) < 0) {
                while (i > 0)
                    json_decref(out[--i]);
                return -1;
            }
        }
        return 0;
    }
    /* the matching set once, then each field's counts over it */
    struct store_conn *c = store_conn(r->store);
    struct rids s;
    int rc = store_begin(c, false, e);
    if (rc == 0)
        rc = mem_matches(r, c, ar, q, &s, e);
    store_rollback(c);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = facet_json(r, ar, q, s, fields[i], defs[i]);
    return 0;
}

int registry_facets(struct registry *r, struct arena *ar, const struct list_query *q,
                    const char *field, json_t **out, struct err *e)
{
    const struct model_field *def = NULL;
    if (facet_field(r, q, field, &def, e) < 0)
        return -1;
    struct store_conn *c = store_conn(r->store);
    if (in_memory(r, q, field))
        return facets_in_memory(r, c, ar, q, field, def, out, e);
    struct sqlb b;
    sqlb_init(&b);
    struct words_sql w;
    if (words_sql_init(r, c, ar, q, &w, e) < 0) {
        buf_free(&b.sql);
        return -1;
    }
    build_facets(&b, ar, c, q, field, &w);
    char *key = sqlb_key(&b, ar), *hit = NULL;
    if (cache_get(key, &hit)) {
        *out = json_loads(hit, 0, NULL);
        free(hit);
        free(w.fts_query);
        buf_free(&b.sql);
        if (*out)
            return 0;
        err_internal(e, "facet cache corrupt");
        return -1;
    }
    uint64_t gen = cache_generation();
    struct store_stmt *st = sqlb_prepare(&b, c, e);
    buf_free(&b.sql);
    free(w.fts_query);
    if (!st)
        return -1;
    int rc;
    json_t *values = facet_values(r, st, field, def, e, &rc);
    store_finalize(st);
    if (rc == STORE_ERROR) {
        json_decref(values);
        return -1;
    }
    *out = json_pack("{s:s, s:o}", "field", field, "values", values);
    char *text = reg_dump(*out);
    cache_put(key, text, gen);
    free(text);
    return 0;
}

/* --- neighbourhood ----------------------------------------------------------- */

static int add_relations(struct store_conn *c, const char *id, const char *end,
                         const char *direction, const char *type, json_t *items, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT d.data FROM attrs a JOIN records r ON r.rid = a.rid "
        "JOIN record_data d ON d.rid = r.rid WHERE a.field = $1 AND a.value = $2 "
        "AND r.collection = 'relations' AND r.retired = 0 AND ($3 = '' OR r.kind = $3) "
        "ORDER BY r.rid",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, end);
    store_bind_text(st, 2, id);
    store_bind_text(st, 3, type ? type : "");
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rel = parse_stored(store_col_text(st, 0));
        if (json_is_object(rel))
            json_object_set_new(rel, "direction", json_string(direction));
        json_array_append_new(items, rel);
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

int registry_relations_of(struct registry *r, const char *collection, const char *id,
                          const char *direction, const char *type, json_t **out, struct err *e)
{
    if (!direction)
        direction = "both";
    bool want_out = strcmp(direction, "out") == 0 || strcmp(direction, "both") == 0;
    bool want_in = strcmp(direction, "in") == 0 || strcmp(direction, "both") == 0;
    if (!want_out && !want_in) {
        err_bad_request(e, "direction", "direction must be out, in or both");
        return -1;
    }
    if (type && !model_collection_has_kind(model_collection(r->model, "relations"), type)) {
        err_invalid(e, "type", "'%.60s' is not a relation type", type);
        return -1;
    }
    struct store_conn *c = store_conn(r->store);
    struct rec_row row;
    int found = rec_load(c, collection, id, &row, e);
    if (found <= 0) {
        if (found == 0)
            reg_not_found(e);
        return -1;
    }
    rec_row_free(&row);
    json_t *items = json_array();
    int rc = 0;
    if (want_out)
        rc = add_relations(c, id, "source", "out", type, items, e);
    if (rc == 0 && want_in)
        rc = add_relations(c, id, "target", "in", type, items, e);
    if (rc < 0) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:s, s:o}", "id", id, "items", items);
    return 0;
}

/* --- history ------------------------------------------------------------------ */

static bool diff_skip(const char *key)
{
    return strcmp(key, "revision") == 0 || strcmp(key, "updated_at") == 0;
}

static void diff_add(json_t *changes, const char *key, json_t *before, json_t *after)
{
    json_array_append_new(changes, json_pack("{s:s, s:O, s:O}", "field", key, "before",
                                             before ? before : json_null(), "after",
                                             after ? after : json_null()));
}

/* Field-level changes from prev to cur, in cur's order then removed ones. */
static json_t *diff_records(const json_t *prev, const json_t *cur)
{
    json_t *changes = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)cur, key, v)
    {
        json_t *old = json_object_get(prev, key);
        if (!diff_skip(key) && !json_equal(old, v))
            diff_add(changes, key, old, v);
    }
    json_object_foreach((json_t *)prev, key, v)
    {
        if (!diff_skip(key) && !json_object_get(cur, key))
            diff_add(changes, key, v, NULL);
    }
    return changes;
}

/* The first published revision of record rid (of kind k) and its instant:
 * 1 and "" for a kind without a workflow, 0 when there is none. */
static int first_published(struct store_conn *c, int64_t rid, const struct model_kind *k,
                           int64_t *revision, char at[32], struct err *e)
{
    *revision = 0;
    at[0] = '\0';
    if (!k->workflow) {
        *revision = 1;
        return 0;
    }
    struct store_stmt *st = store_prepare(
        c, "SELECT revision, at, data FROM revisions WHERE rid = $1 ORDER BY revision", true, e);
    if (!st)
        return -1;
    store_bind_int64(st, 1, rid);
    int rc = STORE_DONE;
    while (!*revision && (rc = store_step(st, e)) == STORE_ROW) {
        json_t *data = json_loads(store_col_text(st, 2), 0, NULL);
        if (data && model_record_published(k, data)) {
            *revision = store_col_int64(st, 0);
            snprintf(at, 32, "%s", store_col_text(st, 1));
        }
        json_decref(data);
    }
    store_reset(st);
    return *revision || rc != STORE_ERROR ? 0 : -1;
}

int reg_revision_at(struct store_conn *c, int64_t rid, const char *at, int64_t *revision,
                    char **data, struct err *e)
{
    *revision = 0;
    struct store_stmt *st = store_prepare(c,
                                          "SELECT revision, data FROM revisions WHERE rid = $1 "
                                          "AND at <= $2 ORDER BY revision DESC LIMIT 1",
                                          true, e);
    if (!st)
        return -1;
    store_bind_int64(st, 1, rid);
    store_bind_text(st, 2, at);
    int rc = store_step(st, e);
    if (rc == STORE_ROW) {
        *revision = store_col_int64(st, 0);
        if (data)
            *data = xstrdup(store_col_text(st, 1));
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The first published revision of the record `id` and its instant (see
 * first_published); *revision 0 when it does not exist. */
static int published_since(struct registry *r, struct store_conn *c, const char *id, int64_t *rid,
                           int64_t *revision, char at[32], struct err *e)
{
    struct rec_row row;
    *revision = 0;
    at[0] = '\0';
    int found = id ? rec_load(c, NULL, id, &row, e) : 0;
    if (found <= 0)
        return found;
    const struct model_kind *k = model_kind(r->model, row.kind);
    *rid = row.rid;
    int rc = k ? first_published(c, row.rid, k, revision, at, e) : 0;
    rec_row_free(&row);
    return rc;
}

int registry_public_since(struct registry *r, const json_t *rec, int64_t *revision, char at[32],
                          struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    const char *type = json_string_value(json_object_get(rec, "type"));
    const struct model_kind *rk = type ? model_kind(r->model, type) : NULL;
    int64_t rid = 0;
    if (!rk || !rk->is_relation)
        return published_since(r, c, json_string_value(json_object_get(rec, "id")), &rid, revision,
                               at, e);
    /* a relation: from its state when the later of its ends was published */
    static const char *const ends[] = {"source", "target"};
    *revision = 0;
    at[0] = '\0';
    for (size_t i = 0; i < 2; i++) {
        int64_t rev;
        char since[32];
        if (published_since(r, c, json_string_value(json_object_get(rec, ends[i])), &rid, &rev,
                            since, e) < 0)
            return -1;
        if (!rev)
            return 0;
        if (strcmp(since, at) > 0)
            snprintf(at, 32, "%s", since);
    }
    struct rec_row self;
    int found = rec_load(c, NULL, json_string_value(json_object_get(rec, "id")), &self, e);
    if (found <= 0)
        return found;
    int rc = *at ? reg_revision_at(c, self.rid, at, revision, NULL, e) : 0;
    rec_row_free(&self);
    if (!*revision)
        *revision = 1; /* made after both ends were published */
    return rc;
}

int registry_history(struct registry *r, const struct actor *a, const char *collection,
                     const char *id, json_t **out, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    struct rec_row row;
    int found = rec_load(c, collection, id, &row, e);
    json_t *rec = found > 0 ? json_loads(row.data, 0, NULL) : NULL;
    if (found > 0 && (!rec || !registry_may_read(r, a, rec))) {
        rec_row_free(&row);
        found = 0;
    }
    if (found <= 0) {
        json_decref(rec);
        if (found == 0)
            reg_not_found(e);
        return -1;
    }
    /* those who may not read it unpublished see it from its publication on,
     * and organisations rather than people */
    bool all = registry_may_read_unpublished(r, a, rec);
    int64_t since = 1;
    char since_at[32];
    int rc = all ? 0 : registry_public_since(r, rec, &since, since_at, e);
    json_decref(rec);
    static const char *const sql = "SELECT revision, at, actor, action, data FROM revisions "
                                   "WHERE rid = $1 ORDER BY revision";
    struct store_stmt *st = rc < 0 ? NULL : store_prepare(c, sql, true, e);
    if (!st) {
        rec_row_free(&row);
        return -1;
    }
    store_bind_int64(st, 1, row.rid);
    json_t *items = json_array(), *prev = json_object();
    while ((rc = store_step(st, e)) == STORE_ROW) {
        int64_t revision = store_col_int64(st, 0);
        if (!since || revision < since)
            continue; /* the first one shown: its changes from nothing */
        json_t *cur = parse_stored(store_col_text(st, 4));
        char actor[160];
        if (all)
            snprintf(actor, sizeof actor, "%s", store_col_text(st, 2));
        else
            registry_public_actor(r, store_col_text(st, 2), actor, sizeof actor);
        json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:o}", "revision",
                                               (json_int_t)revision, "at", store_col_text(st, 1),
                                               "actor", actor, "action", store_col_text(st, 3),
                                               "changes", diff_records(prev, cur)));
        json_decref(prev);
        prev = cur;
    }
    store_reset(st);
    json_decref(prev);
    rec_row_free(&row);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:s, s:o}", "id", id, "items", items);
    return 0;
}

/* May the actor read the relation rel as its ends were at `at`? */
static bool ends_readable_at(struct registry *r, struct store_conn *c, const struct actor *a,
                             const json_t *rel, const char *at)
{
    static const char *const ends[] = {"source", "target"};
    for (size_t i = 0; i < 2; i++) {
        struct err e = ERR_INIT;
        struct rec_row row;
        const char *id = json_string_value(json_object_get(rel, ends[i]));
        if (!id || rec_load(c, NULL, id, &row, &e) <= 0)
            return false;
        int64_t rev = 0;
        char *data = NULL;
        int rc = reg_revision_at(c, row.rid, at, &rev, &data, &e);
        rec_row_free(&row);
        json_t *end = data ? json_loads(data, 0, NULL) : NULL;
        free(data);
        bool ok = rc == 0 && end && registry_may_read(r, a, end);
        json_decref(end);
        if (!ok)
            return false;
    }
    return true;
}

int registry_get_at(struct registry *r, const struct actor *a, const char *collection,
                    const char *id, int64_t at_ms, json_t **out, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    struct rec_row row;
    *out = NULL;
    int found = rec_load(c, collection, id, &row, e);
    json_t *now = found > 0 ? json_loads(row.data, 0, NULL) : NULL;
    bool seen = now && registry_may_read(r, a, now); /* else it may not exist */
    json_decref(now);
    if (found > 0 && !seen) {
        rec_row_free(&row);
        found = 0;
    }
    if (found <= 0) {
        if (found == 0)
            reg_not_found(e);
        return -1;
    }
    char at[32];
    time_format_rfc3339(at_ms, at, sizeof at);
    int64_t rev = 0;
    char *data = NULL;
    int rc = reg_revision_at(c, row.rid, at, &rev, &data, e);
    rec_row_free(&row);
    if (rc < 0)
        return -1;
    if (!rev) {
        err_not_found(e, "record '%.60s' did not exist at %s", id, at);
        return -1;
    }
    *out = parse_stored(data);
    free(data);
    /* as it was then: a draft then is not for the public, nor a relation
     * whose end was one */
    const char *type = json_string_value(json_object_get(*out, "type"));
    const struct model_kind *rk = type ? model_kind(r->model, type) : NULL;
    if (!a->system && (!registry_may_read(r, a, *out) ||
                       (rk && rk->is_relation && !ends_readable_at(r, c, a, *out, at)))) {
        err_not_found(e, "record '%.60s' may not be read as it was at %s", id, at);
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    if (json_object_get(*out, "retired_at")) {
        err_set(e, 410, "gone", "", "record '%.60s' was retired at %s", id, at);
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
