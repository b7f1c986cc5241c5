/* strset: a set of strings (strset.h). */
#include "util/strset.h"

#include "util/arena.h"
#include "util/err.h"
#include "util/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    uint64_t hash;
    const char *key; /* NULL: empty */
};

struct strset {
    struct arena *a;
    struct slot *slots;
    size_t cap, n; /* cap: a power of two */
};

struct strset *strset_new(void)
{
    struct strset *s = xcalloc(1, sizeof *s);
    s->a = arena_new();
    s->cap = 64;
    s->slots = xcalloc(s->cap, sizeof *s->slots);
    return s;
}

void strset_free(struct strset *s)
{
    if (!s)
        return;
    arena_free(s->a);
    free(s->slots);
    free(s);
}

/* The slot of key (hash h): its own, or the empty one where it would go. */
static struct slot *find(const struct strset *s, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (s->cap - 1);
    while (s->slots[i].key && (s->slots[i].hash != h || strcmp(s->slots[i].key, key) != 0))
        i = (i + 1) & (s->cap - 1);
    return &s->slots[i];
}

static void grow(struct strset *s)
{
    struct slot *old = s->slots;
    size_t had = s->cap;
    s->cap *= 2;
    s->slots = xcalloc(s->cap, sizeof *s->slots);
    for (size_t i = 0; i < had; i++)
        if (old[i].key)
            *find(s, old[i].key, old[i].hash) = old[i];
    free(old);
}

bool strset_add(struct strset *s, const char *key)
{
    uint64_t h = text_hash(key, strlen(key));
    struct slot *at = find(s, key, h);
    if (at->key)
        return false;
    *at = (struct slot){h, arena_strdup(s->a, key)};
    if (++s->n * 2 > s->cap)
        grow(s);
    return true;
}

bool strset_has(const struct strset *s, const char *key)
{
    return key && find(s, key, text_hash(key, strlen(key)))->key != NULL;
}

size_t strset_size(const struct strset *s)
{
    return s->n;
}
