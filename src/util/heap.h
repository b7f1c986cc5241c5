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

#include <stddef.h>

struct heap_keeper;

/* NULL when the thread cannot start (the server runs without it). */
struct heap_keeper *heap_keeper_start(unsigned interval_ms, size_t slack);
void heap_keeper_stop(struct heap_keeper *k);

/* The process's resident anonymous memory (bytes), 0 when unknown. */
size_t heap_resident_anon(void);

#endif
