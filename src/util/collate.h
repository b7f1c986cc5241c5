/* collate: sort keys of text in a language's alphabetical order (ICU).
 *
 * Byte order puts "Ғ" after "Я" and every Cyrillic name after every Latin
 * one; a reader expects the alphabet of the page's language: Kazakh
 * А Ә Б … Ғ … Қ … Ң … Ө … Ұ Ү … Һ … І, Russian with Ё as Е, English with
 * Ä as A. collate_key gives a key whose plain byte order (strcmp, SQLite's
 * BINARY) is that order, so that it can be stored and indexed. */
#ifndef AP_COLLATE_H
#define AP_COLLATE_H

#include <stddef.h>

/* Bytes of a key (hex digits and the NUL): at most COLLATE_KEY_BYTES/2 of
 * ICU's sort key, enough to order names by far more than their first
 * forty letters; longer names that share those tie (then by record). */
#define COLLATE_KEY_BYTES 193

/* The key of utf8 (valid UTF-8) in lang ("kk", "ru" or "en"; another
 * code orders by the root collation) into out[COLLATE_KEY_BYTES], as
 * lower-case hex. Thread-safe. Returns out; "" when ICU fails. */
char *collate_key(const char *lang, const char *utf8, char out[COLLATE_KEY_BYTES]);

#endif
