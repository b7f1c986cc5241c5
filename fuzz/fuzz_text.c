/* libFuzzer target: the text parsers of util/ — RFC 3339 instants (the
 * `at` parameter), calendar dates, base64url (cursors), UTF-8 checks,
 * folding and word splitting (the `q` parameter), and the file names kept
 * from uploads, and the fractions of 0 to 1 (the `min` parameters). */
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
    double f;
    if (text_fraction(s, &f) && !(f >= 0 && f <= 1))
        __builtin_trap(); /* a fraction read is within 0 .. 1 */
    int y, m, d;
    (void)time_parse_date(s, &y, &m, &d);
    size_t n;
    unsigned char *raw = b64url_decode(a, s, &n);
    if (raw) {
        char *enc = b64url_encode(a, raw, n);
        if (strcmp(enc, s) != 0)
            __builtin_trap(); /* decoding is strict: re-encoding gives the input */
    }
    char name[64];
    text_safe_filename(s, name, sizeof name);
    size_t nl = strlen(name);
    if (nl >= sizeof name || !utf8_valid(name, nl) || strpbrk(name, "/\\\"'") ||
        name[0] == '.' || name[0] == ' ' || (nl && (name[nl - 1] == ' ' || name[nl - 1] == '.')))
        __builtin_trap(); /* a stored file name is safe whatever was sent */
    for (size_t i = 0; i < nl; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            __builtin_trap();
    if (utf8_valid(s, size)) {
        const char *words[16];
        (void)text_words(a, s, words, 16);
        (void)text_fold(a, s);
    }
    arena_free(a);
    return 0;
}
