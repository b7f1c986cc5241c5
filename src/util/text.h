/* text: UTF-8 checks, case folding for Latin and Cyrillic (with the Kazakh
 * letters ә ғ қ ң ө ұ ү һ і), search-word splitting, hex and base64url,
 * SHA-256 and random identifiers. */
#ifndef AP_TEXT_H
#define AP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF) and contains no NUL byte. */
/* FNV-1a of n bytes: for hash tables, not for security. */
uint64_t text_hash(const void *p, size_t n);

bool utf8_valid(const char *s, size_t n);

/* The byte length of the well-formed character at s (at most n bytes
 * long), or 0 when the bytes there do not start one (or are a NUL). */
size_t utf8_char_len(const char *s, size_t n);

/* Decodes one code point at *p (which must be valid UTF-8); advances *p. */
uint32_t utf8_next(const char **p);
/* Encodes cp into out (4 bytes room); returns the byte count. */
size_t utf8_put(uint32_t cp, char *out);

/* True when s[0..n) is valid UTF-8 without control characters: none of
 * C0 (U+0000..U+001F), DEL, C1 (U+0080..U+009F) and the line and paragraph
 * separators U+2028, U+2029, except LF when multiline (a text's line
 * break; CR, tabs and the rest are refused there too). */
bool text_controls_ok(const char *s, size_t n, bool multiline);

/* Copies UTF-8 text as one line for a message subject or a list item:
 * line breaks, tabs and other control characters become spaces, runs of
 * spaces one space, no space at either end; cut at a character boundary
 * to fit n bytes (n > 0) with its NUL. Returns out. */
char *text_one_line(const char *in, char *out, size_t n);

/* Lower-cases cp for Latin, Latin-1, Greek-free Cyrillic and its Kazakh,
 * Ukrainian and other extensions; ё folds to е for search. */
uint32_t text_fold_cp(uint32_t cp);
/* Folded copy of a valid UTF-8 string, in the arena. */
char *text_fold(struct arena *a, const char *s);

/* Splits text into words (runs of letters and digits) folded for search.
 * Returns the count; fills up to max words (arena strings). */
size_t text_words(struct arena *a, const char *s, const char **words, size_t max);

/* Hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);
/* Writes u in decimal (at most 20 digits) so that it ends just before end;
 * returns where it starts. No printf: for the thousands of numbers a page
 * or an answer writes. */
char *text_digits(unsigned long long u, char *end);
/* base64url without padding; returns an arena string. */
char *b64url_encode(struct arena *a, const unsigned char *in, size_t n);
/* Decodes base64url (no padding, strict alphabet). Returns an arena buffer
 * (NUL-terminated for convenience) and its length, or NULL on bad input. */
unsigned char *b64url_decode(struct arena *a, const char *s, size_t *n);

/* SHA-256 of data as 64 hex chars into out (65 bytes). */
void sha256_hex(const void *data, size_t n, char out[65]);

/* A new random identifier: a UUID version 7 (time-ordered) string, 37 bytes. */
void text_uuid7(char out[37]);
/* True when s looks like a record id we issue or import: 1..64 chars of
 * [A-Za-z0-9._-], not starting with '.' (ids appear in URLs and file names). */
bool text_id_valid(const char *s);
/* A plain decimal from 0 to 1 ("0.75", "1", ".5" not: a digit first, at
 * most 6 after the point, no sign, no exponent) into *out; false when s
 * is anything else. */
bool text_fraction(const char *s, double *out);

/* A file name fit to store and to offer for download, from what a client
 * sent: only its last path component (after '/' or '\\'); control
 * characters, quotes, backslashes, '<>:|?*' and invalid UTF-8 dropped;
 * spaces trimmed; leading dots removed; at most cap-1 bytes cut at a
 * character boundary. Writes the result (possibly empty) to out. */
void text_safe_filename(const char *in, char *out, size_t cap);

#endif
