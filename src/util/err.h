/* err: the error record every fallible function fills.
 *
 * Functions return 0 on success and -1 on failure; on failure they fill a
 * struct err that the HTTP layer turns into an application/problem+json
 * answer (RFC 9457). `type` is a stable slug (e.g. "validation-failed"),
 * `field` names the offending input ("" when none), `detail` is for people.
 *
 * The detail is written in English; err_set also keeps its format (the
 * message id) and each argument as rendered, so that the HTTP layer can
 * say it again in the reader's language from a translated format
 * (err_detail_in), without the code that failed knowing the language. */
#ifndef AP_ERR_H
#define AP_ERR_H

#include <stdarg.h>
#include <stddef.h>

struct json_t;

struct err {
    int status;       /* HTTP status this error maps to */
    char type[64];    /* stable machine-readable slug */
    char field[160];  /* offending field, JSON-pointer-like path, or "" */
    char detail[512]; /* human-readable explanation */
    /* For translation: the format detail was made from ("" when it was
     * too long or had a conversion err_set does not keep), its arguments
     * as rendered (NUL-separated), and how many leading bytes of detail
     * err_prefix added (kept as they are). */
    char msgid[256];
    char args[320];
    unsigned char n_args;
    unsigned short prefix_len;
    /* Set by a caller that wants every problem of an input, not only the
     * first (a JSON array it owns; NULL: stop at the first). A validation
     * that honours it appends each problem as {field, type, detail, and
     * what translates the detail: msgid, args, prefix_len} and goes on;
     * the members above keep the first. */
    struct json_t *errors;
};

#define ERR_INIT {0, "", "", "", "", "", 0, 0, NULL}

/* Fills e (if not NULL). Strings longer than the fields are truncated. */
void err_set(struct err *e, int status, const char *type, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Shorthands for the common cases. */
#define err_internal(e, ...) err_set((e), 500, "internal-error", "", __VA_ARGS__)
#define err_bad_request(e, field, ...) err_set((e), 400, "bad-request", (field), __VA_ARGS__)
#define err_invalid(e, field, ...) err_set((e), 422, "validation-failed", (field), __VA_ARGS__)
#define err_not_found(e, ...) err_set((e), 404, "not-found", "", __VA_ARGS__)

/* The same with a va_list. */
void err_setv(struct err *e, int status, const char *type, const char *field, const char *fmt,
              va_list ap);

void err_clear(struct err *e);

/* Notes problem `one` in e: e's members get it unless e->errors already
 * holds a problem (then they keep the first), and e->errors (when set)
 * gets it appended. */
void err_collect(struct err *e, const struct err *one);
/* The same for a problem sub that may have collected several (sub->errors):
 * each of them, else sub itself. */
void err_collect_all(struct err *e, const struct err *sub);
/* The problem an entry of e->errors holds, back as a struct err (for
 * saying its detail in another language). */
void err_of_entry(const struct json_t *entry, struct err *out);
/* e's detail said by `format`, a translation of e->msgid with the same
 * conversions (in order, or numbered as "%2$s"), each replaced by its
 * argument as rendered in the original; e->detail's prefix kept. Writes
 * into out[0..n) and returns out, or e->detail when e has no message id or
 * format does not fit its arguments. */
const char *err_detail_in(const struct err *e, const char *format, char *out, size_t n);

/* Puts a prefix before e->detail ("line 3: " + detail), truncating. */
void err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a message and aborts: for out-of-memory and broken invariants only. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that never returns NULL (aborts on out-of-memory). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
