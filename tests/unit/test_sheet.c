/* Unit tests of the spreadsheet reader's CSV side (docs/sheet.c, issue 16
 * item 2): RFC 4180 quoting (separators, doubled quotes and line breaks
 * inside quotes), the separator each file uses (comma, semicolon, tab),
 * UTF-8 with or without its BOM, CRLF and LF, the line each row starts on,
 * blank rows, and the files refused: not UTF-8 text, an open quote, more
 * columns than the cap. The XLSX side is exercised end to end
 * (tests/e2e/test_trusted.py) and by fuzz/fuzz_sheet.c. */
#include "docs/sheet.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct sheet read_ok(struct arena *a, const char *text)
{
    struct sheet s;
    struct err e = ERR_INIT;
    if (sheet_read(a, text, strlen(text), &s, &e) < 0)
        fail_msg("refused: %s", e.detail);
    assert_string_equal(s.format, "csv");
    return s;
}

static void assert_row(const struct sheet_row *r, long line, size_t n, ...)
{
    assert_int_equal(r->line, line);
    assert_int_equal(r->n, n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r->cell[i], va_arg(ap, const char *));
    va_end(ap);
}

/* REQ: SVC-02 */
static void test_csv_quoting(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct sheet s = read_ok(a, "a,b,c\r\n"
                                "\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
                                "1,,3\r\n");
    assert_int_equal(s.n_rows, 3);
    assert_row(&s.row[0], 1, 3, "a", "b", "c");
    assert_row(&s.row[1], 2, 3, "x, y", "say \"hi\"", "two\r\nlines");
    assert_row(&s.row[2], 4, 3, "1", "", "3"); /* the quoted break made row 2 two lines */
    arena_free(a);
}

static void test_csv_separators(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    /* a semicolon file whose cells hold commas */
    struct sheet s = read_ok(a, "\xEF\xBB\xBFНомер;Наименование\nДПО-1;Система, версия 2\n");
    assert_row(&s.row[0], 1, 2, "Номер", "Наименование");
    assert_row(&s.row[1], 2, 2, "ДПО-1", "Система, версия 2");
    /* tab-separated */
    s = read_ok(a, "a\tb\tc;d\n1\t2\t3;4\n");
    assert_row(&s.row[1], 2, 3, "1", "2", "3;4");
    /* a separator inside quotes in the first line does not count */
    s = read_ok(a, "\"a;b;c\",d\n1,2\n");
    assert_row(&s.row[0], 1, 2, "a;b;c", "d");
    /* a trailing separator is an empty last cell; no final line break */
    s = read_ok(a, "a;b;\n1;2;");
    assert_row(&s.row[0], 1, 3, "a", "b", "");
    assert_row(&s.row[1], 2, 3, "1", "2", "");
    arena_free(a);
}

static void test_csv_blank_rows_and_lines(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct sheet s = read_ok(a, "h1,h2\n\n  ,\n\"a\nb\nc\",x\n\nlast,y\n");
    assert_int_equal(s.n_rows, 3);
    assert_row(&s.row[1], 4, 2, "a\nb\nc", "x");
    assert_row(&s.row[2], 8, 2, "last", "y");
    s = read_ok(a, "");
    assert_int_equal(s.n_rows, 0);
    arena_free(a);
}

static void test_csv_refused(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct sheet s;
    struct err e = ERR_INIT;
    assert_int_equal(sheet_read(a, "a,b\n1,\"open\n2,3\n", 16, &s, &e), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.type, "bad-file");
    assert_non_null(strstr(e.detail, "line 2: a quoted field is not closed"));
    e = (struct err)ERR_INIT;
    assert_int_equal(sheet_read(a, "a,\xff\xfe\n", 6, &s, &e), -1);
    assert_int_equal(e.status, 415);
    e = (struct err)ERR_INIT;
    assert_int_equal(sheet_read(a, "a\0b\n", 4, &s, &e), -1);
    assert_int_equal(e.status, 415);
    /* more columns than the cap */
    size_t n = (SHEET_MAX_COLS + 1) * 2;
    char *wide = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2)
        wide[i] = 'x', wide[i + 1] = ',';
    wide[n - 1] = '\n';
    wide[n] = '\0';
    e = (struct err)ERR_INIT;
    assert_int_equal(sheet_read(a, wide, n, &s, &e), -1);
    assert_int_equal(e.status, 400);
    assert_non_null(strstr(e.detail, "row 1: more columns"));
    free(wide);
    /* a zip that is no workbook */
    e = (struct err)ERR_INIT;
    assert_int_equal(sheet_read(a, "PK\x03\x04garbage", 11, &s, &e), -1);
    assert_int_equal(e.status, 400);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_separators),
        cmocka_unit_test(test_csv_blank_rows_and_lines),
        cmocka_unit_test(test_csv_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
