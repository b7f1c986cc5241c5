/* Unit tests of the util module: UTF-8, folding, words, encodings, time,
 * arena and buffer limits. */
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/heap.h"
#include "util/jtext.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/strset.h"
#include "util/xmlw.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <math.h>

#include <cmocka.h>
#include <jansson.h>

static void test_utf8_validation(void **state)
{
    (void)state;
    assert_true(utf8_valid("Қазақстан", strlen("Қазақстан")));
    assert_false(utf8_valid("\xC3\x28", 2));          /* bad continuation */
    assert_false(utf8_valid("\xC0\xAF", 2));          /* overlong '/' */
    assert_false(utf8_valid("\xED\xA0\x80", 3));      /* surrogate */
    assert_false(utf8_valid("\xF4\x90\x80\x80", 4));  /* above U+10FFFF */
    assert_false(utf8_valid("a\0b", 3));              /* NUL */
    assert_false(utf8_valid("\xE2\x82", 2));          /* truncated */
}

static void test_controls(void **state)
{
    (void)state;
    const char *ok = "Қазақстан — «e-Gov» №1";
    assert_true(text_controls_ok(ok, strlen(ok), false));
    assert_true(text_controls_ok("a\nb", 3, true));
    assert_false(text_controls_ok("a\nb", 3, false));
    const char *bad[] = {"a\rb", "a\tb", "a\x1b[0m", "a\x7f", "a\xc2\x85", "a\xc2\x9f",
                         "a\xe2\x80\xa8", "a\xe2\x80\xa9", "\xc3\x28"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(text_controls_ok(bad[i], strlen(bad[i]), false));
        assert_false(text_controls_ok(bad[i], strlen(bad[i]), true));
    }
    assert_true(text_controls_ok("\xc2\xa0", 2, false)); /* U+00A0 is no control */
}

/* REQ: X-I18N-01 */
static void test_fold_kazakh_and_russian(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    assert_string_equal(text_fold(a, "ӘҒҚҢӨҰҮҺІ"), "әғқңөұүһі");
    assert_string_equal(text_fold(a, "ЭЛЕКТРОННОЕ Правительство"), "электронное правительство");
    assert_string_equal(text_fold(a, "Ёлка ЁЖ"), "елка еж");
    assert_string_equal(text_fold(a, "e-Gov PORTAL"), "e-gov portal");
    arena_free(a);
}

static void test_words(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    const char *w[8];
    size_t n = text_words(a, "  «Электрондық ҮКІМЕТ» портал-2, e.gov!", w, 8);
    assert_int_equal(n, 6);
    assert_string_equal(w[0], "электрондық");
    assert_string_equal(w[1], "үкімет");
    assert_string_equal(w[2], "портал");
    assert_string_equal(w[3], "2");
    assert_string_equal(w[4], "e");
    assert_string_equal(w[5], "gov");
    assert_int_equal(text_words(a, "\"*() AND OR", w, 8), 2); /* operators are just words */
    arena_free(a);
}

static void test_base64url_roundtrip(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    const unsigned char data[] = {0, 1, 2, 250, 251, 252, 253, 254, 255};
    for (size_t n = 0; n <= sizeof data; n++) {
        char *enc = b64url_encode(a, data, n);
        size_t m = 0;
        unsigned char *dec = b64url_decode(a, enc, &m);
        assert_non_null(dec);
        assert_int_equal(m, n);
        assert_memory_equal(dec, data, n);
    }
    size_t m;
    assert_null(b64url_decode(a, "a", &m));     /* impossible length */
    assert_null(b64url_decode(a, "ab+/", &m));  /* not the url alphabet */
    assert_null(b64url_decode(a, "QR", &m));    /* non-canonical trailing bits */
    arena_free(a);
}

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t ms;
    char out[32];
    assert_int_equal(time_parse_rfc3339("2026-11-22T13:31:57.123Z", &ms), 0);
    assert_string_equal(time_format_rfc3339(ms, out, sizeof out), "2026-11-22T13:31:57.123Z");
    assert_int_equal(time_parse_rfc3339("2026-11-22T19:31:57+06:00", &ms), 0);
    assert_string_equal(time_format_rfc3339(ms, out, sizeof out), "2026-11-22T13:31:57.000Z");
    assert_int_equal(time_parse_rfc3339("1969-12-31T23:59:59.5Z", &ms), 0);
    assert_int_equal(ms, -500);
    assert_string_equal(time_format_rfc3339(ms, out, sizeof out), "1969-12-31T23:59:59.500Z");
    const char *bad[] = {"2026-02-30T00:00:00Z", "2026-11-22 13:31:57Z", "2026-11-22T13:31:57",
                         "2026-11-22T24:00:00Z", "2026-11-22T13:31:57.Z", "2026-11-22T13:31:57Zx",
                         "yesterday", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(time_parse_rfc3339(bad[i], &ms), -1);
}

/* The `min` parameters of the duplicates: a plain fraction, 0 to 1. */
static void test_fraction(void **state)
{
    (void)state;
    double v = -1;
    assert_true(text_fraction("0.75", &v) && v == 0.75);
    assert_true(text_fraction("1", &v) && v == 1);
    assert_true(text_fraction("1.000000", &v) && v == 1);
    assert_true(text_fraction("0", &v) && v == 0);
    assert_true(text_fraction("0.3", &v) && fabs(v - 0.3) < 1e-12);
    static const char *const bad[] = {"",     "1.5",  "2",     ".5",        "0.",
                                      "-0.5", "+1",   "0.5e1", "0,5",       "0.1234567",
                                      " 0.5", "0.5 ", "nan",   "1.0000001", NULL};
    for (size_t i = 0; bad[i]; i++)
        if (text_fraction(bad[i], &v))
            fail_msg("'%s' read as %g", bad[i], v);
    assert_false(text_fraction(NULL, &v));
}

static void test_ids(void **state)
{
    (void)state;
    char id[37];
    text_uuid7(id);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '7');
    assert_true(text_id_valid(id));
    assert_true(text_id_valid("org-mdai"));
    assert_false(text_id_valid("../etc/passwd"));
    assert_false(text_id_valid("a'; DROP TABLE records;--"));
    assert_false(text_id_valid(""));
    assert_false(text_id_valid(".hidden"));
}

static struct jspan span_of(const char *s)
{
    return (struct jspan){s, strlen(s)};
}

/* The text of span v (for the asserts). */
static const char *span_text(struct jspan v)
{
    static char out[256];
    snprintf(out, sizeof out, "%.*s", (int)v.n, v.p);
    return out;
}

/* jtext finds a member's value past nested values, strings with escapes
 * and spaces; walks an array's elements; refuses what is not well formed
 * instead of reading past it. */
static void test_jtext_members_and_elements(void **state)
{
    (void)state;
    const char *rec = " { \"id\":\"t1\", \"name\":{\"ru\":\"a \\\"b\\\" }\"},\"n\":-1.5e3,"
                      "\"attributes\":[{\"name\":\"x\",\"source\":\"s1\"}, [1,{}] ,\"\"],"
                      "\"base\":\"t\\u00e9\",\"ok\":true}";
    struct jspan v, el, s;
    assert_true(jtext_member(span_of(rec), "id", &v));
    assert_string_equal(span_text(v), "\"t1\"");
    assert_true(jtext_member(span_of(rec), "n", &v));
    assert_string_equal(span_text(v), "-1.5e3");
    assert_true(jtext_member(span_of(rec), "ok", &v));
    assert_string_equal(span_text(v), "true");
    assert_false(jtext_member(span_of(rec), "ru", &v)); /* only the object's own members */
    assert_false(jtext_member(span_of(rec), "missing", &v));
    assert_true(jtext_member(span_of(rec), "attributes", &v));
    struct jtext_iter it;
    assert_true(jtext_array(v, &it));
    assert_true(jtext_next(&it, &el));
    assert_string_equal(span_text(el), "{\"name\":\"x\",\"source\":\"s1\"}");
    assert_true(jtext_member(el, "source", &s) && jtext_plain_string(s, &s));
    assert_string_equal(span_text(s), "s1");
    assert_true(jtext_next(&it, &el));
    assert_string_equal(span_text(el), "[1,{}]");
    assert_false(jtext_member(el, "source", &s)); /* not an object */
    assert_true(jtext_next(&it, &el));
    assert_string_equal(span_text(el), "\"\"");
    assert_false(jtext_next(&it, &el));
    assert_false(jtext_next(&it, &el));
    /* a string with escapes is for the parser */
    assert_true(jtext_member(span_of(rec), "base", &v));
    assert_false(jtext_plain_string(v, &s));
    assert_true(jtext_member(span_of(rec), "name", &v));
    assert_false(jtext_array(v, &it));
    /* malformed: an unterminated string, a missing colon, a cut array */
    static const char *const bad[] = {"{\"a\":\"x",        "{\"a\" 1}", "{\"a\":[1,2",   "{\"a\":}",
                                      "{\"b\":1 \"a\":2}", "[",         "{\"a\":[1,,2]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(jtext_member(span_of(bad[i]), "a", &v));
    assert_true(jtext_array(span_of("[1,,2]"), &it));
    assert_true(jtext_next(&it, &el));
    assert_false(jtext_next(&it, &el));
    /* an object's members in one pass: keys as written, values past
     * nested ones; a malformed rest ends the walk */
    struct jspan k;
    assert_true(jtext_object(span_of(rec), &it));
    static const char *const keys[] = {"id", "name", "n", "attributes", "base", "ok"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        assert_true(jtext_next_member(&it, &k, &v));
        assert_int_equal(k.n, strlen(keys[i]));
        assert_memory_equal(k.p, keys[i], k.n);
    }
    assert_string_equal(span_text(v), "true");
    assert_false(jtext_next_member(&it, &k, &v));
    assert_false(jtext_next_member(&it, &k, &v));
    assert_true(jtext_object_whole(&it));
    assert_true(jtext_object(span_of("{ }"), &it));
    assert_false(jtext_next_member(&it, &k, &v));
    assert_true(jtext_object_whole(&it));
    assert_false(jtext_object(span_of("[1]"), &it));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = 0;
        if (jtext_object(span_of(bad[i]), &it))
            while (jtext_next_member(&it, &k, &v))
                n++;
        assert_true(n <= 1); /* "{"b":1 "a":2}" gives b, then stops */
        assert_false(jtext_object_whole(&it));
    }
    /* nesting deeper than the scanner follows is refused, not recursed */
    char deep[201];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = 0;
    assert_true(jtext_array(span_of(deep), &it));
    assert_false(jtext_next(&it, &el));
    deep[90] = 0; /* 10 deep: well within */
    memset(deep + 80, ']', 10);
    assert_true(jtext_array(span_of(deep + 70), &it));
    assert_true(jtext_next(&it, &el));
    assert_int_equal(el.n, 18);
}

/* jtext_put_string writes a string as jansson does (compact), so that an
 * answer copied from stored text and one dumped from values are the same
 * bytes. */
static void test_jtext_put_string_as_jansson(void **state)
{
    (void)state;
    static const char *const strs[] = {"plain", "qu\"ote \\ slash/", "line\nbreak\ttab\r\b\f",
                                       "\x01\x1f\x7f", "Қазақ тілі €"};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        struct buf b;
        buf_init(&b, 0);
        assert_int_equal(jtext_put_string(&b, strs[i]), 0);
        json_t *j = json_string(strs[i]);
        char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        assert_string_equal(b.p, want);
        free(want);
        json_decref(j);
        buf_free(&b);
    }
}

static void test_buf_cap(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "12345678"), 0);
    assert_int_equal(buf_putc(&b, '9'), -1);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.p, "12345678");
    buf_free(&b);
}

static void test_arena_alignment_and_big_blocks(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    for (int i = 1; i < 100; i++) {
        void *p = arena_alloc(a, (size_t)i * 37);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xAB, (size_t)i * 37);
    }
    char *big = arena_alloc(a, 1 << 20);
    memset(big, 1, 1 << 20);
    assert_string_equal(arena_printf(a, "%s-%d", "x", 42), "x-42");
    arena_free(a);
}

static void test_safe_filename(void **state)
{
    char out[32];
    const struct {
        const char *in, *want;
    } cases[] = {
        {"report.pdf", "report.pdf"},
        {"../../etc/passwd", "passwd"},
        {"C:\\Users\\x\\Отчёт «1».docx", "Отчёт «1».docx"},
        {"a\"b'c<d>e:f|g?h*i.pdf", "abcdefghi.pdf"},
        {"tab\there\r\n.pdf", "tabhere.pdf"},
        {"  ..hidden.pdf. . ", "hidden.pdf"},
        {"bad\xc3(utf8\xff" ".pdf", "bad(utf8.pdf"},
        {"rtl\xe2\x80\xae" "fdp.exe", "rtlfdp.exe"},
        {"dir/", ""},
        {"", ""},
        {"0123456789012345678901234567890123456789", "0123456789012345678901234567890"},
        {"ааааааааааааааааааа", "ааааааааааааааа"}, /* cut at a character, 30 bytes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        text_safe_filename(cases[i].in, out, sizeof out);
        assert_string_equal(out, cases[i].want);
    }
    text_safe_filename(NULL, out, sizeof out);
    assert_string_equal(out, "");
}

/* An error keeps its format and arguments, so that it can be said again
 * in another language with the arguments in their places (REQ X-I18N-01). */
static void test_err_detail_in_another_language(void **state)
{
    (void)state;
    struct err e = ERR_INIT;
    char out[512];
    err_set(&e, 422, "bad-format", "x", "'%.3s' is %d, not %zu%%", "abcdef", -7, (size_t)9);
    assert_string_equal(e.detail, "'abc' is -7, not 9%");
    assert_string_equal(e.msgid, "'%.3s' is %d, not %zu%%");
    assert_string_equal(err_detail_in(&e, "'%.3s' — %d, не %zu%%", out, sizeof out),
                        "'abc' — -7, не 9%");
    /* numbered conversions put the arguments in another order */
    assert_string_equal(err_detail_in(&e, "%3$zu/%1$s/%2$d", out, sizeof out), "9/abc/-7");
    /* a format that asks for more arguments than there are: the original */
    assert_string_equal(err_detail_in(&e, "%s %s %s %s", out, sizeof out), e.detail);
    /* a prefix (validate.c's path) stays in front of the translation */
    err_set(&e, 422, "required", "name", "must not be %s", "empty");
    err_prefix(&e, "%s: ", "name");
    assert_string_equal(e.detail, "name: must not be empty");
    assert_string_equal(err_detail_in(&e, "не должно быть %s", out, sizeof out),
                        "name: не должно быть empty");
    /* %n and wide strings are not kept: no message id, the detail as is */
    err_set(&e, 400, "bad-request", "", "%ls", L"w");
    assert_string_equal(e.msgid, "");
    assert_string_equal(err_detail_in(&e, "x", out, sizeof out), e.detail);
    /* the translation is cut at the buffer's end */
    err_set(&e, 400, "bad-request", "", "%s", "long text");
    assert_string_equal(err_detail_in(&e, "%s", out, 5), "long");
}

/* The streaming XML writer: escaping in text and attributes, an element
 * per line indented, an empty element closed in its tag, text inline. */
static void test_xmlw_escapes_and_indents(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct xmlw w;
    xmlw_begin(&w, f);
    xmlw_start(&w, "model");
    xmlw_attr(&w, "name", "a \"b\" & <c>\n\t");
    xmlw_attr(&w, "skipped", NULL);
    xmlw_element(&w, "name", "R&D <x> \x01\r\t\"\n");
    xmlw_start(&w, "empty");
    xmlw_attr_long(&w, "x", -12);
    xmlw_end(&w);
    xmlw_start(&w, "label");
    xmlw_textn(&w, "ab / cd", 2);
    xmlw_end(&w);
    assert_true(xmlw_finish(&w));
    fclose(f);
    assert_string_equal(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<model name=\"a &quot;b&quot; &amp; &lt;c&gt;&#10;&#9;\">\n"
                              " <name>R&amp;D &lt;x&gt;  &#13;\t\"\n</name>\n"
                              " <empty x=\"-12\"/>\n"
                              " <label>ab</label>\n"
                              "</model>\n");
    free(text);
    /* nested too deep: refused, not overflowed */
    f = open_memstream(&text, &len);
    xmlw_begin(&w, f);
    for (int i = 0; i < XMLW_MAX_DEPTH + 3; i++)
        xmlw_start(&w, "a");
    assert_false(xmlw_finish(&w));
    fclose(f);
    free(text);
}

/* A set of strings: every key added once is found, a second add says so,
 * keys it never had are not, through its growth. */
static void test_strset(void **state)
{
    (void)state;
    struct strset *s = strset_new();
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "rec-%d", i);
        assert_true(strset_add(s, key));
    }
    assert_false(strset_add(s, "rec-42"));
    assert_int_equal(strset_size(s), 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "rec-%d", i);
        assert_true(strset_has(s, key));
        snprintf(key, sizeof key, "rec-%d", i + 5000);
        assert_false(strset_has(s, key));
    }
    assert_false(strset_has(s, NULL));
    assert_false(strset_has(s, ""));
    assert_true(strset_add(s, ""));
    assert_true(strset_has(s, ""));
    strset_free(s);
}

/* The heap keeper trims only when the server is quiet: no request in
 * flight, and none ended within the interval. */
static void test_heap_quiet(void **state)
{
    (void)state;
    heap_activity(1);
    assert_false(heap_quiet(0)); /* one in flight */
    heap_activity(1);
    heap_activity(-1);
    assert_false(heap_quiet(0)); /* still one */
    heap_activity(-1);
    assert_true(heap_quiet(0));
    assert_false(heap_quiet(60000)); /* one ended just now */
    usleep(30000);
    assert_true(heap_quiet(20));
    assert_false(heap_quiet(60000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_heap_quiet),
        cmocka_unit_test(test_controls),
        cmocka_unit_test(test_fold_kazakh_and_russian),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_base64url_roundtrip),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_fraction),
        cmocka_unit_test(test_safe_filename),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_jtext_members_and_elements),
        cmocka_unit_test(test_jtext_put_string_as_jansson),
        cmocka_unit_test(test_arena_alignment_and_big_blocks),
        cmocka_unit_test(test_err_detail_in_another_language),
        cmocka_unit_test(test_xmlw_escapes_and_indents),
        cmocka_unit_test(test_strset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
