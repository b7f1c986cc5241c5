/* notify/mail: one e-mail as the bytes an SMTP relay receives after DATA —
 * an Internet message (RFC 5322) with MIME (RFC 2045) plain UTF-8 text.
 *
 * Subjects and display names are RFC 2047 encoded words ("=?UTF-8?B?…?=",
 * base64 of whole characters), the body is base64; so every line is ASCII,
 * ends in CRLF and is at most 78 bytes long whatever the text (Kazakh,
 * Russian, a lone "." — dots at line starts are then impossible anyway,
 * and curl stuffs them regardless), except the To and Message-ID lines
 * of long addresses (at most 270 bytes). No data can add a header: addresses
 * and message ids with anything but their own characters are refused, and
 * a subject with a line break or another control character is refused
 * (callers store subjects as one line). Pure functions: no I/O. */
#ifndef AP_NOTIFY_MAIL_H
#define AP_NOTIFY_MAIL_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>

#define MAIL_BODY_MAX (1u << 20) /* bytes of body text */
#define MAIL_SUBJECT_MAX 998     /* bytes of subject text */
#define MAIL_WORD_BYTES 42       /* text bytes per encoded word: 56 base64 chars */

struct mail {
    const char *from;       /* envelope and header address */
    const char *from_name;  /* display name (UTF-8), or NULL */
    const char *to;         /* one recipient */
    const char *subject;    /* UTF-8, one line */
    const char *body;       /* UTF-8; LF, CRLF or CR line ends */
    const char *message_id; /* "left@right", without the angle brackets */
    int64_t date_ms;        /* the Date header */
};

/* True for an address the envelope and the headers can carry: 3..254
 * bytes of printable ASCII without spaces or the specials ( ) < > [ ] , ;
 * : \ " and with exactly one '@', not at either end. */
bool mail_addr_ok(const char *addr);

/* Appends the complete message to out (headers, blank line, body). -1 with
 * e (422 "bad-message", e->field "from", "to", "subject", "body" or
 * "message_id") when a part is unfit: a bad address or id, text that is not
 * UTF-8, a control character in the subject or name, too long a text. out
 * is then unchanged. */
int mail_build(const struct mail *m, struct buf *out, struct err *e);

/* Appends text (valid UTF-8) as encoded words of at most MAIL_WORD_BYTES
 * bytes each, cut between characters, joined by CRLF SP (folding; the
 * space between encoded words is not part of the text, RFC 2047 6.2). */
void mail_encode_words(struct buf *out, const char *text);

/* "Thu, 05 Mar 2026 04:00:00 +0000" (RFC 5322 3.3, UTC); out needs 32. */
void mail_date(int64_t ms, char out[32]);

#endif
