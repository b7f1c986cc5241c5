/* log: structured logs, one JSON object per line on stderr.
 *
 * log_event("access", "method", "GET", "path", "/x", NULL) writes
 * {"ts":"...","level":"info","event":"access","method":"GET","path":"/x"}.
 * Arguments after the event are key/value string pairs ending with NULL.
 * Thread-safe: each line is written with one write(2). */
#ifndef AP_LOG_H
#define AP_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min);
void log_event(enum log_level lvl, const char *event, ...) __attribute__((sentinel));
/* A free-text message under the event "message". */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
