/* acct-dump: the account module's tables in `archportal export`, `import`
 * and `check` (a dump part, see registry/dump.h).
 *
 * Sessions are not carried: a restored portal asks everyone to sign in
 * again. Secrets stay hashed as they are stored, and no message holds a
 * usable one: a link is minted as its message is sent (messages.c). */
#include "account/internal.h"

#include "registry/dump.h"

#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct dump_col user_cols[] = {
    {"id", 's', true},           {"email", 's', true},       {"org", 's', true},
    {"roles", 's', true},        {"last_name", 's', true},   {"first_name", 's', true},
    {"patronymic", 's', false},  {"position", 's', false},   {"phone", 's', false},
    {"structural_unit", 's', false}, {"password_hash", 's', false}, {"status", 's', true},
    {"created_at", 't', true},   {"updated_at", 't', true},  {"lang", 's', false},
};
static const struct dump_col token_cols[] = {
    {"id", 's', true},           {"name", 's', true},        {"hash", 's', true},
    {"role", 's', true},         {"created_at", 't', true},  {"last_used_at", 't', false},
    {"revoked_at", 't', false},  {"user_id", 's', false},    {"scopes", 's', false},
};
static const struct dump_col link_cols[] = {
    {"hash", 's', true},       {"user_id", 's', true},    {"purpose", 's', true},
    {"created_at", 't', true}, {"expires_at", 't', true}, {"used_at", 't', false},
};
static const struct dump_col outbox_cols[] = {
    {"id", 'i', true},          {"created_at", 't', true},
    {"recipient", 's', true},   {"template", 's', true},
    {"subject", 's', true},     {"body", 's', true},
    {"sent_at", 't', false},    {"user_id", 's', false},
    {"attempts", 'i', false},   {"next_attempt_at", 't', false},
    {"last_error", 's', false}, {"link", 's', false},
    {"link_hash", 's', false},
};
static const struct dump_col inbox_cols[] = {
    {"id", 'i', true},           {"user_id", 's', true},  {"created_at", 't', true},
    {"template", 's', true},     {"subject", 's', true},  {"body", 's', true},
    {"subject_ref", 's', false}, {"read_at", 't', false},
};
static const struct dump_col obligation_cols[] = {
    {"id", 's', true},          {"policy", 's', true},       {"policy_value", 'i', true},
    {"subject", 's', true},     {"debtor_org", 's', false},  {"debtor_role", 's', false},
    {"started_at", 't', true},  {"due_at", 't', true},       {"done_at", 't', false},
    {"outcome", 's', false},
};
static const struct dump_col application_cols[] = {
    {"id", 's', true},          {"submitted_at", 't', true}, {"ip", 's', true},
    {"data", 'j', true},        {"status", 's', true},       {"decided_at", 't', false},
    {"decided_by", 's', false}, {"reason", 's', false},      {"user_id", 's', false},
    {"org", 's', false},        {"obligation_id", 's', true},  {"ref", 's', false},
    {"consent_version", 's', false}, {"consent_at", 't', false},
};
static const struct dump_col calendar_cols[] = {
    {"year", 'i', true},
    {"entries", 'j', true},
    {"updated_at", 't', true},
    {"updated_by", 's', true},
};

/* Users before what refers to them (tokens and links carry foreign keys). */
static const struct dump_table tables[] = {
    {"user", "users", "created_at, id", user_cols, N(user_cols)},
    {"token", "tokens", "created_at, id", token_cols, N(token_cols)},
    {"link", "links", "created_at, hash", link_cols, N(link_cols)},
    {"outbox", "outbox", "id", outbox_cols, N(outbox_cols)},
    {"inbox", "inbox", "id", inbox_cols, N(inbox_cols)},
    {"obligation", "obligations", "started_at, id", obligation_cols, N(obligation_cols)},
    {"application", "applications", "submitted_at, id", application_cols, N(application_cols)},
    {"calendar_year", "calendar_years", "year", calendar_cols, N(calendar_cols)},
};

/* Each query gives (entity, row name, what is wrong) per bad row. */
static const char *const rules[] = {
    "SELECT 'user', id, 'organization ''' || org || ''' does not exist' FROM users "
    "WHERE org <> '' AND NOT EXISTS (SELECT 1 FROM records r WHERE r.id = users.org AND "
    "r.kind = 'organization')",
    "SELECT 'user', id, 'status ''' || status || ''' is not invited, active or disabled' "
    "FROM users WHERE status NOT IN ('invited', 'active', 'disabled')",
    "SELECT 'user', id, 'active without a password' FROM users "
    "WHERE status = 'active' AND password_hash IS NULL",
    "SELECT 'user', id, 'e-mail is not in lower case' FROM users WHERE email <> lower(email)",
    "SELECT 'token', id, 'user ''' || user_id || ''' does not exist' FROM tokens "
    "WHERE user_id IS NOT NULL AND user_id NOT IN (SELECT id FROM users)",
    "SELECT 'token', id, 'scopes are not \"read\" or \"read write\"' FROM tokens "
    "WHERE scopes NOT IN ('read', 'read write')",
    "SELECT 'link', substr(hash, 1, 12), 'user ''' || user_id || ''' does not exist' FROM links "
    "WHERE user_id NOT IN (SELECT id FROM users)",
    "SELECT 'link', substr(hash, 1, 12), 'purpose is not activate or reset' FROM links "
    "WHERE purpose NOT IN ('activate', 'reset')",
    "SELECT 'outbox', CAST(id AS TEXT), 'user ''' || user_id || ''' does not exist' FROM outbox "
    "WHERE user_id IS NOT NULL AND user_id NOT IN (SELECT id FROM users)",
    "SELECT 'outbox', CAST(id AS TEXT), 'negative attempts' FROM outbox WHERE attempts < 0",
    "SELECT 'outbox', CAST(id AS TEXT), 'sent before it was made' FROM outbox "
    "WHERE sent_at < created_at",
    "SELECT 'inbox', CAST(id AS TEXT), 'user ''' || user_id || ''' does not exist' FROM inbox "
    "WHERE user_id NOT IN (SELECT id FROM users)",
    "SELECT 'inbox', CAST(id AS TEXT), 'read before it arrived' FROM inbox "
    "WHERE read_at < created_at",
    "SELECT 'obligation', id, 'organization ''' || debtor_org || ''' does not exist' "
    "FROM obligations WHERE debtor_org IS NOT NULL AND NOT EXISTS (SELECT 1 FROM records r "
    "WHERE r.id = obligations.debtor_org AND r.kind = 'organization')",
    "SELECT 'obligation', id, 'owed by nobody (no organization, no role)' FROM obligations "
    "WHERE debtor_org IS NULL AND debtor_role IS NULL",
    "SELECT 'obligation', id, 'negative policy value' FROM obligations WHERE policy_value < 0",
    "SELECT 'obligation', id, 'due before it started' FROM obligations WHERE due_at < started_at",
    "SELECT 'application', id, 'status ''' || status || ''' is not pending, granted or "
    "refused' FROM applications WHERE status NOT IN ('pending', 'granted', 'refused')",
    "SELECT 'application', id, 'obligation ''' || obligation_id || ''' does not exist' "
    "FROM applications WHERE obligation_id NOT IN (SELECT id FROM obligations)",
    "SELECT 'application', id, 'granted to no existing user' FROM applications "
    "WHERE status = 'granted' AND (user_id IS NULL OR user_id NOT IN (SELECT id FROM users))",
    "SELECT 'application', id, 'refused without a reason' FROM applications "
    "WHERE status = 'refused' AND reason IS NULL",
    "SELECT 'application', id, 'decided without a time' FROM applications "
    "WHERE status <> 'pending' AND decided_at IS NULL",
    "SELECT 'application', id, 'the form is not a JSON object' FROM applications "
    "WHERE json_valid(data) = 0 OR json_type(data) <> 'object'",
};

/* What needs the rights table, the model or the calendar. */
static void check_values(struct accounts *ac, struct store_conn *c, struct dump_report *rep)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(c, "SELECT id, email, roles FROM users", false, &e);
    while (st && store_step(st, &e) == STORE_ROW) {
        uint32_t roles;
        if (!model_email_valid(store_col_text(st, 1)))
            dump_problem(rep, "user %s: the e-mail is not an e-mail address", store_col_text(st, 0));
        if (rights_roles_parse(ac->rights, store_col_text(st, 2), &roles) < 0)
            dump_problem(rep, "user %s: roles '%.100s' are not all known roles",
                         store_col_text(st, 0), store_col_text(st, 2));
    }
    store_finalize(st);
    st = store_prepare(c, "SELECT id, policy, debtor_role FROM obligations", false, &e);
    while (st && store_step(st, &e) == STORE_ROW) {
        if (!model_policy(ac->model, store_col_text(st, 1)))
            dump_problem(rep, "obligation %s: policy '%.60s' is not in the metamodel",
                         store_col_text(st, 0), store_col_text(st, 1));
        if (!store_col_null(st, 2) && rights_role_index(ac->rights, store_col_text(st, 2)) < 0)
            dump_problem(rep, "obligation %s: role '%.60s' is not known", store_col_text(st, 0),
                         store_col_text(st, 2));
    }
    store_finalize(st);
    st = store_prepare(c, "SELECT year, entries FROM calendar_years", false, &e);
    while (st && store_step(st, &e) == STORE_ROW) {
        int year = (int)store_col_int64(st, 0);
        json_t *entries = json_loads(store_col_text(st, 1), 0, NULL);
        struct err ce = ERR_INIT;
        if (!entries || calsvc_check_year(ac->cal, year, entries, &ce) < 0)
            dump_problem(rep, "calendar year %d: %s", year,
                         entries ? ce.detail : "the entries are not JSON");
        json_decref(entries);
    }
    store_finalize(st);
    if (e.status)
        dump_problem(rep, "accounts: cannot check: %s", e.detail);
}

static void check_part(void *ctx, struct store_conn *c, struct dump_report *rep)
{
    check_values(ctx, c, rep);
}

void acct_dump_register(struct accounts *ac)
{
    ac->dump_part = (struct dump_part){tables, N(tables), rules, N(rules), ac, check_part, NULL};
    dump_add_part(ac->reg, &ac->dump_part);
}
