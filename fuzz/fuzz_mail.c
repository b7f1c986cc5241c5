/* libFuzzer target: the e-mail message builder (notify/mail.c) and the
 * one-line helper subjects are made with. The input is split at NUL bytes
 * into to, subject, from name and body. Whatever they hold, a built
 * message is all CRLF-ended ASCII lines, has exactly the builder's
 * headers (nothing in the data adds one), and decodes back to the subject
 * and the body (line ends made CRLF); a refused one appends nothing. */
#include "notify/mail.h"
#include "util/text.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const HEADERS[] = {
    "Date",          "From",         "To",           "Subject",
    "Message-ID",    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    "Auto-Submitted"};

/* The next NUL-terminated field of the input (the rest when none). */
static char *field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
    size_t n = nul ? (size_t)(nul - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nul ? nul + 1 : end;
    return s;
}

/* Appends the decoded encoded words between p and end to out. */
static void decode_words(const char *p, const char *end, struct buf *out)
{
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL && p < end) {
        p += 10;
        const char *close = strstr(p, "?=");
        if (!close)
            abort();
        unsigned char raw[MAIL_WORD_BYTES + 8];
        size_t got = 0;
        if (sodium_base642bin(raw, sizeof raw, p, (size_t)(close - p), NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            got > MAIL_WORD_BYTES)
            abort();
        buf_append(out, raw, got);
        p = close + 2;
    }
}

static void check_message(const struct mail *m, const char *msg, size_t len)
{
    const char *blank = strstr(msg, "\r\n\r\n");
    if (!blank || strlen(msg) != len)
        abort();
    const char *subject = NULL, *subject_end = NULL;
    size_t next = 0;
    for (const char *p = msg; p < blank + 2;) {
        const char *eol = strstr(p, "\r\n");
        for (const char *q = p; q < eol; q++)
            if (*q < 32 || *q > 126)
                abort(); /* only printable ASCII: no bare CR or LF */
        if ((size_t)(eol - p) > 998)
            abort();
        if (*p != ' ') {
            /* the builder's headers, in its order, each once */
            if (next >= sizeof HEADERS / sizeof HEADERS[0])
                abort();
            size_t n = strlen(HEADERS[next]);
            if (strncmp(p, HEADERS[next], n) || p[n] != ':')
                abort();
            if (strcmp(HEADERS[next], "Subject") == 0)
                subject = p;
            else if (subject && !subject_end)
                subject_end = p;
            next++;
        }
        p = eol + 2;
    }
    if (next != sizeof HEADERS / sizeof HEADERS[0] || !subject)
        abort();
    struct buf text;
    buf_init(&text, 0);
    decode_words(subject, subject_end, &text);
    if (strcmp(text.p ? text.p : "", m->subject) != 0)
        abort();
    buf_free(&text);
    /* the body: base64 lines of the text with CRLF line ends */
    struct buf b64, want;
    buf_init(&b64, 0);
    buf_init(&want, 0);
    for (const char *p = blank + 4; *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol || eol - p > 76)
            abort();
        buf_append(&b64, p, (size_t)(eol - p));
        p = eol + 2;
    }
    for (const char *s = m->body; *s; s++) {
        if (*s == '\r' || *s == '\n') {
            buf_puts(&want, "\r\n");
            if (s[0] == '\r' && s[1] == '\n')
                s++;
        } else {
            buf_putc(&want, *s);
        }
    }
    if (want.len < 2 || memcmp(want.p + want.len - 2, "\r\n", 2) != 0)
        buf_puts(&want, "\r\n");
    unsigned char *raw = malloc(b64.len + 1);
    size_t got = 0;
    if (sodium_base642bin(raw, b64.len + 1, b64.p, b64.len, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != want.len || memcmp(raw, want.p, got) != 0)
        abort();
    free(raw);
    buf_free(&b64);
    buf_free(&want);
}

static void check_one_line(const char *in)
{
    char out[64];
    text_one_line(in, out, sizeof out);
    size_t n = strlen(out);
    if (utf8_valid(in, strlen(in)) && !utf8_valid(out, n))
        abort();
    if (n >= sizeof out || (n && (out[0] == ' ' || out[n - 1] == ' ')) || strstr(out, "  "))
        abort();
    for (const char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    const uint8_t *p = data, *end = data + size;
    char *to = field(&p, end), *subject = field(&p, end), *name = field(&p, end);
    char *body = field(&p, end);
    check_one_line(subject);
    struct mail m = {"portal@e-gov.kz",         name[0] ? name : NULL, to, subject, body,
                     "archportal.1.2@e-gov.kz", 1772683200000};
    struct buf out;
    buf_init(&out, 0);
    struct err e = ERR_INIT;
    if (mail_build(&m, &out, &e) == 0)
        check_message(&m, out.p, out.len);
    else if (out.len != 0 || e.status != 422)
        abort();
    buf_free(&out);
    free(to);
    free(subject);
    free(name);
    free(body);
    return 0;
}
