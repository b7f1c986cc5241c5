/* rights: loads the rights file and compiles its grants into a table
 * allow[role][action][kind] of two bits (own, other). */
#include "auth/rights.h"

#include "util/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOW_OWN 1u
#define ALLOW_OTHER 2u
#define ROLE_ID_MAX 40

static const char *const ACTION_IDS[RA_N] = {
    "read-restricted", "read-unpublished",    "create",       "update",
    "retire",          "submit",              "verify",       "read-restricted-documents",
    "decide-inclusion", "applications-decide",
    "users-manage",    "calendar-edit",       "obligations-read", "metrics-read",
    "rules-report",    "architecture-interchange",
};

struct rights {
    struct arena *arena;
    const struct model *model;
    size_t n_roles, n_kinds; /* kinds: the model's, plus one slot for system actions */
    const char **role_ids;
    enum rights_action *granted_with; /* per role: what giving it takes */
    json_t *roles_doc, *actions_doc;
    uint8_t *allow; /* [role][action][kind] */
};

const char *rights_role_label_in(const struct rights *r, const char *id, const char *lang)
{
    const json_t *label = json_object_get(json_object_get(r->roles_doc, id), "label");
    const char *s = json_string_value(json_object_get(label, lang));
    return s && *s ? s : id;
}

const char *rights_action_id(enum rights_action a)
{
    return a < RA_N ? ACTION_IDS[a] : "";
}

bool rights_action_is_system(enum rights_action a)
{
    return a >= RA_APPLICATIONS;
}

static uint8_t *cell(const struct rights *r, size_t role, size_t action, size_t kind)
{
    return &r->allow[(role * RA_N + action) * r->n_kinds + kind];
}

/* ---- loading -------------------------------------------------------------- */

struct rloader {
    struct rights *r;
    struct err *e;
};

static int fail(struct rloader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct rloader *ld, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(ld->e, 500, "invalid-rights", "", "%s", msg);
    return -1;
}

static bool label_ok(const json_t *v)
{
    const json_t *l = json_object_get(v, "label");
    if (!json_is_object(l) || json_object_size(l) != 3 || json_object_size(v) != 1)
        return false;
    const char *langs[] = {"kk", "ru", "en"};
    for (size_t i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(l, langs[i]));
        if (!s || !*s)
            return false;
    }
    return true;
}

static bool role_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ROLE_ID_MAX || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

static int load_roles(struct rloader *ld, const json_t *roles)
{
    struct rights *r = ld->r;
    if (!json_is_object(roles) || json_object_size(roles) == 0)
        return fail(ld, "roles: must be a non-empty object");
    if (json_object_size(roles) > RIGHTS_MAX_ROLES)
        return fail(ld, "roles: at most %d roles", RIGHTS_MAX_ROLES);
    r->role_ids = arena_calloc(r->arena, json_object_size(roles), sizeof *r->role_ids);
    r->granted_with = arena_calloc(r->arena, json_object_size(roles), sizeof *r->granted_with);
    const char *id;
    json_t *v;
    json_object_foreach((json_t *)roles, id, v)
    {
        if (!role_id_ok(id))
            return fail(ld, "roles.%s: a role id is 1..%d of a-z, 0-9 and '-'", id, ROLE_ID_MAX);
        json_t *label_only = json_pack("{s:O?}", "label", json_object_get(v, "label"));
        bool ok = json_is_object(v) && label_ok(label_only);
        json_decref(label_only);
        if (!ok)
            return fail(ld, "roles.%s: must be {\"label\":{\"kk\",\"ru\",\"en\"}, "
                            "\"granted_with\": a system action}", id);
        const char *key;
        json_t *kv;
        json_object_foreach(v, key, kv)
        {
            if (strcmp(key, "label") && strcmp(key, "granted_with"))
                return fail(ld, "roles.%s.%s: unknown key", id, key);
        }
        /* who may give the role: those who hold this system action on
         * every organisation (REQ ROL-01..04: owners are granted by the
         * integrator, the other roles by administrators) */
        const char *gw = json_string_value(json_object_get(v, "granted_with"));
        int ai = -1;
        for (int a = 0; gw && a < RA_N; a++)
            if (strcmp(gw, ACTION_IDS[a]) == 0)
                ai = a;
        if (ai < 0 || !rights_action_is_system((enum rights_action)ai))
            return fail(ld, "roles.%s.granted_with: must name a system action (e.g. "
                            "\"users-manage\")", id);
        r->granted_with[r->n_roles] = (enum rights_action)ai;
        r->role_ids[r->n_roles++] = arena_strdup(r->arena, id);
    }
    r->roles_doc = json_incref((json_t *)roles);
    return 0;
}

static int load_actions(struct rloader *ld, const json_t *actions)
{
    if (!json_is_object(actions))
        return fail(ld, "actions: must be an object");
    const char *id;
    json_t *v;
    json_object_foreach((json_t *)actions, id, v)
    {
        bool known = false;
        for (size_t i = 0; i < RA_N; i++)
            known = known || strcmp(id, ACTION_IDS[i]) == 0;
        if (!known)
            return fail(ld, "actions.%s: unknown action", id);
        if (!label_ok(v))
            return fail(ld, "actions.%s: must be {\"label\":{\"kk\",\"ru\",\"en\"}}", id);
    }
    for (size_t i = 0; i < RA_N; i++)
        if (!json_object_get(actions, ACTION_IDS[i]))
            return fail(ld, "actions: '%s' is missing", ACTION_IDS[i]);
    ld->r->actions_doc = json_incref((json_t *)actions);
    return 0;
}

/* Marks the kinds a "kinds" entry names in `sel`. */
static int select_kinds(struct rloader *ld, const char *entry, const char *path, bool *sel)
{
    const struct model *m = ld->r->model;
    size_t n = model_n_kinds(m), hits = 0;
    const char *coll = strncmp(entry, "collection:", 11) == 0 ? entry + 11 : NULL;
    if (coll && !model_collection(m, coll))
        return fail(ld, "%s: unknown collection '%s'", path, coll);
    for (size_t k = 0; k < n; k++) {
        const struct model_kind *kind = model_kind_at(m, k);
        bool hit = strcmp(entry, "*") == 0 || strcmp(entry, kind->id) == 0 ||
                   (coll && strcmp(coll, kind->collection) == 0);
        sel[k] = sel[k] || hit;
        hits += hit;
    }
    return hits || coll ? 0 : fail(ld, "%s: unknown kind '%s'", path, entry);
}

static int load_grant_lists(struct rloader *ld, const json_t *g, const char *path, bool *roles,
                            bool *actions, bool *kinds, bool *has_record, bool *has_system)
{
    const json_t *rl = json_object_get(g, "roles"), *al = json_object_get(g, "actions");
    const json_t *kl = json_object_get(g, "kinds");
    if (!json_is_array(rl) || !json_array_size(rl))
        return fail(ld, "%s.roles: must be a non-empty array", path);
    if (!json_is_array(al) || !json_array_size(al))
        return fail(ld, "%s.actions: must be a non-empty array", path);
    for (size_t i = 0; i < json_array_size(rl); i++) {
        const char *id = json_string_value(json_array_get(rl, i));
        int ri = id ? rights_role_index(ld->r, id) : -1;
        if (ri < 0)
            return fail(ld, "%s.roles[%zu]: unknown role '%s'", path, i, id ? id : "(not a string)");
        roles[ri] = true;
    }
    for (size_t i = 0; i < json_array_size(al); i++) {
        const char *id = json_string_value(json_array_get(al, i));
        size_t a = 0;
        while (a < RA_N && (!id || strcmp(id, ACTION_IDS[a]) != 0))
            a++;
        if (a == RA_N)
            return fail(ld, "%s.actions[%zu]: unknown action '%s'", path, i,
                        id ? id : "(not a string)");
        actions[a] = true;
        *(rights_action_is_system(a) ? has_system : has_record) = true;
    }
    if (*has_record && *has_system)
        return fail(ld, "%s.actions: record and system actions go in separate grants", path);
    if (*has_system && kl)
        return fail(ld, "%s.kinds: system actions take no kinds", path);
    if (*has_record && (!json_is_array(kl) || !json_array_size(kl)))
        return fail(ld, "%s.kinds: record actions need a non-empty array of kinds", path);
    for (size_t i = 0; kl && i < json_array_size(kl); i++) {
        const char *k = json_string_value(json_array_get(kl, i));
        char kp[96];
        snprintf(kp, sizeof kp, "%s.kinds[%zu]", path, i);
        if (!k)
            return fail(ld, "%s: must be a string", kp);
        if (select_kinds(ld, k, kp, kinds) < 0)
            return -1;
    }
    return 0;
}

static int load_grant(struct rloader *ld, const json_t *g, size_t gi)
{
    struct rights *r = ld->r;
    char path[32];
    snprintf(path, sizeof path, "grants[%zu]", gi);
    if (!json_is_object(g))
        return fail(ld, "%s: must be an object", path);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)g, key, v)
    {
        if (strcmp(key, "roles") && strcmp(key, "actions") && strcmp(key, "kinds") &&
            strcmp(key, "scope"))
            return fail(ld, "%s.%s: unknown key", path, key);
    }
    const char *scope = json_string_value(json_object_get(g, "scope"));
    if (!scope || (strcmp(scope, "own") && strcmp(scope, "any")))
        return fail(ld, "%s.scope: must be \"own\" or \"any\"", path);
    bool roles[RIGHTS_MAX_ROLES] = {false}, actions[RA_N] = {false};
    bool *kinds = xcalloc(r->n_kinds, sizeof *kinds);
    bool has_record = false, has_system = false;
    int rc = load_grant_lists(ld, g, path, roles, actions, kinds, &has_record, &has_system);
    if (has_system)
        kinds[r->n_kinds - 1] = true;
    uint8_t bits = strcmp(scope, "own") == 0 ? ALLOW_OWN : ALLOW_OWN | ALLOW_OTHER;
    for (size_t ro = 0; rc == 0 && ro < r->n_roles; ro++)
        for (size_t a = 0; roles[ro] && a < RA_N; a++)
            for (size_t k = 0; actions[a] && k < r->n_kinds; k++)
                if (kinds[k])
                    *cell(r, ro, a, k) |= bits;
    free(kinds);
    return rc;
}

static int load_doc(struct rloader *ld, const json_t *root)
{
    if (!json_is_object(root))
        return fail(ld, "the rights file must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        if (strcmp(key, "description") && strcmp(key, "roles") && strcmp(key, "actions") &&
            strcmp(key, "grants"))
            return fail(ld, "%s: unknown key", key);
    }
    if (load_roles(ld, json_object_get(root, "roles")) < 0 ||
        load_actions(ld, json_object_get(root, "actions")) < 0)
        return -1;
    struct rights *r = ld->r;
    r->n_kinds = model_n_kinds(r->model) + 1;
    r->allow = arena_calloc(r->arena, r->n_roles * RA_N * r->n_kinds, 1);
    const json_t *grants = json_object_get(root, "grants");
    if (!json_is_array(grants))
        return fail(ld, "grants: must be an array");
    for (size_t i = 0; i < json_array_size(grants); i++)
        if (load_grant(ld, json_array_get(grants, i), i) < 0)
            return -1;
    return 0;
}

/* The roles the model's workflows make debtors, or let take a transition
 * (`by`), must exist here. */
static int check_workflow_roles(struct rights *r, struct err *e)
{
    for (size_t i = 0; i < model_n_workflows(r->model); i++) {
        const struct model_workflow *w = model_workflow_at(r->model, i);
        for (size_t t = 0; t < w->n_transitions; t++) {
            const struct model_wf_transition *tr = &w->transitions[t];
            /* its debtors, then those who may take it */
            for (size_t d = 0; d < tr->n_opens + tr->n_by; d++) {
                const char *role =
                    d < tr->n_opens ? tr->opens[d].debtor_role : tr->by[d - tr->n_opens];
                if (role && rights_role_index(r, role) < 0) {
                    err_set(e, 500, "invalid-rights", "roles",
                            "roles: the model's workflow '%s' (transition '%s') needs role '%s'",
                            w->id, tr->id, role);
                    return -1;
                }
            }
        }
        for (size_t s = 0; s < w->n_states; s++) /* those who edit in a locked state */
            for (size_t d = 0; d < w->states[s].n_edit_by; d++)
                if (rights_role_index(r, w->states[s].edit_by[d]) < 0) {
                    err_set(e, 500, "invalid-rights", "roles",
                            "roles: the model's workflow '%s' (state '%s') needs role '%s'", w->id,
                            w->states[s].id, w->states[s].edit_by[d]);
                    return -1;
                }
    }
    /* and those who alone write a field (`written_by`) */
    for (size_t i = 0; i < model_n_kinds(r->model); i++) {
        const struct model_kind *k = model_kind_at(r->model, i);
        for (size_t f = 0; f < k->n_fields; f++)
            for (size_t d = 0; d < k->fields[f].n_written_by; d++)
                if (rights_role_index(r, k->fields[f].written_by[d]) < 0) {
                    err_set(e, 500, "invalid-rights", "roles",
                            "roles: the model's field '%s' of '%s' needs role '%s'",
                            k->fields[f].name, k->id, k->fields[f].written_by[d]);
                    return -1;
                }
    }
    return 0;
}

int rights_load(const char *text, size_t len, const struct model *m, struct rights **out,
                struct err *e)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        err_set(e, 500, "invalid-rights", "", "line %d, column %d: %s", je.line, je.column,
                je.text);
        return -1;
    }
    struct rights *r = xcalloc(1, sizeof *r);
    r->arena = arena_new();
    r->model = m;
    struct rloader ld = {r, e};
    int rc = load_doc(&ld, root);
    json_decref(root);
    if (rc == 0)
        rc = check_workflow_roles(r, e);
    if (rc < 0) {
        rights_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void rights_free(struct rights *r)
{
    if (!r)
        return;
    json_decref(r->roles_doc);
    json_decref(r->actions_doc);
    arena_free(r->arena);
    free(r);
}

/* ---- queries -------------------------------------------------------------- */

size_t rights_n_roles(const struct rights *r)
{
    return r->n_roles;
}

const char *rights_role_id(const struct rights *r, size_t i)
{
    return i < r->n_roles ? r->role_ids[i] : NULL;
}

const json_t *rights_role_label(const struct rights *r, size_t i)
{
    if (i >= r->n_roles)
        return NULL;
    return json_object_get(json_object_get(r->roles_doc, r->role_ids[i]), "label");
}

enum rights_action rights_role_granted_with(const struct rights *r, size_t i)
{
    return i < r->n_roles ? r->granted_with[i] : RA_USERS;
}

int rights_role_index(const struct rights *r, const char *id)
{
    for (size_t i = 0; i < r->n_roles; i++)
        if (strcmp(r->role_ids[i], id) == 0)
            return (int)i;
    return -1;
}

int rights_roles_parse(const struct rights *r, const char *list, uint32_t *out)
{
    uint32_t set = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        char id[ROLE_ID_MAX + 1];
        if (n > ROLE_ID_MAX)
            return -1;
        memcpy(id, p, n);
        id[n] = '\0';
        int i = rights_role_index(r, id);
        if (i < 0)
            return -1;
        set |= 1u << i;
        p += n;
    }
    if (!set)
        return -1;
    *out = set;
    return 0;
}

void rights_roles_format(const struct rights *r, uint32_t roles, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_roles; i++) {
        if (!(roles & (1u << i)))
            continue;
        int w = snprintf(out + used, n - used, "%s%s", used ? " " : "", r->role_ids[i]);
        if (w < 0 || (size_t)w >= n - used)
            return;
        used += (size_t)w;
    }
}

static size_t kind_slot(const struct rights *r, const char *kind)
{
    if (!kind)
        return r->n_kinds - 1;
    size_t n = model_n_kinds(r->model);
    for (size_t k = 0; k < n; k++)
        if (strcmp(model_kind_at(r->model, k)->id, kind) == 0)
            return k;
    return SIZE_MAX;
}

bool rights_allows(const struct rights *r, uint32_t roles, enum rights_action a,
                   const char *kind, bool own)
{
    if (!r || a >= RA_N || (kind == NULL) != rights_action_is_system(a))
        return false;
    size_t k = kind_slot(r, kind);
    if (k == SIZE_MAX)
        return false;
    uint8_t want = own ? ALLOW_OWN : ALLOW_OTHER;
    for (size_t ro = 0; ro < r->n_roles; ro++)
        if ((roles & (1u << ro)) && (*cell(r, ro, a, k) & want))
            return true;
    return false;
}

json_t *rights_json(const struct rights *r)
{
    json_t *matrix = json_array();
    size_t nk = model_n_kinds(r->model);
    for (size_t ro = 0; ro < r->n_roles; ro++) {
        for (size_t a = 0; a < RA_N; a++) {
            bool sys = rights_action_is_system(a);
            for (size_t k = sys ? nk : 0; k < (sys ? nk + 1 : nk); k++) {
                uint8_t bits = *cell(r, ro, a, k);
                if (!bits)
                    continue;
                json_array_append_new(
                    matrix, json_pack("{s:s, s:s, s:o, s:b, s:b}", "role", r->role_ids[ro],
                                      "action", ACTION_IDS[a], "kind",
                                      sys ? json_null() : json_string(model_kind_at(r->model, k)->id),
                                      "own", (bits & ALLOW_OWN) != 0, "other",
                                      (bits & ALLOW_OTHER) != 0));
            }
        }
    }
    return json_pack("{s:O, s:O, s:o}", "roles", r->roles_doc, "actions", r->actions_doc,
                     "matrix", matrix);
}
