/* cache: a fixed-size, generation-checked table of small answers. */
#include "cache.h"

#include "util/err.h"
#include "util/text.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 1024
#define CACHE_MAX_KEY 4096
#define CACHE_MAX_VALUE (64 * 1024)

struct slot {
    char *key, *value;
    uint64_t gen;
};

static struct slot slots[CACHE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint_fast64_t generation = 1;

static size_t slot_of(const char *key)
{
    return (size_t)(text_hash(key, strlen(key)) % CACHE_SLOTS);
}

void cache_bump(void)
{
    atomic_fetch_add(&generation, 1);
}

uint64_t cache_generation(void)
{
    return atomic_load(&generation);
}

bool cache_get(const char *key, char **value)
{
    struct slot *s = &slots[slot_of(key)];
    bool hit = false;
    pthread_mutex_lock(&lock);
    if (s->key && s->gen == cache_generation() && strcmp(s->key, key) == 0) {
        *value = xstrdup(s->value);
        hit = true;
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

void cache_put(const char *key, const char *value, uint64_t gen)
{
    if (strlen(key) > CACHE_MAX_KEY || strlen(value) > CACHE_MAX_VALUE)
        return;
    struct slot *s = &slots[slot_of(key)];
    char *k = xstrdup(key), *v = xstrdup(value);
    pthread_mutex_lock(&lock);
    char *old_k = s->key, *old_v = s->value;
    s->key = k;
    s->value = v;
    s->gen = gen;
    pthread_mutex_unlock(&lock);
    free(old_k);
    free(old_v);
}
