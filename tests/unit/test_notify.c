/* Unit tests of the notification module's pure parts: the e-mail message
 * builder (RFC 2047 subjects cut between characters, CRLF everywhere,
 * short lines, base64 bodies, refused addresses and subjects that would
 * add headers), the RFC 5322 date, the back-off schedule, and the one-line
 * text helper subjects are made with. */
#include "notify/mail.h"
#include "notify/notify.h"
#include "util/text.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const struct mail BASE = {
    .from = "portal@e-gov.kz",
    .from_name = "Архитектуралық портал",
    .to = "owner@akimat.gov.kz",
    .subject = "Ескертулермен қайтарылды",
    .body = "Сәлем!\n",
    .message_id = "archportal.1.1700000000000@e-gov.kz",
    .date_ms = 1772683200000, /* 2026-03-05T04:00:00Z */
};

static char *build(const struct mail *m)
{
    struct buf b;
    buf_init(&b, 0);
    struct err e = ERR_INIT;
    if (mail_build(m, &b, &e) < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

static int build_fails(const struct mail *m, const char *field)
{
    struct buf b;
    buf_init(&b, 0);
    struct err e = ERR_INIT;
    int rc = mail_build(m, &b, &e);
    assert_int_equal(b.len, 0); /* nothing appended */
    buf_free(&b);
    if (rc == 0)
        return 0;
    assert_int_equal(e.status, 422);
    assert_string_equal(e.field, field);
    return 1;
}

/* Decodes the encoded words of a (folded) header value back to its text. */
static void decode_words(const char *value, char *out, size_t n)
{
    size_t len = 0;
    const char *p = value;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        p += 10;
        const char *end = strstr(p, "?=");
        assert_non_null(end);
        unsigned char raw[64];
        size_t got = 0;
        assert_int_equal(sodium_base642bin(raw, sizeof raw, p, (size_t)(end - p), NULL, &got, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_true(got <= MAIL_WORD_BYTES);
        /* each word holds whole characters: valid UTF-8 on its own */
        assert_true(utf8_valid((const char *)raw, got));
        assert_true(len + got < n);
        memcpy(out + len, raw, got);
        len += got;
        p = end + 2;
    }
    out[len] = '\0';
}

/* The value of header `name` (not the first header) with its
 * continuation lines. */
static void header_value(const char *msg, const char *name, char *out, size_t n)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(msg, key);
    assert_non_null(p);
    p += strlen(key);
    size_t len = 0;
    while (*p && !(p[0] == '\r' && p[1] == '\n' && p[2] != ' ')) {
        assert_true(len + 1 < n);
        out[len++] = *p++;
    }
    out[len] = '\0';
}

static void test_lines_are_crlf_ascii_and_short(void **state)
{
    (void)state;
    struct mail m = BASE;
    m.subject = "Мерзім жақындады / Срок приближается / Deadline approaching: «Әкімдік ақпараттық "
                "жүйесі — ұлттық деңгейдегі үлкен және күрделі жоба»";
    char *msg = build(&m);
    assert_non_null(msg);
    size_t lines = 0;
    for (const char *p = msg; *p;) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol); /* every line ends in CRLF */
        for (const char *q = p; q < eol; q++)
            assert_true(*q >= 32 && *q < 127); /* ASCII, no bare CR or LF */
        if (strncmp(p, "To:", 3) && strncmp(p, "Message-ID:", 11))
            assert_true(eol - p <= 78);
        p = eol + 2;
        lines++;
    }
    assert_true(lines > 10);
    /* the headers, then one empty line */
    assert_non_null(strstr(msg, "\r\n\r\n"));
    assert_non_null(strstr(msg, "Date: Thu, 05 Mar 2026 04:00:00 +0000\r\n"));
    assert_non_null(strstr(msg, "\r\nTo: <owner@akimat.gov.kz>\r\n"));
    assert_non_null(strstr(msg, " <portal@e-gov.kz>\r\n"));
    assert_non_null(strstr(msg, "\r\nMessage-ID: <archportal.1.1700000000000@e-gov.kz>\r\n"));
    assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
    assert_non_null(strstr(msg, "\r\nContent-Transfer-Encoding: base64\r\n"));
    free(msg);
}

static void test_subject_round_trips_through_encoded_words(void **state)
{
    (void)state;
    static const char *const subjects[] = {
        "Ескертулермен қайтарылды / Возвращено с замечаниями / Returned with remarks: «Жүйе»",
        "ә ғ қ ң ө ұ ү һ і Ә Ғ Қ Ң Ө Ұ Ү Һ І",
        "plain ASCII =?UTF-8?B?not-a-word?= subject",
        "emoji 😀 and 4-byte 𝔸 characters at word edges 😀😀😀😀😀😀😀😀😀😀😀",
        "я",
    };
    for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
        struct mail m = BASE;
        m.subject = subjects[i];
        char *msg = build(&m);
        assert_non_null(msg);
        char value[4096], text[2048];
        header_value(msg, "Subject", value, sizeof value);
        decode_words(value, text, sizeof text);
        assert_string_equal(text, subjects[i]);
        header_value(msg, "From", value, sizeof value);
        decode_words(value, text, sizeof text);
        assert_string_equal(text, "Архитектуралық портал");
        free(msg);
    }
}

static void test_words_are_cut_between_characters(void **state)
{
    (void)state;
    /* 2-byte letters: 42 bytes hold 21 of them; 3-byte: 14; mixed with an
     * odd offset the cut must move back to a character's start */
    char text[400] = "a";
    for (int i = 0; i < 60; i++)
        strcat(text, "қ");
    struct buf b;
    buf_init(&b, 0);
    mail_encode_words(&b, text);
    char back[400];
    decode_words(b.p, back, sizeof back);
    assert_string_equal(back, text);
    /* folded with CRLF SP, one word per line */
    for (const char *p = b.p; (p = strstr(p, "\r\n")) != NULL; p += 2)
        assert_int_equal(p[2], ' ');
    buf_free(&b);
    buf_init(&b, 0);
    mail_encode_words(&b, "");
    assert_string_equal(b.p, "=?UTF-8?B?"
                             "?=");
    buf_free(&b);
}

static void test_body_is_base64_of_crlf_text(void **state)
{
    (void)state;
    struct mail m = BASE;
    m.body = "бірінші жол\n.\n..\r\nсоңғы\rжол без конца";
    char *msg = build(&m);
    assert_non_null(msg);
    const char *body = strstr(msg, "\r\n\r\n") + 4;
    char joined[2048] = "";
    for (const char *p = body; *p;) {
        const char *eol = strstr(p, "\r\n");
        assert_true(eol - p <= 76);
        assert_true(strlen(joined) + (size_t)(eol - p) < sizeof joined);
        strncat(joined, p, (size_t)(eol - p));
        p = eol + 2;
    }
    unsigned char raw[2048];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw - 1, joined, strlen(joined), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    raw[n] = '\0';
    assert_string_equal((char *)raw, "бірінші жол\r\n.\r\n..\r\nсоңғы\r\nжол без конца\r\n");
    free(msg);
}

static void test_nothing_can_add_a_header(void **state)
{
    (void)state;
    struct mail m = BASE;
    m.to = "owner@akimat.gov.kz\r\nBcc: evil@evil.kz";
    assert_true(build_fails(&m, "to"));
    m = BASE;
    m.to = "owner@akimat.gov.kz>\nBcc:<evil@evil.kz";
    assert_true(build_fails(&m, "to"));
    m = BASE;
    m.from = "portal@e-gov.kz\nBcc: evil@evil.kz";
    assert_true(build_fails(&m, "from"));
    m = BASE;
    m.from_name = "Портал\r\nBcc: evil@evil.kz";
    assert_true(build_fails(&m, "from"));
    m = BASE;
    m.subject = "Тақырып\r\nBcc: evil@evil.kz";
    assert_true(build_fails(&m, "subject"));
    m = BASE;
    m.subject = "Тақырып\nX-Injected: yes";
    assert_true(build_fails(&m, "subject"));
    m = BASE;
    m.subject = "line\xe2\x80\xa8separator"; /* U+2028 */
    assert_true(build_fails(&m, "subject"));
    m = BASE;
    m.subject = "\xff\xfe not UTF-8";
    assert_true(build_fails(&m, "subject"));
    m = BASE;
    m.message_id = "id@host>\r\nBcc: <evil@evil.kz";
    assert_true(build_fails(&m, "message_id"));
    m = BASE;
    m.body = "\xc3"; /* cut UTF-8 */
    assert_true(build_fails(&m, "body"));
    /* a line break in the body is just a line break of the text */
    m = BASE;
    m.body = "text\r\nBcc: evil@evil.kz\r\n";
    char *msg = build(&m);
    assert_non_null(msg);
    assert_null(strstr(msg, "Bcc"));
    free(msg);
}

static void test_addresses(void **state)
{
    (void)state;
    assert_true(mail_addr_ok("a@b.kz"));
    assert_true(mail_addr_ok("first.last+tag@sub.akimat.gov.kz"));
    assert_false(mail_addr_ok(NULL));
    assert_false(mail_addr_ok(""));
    assert_false(mail_addr_ok("@b.kz"));
    assert_false(mail_addr_ok("a@"));
    assert_false(mail_addr_ok("a@b@c.kz"));
    assert_false(mail_addr_ok("nobody"));
    assert_false(mail_addr_ok("a b@c.kz"));
    assert_false(mail_addr_ok("a<b@c.kz"));
    assert_false(mail_addr_ok("a@c.kz>"));
    assert_false(mail_addr_ok("a@c.kz,d@e.kz"));
    assert_false(mail_addr_ok("a@c.kz\r\n"));
    assert_false(mail_addr_ok("ә@c.kz")); /* no SMTPUTF8 */
    char longest[300];
    memset(longest, 'a', 250);
    memcpy(longest + 250, "@b.k", 5);
    assert_true(mail_addr_ok(longest)); /* 254 */
    memcpy(longest + 250, "@b.kz", 6);
    assert_false(mail_addr_ok(longest)); /* 255 */
}

static void test_date(void **state)
{
    (void)state;
    char d[32];
    mail_date(0, d);
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
    mail_date(1772683200000, d);
    assert_string_equal(d, "Thu, 05 Mar 2026 04:00:00 +0000");
    mail_date(1798761599999, d);
    assert_string_equal(d, "Thu, 31 Dec 2026 23:59:59 +0000");
    mail_date(951782400000, d); /* a leap day */
    assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 +0000");
    mail_date(-1, d);
    assert_string_equal(d, "Wed, 31 Dec 1969 23:59:59 +0000");
}

static void test_backoff_doubles_up_to_the_cap(void **state)
{
    (void)state;
    const int64_t min = 60 * 1000, cap = 6 * 3600 * 1000LL;
    assert_int_equal(notify_backoff_ms(min, cap, 1), min);
    assert_int_equal(notify_backoff_ms(min, cap, 2), 2 * min);
    assert_int_equal(notify_backoff_ms(min, cap, 3), 4 * min);
    assert_int_equal(notify_backoff_ms(min, cap, 9), 256 * min);
    assert_int_equal(notify_backoff_ms(min, cap, 10), cap); /* 512 min > 6 h */
    assert_int_equal(notify_backoff_ms(min, cap, 1000000), cap);
    assert_int_equal(notify_backoff_ms(min, cap, INT64_MAX), cap);
    assert_int_equal(notify_backoff_ms(min, cap, 0), min);
    assert_int_equal(notify_backoff_ms(1000, cap, 5), 16000);
    assert_int_equal(notify_backoff_ms(0, cap, 1), 1); /* never zero: no busy loop */
    assert_int_equal(notify_backoff_ms(INT64_MAX / 2 + 1, INT64_MAX, 3), INT64_MAX);
    /* never shrinks */
    for (int64_t i = 1; i < 40; i++)
        assert_true(notify_backoff_ms(min, cap, i + 1) >= notify_backoff_ms(min, cap, i));
}

static void test_one_line(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(text_one_line("  a\r\nBcc: x\t\tb  ", out, sizeof out), "a Bcc: x b");
    assert_string_equal(text_one_line("Жүйе\xe2\x80\xa8бір", out, sizeof out), "Жүйе бір");
    assert_string_equal(text_one_line("", out, sizeof out), "");
    /* cut between characters: 'қ' is 2 bytes, room for 15 of them */
    char many[100] = "";
    for (int i = 0; i < 20; i++)
        strcat(many, "қ");
    text_one_line(many, out, sizeof out);
    assert_int_equal(strlen(out), 30);
    assert_true(utf8_valid(out, strlen(out)));
    char tiny[1];
    assert_string_equal(text_one_line("abc", tiny, sizeof tiny), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_are_crlf_ascii_and_short),
        cmocka_unit_test(test_subject_round_trips_through_encoded_words),
        cmocka_unit_test(test_words_are_cut_between_characters),
        cmocka_unit_test(test_body_is_base64_of_crlf_text),
        cmocka_unit_test(test_nothing_can_add_a_header),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_backoff_doubles_up_to_the_cap),
        cmocka_unit_test(test_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
