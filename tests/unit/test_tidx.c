/* Unit tests of the in-memory word index (src/registry/tidx.c) against a
 * plain model: every record's set of words, searched by brute force.
 * REQ: REG-01 (finding the registry's objects by their words)
 * And the textual duplicates' scoring (src/registry/dups.c) over the
 * index's lists of terms: TF-IDF cosine, all pairs from a threshold by
 * prefix filtering, against every pair scored by brute force.
 * REQ: ARC-13, MON-03 (duplication found across the records) */
#include "registry/dups.h"
#include "registry/tidx.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_RIDS 3000
#define N_VOCAB 40
#define MAX_WORDS 6

/* Words sharing prefixes, Cyrillic and Latin, so that prefixes match
 * several of them. */
static char vocab[N_VOCAB][32];

static void make_vocab(void)
{
    static const char *const stems[] = {"мемлекет", "қызмет", "жүйе", "service", "servo",
                                        "порт",     "портал", "ақпарат"};
    for (int i = 0; i < N_VOCAB; i++)
        snprintf(vocab[i], sizeof vocab[i], "%s%c", stems[i % 8], 'a' + i / 8);
}

/* The index's lock, as fidx holds it: merges run in their own thread and
 * take it to install their result. */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

/* The model: each rid's words (indexes into vocab), or none. */
struct model {
    int n[N_RIDS + 1];
    int w[N_RIDS + 1][MAX_WORDS];
};

static void set_words(struct tidx *t, struct model *m, uint32_t rid, unsigned *seed, bool load)
{
    int n = (int)(rand_r(seed) % (MAX_WORDS + 1));
    const char *terms[MAX_WORDS + 1];
    size_t lens[MAX_WORDS + 1];
    for (int i = 0; i < n; i++) {
        m->w[rid][i] = (int)(rand_r(seed) % N_VOCAB);
        terms[i] = vocab[m->w[rid][i]];
        lens[i] = strlen(terms[i]);
    }
    m->n[rid] = n;
    if (load) {
        tidx_load(t, "objects", rid, terms, lens, (size_t)n);
    } else {
        pthread_rwlock_wrlock(&lock);
        tidx_set(t, "objects", rid, terms, lens, (size_t)n);
        pthread_rwlock_unlock(&lock);
    }
}

static bool model_has(const struct model *m, uint32_t rid, const char *prefix)
{
    for (int i = 0; i < m->n[rid]; i++)
        if (strncmp(vocab[m->w[rid][i]], prefix, strlen(prefix)) == 0)
            return true;
    return false;
}

/* Checks a query of one or two prefixes against the model. */
static void check_query(struct tidx *t, const struct model *m, const char *const *prefixes,
                        size_t n)
{
    struct arena *a = arena_new();
    pthread_rwlock_rdlock(&lock);
    struct rids got = tidx_match(t, a, "objects", prefixes, n);
    pthread_rwlock_unlock(&lock);
    size_t k = 0;
    for (uint32_t rid = 1; rid <= N_RIDS; rid++) {
        bool want = true;
        for (size_t i = 0; i < n; i++)
            want = want && model_has(m, rid, prefixes[i]);
        if (!want)
            continue;
        if (k >= got.n || got.v[k] != rid)
            fail_msg("query '%s'%s%s: rid %u missing (at %zu of %zu)", prefixes[0],
                     n > 1 ? " + " : "", n > 1 ? prefixes[1] : "", rid, k, got.n);
        k++;
    }
    if (k != got.n)
        fail_msg("query '%s': %zu rids, the model has %zu", prefixes[0], got.n, k);
    arena_free(a);
}

static void check_all(struct tidx *t, const struct model *m, unsigned *seed)
{
    static const char *const fixed[] = {"м", "мем", "мемлекетa", "қыз", "serv", "servi",
                                        "порт", "портал", "x", "ақ"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        check_query(t, m, &fixed[i], 1);
    for (int i = 0; i < 20; i++) {
        char p1[32], p2[32];
        const char *w1 = vocab[rand_r(seed) % N_VOCAB], *w2 = vocab[rand_r(seed) % N_VOCAB];
        snprintf(p1, sizeof p1, "%.*s", 1 + (int)(rand_r(seed) % strlen(w1)), w1);
        snprintf(p2, sizeof p2, "%.*s", 1 + (int)(rand_r(seed) % strlen(w2)), w2);
        const char *two[2] = {p1, p2};
        check_query(t, m, two, 1);
        check_query(t, m, two, 2);
    }
}

/* Loads the model in two passes (as fidx does from the database). */
static struct tidx *build(struct model *m, unsigned *seed, bool descending)
{
    struct tidx *t = tidx_new(&lock);
    unsigned first = *seed;
    for (int pass = 0; pass < 2; pass++) {
        *seed = first; /* the same words both times */
        for (uint32_t k = 1; k <= N_RIDS; k++) {
            uint32_t rid = descending ? N_RIDS + 1 - k : k;
            if (k % 7 == 0) { /* a record without text */
                m->n[rid] = 0;
                continue;
            }
            set_words(t, m, rid, seed, true);
        }
        if (pass == 0)
            tidx_fill_begin(t);
    }
    tidx_seal(t);
    return t;
}

static void test_build_and_query(void **state)
{
    (void)state;
    static struct model m;
    unsigned seed = 7;
    struct tidx *t = build(&m, &seed, false);
    check_all(t, &m, &seed);
    size_t terms, postings, bytes;
    tidx_size(t, &terms, &postings, &bytes);
    assert_int_equal(terms, N_VOCAB);
    assert_true(postings > N_RIDS && bytes > postings * 4);
    /* another collection is separate, and an empty query matches nothing */
    struct arena *a = arena_new();
    const char *p = "м";
    assert_int_equal(tidx_match(t, a, "relations", &p, 1).n, 0);
    assert_int_equal(tidx_match(t, a, "objects", &p, 0).n, 0);
    arena_free(a);
    tidx_free(t);
}

static void test_rids_out_of_order(void **state)
{
    (void)state;
    static struct model m;
    unsigned seed = 11;
    struct tidx *t = build(&m, &seed, true);
    check_all(t, &m, &seed);
    tidx_free(t);
}

/* Changes, removals and new records, across several merges of the delta
 * into the base; the index answers as the model after every round. */
static void test_changes_and_merges(void **state)
{
    (void)state;
    static struct model m;
    unsigned seed = 3;
    struct tidx *t = build(&m, &seed, false);
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 700; i++) {
            uint32_t rid = 1 + (uint32_t)(rand_r(&seed) % N_RIDS);
            if (rand_r(&seed) % 5 == 0) {
                m.n[rid] = 0;
                pthread_rwlock_wrlock(&lock);
                tidx_set(t, "objects", rid, NULL, NULL, 0);
                pthread_rwlock_unlock(&lock);
            } else {
                set_words(t, &m, rid, &seed, false);
            }
        }
        check_all(t, &m, &seed); /* a merge may be under way */
        if (round % 2)
            tidx_wait(t);
        check_all(t, &m, &seed);
    }
    tidx_free(t);
}

/* Without a lock to share, a merge happens at once. */
static void test_merge_without_a_thread(void **state)
{
    (void)state;
    static struct model m;
    unsigned seed = 5;
    struct tidx *t = tidx_new(NULL);
    tidx_fill_begin(t);
    tidx_seal(t);
    for (uint32_t rid = 1; rid <= N_RIDS; rid++)
        set_words(t, &m, rid, &seed, false);
    check_all(t, &m, &seed);
    size_t terms, postings, bytes;
    tidx_size(t, &terms, &postings, &bytes);
    assert_true(terms > 0); /* merged into the base */
    tidx_free(t);
}

/* A merge folds the delta into the base where it lies, growing its arrays
 * (issue 15: peak RSS): it holds at once hardly more than the new base,
 * not a second copy of it beside the first. After it, the index answers
 * as before: words new to the base, a word no record has any longer. */
enum { N_BASE = 40000, N_NEW = 1100 };

/* The k-th record set after the base: first the 40 base records that have
 * "gone", then new ones. */
static uint32_t new_rid(uint32_t k)
{
    return k < N_BASE / 1000 ? 1000 * (k + 1) : N_BASE + 1 + k - N_BASE / 1000;
}

static void test_merge_in_place(void **state)
{
    (void)state;
    struct tidx *t = tidx_new(&lock);
    char buf[4][32];
    const char *terms[4];
    size_t lens[4];
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t rid = 1; rid <= N_BASE; rid++) {
            /* a word of its own, two shared by many, and "gone" on a few */
            snprintf(buf[0], sizeof buf[0], "w%u", rid);
            snprintf(buf[1], sizeof buf[1], "%s", vocab[rid % N_VOCAB]);
            snprintf(buf[2], sizeof buf[2], "%s", vocab[(rid / 7) % N_VOCAB]);
            snprintf(buf[3], sizeof buf[3], "gone");
            for (int i = 0; i < 4; i++) {
                terms[i] = buf[i];
                lens[i] = strlen(buf[i]);
            }
            tidx_load(t, "objects", rid, terms, lens, rid % 1000 == 0 ? 4 : 3);
        }
        if (pass == 0)
            tidx_fill_begin(t);
    }
    tidx_seal(t);
    size_t terms0, postings0, bytes0;
    tidx_size(t, &terms0, &postings0, &bytes0);
    /* new records with a word no base record has, and the records with
     * "gone" lose it */
    for (uint32_t k = 0; k < N_NEW; k++) {
        uint32_t rid = new_rid(k);
        snprintf(buf[0], sizeof buf[0], "w%u", rid);
        snprintf(buf[1], sizeof buf[1], "%s", vocab[rid % N_VOCAB]);
        snprintf(buf[2], sizeof buf[2], "new%u", k % 50);
        for (int i = 0; i < 3; i++) {
            terms[i] = buf[i];
            lens[i] = strlen(buf[i]);
        }
        pthread_rwlock_wrlock(&lock);
        tidx_set(t, "objects", rid, terms, lens, 3);
        pthread_rwlock_unlock(&lock);
    }
    tidx_wait(t);
    size_t terms1, postings1, bytes1;
    tidx_size(t, &terms1, &postings1, &bytes1);
    size_t peak = tidx_merge_peak(t);
    assert_true(peak > 0); /* a merge ran */
    assert_true(terms1 > terms0);
    /* the base, its growth and the merge's sorted (term, rid) pairs; two
     * bases would be twice the base */
    if (peak > bytes1 + bytes1 / 8)
        fail_msg("a merge held %zu bytes at once; the base is %zu", peak, bytes1);

    struct arena *a = arena_new();
    const char *q[2];
    pthread_rwlock_rdlock(&lock);
    q[0] = "gone";
    assert_int_equal(tidx_match(t, a, "objects", q, 1).n, 0);
    q[0] = "new";
    struct rids r = tidx_match(t, a, "objects", q, 1);
    assert_int_equal(r.n, N_NEW);
    for (size_t i = 1; i < r.n; i++)
        assert_true(r.v[i - 1] < r.v[i]);
    q[0] = "new7";
    q[1] = vocab[new_rid(57) % N_VOCAB];
    r = tidx_match(t, a, "objects", q, 2);
    assert_true(r.n > 0);
    for (size_t i = 0; i < r.n; i++)
        assert_true(r.v[i] > N_BASE || r.v[i] % 1000 == 0);
    q[0] = "w39000"; /* a record that lost "gone" keeps its other words */
    assert_int_equal(tidx_match(t, a, "objects", q, 1).n, 1);
    q[0] = "w40001";
    r = tidx_match(t, a, "objects", q, 1);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0], N_BASE + 1);
    pthread_rwlock_unlock(&lock);

    /* only new records this time: the base's terms keep all their rids */
    uint32_t first = new_rid(N_NEW - 1) + 1;
    for (uint32_t rid = first; rid < first + N_NEW; rid++) {
        snprintf(buf[0], sizeof buf[0], "w%u", rid);
        snprintf(buf[1], sizeof buf[1], "%s", vocab[rid % N_VOCAB]);
        snprintf(buf[2], sizeof buf[2], "late%u", rid % 3);
        for (int i = 0; i < 3; i++) {
            terms[i] = buf[i];
            lens[i] = strlen(buf[i]);
        }
        pthread_rwlock_wrlock(&lock);
        tidx_set(t, "objects", rid, terms, lens, 3);
        pthread_rwlock_unlock(&lock);
    }
    tidx_wait(t);
    tidx_size(t, &terms1, &postings1, &bytes1);
    peak = tidx_merge_peak(t);
    if (peak > bytes1 + bytes1 / 8)
        fail_msg("a merge held %zu bytes at once; the base is %zu", peak, bytes1);
    pthread_rwlock_rdlock(&lock);
    q[0] = "late";
    r = tidx_match(t, a, "objects", q, 1);
    assert_int_equal(r.n, N_NEW);
    assert_int_equal(r.v[0], first);
    q[0] = "new";
    assert_int_equal(tidx_match(t, a, "objects", q, 1).n, N_NEW);
    /* every record, old or new, by its own word and its shared one */
    for (uint32_t rid = 1; rid < first + N_NEW; rid += 37) {
        char own[32];
        snprintf(own, sizeof own, "w%u", rid);
        q[0] = own;
        q[1] = vocab[rid % N_VOCAB];
        r = tidx_match(t, a, "objects", q, 2);
        size_t k = 0;
        while (k < r.n && r.v[k] != rid)
            k++;
        if (k == r.n)
            fail_msg("rid %u not found by its words", rid);
    }
    pthread_rwlock_unlock(&lock);
    arena_free(a);
    tidx_free(t);
}

/* The model's distinct words of rid, sorted (indexes into vocab). */
static int model_set(const struct model *m, uint32_t rid, int *out)
{
    bool has[N_VOCAB] = {false};
    for (int i = 0; i < m->n[rid]; i++)
        has[m->w[rid][i]] = true;
    int n = 0;
    for (int v = 0; v < N_VOCAB; v++)
        if (has[v])
            out[n++] = v;
    return n;
}

struct found {
    double *score; /* [i * n + j] */
    size_t n;
};

static void note_pair(void *ctx, size_t i, size_t j, double score)
{
    struct found *f = ctx;
    assert_true(i < j && j < f->n);
    assert_true(f->score[i * f->n + j] < 0); /* each pair once */
    f->score[i * f->n + j] = score;
}

/* The records as lists of terms, with a delta not yet merged, answer as
 * the model: each record's words, each word's records; and the pairs from
 * a threshold are exactly those whose cosine, computed by brute force
 * from the model with the same weights, reaches it. */
static void test_docs_and_text_pairs(void **state)
{
    (void)state;
    static struct model m;
    unsigned seed = 11;
    struct tidx *t = build(&m, &seed, true);
    for (int i = 0; i < 300; i++) /* a delta the base has not taken in */
        set_words(t, &m, 1 + (uint32_t)(rand_r(&seed) % N_RIDS), &seed, false);
    tidx_wait(t);
    /* the odd rids only */
    uint32_t *odd = malloc(N_RIDS * sizeof *odd);
    size_t n_odd = 0;
    for (uint32_t rid = 1; rid <= N_RIDS; rid += 2)
        odd[n_odd++] = rid;
    struct rids only = {odd, n_odd};
    struct tidx_docs d;
    pthread_rwlock_rdlock(&lock);
    tidx_docs(t, "objects", &only, &d);
    struct arena *a = arena_new();
    for (int v = 0; v < N_VOCAB; v++) {
        struct rids got = tidx_term(t, a, "objects", vocab[v]);
        size_t k = 0;
        for (uint32_t rid = 1; rid <= N_RIDS; rid++) {
            int w[N_VOCAB];
            int n = model_set(&m, rid, w);
            bool has = false;
            for (int i = 0; i < n; i++)
                has = has || w[i] == v;
            if (has) {
                assert_true(k < got.n);
                assert_int_equal(got.v[k++], rid);
            }
        }
        assert_int_equal(k, got.n);
    }
    pthread_rwlock_unlock(&lock);
    size_t n_all = 0;
    for (uint32_t rid = 1; rid <= N_RIDS; rid++)
        n_all += m.n[rid] > 0;
    assert_int_equal(d.n_all, n_all);
    /* each record's terms are its words; the term numbers' df the model's */
    size_t k = 0;
    int dfv[N_VOCAB] = {0};
    for (uint32_t rid = 1; rid <= N_RIDS; rid++) {
        int w[N_VOCAB];
        int n = model_set(&m, rid, w);
        for (int i = 0; i < n; i++)
            dfv[w[i]]++;
        if (rid % 2 == 0 || n == 0)
            continue;
        assert_true(k < d.n_docs);
        assert_int_equal(d.rid[k], rid);
        assert_int_equal(d.at[k + 1] - d.at[k], n);
        k++;
    }
    assert_int_equal(k, d.n_docs);
    /* pairs, against brute force over the model */
    const double min = 0.6;
    struct found f = {malloc(d.n_docs * d.n_docs * sizeof(double)), d.n_docs};
    for (size_t i = 0; i < d.n_docs * d.n_docs; i++)
        f.score[i] = -1;
    bool complete;
    size_t found = dups_text_pairs(&d, min, SIZE_MAX, &complete, note_pair, &f);
    assert_true(complete);
    size_t expect = 0;
    for (size_t i = 0; i < d.n_docs; i++) {
        int wi[N_VOCAB], wj[N_VOCAB];
        int ni = model_set(&m, d.rid[i], wi);
        double si = 0;
        for (int x = 0; x < ni; x++)
            si += pow(dups_weight(n_all, (size_t)dfv[wi[x]]), 2);
        for (size_t j = i + 1; j < d.n_docs; j++) {
            int nj = model_set(&m, d.rid[j], wj);
            double sj = 0, dotp = 0;
            for (int y = 0; y < nj; y++) {
                double wy = dups_weight(n_all, (size_t)dfv[wj[y]]);
                sj += wy * wy;
                for (int x = 0; x < ni; x++)
                    if (wi[x] == wj[y])
                        dotp += wy * wy;
            }
            double cos = dotp / sqrt(si * sj);
            double got = f.score[i * d.n_docs + j];
            if (cos >= min + 1e-9) {
                expect++;
                assert_true(fabs(got - (cos > 1 ? 1 : cos)) < 1e-9);
            } else if (cos < min - 1e-9) {
                assert_true(got < 0);
            } else {
                expect += got >= 0; /* at the threshold itself: either */
            }
        }
    }
    assert_int_equal(found, expect);
    assert_true(found > 0);
    /* within a bound of work: fewer pairs, and said so */
    for (size_t i = 0; i < d.n_docs * d.n_docs; i++)
        f.score[i] = -1;
    size_t some = dups_text_pairs(&d, min, 50, &complete, note_pair, &f);
    assert_false(complete);
    assert_true(some < found);
    free(f.score);
    arena_free(a);
    tidx_docs_free(&d);
    free(odd);
    tidx_free(t);
}

/* The weight of a term: ln(1 + N / df); a term every record has still
 * weighs something, a rarer one more. */
static void test_weights(void **state)
{
    (void)state;
    assert_true(fabs(dups_weight(100, 1) - log(101)) < 1e-12);
    assert_true(fabs(dups_weight(100, 100) - log(2)) < 1e-12);
    assert_true(fabs(dups_weight(100, 0) - log(101)) < 1e-12);
    assert_true(dups_weight(1000, 10) > dups_weight(1000, 11));
}

int main(void)
{
    make_vocab();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_query),
        cmocka_unit_test(test_rids_out_of_order),
        cmocka_unit_test(test_changes_and_merges),
        cmocka_unit_test(test_merge_without_a_thread),
        cmocka_unit_test(test_merge_in_place),
        cmocka_unit_test(test_docs_and_text_pairs),
        cmocka_unit_test(test_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
