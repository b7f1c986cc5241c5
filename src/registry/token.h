/* token: personal API tokens. A token is "apt_" + 43 base64url characters
 * (32 random bytes); only its SHA-256 is stored. Creation is audited. */
#ifndef AP_TOKEN_H
#define AP_TOKEN_H

#include "registry.h"

/* Roles a token may carry (rights per role arrive with accounts). */
bool token_role_valid(const char *role);

/* Creates a token; *plain gets the secret (malloc'd), shown once. */
int token_create(struct store *s, const struct actor *by, const char *name, const char *role,
                 char **plain, struct err *e);

/* Resolves "Bearer <token>" material to an actor. 401 "unauthorized" for an
 * unknown, malformed or revoked token. */
int token_authenticate(struct store *s, const char *plain, struct actor *out, struct err *e);

#endif
