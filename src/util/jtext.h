/* jtext: values found in JSON text without parsing it into values.
 *
 * A read that only passes a stored record's list on (its items copied
 * into an answer) or looks at a few of its members need not build the
 * whole record (jansson allocates every member and string): it finds the
 * member's value in the text and copies those bytes. The scanner checks
 * the structure it walks over (strings, nesting, separators) and answers
 * "not found" on anything malformed; it does not check numbers and
 * literals letter by letter, nor UTF-8: it is for texts the registry
 * wrote (records are stored as compact JSON), and a caller that needs a
 * value exactly (a string with escapes) parses that value. Keys are
 * compared as written (the registry writes field names unescaped). */
#ifndef AP_JTEXT_H
#define AP_JTEXT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* A value's bytes in a text. */
struct jspan {
    const char *p;
    size_t n;
};

/* The value of member `key` of the object at v (leading spaces allowed):
 * true and its span in *out, false when v is not a well-formed object or
 * has no such member (the first one when it has several). */
bool jtext_member(struct jspan v, const char *key, struct jspan *out);

/* The elements of the array at v, one after another. */
struct jtext_iter {
    const char *p, *end;
    bool started;
};
/* Starts at the array v: false when v is not an array. */
bool jtext_array(struct jspan v, struct jtext_iter *it);
/* The next element into *out; false at the end or when the rest is not
 * well-formed. */
bool jtext_next(struct jtext_iter *it, struct jspan *out);

/* The members of the object at v, one after another, in one pass (a read
 * that wants several of a record's members): false when v is not an
 * object. */
bool jtext_object(struct jspan v, struct jtext_iter *it);
/* The next member's key (its characters as written, between the quotes)
 * and value; false at the end or when the rest is not well-formed. */
bool jtext_next_member(struct jtext_iter *it, struct jspan *key, struct jspan *value);
/* After jtext_next_member answered false: did the walk reach the object's
 * closing brace (every member met), rather than stop at a malformed one? */
bool jtext_object_whole(const struct jtext_iter *it);

/* The characters of the string at v when it has no escapes (*out: between
 * the quotes), else false (not a string, or one to unescape: parse it). */
bool jtext_plain_string(struct jspan v, struct jspan *out);

/* Appends s as a JSON string (quoted, escaped as jansson writes it:
 * '"', '\\' and control characters; the rest as it is). */
int jtext_put_string(struct buf *b, const char *s);

#endif
