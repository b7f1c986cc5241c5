/* log: one JSON object per line, built with jansson so every value is escaped. */
#include "log.h"

#include "timeutil.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level min)
{
    log_min = min;
}

static void log_write(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        return;
    size_t n = strlen(s);
    s[n] = '\n'; /* replace the NUL: json_dumps allocates n+1 bytes */
    ssize_t w = write(STDERR_FILENO, s, n + 1);
    (void)w;
    free(s);
}

static json_t *log_begin(enum log_level lvl, const char *event)
{
    char ts[40];
    time_format_rfc3339(time_now_ms(), ts, sizeof ts);
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level_names[lvl]));
    json_object_set_new(o, "event", json_string(event));
    return o;
}

void log_event(enum log_level lvl, const char *event, ...)
{
    if (lvl < log_min)
        return;
    json_t *o = log_begin(lvl, event);
    va_list ap;
    va_start(ap, event);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        json_object_set_new(o, k, v ? json_string(v) : json_null());
    }
    va_end(ap);
    log_write(o);
    json_decref(o);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (lvl < log_min)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = log_begin(lvl, "message");
    json_t *m = json_string(msg);
    json_object_set_new(o, "msg", m ? m : json_string("(message not UTF-8)"));
    log_write(o);
    json_decref(o);
}
