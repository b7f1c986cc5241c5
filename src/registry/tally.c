/* tally: the figures a record of a kind with a "tally" keeps (issue 17:
 * the period report of the architecture's implementation, REQ MON-06,
 * MON-08; struct model_tally). A write of such a record that was new or
 * kept the tally's `while` sets its list `into` — one item per owner of
 * the records counted, the owners in name order, and a last one without
 * an owner for them all — and its timestamp `at`; afterwards (submitted,
 * received) the figures stay as they were: what the authorized body
 * received is what the integrator submitted.
 *
 * The counted records are those the writer may read, each kind read once
 * (projected: only the members the columns and the reading rights need);
 * open obligations once per column; a score's levels from the kept
 * judging (registry_score) as the writer reads it. */
#include "internal.h"

#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

static const char SCAN_SQL[] =
    "SELECT r.id, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.collection = $1 AND r.retired = 0 AND r.kind = $2";

static const char OVERDUE_SQL[] =
    "SELECT DISTINCT subject FROM obligations WHERE done_at IS NULL AND due_at < $2 "
    "AND policy IN (SELECT value FROM json_each($1))";

/* One owner's figures (or everyone's), per column. */
struct row {
    char owner[128]; /* "" : all of them */
    int64_t *n;      /* counts */
    model_i128 *sum; /* sums, in millionths */
};

struct tally {
    struct registry *r;
    struct store_conn *c;
    const struct actor *a;
    const struct model_tally *t;
    int64_t today;
    char from[11], to[11], now[40];
    struct row total;
    struct row *rows;
    size_t n_rows, cap_rows;
    json_t *at;        /* owner -> position in rows */
    json_t *overdue;   /* per column: {subject: true} of past-due obligations */
    bool overflow;     /* a sum beyond what a decimal holds */
};

static void row_init(struct row *w, size_t cols, const char *owner)
{
    snprintf(w->owner, sizeof w->owner, "%s", owner);
    w->n = xcalloc(cols ? cols : 1, sizeof *w->n);
    w->sum = xcalloc(cols ? cols : 1, sizeof *w->sum);
}

static struct row *row_of(struct tally *y, const char *owner)
{
    const json_t *pos = json_object_get(y->at, owner);
    if (pos)
        return &y->rows[json_integer_value(pos)];
    if (y->n_rows == y->cap_rows) {
        y->cap_rows = y->cap_rows ? 2 * y->cap_rows : 64;
        y->rows = xrealloc(y->rows, y->cap_rows * sizeof *y->rows);
    }
    row_init(&y->rows[y->n_rows], y->t->n_columns, owner);
    json_object_set_new(y->at, owner, json_integer((json_int_t)y->n_rows));
    return &y->rows[y->n_rows++];
}

/* Adds v (millionths) to a sum, noting an overflow past 18 digits. */
static void add_sum(struct tally *y, model_i128 *to, model_i128 v)
{
    const model_i128 limit = (model_i128)1000000000000000000LL * 1000000;
    *to += v;
    if (*to >= limit || *to <= -limit)
        y->overflow = true;
}

/* Does the record count in column c (its kind, condition and date)? */
static bool counts_in(const struct tally *y, const struct model_tally_column *c, const char *kind,
                      const json_t *rec)
{
    if (c->op == TALLY_SCORE || c->op == TALLY_PERCENT)
        return false;
    bool of_kind = false;
    for (size_t i = 0; i < c->n_kinds && !of_kind; i++)
        of_kind = strcmp(c->kinds[i], kind) == 0;
    if (!of_kind || !model_cond_holds(&c->when, rec, y->today))
        return false;
    if (c->dated) {
        const char *d = json_string_value(json_object_get(rec, c->dated));
        if (!d || strcmp(d, y->from) < 0 || strcmp(d, y->to) > 0)
            return false;
    }
    if (c->op == TALLY_OVERDUE) {
        /* an obligation's subject is "<collection>/<id>" */
        const struct model_kind *k = model_kind(y->r->model, kind);
        char subject[256];
        snprintf(subject, sizeof subject, "%s/%s", k ? k->collection : "",
                 json_string_value(json_object_get(rec, "id")));
        return json_object_get(json_array_get(y->overdue, (size_t)(c - y->t->columns)),
                               subject) != NULL;
    }
    return true;
}

static void count_record(struct tally *y, const char *kind, const json_t *rec)
{
    const char *owner = json_string_value(json_object_get(rec, "owner"));
    struct row *w = NULL;
    for (size_t i = 0; i < y->t->n_columns; i++) {
        const struct model_tally_column *c = &y->t->columns[i];
        if (!counts_in(y, c, kind, rec))
            continue;
        w = w ? w : row_of(y, owner ? owner : "");
        if (c->op == TALLY_SUM) {
            model_i128 v;
            if (model_millionths(json_object_get(rec, c->sum), &v)) {
                add_sum(y, &w->sum[i], v);
                add_sum(y, &y->total.sum[i], v);
            }
        } else {
            w->n[i]++;
            y->total.n[i]++;
        }
    }
}

static void add_member(json_t *set, const char *name)
{
    if (name)
        json_object_set_new(set, name, json_true());
}

/* The members a scan reads: the envelope, what tells who may read a
 * record (the workflows' status fields), and what the columns name. */
static json_t *members(const struct model *m, const struct model_tally *t)
{
    json_t *set = reg_reading_members(m);
    for (size_t i = 0; i < t->n_columns; i++) {
        const struct model_tally_column *c = &t->columns[i];
        add_member(set, c->dated);
        add_member(set, c->sum);
        for (size_t j = 0; j < c->when.n_terms; j++)
            add_member(set, c->when.terms[j].field);
    }
    return set;
}

/* Each live record of kind `kind` the writer may read, counted. */
static int scan_kind(struct tally *y, const char *kind, const json_t *fields, struct err *e)
{
    const struct model_kind *k = model_kind(y->r->model, kind);
    struct store_stmt *st = k ? store_prepare(y->c, SCAN_SQL, true, e) : NULL;
    if (!st)
        return k ? -1 : 0;
    store_bind_text(st, 1, k->collection);
    store_bind_text(st, 2, kind);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = reg_project(fields, store_col_text(st, 1), store_col_bytes(st, 1));
        if (!rec) {
            err_internal(e, "stored record '%.60s' is not valid JSON", store_col_text(st, 0));
            rc = STORE_ERROR;
            break;
        }
        if (registry_may_read(y->r, y->a, rec))
            count_record(y, kind, rec);
        json_decref(rec);
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Per column, the subjects of its policies' obligations past due now. */
static int load_overdue(struct tally *y, struct err *e)
{
    y->overdue = json_array();
    for (size_t i = 0; i < y->t->n_columns; i++) {
        const struct model_tally_column *c = &y->t->columns[i];
        json_t *set = json_object();
        json_array_append_new(y->overdue, set);
        if (c->op != TALLY_OVERDUE)
            continue;
        struct store_stmt *st = store_prepare(y->c, OVERDUE_SQL, true, e);
        if (!st)
            return -1;
        char *pols = reg_strings_json(c->policies, c->n_policies);
        store_bind_text(st, 1, pols);
        store_bind_text(st, 2, y->now);
        int rc;
        while ((rc = store_step(st, e)) == STORE_ROW)
            json_object_set_new(set, store_col_text(st, 0), json_true());
        store_reset(st);
        free(pols);
        if (rc == STORE_ERROR)
            return -1;
    }
    return 0;
}

/* The score columns, from the score's items as the writer reads them. */
static int count_scores(struct tally *y, struct err *e)
{
    for (size_t i = 0; i < y->t->n_columns; i++) {
        const struct model_tally_column *c = &y->t->columns[i];
        if (c->op != TALLY_SCORE)
            continue;
        json_t *ans;
        if (registry_score(y->r, y->a, c->score->id, &ans, NULL, e) < 0)
            return -1;
        size_t j;
        json_t *it;
        json_array_foreach (json_object_get(ans, "items"), j, it) {
            const json_t *lv = c->factor < 0
                                   ? json_object_get(it, "level")
                                   : json_object_get(json_array_get(json_object_get(it, "factors"),
                                                                    (size_t)c->factor),
                                                     "level");
            if (json_integer_value(lv) < c->from)
                continue;
            const char *owner = json_string_value(json_object_get(it, "owner"));
            row_of(y, owner ? owner : "")->n[i]++;
            y->total.n[i]++;
        }
        json_decref(ans);
    }
    return 0;
}

/* Row w as an item of `into`: the owner (none for the total) and every
 * column; a percent with a zero base is left out. */
static json_t *item_of(const struct tally *y, const struct row *w)
{
    const struct model_tally *t = y->t;
    json_t *o = json_object();
    if (w->owner[0])
        json_object_set_new(o, t->by, json_string(w->owner));
    for (size_t i = 0; i < t->n_columns; i++) {
        const struct model_tally_column *c = &t->columns[i];
        char text[64];
        if (c->op == TALLY_SUM) {
            if (model_decimal_text(w->sum[i], text, sizeof text))
                json_object_set_new(o, c->field, json_string(text));
        } else if (c->op == TALLY_PERCENT) {
            int64_t over = w->n[c->over];
            if (over > 0) {
                /* one decimal place, rounded half up; no ".0" */
                int64_t tenths = (w->n[c->of] * 1000 + over / 2) / over;
                if (tenths % 10)
                    snprintf(text, sizeof text, "%lld.%lld", (long long)(tenths / 10),
                             (long long)(tenths % 10));
                else
                    snprintf(text, sizeof text, "%lld", (long long)(tenths / 10));
                json_object_set_new(o, c->field, json_string(text));
            }
        } else
            json_object_set_new(o, c->field, json_integer(w->n[i]));
    }
    return o;
}

/* The owners' names in the reader's order: the rows sorted by the owners'
 * sort names (their stored records'). */
struct named {
    const struct row *w;
    char *key;
};

static int by_key(const void *pa, const void *pb)
{
    const struct named *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    return c ? c : strcmp(a->w->owner, b->w->owner);
}

static char *owner_key(struct tally *y, const char *owner)
{
    struct store_stmt *st = store_prepare(
        y->c, "SELECT sort_name FROM records WHERE id = $1", true, NULL);
    char *key = NULL;
    if (st) {
        store_bind_text(st, 1, owner);
        if (store_step(st, NULL) == STORE_ROW)
            key = xstrdup(store_col_text(st, 0) ? store_col_text(st, 0) : "");
        store_reset(st);
    }
    return key ? key : xstrdup(owner);
}

int reg_tally(struct registry *r, struct store_conn *c, const struct actor *a,
              const struct model_kind *k, const json_t *rec, json_t *into, const char *now,
              struct err *e)
{
    const struct model_tally *t = k->tally;
    struct tally y = {.r = r, .c = c, .a = a, .t = t, .today = registry_today(r)};
    const char *from = json_string_value(json_object_get(rec, t->from));
    const char *to = json_string_value(json_object_get(rec, t->to));
    snprintf(y.from, sizeof y.from, "%s", from ? from : "");
    snprintf(y.to, sizeof y.to, "%s", to ? to : "");
    snprintf(y.now, sizeof y.now, "%s", now);
    y.at = json_object();
    row_init(&y.total, t->n_columns, "");
    json_t *fields = members(r->model, t);
    /* each kind a column counts, once */
    json_t *kinds = json_object();
    for (size_t i = 0; i < t->n_columns; i++)
        for (size_t j = 0; j < t->columns[i].n_kinds; j++)
            json_object_set_new(kinds, t->columns[i].kinds[j], json_true());
    int rc = load_overdue(&y, e);
    const char *kind;
    json_t *v;
    json_object_foreach (kinds, kind, v)
        if (rc == 0)
            rc = scan_kind(&y, kind, fields, e);
    if (rc == 0)
        rc = count_scores(&y, e);
    if (rc == 0 && y.overflow) {
        err_set(e, 422, "too-large", t->into, "a sum has more than 18 digits");
        rc = -1;
    }
    if (rc == 0) {
        struct named *order = xcalloc(y.n_rows ? y.n_rows : 1, sizeof *order);
        for (size_t i = 0; i < y.n_rows; i++)
            order[i] = (struct named){&y.rows[i], owner_key(&y, y.rows[i].owner)};
        qsort(order, y.n_rows, sizeof *order, by_key);
        json_t *items = json_array();
        for (size_t i = 0; i < y.n_rows; i++) {
            if (order[i].w->owner[0])
                json_array_append_new(items, item_of(&y, order[i].w));
            free(order[i].key);
        }
        free(order);
        json_array_append_new(items, item_of(&y, &y.total));
        json_object_set_new(into, t->into, items);
        json_object_set_new(into, t->at, json_string(now));
    }
    for (size_t i = 0; i < y.n_rows; i++) {
        free(y.rows[i].n);
        free(y.rows[i].sum);
    }
    free(y.rows);
    free(y.total.n);
    free(y.total.sum);
    json_decref(y.at);
    json_decref(y.overdue);
    json_decref(kinds);
    json_decref(fields);
    return rc;
}

bool reg_tallies(const struct registry *r, const struct model_kind *k, const json_t *prev)
{
    return k && k->tally &&
           (!prev || model_cond_holds(&k->tally->while_, prev, registry_today(r)));
}
