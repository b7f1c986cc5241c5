/* i18n: the portal's three languages (REQ X-I18N-01) and its messages.
 *
 * Messages live in gettext catalogs, web/po/<lang>/<area>.po, written in
 * English as msgids; scripts/i18n-gen.py compiles them at build time into
 * sorted tables (i18n-catalog.c), so no catalog is parsed at run time.
 * tests/web/check-i18n.py fails on a message used by a template or by the
 * C code (TR("…")) that is missing or empty in any language. */
#ifndef AP_WEB_I18N_H
#define AP_WEB_I18N_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum lang { LANG_KK, LANG_RU, LANG_EN, LANG_N };

/* Marks a message for the catalog checker; the value is the msgid. */
#define TR(s) (s)

/* "kk", "ru", "en". */
const char *i18n_code(enum lang l);
/* The BCP 47 tag for the html lang attribute: "kk", "ru", "en". */
const char *i18n_tag(enum lang l);
/* Parses "kk" | "ru" | "en" (exactly). */
bool i18n_parse(const char *code, enum lang *out);
/* The best of the three for an Accept-Language header (RFC 9110 §12.5.4,
 * q-values honoured, "ru-RU" matches ru); `fallback` when none matches or
 * the header is absent. */
enum lang i18n_negotiate(const char *accept_language, enum lang fallback);
/* The message in lang; msgid itself when the catalog lacks it. */
const char *i18n_tr(enum lang l, const char *msgid);
/* An error's detail in the language Accept-Language asks for, English
 * when none of the three (an http_detail_tr): its message id's translation
 * from the catalogs (web/po/<lang>/api.po) with the error's arguments;
 * the English detail, tagged "en", when the catalogs lack it. */
struct err;
const char *i18n_err_detail(const struct err *e, const char *accept_language, char *out, size_t n,
                            const char **tag);
/* The same in language l (a page's). */
const char *i18n_err_text(enum lang l, const struct err *e, char *out, size_t n);
/* Says each problem of rows[i].errors (entries as err_collect notes
 * them: an import's report) in l, dropping what translated it. */
void i18n_rows_errors(enum lang l, json_t *rows);
/* The words of the import's workbooks (registry/rows.h) in l. */
struct rows_words;
void i18n_rows_words(enum lang l, struct rows_words *w);
/* Whether the catalogs hold msgid. */
bool i18n_known(const char *msgid);

#endif
