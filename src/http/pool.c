/* pool: a small, bounded set of threads for the handlers of expensive
 * routes (those registered with router_add_pooled: password hashing), so
 * that their work never runs on a connection thread, where it would hold
 * up every other request of that thread's connections.
 *
 * Room is reserved before a job is handed over: at most `threads` jobs
 * run and `queue` wait; a caller that finds no room answers at once
 * (503) instead of waiting. Jobs run in the order they came. */
#include "http/pool.h"

#include "util/err.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

struct job {
    struct job *next;
    void (*fn)(void *);
    void *arg;
};

struct http_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t *tids;
    unsigned n_threads, cap; /* cap: running + waiting, at most */
    unsigned reserved;       /* jobs reserved, submitted or running */
    struct job *head, *tail;
    bool stopping;
};

/* Pool threads yield the processor to the connection threads: hashing
 * takes what reads leave, so a flood of sign-ins slows sign-ins (which
 * queue, then get 503), not reads. On an idle or moderately busy machine
 * a sign-in is as fast as on a connection thread; only a machine that
 * reads saturate makes it wait. Linux gives each thread its own nice
 * value; where it cannot be set nothing else changes. */
#define POOL_NICE 10

static void *pool_main(void *arg)
{
    struct http_pool *p = arg;
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), POOL_NICE);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        struct job *j = p->head;
        if (!j)
            break; /* stopping, and nothing left to run */
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&p->mu);
        p->reserved--;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct http_pool *http_pool_new(unsigned threads, unsigned queue)
{
    struct http_pool *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->n_threads = threads ? threads : 1;
    p->cap = p->n_threads + queue;
    p->tids = xcalloc(p->n_threads, sizeof *p->tids);
    for (unsigned i = 0; i < p->n_threads; i++)
        if (pthread_create(&p->tids[i], NULL, pool_main, p) != 0)
            fatal("http pool: cannot start a thread");
    return p;
}

bool http_pool_reserve(struct http_pool *p)
{
    pthread_mutex_lock(&p->mu);
    bool ok = !p->stopping && p->reserved < p->cap;
    if (ok)
        p->reserved++;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void http_pool_submit(struct http_pool *p, void (*fn)(void *), void *arg)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->fn = fn;
    j->arg = arg;
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void http_pool_free(struct http_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->tids[i], NULL);
    free(p->tids);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
