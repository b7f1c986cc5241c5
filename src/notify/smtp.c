/* notify/smtp: one message to an SMTP relay with libcurl (MAIL FROM, RCPT
 * TO, DATA; curl does the dot-stuffing and keeps the connection between
 * messages of a pass). */
#include "notify/internal.h"

#include "util/text.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct smtp {
    CURL *curl;
    const struct notify_config *cfg;
    const atomic_bool *stop;
    char errbuf[CURL_ERROR_SIZE];
};

struct reader {
    const char *data;
    size_t len, off;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int smtp_global_init(struct err *e)
{
    pthread_once(&init_once, global_init);
    if (init_rc != CURLE_OK) {
        err_internal(e, "libcurl: %s", curl_easy_strerror(init_rc));
        return -1;
    }
    return 0;
}

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct reader *r = userdata;
    size_t room = size * nmemb, left = r->len - r->off;
    size_t k = left < room ? left : room;
    memcpy(ptr, r->data + r->off, k);
    r->off += k;
    return k;
}

static int progress_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const atomic_bool *stop = clientp;
    return atomic_load(stop) ? 1 : 0; /* non-zero aborts the transfer */
}

struct smtp *smtp_open(const struct notify_config *cfg, const atomic_bool *stop)
{
    struct smtp *s = xcalloc(1, sizeof *s);
    s->curl = curl_easy_init();
    if (!s->curl)
        fatal("curl_easy_init failed");
    s->cfg = cfg;
    s->stop = stop;
    return s;
}

void smtp_close(struct smtp *s)
{
    if (!s)
        return;
    curl_easy_cleanup(s->curl);
    free(s);
}

/* Sets the options of one transfer; 0 or the first failing option. */
static CURLcode set_options(struct smtp *s, const char *from, struct curl_slist *rcpt,
                            struct reader *r)
{
    CURL *c = s->curl;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, s->cfg->smtp_url);
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_MAIL_FROM, from);
    SET(CURLOPT_MAIL_RCPT, rcpt);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, read_cb);
    SET(CURLOPT_READDATA, r);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)s->cfg->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, (long)s->cfg->timeout_ms);
    SET(CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for name lookups */
    SET(CURLOPT_ERRORBUFFER, s->errbuf);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, progress_cb);
    SET(CURLOPT_XFERINFODATA, (void *)s->stop);
#undef SET
    return rc;
}

int smtp_send(struct smtp *s, const char *from, const char *to, const char *data, size_t len,
              char *why, size_t why_n)
{
    char env_from[300], env_to[300];
    snprintf(env_from, sizeof env_from, "<%s>", from);
    snprintf(env_to, sizeof env_to, "<%s>", to);
    struct curl_slist *rcpt = curl_slist_append(NULL, env_to);
    if (!rcpt)
        fatal("out of memory");
    struct reader r = {data, len, 0};
    s->errbuf[0] = '\0';
    CURLcode rc = set_options(s, env_from, rcpt, &r);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(s->curl);
    curl_slist_free_all(rcpt);
    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
    if (rc == CURLE_OK)
        return 0;
    long code = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
    char text[CURL_ERROR_SIZE + 80];
    if (code > 0)
        snprintf(text, sizeof text, "SMTP %ld: %s", code,
                 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
    else
        snprintf(text, sizeof text, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
    if (atomic_load(s->stop))
        snprintf(text, sizeof text, "interrupted: the portal was stopping");
    text_one_line(text, why, why_n);
    return -1;
}
