/* The scores' pages (model section "scores", e.g. an ICT project's risk
 * level, REQ MON-07; GET /api/v1/scores/{score}): /{lang}/scores/{score}
 * rolls a score up by state body and lists the riskiest records, each
 * factor's value and level; ?owner= and ?level= narrow it; …/{score}/rows.csv
 * gives every record's row. A scored record's card explains its level
 * (page_score_section). Public like the records: each reader sees what
 * they may read. */
#include "web/internal.h"

#include "registry/registry.h"
#include "util/text.h"

#include <math.h>
#include <string.h>

/* The most records and state bodies the page lists (the CSV has every
 * record; ?bodies=all lists every body). */
#define SCORE_PAGE_RECORDS 100
#define SCORE_PAGE_BODIES 50

static const char *level_label(struct page *pg, const json_t *score, json_int_t level)
{
    const json_t *x = json_array_get(json_object_get(score, "scale"), (size_t)(level - 1));
    return level > 0 && x ? web_name(pg->lang, json_object_get(x, "label")) : page_tr(pg, TR("Not assessed"));
}

/* A number as the page shows it: whole, or with one decimal. */
static const char *number_text(struct page *pg, double v)
{
    return v == floor(v) ? arena_printf(pg->req->arena, "%.0f", v)
                         : arena_printf(pg->req->arena, "%.1f", v);
}

static const char *unit_text(struct page *pg, const char *unit, double v)
{
    const char *n = number_text(pg, v);
    if (!unit)
        return n;
    if (strcmp(unit, "days") == 0)
        return arena_printf(pg->req->arena, page_tr(pg, TR("%s d.")), n);
    if (strcmp(unit, "percent") == 0)
        return arena_printf(pg->req->arena, "%s %%", n);
    return n;
}

const char *page_score_value(struct page *pg, const struct model_score_factor *f, const json_t *v,
                             bool unit)
{
    if (json_is_number(v))
        return unit ? unit_text(pg, f->unit, json_number_value(v))
                    : number_text(pg, json_number_value(v));
    if (json_is_string(v))
        return page_enum_label(pg, f->field_enum, json_string_value(v));
    return NULL;
}

static const struct model_score_factor *factor_of(const struct model_score *s, const char *id)
{
    for (size_t i = 0; id && i < s->n_factors; i++)
        if (strcmp(s->factors[i].id, id) == 0)
            return &s->factors[i];
    return NULL;
}

/* A record's link: {text, href}. */
static json_t *brief_link(struct page *pg, const json_t *b)
{
    const char *id = json_string_value(json_object_get(b, "id"));
    const char *name = web_name(pg->lang, json_object_get(b, "name"));
    json_t *o = json_pack("{s:s}", "text", *name ? name : id ? id : "");
    struct err e = ERR_INIT;
    json_t *rec = NULL;
    if (id && registry_get_visible(pg->w->api->reg, &pg->actor, NULL, id, &rec, &e) == 0) {
        const struct model_kind *k =
            model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
        if (!*name && *web_name(pg->lang, json_object_get(rec, "name")))
            json_object_set_new(o, "text",
                                json_string(web_name(pg->lang, json_object_get(rec, "name"))));
        if (k && !k->is_relation)
            json_object_set_new(o, "href", json_string(page_url(pg, "/%s/%s", k->collection, id)));
        json_decref(rec);
    }
    return o;
}

/* The label of sub-field `name` of the list field `items` of kind k. */
static const char *sub_label(struct page *pg, const struct model_kind *k, const char *items,
                             const char *name)
{
    const struct model_field *f = model_field(k, items);
    const struct model_field *s = f && f->item ? model_sub_field(f->item, name) : NULL;
    return s ? web_label(pg->lang, s->label) : name;
}

/* What a factor's value comes from, in words, and the records it names. */
static void explain(struct page *pg, const struct model_score *s, const struct model_score_factor *f,
                    const json_t *rec, const json_t *r, json_t *row)
{
    json_t *links = json_array();
    const char *why = "";
    const json_t *x;
    size_t i;
    if (json_is_false(json_object_get(r, "applies")))
        why = page_tr(pg, TR("Does not apply at the record's present stage."));
    else if (json_is_null(json_object_get(r, "value")))
        why = page_tr(pg, TR("No data yet."));
    else if (f->op == SCORE_DAYS_LATE) {
        const char *by = json_string_value(json_object_get(r, "done_field"));
        const char *entry = "";
        const struct model_field *lf = model_field(s->kind, f->items);
        /* the item named by its first enum sub-field (a stage) */
        for (size_t k = 0; lf && lf->item && k < lf->item->n_sub; k++)
            if (lf->item->sub[k].type == FT_ENUM) {
                const json_t *it =
                    json_array_get(json_object_get(rec, f->items),
                                   (size_t)json_integer_value(json_object_get(r, "item")));
                const char *v = json_string_value(json_object_get(it, lf->item->sub[k].name));
                entry = v ? arena_printf(pg->req->arena, "%s: ",
                                         page_enum_label(pg, lf->item->sub[k].enumeration, v))
                          : "";
                break;
            }
        why = arena_printf(pg->req->arena, "%s%s %s → %s %s", entry,
                           sub_label(pg, s->kind, f->items, f->due),
                           json_string_value(json_object_get(r, "due")),
                           by && strcmp(by, "today") == 0 ? page_tr(pg, TR("today"))
                                                          : sub_label(pg, s->kind, f->items, by ? by : ""),
                           json_string_value(json_object_get(r, "done")));
    } else if (f->op == SCORE_EXCESS) {
        why = arena_printf(pg->req->arena, "%s %s; %s %s",
                           sub_label(pg, s->kind, f->items, f->actual),
                           number_text(pg, json_number_value(json_object_get(r, "actual"))),
                           sub_label(pg, s->kind, f->items, f->planned),
                           number_text(pg, json_number_value(json_object_get(r, "planned"))));
    } else if (f->op == SCORE_OVERDUE) {
        json_array_foreach (json_object_get(r, "records"), i, x) {
            json_t *l = brief_link(pg, x);
            char day[11] = "";
            snprintf(day, sizeof day, "%s", json_string_value(json_object_get(x, "due")));
            json_object_set_new(l, "note", json_string(arena_printf(
                                               pg->req->arena, page_tr(pg, TR("due %s")), day)));
            json_array_append_new(links, l);
        }
        if (!json_array_size(links))
            why = page_tr(pg, TR("Nothing overdue."));
    } else if (f->op == SCORE_LATEST) {
        json_t *l = brief_link(pg, json_object_get(r, "record"));
        json_object_set_new(l, "note", json_string(json_string_value(json_object_get(r, "on"))));
        json_array_append_new(links, l);
    } else if (f->op == SCORE_SHORTFALL) {
        json_array_append_new(links, brief_link(pg, json_object_get(r, "record")));
        why = arena_printf(pg->req->arena, page_tr(pg, TR("baseline %s, target %s, actual %s")),
                           number_text(pg, json_number_value(json_object_get(r, "baseline"))),
                           number_text(pg, json_number_value(json_object_get(r, "target"))),
                           number_text(pg, json_number_value(json_object_get(r, "actual"))));
    }
    json_object_set_new(row, "why", json_string(why));
    json_object_set_new(row, "has_links", json_boolean(json_array_size(links) > 0));
    json_object_set_new(row, "links", links);
}

/* A factor's row of a record: its label, value, level, explanation. */
static json_t *factor_row(struct page *pg, const json_t *score, const struct model_score *s,
                          const json_t *rec, const json_t *r)
{
    const struct model_score_factor *f =
        factor_of(s, json_string_value(json_object_get(r, "factor")));
    if (!f)
        return NULL;
    const json_t *v = json_object_get(r, "value");
    json_int_t level = json_integer_value(json_object_get(r, "level"));
    const char *value = page_score_value(pg, f, v, true);
    json_t *row = json_pack("{s:s, s:s, s:s, s:I}", "label", web_label(pg->lang, f->label), "value",
                            value ? value : "—", "level_label", level_label(pg, score, level), "level",
                            level);
    explain(pg, s, f, rec, r, row);
    return row;
}

int page_score_section(struct page *pg, const struct model_kind *k, const char *id,
                       const json_t *rec)
{
    const struct model *m = pg->w->api->model;
    json_t *sections = json_array();
    for (size_t i = 0; i < model_n_scores(m); i++) {
        const struct model_score *s = model_score_at(m, i);
        if (s->kind != k)
            continue;
        json_t *score = NULL, *index = NULL;
        struct err e = ERR_INIT;
        if (registry_score(pg->w->api->reg, &pg->actor, s->id, &score, &index, &e) < 0) {
            json_decref(sections);
            return -1;
        }
        const json_t *it = registry_score_item(score, index, id), *r;
        if (it) {
            json_t *rows = json_array();
            size_t j;
            json_array_foreach (json_object_get(it, "factors"), j, r) {
                json_t *row = factor_row(pg, score, s, rec, r);
                if (row)
                    json_array_append_new(rows, row);
            }
            json_int_t level = json_integer_value(json_object_get(it, "level"));
            json_array_append_new(
                sections,
                json_pack("{s:s, s:s, s:s, s:I, s:s, s:o, s:s}", "id", s->id, "label",
                          web_label(pg->lang, s->label), "level_label",
                          level_label(pg, score, level), "level", level, "judged_on",
                          json_string_value(json_object_get(score, "judged_on")), "factors", rows,
                          "url", page_url(pg, "/scores/%s", s->id)));
        }
        json_decref(index);
        json_decref(score);
    }
    json_object_set_new(pg->data, "scores", sections);
    return 0;
}

/* The factors and their thresholds in force, for the page's legend. */
static json_t *legend(struct page *pg, const json_t *score, const struct model_score *s)
{
    json_t *out = json_array();
    const json_t *x;
    size_t i;
    json_array_foreach (json_object_get(score, "factors"), i, x) {
        const struct model_score_factor *f = factor_of(s, json_string_value(json_object_get(x, "id")));
        const json_t *th = json_object_get(x, "thresholds"), *at = json_object_get(th, "at"), *v;
        if (!f)
            continue;
        struct buf b;
        buf_init(&b, 256);
        if (json_is_array(at)) {
            size_t l;
            json_array_foreach (at, l, v)
                buf_printf(&b, "%s%s: %s", b.len ? "; " : "", level_label(pg, score, (json_int_t)l + 2),
                           unit_text(pg, f->unit, json_number_value(v)));
        } else {
            const char *val;
            json_object_foreach ((json_t *)at, val, v)
                buf_printf(&b, "%s%s: %s", b.len ? "; " : "", page_enum_label(pg, f->field_enum, val),
                           level_label(pg, score, json_integer_value(v)));
        }
        json_array_append_new(
            out, json_pack("{s:s, s:s?, s:s, s:s?, s:s?}", "label", web_label(pg->lang, f->label),
                           "requirement", f->requirement, "thresholds",
                           arena_strdup(pg->req->arena, b.p ? b.p : ""), "from",
                           json_string_value(json_object_get(th, "from")), "source",
                           json_string_value(json_object_get(th, "source"))));
        buf_free(&b);
    }
    return out;
}

/* The score of ?owner= / ?level=, or NULL after answering an error. */
static json_t *score_of(struct page *pg, const struct model_score **s, const char **owner,
                        json_int_t *level)
{
    const char *name = http_req_param(pg->req, "score");
    *s = name ? model_score(pg->w->api->model, name) : NULL;
    *owner = http_req_query(pg->req, "owner");
    *level = 0;
    if (!*s) {
        page_error(pg, 404, NULL);
        return NULL;
    }
    if (*owner && !text_id_valid(*owner)) {
        page_error(pg, 400, page_tr(pg, TR("The state body is not a record identifier.")));
        return NULL;
    }
    json_t *score = NULL;
    struct err e = ERR_INIT;
    if (registry_score(pg->w->api->reg, &pg->actor, (*s)->id, &score, NULL, &e) < 0) {
        page_error(pg, e.status, NULL);
        return NULL;
    }
    const char *lv = http_req_query(pg->req, "level");
    const json_t *x;
    size_t i;
    json_array_foreach (json_object_get(score, "scale"), i, x)
        if (lv && strcmp(lv, json_string_value(json_object_get(x, "value"))) == 0)
            *level = (json_int_t)i + 1;
    if (lv && !*level) {
        json_decref(score);
        page_error(pg, 400, page_tr(pg, TR("There is no such level.")));
        return NULL;
    }
    return score;
}

static bool wanted(const json_t *it, const char *owner, json_int_t level)
{
    const char *o = json_string_value(json_object_get(it, "owner"));
    return (!owner || (o && strcmp(o, owner) == 0)) &&
           (!level || json_integer_value(json_object_get(it, "level")) == level);
}

static void h_score(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.nav = "dashboards";
    const struct model_score *s;
    const char *owner;
    json_int_t level;
    json_t *score = score_of(&pg, &s, &owner, &level);
    if (!score)
        return;
    json_t *d = pg.data, *groups = json_array(), *rows = json_array(), *head = json_array();
    const json_t *x, *g;
    size_t i, j;
    json_array_foreach (json_object_get(score, "scale"), i, x)
        json_array_append_new(head, json_string(web_name(pg.lang, json_object_get(x, "label"))));
    const char *bodies = http_req_query(req, "bodies");
    bool all_bodies = bodies && strcmp(bodies, "all") == 0;
    size_t n_bodies = 0;
    json_array_foreach (json_object_get(score, "by"), i, g) {
        const char *oid = json_string_value(json_object_get(g, "owner"));
        if (owner && (!oid || strcmp(oid, owner) != 0))
            continue;
        if (!all_bodies && ++n_bodies > SCORE_PAGE_BODIES)
            continue;
        const char *name = web_name(pg.lang, json_object_get(g, "name"));
        json_t *counts = json_array();
        json_array_foreach (json_object_get(g, "levels"), j, x)
            json_array_append(counts, (json_t *)x);
        json_array_append_new(
            groups, json_pack("{s:s, s:s?, s:O, s:O, s:s, s:o}", "name",
                              *name ? name : oid ? oid : page_tr(&pg, TR("None")), "href",
                              oid ? page_url(&pg, "/scores/%s?owner=%s", s->id, oid) : NULL,
                              "records", json_object_get(g, "records"), "assessed",
                              json_object_get(g, "assessed"), "level_label",
                              level_label(&pg, score, json_integer_value(json_object_get(g, "level"))),
                              "counts", counts));
    }
    /* the riskiest records first */
    size_t shown = 0, matching = 0;
    for (json_int_t l = (json_int_t)json_array_size(json_object_get(score, "scale")); l >= 0; l--)
        json_array_foreach (json_object_get(score, "items"), i, x) {
            if (json_integer_value(json_object_get(x, "level")) != l || !wanted(x, owner, level))
                continue;
            matching++;
            if (shown >= SCORE_PAGE_RECORDS)
                continue;
            json_t *cells = json_array();
            json_array_foreach (json_object_get(x, "factors"), j, g) {
                const struct model_score_factor *f =
                    factor_of(s, json_string_value(json_object_get(g, "factor")));
                const json_t *v = json_object_get(g, "value");
                json_int_t fl = json_integer_value(json_object_get(g, "level"));
                const char *val = f ? page_score_value(&pg, f, v, true) : NULL;
                json_array_append_new(cells, json_pack("{s:s, s:s?}", "value", val ? val : "—", "level",
                                                       fl ? level_label(&pg, score, fl) : NULL));
            }
            json_array_append_new(
                rows, json_pack("{s:o, s:s, s:I, s:o}", "record", brief_link(&pg, x), "level_label",
                                level_label(&pg, score, l), "level", l, "cells", cells));
            shown++;
        }
    json_t *fhead = json_array();
    for (i = 0; i < s->n_factors; i++)
        json_array_append_new(fhead, json_string(web_label(pg.lang, s->factors[i].label)));
    json_object_set_new(d, "title", json_string(web_label(pg.lang, s->label)));
    json_object_set_new(d, "judged_on", json_string(json_string_value(json_object_get(score, "judged_on"))));
    json_object_set_new(d, "legend", legend(&pg, score, s));
    json_object_set_new(d, "levels_head", head);
    json_object_set_new(d, "groups", groups);
    if (n_bodies > SCORE_PAGE_BODIES)
        json_object_set_new(d, "bodies_listed",
                            json_pack("{s:i, s:I, s:s}", "shown", SCORE_PAGE_BODIES, "all",
                                      (json_int_t)n_bodies, "href",
                                      page_url(&pg, "/scores/%s?bodies=all", s->id)));
    json_object_set_new(d, "factors_head", fhead);
    json_object_set_new(d, "rows", rows);
    json_object_set_new(d, "has_rows", json_boolean(shown > 0));
    if (shown < matching)
        json_object_set_new(d, "listed", json_pack("{s:I, s:I}", "shown", (json_int_t)shown, "all",
                                                   (json_int_t)matching));
    if (owner || level)
        json_object_set_new(d, "all_url", json_string(page_url(&pg, "/scores/%s", s->id)));
    json_t *levels = json_array();
    json_array_foreach (json_object_get(score, "scale"), i, x)
        json_array_append_new(
            levels, json_pack("{s:s, s:s, s:b}", "text", web_name(pg.lang, json_object_get(x, "label")),
                              "href",
                              page_url(&pg, "/scores/%s?level=%s%s%s", s->id,
                                       json_string_value(json_object_get(x, "value")),
                                       owner ? "&owner=" : "", owner ? owner : ""),
                              "current", level == (json_int_t)i + 1));
    json_object_set_new(d, "level_links", levels);
    json_object_set_new(d, "csv_url",
                        json_string(page_url(&pg, "/scores/%s/rows.csv%s%s", s->id, owner ? "?owner=" : "",
                                             owner ? owner : "")));
    json_decref(score);
    page_render(&pg, 200, "scores", web_label(pg.lang, s->label));
}

/* Every record's row: its level and each factor's value and level. */
static void h_score_csv(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model_score *s;
    const char *owner;
    json_int_t level;
    struct page_csv csv;
    json_t *score = score_of(&pg, &s, &owner, &level);
    if (!score)
        return;
    if (page_csv_begin(&pg, &csv) < 0) {
        json_decref(score);
        return;
    }
    size_t n = 4 + 2 * s->n_factors;
    const char **row = arena_calloc(req->arena, n, sizeof *row);
    row[0] = page_tr(&pg, TR("Record"));
    row[1] = page_tr(&pg, TR("Identifier"));
    row[2] = page_tr(&pg, TR("Owner"));
    row[3] = page_tr(&pg, TR("Level"));
    for (size_t f = 0; f < s->n_factors; f++) {
        const char *l = web_label(pg.lang, s->factors[f].label);
        row[4 + 2 * f] = l;
        row[5 + 2 * f] = arena_printf(req->arena, "%s: %s", l, page_tr(&pg, TR("Level")));
    }
    web_csv_row(csv.f, row, n, csv.sep);
    json_t *owners = json_object();
    const json_t *g, *x, *r;
    size_t i, j;
    json_array_foreach (json_object_get(score, "by"), i, g)
        if (json_string_value(json_object_get(g, "owner")))
            json_object_set(owners, json_string_value(json_object_get(g, "owner")),
                            json_object_get(g, "name"));
    json_array_foreach (json_object_get(score, "items"), i, x) {
        if (!wanted(x, owner, level))
            continue;
        const char *oid = json_string_value(json_object_get(x, "owner"));
        row[0] = web_name(pg.lang, json_object_get(x, "name"));
        row[1] = json_string_value(json_object_get(x, "id"));
        row[2] = oid ? web_name(pg.lang, json_object_get(owners, oid)) : "";
        row[3] = level_label(&pg, score, json_integer_value(json_object_get(x, "level")));
        json_array_foreach (json_object_get(x, "factors"), j, r) {
            const struct model_score_factor *f = j < s->n_factors ? &s->factors[j] : NULL;
            const json_t *v = json_object_get(r, "value");
            if (!f)
                break;
            const char *val = page_score_value(&pg, f, v, false);
            row[4 + 2 * j] = val ? val : "";
            json_int_t fl = json_integer_value(json_object_get(r, "level"));
            row[5 + 2 * j] = fl ? level_label(&pg, score, fl) : "";
        }
        web_csv_row(csv.f, row, n, csv.sep);
    }
    json_decref(owners);
    json_decref(score);
    page_csv_send(&pg, &csv, s->id);
}

void web_scores_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/scores/{score}", h_score, w);
    web_route(rt, "GET", "/scores/{score}/rows.csv", h_score_csv, w);
}
