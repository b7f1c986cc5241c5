/* password: the password policy and Argon2id hashing (libsodium) for portal
 * accounts. Hashing is deliberately expensive (64 MiB per hash at the
 * default cost), so the number of hashes running at once is bounded; callers
 * beyond the bound wait their turn. All functions are thread-safe once
 * password_init has returned. */
#ifndef AP_PASSWORD_H
#define AP_PASSWORD_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MIN_BYTES 12
#define PASSWORD_MAX_BYTES 128

/* Call once at start, before other threads use this module (calls
 * sodium_init; aborts if it fails). Sets the Argon2id cost: opslimit and
 * memlimit (0 picks crypto_pwhash_OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE)
 * and the number of hashes that may run at once (0 picks 2). A test build may
 * lower the cost. Aborts on limits libsodium refuses. Allocates nothing
 * (a hash's memory is taken only while it runs). */
void password_init(unsigned long long opslimit, size_t memlimit, unsigned max_parallel);

/* Policy check for a new password: 12..128 bytes of valid UTF-8; at least 3
 * of the 4 classes lower-case ASCII, upper-case ASCII, digit, other (any
 * non-ASCII character, Kazakh and Russian letters included, counts as
 * "other"); not containing the local part of email (case-insensitive, only
 * when that part has 3 or more characters; email may be NULL); not one of a
 * short built-in list of common passwords (case-insensitive). Returns 0, or
 * -1 with e = 422 "weak-password", field "password", detail naming the rule. */
int password_policy_check(const char *password, const char *email, struct err *e);

/* Argon2id hash string of password (crypto_pwhash_str) into out, which needs
 * crypto_pwhash_STRBYTES bytes. Returns 0, or -1 with e (500) when out is too
 * small or hashing fails (out of memory). Waits for a free hashing slot. */
int password_hash(const char *password, char out[], size_t out_len, struct err *e);

/* True when password matches stored (crypto_pwhash_str_verify). stored ==
 * NULL (unknown user, or no password set yet) does the same work (hashes the
 * password at the same cost) and returns false, so that timing does not
 * reveal whether the user exists. A NULL password never matches. Waits for a free hashing slot. */
bool password_verify(const char *password, const char *stored);

/* True when stored was made with other cost parameters than the current ones
 * (crypto_pwhash_str_needs_rehash) or is not a hash string we can read; the
 * caller then stores a fresh hash after a successful verify. False for NULL. */
bool password_needs_rehash(const char *stored);

#endif
