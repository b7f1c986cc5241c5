/* notify: delivery of the messages the portal makes (REQ REG-04: the
 * integrator notifies the owner through the portal) — e-mail through an
 * SMTP relay from the outbox, with retries and back-off, so that a dead
 * mail server never blocks a request nor loses a message — and the
 * reminders and digests of deadlines (REQ REG-03, REG-05, ACC-02 with
 * X-CAL-01 working days).
 *
 * Messages are made by the account module (accounts_message: the outbox,
 * and each user's inbox); this module only sends them and makes the
 * reminders and digests. The network is never used inside a write
 * transaction: a pass claims a few due messages in one short write, sends
 * them, and records each outcome in another.
 *
 * Reminders and digests (notify_scan):
 *  - an open obligation due no later than the end of the second working
 *    day after today's local date (Asia/Almaty, by the calendar) gets one
 *    reminder, unless it started today (a deadline of one or two working
 *    days is then told by the message that opened it): to the users
 *    holding its debtor role, or else to its debtor organisation's
 *    owner-editors;
 *  - once per local date, from 09:00 local time, a digest of the missed
 *    deadlines (overdue, not done): to each organisation's owner-editors
 *    the obligations it owes as an organisation, to the integrator's
 *    verifiers (integrator-verifier) all of them.
 * Each is recorded in notify_sent inside the write that makes its messages,
 * so it goes exactly once however often and by whom the scan runs. */
#ifndef AP_NOTIFY_H
#define AP_NOTIFY_H

#include "account/account.h"
#include "calendar/calsvc.h"
#include "registry/registry.h"

#include <stddef.h>
#include <stdint.h>

struct notify_config {
    const char *smtp_url;       /* "smtp://host:port" or "smtps://…"; NULL: nothing is sent */
    const char *mail_from;      /* envelope sender and From (default archportal@localhost) */
    const char *from_name;      /* From's display name */
    int64_t backoff_ms;         /* wait after the first failed try (1 min), doubling … */
    int64_t backoff_cap_ms;     /* … up to this (6 h); a message is never given up */
    int64_t connect_timeout_ms; /* 10 s */
    int64_t timeout_ms;         /* per message, 60 s */
    int64_t poll_ms;            /* the thread looks for due messages this often (1 s) */
    int64_t scan_ms;            /* … and scans for reminders this often (60 s; 0: never) */
    size_t batch;               /* messages claimed at once (10) */
};
void notify_config_defaults(struct notify_config *c);

struct notify;
/* Declares notify_sent to export, import and check. The config's strings
 * must outlive the notify. */
struct notify *notify_new(struct registry *reg, struct accounts *ac, struct calsvc *cal,
                          const struct notify_config *cfg);
/* Stops the thread if it runs. */
void notify_free(struct notify *n);

/* Checks the configuration (URL scheme, sender address) and initialises
 * libcurl: 0, or -1 with e. Needed before sending. */
int notify_check_config(const struct notify *n, struct err *e);

struct notify_send_stats {
    int sent, failed;
    int64_t waiting; /* unsent after the pass */
};
/* Sends what is due now, once each (a message that fails waits for its
 * back-off). Failures of single messages are recorded on them, not
 * returned; -1 with e only when the outbox cannot be read or written. */
int notify_send_due(struct notify *n, struct notify_send_stats *st, struct err *e);

struct notify_scan_stats {
    int reminders, digests; /* made by this scan */
    int messages;           /* messages they made (one per recipient) */
    bool rule_figures;      /* it recorded the day's figures of the rules */
};
/* Makes the reminders and digests due at now_ms (see above). */
int notify_scan(struct notify *n, int64_t now_ms, struct notify_scan_stats *st, struct err *e);

/* Starts the background thread: it sends due messages (with an SMTP URL)
 * every poll_ms and scans every scan_ms. notify_stop ends it (an SMTP
 * transfer in progress is cut short) and waits for it. */
int notify_start(struct notify *n, struct err *e);
void notify_stop(struct notify *n);

/* The wait before the next try after `failures` failed tries (>= 1):
 * initial_ms doubled per earlier failure, at most cap_ms. */
int64_t notify_backoff_ms(int64_t initial_ms, int64_t cap_ms, int64_t failures);

#endif
