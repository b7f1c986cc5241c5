/* arena: a region allocator freed all at once (one per request).
 *
 * Allocations are 16-byte aligned and never individually freed. A request's
 * arena is created when the request starts and freed when it completes. */
#ifndef AP_ARENA_H
#define AP_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);

/* Never returns NULL: aborts on out-of-memory or size overflow. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Bytes handed out so far (for tests and metrics). */
size_t arena_used(const struct arena *a);

#endif
