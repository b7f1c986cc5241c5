/* notify: the sender (passes over the outbox, the background thread) and
 * the module's table in dumps. Reminders and digests are in scan.c. */
#include "notify/internal.h"

#include "notify/mail.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEASE_SLACK_MS 60000

void notify_config_defaults(struct notify_config *c)
{
    *c = (struct notify_config){
        .mail_from = "archportal@localhost",
        .from_name = "Архитектуралық портал / Архитектурный портал",
        .backoff_ms = 60 * 1000,
        .backoff_cap_ms = 6 * 3600 * 1000LL,
        .connect_timeout_ms = 10 * 1000,
        .timeout_ms = 60 * 1000,
        .poll_ms = 1000,
        .scan_ms = 60 * 1000,
        .batch = 10,
    };
}

int64_t notify_backoff_ms(int64_t initial_ms, int64_t cap_ms, int64_t failures)
{
    int64_t wait = initial_ms > 0 ? initial_ms : 1;
    for (int64_t i = 1; i < failures && wait < cap_ms; i++)
        wait = wait > INT64_MAX / 2 ? INT64_MAX : wait * 2;
    return wait < cap_ms ? wait : cap_ms;
}

/* ---- export, import, check --------------------------------------------------------- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct dump_col sent_cols[] = {
    {"kind", 's', true},    {"ref", 's', true},      {"day", 's', true},
    {"sent_at", 't', true}, {"messages", 'i', true},
};
static const struct dump_table tables[] = {
    {"notify_sent", "notify_sent", "kind, ref, day", sent_cols, N(sent_cols)},
};
static const char *const rules[] = {
    "SELECT 'notify_sent', kind || ' ' || ref, 'kind is not reminder or digest' "
    "FROM notify_sent WHERE kind NOT IN ('reminder', 'digest')",
    "SELECT 'notify_sent', kind || ' ' || ref, 'obligation ''' || ref || ''' does not exist' "
    "FROM notify_sent WHERE kind = 'reminder' AND ref NOT IN (SELECT id FROM obligations)",
    "SELECT 'notify_sent', kind || ' ' || ref, 'a reminder has no day' "
    "FROM notify_sent WHERE kind = 'reminder' AND day <> ''",
    "SELECT 'notify_sent', kind || ' ' || ref, 'day ''' || day || ''' is not a date' "
    "FROM notify_sent WHERE kind = 'digest' AND ap_not_date(day) = 1",
    "SELECT 'notify_sent', kind || ' ' || ref, 'negative message count' "
    "FROM notify_sent WHERE messages < 0",
};

/* ---- set-up ------------------------------------------------------------------------ */

struct notify *notify_new(struct registry *reg, struct accounts *ac, struct calsvc *cal,
                          const struct notify_config *cfg)
{
    struct notify *n = xcalloc(1, sizeof *n);
    n->reg = reg;
    n->ac = ac;
    n->cal = cal;
    n->model = registry_model(reg);
    n->cfg = *cfg;
    if (n->cfg.batch == 0)
        n->cfg.batch = 1;
    pthread_mutex_init(&n->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->cv, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&n->stopping, false);
    n->part = (struct dump_part){tables, N(tables), rules, N(rules), n, NULL, NULL};
    dump_add_part(reg, &n->part);
    return n;
}

void notify_free(struct notify *n)
{
    if (!n)
        return;
    notify_stop(n);
    pthread_cond_destroy(&n->cv);
    pthread_mutex_destroy(&n->mu);
    free(n);
}

int notify_check_config(const struct notify *n, struct err *e)
{
    const char *url = n->cfg.smtp_url;
    if (!url || (strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0) ||
        strpbrk(url, " \r\n")) {
        err_set(e, 400, "bad-request", "smtp", "the SMTP relay is smtp://HOST:PORT or smtps://…");
        return -1;
    }
    if (!mail_addr_ok(n->cfg.mail_from)) {
        err_set(e, 400, "bad-request", "mail-from", "'%.100s' is not a sender address",
                n->cfg.mail_from ? n->cfg.mail_from : "");
        return -1;
    }
    return smtp_global_init(e);
}

/* ---- a pass over the outbox -------------------------------------------------------- */

/* The message's id for its Message-ID header: the same on every try. */
static void message_id(const struct notify *n, const struct outbox_msg *m, char *out, size_t len)
{
    const char *at = strchr(n->cfg.mail_from, '@');
    int64_t created = 0;
    time_parse_rfc3339(m->created_at, &created);
    snprintf(out, len, "archportal.%" PRId64 ".%" PRId64 "%s", m->id, created,
             at ? at : "@archportal.invalid");
}

/* Tries one message and records the outcome. */
static int send_one(struct notify *n, struct smtp *s, const struct outbox_msg *m,
                    struct notify_send_stats *st, struct err *e)
{
    char mid[300], why[300] = "";
    message_id(n, m, mid, sizeof mid);
    struct mail mail = {n->cfg.mail_from, n->cfg.from_name, m->to, m->subject, m->body, mid,
                        time_now_ms()};
    struct buf data;
    buf_init(&data, 0);
    struct err me = ERR_INIT;
    int rc = mail_build(&mail, &data, &me);
    if (rc < 0)
        snprintf(why, sizeof why, "not sendable: %.280s", me.detail);
    else
        rc = smtp_send(s, n->cfg.mail_from, m->to, data.p, data.len, why, sizeof why);
    buf_free(&data);
    int64_t now = time_now_ms();
    int64_t next =
        now + notify_backoff_ms(n->cfg.backoff_ms, n->cfg.backoff_cap_ms, m->attempts + 1);
    char id[24], tries[24];
    snprintf(id, sizeof id, "%" PRId64, m->id);
    snprintf(tries, sizeof tries, "%" PRId64, m->attempts + 1);
    if (rc == 0) {
        st->sent++;
        log_event(LOG_INFO, "mail-sent", "outbox", id, "attempts", tries, NULL);
    } else {
        st->failed++;
        log_event(LOG_WARN, "mail-failed", "outbox", id, "attempts", tries, "error", why, NULL);
    }
    return outbox_record(n->ac, m->id, now, rc == 0 ? NULL : why, next, e);
}

int notify_send_due(struct notify *n, struct notify_send_stats *st, struct err *e)
{
    *st = (struct notify_send_stats){0};
    if (notify_check_config(n, e) < 0)
        return -1;
    /* due as of the pass's start: a message that fails now waits for its
     * back-off, so each is tried at most once per pass */
    int64_t start = time_now_ms();
    int64_t lease =
        (int64_t)n->cfg.batch * (n->cfg.connect_timeout_ms + n->cfg.timeout_ms) + LEASE_SLACK_MS;
    struct smtp *s = NULL;
    int rc = 0;
    while (rc == 0 && !atomic_load(&n->stopping)) {
        struct outbox_msg *msgs = NULL;
        size_t k = 0;
        rc = outbox_claim(n->ac, start, time_now_ms() + lease, n->cfg.batch, &msgs, &k, e);
        if (rc < 0 || k == 0) {
            outbox_msgs_free(msgs, k);
            break;
        }
        if (!s)
            s = smtp_open(&n->cfg, &n->stopping);
        for (size_t i = 0; i < k && rc == 0; i++) {
            /* stopping: what was not tried is due again at once */
            if (atomic_load(&n->stopping))
                rc = outbox_release(n->ac, msgs[i].id, e);
            else
                rc = send_one(n, s, &msgs[i], st, e);
        }
        outbox_msgs_free(msgs, k);
    }
    smtp_close(s);
    if (rc == 0)
        rc = outbox_waiting(n->ac, &st->waiting, e);
    return rc;
}

/* ---- the thread -------------------------------------------------------------------- */

static void wait_ms(struct notify *n, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&n->mu);
    while (!n->stop && pthread_cond_timedwait(&n->cv, &n->mu, &ts) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&n->mu);
}

static bool stopped(struct notify *n)
{
    pthread_mutex_lock(&n->mu);
    bool s = n->stop;
    pthread_mutex_unlock(&n->mu);
    return s;
}

static void *run(void *arg)
{
    struct notify *n = arg;
    int64_t next_scan = 0;
    while (!stopped(n)) {
        struct err e = ERR_INIT;
        if (n->cfg.smtp_url) {
            struct notify_send_stats st;
            if (notify_send_due(n, &st, &e) < 0)
                log_msg(LOG_WARN, "mail: the outbox could not be read or written: %s", e.detail);
        }
        int64_t now = time_now_ms();
        /* the scan runs on one node at a time: the one holding its lease,
         * which another takes three periods after that one last scanned
         * (every node sends from the outbox: each message is claimed) */
        int lease = 0;
        if (n->cfg.scan_ms > 0 && now >= next_scan && !stopped(n)) {
            err_clear(&e);
            lease = store_lease(registry_store(n->reg), "scan", 3 * n->cfg.scan_ms, &e);
            if (lease < 0)
                log_msg(LOG_WARN, "reminders: the scan's lease could not be read: %s", e.detail);
            if (lease <= 0)
                next_scan = now + n->cfg.scan_ms;
        }
        if (lease > 0) {
            struct notify_scan_stats sc;
            err_clear(&e);
            if (notify_scan(n, now, &sc, &e) < 0)
                log_msg(LOG_WARN, "reminders: scan failed: %s", e.detail);
            else if (sc.reminders || sc.digests)
                log_msg(LOG_INFO, "reminders: %d reminders, %d digests, %d messages", sc.reminders,
                        sc.digests, sc.messages);
            next_scan = now + n->cfg.scan_ms;
        }
        wait_ms(n, n->cfg.poll_ms > 0 ? n->cfg.poll_ms : 1000);
    }
    return NULL;
}

int notify_start(struct notify *n, struct err *e)
{
    if (n->running || (!n->cfg.smtp_url && n->cfg.scan_ms <= 0))
        return 0; /* nothing to do */
    if (n->cfg.smtp_url && notify_check_config(n, e) < 0)
        return -1;
    n->stop = false;
    atomic_store(&n->stopping, false);
    if (pthread_create(&n->thread, NULL, run, n) != 0) {
        err_internal(e, "cannot start the notification thread");
        return -1;
    }
    n->running = true;
    return 0;
}

void notify_stop(struct notify *n)
{
    if (!n->running)
        return;
    pthread_mutex_lock(&n->mu);
    n->stop = true;
    atomic_store(&n->stopping, true);
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
    pthread_join(n->thread, NULL);
    n->running = false;
}
