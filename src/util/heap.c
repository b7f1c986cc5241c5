/* heap: the keeper thread (heap.h). */
#include "heap.h"

#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct heap_keeper {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    unsigned interval_ms;
    size_t slack;
};

static atomic_long heap_busy;         /* requests in flight */
static atomic_llong heap_quiet_since; /* when the last one ended (ms, monotonic) */

static long long mono_ms(void)
{
    return (long long)(time_mono_ns() / 1000000);
}

void heap_activity(int delta)
{
    if (delta < 0)
        atomic_store(&heap_quiet_since, mono_ms());
    atomic_fetch_add(&heap_busy, delta);
}

bool heap_quiet(unsigned interval_ms)
{
    return atomic_load(&heap_busy) <= 0 &&
           mono_ms() - atomic_load(&heap_quiet_since) >= (long long)interval_ms;
}

size_t heap_resident_anon(void)
{
    /* statm: size resident shared ... (pages); resident - shared is
     * RssAnon (+ RssShmem, which the server has none of) */
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return 0;
    unsigned long size, resident, shared;
    int n = fscanf(f, "%lu %lu %lu", &size, &resident, &shared);
    fclose(f);
    if (n != 3 || shared > resident)
        return 0;
    return (size_t)(resident - shared) * (size_t)sysconf(_SC_PAGESIZE);
}

static void *keeper_main(void *arg)
{
    struct heap_keeper *k = arg;
    size_t floor = heap_resident_anon();
    pthread_mutex_lock(&k->mu);
    while (!k->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)(k->interval_ms % 1000) * 1000000L;
        until.tv_sec += k->interval_ms / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!k->stop && pthread_cond_timedwait(&k->cv, &k->mu, &until) != ETIMEDOUT)
            ;
        if (k->stop)
            break;
        pthread_mutex_unlock(&k->mu);
        size_t now = heap_resident_anon();
        if (now && now < floor)
            floor = now;
        if (now && now >= floor + k->slack &&
            (heap_quiet(k->interval_ms) || now >= floor + HEAP_BUSY_SLACKS * k->slack)) {
            malloc_trim(0);
            floor = heap_resident_anon();
        }
        pthread_mutex_lock(&k->mu);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

struct heap_keeper *heap_keeper_start(unsigned interval_ms, size_t slack)
{
    struct heap_keeper *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->interval_ms = interval_ms ? interval_ms : 1;
    k->slack = slack;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&k->mu, NULL);
    if (pthread_create(&k->thread, NULL, keeper_main, k) != 0) {
        log_msg(LOG_WARN, "heap keeper not started: freed memory stays in the heap");
        pthread_cond_destroy(&k->cv);
        pthread_mutex_destroy(&k->mu);
        free(k);
        return NULL;
    }
    return k;
}

void heap_keeper_stop(struct heap_keeper *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->mu);
    k->stop = true;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    free(k);
}
