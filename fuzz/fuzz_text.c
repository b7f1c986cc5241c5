/* libFuzzer target: the text parsers of util/ — RFC 3339 instants (the
 * `at` parameter), calendar dates, base64url (cursors), UTF-8 checks,
 * folding and word splitting (the `q` parameter). */
#include "util/arena.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    struct arena *a = arena_new();
    char *s = arena_strndup(a, (const char *)data, size);
    int64_t ms;
    if (time_parse_rfc3339(s, &ms) == 0) {
        char out[40];
        int64_t again;
        time_format_rfc3339(ms, out, sizeof out);
        if (time_parse_rfc3339(out, &again) != 0 || again != ms)
            __builtin_trap(); /* the canonical form must read back */
    }
    int y, m, d;
    (void)time_parse_date(s, &y, &m, &d);
    size_t n;
    unsigned char *raw = b64url_decode(a, s, &n);
    if (raw) {
        char *enc = b64url_encode(a, raw, n);
        if (strcmp(enc, s) != 0)
            __builtin_trap(); /* decoding is strict: re-encoding gives the input */
    }
    if (utf8_valid(s, size)) {
        const char *words[16];
        (void)text_words(a, s, words, 16);
        (void)text_fold(a, s);
    }
    arena_free(a);
    return 0;
}
