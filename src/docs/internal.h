/* docs/internal.h: what the inspector's files share — the safe XML reader
 * (no network, no DTD, no entity substitution, errors captured instead of
 * printed) and small UTF-8 helpers. Not for use outside src/docs/. */
#ifndef AP_DOCS_INTERNAL_H
#define AP_DOCS_INTERNAL_H

#include "docs/inspect.h"

#include <libxml/xmlreader.h>
#include <qpdf/qpdf-c.h>
#include <stdbool.h>
#include <stddef.h>

/* A streaming XML reader and the first error it met. */
struct docxml {
    xmlTextReaderPtr r;
    bool doctype;  /* refused: the document has a DOCTYPE */
    char msg[200]; /* the first error libxml2 reported ("line N: ...") */
};

/* Starts a reader over memory or over a read callback (the callback's
 * context stays the caller's; nothing is closed for it). -1 only when
 * libxml2 cannot allocate a reader. */
int docxml_open_memory(struct docxml *x, const char *buf, size_t n, const char *name);
int docxml_open_io(struct docxml *x, xmlInputReadCallback rd, void *ctx, const char *name);
void docxml_close(struct docxml *x);

/* Advances to the next node: 1 a node, 0 the end, -1 malformed XML or a
 * DOCTYPE (x->doctype set, x->msg says what). */
int docxml_next(struct docxml *x);

/* The current node's local name and namespace URI ("" when none). */
const char *docxml_name(const struct docxml *x);
const char *docxml_ns(const struct docxml *x);
/* True when the current node is an element start named ns:local. */
bool docxml_is(const struct docxml *x, const char *ns, const char *local);
/* The current element's attribute without namespace, NULL when absent
 * (the caller frees the result with xmlFree). */
char *docxml_attr(const struct docxml *x, const char *name);

/* The largest length <= max at which s[0..n) can be cut without splitting
 * a UTF-8 sequence. */
size_t doc_utf8_cut(const char *s, size_t n, size_t max);

/* Makes s[0..*n) valid UTF-8 in place: a truncated sequence at the end is
 * dropped (*n shrinks), other invalid bytes become '?', NUL bytes ' '. */
void doc_utf8_clean(char *s, size_t *n);

/* Copies s[0..n) into out (size cap >= 1) as printable, valid UTF-8:
 * valid non-ASCII sequences are kept, control characters, backslashes,
 * quotes and invalid bytes are written \xHH; cut (with "...") to fit. */
void doc_escape(const char *s, size_t n, char *out, size_t cap);

/* Inspectors by format; each fills r (format, flags, problems, text). */
void doc_inspect_pdf(const char *path, struct doc_report *r);
/* The PDF/A-1 content checks (pdfa.c) of a PDF read by qpdf whose XMP x
 * declares PDF/A-1; each rule broken appends its problem to r. Releases
 * every qpdf object handle. */
void doc_pdfa_check(qpdf_data q, const struct doc_xmp *x, struct doc_report *r);
void doc_inspect_zip(const char *path, const struct doc_caps *caps, struct doc_report *r);

/* docx.c's zip package checks, shared with the spreadsheet reader
 * (sheet.c): what an inspection of one package carries along. */
#include <zip.h>
struct pkg {
    zip_t *z;
    const struct doc_caps *caps;
    struct doc_report *r;
    uint64_t produced; /* bytes decompressed so far, all parts */
    unsigned active;   /* the kinds of active content reported (a bit each) */
};
/* Checks every entry's name, method and declared sizes against the caps
 * before anything is unpacked (false: a problem is in p->r). */
bool doc_zip_directory_ok(struct pkg *p, uint64_t n);
/* The entry's index by name (case-insensitive), or -1. */
zip_int64_t doc_zip_locate(struct pkg *p, const char *name);
/* Visits each node of a part; returns -1 to stop with the problem reported. */
typedef int (*part_visit)(struct docxml *x, void *arg);
/* Streams the named part through visit, the bytes produced counted
 * against the caps: 0 when read to its end; -1 with the problem reported
 * (missing part, bomb, damage, bad XML). */
int doc_zip_read_part(struct pkg *p, const char *name, part_visit visit, void *arg);

#endif
