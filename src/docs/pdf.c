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

#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_XMP "http://ns.adobe.com/xap/1.0/"
#define NS_PDF "http://ns.adobe.com/pdf/1.3/"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

/* The simple properties read in either form: namespace, local name, and
 * where in struct doc_xmp the value goes. */
static char **simple_slot(struct doc_xmp *out, const char *ns, const char *local)
{
    if (strcmp(ns, NS_XMP) == 0) {
        if (strcmp(local, "CreatorTool") == 0)
            return &out->creator_tool;
        if (strcmp(local, "CreateDate") == 0)
            return &out->create_date;
        if (strcmp(local, "ModifyDate") == 0)
            return &out->modify_date;
    } else if (strcmp(ns, NS_PDF) == 0 && strcmp(local, "Producer") == 0) {
        return &out->producer;
    }
    return NULL;
}

static void set_once(char **slot, const char *v)
{
    if (slot && !*slot)
        *slot = xstrdup(v ? v : "");
}

/* Looks at the current element's attributes for pdfaid:part,
 * pdfaid:conformance and the simple properties (the usual form:
 * attributes of rdf:Description). */
static void scan_attributes(struct docxml *x, struct doc_xmp *out)
{
    while (xmlTextReaderMoveToNextAttribute(x->r) == 1) {
        const char *ns = docxml_ns(x), *v = (const char *)xmlTextReaderConstValue(x->r);
        if (strcmp(ns, PDFAID_NS) == 0) {
            char value[16];
            copy_value(value, sizeof value, v);
            take_value(docxml_name(x), value, &out->part, &out->conformance);
        } else {
            set_once(simple_slot(out, ns, docxml_name(x)), v);
        }
    }
    xmlTextReaderMoveToElement(x->r);
}

/* Where the reader is inside dc:title or dc:creator (their rdf:li items). */
struct xmp_state {
    char **list;    /* &out->title or &out->creator while inside one */
    int depth;      /* the property element's depth */
    bool x_default; /* dc:title: the x-default item was taken */
};

static void list_item(struct docxml *x, struct xmp_state *st, struct doc_xmp *out)
{
    const xmlChar *lang = xmlTextReaderConstXmlLang(x->r);
    bool x_default =
        st->list == &out->title && lang && strcmp((const char *)lang, "x-default") == 0;
    if (*st->list && !(x_default && !st->x_default))
        return;
    xmlChar *s = xmlTextReaderIsEmptyElement(x->r) ? NULL : xmlTextReaderReadString(x->r);
    free(*st->list);
    *st->list = xstrdup(s ? (const char *)s : "");
    xmlFree(s);
    st->x_default = st->x_default || x_default;
}

/* One element start of the packet. */
static void xmp_element(struct docxml *x, struct xmp_state *st, struct doc_xmp *out)
{
    const char *ns = docxml_ns(x), *local = docxml_name(x);
    int depth = xmlTextReaderDepth(x->r);
    if (st->list && depth <= st->depth)
        st->list = NULL; /* a sibling after an empty dc:title */
    if (st->list) {
        if (strcmp(ns, NS_RDF) == 0 && strcmp(local, "li") == 0)
            list_item(x, st, out);
        return;
    }
    if (xmlTextReaderHasAttributes(x->r) == 1)
        scan_attributes(x, out);
    if (xmlTextReaderIsEmptyElement(x->r))
        return;
    if (strcmp(ns, NS_DC) == 0 && (strcmp(local, "title") == 0 || strcmp(local, "creator") == 0)) {
        char **list = local[0] == 't' ? &out->title : &out->creator;
        if (!*list || list == &out->title) {
            st->list = list;
            st->depth = depth;
        }
        return;
    }
    char **slot = simple_slot(out, ns, local);
    bool pdfaid = strcmp(ns, PDFAID_NS) == 0;
    if (!pdfaid && !(slot && !*slot))
        return;
    /* the element form: <pdfaid:part>1</pdfaid:part>, <pdf:Producer>…</pdf:Producer> */
    char name[16];
    snprintf(name, sizeof name, "%s", local);
    xmlChar *s = xmlTextReaderReadString(x->r);
    if (pdfaid) {
        char value[16];
        copy_value(value, sizeof value, (const char *)s);
        take_value(name, value, &out->part, &out->conformance);
    } else {
        set_once(slot, (const char *)s);
    }
    xmlFree(s);
}

void doc_xmp_free(struct doc_xmp *x)
{
    free(x->title), free(x->creator), free(x->creator_tool);
    free(x->create_date), free(x->modify_date), free(x->producer);
    memset(x, 0, sizeof *x);
}

int doc_xmp_read(const char *xml, size_t n, struct doc_xmp *out)
{
    memset(out, 0, sizeof *out);
    if (n > DOC_XMP_MAX)
        return -1;
    struct docxml x;
    if (docxml_open_memory(&x, xml, n, "metadata.xmp") < 0)
        return -1;
    struct xmp_state st = {0};
    int rc;
    while ((rc = docxml_next(&x)) == 1) {
        int type = xmlTextReaderNodeType(x.r);
        if (type == XML_READER_TYPE_ELEMENT)
            xmp_element(&x, &st, out);
        else if (type == XML_READER_TYPE_END_ELEMENT && st.list &&
                 xmlTextReaderDepth(x.r) <= st.depth)
            st.list = NULL;
    }
    docxml_close(&x);
    if (rc < 0) {
        doc_xmp_free(out);
        return -1;
    }
    return 0;
}

int doc_xmp_pdfa(const char *xml, size_t n, int *part, char *conformance)
{
    struct doc_xmp x;
    int rc = doc_xmp_read(xml, n, &x);
    *part = x.part;
    *conformance = x.conformance;
    doc_xmp_free(&x);
    return rc;
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

/* Reads the XMP metadata into *x and decides whether it declares PDF/A-1. */
static void inspect_metadata(qpdf_data q, struct doc_xmp *x, struct doc_report *r)
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
    int rc = doc_xmp_read((const char *)xmp, n, x);
    free(xmp);
    if (rc < 0)
        doc_report_problem(r, "not-pdfa",
                           "the PDF's XMP metadata is not well-formed XML, so it declares no "
                           "PDF/A conformance; save the signed copy as PDF/A-1");
    else
        check_pdfa(x->part, x->conformance, r);
}

void doc_inspect_pdf(const char *path, struct doc_report *r)
{
    r->format = DOC_FORMAT_PDF;
    struct doc_xmp x = {0};
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
    inspect_metadata(q, &x, r);
    /* the declaration is the producer's word: a PDF that makes it is
     * checked by its content too */
    if (r->pdfa1) {
        doc_pdfa_check(q, &x, r);
        qpdf_failed(q, r);
    }
done:
    /* pdfa1 says the file is accepted as PDF/A-1, not merely declared so */
    if (json_array_size(r->problems) > 0) {
        r->pdfa1 = false;
        r->pdfa_conformance = 0;
    }
    doc_xmp_free(&x);
    qpdf_cleanup(&q);
}
