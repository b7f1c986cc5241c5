/* Private to the notify module. */
#ifndef AP_NOTIFY_INTERNAL_H
#define AP_NOTIFY_INTERNAL_H

#include "notify/notify.h"
#include "registry/dump.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct notify {
    struct registry *reg;
    struct accounts *ac;
    struct calsvc *cal;
    const struct model *model;
    struct notify_config cfg;
    struct dump_part part;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;            /* under mu: the thread's loop ends */
    atomic_bool stopping; /* read by curl's progress callback */
};

/* ---- smtp.c: sending one message with libcurl ---- */

/* curl_global_init, once per process. */
int smtp_global_init(struct err *e);
struct smtp;
/* A connection (kept between messages of a pass). *stop cuts a transfer
 * short when it becomes true. */
struct smtp *smtp_open(const struct notify_config *cfg, const atomic_bool *stop);
void smtp_close(struct smtp *s);
/* Sends data (a whole message, mail_build's) from `from` to `to`: 0, or -1
 * with why (the SMTP reply or the transport error, one line). */
int smtp_send(struct smtp *s, const char *from, const char *to, const char *data, size_t len,
              char *why, size_t why_n);

#endif
