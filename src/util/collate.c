/* collate: ICU sort keys, hex-encoded (see collate.h). */
#include "util/collate.h"

#include "util/err.h"

#include <pthread.h>
#include <string.h>

#include <unicode/ucol.h>
#include <unicode/uiter.h>

static const char *const langs[] = {"kk", "ru", "en"};
static UCollator *collators[sizeof langs / sizeof langs[0] + 1]; /* the last: root */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Opened once and kept for the process: a collator is safe to share
 * between threads for the const calls used here. */
static void open_collators(void)
{
    for (size_t i = 0; i <= sizeof langs / sizeof langs[0]; i++) {
        UErrorCode st = U_ZERO_ERROR;
        collators[i] = ucol_open(i < sizeof langs / sizeof langs[0] ? langs[i] : "", &st);
        if (U_FAILURE(st))
            fatal("collate: ICU has no collation for '%s': %s",
                  i < sizeof langs / sizeof langs[0] ? langs[i] : "root", u_errorName(st));
    }
}

char *collate_key(const char *lang, const char *utf8, char out[COLLATE_KEY_BYTES])
{
    pthread_once(&once, open_collators);
    size_t which = sizeof langs / sizeof langs[0];
    for (size_t i = 0; lang && i < sizeof langs / sizeof langs[0]; i++)
        if (strcmp(lang, langs[i]) == 0)
            which = i;
    UCharIterator it;
    uiter_setUTF8(&it, utf8 ? utf8 : "", -1);
    uint32_t state[2] = {0, 0};
    uint8_t key[(COLLATE_KEY_BYTES - 1) / 2];
    UErrorCode st = U_ZERO_ERROR;
    /* the key's first bytes only, without converting the whole text */
    int32_t n = ucol_nextSortKeyPart(collators[which], &it, state, key, (int32_t)sizeof key, &st);
    out[0] = '\0';
    if (U_FAILURE(st) || n < 0)
        return out;
    static const char hex[] = "0123456789abcdef";
    for (int32_t i = 0; i < n; i++) {
        out[2 * i] = hex[key[i] >> 4];
        out[2 * i + 1] = hex[key[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}
