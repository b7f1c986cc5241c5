/* tokenize: the full-text tokenizer of the store, without a database.
 *
 * The words of a record's text and of a query are split, folded and
 * matched by one tokenizer on every backend: SQLite's FTS5 "unicode61"
 * (remove_diacritics 0, tokenchars "_"), which the SQLite tables declare
 * and the memory word index uses. A backend without it (PostgreSQL) splits
 * text with this, through an in-memory SQLite handle of the calling
 * thread's own. Only the store's drivers include this header. */
#ifndef AP_STORE_TOKENIZE_H
#define AP_STORE_TOKENIZE_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>

/* Calls fn with each term of text; 0, or -1 when the tokenizer is not
 * available. */
int store_tokenize(const char *text, size_t len, store_term_fn fn, void *ctx);
/* The same, until fn answers false (then 0 as well). */
typedef bool (*store_term_until_fn)(void *ctx, const char *term, size_t len);
int store_tokenize_until(const char *text, size_t len, store_term_until_fn fn, void *ctx);

#endif
