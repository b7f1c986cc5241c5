/* cache: answers of list counts and facets (and, on a database several
 * nodes share, records read), valid until the next write.
 *
 * Every write this process applies bumps a generation number: its own
 * after the commit, another node's when the change feed brings it
 * (feed.c); an entry made under an older generation is stale. Writes of
 * records come only through a server (the CLI writes records only into an
 * empty repository, before serving), so on one node this is exact, and
 * across nodes an answer is as fresh as the feed. Thread-safe. */
#ifndef AP_CACHE_H
#define AP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks every cached answer stale (call after each committed write). */
void cache_bump(void);
/* Looks up key; on a fresh hit copies the value (malloc'd) into *value. */
bool cache_get(const char *key, char **value);
/* Stores value under key for the generation current at `gen`. */
void cache_put(const char *key, const char *value, uint64_t gen);
/* The current generation (read before computing an answer to cache). */
uint64_t cache_generation(void);

#endif
