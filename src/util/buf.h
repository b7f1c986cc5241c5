/* buf: a growable byte buffer with a hard cap.
 *
 * Appends past `max` fail (return -1) and leave the buffer unchanged, so a
 * caller can answer "too large" instead of growing without bound. The
 * content is always NUL-terminated for convenience. */
#ifndef AP_BUF_H
#define AP_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *p;
    size_t len, cap, max;
    int full; /* an append failed since the last reset (sticky) */
};

/* max == 0 means no cap beyond SIZE_MAX/2. */
void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Makes room for n more bytes at once (one allocation for what will be
 * appended); -1 past the cap, as an append would. */
int buf_reserve(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (who frees them) and resets the buffer. */
char *buf_steal(struct buf *b, size_t *len);

#endif
