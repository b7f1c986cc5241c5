/* workflow: the `workflows` section of the metamodel (a record's life in
 * the registry as a state machine), each kind's link to one, the fields a
 * complete record needs, and the questions the engine asks of them. */
#include "model/loader.h"
#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

static const char *const WF_KEYS[] = {"label",       "status_field", "review_field", "code_field",
                                      "code_pattern", "states",      "transitions",  "stage_field",
                                      "stage_policy", "stage_dates", "stage_moves", NULL};
static const char *const STATE_KEYS[] = {"label",  "initial", "published", "coded",
                                         "locked", "edit_by", NULL};
static const char *const TRANSITION_KEYS[] = {
    "label",   "trigger",     "from",  "review_from", "to", "review", "complete",
    "remarks", "assign_code", "opens", "closes",      "by", "stamp",  NULL};
static const char *const DUTY_KEYS[] = {"policy", "debtor", NULL};
static const char *const TRIGGERS[] = {"submit", "accept", "return", "update", NULL};

#define CODE_PREFIX_MAX 8
#define CODE_SEQ_DIGITS_MAX 12

const char *model_wf_trigger_name(enum wf_trigger t)
{
    return (size_t)t < 4 ? TRIGGERS[t] : "?";
}

const struct model_workflow *model_workflow(const struct model *m, const char *id)
{
    for (size_t i = 0; i < m->n_workflows; i++)
        if (strcmp(m->workflows[i].id, id) == 0)
            return &m->workflows[i];
    return NULL;
}

size_t model_n_workflows(const struct model *m)
{
    return m->n_workflows;
}

const struct model_workflow *model_workflow_at(const struct model *m, size_t i)
{
    return i < m->n_workflows ? &m->workflows[i] : NULL;
}

const struct model_wf_state *model_wf_state(const struct model_workflow *w, const char *id)
{
    for (size_t i = 0; id && i < w->n_states; i++)
        if (strcmp(w->states[i].id, id) == 0)
            return &w->states[i];
    return NULL;
}

const struct model_wf_state *model_wf_initial(const struct model_workflow *w)
{
    for (size_t i = 0; i < w->n_states; i++)
        if (w->states[i].initial)
            return &w->states[i];
    return NULL;
}

static bool review_matches(const struct model_wf_transition *t, const char *review)
{
    if (t->n_review_from == 0)
        return true;
    const char *r = review && *review ? review : "none";
    for (size_t i = 0; i < t->n_review_from; i++)
        if (strcmp(t->review_from[i], r) == 0)
            return true;
    return false;
}

const struct model_wf_transition *model_wf_find(const struct model_workflow *w,
                                                enum wf_trigger trigger, const char *status,
                                                const char *review)
{
    for (size_t i = 0; status && i < w->n_transitions; i++) {
        const struct model_wf_transition *t = &w->transitions[i];
        if (t->trigger != trigger || !review_matches(t, review))
            continue;
        for (size_t j = 0; j < t->n_from; j++)
            if (strcmp(t->from[j]->id, status) == 0)
                return t;
    }
    return NULL;
}

bool model_record_published(const struct model_kind *k, const json_t *rec)
{
    if (!k->workflow)
        return true;
    const struct model_wf_state *s = model_wf_state(
        k->workflow, json_string_value(json_object_get(rec, k->workflow->status_field)));
    return s && s->published;
}

int64_t model_judging_ms(const struct model_kind *k, const json_t *rec, int64_t now_ms)
{
    if (!k || !k->workflow)
        return now_ms;
    const struct model_wf_state *s = model_wf_state(
        k->workflow, json_string_value(json_object_get(rec, k->workflow->status_field)));
    const char *updated = json_string_value(json_object_get(rec, "updated_at"));
    int64_t at;
    /* a locked record cannot change: its last write is its submission */
    if (s && s->locked && updated && time_parse_rfc3339(updated, &at) == 0 && at < now_ms)
        return at;
    return now_ms;
}

static bool ld_cond_holds_value(const char *cur, const char **values, size_t n)
{
    for (size_t i = 0; cur && i < n; i++)
        if (strcmp(values[i], cur) == 0)
            return true;
    return false;
}

bool ld_cond_holds(const json_t *rec, const char *field, const char **values, size_t n)
{
    return ld_cond_holds_value(json_string_value(json_object_get(rec, field)), values, n);
}

/* Is the date text s on or before day (when < 0) or after it (when > 0)?
 * Not a date: neither. */
static bool date_term_holds(const char *s, int when, int64_t day)
{
    int y, m, d;
    if (!s || time_parse_date(s, &y, &m, &d) < 0)
        return false;
    int64_t at = time_days_from_civil(y, m, d);
    return when < 0 ? at <= day : at > day;
}

bool model_cond_holds(const struct model_cond *c, const json_t *rec, int64_t day)
{
    for (size_t i = 0; i < c->n_terms; i++) {
        const struct model_cond_term *t = &c->terms[i];
        const json_t *v = json_object_get(rec, t->field);
        if (t->when) {
            if (!date_term_holds(json_string_value(v), t->when, day))
                return false;
            continue;
        }
        const char *cur = json_is_boolean(v) ? (json_is_true(v) ? "true" : "false")
                                             : json_string_value(v);
        if (t->presence && !cur) {
            if (ld_empty(v) == (strcmp(t->values[0], "present") == 0))
                return false;
            continue;
        }
        if (!ld_cond_holds_value(cur, t->values, t->n_values) &&
            !(t->presence && ld_empty(v) != (strcmp(t->values[0], "present") == 0)))
            return false;
    }
    return true;
}

json_t *model_cond_json(const struct model_cond *c)
{
    json_t *o = json_object();
    for (size_t i = 0; i < c->n_terms; i++) {
        json_t *vals = json_array();
        for (size_t j = 0; j < c->terms[i].n_values; j++)
            json_array_append_new(vals, json_string(c->terms[i].values[j]));
        json_object_set_new(o, c->terms[i].field, vals);
    }
    return o;
}

static bool needed_now(const struct model_field *f, const json_t *rec, int64_t day)
{
    return f->needed && model_in_force(&f->needed_in_force, day) &&
           model_cond_holds(&f->needed_when, rec, day);
}

bool model_field_needed(const struct model_field *f, const json_t *rec, int64_t day)
{
    return needed_now(f, rec, day);
}

size_t model_needed_count(const struct model_kind *k, const json_t *rec, int64_t day)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n_fields; i++)
        n += needed_now(&k->fields[i], rec, day);
    return n;
}

json_t *model_gaps(const struct model_kind *k, const json_t *rec, int64_t day)
{
    json_t *gaps = json_array();
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (needed_now(f, rec, day) && ld_empty(json_object_get(rec, f->name)))
            json_array_append_new(
                gaps, json_pack("{s:s, s:s}", "field", f->name, "problem",
                                f->needed_when.n_terms ? "needed at this stage" : "needed"));
    }
    return gaps;
}

/* ---- loading ------------------------------------------------------------ */

int ld_check_condition(struct loader *ld, const char *path, const struct model_kind *k,
                       const char *name, const char **values, size_t n,
                       const struct model_field **field)
{
    const struct model_field *w = model_field(k, name);
    if (!w || w->type != FT_ENUM)
        return ld_fail(ld, path, "'%s' is not an enum field of '%s'", name, k->id);
    for (size_t j = 0; j < n; j++)
        if (!ld_enum_has(w->enumeration, values[j]))
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, name), j), "'%s' is not a value of '%s'",
                           values[j], w->enumeration->id);
    *field = w;
    return 0;
}

int ld_check_cond(struct loader *ld, const char *path, const struct model_kind *k,
                  const struct model_cond *c)
{
    static const char *const bools[] = {"true", "false", NULL};
    for (size_t i = 0; i < c->n_terms; i++) {
        const struct model_cond_term *t = &c->terms[i];
        const struct model_field *w = model_field(k, t->field);
        /* presence: of any field, an enum too unless it has such a value */
        if (w && t->presence &&
            ((w->type != FT_ENUM && w->type != FT_BOOL) ||
             (w->type == FT_ENUM && !ld_enum_has(w->enumeration, t->values[0]))))
            continue;
        if (t->when && (!w || w->type != FT_DATE))
            return ld_fail(ld, ld_sub(ld, path, t->field),
                           "[\"past\"] and [\"future\"] apply to a date field; '%s' is not one "
                           "of '%s'",
                           t->field, k->id);
        if (t->when)
            continue;
        if (!w || (w->type != FT_ENUM && w->type != FT_BOOL))
            return ld_fail(ld, path,
                           "'%s' is not an enum or boolean field of '%s' (other fields "
                           "take [\"present\"] or [\"absent\"], date fields [\"past\"] or "
                           "[\"future\"])",
                           t->field, k->id);
        for (size_t j = 0; j < t->n_values; j++)
            if (w->type == FT_ENUM ? !ld_enum_has(w->enumeration, t->values[j])
                                   : !ld_in_list(t->values[j], bools))
                return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, t->field), j),
                               "'%s' is not a value of '%s'", t->values[j],
                               w->type == FT_ENUM ? w->enumeration->id : "true/false");
    }
    return 0;
}

int check_derived(struct loader *ld, const char *path, struct model_kind *k)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i], *from;
        if (!f->derived_from)
            continue;
        from = model_field(k, f->derived_from);
        if (!from || from->type != FT_DATE || from->derived_from)
            return ld_fail(ld, ld_sub(ld, ld_sub(ld, ld_sub(ld, path, "fields"), f->name), "derived"),
                           "'%s' is not a date field of '%s' that clients set", f->derived_from,
                           k->id);
    }
    return 0;
}

/* date + n months, the day kept (the last day of a shorter month). */
static int64_t add_months(int y, int m, int d, int n)
{
    int total = y * 12 + (m - 1) + n;
    y = total / 12;
    m = total % 12 + 1;
    int last = time_days_in_month(y, m);
    return time_days_from_civil(y, m, d > last ? last : d);
}

void model_derive(const struct model_kind *k, json_t *rec)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (!f->derived_from)
            continue;
        const char *from = json_string_value(json_object_get(rec, f->derived_from));
        int y, m, d;
        char out[11];
        if (from && time_parse_date(from, &y, &m, &d) == 0)
            json_object_set_new(rec, f->name,
                                json_string(time_format_date(add_months(y, m, d, f->derived_months),
                                                             out, sizeof out)));
        else
            json_object_del(rec, f->name);
    }
}

int check_needed(struct loader *ld, const char *path, struct model_kind *k)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        struct model_field *f = &k->fields[i];
        const char *np = ld_sub(ld, ld_sub(ld, ld_sub(ld, path, "fields"), f->name), "needed");
        if (ld_check_cond(ld, np, k, &f->needed_when))
            return -1;
    }
    return 0;
}

static int parse_state(struct loader *ld, const char *id, const json_t *v, const char *path,
                       struct model_wf_state *s)
{
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, STATE_KEYS) || ld_label(ld, v, "label", path, &s->label) ||
        ld_bool(ld, v, "initial", path, &s->initial) ||
        ld_bool(ld, v, "published", path, &s->published) ||
        ld_bool(ld, v, "coded", path, &s->coded) || ld_bool(ld, v, "locked", path, &s->locked))
        return -1;
    json_t *edit_by = json_object_get(v, "edit_by");
    if (edit_by && (ld_strings(ld, edit_by, ld_sub(ld, path, "edit_by"), true, &s->edit_by,
                               &s->n_edit_by)))
        return -1;
    if (edit_by && !s->locked)
        return ld_fail(ld, ld_sub(ld, path, "edit_by"),
                       "only a locked state names the roles that still edit in it");
    s->id = ld_keep(ld, id);
    return 0;
}

static int parse_states(struct loader *ld, const json_t *v, const char *path,
                        struct model_workflow *w)
{
    json_t *states, *sv;
    const char *id, *sp = ld_sub(ld, path, "states");
    if (ld_member(ld, v, "states", path, JSON_OBJECT, true, &states))
        return -1;
    w->states = arena_calloc(ld->m->arena, json_object_size(states) + 1, sizeof *w->states);
    size_t initial = 0;
    json_object_foreach(states, id, sv)
    {
        struct model_wf_state *s = &w->states[w->n_states];
        if (parse_state(ld, id, sv, ld_sub(ld, sp, id), s))
            return -1;
        initial += s->initial;
        w->n_states++;
    }
    if (initial != 1)
        return ld_fail(ld, sp, "exactly one state must be initial (%zu are)", initial);
    return 0;
}

static int parse_state_list(struct loader *ld, const json_t *a, const char *path,
                            const struct model_workflow *w, const struct model_wf_state ***out,
                            size_t *n)
{
    if (!json_is_array(a) || json_array_size(a) == 0)
        return ld_fail(ld, path, "must be a non-empty array of states");
    *out = arena_calloc(ld->m->arena, json_array_size(a), sizeof **out);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const struct model_wf_state *s = model_wf_state(w, json_string_value(json_array_get(a, i)));
        if (!s)
            return ld_fail(ld, ld_idx(ld, path, i), "not a state of this workflow");
        (*out)[(*n)++] = s;
    }
    return 0;
}

static int parse_review_from(struct loader *ld, const json_t *v, const char *path,
                             struct model_wf_transition *t)
{
    json_t *a;
    const char *rp = ld_sub(ld, path, "review_from");
    if (ld_member(ld, v, "review_from", path, JSON_ARRAY, false, &a) || !a)
        return a ? -1 : 0;
    t->review_from = arena_calloc(ld->m->arena, json_array_size(a) + 1, sizeof *t->review_from);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *r = json_string_value(json_array_get(a, i));
        if (!r || !ld_name_ok(r))
            return ld_fail(ld, ld_idx(ld, rp, i), "must be a review state name (or \"none\")");
        t->review_from[t->n_review_from++] = ld_keep(ld, r);
    }
    return 0;
}

static int parse_duties(struct loader *ld, const json_t *v, const char *path,
                        struct model_wf_transition *t)
{
    json_t *a, *d;
    size_t i;
    const char *op = ld_sub(ld, path, "opens");
    if (ld_member(ld, v, "opens", path, JSON_ARRAY, false, &a) || !a)
        return a ? -1 : 0;
    t->opens = arena_calloc(ld->m->arena, json_array_size(a) + 1, sizeof *t->opens);
    json_array_foreach(a, i, d)
    {
        const char *dp = ld_idx(ld, op, i), *policy, *debtor;
        if (ld_want_object(ld, d, dp) || ld_check_keys(ld, d, dp, DUTY_KEYS) ||
            ld_string(ld, d, "policy", dp, true, &policy) ||
            ld_string(ld, d, "debtor", dp, true, &debtor))
            return -1;
        struct model_wf_duty *duty = &t->opens[t->n_opens++];
        duty->policy = model_policy(ld->m, policy);
        if (!duty->policy)
            return ld_fail(ld, ld_sub(ld, dp, "policy"), "unknown policy '%s'", policy);
        if (strncmp(debtor, "role:", 5) == 0 && debtor[5])
            duty->debtor_role = ld_keep(ld, debtor + 5); /* checked by the rights file */
        else if (strcmp(debtor, "owner") != 0)
            return ld_fail(ld, ld_sub(ld, dp, "debtor"), "must be \"owner\" or \"role:<role id>\"");
    }
    return 0;
}

static int parse_closes(struct loader *ld, const json_t *v, const char *path,
                        struct model_wf_transition *t)
{
    json_t *a;
    const char *cp = ld_sub(ld, path, "closes");
    if (ld_member(ld, v, "closes", path, JSON_ARRAY, false, &a) || !a)
        return a ? -1 : 0;
    t->closes = arena_calloc(ld->m->arena, json_array_size(a) + 1, sizeof *t->closes);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *p = json_string_value(json_array_get(a, i));
        const struct model_policy *pol = p ? model_policy(ld->m, p) : NULL;
        if (!pol)
            return ld_fail(ld, ld_idx(ld, cp, i), "not a policy");
        t->closes[t->n_closes++] = pol;
    }
    return 0;
}

static int parse_transition(struct loader *ld, const char *id, const json_t *v, const char *path,
                            const struct model_workflow *w, struct model_wf_transition *t)
{
    const char *trigger, *to, *review;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, TRANSITION_KEYS) || ld_label(ld, v, "label", path, &t->label) ||
        ld_string(ld, v, "trigger", path, true, &trigger) ||
        ld_string(ld, v, "to", path, true, &to) ||
        ld_string(ld, v, "review", path, false, &review) ||
        ld_bool(ld, v, "complete", path, &t->complete) ||
        ld_bool(ld, v, "remarks", path, &t->remarks) ||
        ld_bool(ld, v, "assign_code", path, &t->assign_code))
        return -1;
    t->id = ld_keep(ld, id);
    size_t ti = 0;
    while (TRIGGERS[ti] && strcmp(TRIGGERS[ti], trigger) != 0)
        ti++;
    if (!TRIGGERS[ti])
        return ld_fail(ld, ld_sub(ld, path, "trigger"), "'%s' is not submit, accept, return or update",
                       trigger);
    t->trigger = (enum wf_trigger)ti;
    if (!(t->to = model_wf_state(w, to)))
        return ld_fail(ld, ld_sub(ld, path, "to"), "'%s' is not a state of this workflow", to);
    if (review && !ld_name_ok(review))
        return ld_fail(ld, ld_sub(ld, path, "review"), "must be a review state name (or \"none\")");
    t->review = review && strcmp(review, "none") != 0 ? ld_keep(ld, review) : NULL;
    if (t->remarks && t->trigger != WF_RETURN)
        return ld_fail(ld, ld_sub(ld, path, "remarks"), "only a return takes remarks");
    if (t->assign_code && !t->to->coded)
        return ld_fail(ld, ld_sub(ld, path, "assign_code"), "state '%s' holds no code", t->to->id);
    if (ld_string(ld, v, "stamp", path, false, &t->stamp))
        return -1;
    t->stamp = t->stamp ? ld_keep(ld, t->stamp) : NULL;
    json_t *by;
    if (ld_member(ld, v, "by", path, JSON_ARRAY, false, &by) ||
        (by && ld_strings(ld, by, ld_sub(ld, path, "by"), true, &t->by, &t->n_by)))
        return -1; /* role ids: checked by the rights file */
    return parse_state_list(ld, json_object_get(v, "from"), ld_sub(ld, path, "from"), w,
                            (const struct model_wf_state ***)&t->from, &t->n_from) ||
                   parse_review_from(ld, v, path, t) || parse_duties(ld, v, path, t) ||
                   parse_closes(ld, v, path, t)
               ? -1
               : 0;
}

/* Two transitions of one trigger must not both apply to a (state, review). */
static int check_ambiguous(struct loader *ld, const char *path, const struct model_workflow *w)
{
    for (size_t i = 0; i < w->n_transitions; i++) {
        const struct model_wf_transition *a = &w->transitions[i];
        for (size_t s = 0; s < a->n_from; s++) {
            size_t nr = a->n_review_from ? a->n_review_from : 1;
            for (size_t r = 0; r < nr; r++) {
                const char *rev = a->n_review_from ? a->review_from[r] : NULL;
                const struct model_wf_transition *b =
                    model_wf_find(w, a->trigger, a->from[s]->id, rev);
                if (b != a)
                    return ld_fail(ld, ld_sub(ld, path, a->id),
                                   "'%s' and '%s' both apply to %s from '%s'", b->id, a->id,
                                   model_wf_trigger_name(a->trigger), a->from[s]->id);
            }
        }
    }
    return 0;
}

static int parse_code_pattern(struct loader *ld, const char *pattern, const char *path)
{
    bool seq = false;
    for (const char *p = pattern; *p; p++) {
        if (*p == '}')
            return ld_fail(ld, path, "unmatched '}'");
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        if (!end)
            return ld_fail(ld, path, "unmatched '{'");
        size_t n = (size_t)(end - p - 1);
        if (n == 6 && strncmp(p + 1, "prefix", 6) == 0) {
        } else if (n == 4 && strncmp(p + 1, "year", 4) == 0) {
        } else if (n == 5 && strncmp(p + 1, "seq:", 4) == 0 && p[5] >= '1' && p[5] <= '9') {
            seq = true;
        } else {
            return ld_fail(ld, path, "unknown placeholder '%.*s' (use {prefix}, {year}, {seq:N})",
                           (int)n + 2, p);
        }
        p = end;
    }
    return seq ? 0 : ld_fail(ld, path, "needs a {seq:N} placeholder (N digits, 1..9)");
}

/* "stage_moves": {"<stage>": [stages it may move to], …} (values checked
 * per kind against the stage field's enum). */
static int parse_stage_moves(struct loader *ld, const json_t *v, const char *path,
                             struct model_workflow *w)
{
    json_t *moves;
    if (ld_member(ld, v, "stage_moves", path, JSON_OBJECT, false, &moves) || !moves)
        return moves ? -1 : 0;
    w->stage_moves = arena_calloc(ld->m->arena, json_object_size(moves), sizeof *w->stage_moves);
    const char *from;
    json_t *to;
    json_object_foreach (moves, from, to) {
        struct model_stage_moves *sm = &w->stage_moves[w->n_stage_moves++];
        const char *mp = ld_sub(ld, ld_sub(ld, path, "stage_moves"), from);
        sm->from = ld_keep(ld, from);
        if (ld_strings(ld, to, mp, false, &sm->to, &sm->n_to))
            return -1; /* [] is a final stage */
    }
    return 0;
}

/* "stage_field" and "stage_policy", both or neither: a change of the
 * stage opens the policy's obligation for the owner. */
static int parse_stage(struct loader *ld, const json_t *v, const char *path,
                       struct model_workflow *w)
{
    const char *field, *policy;
    if (ld_string(ld, v, "stage_field", path, false, &field) ||
        ld_string(ld, v, "stage_policy", path, false, &policy))
        return -1;
    if (!field != !policy)
        return ld_fail(ld, ld_sub(ld, path, field ? "stage_policy" : "stage_field"),
                       "stage_field and stage_policy go together");
    if (!field)
        return 0;
    w->stage_policy = model_policy(ld->m, policy);
    if (!w->stage_policy)
        return ld_fail(ld, ld_sub(ld, path, "stage_policy"), "unknown policy '%s'", policy);
    w->stage_field = ld_keep(ld, field);
    json_t *dates;
    if (ld_member(ld, v, "stage_dates", path, JSON_OBJECT, false, &dates))
        return -1;
    w->stage_dates = arena_calloc(ld->m->arena, json_object_size(dates) + 1, sizeof *w->stage_dates);
    struct model_stage_date *d = w->stage_dates;
    const char *stage;
    json_t *f;
    json_object_foreach (dates, stage, f) {
        const char *fp = ld_sub(ld, ld_sub(ld, path, "stage_dates"), stage);
        if (!json_is_string(f) || ld_name(ld, json_string_value(f), fp))
            return json_is_string(f) ? -1 : ld_fail(ld, fp, "must be the name of a date field");
        d->stage = ld_keep(ld, stage);
        d->field = ld_keep(ld, json_string_value(f));
        d++;
    }
    return parse_stage_moves(ld, v, path, w);
}

bool model_stage_move_allowed(const struct model_workflow *w, const char *from, const char *to)
{
    if (!w->stage_moves || !from || !to || strcmp(from, to) == 0)
        return true;
    for (size_t i = 0; i < w->n_stage_moves; i++)
        if (strcmp(w->stage_moves[i].from, from) == 0)
            return ld_in_list(to, w->stage_moves[i].to);
    return false;
}

const char *model_stage_date_field(const struct model_workflow *w, const char *stage)
{
    for (const struct model_stage_date *d = w->stage_dates; d && d->stage; d++)
        if (stage && strcmp(d->stage, stage) == 0)
            return d->field;
    return NULL;
}

static int parse_workflow(struct loader *ld, const char *id, const json_t *v,
                          struct model_workflow *w)
{
    const char *path = ld_sub(ld, "workflows", id);
    json_t *ts, *tv;
    const char *tid;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, WF_KEYS) || ld_label(ld, v, "label", path, &w->label) ||
        ld_string(ld, v, "status_field", path, true, &w->status_field) ||
        ld_string(ld, v, "review_field", path, false, &w->review_field) ||
        ld_string(ld, v, "code_field", path, false, &w->code_field) ||
        ld_string(ld, v, "code_pattern", path, false, &w->code_pattern) ||
        (w->code_pattern &&
         parse_code_pattern(ld, w->code_pattern, ld_sub(ld, path, "code_pattern"))) ||
        parse_states(ld, v, path, w) || parse_stage(ld, v, path, w) ||
        ld_member(ld, v, "transitions", path, JSON_OBJECT, true, &ts))
        return -1;
    w->id = ld_keep(ld, id);
    w->status_field = ld_keep(ld, w->status_field);
    w->review_field = w->review_field ? ld_keep(ld, w->review_field) : NULL;
    if (!w->code_field != !w->code_pattern)
        return ld_fail(ld, ld_sub(ld, path, w->code_field ? "code_pattern" : "code_field"),
                       "code_field and code_pattern go together");
    w->code_field = w->code_field ? ld_keep(ld, w->code_field) : NULL;
    w->code_pattern = w->code_pattern ? ld_keep(ld, w->code_pattern) : NULL;
    for (size_t i = 0; !w->code_field && i < w->n_states; i++)
        if (w->states[i].coded)
            return ld_fail(ld, ld_sub(ld, ld_sub(ld, path, "states"), w->states[i].id),
                           "a coded state needs the workflow's code_field and code_pattern");
    w->transitions = arena_calloc(ld->m->arena, json_object_size(ts) + 1, sizeof *w->transitions);
    const char *tp = ld_sub(ld, path, "transitions");
    json_object_foreach(ts, tid, tv)
    {
        struct model_wf_transition *t = &w->transitions[w->n_transitions];
        if (parse_transition(ld, tid, tv, ld_sub(ld, tp, tid), w, t))
            return -1;
        if ((t->review || t->n_review_from) && !w->review_field)
            return ld_fail(ld, ld_sub(ld, tp, tid), "review states need the workflow's review_field");
        w->n_transitions++;
    }
    return check_ambiguous(ld, tp, w);
}

int parse_workflows(struct loader *ld)
{
    json_t *in, *v;
    const char *id;
    if (ld_member(ld, ld->root, "workflows", "", JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    struct model *m = ld->m;
    m->workflows = arena_calloc(m->arena, json_object_size(in) + 1, sizeof *m->workflows);
    json_object_foreach(in, id, v)
    {
        if (parse_workflow(ld, id, v, &m->workflows[m->n_workflows]))
            return -1;
        m->n_workflows++;
    }
    return 0;
}

/* The workflow's fields in a kind: read-only, of the right type. */
static int check_wf_field(struct loader *ld, const char *path, const struct model_kind *k,
                          const char *name, enum field_type type)
{
    const struct model_field *f = model_field(k, name);
    if (!f || f->type != type || !f->readonly)
        return ld_fail(ld, path, "its workflow needs a read-only %s field '%s'",
                       model_type_name(type), name);
    return 0;
}

int parse_kind_workflow(struct loader *ld, const json_t *v, const char *path,
                        struct model_kind *k)
{
    const char *wid, *prefix;
    const char *wp = ld_sub(ld, path, "workflow");
    if (ld_string(ld, v, "workflow", path, false, &wid) ||
        ld_string(ld, v, "code_prefix", path, false, &prefix))
        return -1;
    if (!wid) {
        if (prefix)
            return ld_fail(ld, ld_sub(ld, path, "code_prefix"), "only a kind with a workflow has one");
        return 0;
    }
    const struct model_workflow *w = model_workflow(ld->m, wid);
    if (!w)
        return ld_fail(ld, wp, "unknown workflow '%s'", wid);
    if (!k->owned)
        return ld_fail(ld, wp, "only owned kinds can have a workflow");
    if (w->stage_field && (!model_field(k, w->stage_field) ||
                           model_field(k, w->stage_field)->type != FT_ENUM))
        return ld_fail(ld, wp, "its workflow needs an enum field '%s' (the stage)", w->stage_field);
    /* a workflow without a stage field has no stage moves or dates */
    const struct model_enum *stages =
        w->stage_field ? model_field(k, w->stage_field)->enumeration : NULL;
    for (size_t i = 0; i < w->n_stage_moves; i++) {
        const struct model_stage_moves *sm = &w->stage_moves[i];
        if (!ld_enum_has(stages, sm->from))
            return ld_fail(ld, wp, "its workflow moves from stage '%s', not a value of '%s'",
                           sm->from, w->stage_field);
        for (size_t j = 0; j < sm->n_to; j++)
            if (!ld_enum_has(stages, sm->to[j]))
                return ld_fail(ld, wp, "its workflow moves to stage '%s', not a value of '%s'",
                               sm->to[j], w->stage_field);
    }
    for (const struct model_stage_date *d = w->stage_dates; d && d->stage; d++) {
        const struct model_field *df = model_field(k, d->field);
        if (!ld_enum_has(stages, d->stage))
            return ld_fail(ld, wp, "its workflow dates stage '%s', which is not a value of '%s'",
                           d->stage, w->stage_field);
        if (!df || df->type != FT_DATE)
            return ld_fail(ld, wp, "its workflow needs a date field '%s' (when stage '%s' began)",
                           d->field, d->stage);
    }
    for (size_t t = 0; t < w->n_transitions; t++)
        if (w->transitions[t].stamp && check_wf_field(ld, wp, k, w->transitions[t].stamp, FT_DATE))
            return -1;
    if (check_wf_field(ld, wp, k, w->status_field, FT_ENUM) ||
        (w->code_field && check_wf_field(ld, wp, k, w->code_field, FT_STRING)) ||
        (w->review_field && check_wf_field(ld, wp, k, w->review_field, FT_ENUM)))
        return -1;
    const struct model_enum *en = model_field(k, w->status_field)->enumeration;
    bool same = en->n_values == w->n_states;
    for (size_t i = 0; same && i < en->n_values; i++)
        same = model_wf_state(w, en->values[i].id) != NULL;
    if (!same)
        return ld_fail(ld, wp, "the values of enum '%s' must be the states of workflow '%s'",
                       en->id, w->id);
    if (w->review_field) {
        const struct model_enum *ren = model_field(k, w->review_field)->enumeration;
        for (size_t t = 0; t < w->n_transitions; t++) {
            const struct model_wf_transition *tr = &w->transitions[t];
            for (size_t r = 0; r <= tr->n_review_from; r++) {
                const char *rv = r < tr->n_review_from ? tr->review_from[r] : tr->review;
                bool ok = !rv || strcmp(rv, "none") == 0;
                for (size_t j = 0; !ok && j < ren->n_values; j++)
                    ok = strcmp(ren->values[j].id, rv) == 0;
                if (!ok)
                    return ld_fail(ld, wp, "transition '%s': '%s' is not a value of enum '%s'",
                                   tr->id, rv, ren->id);
            }
        }
    }
    if (w->code_pattern && strstr(w->code_pattern, "{prefix}")) {
        size_t n = prefix ? strlen(prefix) : 0;
        bool ok = n > 0 && n <= CODE_PREFIX_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = (prefix[i] >= 'A' && prefix[i] <= 'Z') || (prefix[i] >= '0' && prefix[i] <= '9');
        if (!ok)
            return ld_fail(ld, ld_sub(ld, path, "code_prefix"),
                           "needed by the code pattern: 1..%d of A-Z, 0-9", CODE_PREFIX_MAX);
    }
    k->workflow = w;
    k->code_prefix = prefix ? ld_keep(ld, prefix) : NULL;
    return 0;
}

/* ---- the expanded document --------------------------------------------- */

static json_t *transition_json(const struct model_wf_transition *t)
{
    json_t *from = json_array(), *opens = json_array(), *closes = json_array();
    for (size_t i = 0; i < t->n_from; i++)
        json_array_append_new(from, json_string(t->from[i]->id));
    for (size_t i = 0; i < t->n_opens; i++) {
        const struct model_wf_duty *d = &t->opens[i];
        char debtor[80];
        snprintf(debtor, sizeof debtor, "%s%s", d->debtor_role ? "role:" : "owner",
                 d->debtor_role ? d->debtor_role : "");
        json_array_append_new(opens,
                              json_pack("{s:s, s:s}", "policy", d->policy->id, "debtor", debtor));
    }
    for (size_t i = 0; i < t->n_closes; i++)
        json_array_append_new(closes, json_string(t->closes[i]->id));
    json_t *o = json_pack("{s:o, s:s, s:o, s:s, s:s?, s:b, s:b, s:b, s:o, s:o}", "label",
                          model_label_json(t->label), "trigger", model_wf_trigger_name(t->trigger), "from",
                          from, "to", t->to->id, "review", t->review, "complete", t->complete,
                          "remarks", t->remarks, "assign_code", t->assign_code, "opens", opens,
                          "closes", closes);
    if (t->n_by) {
        json_t *by = json_array();
        for (size_t i = 0; i < t->n_by; i++)
            json_array_append_new(by, json_string(t->by[i]));
        json_object_set_new(o, "by", by);
    }
    if (t->stamp)
        json_object_set_new(o, "stamp", json_string(t->stamp));
    if (t->n_review_from) {
        json_t *rf = json_array();
        for (size_t i = 0; i < t->n_review_from; i++)
            json_array_append_new(rf, json_string(t->review_from[i]));
        json_object_set_new(o, "review_from", rf);
    }
    return o;
}

json_t *workflows_json(const struct model *m)
{
    json_t *out = json_object();
    for (size_t i = 0; i < m->n_workflows; i++) {
        const struct model_workflow *w = &m->workflows[i];
        json_t *states = json_object(), *ts = json_object();
        for (size_t s = 0; s < w->n_states; s++) {
            const struct model_wf_state *st = &w->states[s];
            json_t *so = json_pack("{s:o, s:b, s:b, s:b, s:b}", "label", model_label_json(st->label),
                                   "initial", st->initial, "published", st->published, "coded",
                                   st->coded, "locked", st->locked);
            if (st->n_edit_by)
                json_object_set_new(so, "edit_by", strings_json(st->edit_by, st->n_edit_by));
            json_object_set_new(states, st->id, so);
        }
        for (size_t t = 0; t < w->n_transitions; t++)
            json_object_set_new(ts, w->transitions[t].id, transition_json(&w->transitions[t]));
        json_t *dates = json_object();
        for (const struct model_stage_date *d = w->stage_dates; d && d->stage; d++)
            json_object_set_new(dates, d->stage, json_string(d->field));
        json_object_set_new(out, w->id,
                            json_pack("{s:o, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:o}",
                                      "label", model_label_json(w->label), "status_field",
                                      w->status_field, "review_field", w->review_field,
                                      "code_field", w->code_field, "code_pattern", w->code_pattern,
                                      "stage_field", w->stage_field, "stage_policy",
                                      w->stage_policy ? w->stage_policy->id : NULL, "stage_dates",
                                      dates, "states", states, "transitions", ts));
    }
    return out;
}
