/* heap: gives the freed memory of a long-running process back to the
 * system while it serves.
 *
 * glibc keeps what a request freed inside its heap, resident, between the
 * blocks still in use (the page caches, the indexes' growth), so that each
 * phase of load left the server larger (issue 15: peak RSS at national
 * scale). The keeper is a thread that looks at the process's anonymous
 * memory every `interval_ms` and, when it has grown by `slack` bytes or
 * more since it last looked, calls malloc_trim, which hands the free pages
 * inside the heap back (madvise) without moving anything in use. */
#ifndef AP_HEAP_H
#define AP_HEAP_H

#include <stdbool.h>
#include <stddef.h>

struct heap_keeper;

/* A trim takes every malloc arena's lock and gives back pages that the
 * next request faults in again: the keeper trims only when the server is
 * quiet — no request in flight, none ended in the last interval — unless
 * the memory has grown by HEAP_BUSY_SLACKS slacks (a bound under a load
 * that never pauses). A sequence of large pages (the capability map: a
 * megabyte each) then reuses what the last one freed. */
enum { HEAP_BUSY_SLACKS = 16 };
/* A request began (+1) or ended (-1): what the keeper reads. */
void heap_activity(int delta);
/* No request in flight, and none ended in the last interval_ms. */
bool heap_quiet(unsigned interval_ms);

/* NULL when the thread cannot start (the server runs without it). */
struct heap_keeper *heap_keeper_start(unsigned interval_ms, size_t slack);
void heap_keeper_stop(struct heap_keeper *k);

/* The process's resident anonymous memory (bytes), 0 when unknown. */
size_t heap_resident_anon(void);

#endif
