/* text: UTF-8, folding, words, encodings, hashing, identifiers. */
#include "text.h"

#include "arena.h"
#include "timeutil.h"

#include <sodium.h>
#include <string.h>

bool utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

bool text_controls_ok(const char *s, size_t n, bool multiline)
{
    if (!utf8_valid(s, n))
        return false;
    const char *p = s, *end = s + n;
    while (p < end) {
        uint32_t cp = utf8_next(&p);
        if (cp == '\n' && multiline)
            continue;
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
            return false;
    }
    return true;
}

uint32_t utf8_next(const char **pp)
{
    const unsigned char *s = (const unsigned char *)*pp;
    uint32_t cp;
    size_t len;
    if (s[0] < 0x80)
        cp = s[0], len = 1;
    else if ((s[0] & 0xE0) == 0xC0)
        cp = s[0] & 0x1F, len = 2;
    else if ((s[0] & 0xF0) == 0xE0)
        cp = s[0] & 0x0F, len = 3;
    else
        cp = s[0] & 0x07, len = 4;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) { /* defensive: stop at a broken byte */
            *pp += k;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *pp += len;
    return cp;
}

char *text_one_line(const char *in, char *out, size_t n)
{
    size_t len = 0;
    bool space = false;
    for (const char *p = in; *p;) {
        uint32_t cp = utf8_next(&p);
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x2028 || cp == 0x2029 || cp == ' ') {
            space = len > 0;
            continue;
        }
        char enc[4];
        size_t k = utf8_put(cp, enc);
        if (len + space + k + 1 > n)
            break;
        if (space)
            out[len++] = ' ';
        space = false;
        memcpy(out + len, enc, k);
        len += k;
    }
    out[len] = '\0';
    return out;
}

size_t utf8_put(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

uint64_t text_hash(const void *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *b = p, *end = b + n; b < end; b++)
        h = (h ^ *b) * 1099511628211ULL;
    return h;
}

uint32_t text_fold_cp(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0x80)
        return c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c >= 0x410 && c <= 0x42F)
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40F)
        c += 0x50;
    if (c == 0x451) /* ё -> е */
        return 0x435;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F))
        return (c % 2 == 0) ? c + 1 : c;
    if (c == 0x4C0)
        return 0x4CF;
    if (c >= 0x4C1 && c <= 0x4CE)
        return (c % 2 == 1) ? c + 1 : c;
    return c;
}

char *text_fold(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    char *out = arena_alloc(a, n * 2 + 1); /* folding never more than doubles */
    char *o = out;
    const char *p = s;
    while (*p)
        o += utf8_put(text_fold_cp(utf8_next(&p)), o);
    *o = '\0';
    return out;
}

static bool is_word_cp(uint32_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    if (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7)
        return true;
    if (c >= 0x400 && c <= 0x52F && !(c >= 0x482 && c <= 0x489))
        return true;
    return false;
}

size_t text_words(struct arena *a, const char *s, const char **words, size_t max)
{
    size_t count = 0, n = strlen(s);
    char *tmp = arena_alloc(a, n * 2 + 1);
    const char *p = s;
    while (*p && count < max) {
        const char *q = p;
        uint32_t c = utf8_next(&q);
        if (!is_word_cp(c)) {
            p = q;
            continue;
        }
        char *o = tmp;
        while (*p) {
            q = p;
            c = utf8_next(&q);
            if (!is_word_cp(c))
                break;
            o += utf8_put(text_fold_cp(c), o);
            p = q;
        }
        words[count++] = arena_strndup(a, tmp, (size_t)(o - tmp));
    }
    return count;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *b64url_encode(struct arena *a, const unsigned char *in, size_t n)
{
    char *out = arena_alloc(a, (n + 2) / 3 * 4 + 1);
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64_val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

unsigned char *b64url_decode(struct arena *a, const char *s, size_t *n)
{
    size_t len = strlen(s);
    if (len % 4 == 1)
        return NULL;
    unsigned char *out = arena_alloc(a, len / 4 * 3 + 3);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_val(s[i]);
        if (v < 0)
            return NULL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* non-canonical trailing bits */
        return NULL;
    out[o] = '\0';
    *n = o;
    return out;
}

void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, n);
    hex_encode(h, sizeof h, out);
}

void text_uuid7(char out[37])
{
    unsigned char b[16];
    uint64_t ms = (uint64_t)time_now_ms();
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    randombytes_buf(b + 6, 10);
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0F));
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3F));
    char hx[33];
    hex_encode(b, 16, hx);
    memcpy(out, hx, 8);
    out[8] = '-';
    memcpy(out + 9, hx + 8, 4);
    out[13] = '-';
    memcpy(out + 14, hx + 12, 4);
    out[18] = '-';
    memcpy(out + 19, hx + 16, 4);
    out[23] = '-';
    memcpy(out + 24, hx + 20, 12);
    out[36] = '\0';
}

bool text_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static bool filename_char_ok(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0xFFFD)
        return false;
    if (cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f)
        return false; /* line separators and bidirectional controls */
    return !strchr("\"'\\/<>:|?*", (int)(cp < 0x80 ? cp : 'a'));
}

size_t utf8_char_len(const char *s, size_t n)
{
    unsigned char b = n ? (unsigned char)s[0] : 0;
    size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return n && len <= n && utf8_valid(s, len) ? len : 0;
}

void text_safe_filename(const char *in, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    if (!in)
        return;
    const char *base = in;
    for (const char *p = in; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t n = strlen(base), o = 0;
    /* keep the valid characters; an invalid sequence is dropped byte by byte */
    for (size_t i = 0; i < n;) {
        size_t len = utf8_char_len(base + i, n - i);
        if (!len) {
            i++;
            continue;
        }
        const char *q = base + i;
        uint32_t cp = utf8_next(&q);
        if (filename_char_ok(cp) && !(o == 0 && (cp == '.' || cp == ' '))) {
            if (o + len >= cap)
                break;
            memcpy(out + o, base + i, len);
            o += len;
        }
        i += len;
    }
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.'))
        o--;
    out[o] = '\0';
}

bool text_fraction(const char *s, double *out)
{
    if (!s || (s[0] != '0' && s[0] != '1'))
        return false;
    long num = s[0] - '0', den = 1;
    const char *p = s + 1;
    if (*p == '.') {
        p++;
        size_t n = 0;
        for (; *p >= '0' && *p <= '9' && n < 6; p++, n++) {
            num = num * 10 + (*p - '0');
            den *= 10;
        }
        if (n == 0)
            return false;
    }
    if (*p || num > den)
        return false;
    *out = (double)num / (double)den; /* correctly rounded: 0.75 is 0.75 */
    return true;
}

char *text_digits(unsigned long long u, char *end)
{
    do
        *--end = (char)('0' + u % 10);
    while (u /= 10);
    return end;
}
