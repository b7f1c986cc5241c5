/* pool: the server's bounded thread pool for pooled routes (private to
 * src/http/). */
#ifndef AP_HTTP_POOL_H
#define AP_HTTP_POOL_H

#include <stdbool.h>

struct http_pool;

/* Starts `threads` threads (0 counts as 1); at most `queue` more jobs wait
 * for one. Aborts when a thread cannot start. */
struct http_pool *http_pool_new(unsigned threads, unsigned queue);
/* Takes room for one job: false, at once, when every thread is busy and
 * the queue is full (or the pool stops). A true answer must be followed by
 * exactly one http_pool_submit. */
bool http_pool_reserve(struct http_pool *p);
/* Hands over fn(arg), which runs on a pool thread; room was reserved. */
void http_pool_submit(struct http_pool *p, void (*fn)(void *), void *arg);
/* Runs what was submitted, then stops and joins the threads. */
void http_pool_free(struct http_pool *p);

#endif
