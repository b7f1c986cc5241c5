/* account: users, sign-in sessions, one-time links, messages (each user's
 * inbox and the outbox of e-mail), account applications (REQ ACC-01,
 * ACC-02) and obligations with deadlines in working days (REQ X-POL-01,
 * X-CAL-01).
 *
 * Every change is one transaction with its audit entry (collection
 * "users", "account-applications", "obligations", "calendar"); secrets
 * (session cookies, link secrets, tokens) are stored only as SHA-256
 * hashes, passwords only as Argon2id hashes. */
#ifndef AP_ACCOUNT_H
#define AP_ACCOUNT_H

#include "auth/actor.h"
#include "auth/rights.h"
#include "calendar/calsvc.h"
#include "registry/registry.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct accounts_config {
    int64_t session_idle_ms;     /* default 30 minutes */
    int64_t session_absolute_ms; /* default 12 hours */
    int64_t activation_ttl_ms;   /* default 72 hours */
    int64_t reset_ttl_ms;        /* default 1 hour */
    const char *public_url;      /* base of the links in messages */
    unsigned applications_per_hour; /* per IP, default 5 */
    /* Sign-in attempts from all addresses together that may reach password
     * hashing, per minute (default 300, in bursts of at most a sixth of
     * it): beyond it sign-ins get 503 before any hashing, whatever the
     * per-address lockout says. It caps the processor time a flood from
     * many addresses can spend on hashing (5 a second: about half a core
     * at the default cost, on a pool that yields to reads). */
    unsigned logins_per_minute;
};
void accounts_config_defaults(struct accounts_config *c);

struct accounts;
struct accounts *accounts_new(struct registry *reg, struct calsvc *cal,
                              const struct accounts_config *cfg);
void accounts_free(struct accounts *ac);
const struct rights *accounts_rights(const struct accounts *ac);

/* ---- users ---------------------------------------------------------------- */

/* Creates a user from {email, org, roles:[..], last_name, first_name,
 * patronymic?, position?, phone?, structural_unit?, lang?} (lang: the
 * language of their messages and of the activation link's page). With a password (the
 * CLI) the user is active at once; without, the user is "invited" and an
 * activation link goes to the outbox. Needs users-manage (or a system
 * actor). 409 when the e-mail is taken. */
int user_create(struct accounts *ac, const struct actor *by, const json_t *in,
                const char *password, json_t **out, struct err *e);
/* Within the caller's write transaction (used by grant). Without a
 * password, the activation message waits in the outbox, its link minted
 * as it is sent. */
int user_create_in_tx(struct accounts *ac, struct store_conn *c, const struct actor *by,
                      const json_t *in, const char *password, json_t **out, struct err *e);
int user_get(struct accounts *ac, const struct actor *by, const char *id, json_t **out,
             struct err *e);
/* {"items":[user...]}: every user (users-manage), optionally of one org. */
int user_list(struct accounts *ac, const struct actor *by, const char *org, json_t **out,
              struct err *e);
/* Changes roles, org, status ("active" | "disabled") or the person's
 * details. Rights changes are audited and end the user's sessions. Nobody
 * changes their own roles or status. */
int user_update(struct accounts *ac, const struct actor *by, const char *id, const json_t *patch,
                json_t **out, struct err *e);

/* ---- sign-in ------------------------------------------------------------------ */

/* Checks e-mail and password and opens a session: *cookie gets the new
 * session's secret (malloc'd), *me the user with "csrf_token". Any session
 * named by old_cookie is ended (no fixation). 401 "invalid-credentials"
 * for every kind of failure (no enumeration), 429 "locked" with
 * *retry_after_s during a lockout. */
int session_login(struct accounts *ac, const char *email, const char *password,
                  const char *ip, const char *old_cookie, char **cookie, json_t **me,
                  int64_t *retry_after_s, struct err *e);
/* Resolves a session cookie to an actor (and its CSRF token, 44 bytes).
 * 401 when unknown, idle too long, past its absolute expiry, or the user
 * is no longer active. */
int session_resolve(struct accounts *ac, const char *cookie, struct actor *out, char csrf[64],
                    struct err *e);
/* Ends this session, or (everywhere) all sessions of its user. */
int session_logout(struct accounts *ac, const char *cookie, bool everywhere, struct err *e);
/* {"user":{...},"csrf_token"?} for GET /api/v1/me. */
int session_me(struct accounts *ac, const struct actor *a, json_t **out, struct err *e);

/* Uses a one-time link (activation or reset) to set the password: 410
 * "link-used" / "link-expired", 404 unknown, 422 weak password. The new
 * password spends every link of the user, ends every session and revokes
 * every API token. Hashes (Argon2id) before its write, not inside it. */
int link_use(struct accounts *ac, const char *secret, const char *password, struct err *e);
/* Queues a reset message for the address, whether or not it has an
 * account (the same work and answer either way: 429 past the per-address
 * rate); its sender mints a link for the address's active user, or sends
 * nothing (messages.c). */
int password_reset_request(struct accounts *ac, const char *email, const char *ip, struct err *e);

/* ---- messages: the inbox and the outbox (messages.c) ------------------------ */

/* A message to a person. It goes to the outbox, from where notify/ sends
 * it by e-mail; with `inbox` it also goes to the user's inbox in the
 * portal. Links that set a password (activation, reset) go to the outbox
 * only: an inbox is no use to someone who cannot sign in. */
struct acct_msg {
    const char *user_id; /* the user it is for; NULL for a plain address (an applicant) */
    const char *to;      /* e-mail address */
    const char *tmpl;    /* what kind: activate, reset, record-returned, reminder … */
    const char *subject; /* kept as one line: control characters become spaces */
    const char *body;    /* plain text, lines end in LF */
    const char *ref;     /* what it is about: a record id or an obligation id, or NULL */
    bool inbox;          /* also into the user's inbox (needs user_id) */
    /* A one-time link ("activate" or "reset") that the sender mints as it
     * sends, written where the body has ACCT_LINK_MARK: the stored message
     * never holds a usable secret. "activate" is for user_id (still
     * invited); "reset" for the active user whose address is `to`, if
     * there is one: otherwise nothing is sent. Not with inbox. */
    const char *link;
};
/* Where a message's minted link goes in its stored body. */
#define ACCT_LINK_MARK "{link}"
/* Stores the message inside the caller's write transaction: the one way
 * every message is made. Sending is due at once (next_attempt_at = now). */
int accounts_message(struct store_conn *c, const char *now, const struct acct_msg *m,
                     struct err *e);

/* {"items":[{id, created_at, recipient, user_id, template, subject, body,
 * sent_at, attempts, next_attempt_at, last_error}]}, newest first, at most
 * 500 (users-manage or applications-decide). */
int outbox_list(struct accounts *ac, const struct actor *by, json_t **out, struct err *e);

/* The signed-in user's inbox, newest first: {"items":[{id, created_at,
 * template, subject, body, subject_ref, read_at}], "unread": N} with at
 * most `limit` (1..500) messages whose id is below `before` (0: no
 * bound), only unread ones with unread_only. 401 for an actor who is not
 * a user. */
int inbox_list(struct accounts *ac, const struct actor *by, bool unread_only, int64_t before,
               int limit, json_t **out, struct err *e);
/* Marks one of the user's own messages read (the first reading's time is
 * kept); *out the message. 404 for a message that is not the user's. */
int inbox_read(struct accounts *ac, const struct actor *by, int64_t id, json_t **out,
               struct err *e);

/* A message the sender took from the outbox (outbox_claim). */
struct outbox_msg {
    int64_t id;
    int64_t attempts; /* tries before this one */
    char created_at[32];
    char *to, *subject, *body; /* malloc'd */
};
/* Takes up to max messages due at due_ms (not sent, next attempt at or
 * before due_ms), oldest first, and moves their next attempt to
 * lease_until_ms in the same write, so that no other sender (the server's
 * thread, `archportal notify send`) takes them meanwhile; if this one
 * dies, they are due again when the lease ends. *out (free with
 * outbox_msgs_free) and *n. */
int outbox_claim(struct accounts *ac, int64_t due_ms, int64_t lease_until_ms, size_t max,
                 struct outbox_msg **out, size_t *n, struct err *e);
void outbox_msgs_free(struct outbox_msg *m, size_t n);
/* Records a try: sent (error NULL: sent_at = now_ms) or failed (error
 * kept, next try at next_ms). Either way attempts grows by one. */
int outbox_record(struct accounts *ac, int64_t id, int64_t now_ms, const char *error,
                  int64_t next_ms, struct err *e);
/* Gives back a claimed message that was not tried: due again at once. */
int outbox_release(struct accounts *ac, int64_t id, struct err *e);
/* Messages not sent yet. */
int outbox_waiting(struct accounts *ac, int64_t *n, struct err *e);

/* ---- personal API tokens ------------------------------------------------------ */

/* A token is "apt_" + 43 base64url characters (32 random bytes); only its
 * SHA-256 is stored. It acts as its user with the user's current roles,
 * limited by its scopes ("read", "write"). *plain gets the secret
 * (malloc'd), shown once; *out the token's metadata. The user is `by`
 * itself, or anyone for a users manager (and the CLI). */
int token_create(struct accounts *ac, const struct actor *by, const char *user_id,
                 const char *name, const json_t *scopes, char **plain, json_t **out,
                 struct err *e);
/* {"items":[{id, name, scopes, created_at, last_used_at, revoked_at}]}. */
int token_list(struct accounts *ac, const struct actor *by, const char *user_id, json_t **out,
               struct err *e);
int token_revoke(struct accounts *ac, const struct actor *by, const char *user_id,
                 const char *token_id, struct err *e);
/* Resolves a bearer token to its user as an actor: 401 for an unknown,
 * malformed or revoked token or a user no longer active. */
int token_authenticate(struct accounts *ac, const char *plain, struct actor *out,
                       struct err *e);
/* The id of the user with this e-mail (for the CLI): 0, or -1 with 404. */
int user_id_by_email(struct accounts *ac, const char *email, char id[40], struct err *e);

/* ---- account applications (REQ ACC-01, ACC-02) ------------------------------- */

/* The version of the consent to the processing of personal data that the
 * application form shows (its text is the pages' msgid "I consent to the
 * processing of my personal data…" and the privacy statement): an
 * application names the version agreed to in "personal_data_consent".
 * Change it whenever that text changes. */
#define APPLICATION_CONSENT_VERSION "pd-consent-2026-12"

/* Anyone: validates the Appendix 2 form field by field (with the consent
 * to the processing of personal data, required, and the organisation
 * either picked from the registry, "organization", or named) and stores it
 * with its obligation (the integrator's decision, 1 working day) and a
 * reference number, which is mailed to the applicant. 429 when the IP has
 * sent too many. *out: {id, ref, status, submitted_at, due_at}. */
int application_submit(struct accounts *ac, const json_t *form, const char *ip, json_t **out,
                       int64_t *retry_after_s, struct err *e);
/* The id of the service integrator's organisation (who decides the
 * applications) into out, "" when none is registered. */
int accounts_integrator_org(struct accounts *ac, char *out, size_t n, struct err *e);
/* applications-decide: {"items":[application + due_at, overdue]}; status
 * "pending" (default), "granted", "refused" or "all". */
int application_list(struct accounts *ac, const struct actor *by, const char *status,
                     json_t **out, struct err *e);
int application_get(struct accounts *ac, const struct actor *by, const char *id, json_t **out,
                    struct err *e);
/* Grants: body {"organization": id} or {"new_organization": {record}},
 * and "roles": [..] (default the requested access, else owner-editor).
 * Creates the user (invited, activation link in the outbox) and closes
 * the obligation. 409 when already decided. */
int application_grant(struct accounts *ac, const struct actor *by, const char *id,
                      const json_t *body, json_t **out, struct err *e);
/* Refuses with {"reason": text} (required). */
int application_refuse(struct accounts *ac, const struct actor *by, const char *id,
                       const json_t *body, json_t **out, struct err *e);

/* ---- obligations ------------------------------------------------------------- */

/* The subject of obligations about a record: "<collection>/<id>". */
void obligation_subject(const char *collection, const char *id, char *out, size_t n);
/* Opens an obligation inside the caller's write transaction: who owes
 * (debtor_org and/or debtor_role) what (policy) about subject, from
 * start_ms; the due instant comes from the policy value in force on the
 * start's local date and the working-day calendar. */
int obligation_open(struct accounts *ac, struct store_conn *c, const char *policy,
                    const char *subject, const char *debtor_org, const char *debtor_role,
                    int64_t start_ms, char id[37], char due[32], struct err *e);
/* Closes the open obligations of subject (under policy; NULL: every
 * policy) with an outcome. */
int obligation_close(struct store_conn *c, const char *subject, const char *policy,
                     const char *outcome, const char *now, struct err *e);
/* Is an obligation due at `due`, done at `done` (NULL: not yet) overdue at
 * `now`? (All canonical RFC 3339 instants.) */
bool obligation_overdue(const char *due, const char *done, const char *now);
/* Every obligation about subject, oldest first, as obligation_list gives
 * them (new array), for whoever may read the subject. */
int obligations_about(struct accounts *ac, const char *subject, json_t **items, struct err *e);

/* Sends a message (accounts_message, inbox and outbox) to every active
 * user of org (NULL: of any organisation) holding role (NULL: any role),
 * inside the caller's write transaction; org and role are not both NULL.
 * ref: what it is about (a record or obligation id, or NULL). *n (may be
 * NULL) gets how many users it went to. */
/* A message said in each of the portal's languages (indexed by
 * web/i18n.h's enum lang: kk, ru, en); each recipient gets the one of
 * their language (users.lang), never the three run together. */
struct acct_texts {
    const char *subject[3];
    const char *body[3];
};
int accounts_notify(struct accounts *ac, struct store_conn *c, const char *org, const char *role,
                    const char *tmpl, const struct acct_texts *t, const char *ref, int *n,
                    struct err *e);
/* The language of a user's messages from its code (users.lang, an
 * application's "lang"): kk when NULL or unknown. */
int accounts_lang(const char *code);
/* Remembers the language a user signed in with (their messages' from now
 * on): "kk", "ru" or "en"; others are ignored. */
int user_set_lang(struct accounts *ac, const char *user_id, const char *lang, struct err *e);

/* {"items":[{id, policy, policy_value, subject, debtor_org, debtor_role,
 * started_at, due_at, done_at, outcome, overdue}]}. Filters: org, role,
 * state ("open", "done", "overdue", "all"). Without obligations-read on
 * every organisation, only the actor's own organisation's. */
int obligation_list(struct accounts *ac, const struct actor *by, const char *org,
                    const char *role, const char *state, json_t **out, struct err *e);

#endif
