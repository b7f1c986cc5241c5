/* strset: a set of strings (copied into its own arena), for a pass that
 * meets hundreds of thousands of ids and asks of each whether it was met
 * (a JSON object as a set costs an allocation and jansson's hashing per
 * id). Open addressing, grown at half full; not thread-safe. */
#ifndef AP_UTIL_STRSET_H
#define AP_UTIL_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset;

struct strset *strset_new(void);
void strset_free(struct strset *s);
/* Adds key (copied); true when it was not in the set yet. */
bool strset_add(struct strset *s, const char *key);
/* Is key (NULL: never) in the set? */
bool strset_has(const struct strset *s, const char *key);
size_t strset_size(const struct strset *s);

#endif
