/* Adding and removing a record's relations on its card, with plain HTML
 * forms that work without JavaScript: the relation types the model allows
 * from and to the record's kind, the other end found by a search box (a
 * GET of the card with ?rel=<type>:<out|in>&rel_q=<words>, answered from
 * the registry's search restricted to the allowed kinds and to what the
 * visitor may read), the type's attributes from its model fields, and a
 * removal confirmed on a second step (?remove=<relation id>). The writes
 * go through the registry, whose rights checks are the API's. */
#include "web/card.h"
#include "web/forms.h"

#include "account/account.h"
#include "auth/authz.h"
#include "registry/listq.h"
#include "registry/registry.h"
#include "util/text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CANDIDATES_SHOWN 10
#define REFS_SHOWN 30 /* choices of a list of references (found by its own search) */
#define ANOTHER_ORG "\x01another organisation" /* an organisation not the visitor's */

/* A value of the POSTed form, else of the query string; "" when absent. */
static const char *input(const struct page *pg, const char *name)
{
    const char *v = form_value(pg, name);
    if (*v)
        return v;
    v = http_req_query(pg->req, name);
    return v ? v : "";
}

/* Does end ("source" or "target") of relation type rk allow kind? */
static bool end_allows(const struct model_kind *rk, const char *end, const char *kind)
{
    const struct model_field *f = model_field(rk, end);
    for (size_t i = 0; f && i < f->n_ref_kinds; i++)
        if (strcmp(f->ref_kinds[i], kind) == 0)
            return true;
    return false;
}

/* A relation type as the form offers it: the type, and whether the record
 * is its source (out) or its target. */
struct rel_choice {
    const struct model_kind *rk;
    bool out;
};

static bool may_create(const struct page *pg, const struct model_kind *rk, const char *org)
{
    return pg->signed_in &&
           authz_may(accounts_rights(pg->w->api->acct), &pg->actor, RA_CREATE, rk->id, org);
}

/* May the visitor add a relation of this choice to rec? Out: its source is
 * rec; in: the source is another record, of the visitor's organisation or
 * (for those with rights everywhere) of any. */
static bool may_choose(const struct page *pg, const struct rel_choice *c, const json_t *rec)
{
    if (c->out)
        return may_create(pg, c->rk, card_record_org(pg, rec));
    return may_create(pg, c->rk, pg->actor.org) || may_create(pg, c->rk, ANOTHER_ORG);
}

/* Parses "<type>:out" or "<type>:in"; false unless the model allows it for
 * records of kind k. */
static bool choice_parse(const struct model *m, const struct model_kind *k, const char *v,
                         struct rel_choice *c)
{
    const char *colon = strrchr(v, ':');
    char type[128];
    size_t n = colon ? (size_t)(colon - v) : 0;
    if (n == 0 || n >= sizeof type)
        return false;
    memcpy(type, v, n);
    type[n] = '\0';
    c->rk = model_kind(m, type);
    if (!c->rk || !c->rk->is_relation)
        return false;
    if (strcmp(colon + 1, "out") == 0)
        c->out = true;
    else if (strcmp(colon + 1, "in") == 0)
        c->out = false;
    else
        return false;
    return end_allows(c->rk, c->out ? "source" : "target", k->id);
}

/* The types the visitor may add to rec, the chosen one marked. */
static json_t *type_options(struct page *pg, const struct model_kind *k, const json_t *rec,
                            const char *chosen)
{
    const struct model *m = pg->w->api->model;
    json_t *out = json_array();
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *rk = model_kind_at(m, i);
        for (int dir = 0; rk->is_relation && dir < 2; dir++) {
            struct rel_choice c = {rk, dir == 0};
            if (!end_allows(rk, c.out ? "source" : "target", k->id) || !may_choose(pg, &c, rec))
                continue;
            const char *value = arena_printf(pg->req->arena, "%s:%s", rk->id, c.out ? "out" : "in");
            json_array_append_new(
                out, json_pack("{s:s, s:s, s:b}", "value", value, "label",
                               web_label(pg->lang, c.out ? rk->label : rk->inverse_label),
                               "selected", strcmp(value, chosen) == 0));
        }
    }
    return out;
}

/* Appends to out the records one search (params on coll) finds that the
 * visitor may take as the other end of choice c (not already listed). */
static void found_in(struct page *pg, const struct rel_choice *c,
                     const struct model_collection *coll, const struct listq_param *params,
                     size_t n, const char *self, const char *picked, json_t *out)
{
    const struct model *m = pg->w->api->model;
    struct list_query q;
    json_t *page = NULL;
    struct err e = ERR_INIT;
    if (listq_parse_lang(pg->req->arena, m, coll, params, n, NULL, i18n_code(pg->lang), &q, &e) < 0 ||
        registry_scope_list(pg->w->api->reg, &pg->actor, &q, &e) < 0 ||
        registry_list(pg->w->api->reg, pg->req->arena, &q, &page, &e) < 0)
        return;
    size_t i, j;
    json_t *r, *x;
    json_array_foreach (json_object_get(page, "items"), i, r) {
        const char *id = json_string_value(json_object_get(r, "id"));
        bool seen = !id || strcmp(id, self) == 0;
        for (j = 0; !seen && j < json_array_size(out) && (x = json_array_get(out, j)); j++)
            seen = strcmp(json_string_value(json_object_get(x, "id")), id) == 0;
        if (seen || json_array_size(out) >= CANDIDATES_SHOWN ||
            !registry_may_read(pg->w->api->reg, &pg->actor, r) ||
            (!c->out && !may_create(pg, c->rk, card_record_org(pg, r))))
            continue;
        const struct model_kind *ok = model_kind(m, json_string_value(json_object_get(r, "kind")));
        const char *name = web_name(pg->lang, json_object_get(r, "name"));
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", id, "input_id",
                                             arena_printf(pg->req->arena, "rel-other-%s", id),
                                             "name", *name ? name : id, "kind",
                                             ok ? web_label(pg->lang, ok->label) : "", "checked",
                                             strcmp(id, picked) == 0));
    }
    json_decref(page);
}

/* The records the search finds for the other end of choice c: of the
 * kinds the model allows there, that the visitor may read (the registry's
 * scope), and, for an incoming relation, whose organisation the visitor
 * may create it from. */
static json_t *candidates(struct page *pg, const struct rel_choice *c, const char *self,
                          const char *words, const char *picked)
{
    const struct model *m = pg->w->api->model;
    const struct model_field *end = model_field(c->rk, c->out ? "target" : "source");
    json_t *out = json_array();
    for (size_t ci = 0; end && ci < model_n_collections(m); ci++) {
        const struct model_collection *coll = model_collection_at(m, ci);
        struct listq_param params[3 + LISTQ_MAX_KINDS];
        size_t n = 0;
        params[n++] = (struct listq_param){"q", words};
        params[n++] = (struct listq_param){"limit", "10"};
        for (size_t i = 0; i < end->n_ref_kinds && n + 1 < sizeof params / sizeof params[0]; i++)
            if (model_collection_has_kind(coll, end->ref_kinds[i]))
                params[n++] = (struct listq_param){"kind", end->ref_kinds[i]};
        if (coll->type != COLL_RECORDS || n == 2)
            continue;
        /* what everyone may read, then the visitor's organisation's own
         * records (its drafts too: the registry scopes those apart) */
        for (int own = 0; own < 2; own++) {
            if (own && !pg->actor.org[0])
                break;
            if (own)
                params[n++] = (struct listq_param){"owner", pg->actor.org};
            found_in(pg, c, coll, params, n, self, picked, out);
        }
    }
    return out;
}

/* Is f a list of references (e.g. the data types a flow carries)? */
static bool refs_field(const struct model_field *f)
{
    return f->type == FT_LIST && f->item && f->item->type == FT_REF;
}

/* Is f one of the relation's attributes the form fills (the ends are not,
 * nor computed fields, references, groups or lists other than of
 * references)? */
static bool attribute_field(const struct model_field *f)
{
    if (f->readonly || strcmp(f->name, "source") == 0 || strcmp(f->name, "target") == 0)
        return false;
    return refs_field(f) || (f->type != FT_LIST && f->type != FT_REF && f->type != FT_OBJECT);
}

static const char *attr_name(struct page *pg, const struct model_field *f)
{
    return arena_printf(pg->req->arena, "attr.%s", f->name);
}

/* The name of the search box of a list of references. */
static const char *refs_query_name(struct page *pg, const struct model_field *f)
{
    return arena_printf(pg->req->arena, "%s._q", attr_name(pg, f));
}

/* The search boxes of the chosen type's lists of references, for the
 * find form: {name, input_id, label, value}. */
static json_t *refs_searches(struct page *pg, const struct model_kind *rk)
{
    json_t *out = json_array();
    for (size_t i = 0; i < rk->n_fields; i++) {
        const struct model_field *f = &rk->fields[i];
        if (!attribute_field(f) || !refs_field(f))
            continue;
        const char *name = refs_query_name(pg, f);
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:s, s:s}", "name", name, "input_id",
                           arena_printf(pg->req->arena, "rel-attr-%s-q", f->name), "label",
                           web_label(pg->lang, f->label), "value", input(pg, name)));
    }
    return out;
}

/* The inputs of rk's attributes, refilled from the form. */
static json_t *attribute_inputs(struct page *pg, const struct model_kind *rk)
{
    json_t *out = json_array();
    for (size_t i = 0; i < rk->n_fields; i++) {
        const struct model_field *f = &rk->fields[i];
        if (!attribute_field(f))
            continue;
        const char *value = input(pg, attr_name(pg, f));
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", attr_name(pg, f), "input_id",
                      arena_printf(pg->req->arena, "rel-attr-%s", f->name), "label",
                      web_label(pg->lang, f->label), "value", value, "required", f->required);
        if (f->help.kk)
            json_object_set_new(o, "help", json_string(web_label(pg->lang, f->help)));
        if (refs_field(f)) {
            /* boxes to tick: those its search finds, the ticked ones kept */
            json_t *ticked = forms_values(pg, attr_name(pg, f));
            const char *q = input(pg, refs_query_name(pg, f));
            json_object_set_new(o, "options", forms_ref_options(pg, f->item, ticked, q, REFS_SHOWN));
            json_object_set_new(o, "is_refs", json_true());
            json_decref(ticked);
        } else if ((f->type == FT_ENUM && f->enumeration) || f->type == FT_BOOL) {
            json_t *opts = json_array();
            for (size_t j = 0; f->type == FT_ENUM && j < f->enumeration->n_values; j++) {
                const char *v = f->enumeration->values[j].id;
                json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "value", v, "label",
                                                      page_enum_label(pg, f->enumeration, v),
                                                      "selected", strcmp(v, value) == 0));
            }
            for (int b = 0; f->type == FT_BOOL && b < 2; b++)
                json_array_append_new(
                    opts, json_pack("{s:s, s:s, s:b}", "value", b ? "false" : "true", "label",
                                    page_tr(pg, b ? TR("No") : TR("Yes")), "selected",
                                    strcmp(value, b ? "false" : "true") == 0));
            json_object_set_new(o, "options", opts);
            json_object_set_new(o, "is_enum", json_true());
        } else if (f->type == FT_TEXT)
            json_object_set_new(o, "is_text", json_true());
        else
            json_object_set_new(o, "input_type",
                                json_string(f->type == FT_DATE    ? "date"
                                            : f->type == FT_URL   ? "url"
                                            : f->type == FT_EMAIL ? "email"
                                                                  : "text"));
        json_array_append_new(out, o);
    }
    return out;
}

/* The confirmation asked for by ?remove=<relation id>, when that relation
 * touches the record and the visitor may remove it; NULL otherwise. */
static json_t *remove_confirmation(struct page *pg, const char *coll, const char *id)
{
    const char *rel = http_req_query(pg->req, "remove");
    json_t *r = NULL, *other = NULL;
    struct err e = ERR_INIT;
    if (!rel || !text_id_valid(rel) ||
        registry_get_visible(pg->w->api->reg, &pg->actor, NULL, rel, &r, &e) < 0)
        return NULL;
    const struct model_kind *rk =
        model_kind(pg->w->api->model, json_string_value(json_object_get(r, "type")));
    const char *src = json_string_value(json_object_get(r, "source"));
    const char *dst = json_string_value(json_object_get(r, "target"));
    json_t *out = NULL;
    bool outgoing = src && strcmp(src, id) == 0;
    if (rk && rk->is_relation && src && dst && (outgoing || strcmp(dst, id) == 0) &&
        registry_get_visible(pg->w->api->reg, &pg->actor, NULL, outgoing ? dst : src, &other, &e) ==
            0) {
        json_t *srec = NULL;
        if (registry_get_visible(pg->w->api->reg, &pg->actor, NULL, src, &srec, &e) == 0 &&
            card_may_remove(pg, rk, card_record_org(pg, srec))) {
            const char *name = web_name(pg->lang, json_object_get(other, "name"));
            out = json_pack("{s:s, s:s, s:s, s:s}", "type",
                            web_label(pg->lang, outgoing ? rk->label : rk->inverse_label), "other",
                            *name ? name : (outgoing ? dst : src), "action",
                            page_url(pg, "/%s/%s/relations/%s/remove", coll, id, rel), "cancel",
                            page_url(pg, "/%s/%s#relations", coll, id));
        }
        json_decref(srec);
    }
    json_decref(other);
    json_decref(r);
    return out;
}

json_t *card_relation_form(struct page *pg, const struct model_kind *k, const char *coll,
                           const char *id, const json_t *rec)
{
    if (!pg->signed_in)
        return NULL;
    const char *chosen = input(pg, "rel");
    json_t *types = type_options(pg, k, rec, chosen);
    json_t *confirm = remove_confirmation(pg, coll, id);
    if (!json_array_size(types) && !confirm) {
        json_decref(types);
        return NULL;
    }
    json_t *f = json_pack("{s:o, s:b, s:s, s:s, s:s}", "types", types, "has_types",
                          json_array_size(types) > 0, "find_action",
                          page_url(pg, "/%s/%s#relation-add", coll, id), "action",
                          page_url(pg, "/%s/%s/relations", coll, id), "q", input(pg, "rel_q"));
    if (confirm)
        json_object_set_new(f, "remove", confirm);
    struct rel_choice c;
    if (*chosen && choice_parse(pg->w->api->model, k, chosen, &c) && may_choose(pg, &c, rec)) {
        json_object_set_new(f, "chosen", json_string(chosen));
        json_object_set_new(
            f, "chosen_label",
            json_string(web_label(pg->lang, c.out ? c.rk->label : c.rk->inverse_label)));
        json_object_set_new(f, "attributes", attribute_inputs(pg, c.rk));
        json_object_set_new(f, "ref_searches", refs_searches(pg, c.rk));
        const char *words = input(pg, "rel_q");
        if (*words) {
            json_t *found = candidates(pg, &c, id, words, input(pg, "other"));
            json_object_set_new(f, "searched", json_true());
            json_object_set_new(f, "has_found", json_boolean(json_array_size(found) > 0));
            json_object_set_new(f, "found", found);
        }
    }
    return f;
}

/* ---- the writes ------------------------------------------------------------------------- */

/* The record of the form's path, after the form's checks; NULL after
 * answering. */
static json_t *form_target(struct page *pg, const char *coll, const char **id,
                           const struct model_kind **k)
{
    if (!page_need_user(pg, NULL) || page_form(pg) < 0)
        return NULL;
    *id = http_req_param(pg->req, "id");
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (!coll || !*id || !text_id_valid(*id) ||
        registry_get_visible(pg->w->api->reg, &pg->actor, coll, *id, &rec, &e) < 0) {
        page_error(pg, 404, NULL);
        return NULL;
    }
    *k = model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
    if (!*k) {
        page_error(pg, 404, NULL);
        json_decref(rec);
        return NULL;
    }
    return rec;
}

/* Sets member f->name of body from the form's text (nothing when empty). */
static void attribute_value(struct page *pg, const struct model_field *f, json_t *body)
{
    if (refs_field(f)) {
        json_t *ids = forms_values(pg, attr_name(pg, f));
        if (json_array_size(ids))
            json_object_set_new(body, f->name, ids);
        else
            json_decref(ids);
        return;
    }
    const char *text = form_value(pg, attr_name(pg, f));
    if (!*text)
        return;
    json_t *v;
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (f->type == FT_INTEGER && !*end && !errno)
        v = json_integer(n);
    else if (f->type == FT_BOOL)
        v = json_boolean(strcmp(text, "true") == 0);
    else if (f->type == FT_I18N)
        v = json_pack("{s:s}", i18n_code(pg->lang), text);
    else
        v = json_string(text); /* the registry checks it as the API does */
    json_object_set_new(body, f->name, v);
}

/* Why the registry refused the relation, in the page's language: the
 * attribute at fault and its problem, or that it exists already. */
static const char *refusal_text(struct page *pg, const struct model_kind *rk, const struct err *e)
{
    if (strcmp(e->type, "conflict") == 0)
        return page_tr(pg, TR("This relation exists already."));
    size_t n = strcspn(e->field, "[.");
    const struct model_field *f =
        n ? model_field(rk, arena_strndup(pg->req->arena, e->field, n)) : NULL;
    const char *text = forms_error_text(pg, e);
    return f ? arena_printf(pg->req->arena, "%s: %s", web_label(pg->lang, f->label), text) : text;
}

/* Shows the card again with the relation form's error. */
static void refuse(struct page *pg, const char *coll, const char *id, int status, const char *msg)
{
    json_object_set_new(pg->data, "rel_error", json_string(msg));
    card_page(pg, coll, id, status);
}

static void h_add(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *coll = card_path_collection(&pg), *id;
    const struct model_kind *k;
    json_t *rec = form_target(&pg, coll, &id, &k);
    if (!rec)
        return;
    struct rel_choice c;
    const char *other = form_value(&pg, "other");
    if (!choice_parse(pg.w->api->model, k, form_value(&pg, "rel"), &c))
        refuse(&pg, coll, id, 422, page_tr(&pg, TR("Choose the type of the relation.")));
    else if (!may_choose(&pg, &c, rec))
        refuse(&pg, coll, id, 403, page_tr(&pg, TR("You may not add this relation.")));
    else if (!*other || !text_id_valid(other))
        refuse(&pg, coll, id, 422,
               page_tr(&pg, TR("Choose the other end of the relation among the records found.")));
    else {
        json_t *body = json_pack("{s:s, s:s, s:s}", "type", c.rk->id, "source", c.out ? id : other,
                                 "target", c.out ? other : id);
        for (size_t i = 0; i < c.rk->n_fields; i++)
            if (attribute_field(&c.rk->fields[i]))
                attribute_value(&pg, &c.rk->fields[i], body);
        json_t *out = NULL, *orec = NULL;
        struct err e = ERR_INIT;
        int rc = registry_get_visible(pg.w->api->reg, &pg.actor, NULL, other, &orec, &e);
        if (rc == 0)
            rc = registry_create(pg.w->api->reg, &pg.actor, c.rk->collection, body, NULL, &out, &e);
        json_decref(orec);
        json_decref(body);
        json_decref(out);
        if (rc == 0)
            page_redirect(&pg, page_url(&pg, "/%s/%s?done=related#relations", coll, id));
        else if (e.status == 401 || e.status == 403)
            refuse(&pg, coll, id, 403, page_tr(&pg, TR("You may not add this relation.")));
        else if (e.status == 404)
            refuse(
                &pg, coll, id, 422,
                page_tr(&pg, TR("Choose the other end of the relation among the records found.")));
        else
            refuse(&pg, coll, id, e.status >= 400 && e.status < 500 ? 422 : e.status,
                   arena_printf(req->arena, "%s %s",
                                page_tr(&pg, TR("The relation was not added:")),
                                refusal_text(&pg, c.rk, &e)));
    }
    json_decref(rec);
}

static void h_remove(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *coll = card_path_collection(&pg), *id;
    const struct model_kind *k;
    json_t *rec = form_target(&pg, coll, &id, &k);
    if (!rec)
        return;
    const char *relid = http_req_param(req, "rel");
    json_t *rel = NULL;
    struct err e = ERR_INIT;
    const struct model_kind *rk = NULL;
    if (relid && text_id_valid(relid) &&
        registry_get_visible(pg.w->api->reg, &pg.actor, NULL, relid, &rel, &e) == 0)
        rk = model_kind(pg.w->api->model, json_string_value(json_object_get(rel, "type")));
    const char *src = json_string_value(json_object_get(rel, "source"));
    const char *dst = json_string_value(json_object_get(rel, "target"));
    if (!rk || !rk->is_relation || !src || !dst || (strcmp(src, id) != 0 && strcmp(dst, id) != 0))
        page_error(&pg, 404, NULL);
    else if (registry_retire(pg.w->api->reg, &pg.actor, rk->collection, relid, -1, &e) == 0)
        page_redirect(&pg, page_url(&pg, "/%s/%s?done=unrelated#relations", coll, id));
    else if (e.status == 401 || e.status == 403)
        refuse(&pg, coll, id, 403, page_tr(&pg, TR("You may not remove this relation.")));
    else
        page_error(&pg, e.status == 410 ? 404 : e.status, NULL);
    json_decref(rel);
    json_decref(rec);
}

void card_relation_routes(struct web *w, struct router *rt, const char *collection)
{
    char suffix[160];
    snprintf(suffix, sizeof suffix, "/%s/{id}/relations", collection);
    web_route(rt, "POST", suffix, h_add, w);
    snprintf(suffix, sizeof suffix, "/%s/{id}/relations/{rel}/remove", collection);
    web_route(rt, "POST", suffix, h_remove, w);
}
