/* Unit tests of the docs module: the PDF/A identification in XMP (both
 * forms, other parts and levels, hostile XML), the report's JSON (strict
 * reading), the child-process runner (exit status, timeout, output cap,
 * memory limit, signal mask, descriptors, leftovers of the child) and the
 * isolated inspection through our own binary.
 * REQ: DOC-01 */
#include "docs/inspect.h"
#include "docs/subproc.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- XMP ---- */

static int xmp(const char *xml, int *part, char *conf)
{
    return doc_xmp_pdfa(xml, strlen(xml), part, conf);
}

#define XMP_HEAD                                                                                   \
    "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"                           \
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "                                              \
    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
#define XMP_TAIL "</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"

/* REQ: DOC-01 */
static void test_xmp_attribute_form(void **state)
{
    (void)state;
    int part;
    char conf;
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description rdf:about=\"\" "
                                  "xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' "
                                  "pdfaid:part='1' pdfaid:conformance='B'/>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 1);
    assert_int_equal(conf, 'B');
    /* another prefix for the same namespace; lower-case level */
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description xmlns:id='http://www.aiim.org/pdfa/ns/id/' "
                                  "id:conformance='a' id:part=' 1 '/>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 1);
    assert_int_equal(conf, 'A');
}

/* REQ: DOC-01 */
static void test_xmp_element_form(void **state)
{
    (void)state;
    int part;
    char conf;
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description rdf:about=\"\" "
                                  "xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n"
                                  "  <pdfaid:part>1</pdfaid:part>\n"
                                  "  <pdfaid:conformance>A</pdfaid:conformance>\n"
                                  "</rdf:Description>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 1);
    assert_int_equal(conf, 'A');
}

/* REQ: DOC-01 */
static void test_xmp_other_parts_and_levels(void **state)
{
    (void)state;
    int part;
    char conf;
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/'"
                                  " pdfaid:part='2' pdfaid:conformance='B'/>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 2);
    assert_int_equal(conf, 'B');
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/'>"
                                  "<pdfaid:part>1</pdfaid:part><pdfaid:conformance>U"
                                  "</pdfaid:conformance></rdf:Description>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 1);
    assert_int_equal(conf, 'U');
    /* a level that is not one letter */
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/'"
                                  " pdfaid:part='1' pdfaid:conformance='AB'/>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(conf, '?');
}

static void test_xmp_without_pdfaid(void **state)
{
    (void)state;
    int part = 7;
    char conf = 'x';
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description xmlns:pdf='http://ns.adobe.com/pdf/1.3/' "
                                  "pdf:Producer='LibreOffice'/>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 0);
    assert_int_equal(conf, 0);
    /* the right local names in the wrong namespace are not a declaration */
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description xmlns:pdfaid='http://example.com/pdfa/' "
                                  "pdfaid:part='1' pdfaid:conformance='B'/>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 0);
    assert_int_equal(conf, 0);
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' "
                                  "pdfaid:part='one'/>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 0);
    /* a long value is not cut down to a valid one */
    assert_int_equal(xmp(XMP_HEAD "<rdf:Description xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' "
                                  "pdfaid:part='1                          2' "
                                  "pdfaid:conformance='B                      x'/>" XMP_TAIL,
                         &part, &conf),
                     0);
    assert_int_equal(part, 0);
    assert_int_equal(conf, '?');
}

static void test_xmp_malformed(void **state)
{
    (void)state;
    int part;
    char conf;
    assert_int_equal(xmp("", &part, &conf), -1);
    assert_int_equal(xmp("<x:xmpmeta xmlns:x='adobe:ns:meta/'>", &part, &conf), -1);
    assert_int_equal(xmp("<a><b></a></b>", &part, &conf), -1);
    /* an undeclared prefix is a namespace error: refused too */
    assert_int_equal(xmp("<rdf:Description pdfaid:part='1'/>", &part, &conf), -1);
    assert_int_equal(part, 0);
    const char bin[] = {'<', 'a', '>', '\0', '<', '/', 'a', '>'};
    assert_int_equal(doc_xmp_pdfa(bin, sizeof bin, &part, &conf), -1);
    /* over the size cap: refused before parsing */
    char *big = calloc(DOC_XMP_MAX + 1, 1);
    assert_non_null(big);
    assert_int_equal(doc_xmp_pdfa(big, DOC_XMP_MAX + 1, &part, &conf), -1);
    free(big);
}

/* REQ: DOC-01 */
static void test_xmp_entities_refused(void **state)
{
    (void)state;
    int part;
    char conf;
    /* a billion laughs: must be refused, quickly, without expanding */
    const char *laughs =
        "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'ha'>"
        "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
        "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'><!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
        "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'><!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>"
        "<!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'><!ENTITY i '&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;'>"
        "<!ENTITY j '&i;&i;&i;&i;&i;&i;&i;&i;&i;&i;'>]>"
        "<r xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' pdfaid:part='1' "
        "pdfaid:conformance='&j;'>&j;</r>";
    clock_t t0 = clock();
    assert_int_equal(xmp(laughs, &part, &conf), -1);
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    assert_int_equal(part, 0);
    /* an external entity (XXE): never loaded, the document refused */
    assert_int_equal(xmp("<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM "
                         "'file:///etc/passwd'>]><r xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' "
                         "pdfaid:part='1' pdfaid:conformance='B'>&x;</r>",
                         &part, &conf),
                     -1);
    assert_int_equal(xmp("<!DOCTYPE r SYSTEM 'http://127.0.0.1:9/dtd'><r/>", &part, &conf), -1);
    /* a DOCTYPE alone is enough to refuse */
    assert_int_equal(xmp("<!DOCTYPE r><r xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' "
                         "pdfaid:part='1' pdfaid:conformance='B'/>",
                         &part, &conf),
                     -1);
    assert_int_equal(part, 0);
}

/* ---- the report's JSON ---- */

static json_t *parse(const char *s)
{
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(j);
    return j;
}

static void test_report_json_roundtrip(void **state)
{
    (void)state;
    struct doc_report r = {.format = DOC_FORMAT_DOCX, .pages = -1, .problems = json_array()};
    doc_report_problem(&r, "docx-bad-xml", "bad byte \xFF and \x01 control");
    r.text = strdup("Қазақ\nzanzibarite");
    r.text_len = strlen(r.text);
    json_t *j = doc_report_json(&r);
    const char *detail = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "problems"), 0), "detail"));
    assert_string_equal(detail, "bad byte ? and ? control"); /* always valid UTF-8 */
    struct doc_report back;
    struct err e = ERR_INIT;
    assert_int_equal(doc_report_from_json(j, &back, &e), 0);
    assert_int_equal(back.format, DOC_FORMAT_DOCX);
    assert_int_equal(back.text_len, r.text_len);
    assert_memory_equal(back.text, r.text, r.text_len);
    json_t *again = doc_report_json(&back);
    assert_true(json_equal(j, again));
    json_decref(again);
    json_decref(j);
    doc_report_free(&back);
    doc_report_free(&r);
    doc_report_free(&r); /* twice is harmless */
}

static void test_report_from_json_is_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "{\"format\":\"pdf\",\"pdfa1\":true,\"pdfa_conformance\":\"B\",\"encrypted\":false,"
        "\"pages\":1,\"problems\":[],\"text\":null,\"extra\":1}",
        "{\"format\":\"pdf\",\"pdfa1\":true,\"pdfa_conformance\":\"B\",\"encrypted\":false,"
        "\"pages\":1,\"problems\":[]}",
        "{\"format\":\"odt\",\"pdfa1\":false,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":1,\"problems\":[],\"text\":null}",
        "{\"format\":\"pdf\",\"pdfa1\":1,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":1,\"problems\":[],\"text\":null}",
        "{\"format\":\"pdf\",\"pdfa1\":true,\"pdfa_conformance\":\"U\",\"encrypted\":false,"
        "\"pages\":1,\"problems\":[],\"text\":null}",
        "{\"format\":\"pdf\",\"pdfa1\":true,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":1,\"problems\":[],\"text\":null}",
        "{\"format\":\"pdf\",\"pdfa1\":false,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":1.5,\"problems\":[],\"text\":null}",
        "{\"format\":\"pdf\",\"pdfa1\":false,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":-2,\"problems\":[],\"text\":null}",
        "{\"format\":\"pdf\",\"pdfa1\":false,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":1,\"problems\":[{\"code\":\"x\"}],\"text\":null}",
        "{\"format\":\"pdf\",\"pdfa1\":false,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":1,\"problems\":[{\"code\":\"x\",\"detail\":\"y\",\"z\":1}],\"text\":null}",
        "{\"format\":\"pdf\",\"pdfa1\":false,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":1,\"problems\":{},\"text\":null}",
        "{\"format\":\"docx\",\"pdfa1\":false,\"pdfa_conformance\":null,\"encrypted\":false,"
        "\"pages\":1,\"problems\":[],\"text\":5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = parse(bad[i]);
        struct doc_report r;
        struct err e = ERR_INIT;
        if (doc_report_from_json(j, &r, &e) == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(e.status, 422);
        assert_null(r.problems);
        json_decref(j);
    }
    /* a NUL inside the text */
    json_t *j = parse("{\"format\":\"docx\",\"pdfa1\":false,\"pdfa_conformance\":null,"
                      "\"encrypted\":false,\"pages\":-1,\"problems\":[],\"text\":\"a\"}");
    json_object_set_new(j, "text", json_stringn("a\0b", 3));
    struct doc_report r;
    struct err e = ERR_INIT;
    assert_int_equal(doc_report_from_json(j, &r, &e), -1);
    json_decref(j);
}

/* ---- the child-process runner ---- */

static struct subproc_limits limits(void)
{
    struct subproc_limits lim = {.cpu_s = 10, .wall_ms = 10000, .max_out = 1 << 20};
    return lim;
}

static int run(struct subproc_limits *lim, char **out, size_t *len, struct err *e, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, e);
    int n = 0;
    while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    return subproc_run(argv, lim, out, len, e);
}

static void test_subproc_output_and_status(void **state)
{
    (void)state;
    struct subproc_limits lim = limits();
    char *out = NULL;
    size_t len = 0;
    struct err e = ERR_INIT;
    assert_int_equal(run(&lim, &out, &len, &e, "/bin/echo", "Қазақстан", NULL), 0);
    assert_string_equal(out, "Қазақстан\n");
    assert_int_equal(len, strlen("Қазақстан\n"));
    free(out);
    assert_int_equal(run(&lim, &out, &len, &e, "/bin/sh", "-c", "echo oops >&2; exit 3", NULL), -1);
    assert_null(out);
    assert_int_equal(e.status, 422);
    assert_string_equal(e.type, "document-unreadable");
    assert_non_null(strstr(e.detail, "exited with status 3"));
    assert_non_null(strstr(e.detail, "oops"));
    /* stdin is /dev/null: cat ends at once */
    assert_int_equal(run(&lim, &out, &len, &e, "/bin/cat", NULL), 0);
    assert_int_equal(len, 0);
    free(out);
    assert_int_equal(run(&lim, &out, &len, &e, "/nonexistent/program", NULL), -1);
    assert_non_null(strstr(e.detail, "status 127"));
}

static void test_subproc_timeout(void **state)
{
    (void)state;
    struct subproc_limits lim = limits();
    lim.wall_ms = 300;
    char *out = NULL;
    size_t len = 0;
    struct err e = ERR_INIT;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run(&lim, &out, &len, &e, "/bin/sleep", "20", NULL), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(took < 5.0);
    assert_non_null(strstr(e.detail, "took longer than 300 ms"));
    /* a CPU loop meets the CPU limit */
    lim = limits();
    lim.cpu_s = 1;
    lim.wall_ms = 120000; /* a second of CPU may take long on a busy machine */
    assert_int_equal(run(&lim, &out, &len, &e, "/bin/sh", "-c", "while :; do :; done", NULL), -1);
    assert_non_null(strstr(e.detail, "CPU time"));
}

static void test_subproc_output_cap(void **state)
{
    (void)state;
    struct subproc_limits lim = limits();
    lim.max_out = 1000;
    char *out = NULL;
    size_t len = 0;
    struct err e = ERR_INIT;
    assert_int_equal(run(&lim, &out, &len, &e, "/usr/bin/yes", "zanzibarite", NULL), -1);
    assert_string_equal(e.type, "output-too-large");
    assert_null(out);
    lim.cut_out = true;
    assert_int_equal(run(&lim, &out, &len, &e, "/usr/bin/yes", "zanzibarite", NULL), 0);
    assert_int_equal(len, 1000);
    assert_int_equal(strncmp(out, "zanzibarite\nzanzibarite\n", 24), 0);
    free(out);
}

static void test_subproc_memory_limit(void **state)
{
    (void)state;
    struct subproc_limits lim = limits();
    lim.mem_bytes = (uint64_t)200 << 20;
    char *out = NULL;
    size_t len = 0;
    struct err e = ERR_INIT;
    assert_int_equal(run(&lim, &out, &len, &e, "/usr/bin/python3", "-c",
                         "x = bytearray(1 << 30); print('allocated')", NULL),
                     -1);
    assert_non_null(strstr(e.detail, "out of memory"));
    /* the same without the limit gets its gigabyte (it is never touched) */
    lim.mem_bytes = 0;
    assert_int_equal(run(&lim, &out, &len, &e, "/usr/bin/python3", "-c",
                         "x = bytearray(1 << 30); print('allocated')", NULL),
                     0);
    assert_string_equal(out, "allocated\n");
    free(out);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        n += de->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static void test_subproc_descriptors_and_signals(void **state)
{
    (void)state;
    struct subproc_limits lim = limits();
    char *out = NULL;
    size_t len = 0;
    struct err e = ERR_INIT;
    int leak = open("/dev/null", O_RDONLY); /* inheritable on purpose */
    assert_true(leak > 2);
    int before = count_fds();
    /* ls itself, not a shell: a shell's pipeline holds its pipe's ends for a
     * moment, which made the listing depend on scheduling. 3 is the
     * directory ls reads: the lowest free descriptor when nothing leaked. */
    assert_int_equal(run(&lim, &out, &len, &e, "/bin/ls", "/proc/self/fd", NULL), 0);
    assert_string_equal(out, "0\n1\n2\n3\n"); /* nothing else reaches the child */
    free(out);
    assert_int_equal(count_fds(), before); /* nor stays open here */
    close(leak);
    /* a blocked SIGTERM (as the server has for sigwait) is not inherited */
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    assert_int_equal(run(&lim, &out, &len, &e, "/bin/sh", "-c", "kill -TERM $$; echo alive", NULL),
                     -1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    assert_non_null(strstr(e.detail, "signal 15"));
}

static void test_subproc_kills_leftovers(void **state)
{
    (void)state;
    struct subproc_limits lim = limits();
    char *out = NULL;
    size_t len = 0;
    struct err e = ERR_INIT;
    /* the background sleep holds stdout open; it dies with its parent's run */
    time_t t0 = time(NULL);
    assert_int_equal(run(&lim, &out, &len, &e, "/bin/sh", "-c", "sleep 30 & echo started", NULL),
                     0);
    assert_true(time(NULL) - t0 < 5);
    assert_string_equal(out, "started\n");
    free(out);
}

static void test_subproc_sanitizer_detection(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    assert_true(subproc_self_sanitized());
#endif
}

/* ---- the isolated inspection ---- */

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/archportal-test-docs-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

/* REQ: DOC-01 */
static void test_isolated_inspection(void **state)
{
    (void)state;
    char *path = write_temp("plain text, not a document\n");
    struct doc_report r;
    struct err e = ERR_INIT;
    assert_int_equal(doc_inspect_isolated(ARCHPORTAL_BIN, path, NULL, &r, &e), 0);
    assert_int_equal(r.format, DOC_FORMAT_NONE);
    assert_int_equal(json_array_size(r.problems), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.problems, 0), "code")),
                        "unknown-format");
    doc_report_free(&r);
    /* a child that fails or prints no report: the file is refused */
    assert_int_equal(doc_inspect_isolated("/bin/false", path, NULL, &r, &e), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.problems, 0), "code")),
                        "inspection-failed");
    doc_report_free(&r);
    assert_int_equal(doc_inspect_isolated("/bin/echo", path, NULL, &r, &e), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.problems, 0), "code")),
                        "inspection-failed");
    doc_report_free(&r);
    /* a file that cannot be opened is the caller's error, in process */
    assert_int_equal(doc_inspect_path("/nonexistent/upload", NULL, &r, &e), -1);
    assert_int_equal(e.status, 500);
    doc_report_free(&r);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xmp_attribute_form),
        cmocka_unit_test(test_xmp_element_form),
        cmocka_unit_test(test_xmp_other_parts_and_levels),
        cmocka_unit_test(test_xmp_without_pdfaid),
        cmocka_unit_test(test_xmp_malformed),
        cmocka_unit_test(test_xmp_entities_refused),
        cmocka_unit_test(test_report_json_roundtrip),
        cmocka_unit_test(test_report_from_json_is_strict),
        cmocka_unit_test(test_subproc_output_and_status),
        cmocka_unit_test(test_subproc_timeout),
        cmocka_unit_test(test_subproc_output_cap),
        cmocka_unit_test(test_subproc_memory_limit),
        cmocka_unit_test(test_subproc_descriptors_and_signals),
        cmocka_unit_test(test_subproc_kills_leftovers),
        cmocka_unit_test(test_subproc_sanitizer_detection),
        cmocka_unit_test(test_isolated_inspection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
