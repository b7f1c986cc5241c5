/* tokenize: SQLite's FTS5 tokenizer on a handle of this thread's own
 * (tokenize.h). The handle and the tokenizer are made at the first use and
 * freed when the thread ends. */
#include "store/tokenize.h"

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

/* The same arguments as the SQLite tables' "tokenize" option. */
static const char *const tok_args[] = {"remove_diacritics", "0", "tokenchars", "_"};

struct tok {
    sqlite3 *db;
    fts5_tokenizer api;
    Fts5Tokenizer *t;
};

static pthread_key_t tok_key;
static pthread_once_t tok_once = PTHREAD_ONCE_INIT;

static void tok_free(void *p)
{
    struct tok *k = p;
    if (!k)
        return;
    if (k->t)
        k->api.xDelete(k->t);
    sqlite3_close(k->db);
    free(k);
}

static void tok_init(void)
{
    (void)pthread_key_create(&tok_key, tok_free);
}

static struct tok *tok_get(void)
{
    pthread_once(&tok_once, tok_init);
    struct tok *k = pthread_getspecific(tok_key);
    if (k)
        return k->t ? k : NULL;
    k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    pthread_setspecific(tok_key, k);
    if (sqlite3_open_v2(":memory:", &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return NULL;
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(k->db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL) == SQLITE_OK)
        (void)sqlite3_step(st);
    sqlite3_finalize(st);
    void *user = NULL;
    if (!api || api->xFindTokenizer(api, "unicode61", &user, &k->api) != SQLITE_OK ||
        k->api.xCreate(user, (const char **)tok_args, (int)(sizeof tok_args / sizeof *tok_args),
                       &k->t) != SQLITE_OK)
        k->t = NULL;
    return k->t ? k : NULL;
}

struct terms {
    store_term_until_fn fn;
    void *ctx;
};

static int one_term(void *vctx, int flags, const char *t, int n, int start, int end)
{
    (void)flags;
    (void)start;
    (void)end;
    struct terms *x = vctx;
    return n > 0 && !x->fn(x->ctx, t, (size_t)n) ? SQLITE_DONE : SQLITE_OK;
}

int store_tokenize_until(const char *text, size_t len, store_term_until_fn fn, void *ctx)
{
    struct tok *k = tok_get();
    if (!k || len > INT_MAX)
        return -1;
    struct terms x = {fn, ctx};
    int rc = k->api.xTokenize(k->t, &x, FTS5_TOKENIZE_DOCUMENT, text, (int)len, one_term);
    return rc == SQLITE_OK || rc == SQLITE_DONE ? 0 : -1;
}

struct every {
    store_term_fn fn;
    void *ctx;
};

static bool every_term(void *vctx, const char *t, size_t n)
{
    struct every *x = vctx;
    x->fn(x->ctx, t, n);
    return true;
}

int store_tokenize(const char *text, size_t len, store_term_fn fn, void *ctx)
{
    struct every x = {fn, ctx};
    return store_tokenize_until(text, len, every_term, &x);
}
