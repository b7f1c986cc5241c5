/* Unit tests of the docs module: the PDF/A identification in XMP (both
 * forms, other parts and levels, hostile XML), the XMP properties and the
 * dates compared with the information dictionary, the PDF/A-1 content
 * checks and the DOCX active-content checks on real producers' files and
 * one defect each (tests/fixtures/make-documents.py) and on small PDFs
 * written here, the report's JSON (strict
 * reading), the child-process runner (exit status, timeout, output cap,
 * memory limit, signal mask, descriptors, leftovers of the child) and the
 * isolated inspection through our own binary.
 * REQ: DOC-01 */
#include "docs/blobs.h"
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
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char *write_temp(const char *content);

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

/* ---- XMP properties and dates (what pdfa-metadata-mismatch compares) ---- */

/* REQ: DOC-01 */
static void test_xmp_properties(void **state)
{
    (void)state;
    struct doc_xmp x;
    const char *attrs = XMP_HEAD
        "<rdf:Description rdf:about='' xmlns:pdf='http://ns.adobe.com/pdf/1.3/' "
        "xmlns:xmp='http://ns.adobe.com/xap/1.0/' pdf:Producer='GPL Ghostscript' "
        "xmp:CreateDate='2026-12-06T07:27:50Z'/>"
        "<rdf:Description xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        "<dc:title><rdf:Alt><rdf:li xml:lang='ru'>Спецификация</rdf:li>"
        "<rdf:li xml:lang='x-default'>Specification</rdf:li></rdf:Alt></dc:title>"
        "<dc:creator><rdf:Seq><rdf:li>Aigerim</rdf:li><rdf:li>Second</rdf:li></rdf:Seq>"
        "</dc:creator></rdf:Description>"
        "<rdf:Description xmlns:x2='http://ns.adobe.com/xap/1.0/'>"
        "<x2:CreatorTool>Writer</x2:CreatorTool><x2:ModifyDate>2026-12-07"
        "</x2:ModifyDate><x2:CreateDate>1999-01-01</x2:CreateDate></rdf:Description>" XMP_TAIL;
    assert_int_equal(doc_xmp_read(attrs, strlen(attrs), &x), 0);
    assert_string_equal(x.producer, "GPL Ghostscript");
    assert_string_equal(x.create_date, "2026-12-06T07:27:50Z"); /* the first wins */
    assert_string_equal(x.title, "Specification");              /* x-default wins */
    assert_string_equal(x.creator, "Aigerim");
    assert_string_equal(x.creator_tool, "Writer");
    assert_string_equal(x.modify_date, "2026-12-07");
    assert_int_equal(x.part, 0);
    doc_xmp_free(&x);
    /* without x-default the first item; absent properties stay NULL */
    const char *first = XMP_HEAD "<rdf:Description xmlns:dc='http://purl.org/dc/elements/1.1/'>"
                                 "<dc:title><rdf:Alt><rdf:li xml:lang='kk'>Ерекшелік</rdf:li>"
                                 "<rdf:li xml:lang='en'>Spec</rdf:li></rdf:Alt></dc:title>"
                                 "</rdf:Description>" XMP_TAIL;
    assert_int_equal(doc_xmp_read(first, strlen(first), &x), 0);
    assert_string_equal(x.title, "Ерекшелік");
    assert_null(x.creator);
    assert_null(x.producer);
    doc_xmp_free(&x);
    assert_int_equal(doc_xmp_read("<a><b></a>", 10, &x), -1);
    assert_null(x.title);
    doc_xmp_free(&x);
}

/* REQ: DOC-01 */
static void test_dates_agree(void **state)
{
    (void)state;
    /* the forms real producers write */
    assert_true(doc_dates_agree("D:20261206072734Z'", "2026-12-06T07:27:34Z"));
    assert_true(doc_dates_agree("D:20261206072750Z00'00'", "2026-12-06T07:27:50Z"));
    assert_true(doc_dates_agree("D:20261206122734+05'00'", "2026-12-06T07:27:34Z"));
    assert_true(doc_dates_agree("D:20261206122734+05'00'", "2026-12-06T12:27:34+05:00"));
    assert_true(doc_dates_agree("D:20261206000000-03'30", "2026-12-06T03:30:00Z"));
    assert_true(doc_dates_agree("20261206", "2026-12-06T23:59:59+06:00"));
    assert_true(doc_dates_agree("D:2026120607", "2026-12-06T07:15"));
    assert_true(doc_dates_agree("D:20261206072734", "2026-12-06T07:27:34.250Z"));
    /* another instant, or not a date */
    assert_false(doc_dates_agree("D:20261206072734Z", "2026-12-06T07:27:35Z"));
    assert_false(doc_dates_agree("D:20261206072734+05'00'", "2026-12-06T07:27:34+06:00"));
    assert_false(doc_dates_agree("D:19990101000000+05'00'", "2026-12-06T07:27:34Z"));
    assert_false(doc_dates_agree("D:20261306", "2026-13-06"));
    assert_false(doc_dates_agree("yesterday", "2026-12-06"));
    assert_false(doc_dates_agree("D:20261206", "06.12.2026"));
    assert_false(doc_dates_agree("D:20261206", "2026-12-06T07"));
    assert_false(doc_dates_agree("D:2026120607Q", "2026-12-06"));
}

/* ---- the inspector on real producers' files and one defect each ---- */

static char fixture_paths[64][2][256]; /* name, path */
static size_t n_fixtures;

/* Makes (or finds cached) the fixtures with tests/fixtures/make-documents.py. */
static const char *fixture(const char *name)
{
    if (!n_fixtures) {
        FILE *f = popen("python3 '" MAKE_DOCUMENTS "' '" DOC_FIXTURES "'", "r");
        assert_non_null(f);
        char line[500];
        while (fgets(line, sizeof line, f) && n_fixtures < 64) {
            line[strcspn(line, "\n")] = 0;
            char *tab = strchr(line, '\t');
            assert_non_null(tab);
            *tab = 0;
            assert_true(strlen(line) < 256 && strlen(tab + 1) < 256);
            memcpy(fixture_paths[n_fixtures][0], line, strlen(line) + 1);
            memcpy(fixture_paths[n_fixtures][1], tab + 1, strlen(tab + 1) + 1);
            n_fixtures++;
        }
        assert_int_equal(pclose(f), 0);
    }
    for (size_t i = 0; i < n_fixtures; i++)
        if (strcmp(fixture_paths[i][0], name) == 0)
            return fixture_paths[i][1];
    fail_msg("no fixture %s", name);
    return NULL;
}

/* The report's problem codes, space-separated, in order. */
static void codes_of(const struct doc_report *r, char *out, size_t cap)
{
    out[0] = 0;
    size_t i;
    json_t *p;
    json_array_foreach (r->problems, i, p) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? " " : "",
                 json_string_value(json_object_get(p, "code")));
    }
}

/* Each file and exactly the problems it must get ("" = accepted). */
static const struct {
    const char *name, *codes;
} expected[] = {
    {"pdfa1b", ""}, /* Ghostscript with PDFA_def.ps */
    {"pdfa1b-only", ""},
    {"lo-pdfa1", ""},      /* LibreOffice, SelectPdfVersion 1 */
    {"lo-pdfa1-link", ""}, /* a Link annotation with a URI action */
    {"pdfa-info-only", ""},
    {"pdfa-javascript", "pdfa-javascript"},
    {"pdfa-launch", "pdfa-launch"},
    {"pdfa-reset-form", "pdfa-forbidden-action"},
    {"pdfa-named-print", "pdfa-forbidden-action"},
    {"pdfa-page-aa", "pdfa-additional-actions"},
    {"pdfa-attachment", "pdfa-embedded-file"},
    {"pdfa-encrypted", "pdf-encrypted"},
    {"pdfa-no-output-intent", "pdfa-no-output-intent"},
    {"pdfa-font", "pdfa-font-not-embedded"},
    {"pdfa-group", "pdfa-transparency"},
    {"pdfa-opacity", "pdfa-transparency"},
    {"pdfa-lzw", "pdfa-lzw"},
    {"pdfa-producer", "pdfa-metadata-mismatch"},
    {"pdfa-date", "pdfa-metadata-mismatch"},
    {"pdfa-no-id", "pdfa-no-file-id"},
    /* the file of issue 13: each of its defects named */
    {"pdfa-liar", "pdfa-no-output-intent pdfa-javascript pdfa-additional-actions pdfa-launch "
                  "pdfa-font-not-embedded"},
    {"docx", ""},
    {"docx-hyperlink", ""},
    {"docx-template", "docx-external-relationship"},
    {"docx-vba", "docx-macros"},
    {"docm", "docx-macros"},
    {"docx-activex", "docx-activex"},
    {"docx-ole", "docx-ole-object"},
};

/* REQ: DOC-01 */
static void test_producers_pass_and_defects_are_named(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        struct doc_report r;
        struct err e = ERR_INIT;
        assert_int_equal(doc_inspect_path(fixture(expected[i].name), NULL, &r, &e), 0);
        char got[400];
        codes_of(&r, got, sizeof got);
        if (strcmp(got, expected[i].codes) != 0)
            fail_msg("%s: expected [%s], got [%s]", expected[i].name, expected[i].codes, got);
        bool pdf = r.format == DOC_FORMAT_PDF;
        /* accepted as PDF/A-1 only when nothing is wrong */
        assert_int_equal(r.pdfa1, pdf && !*expected[i].codes);
        if (pdf && !*expected[i].codes)
            assert_true(r.pdfa_conformance == 'A' || r.pdfa_conformance == 'B');
        size_t k;
        json_t *p;
        json_array_foreach (r.problems, k, p) {
            const char *d = json_string_value(json_object_get(p, "detail"));
            assert_true(d && d[0] >= 'a' && d[0] <= 'z');
        }
        doc_report_free(&r);
    }
}

/* ---- small PDFs written here: what the fixtures do not show ---- */

#define PDFA_XMP                                                                                   \
    "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "                                                \
    "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description "                    \
    "xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' pdfaid:part='1' pdfaid:conformance='B'/>"      \
    "</rdf:RDF></x:xmpmeta>"

/* Writes a PDF whose catalog (object 1) has the extra entries `catalog`,
 * whose one page (object 3) has `page`, and more objects from 6 on
 * (objs: "6 0 obj ... endobj" texts); the XMP declares PDF/A-1b, there is
 * an OutputIntent with a profile (object 5) and a trailer /ID. */
static char *write_pdf(const char *catalog, const char *page, const char *const *objs)
{
    char body[16384], *b = body;
    size_t off[32], n = 0;
    const char *fixed[5];
    char o1[4096], o3[4096], o4[1024];
    snprintf(o1, sizeof o1,
             "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R /OutputIntents [ << "
             "/Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB) "
             "/DestOutputProfile 5 0 R >> ] %s >>\nendobj\n",
             catalog);
    snprintf(o3, sizeof o3,
             "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] %s >>\nendobj\n", page);
    snprintf(o4, sizeof o4,
             "4 0 obj\n<< /Type /Metadata /Subtype /XML /Length %zu >>\nstream\n%s\nendstream\n"
             "endobj\n",
             strlen(PDFA_XMP), PDFA_XMP);
    fixed[0] = o1;
    fixed[1] = "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n";
    fixed[2] = o3;
    fixed[3] = o4;
    fixed[4] = "5 0 obj\n<< /N 3 /Length 4 >>\nstream\nicc!\nendstream\nendobj\n";
    b += sprintf(b, "%%PDF-1.4\n");
    for (size_t i = 0; i < 5; i++) {
        off[n++] = (size_t)(b - body);
        b += sprintf(b, "%s", fixed[i]);
    }
    for (size_t i = 0; objs && objs[i]; i++) {
        off[n++] = (size_t)(b - body);
        b += sprintf(b, "%s", objs[i]);
    }
    size_t xref = (size_t)(b - body);
    b += sprintf(b, "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
    for (size_t i = 0; i < n; i++)
        b += sprintf(b, "%010zu 00000 n \n", off[i]);
    b += sprintf(b,
                 "trailer\n<< /Size %zu /Root 1 0 R /ID [<00112233445566778899aabbccddeeff> "
                 "<00112233445566778899aabbccddeeff>] >>\nstartxref\n%zu\n%%%%EOF\n",
                 n + 1, xref);
    return write_temp(body);
}

/* The problem codes of the PDF written by write_pdf. */
static void inspect_written(const char *catalog, const char *page, const char *const *objs,
                            char *got, size_t cap)
{
    char *path = write_pdf(catalog, page, objs);
    struct doc_report r;
    struct err e = ERR_INIT;
    assert_int_equal(doc_inspect_path(path, NULL, &r, &e), 0);
    codes_of(&r, got, cap);
    doc_report_free(&r);
    unlink(path);
    free(path);
}

#define EXPECT_CODES(want, catalog, page, ...)                                                     \
    do {                                                                                           \
        static const char *const objs_[] = {__VA_ARGS__};                                          \
        char got_[400];                                                                            \
        inspect_written(catalog, page, objs_, got_, sizeof got_);                                  \
        if (strcmp(got_, want) != 0)                                                               \
            fail_msg("%s | %s: expected [%s], got [%s]", catalog, page, want, got_);               \
    } while (0)

/* REQ: DOC-01 */
static void test_pdfa_rules_on_written_pdfs(void **state)
{
    (void)state;
    /* the base file passes: the checks see only what the cases add */
    EXPECT_CODES("", "", "", NULL);
    /* allowed actions: GoTo, URI, the four page-turning named actions; a
     * structure element's /A (attributes, no /S) is not an action */
    EXPECT_CODES("",
                 "/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /Named /N /NextPage >> >>",
                 "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A << /S /URI /URI "
                 "(https://egov.kz/) >> >>] /StructParents 0",
                 "6 0 obj\n<< /Type /StructElem /S /P /A << /O /Layout /Placement /Block >> "
                 ">>\nendobj\n",
                 NULL);
    /* a forbidden action at the end of a chain of allowed ones */
    EXPECT_CODES("pdfa-forbidden-action",
                 "/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /Hide /T (x) >> >>", "",
                 NULL);
    EXPECT_CODES("pdfa-forbidden-action", "/OpenAction << /S /GoToE /D [0 /Fit] >>", "", NULL);
    EXPECT_CODES("pdfa-launch",
                 "/OpenAction << /S /URI /URI (https://egov.kz/) /Next [<< /S /GoTo /D [3 0 R "
                 "/Fit] >> << /S /Launch /F (cmd.exe) >>] >>",
                 "", NULL);
    /* document-level scripts in the name tree */
    EXPECT_CODES("pdfa-javascript", "/Names << /JavaScript 6 0 R >>", "",
                 "6 0 obj\n<< /Names [(a) << /S /JavaScript /JS (1) >>] >>\nendobj\n", NULL);
    /* fonts: Type3 exempt; a Type0's descendant without its program is caught
     * through the page's form XObject */
    EXPECT_CODES("", "",
                 "/Resources << /Font << /F3 << /Type /Font /Subtype /Type3 /FontBBox [0 0 1 1] "
                 "/FontMatrix [1 0 0 1 0 0] /CharProcs << >> /Encoding << >> /FirstChar 0 "
                 "/LastChar 0 /Widths [0] >> >> >>",
                 NULL);
    EXPECT_CODES("pdfa-font-not-embedded", "", "/Resources << /XObject << /X1 6 0 R >> >>",
                 "6 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /Font "
                 "<< /F0 7 0 R >> >> /Length 0 >>\nstream\n\nendstream\nendobj\n",
                 "7 0 obj\n<< /Type /Font /Subtype /Type0 /BaseFont /Arial /Encoding /Identity-H "
                 "/DescendantFonts [8 0 R] >>\nendobj\n",
                 "8 0 obj\n<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Arial "
                 "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                 "/FontDescriptor << /Type /FontDescriptor /FontName /Arial /Flags 32 >> >>\n"
                 "endobj\n",
                 NULL);
    /* transparency: a blend mode, an image's soft mask; /SMask /None and
     * opacity 1 are not transparency */
    EXPECT_CODES("", "",
                 "/Resources << /ExtGState << /G << /SMask /None /CA 1 /ca 1.0 /BM /Normal >> "
                 ">> >>",
                 NULL);
    EXPECT_CODES("pdfa-transparency", "",
                 "/Resources << /ExtGState << /G << /BM [/Multiply /Normal] >> >> >>", NULL);
    EXPECT_CODES("pdfa-transparency", "", "/Resources << /XObject << /I 6 0 R >> >>",
                 "6 0 obj\n<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace "
                 "/DeviceGray /BitsPerComponent 8 /SMask 7 0 R /Length 1 >>\nstream\n\x01\n"
                 "endstream\nendobj\n",
                 "7 0 obj\n<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace "
                 "/DeviceGray /BitsPerComponent 8 /Length 1 >>\nstream\n\x01\nendstream\n"
                 "endobj\n",
                 NULL);
    /* an embedded file reached through a file attachment annotation */
    EXPECT_CODES("pdfa-embedded-file", "",
                 "/Annots [<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 1 1] /FS << "
                 "/Type /Filespec /F (a.txt) /EF << /F 6 0 R >> >> >>]",
                 "6 0 obj\n<< /Type /EmbeddedFile /Length 1 >>\nstream\nx\nendstream\nendobj\n",
                 NULL);
    /* an output intent of another standard is not PDF/A's */
    EXPECT_CODES("pdfa-no-output-intent pdfa-transparency",
                 "/OutputIntents [<< /S /GTS_PDFX /DestOutputProfile 5 0 R >>]",
                 "/Group << /S /Transparency >>", NULL);
    EXPECT_CODES("pdfa-no-output-intent",
                 "/OutputIntents [<< /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB) >>]", "",
                 NULL);
    /* additional actions on a form field (reached from the catalog's form,
     * not from the page) */
    EXPECT_CODES("pdfa-additional-actions", "/AcroForm << /Fields [6 0 R] >>", "",
                 "6 0 obj\n<< /FT /Tx /T (name) /Subtype /Widget /Rect [0 0 1 1] /AA << /K << "
                 "/S /URI /URI (https://egov.kz/) >> >> >>\nendobj\n",
                 NULL);
    /* cycles cost nothing; nesting beyond the cap is refused, not followed */
    EXPECT_CODES("", "/X 6 0 R", "", "6 0 obj\n<< /Next 7 0 R >>\nendobj\n",
                 "7 0 obj\n<< /Next 6 0 R /Up 1 0 R >>\nendobj\n", NULL);
    char deep[1024] = "/Deep ";
    for (int i = 0; i < DOC_PDF_MAX_DEPTH + 5; i++)
        strcat(deep, "[");
    for (int i = 0; i < DOC_PDF_MAX_DEPTH + 5; i++)
        strcat(deep, "]");
    EXPECT_CODES("pdfa-too-complex", deep, "", NULL);
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

/* Opening the document store removes what a crash left in tmp/ (an hour
 * old) and not an upload another node sharing the folder is writing. */
static void test_blobs_sweep_only_old_leftovers(void **state)
{
    (void)state;
    char dir[] = "/tmp/ap-blobs-XXXXXX", tmp[64], old_f[96], new_f[96];
    assert_non_null(mkdtemp(dir));
    struct err e = ERR_INIT;
    struct blobs *b = blobs_open(dir, &e);
    assert_non_null(b);
    blobs_close(b);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    snprintf(old_f, sizeof old_f, "%s/upload-old", tmp);
    snprintf(new_f, sizeof new_f, "%s/upload-new", tmp);
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(i ? new_f : old_f, "w");
        assert_non_null(f);
        fputs("part", f);
        fclose(f);
    }
    struct timeval two_hours_ago[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    assert_int_equal(utimes(old_f, two_hours_ago), 0);
    b = blobs_open(dir, &e);
    assert_non_null(b);
    blobs_close(b);
    assert_int_equal(access(old_f, F_OK), -1);
    assert_int_equal(access(new_f, F_OK), 0);
    unlink(new_f);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blobs_sweep_only_old_leftovers),
        cmocka_unit_test(test_xmp_attribute_form),
        cmocka_unit_test(test_xmp_element_form),
        cmocka_unit_test(test_xmp_other_parts_and_levels),
        cmocka_unit_test(test_xmp_without_pdfaid),
        cmocka_unit_test(test_xmp_malformed),
        cmocka_unit_test(test_xmp_entities_refused),
        cmocka_unit_test(test_xmp_properties),
        cmocka_unit_test(test_dates_agree),
        cmocka_unit_test(test_producers_pass_and_defects_are_named),
        cmocka_unit_test(test_pdfa_rules_on_written_pdfs),
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
