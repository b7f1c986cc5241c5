/* Private to the account module. */
#ifndef AP_ACCOUNT_INTERNAL_H
#define AP_ACCOUNT_INTERNAL_H

#include "account/account.h"
#include "auth/authz.h"
#include "auth/throttle.h"
#include "registry/dump.h"
#include "web/i18n.h"

struct accounts {
    struct registry *reg;
    struct store *store;
    const struct model *model;
    const struct rights *rights;
    struct calsvc *cal;
    struct accounts_config cfg;
    struct throttle *logins;       /* per e-mail: lockout with back-off */
    struct throttle *ips;          /* per IP: sign-in attempts */
    struct throttle *applications; /* per IP: submitted applications */
    struct dump_part dump_part;    /* our tables in export, import, check */
};

/* Declares the module's tables to export, import and check (acct-dump.c). */
void acct_dump_register(struct accounts *ac);

void acct_now(char out[32]);
/* Runs one write: fn inside a group-commit transaction. */
typedef int (*acct_write_fn)(struct accounts *ac, struct store_conn *c, void *ctx,
                             struct err *e);
int acct_write(struct accounts *ac, acct_write_fn fn, void *ctx, struct err *e);
/* A random secret (32 bytes, base64url, 43 chars) and its SHA-256 hex. */
void acct_secret(char secret[48], char hash[65]);
/* Appends an audit entry whose before/after are JSON values (may be NULL). */
int acct_audit(struct store_conn *c, const char *now, const struct actor *by, const char *action,
               const char *collection, const char *id, const json_t *before,
               const json_t *after, struct err *e);
/* Lower-cases the ASCII of an e-mail address into out (the login). */
void acct_email_norm(const char *in, char *out, size_t n);
/* «The organisation's name» in lang (registry_name_in), or its id. */
void acct_org_name(struct store_conn *c, const char *org, const char *lang, char *out, size_t n);
/* The user with this e-mail (any case) and its password hash ("" when
 * none): 1 found, 0 not, -1 error. */
int user_load_for_login(struct accounts *ac, const char *email, json_t **user, char *pw,
                        size_t pw_n, struct err *e);
int user_load_by_id(struct accounts *ac, struct store_conn *c, const char *id, json_t **user,
                    struct err *e);
/* 0 when `by` may give every role of the set (each role's granted_with,
 * from the rights file, held on every organisation); else -1 with e 403
 * naming the first role it may not give. */
int acct_roles_grantable(struct accounts *ac, const struct actor *by, uint32_t roles,
                         struct err *e);
/* Fills an actor from a user row. */
void acct_actor_of_user(struct accounts *ac, const json_t *user, struct actor *out);

#endif
