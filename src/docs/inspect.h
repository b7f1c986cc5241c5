/* docs/inspect: decides whether an uploaded technical document is what the
 * rules ask for (REQ DOC-01: the signed copy a PDF/A-1, drafts DOCX) and
 * gets a DOCX's text for full-text search.
 *
 * The file is never trusted: the format is decided by content (never by
 * name); PDFs are read with qpdf, DOCX packages with libzip (entry names,
 * counts and sizes are checked before anything is decompressed, and the
 * bytes actually produced are counted again while decompressing), XML with
 * libxml2's streaming reader without network, DTDs or entity expansion.
 * Nothing is written outside memory. A malformed file is not an error: it
 * gives a report whose `problems` say, in sentences a clerk understands,
 * why the file is refused.
 *
 * Problem codes (stable slugs, REQ DOC-01):
 *   unknown-format         neither a PDF nor a zip package
 *   pdf-damaged            qpdf cannot read the PDF (its error in the detail)
 *   pdf-encrypted          the PDF is encrypted (with or without a user password)
 *   no-xmp-metadata        the PDF's catalog has no /Metadata stream
 *   not-pdfa               the metadata declares no PDF/A conformance
 *                          (or is not readable XMP)
 *   not-pdfa-1             PDF/A, but another part (the detail names it)
 *   bad-pdfa-conformance   PDF/A-1 with a conformance level other than A or B
 *   A PDF that declares PDF/A-1 is then checked by its content (pdfa.c);
 *   each rule broken gives one problem (the detail names the first
 *   offending object):
 *   pdfa-javascript        JavaScript: a JavaScript action, a /JS entry or
 *                          document-level scripts (/Names /JavaScript)
 *   pdfa-launch            a Launch action (runs a program or opens a file)
 *   pdfa-forbidden-action  another action PDF/A-1 forbids (ImportData,
 *                          ResetForm, SubmitForm, Movie, Sound, Hide,
 *                          SetOCGState, Rendition, Trans, GoTo3DView, any
 *                          type not GoTo/GoToR/Thread/URI/Named, a Named
 *                          action other than Next/Prev/First/LastPage)
 *   pdfa-additional-actions  an /AA (additional actions) entry
 *   pdfa-embedded-file     embedded files (/EmbeddedFiles, /EF)
 *   pdfa-no-output-intent  no /OutputIntents entry of subtype GTS_PDFA1
 *                          with a /DestOutputProfile ICC stream
 *   pdfa-font-not-embedded a font (not Type3) whose descriptor has no
 *                          FontFile, FontFile2 or FontFile3 stream
 *   pdfa-transparency      a soft mask (/SMask not /None), a transparency
 *                          group, /CA or /ca other than 1, a blend mode
 *                          other than Normal or Compatible
 *   pdfa-lzw               a stream compressed with LZWDecode
 *   pdfa-metadata-mismatch the XMP and the document information dictionary
 *                          disagree (see doc_xmp_read for what is compared)
 *   pdfa-no-file-id        the trailer has no /ID of two strings
 *   pdfa-too-complex       more objects or nesting than the inspector checks
 *                          (DOC_PDF_MAX_OBJECTS, DOC_PDF_MAX_DEPTH)
 *   docx-damaged           a zip archive libzip cannot open (truncated, inconsistent)
 *   docx-too-many-entries  more entries than caps.max_entries
 *   docx-bad-entry-name    an unsafe entry name (absolute, "..", backslash,
 *                          control characters, invalid UTF-8); named, escaped
 *   docx-zip-bomb          declared or produced sizes beyond the caps
 *   not-docx               a zip package that is not a Word document
 *                          (OpenDocument, spreadsheet, macro-enabled, ...)
 *   docx-missing-part      a required part is missing or not declared
 *   docx-bad-xml           a required part is not well-formed XML or has a DOCTYPE
 *   docx-external-relationship  a relationship (in any .rels part) with
 *                          TargetMode="External" other than a hyperlink:
 *                          a template, image, frame or OLE link fetched
 *                          or opened from elsewhere when the file is opened
 *   docx-macros            a VBA project (vbaProject part, its content type
 *                          or relationship) or a macro-enabled main part (DOCM)
 *   docx-activex           ActiveX controls (activeX parts, their content
 *                          type or the control relationship)
 *   docx-ole-object        embedded OLE objects (oleObject parts, their
 *                          content type or relationship)
 *   inspection-failed      (doc_inspect_isolated only) the inspecting process
 *                          crashed, ran out of time or memory
 */
#ifndef AP_DOCS_INSPECT_H
#define AP_DOCS_INSPECT_H

#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum doc_format { DOC_FORMAT_NONE = 0, DOC_FORMAT_PDF, DOC_FORMAT_DOCX };

struct doc_caps {
    uint64_t max_entries;      /* DOCX: zip entries (default 2000) */
    uint64_t max_uncompressed; /* DOCX: sum of uncompressed sizes (default 256 MiB) */
    uint64_t max_ratio;        /* DOCX: uncompressed/compressed per entry (default 200);
                                * applies to entries larger than DOC_RATIO_FLOOR */
    size_t max_text;           /* extracted text kept, bytes (default 2 MiB; cut at a
                                * UTF-8 boundary) */
};

/* An entry expanding to at most this many bytes is never a bomb by its
 * ratio alone (a small run of spaces compresses 1000:1); the total cap
 * still counts it. */
#define DOC_RATIO_FLOOR ((uint64_t)1 << 20)

void doc_caps_defaults(struct doc_caps *c);

struct doc_report {
    enum doc_format format; /* what the bytes are (by content, never by file name) */
    bool pdfa1;             /* accepted as PDF/A-1: declared in the XMP (pdfaid:part 1,
                             * conformance A or B) and no problem found */
    char pdfa_conformance;  /* 'A', 'B' or 0 */
    bool encrypted;
    long pages;       /* PDF page count, -1 unknown */
    json_t *problems; /* array of {"code": slug, "detail": English sentence};
                       * empty = acceptable */
    char *text;       /* DOCX: the document text (UTF-8, paragraphs separated by
                       * '\n'); NULL for PDF (see doc_pdf_text below) */
    size_t text_len;
};

/* Inspects the file at path into *out (which the caller frees with
 * doc_report_free, also after -1). Returns 0 whatever the file holds;
 * -1 with e filled (status 500) only when the file cannot be opened or
 * read. caps NULL means the defaults. */
int doc_inspect_path(const char *path, const struct doc_caps *caps, struct doc_report *out,
                     struct err *e);

/* Frees what the report owns and leaves it empty (safe to call twice). */
void doc_report_free(struct doc_report *r);

/* Appends {"code": code, "detail": detail} to r->problems. */
void doc_report_problem(struct doc_report *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The report as JSON (new reference):
 * {"format": "pdf"|"docx"|"none", "pdfa1": bool, "pdfa_conformance": "A"|"B"|null,
 *  "encrypted": bool, "pages": int, "problems": [...], "text": string|null} */
json_t *doc_report_json(const struct doc_report *r);

/* Reads doc_report_json's shape back into *out (emptied first). Strict: an
 * unknown, missing or ill-typed member, a problem that is not exactly
 * {code, detail} strings, or text that is not NUL-free UTF-8 is refused
 * (-1, e: 422 "validation-failed" naming the member). */
int doc_report_from_json(const json_t *j, struct doc_report *out, struct err *e);

/* The name of a format as in the JSON ("pdf", "docx", "none"). */
const char *doc_format_name(enum doc_format f);

/* The PDF/A-1 content checks visit at most this many indirect objects and
 * dictionary entries or array items in all, and nest at most this deep
 * inside one object; a file beyond them is refused (pdfa-too-complex)
 * rather than half checked. */
#define DOC_PDF_MAX_OBJECTS 300000
#define DOC_PDF_MAX_ITEMS 6000000
#define DOC_PDF_MAX_DEPTH 64

/* ---- in a child process (extract.c) ---- */

/* Limits of the child processes below: CPU 20 s, wall clock 30 s, address
 * space 512 MiB (not for our own binary when it is built with ASan; see
 * subproc_self_sanitized). */
#define DOC_CHILD_CPU_S 20u
#define DOC_CHILD_WALL_MS 30000u
#define DOC_CHILD_MEM ((uint64_t)512 << 20)

/* doc_inspect_path in a child process: runs `self_exe inspect-document
 * --max-entries N --max-uncompressed N --max-ratio N --max-text N -- path`
 * (self_exe: our own binary, e.g. from /proc/self/exe) under the limits
 * above and reads its JSON report. A child that crashes, runs out of time
 * or memory, or prints no valid report gives a report (format none) with
 * the problem inspection-failed: the file is refused, the server lives on.
 * Returns 0 with *out filled; -1 (e: 500) only when no child could be
 * started. caps NULL means the defaults. */
int doc_inspect_isolated(const char *self_exe, const char *path, const struct doc_caps *caps,
                         struct doc_report *out, struct err *e);

/* A PDF's text by poppler's `pdftotext -enc UTF-8 -q path -` (pdftotext: the
 * program's path, e.g. "/usr/bin/pdftotext") under the limits above. Keeps
 * at most max_text bytes, cut at a UTF-8 boundary (more output is not an
 * error: the child is stopped); invalid UTF-8 and NUL bytes become '?' and
 * ' '. Returns 0 with *text (caller frees, NUL-terminated) and *len;
 * -1 with e from subproc_run (422 document-unreadable: the PDF made
 * pdftotext fail, crash or time out; 500: pdftotext could not be started). */
int doc_pdf_text(const char *pdftotext, const char *path, size_t max_text, char **text, size_t *len,
                 struct err *e);

/* What the inspector reads from a PDF's XMP packet: the PDF/A
 * identification and the properties PDF/A-1 asks to agree with the
 * document information dictionary. Each string is NULL when the packet
 * does not have it; the first occurrence wins. */
struct doc_xmp {
    int part;           /* pdfaid:part, 0 when absent or not a number of 1-2 digits */
    char conformance;   /* pdfaid:conformance upper-cased ('A', 'B', '?' when not
                         * one letter), 0 when absent */
    char *title;        /* dc:title: the x-default item of its rdf:Alt, else the first */
    char *creator;      /* dc:creator: the first item of its rdf:Seq */
    char *creator_tool; /* xmp:CreatorTool */
    char *create_date;  /* xmp:CreateDate */
    char *modify_date;  /* xmp:ModifyDate */
    char *producer;     /* pdf:Producer */
};

/* Reads an XMP packet (xml[0..n), n at most DOC_XMP_MAX) into *out (which
 * the caller frees with doc_xmp_free, also after -1). Simple properties
 * are read in either form, attributes of any element (rdf:Description) or
 * child elements, under any prefix of their namespace. Returns 0, or -1
 * (out left empty) when the packet is not well-formed XML, is larger than
 * the cap, or has a DOCTYPE (refused, so no entity is ever declared, let
 * alone expanded or fetched).
 *
 * Consistency with the information dictionary (pdfa-metadata-mismatch)
 * compares, where both sides have the entry: Title and dc:title, Author
 * and dc:creator, Creator and xmp:CreatorTool, Producer and pdf:Producer
 * as text (UTF-8, leading and trailing white space ignored, otherwise
 * exact); CreationDate and xmp:CreateDate, ModDate and xmp:ModifyDate as
 * dates (doc_dates_agree). An entry present on one side only is not a
 * mismatch. */
int doc_xmp_read(const char *xml, size_t n, struct doc_xmp *out);
void doc_xmp_free(struct doc_xmp *x);

/* Whether a PDF date ("D:YYYYMMDDHHmmSSOHH'mm'", every field after the
 * year optional) and an XMP date (ISO 8601 "YYYY[-MM[-DD[Thh:mm[:ss[.s]]
 * [Z|+hh:mm|-hh:mm]]]]") name the same time: their fields are compared
 * down to the coarser of the two precisions; when both carry a time zone
 * and at least minutes, as instants in UTC. false when either is not a
 * date. */
bool doc_dates_agree(const char *pdf_date, const char *xmp_date);

/* The PDF/A identification in an XMP packet (xml[0..n), n at most
 * DOC_XMP_MAX): *part the pdfaid:part number (0 when absent), *conformance
 * the pdfaid:conformance letter upper-cased ('A', 'B', 'U', ... or 0),
 * whether written as attributes of any element (rdf:Description) or as
 * child elements in the namespace http://www.aiim.org/pdfa/ns/id/.
 * Returns 0, or -1 when the packet is not well-formed XML, is larger than
 * the cap, or has a DOCTYPE (refused, so no entity is ever declared, let
 * alone expanded or fetched). */
#define DOC_XMP_MAX ((size_t)4 << 20)
int doc_xmp_pdfa(const char *xml, size_t n, int *part, char *conformance);

#endif
