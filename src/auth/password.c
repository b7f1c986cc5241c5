/* password: policy checks and Argon2id hashing with a bounded number of
 * hashes in flight (each one takes memlimit bytes). */
#include "password.h"

#include "util/log.h"
#include "util/text.h"

#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Compared ignoring case, so stored in lower case. Only passwords whose
 * usual spelling ("Password123!") passes the length and class rules are
 * worth listing: the rest are refused by those rules already. */
static const char *const common[] = {
    "password123!",  "password1234", "p@ssw0rd123!", "p@ssword1234",   "passw0rd1234",
    "qwerty123456",  "qwerty12345!", "qwertyuiop12", "qwertyuiop1!",   "1qaz2wsx3edc",
    "welcome12345",  "welcome1234!", "admin1234567", "administrator1", "changeme123!",
    "letmein12345",  "iloveyou1234", "abc123456789", "kazakhstan2024", "kazakhstan2025",
    "qazaqstan2024", "astana123456", "almaty123456", "egov12345678",   NULL};

/* The cost and the slot counter, shared by all threads. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool ready;
    unsigned busy, max;
    unsigned long long ops;
    size_t mem;
} pw = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

struct cost {
    unsigned long long ops;
    size_t mem;
};

void password_init(unsigned long long opslimit, size_t memlimit, unsigned max_parallel)
{
    if (sodium_init() < 0)
        fatal("sodium_init failed");
    unsigned long long ops = opslimit ? opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = memlimit ? memlimit : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (ops < crypto_pwhash_opslimit_min() || ops > crypto_pwhash_opslimit_max() ||
        mem < crypto_pwhash_memlimit_min() || mem > crypto_pwhash_memlimit_max())
        fatal("password cost out of range (opslimit %llu, memlimit %zu)", ops, mem);
    pthread_mutex_lock(&pw.mu);
    pw.ops = ops;
    pw.mem = mem;
    pw.max = max_parallel ? max_parallel : 2;
    pw.ready = true;
    pthread_cond_broadcast(&pw.cv); /* a raised bound may free waiters */
    pthread_mutex_unlock(&pw.mu);
}

/* Waits for a hashing slot and copies the current cost. */
static void slot_take(struct cost *c)
{
    pthread_mutex_lock(&pw.mu);
    if (!pw.ready)
        fatal("password_init was not called");
    while (pw.busy >= pw.max)
        pthread_cond_wait(&pw.cv, &pw.mu);
    pw.busy++;
    c->ops = pw.ops;
    c->mem = pw.mem;
    pthread_mutex_unlock(&pw.mu);
}

static void slot_give(void)
{
    pthread_mutex_lock(&pw.mu);
    pw.busy--;
    pthread_cond_signal(&pw.cv);
    pthread_mutex_unlock(&pw.mu);
}

int password_hash(const char *password, char out[], size_t out_len, struct err *e)
{
    if (!password || !out || out_len < crypto_pwhash_STRBYTES) {
        err_internal(e, "password_hash: no password or output too small");
        return -1;
    }
    struct cost c;
    slot_take(&c);
    int rc = crypto_pwhash_str(out, password, strlen(password), c.ops, c.mem);
    slot_give();
    if (rc != 0) {
        err_internal(e, "password hashing failed (out of memory?)");
        return -1;
    }
    return 0;
}

bool password_verify(const char *password, const char *stored)
{
    const char *p = password ? password : "";
    struct cost c;
    slot_take(&c);
    int rc;
    if (stored) {
        rc = crypto_pwhash_str_verify(stored, p, strlen(p));
    } else {
        /* no stored hash: the same Argon2id work (hashing costs what
         * verifying does), without a dummy held from start-up */
        char scratch[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(scratch, p, strlen(p), c.ops, c.mem) != 0)
            log_msg(LOG_WARN, "password hashing failed (out of memory?)");
        rc = -1;
        sodium_memzero(scratch, sizeof scratch);
    }
    slot_give();
    return rc == 0 && stored && password;
}

bool password_needs_rehash(const char *stored)
{
    if (!stored)
        return false;
    pthread_mutex_lock(&pw.mu);
    if (!pw.ready)
        fatal("password_init was not called");
    unsigned long long ops = pw.ops;
    size_t mem = pw.mem;
    pthread_mutex_unlock(&pw.mu);
    return crypto_pwhash_str_needs_rehash(stored, ops, mem) != 0;
}

/* ---- policy ---- */

/* Folded code points of s[0..n) into out; bytes of invalid UTF-8 count as
 * one code point each. Returns the count, or cap + 1 when it does not fit. */
static size_t fold_cps(const char *s, size_t n, uint32_t *out, size_t cap)
{
    bool valid = utf8_valid(s, n);
    const char *p = s, *end = s + n;
    size_t k = 0;
    while (p < end) {
        if (k == cap)
            return cap + 1;
        uint32_t cp = valid ? utf8_next(&p) : (unsigned char)*p++;
        out[k++] = text_fold_cp(cp);
    }
    return k;
}

static bool cps_contain(const uint32_t *hay, size_t nh, const uint32_t *needle, size_t nn)
{
    for (size_t i = 0; nn <= nh && i <= nh - nn; i++)
        if (memcmp(hay + i, needle, nn * sizeof *needle) == 0)
            return true;
    return false;
}

/* Letters count by case in Latin and Cyrillic (Kazakh and Russian
 * passwords are as good as English ones); anything else is "other". */
static int count_classes(const char *s)
{
    bool lower = false, upper = false, digit = false, other = false;
    const char *p = s;
    while (*p) {
        uint32_t cp = utf8_next(&p);
        bool cyrillic = cp >= 0x0400 && cp <= 0x04FF;
        if ((cp >= 'a' && cp <= 'z') || (cyrillic && text_fold_cp(cp) == cp))
            lower = true;
        else if ((cp >= 'A' && cp <= 'Z') || (cyrillic && text_fold_cp(cp) != cp))
            upper = true;
        else if (cp >= '0' && cp <= '9')
            digit = true;
        else
            other = true;
    }
    return lower + upper + digit + other;
}

static bool contains_local_part(const uint32_t *pw_cps, size_t n, const char *email)
{
    if (!email)
        return false;
    const char *at = strrchr(email, '@');
    size_t len = at ? (size_t)(at - email) : strlen(email);
    uint32_t local[PASSWORD_MAX_BYTES];
    size_t nl = fold_cps(email, len, local, PASSWORD_MAX_BYTES);
    if (nl < 3 || nl > PASSWORD_MAX_BYTES)
        return false; /* too short to matter, or longer than any password */
    return cps_contain(pw_cps, n, local, nl);
}

static bool is_common(const uint32_t *pw_cps, size_t n)
{
    for (size_t i = 0; common[i]; i++) {
        size_t len = strlen(common[i]);
        size_t j = 0;
        while (j < len && j < n && pw_cps[j] == (unsigned char)common[i][j])
            j++;
        if (j == len && j == n)
            return true;
    }
    return false;
}

__attribute__((format(printf, 2, 3))) static int weak(struct err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(e, 422, "weak-password", "password", fmt, ap);
    va_end(ap);
    return -1;
}

int password_policy_check(const char *password, const char *email, struct err *e)
{
    size_t len = password ? strlen(password) : 0;
    if (len > PASSWORD_MAX_BYTES)
        return weak(e, "the password is longer than %d bytes", PASSWORD_MAX_BYTES);
    if (!utf8_valid(password ? password : "", len))
        return weak(e, "the password is not valid UTF-8 text");
    if (len < PASSWORD_MIN_BYTES)
        return weak(e, "the password is shorter than %d bytes (a Cyrillic letter counts as 2)",
                    PASSWORD_MIN_BYTES);
    if (count_classes(password) < 3)
        return weak(e, "the password needs at least 3 of: lower-case letters, upper-case "
                       "letters, digits, other characters (spaces, signs)");
    uint32_t cps[PASSWORD_MAX_BYTES];
    size_t n = fold_cps(password, len, cps, PASSWORD_MAX_BYTES);
    if (contains_local_part(cps, n, email))
        return weak(e, "the password contains the name part of the e-mail address");
    if (is_common(cps, n))
        return weak(e, "the password is on the list of common passwords");
    return 0;
}
