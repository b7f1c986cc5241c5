/* Private to the card: what page-card.c (the card) shares with
 * page-card-rel.c (adding and removing its relations). */
#ifndef AP_WEB_CARD_H
#define AP_WEB_CARD_H

#include "web/internal.h"

/* The records collection of the page's path "/<lang>/<collection>/…",
 * or NULL. */
const char *card_path_collection(const struct page *pg);
/* Renders the card of coll/id with status; pg->data may already hold the
 * relation form's "rel_error" (a refused relation, shown in its form). */
void card_page(struct page *pg, const char *coll, const char *id, int status);
/* The organisation whose rights apply to a record (its owner; an
 * organisation itself), in the request's arena; "" when none. */
const char *card_record_org(const struct page *pg, const json_t *rec);
/* May the visitor remove a relation of type rk whose source belongs to
 * src_org? */
bool card_may_remove(const struct page *pg, const struct model_kind *rk, const char *src_org);
/* The add-a-relation form of the record rec (kind k) for the visitor, or
 * NULL when it may add none: the relation types the model allows from and
 * to k, the chosen one's other ends found by the search box (records of
 * the allowed kinds the visitor may read), the chosen type's attributes;
 * and the confirmation of a removal asked for by ?remove=<relation id>. */
json_t *card_relation_form(struct page *pg, const struct model_kind *k, const char *coll,
                           const char *id, const json_t *rec);
/* POST /{lang}/{collection}/{id}/relations and …/relations/{rel}/remove. */
void card_relation_routes(struct web *w, struct router *rt, const char *collection);
/* GET /{lang}/{collection}/{id}/trace: what the record leads to and comes
 * from, step by step (page-trace.c). */
void card_trace_routes(struct web *w, struct router *rt, const char *collection);

/* The fields of rec (kind k) as the card's "General data" shows them:
 * [{label, field, list, values: [{text, href?}], restricted?,
 * inherited?}], restricted ones left out when hide_restricted; with
 * pg->refs set (a record as it was), the references named by it and
 * nothing inherited computed. */
json_t *card_fields(struct page *pg, const struct model_kind *k, const json_t *rec,
                    bool hide_restricted);

/* The views of kind k (model key "views") as links from the card of
 * coll/id: [{label, url}] (page-view.c). */
json_t *card_view_links(struct page *pg, const struct model_kind *k, const char *coll,
                        const char *id);
/* GET /{lang}/{collection}/{id}/view/{name}: the record's view. */
void card_view_routes(struct web *w, struct router *rt, const char *collection);

#endif
