/* docs/pdf: a PDF's encryption, page count and PDF/A identification, read
 * with qpdf's C API (REQ DOC-01: the signed copy must be PDF/A-1).
 *
 * qpdf parses lazily: an error can surface at any call, so every call is
 * followed by a look at qpdf_has_error. Recovery of damaged files is off:
 * a PDF/A must have an intact cross-reference table, and a reconstructed
 * file is not the one that was signed. */
#include "docs/internal.h"

#include <qpdf/qpdf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PDFAID_NS "http://www.aiim.org/pdfa/ns/id/"

/* A filtered (compressed) metadata stream is decoded only when its raw
 * bytes are at most this many, which bounds what decoding can produce. */
#define XMP_MAX_FILTERED ((size_t)64 << 10)

/* ---- the XMP step ---- */

/* Trims ASCII white space of s in place; returns s. */
static char *trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    size_t i = strspn(s, " \t\r\n");
    memmove(s, s + i, n - i + 1);
    return s;
}

/* Copies a value that fits, else "#" (no valid part or level is long:
 * truncating would turn "1  garbage" into "1"). */
static void copy_value(char *out, size_t cap, const char *v)
{
    if (!v)
        v = "";
    snprintf(out, cap, "%s", strlen(v) < cap ? v : "#");
}

/* Records a pdfaid value (part or conformance) if it is the first seen. */
static void take_value(const char *local, char *value, int *part, char *conf)
{
    trim(value);
    if (strcmp(local, "part") == 0 && *part == 0) {
        size_t n = strlen(value);
        int v = 0;
        if (n >= 1 && n <= 2 && strspn(value, "0123456789") == n)
            v = (int)strtol(value, NULL, 10);
        *part = v;
    } else if (strcmp(local, "conformance") == 0 && *conf == 0) {
        char c = value[0];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        *conf = (c >= 'A' && c <= 'Z' && value[1] == 0) ? c : '?';
    }
}

/* Looks at the current element's attributes for pdfaid:part and
 * pdfaid:conformance (the usual form: attributes of rdf:Description). */
static void scan_attributes(struct docxml *x, int *part, char *conf)
{
    while (xmlTextReaderMoveToNextAttribute(x->r) == 1) {
        if (strcmp(docxml_ns(x), PDFAID_NS) != 0)
            continue;
        char value[16];
        copy_value(value, sizeof value, (const char *)xmlTextReaderConstValue(x->r));
        take_value(docxml_name(x), value, part, conf);
    }
    xmlTextReaderMoveToElement(x->r);
}

int doc_xmp_pdfa(const char *xml, size_t n, int *part, char *conformance)
{
    *part = 0;
    *conformance = 0;
    if (n > DOC_XMP_MAX)
        return -1;
    struct docxml x;
    if (docxml_open_memory(&x, xml, n, "metadata.xmp") < 0)
        return -1;
    int rc;
    while ((rc = docxml_next(&x)) == 1) {
        if (xmlTextReaderNodeType(x.r) != XML_READER_TYPE_ELEMENT)
            continue;
        if (xmlTextReaderHasAttributes(x.r) == 1)
            scan_attributes(&x, part, conformance);
        if (strcmp(docxml_ns(&x), PDFAID_NS) == 0 && !xmlTextReaderIsEmptyElement(x.r)) {
            /* the element form: <pdfaid:part>1</pdfaid:part> */
            char local[16];
            snprintf(local, sizeof local, "%s", docxml_name(&x));
            xmlChar *s = xmlTextReaderReadString(x.r);
            char value[16];
            copy_value(value, sizeof value, (const char *)s);
            xmlFree(s);
            take_value(local, value, part, conformance);
        }
    }
    docxml_close(&x);
    if (rc < 0) {
        *part = 0;
        *conformance = 0;
        return -1;
    }
    return 0;
}

/* ---- the PDF ---- */

/* Reports qpdf's pending error as pdf-damaged (or pdf-encrypted for a
 * password error); returns true when there was one. */
static bool qpdf_failed(qpdf_data q, struct doc_report *r)
{
    if (!qpdf_has_error(q))
        return false;
    qpdf_error qe = qpdf_get_error(q);
    if (qpdf_get_error_code(q, qe) == qpdf_e_password) {
        r->encrypted = true;
        doc_report_problem(r, "pdf-encrypted",
                           "the PDF is encrypted with a password; upload the signed copy "
                           "without a password");
        return true;
    }
    /* the message without the file name: the server's temporary path means
     * nothing to the person who uploaded the file */
    const char *detail = qpdf_get_error_message_detail(q, qe);
    unsigned long long pos = qpdf_get_error_file_position(q, qe);
    doc_report_problem(r, "pdf-damaged",
                       "the PDF is damaged and cannot be read (at byte %llu: %s); export "
                       "it again from the original program",
                       pos, detail && *detail ? detail : "unknown error");
    return true;
}

/* The catalog's /Metadata stream's bytes (decoded); NULL with *why set when
 * there is none or it cannot be had. The caller frees the bytes. */
static unsigned char *metadata_bytes(qpdf_data q, size_t *len, const char **why)
{
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh meta = qpdf_oh_get_key(q, root, "/Metadata");
    if (qpdf_has_error(q))
        return NULL;
    if (!qpdf_oh_is_stream(q, meta)) {
        *why = "missing";
        return NULL;
    }
    qpdf_oh dict = qpdf_oh_get_dict(q, meta);
    bool filtered = qpdf_oh_has_key(q, dict, "/Filter");
    qpdf_oh length = qpdf_oh_get_key(q, dict, "/Length");
    if (qpdf_oh_is_integer(q, length) &&
        (qpdf_oh_get_int_value(q, length) < 0 ||
         (unsigned long long)qpdf_oh_get_int_value(q, length) > DOC_XMP_MAX)) {
        *why = "too large"; /* not even read */
        return NULL;
    }
    unsigned char *raw = NULL;
    size_t n = 0;
    if (qpdf_oh_get_stream_data(q, meta, qpdf_dl_none, NULL, &raw, &n) & QPDF_ERRORS)
        return NULL;
    if (!filtered) {
        *len = n;
        return raw;
    }
    free(raw);
    if (n > XMP_MAX_FILTERED) {
        *why = "too large";
        return NULL;
    }
    QPDF_BOOL decoded = QPDF_FALSE;
    if (qpdf_oh_get_stream_data(q, meta, qpdf_dl_generalized, &decoded, &raw, &n) & QPDF_ERRORS)
        return NULL;
    if (!decoded) {
        free(raw);
        *why = "compressed with a filter that cannot be decoded";
        return NULL;
    }
    *len = n;
    return raw;
}

static void check_pdfa(int part, char conf, struct doc_report *r)
{
    if (part == 0) {
        doc_report_problem(r, "not-pdfa",
                           "the PDF does not declare PDF/A conformance; save the signed copy "
                           "as PDF/A-1 (PDF/A-1a or PDF/A-1b)");
    } else if (part != 1) {
        doc_report_problem(r, "not-pdfa-1",
                           "the PDF is PDF/A-%d, but the signed copy must be PDF/A-1; save it "
                           "as PDF/A-1 (PDF/A-1a or PDF/A-1b)",
                           part);
    } else if (conf != 'A' && conf != 'B') {
        doc_report_problem(r, "bad-pdfa-conformance",
                           "the PDF declares PDF/A-1 but not its level A or B; save it again "
                           "as PDF/A-1a or PDF/A-1b");
    } else {
        r->pdfa1 = true;
        r->pdfa_conformance = conf;
    }
}

/* Reads the XMP metadata and decides PDF/A. */
static void inspect_metadata(qpdf_data q, struct doc_report *r)
{
    size_t n = 0;
    const char *why = NULL;
    unsigned char *xmp = metadata_bytes(q, &n, &why);
    if (!xmp) {
        if (qpdf_failed(q, r))
            return;
        if (why && strcmp(why, "missing") == 0)
            doc_report_problem(r, "no-xmp-metadata",
                               "the PDF has no XMP metadata, so it cannot be PDF/A; save the "
                               "signed copy as PDF/A-1 (PDF/A-1a or PDF/A-1b)");
        else
            doc_report_problem(r, "not-pdfa",
                               "the PDF's XMP metadata is %s, so it declares no PDF/A "
                               "conformance; save the signed copy as PDF/A-1",
                               why ? why : "unreadable");
        return;
    }
    int part = 0;
    char conf = 0;
    int rc = doc_xmp_pdfa((const char *)xmp, n, &part, &conf);
    free(xmp);
    if (rc < 0)
        doc_report_problem(r, "not-pdfa",
                           "the PDF's XMP metadata is not well-formed XML, so it declares no "
                           "PDF/A conformance; save the signed copy as PDF/A-1");
    else
        check_pdfa(part, conf, r);
}

void doc_inspect_pdf(const char *path, struct doc_report *r)
{
    r->format = DOC_FORMAT_PDF;
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    qpdf_set_attempt_recovery(q, QPDF_FALSE);
    qpdf_read(q, path, NULL);
    if (qpdf_failed(q, r))
        goto done;
    if (qpdf_is_encrypted(q)) {
        r->encrypted = true;
        doc_report_problem(r, "pdf-encrypted",
                           "the PDF is encrypted; upload the signed copy without encryption "
                           "or a password");
    }
    int pages = qpdf_get_num_pages(q);
    if (qpdf_failed(q, r) || pages < 0)
        goto done;
    r->pages = pages;
    inspect_metadata(q, r);
done:
    qpdf_cleanup(&q);
}
