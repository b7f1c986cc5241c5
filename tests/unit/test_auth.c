/* Unit tests of the auth module: password policy, Argon2id hashing (at the
 * lowest cost libsodium allows), login lockout, rate limits, eviction and
 * thread safety of the throttle table, and who may give which role in the
 * rights file. */
#include "auth/authz.h"
#include "auth/password.h"
#include "auth/rights.h"
#include "auth/throttle.h"
#include "model/model.h"

#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- password hashing ---- */

static int setup_password(void **state)
{
    (void)state;
    password_init(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN, 2);
    return 0;
}

static void test_hash_verify_roundtrip(void **state)
{
    (void)state;
    struct err e = ERR_INIT;
    char h1[crypto_pwhash_STRBYTES], h2[crypto_pwhash_STRBYTES];
    assert_int_equal(password_hash("Құпия сөз Astana 2026", h1, sizeof h1, &e), 0);
    assert_int_equal(password_hash("Құпия сөз Astana 2026", h2, sizeof h2, &e), 0);
    assert_true(strncmp(h1, "$argon2id$", 10) == 0);
    assert_string_not_equal(h1, h2); /* fresh salt each time */
    assert_true(password_verify("Құпия сөз Astana 2026", h1));
    assert_true(password_verify("Құпия сөз Astana 2026", h2));
    assert_false(password_verify("Құпия сөз Astana 2027", h1));
    assert_false(password_verify("құпия сөз astana 2026", h1)); /* case matters */
    assert_false(password_verify("", h1));
    assert_false(password_verify(NULL, h1));
}

static void test_verify_without_stored_hash(void **state)
{
    (void)state;
    assert_false(password_verify("Correct-Horse-9", NULL));
    assert_false(password_verify("", NULL));
    assert_false(password_verify(NULL, NULL));
    assert_false(password_verify("Correct-Horse-9", "not a hash"));
    assert_false(password_verify("Correct-Horse-9", ""));
}

static void test_hash_output_too_small(void **state)
{
    (void)state;
    struct err e = ERR_INIT;
    char out[16];
    assert_int_equal(password_hash("Correct-Horse-9", out, sizeof out, &e), -1);
    assert_int_equal(e.status, 500);
}

static void test_needs_rehash(void **state)
{
    (void)state;
    struct err e = ERR_INIT;
    char cur[crypto_pwhash_STRBYTES], other[crypto_pwhash_STRBYTES];
    assert_int_equal(password_hash("Correct-Horse-9", cur, sizeof cur, &e), 0);
    assert_false(password_needs_rehash(cur));
    assert_int_equal(crypto_pwhash_str(other, "Correct-Horse-9", 15, crypto_pwhash_OPSLIMIT_MIN + 1,
                                       crypto_pwhash_MEMLIMIT_MIN),
                     0);
    assert_true(password_needs_rehash(other));
    assert_true(password_verify("Correct-Horse-9", other)); /* still verifies meanwhile */
    assert_true(password_needs_rehash("$argon2id$garbage"));
    assert_false(password_needs_rehash(NULL));
}

struct hash_job {
    int ok;
};

static void *hash_worker(void *arg)
{
    struct hash_job *job = arg;
    for (int i = 0; i < 4; i++) {
        char h[crypto_pwhash_STRBYTES];
        struct err e = ERR_INIT;
        if (password_hash("Correct-Horse-9", h, sizeof h, &e) == 0 &&
            password_verify("Correct-Horse-9", h) && !password_verify("Correct-Horse-8", h) &&
            !password_verify("Correct-Horse-9", NULL))
            job->ok++;
    }
    return NULL;
}

/* More callers than slots: all wait their turn and all succeed. */
static void test_hash_concurrent(void **state)
{
    (void)state;
    pthread_t th[6];
    struct hash_job jobs[6] = {{0}};
    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hash_worker, &jobs[i]), 0);
    int ok = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        ok += jobs[i].ok;
    }
    assert_int_equal(ok, 24);
}

/* ---- password policy ---- */

static void assert_weak(const char *pw, const char *email, const char *why)
{
    struct err e = ERR_INIT;
    if (password_policy_check(pw, email, &e) != -1)
        fail_msg("accepted \"%s\"", pw ? pw : "(null)");
    assert_int_equal(e.status, 422);
    assert_string_equal(e.type, "weak-password");
    assert_string_equal(e.field, "password");
    if (!strstr(e.detail, why))
        fail_msg("\"%s\": detail \"%s\" lacks \"%s\"", pw, e.detail, why);
}

static void assert_ok(const char *pw, const char *email)
{
    struct err e = ERR_INIT;
    if (password_policy_check(pw, email, &e) != 0)
        fail_msg("refused \"%s\": %s", pw, e.detail);
}

static void test_policy_accepts(void **state)
{
    (void)state;
    assert_ok("Correct-Horse-9", NULL);
    assert_ok("Tr0ub4dor&3xyz", "aigerim@gov.kz");
    assert_ok("Құпия сөз Astana 2026", "aigerim@gov.kz"); /* upper, lower, digit, other */
    assert_ok("Алматы-qala-2026", NULL);                  /* lower, digit, other */
    assert_ok("ӘғҚңӨұҮһІ qz 7", NULL);                    /* Kazakh letters are "other" */
}

static void test_policy_length(void **state)
{
    (void)state;
    assert_weak(NULL, NULL, "shorter than 12");
    assert_weak("", NULL, "shorter than 12");
    assert_weak("Ab1!short", NULL, "shorter than 12");
    assert_weak("Қаз1Aa", NULL, "shorter than 12"); /* 6 characters, 9 bytes */
    assert_ok("Ab1!abcdefgh", NULL);                /* exactly 12 */
    char pw[130];
    memset(pw, 'x', sizeof pw);
    memcpy(pw, "Ab1!", 4);
    pw[128] = '\0';
    assert_ok(pw, NULL); /* exactly 128 */
    pw[128] = 'x';
    pw[129] = '\0';
    assert_weak(pw, NULL, "longer than 128");
}

static void test_policy_utf8(void **state)
{
    (void)state;
    assert_weak("Abcdefgh123\xC3\x28", NULL, "UTF-8");     /* bad continuation */
    assert_weak("Abcdefgh123\xC0\xAF", NULL, "UTF-8");     /* overlong */
    assert_weak("Abcdefgh123\xED\xA0\x80", NULL, "UTF-8"); /* surrogate */
    assert_weak("Abcdefgh123\xE2\x82", NULL, "UTF-8");     /* truncated */
    assert_weak("Ab1\xFF", NULL, "UTF-8");                 /* checked before length */
}

static void test_policy_classes(void **state)
{
    (void)state;
    assert_weak("abcdefghijklm", NULL, "at least 3 of");
    assert_weak("abcdefgh12345", NULL, "at least 3 of");
    assert_weak("ABCDEFGH-+=_#", NULL, "at least 3 of");
    assert_weak("құпиясөзқұпия2026", NULL, "at least 3 of"); /* lower + digit only */
    assert_weak("құпия сөз, құпия!", NULL, "at least 3 of"); /* lower + other only */
    assert_ok("Құпиясөзқұпия2026", NULL); /* Kazakh letters count by case */
    assert_ok("ҚҰПИЯ-сөз-ҚҰПИЯ!", NULL);
    assert_ok("Abcdefgh12345", NULL);
    assert_ok("abcdefgh-12345", NULL);
    assert_ok("құпиясөз-2026-Qz", NULL);
}

static void test_policy_email(void **state)
{
    (void)state;
    assert_weak("Aigerim.Nur-2026", "aigerim.nur@gov.kz", "e-mail");
    assert_weak("my-AIGERIM.NUR-9x", "Aigerim.Nur@gov.kz", "e-mail"); /* case-insensitive */
    assert_weak("Пароль-АЙГЕРИМ-7q", "айгерим@mail.kz", "e-mail");    /* Cyrillic folding */
    assert_weak("Xbob-Secure-2026", "bob@gov.kz", "e-mail");          /* 3 chars: checked */
    assert_ok("Xab-Secure-2026", "ab@gov.kz");                        /* 2 chars: ignored */
    assert_ok("Aigerim-2026-pass", "nurlan@gov.kz");
    assert_ok("Aigerim-2026-pass", NULL);
    assert_ok("Gov-kz-Secure-26", "nurlan@gov.kz"); /* the domain does not count */
}

static void test_policy_common(void **state)
{
    (void)state;
    assert_weak("Password123!", NULL, "common");
    assert_weak("PASSWORD123!", NULL, "common"); /* case-insensitive */
    assert_weak("Qwerty123456", NULL, "common");
    assert_weak("Kazakhstan2024", NULL, "common");
    assert_ok("Password123!x", NULL); /* only exact matches */
}

/* ---- throttle: lockout ---- */

static const struct throttle_lockout policy = {5, 1000, 60000};

/* REQ: ACC-03 */
static void test_lockout_sequence(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(100);
    const char *k = "aigerim@gov.kz";
    assert_int_equal(throttle_locked(t, &policy, k, 1000), 0);
    for (int i = 0; i < 4; i++) {
        throttle_fail(t, &policy, k, 1000 + i);
        assert_int_equal(throttle_locked(t, &policy, k, 1000 + i), 0); /* free failures */
    }
    throttle_fail(t, &policy, k, 1004); /* 5th: locked for base */
    assert_int_equal(throttle_locked(t, &policy, k, 1004), 1000);
    assert_int_equal(throttle_locked(t, &policy, k, 1504), 500);
    assert_int_equal(throttle_locked(t, &policy, k, 2003), 1);
    assert_int_equal(throttle_locked(t, &policy, k, 2004), 0);
    assert_int_equal(throttle_locked(t, &policy, "nurlan@gov.kz", 1004), 0); /* per key */
    throttle_fail(t, &policy, k, 2004);                                      /* back-off doubles */
    assert_int_equal(throttle_locked(t, &policy, k, 2004), 2000);
    throttle_fail(t, &policy, k, 4004);
    assert_int_equal(throttle_locked(t, &policy, k, 4004), 4000);
    int64_t now = 8004, expect[] = {8000, 16000, 32000, 60000}; /* 64000 capped */
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        throttle_fail(t, &policy, k, now);
        assert_int_equal(throttle_locked(t, &policy, k, now), expect[i]);
        now += expect[i];
    }
    throttle_fail(t, &policy, k, now - 30000); /* tried while locked: counted, still capped */
    assert_int_equal(throttle_locked(t, &policy, k, now - 30000), 60000);
    assert_int_equal(throttle_locked(t, &policy, k, now + 29999), 1);
    assert_int_equal(throttle_locked(t, &policy, k, now + 30000), 0);
    throttle_free(t);
}

/* REQ: ACC-03 */
static void test_lockout_success_resets(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(100);
    for (int i = 0; i < 5; i++)
        throttle_fail(t, &policy, "k", 0);
    assert_int_equal(throttle_locked(t, &policy, "k", 0), 1000);
    throttle_success(t, "k");
    assert_int_equal(throttle_size(t), 0);
    assert_int_equal(throttle_locked(t, &policy, "k", 0), 0);
    for (int i = 0; i < 4; i++)
        throttle_fail(t, &policy, "k", 1);
    assert_int_equal(throttle_locked(t, &policy, "k", 1), 0); /* counting starts again */
    throttle_success(t, "never-seen");                        /* harmless */
    throttle_free(t);
}

static void test_lockout_expiry(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(100);
    for (int i = 0; i < 4; i++)
        throttle_fail(t, &policy, "k", i);
    throttle_fail(t, &policy, "k", 3 + 60000); /* after max_ms: 1st failure again */
    assert_int_equal(throttle_locked(t, &policy, "k", 3 + 60000), 0);
    for (int i = 0; i < 8; i++)
        throttle_fail(t, &policy, "k", 100000); /* 9 failures in a row */
    assert_int_equal(throttle_locked(t, &policy, "k", 100000), 16000);
    assert_int_equal(throttle_locked(t, &policy, "k", 116000), 0);
    throttle_fail(t, &policy, "k", 159999); /* within max_ms: the 10th */
    assert_int_equal(throttle_locked(t, &policy, "k", 159999), 32000);
    throttle_fail(t, &policy, "k", 219999); /* max_ms later: forgotten, the 1st */
    assert_int_equal(throttle_locked(t, &policy, "k", 219999), 0);
    throttle_free(t);
}

/* A table full of old failures locks nobody and empties itself. */
static void test_lockout_full_of_old_failures(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(4);
    char key[16];
    for (int k = 0; k < 4; k++) {
        snprintf(key, sizeof key, "old%d", k);
        for (int i = 0; i < 12; i++) /* locked for the longest, max_ms */
            throttle_fail(t, &policy, key, 0);
        assert_int_equal(throttle_locked(t, &policy, key, 0), 60000);
    }
    assert_int_equal(throttle_size(t), 4);
    throttle_fail(t, &policy, "new", 60000);
    assert_int_equal(throttle_locked(t, &policy, "new", 60000), 0);
    assert_int_equal(throttle_locked(t, &policy, "old3", 60000), 0);
    assert_true(throttle_size(t) < 4); /* expired records were dropped */
    throttle_fail(t, &policy, "new", 60001);
    throttle_fail(t, &policy, "new", 60002);
    assert_int_equal(throttle_size(t), 1);
    throttle_free(t);
}

/* ---- throttle: rate ---- */

static void test_rate_window(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(100);
    for (int i = 0; i < 3; i++)
        assert_int_equal(throttle_rate(t, "ip:10.0.0.1", 3, 60000, 0), 0);
    assert_int_equal(throttle_rate(t, "ip:10.0.0.1", 3, 60000, 0), 20000);
    assert_int_equal(throttle_rate(t, "ip:10.0.0.1", 3, 60000, 0), 20000); /* not counted */
    assert_int_equal(throttle_rate(t, "ip:10.0.0.2", 3, 60000, 0), 0);     /* per key */
    assert_int_equal(throttle_rate(t, "ip:10.0.0.1", 3, 60000, 19999), 1);
    assert_int_equal(throttle_rate(t, "ip:10.0.0.1", 3, 60000, 20000), 0);
    assert_int_equal(throttle_rate(t, "ip:10.0.0.1", 3, 60000, 20000), 20000);
    for (int i = 0; i < 3; i++) /* a full window later the whole burst is back */
        assert_int_equal(throttle_rate(t, "ip:10.0.0.1", 3, 60000, 200000), 0);
    assert_true(throttle_rate(t, "ip:10.0.0.1", 3, 60000, 200000) > 0);
    assert_int_equal(throttle_rate(t, "x", 0, 60000, 0), 60000); /* nothing allowed */
    assert_int_equal(throttle_rate(t, "x", 1, 0, 0), 0);         /* no limit */
    assert_int_equal(throttle_rate(t, "x", 1, 0, 0), 0);
    throttle_free(t);
}

/* 3 per second: the refill interval is 333.33 ms, kept exactly. */
static void test_rate_fractional_interval(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(100);
    for (int i = 0; i < 3; i++)
        assert_int_equal(throttle_rate(t, "k", 3, 1000, 0), 0);
    assert_int_equal(throttle_rate(t, "k", 3, 1000, 0), 334);
    assert_int_equal(throttle_rate(t, "k", 3, 1000, 333), 1);
    assert_int_equal(throttle_rate(t, "k", 3, 1000, 334), 0);
    assert_int_equal(throttle_rate(t, "k", 3, 1000, 666), 1);
    assert_int_equal(throttle_rate(t, "k", 3, 1000, 667), 0);
    throttle_free(t);

    /* Over [0, 10 s]: the burst of 3 plus one per 333.33 ms, no more. */
    t = throttle_new(100);
    int allowed = 0;
    for (int64_t now = 0; now <= 10000; now++)
        while (throttle_rate(t, "k", 3, 1000, now) == 0)
            allowed++;
    assert_int_equal(allowed, 3 + 30);
    throttle_free(t);
}

/* ---- throttle: bounds ---- */

static void test_eviction_oldest_activity(void **state)
{
    (void)state;
    const struct throttle_lockout p1 = {1, 1000, 60000};
    struct throttle *t = throttle_new(3);
    throttle_fail(t, &p1, "a", 0);
    throttle_fail(t, &p1, "b", 1);
    throttle_fail(t, &p1, "c", 2);
    throttle_fail(t, &p1, "a", 3); /* a is now the newest */
    throttle_fail(t, &p1, "d", 4); /* evicts b */
    assert_int_equal(throttle_size(t), 3);
    assert_int_equal(throttle_locked(t, &p1, "b", 4), 0);
    assert_int_equal(throttle_locked(t, &p1, "a", 4), 1999);
    assert_int_equal(throttle_locked(t, &p1, "c", 4), 998);
    assert_int_equal(throttle_locked(t, &p1, "d", 4), 1000);
    assert_int_equal(throttle_rate(t, "e", 1, 60000, 5), 0); /* evicts c */
    assert_int_equal(throttle_locked(t, &p1, "c", 5), 0);
    assert_true(throttle_locked(t, &p1, "a", 5) > 0);
    assert_int_equal(throttle_size(t), 3);
    throttle_free(t);
}

static void test_many_keys(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(100000);
    char key[32];
    for (int i = 0; i < 250000; i++) {
        snprintf(key, sizeof key, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        assert_int_equal(throttle_rate(t, key, 1, 60000, 0), 0);
    }
    assert_int_equal(throttle_size(t), 100000);
    assert_int_equal(throttle_rate(t, "10.0.0.0", 1, 60000, 0), 0); /* long evicted */
    snprintf(key, sizeof key, "10.%d.%d.%d", 249999 >> 16, (249999 >> 8) & 255, 249999 & 255);
    assert_int_equal(throttle_rate(t, key, 1, 60000, 0), 60000); /* still held */
    throttle_free(t);
}

static void test_long_keys(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(10);
    char a[1001], b[1001];
    memset(a, 'x', 1000);
    a[1000] = '\0';
    memcpy(b, a, sizeof b);
    b[999] = 'y';
    assert_int_equal(throttle_rate(t, a, 1, 1000, 0), 0);
    assert_int_equal(throttle_rate(t, a, 1, 1000, 0), 1000);
    assert_int_equal(throttle_rate(t, b, 1, 1000, 0), 0); /* a different key */
    assert_int_equal(throttle_size(t), 2);
    throttle_success(t, a);
    assert_int_equal(throttle_size(t), 1);
    throttle_free(t);
}

/* ---- throttle: threads ---- */

#define THREADS 8
#define ROUNDS 250

struct worker {
    struct throttle *t;
    int id;
    int allowed;
};

/* Failures on shared keys must add up exactly: free_failures sits 3 below
 * the expected total, so a lost update shows as a halved lock time. */
static const struct throttle_lockout hammer = {THREADS * ROUNDS - 3, 10, INT64_C(1) << 40};

static void *hammer_worker(void *arg)
{
    struct worker *w = arg;
    char own[32], shared[8];
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < 4; k++) {
            snprintf(shared, sizeof shared, "k%d", (k + w->id) % 4);
            throttle_fail(w->t, &hammer, shared, 1000);
            (void)throttle_locked(w->t, &hammer, shared, 1000);
        }
        if (throttle_rate(w->t, "shared", 1000, INT64_C(1) << 40, 1000) == 0)
            w->allowed++;
        if (throttle_rate(w->t, "shared", 1000, INT64_C(1) << 40, 1000) == 0)
            w->allowed++;
        snprintf(own, sizeof own, "t%d-%d", w->id, r % 50);
        throttle_fail(w->t, &hammer, own, 1000);
        if (r >= ROUNDS - 50)
            throttle_success(w->t, own);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(1000);
    pthread_t th[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){t, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_worker, &w[i]), 0);
    }
    int allowed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        allowed += w[i].allowed;
    }
    assert_int_equal(allowed, 1000); /* of 2 * THREADS * ROUNDS = 4000 tries */
    for (int k = 0; k < 4; k++) {
        char key[8];
        snprintf(key, sizeof key, "k%d", k);
        assert_int_equal(throttle_locked(t, &hammer, key, 1000), 10 << 3);
    }
    assert_int_equal(throttle_size(t), 5); /* k0..k3 and "shared" */
    throttle_free(t);
}

/* ---- who gives which role (rights file) ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Owner roles are the integrator's to give (applications-decide); the
 * integrator's, the authorized body's, the operator's and administrators'
 * roles need users-manage. The file says so, and a role that does not
 * say, or names a record action, is refused at load. REQ: ROL-02 */
static void test_roles_granted_with(void **state)
{
    (void)state;
    struct model *m = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(model_load_file(MODEL_PATH, &m, &e), 0);
    const char *text = slurp(RIGHTS_PATH);
    struct rights *r = NULL;
    assert_int_equal(rights_load(text, strlen(text), m, &r, &e), 0);
    static const struct {
        const char *role;
        enum rights_action with;
    } want[] = {{"owner-editor", RA_APPLICATIONS}, {"owner-viewer", RA_APPLICATIONS},
                {"integrator-verifier", RA_USERS}, {"integrator-architect", RA_USERS},
                {"approver", RA_USERS},            {"operator", RA_USERS},
                {"admin", RA_USERS}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int ri = rights_role_index(r, want[i].role);
        assert_true(ri >= 0);
        assert_int_equal(rights_role_granted_with(r, (size_t)ri), want[i].with);
    }
    /* each role's label, as the header's user menu shows it */
    int ri = rights_role_index(r, "integrator-verifier");
    assert_string_equal(json_string_value(json_object_get(rights_role_label(r, (size_t)ri), "ru")),
                        "Сервисный интегратор (проверяющий)");
    assert_null(rights_role_label(r, rights_n_roles(r)));
    rights_free(r);

    json_t *doc = json_loads(text, 0, NULL);
    json_t *approver = json_object_get(json_object_get(doc, "roles"), "approver");
    json_object_del(approver, "granted_with");
    char *bad = json_dumps(doc, 0);
    r = NULL;
    assert_int_equal(rights_load(bad, strlen(bad), m, &r, &e), -1);
    assert_non_null(strstr(e.detail, "roles.approver.granted_with"));
    free(bad);
    json_object_set_new(approver, "granted_with", json_string("update"));
    bad = json_dumps(doc, 0);
    assert_int_equal(rights_load(bad, strlen(bad), m, &r, &e), -1);
    assert_non_null(strstr(e.detail, "roles.approver.granted_with"));
    free(bad);
    json_object_set_new(approver, "granted_by", json_string("admin"));
    json_object_set_new(approver, "granted_with", json_string("users-manage"));
    bad = json_dumps(doc, 0);
    assert_int_equal(rights_load(bad, strlen(bad), m, &r, &e), -1);
    assert_non_null(strstr(e.detail, "roles.approver.granted_by"));
    free(bad);
    json_decref(doc);
    model_free(m);
}

/* A step of a workflow that names the roles taking it (`by`) is taken by
 * holders of its trigger's right who hold one of them: the integrator's
 * architects agree the ICP EG architecture first, the authorized body's
 * approvers then, each only at its own step. A role the model names that
 * the rights file lacks is refused at load. REQ: ARC-16 */
static void test_workflow_step_roles(void **state)
{
    (void)state;
    struct model *m = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(model_load_file(MODEL_PATH, &m, &e), 0);
    const char *text = slurp(RIGHTS_PATH);
    struct rights *r = NULL;
    assert_int_equal(rights_load(text, strlen(text), m, &r, &e), 0);
    const struct model_workflow *w = model_workflow(m, "icp_agreement");
    assert_non_null(w);
    const struct model_wf_transition *first = model_wf_find(w, WF_ACCEPT, "submitted", NULL);
    const struct model_wf_transition *second =
        model_wf_find(w, WF_ACCEPT, "integrator_agreed", NULL);
    assert_non_null(first);
    assert_non_null(second);
    struct actor arch = {"user:a", "a", "org-integrator", 0, false, false};
    struct actor appr = {"user:b", "b", "org-mcri", 0, false, false};
    struct actor oper = {"user:c", "c", "org-nit", 0, false, false};
    struct actor sys = {"system:demo", "", "", 0, true, false};
    arch.roles = UINT32_C(1) << rights_role_index(r, "integrator-architect");
    appr.roles = UINT32_C(1) << rights_role_index(r, "approver");
    oper.roles = UINT32_C(1) << rights_role_index(r, "operator");
    const char *kind = "icp_component", *org = "org-nit";
    assert_true(authz_may_take(r, &arch, RA_VERIFY, kind, org, first->by, first->n_by));
    assert_false(authz_may_take(r, &arch, RA_VERIFY, kind, org, second->by, second->n_by));
    assert_true(authz_may_take(r, &appr, RA_VERIFY, kind, org, second->by, second->n_by));
    assert_false(authz_may_take(r, &appr, RA_VERIFY, kind, org, first->by, first->n_by));
    /* the right is still needed: the operator holds neither */
    assert_false(authz_may_take(r, &oper, RA_VERIFY, kind, org, NULL, 0));
    assert_true(authz_may_take(r, &sys, RA_VERIFY, kind, org, second->by, second->n_by));
    e = (struct err)ERR_INIT;
    assert_int_equal(authz_check_take(r, &arch, RA_VERIFY, kind, org, second->by, second->n_by, &e),
                     -1);
    assert_int_equal(e.status, 403);
    assert_non_null(strstr(e.detail, "approver"));
    rights_free(r);

    /* the file must have the roles the model's steps name */
    json_t *doc = json_loads(text, 0, NULL);
    char *bad = json_dumps(doc, 0);
    json_decref(doc);
    char *at;
    while ((at = strstr(bad, "\"approver\"")))
        memcpy(at, "\"approvex\"", 10);
    r = NULL;
    e = (struct err)ERR_INIT;
    assert_int_equal(rights_load(bad, strlen(bad), m, &r, &e), -1);
    assert_non_null(strstr(e.detail, "needs role 'approver'"));
    free(bad);
    model_free(m);

    /* and the roles that alone write a field (written_by, LC-05) */
    FILE *mf = fopen(MODEL_PATH, "rb");
    assert_non_null(mf);
    fseek(mf, 0, SEEK_END);
    long msize = ftell(mf);
    fseek(mf, 0, SEEK_SET);
    char *mtext = malloc((size_t)msize + 1);
    assert_int_equal(fread(mtext, 1, (size_t)msize, mf), (size_t)msize);
    mtext[msize] = '\0';
    fclose(mf);
    text = slurp(RIGHTS_PATH); /* the buffer it shares was read over since */
    char *wb = strstr(mtext, "\"written_by\": [");
    assert_non_null(wb);
    char *role = strchr(wb, '[');
    role = strchr(role, '"');
    const char *nobody = "\"nobody-at-all\"";
    size_t old_len = (size_t)(strchr(role + 1, '"') + 1 - role);
    size_t tail = strlen(role + old_len);
    char *mbad = malloc(strlen(mtext) + strlen(nobody) + 1);
    size_t head = (size_t)(role - mtext);
    memcpy(mbad, mtext, head);
    memcpy(mbad + head, nobody, strlen(nobody));
    memcpy(mbad + head + strlen(nobody), role + old_len, tail + 1);
    m = NULL;
    e = (struct err)ERR_INIT;
    assert_int_equal(model_load_buffer(mbad, strlen(mbad), &m, &e), 0);
    r = NULL;
    assert_int_equal(rights_load(text, strlen(text), m, &r, &e), -1);
    assert_non_null(strstr(e.detail, "needs role 'nobody-at-all'"));
    assert_non_null(strstr(e.detail, "field"));
    free(mbad);
    free(mtext);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_verify_roundtrip),
        cmocka_unit_test(test_workflow_step_roles),
        cmocka_unit_test(test_verify_without_stored_hash),
        cmocka_unit_test(test_hash_output_too_small),
        cmocka_unit_test(test_needs_rehash),
        cmocka_unit_test(test_hash_concurrent),
        cmocka_unit_test(test_policy_accepts),
        cmocka_unit_test(test_policy_length),
        cmocka_unit_test(test_policy_utf8),
        cmocka_unit_test(test_policy_classes),
        cmocka_unit_test(test_policy_email),
        cmocka_unit_test(test_policy_common),
        cmocka_unit_test(test_lockout_sequence),
        cmocka_unit_test(test_lockout_success_resets),
        cmocka_unit_test(test_lockout_expiry),
        cmocka_unit_test(test_lockout_full_of_old_failures),
        cmocka_unit_test(test_rate_window),
        cmocka_unit_test(test_rate_fractional_interval),
        cmocka_unit_test(test_eviction_oldest_activity),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_long_keys),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_roles_granted_with),
    };
    /* the lowest cost libsodium allows, for speed; one init for the run */
    return cmocka_run_group_tests(tests, setup_password, NULL);
}
