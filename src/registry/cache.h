/* cache: answers of list counts and facets, valid until the next write.
 *
 * Every committed write in this process bumps a generation number; an
 * entry made under an older generation is stale. The server process is
 * the only writer of records (the CLI writes records only into an empty
 * repository, before serving), so this is exact. Thread-safe. */
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
