/* notify/mail: building RFC 5322 messages with RFC 2047 subjects. */
#include "notify/mail.h"

#include "util/text.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define BODY_LINE_BYTES 57 /* raw bytes per 76-character base64 line */

bool mail_addr_ok(const char *addr)
{
    if (!addr)
        return false;
    size_t n = strlen(addr), ats = 0;
    if (n < 3 || n > 254 || addr[0] == '@' || addr[n - 1] == '@')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)addr[i];
        if (ch <= 0x20 || ch >= 0x7F || strchr("()<>[],;:\\\"", ch))
            return false;
        ats += ch == '@';
    }
    return ats == 1;
}

static void base64(struct buf *out, const unsigned char *in, size_t n)
{
    char enc[sodium_base64_ENCODED_LEN(BODY_LINE_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    while (n > 0) {
        size_t k = n < BODY_LINE_BYTES ? n : BODY_LINE_BYTES;
        sodium_bin2base64(enc, sizeof enc, in, k, sodium_base64_VARIANT_ORIGINAL);
        buf_puts(out, enc);
        in += k;
        n -= k;
        if (n > 0)
            buf_puts(out, "\r\n");
    }
}

/* Bytes of the longest run of whole UTF-8 characters from s that fits max. */
static size_t whole_chars(const char *s, size_t max)
{
    size_t n = 0;
    while (s[n]) {
        size_t k = 1;
        while (s[n + k] && ((unsigned char)s[n + k] & 0xC0) == 0x80)
            k++;
        if (n + k > max)
            break;
        n += k;
    }
    return n;
}

void mail_encode_words(struct buf *out, const char *text)
{
    bool first = true;
    do {
        size_t k = whole_chars(text, MAIL_WORD_BYTES);
        if (k == 0 && *text) /* a broken character longer than a word: never from valid text */
            k = 1;
        if (!first)
            buf_puts(out, "\r\n ");
        buf_puts(out, "=?UTF-8?B?");
        base64(out, (const unsigned char *)text, k);
        buf_puts(out, "?=");
        text += k;
        first = false;
    } while (*text);
}

void mail_date(int64_t ms, char out[32])
{
    static const char *const wday[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
    int64_t sod = s - days * 86400;
    int y, m, d;
    time_civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d +0000", wday[((days % 7) + 7) % 7], d,
             mon[m - 1], y, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
}

/* One line of UTF-8 without control characters, at most max bytes. */
static bool header_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max || !utf8_valid(s, n))
        return false;
    for (const char *p = s; *p;) {
        uint32_t cp = utf8_next(&p);
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029)
            return false;
    }
    return true;
}

static int bad(struct err *e, const char *field, const char *what)
{
    err_set(e, 422, "bad-message", field, "the message's %s %s", field, what);
    return -1;
}

static int check(const struct mail *m, struct err *e)
{
    if (!mail_addr_ok(m->from))
        return bad(e, "from", "is not an address a message can carry");
    if (!mail_addr_ok(m->to))
        return bad(e, "to", "is not an address a message can carry");
    if (!mail_addr_ok(m->message_id))
        return bad(e, "message_id", "is not of the form left@right");
    if (m->from_name && !header_text_ok(m->from_name, 200))
        return bad(e, "from", "name is not one line of UTF-8 text");
    if (!m->subject || !header_text_ok(m->subject, MAIL_SUBJECT_MAX))
        return bad(e, "subject", "is not one line of UTF-8 text");
    size_t n = m->body ? strlen(m->body) : 0;
    if (!m->body || n > MAIL_BODY_MAX || !utf8_valid(m->body, n))
        return bad(e, "body", "is not UTF-8 text of at most 1 MiB");
    return 0;
}

/* The body with every line ending as CRLF, and a final one. */
static void crlf_body(const char *s, struct buf *out)
{
    for (; *s; s++) {
        if (*s == '\r' || *s == '\n') {
            buf_puts(out, "\r\n");
            if (s[0] == '\r' && s[1] == '\n')
                s++;
        } else {
            buf_putc(out, *s);
        }
    }
    if (out->len < 2 || memcmp(out->p + out->len - 2, "\r\n", 2) != 0)
        buf_puts(out, "\r\n");
}

int mail_build(const struct mail *m, struct buf *out, struct err *e)
{
    if (check(m, e) < 0)
        return -1;
    char date[32];
    mail_date(m->date_ms, date);
    buf_printf(out, "Date: %s\r\nFrom: ", date);
    if (m->from_name && *m->from_name) {
        mail_encode_words(out, m->from_name);
        buf_puts(out, "\r\n "); /* folded: the address goes on its own line */
    }
    buf_printf(out, "<%s>\r\nTo: <%s>\r\nSubject: ", m->from, m->to);
    if (*m->subject)
        mail_encode_words(out, m->subject);
    buf_printf(out,
               "\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=UTF-8\r\n"
               "Content-Transfer-Encoding: base64\r\n"
               "Auto-Submitted: auto-generated\r\n\r\n",
               m->message_id);
    struct buf text;
    buf_init(&text, 0);
    crlf_body(m->body, &text);
    base64(out, (const unsigned char *)text.p, text.len);
    buf_puts(out, "\r\n");
    buf_free(&text);
    return 0;
}
