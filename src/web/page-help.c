/* Help (issue 14 item 11): a page per topic — what the portal is, a short
 * guide per role, the legal acts it implements, contacts, the
 * accessibility and privacy statements, the API — each a template of
 * web/templates/help in the three languages, with a side navigation of
 * them all and an index. */
#include "web/internal.h"

#include "account/account.h"
#include "registry/registry.h"

#include <string.h>

enum help_group { HELP_ABOUT, HELP_GUIDE, HELP_OTHER };

static const struct help_topic {
    const char *slug, *title, *summary;
    enum help_group group;
} TOPICS[] = {
    {"about", TR("What is the architectural portal"),
     TR("In plain words: what the portal is and what you can find in it."), HELP_ABOUT},
    {"state-body", TR("Guide for a state body's IT staff"),
     TR("Get an account, record your objects, place their documents and send them for "
        "verification."),
     HELP_GUIDE},
    {"integrator", TR("Guide for the service integrator: verifier and architect"),
     TR("Decide account applications, verify records and assign accounting codes, keep the "
        "architecture."),
     HELP_GUIDE},
    {"authorized-body", TR("Guide for the authorized body"),
     TR("Read the whole registry, follow the monitoring, approve the architecture."), HELP_GUIDE},
    {"operator", TR("Guide for the operator of the ICT infrastructure"),
     TR("Keep the objects of the ICT infrastructure and the platform software products assigned "
        "to the operator."),
     HELP_GUIDE},
    {"citizen", TR("Guide for citizens and other readers"),
     TR("Search the registry, read a card, download the data."), HELP_GUIDE},
    {"legal", TR("The legal acts the portal implements"),
     TR("The Law on informatization and the Orders whose rules the portal follows, with links "
        "to their texts."),
     HELP_OTHER},
    {"contacts", TR("Contacts"), TR("Whom to ask about accounts, records and the architecture."),
     HELP_OTHER},
    {"accessibility", TR("Accessibility statement"),
     TR("How the portal is made usable for everyone, and what to do if something is not."),
     HELP_OTHER},
    {"privacy", TR("Privacy statement"),
     TR("What personal data the portal keeps, why, and for how long."), HELP_OTHER},
    {"api", TR("The API for programs"), TR("Read and write the registry from your own systems."),
     HELP_OTHER},
};
#define N_TOPICS (sizeof TOPICS / sizeof TOPICS[0])

/* The side navigation, with `current` (NULL: the index) marked; and the
 * language of the legal texts' site. */
static void help_common(struct page *pg, const struct help_topic *current)
{
    static const char *const adilet[] = {"kaz", "rus", "eng"};
    json_t *topics = json_array();
    for (size_t i = 0; i < N_TOPICS; i++)
        json_array_append_new(topics, json_pack("{s:s, s:s, s:s, s:b}", "url",
                                                page_url(pg, "/help/%s", TOPICS[i].slug), "title",
                                                page_tr(pg, TOPICS[i].title), "summary",
                                                page_tr(pg, TOPICS[i].summary), "current",
                                                &TOPICS[i] == current));
    json_object_set_new(pg->data, "topics", topics);
    json_object_set_new(pg->data, "is_index", json_boolean(current == NULL));
    json_object_set_new(pg->data, "adilet", json_string(adilet[pg->lang]));
    json_object_set_new(pg->data, "adilet_lang", json_string(i18n_code(pg->lang)));
    pg->nav = "help";
}

static void h_index(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    help_common(&pg, NULL);
    static const char *const groups[] = {"about", "guides", "other"};
    json_t *lists[3] = {json_array(), json_array(), json_array()};
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(pg.data, "topics"), i, t)
        json_array_append(lists[TOPICS[i].group], t);
    for (size_t g = 0; g < 3; g++)
        json_object_set_new(pg.data, groups[g], lists[g]);
    page_render(&pg, 200, "help/index", page_tr(&pg, TR("Help")));
}

/* The contacts' organisation: the service integrator's card, as the
 * visitor may read it. */
static void help_integrator(struct page *pg)
{
    char id[128];
    struct err e = ERR_INIT;
    json_t *rec = NULL;
    if (accounts_integrator_org(pg->w->api->acct, id, sizeof id, &e) < 0 || !id[0] ||
        registry_get_visible(pg->w->api->reg, &pg->actor, NULL, id, &rec, &e) < 0)
        return;
    const struct model_kind *k =
        model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
    json_t *o = json_pack("{s:s, s:s}", "name", web_name(pg->lang, json_object_get(rec, "name")),
                          "url", page_url(pg, "/%s/%s", k ? k->collection : "", id));
    /* its website, the first public field the model types as a URL */
    for (size_t i = 0; k && i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        const char *v = json_string_value(json_object_get(rec, f->name));
        if (f->type == FT_URL && !f->restricted && v) {
            json_object_set_new(o, "website", json_string(v));
            break;
        }
    }
    json_object_set_new(pg->data, "integrator", o);
    json_decref(rec);
}

static void h_topic(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *slug = http_req_param(req, "topic");
    const struct help_topic *t = NULL;
    for (size_t i = 0; i < N_TOPICS && !t; i++)
        if (strcmp(TOPICS[i].slug, slug) == 0)
            t = &TOPICS[i];
    if (!t) {
        page_error(&pg, 404, NULL);
        return;
    }
    help_common(&pg, t);
    if (strcmp(t->slug, "contacts") == 0)
        help_integrator(&pg);
    page_render(&pg, 200, arena_printf(req->arena, "help/%s", t->slug), page_tr(&pg, t->title));
}

void web_help_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/help", h_index, w);
    web_route(rt, "GET", "/help/{topic}", h_topic, w);
}
