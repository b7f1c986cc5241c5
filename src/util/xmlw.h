/* xmlw: a streaming XML writer for large exports (the ArchiMate file):
 * elements opened and closed in order, attributes and text escaped, an
 * element per line indented one space a level (text stays inline), an
 * empty element closed as <a/>. Straight to a FILE through its buffer:
 * nothing of the document is held but the open elements' names. */
#ifndef AP_UTIL_XMLW_H
#define AP_UTIL_XMLW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define XMLW_MAX_DEPTH 64

struct xmlw {
    FILE *f;
    int depth;
    bool open;                         /* a start tag waits for its '>' */
    bool nested[XMLW_MAX_DEPTH];       /* the element at each level has child elements */
    bool texted[XMLW_MAX_DEPTH];       /* … or text */
    const char *names[XMLW_MAX_DEPTH]; /* static or outliving the element */
    bool failed;                       /* too deep (the file is then not to be used) */
};

/* Starts the document (its XML declaration, UTF-8) on f. */
void xmlw_begin(struct xmlw *w, FILE *f);
/* Opens element name (which must outlive it). */
void xmlw_start(struct xmlw *w, const char *name);
/* An attribute of the element just opened (NULL value: none written). */
void xmlw_attr(struct xmlw *w, const char *name, const char *value);
void xmlw_attr_long(struct xmlw *w, const char *name, long value);
/* Text inside the open element (n bytes of s). */
void xmlw_text(struct xmlw *w, const char *s);
void xmlw_textn(struct xmlw *w, const char *s, size_t n);
/* Closes the innermost open element. */
void xmlw_end(struct xmlw *w);
/* <name>s</name> */
void xmlw_element(struct xmlw *w, const char *name, const char *s);
/* Closes what is open and ends the document with a line break; false when
 * something could not be written (or was nested too deep). */
bool xmlw_finish(struct xmlw *w);

#endif
