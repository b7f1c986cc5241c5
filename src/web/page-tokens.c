/* My personal API tokens: the list, a new token (its secret shown once,
 * on the answer to the form, never in a URL) and revoking one, with the
 * same account functions as /api/v1/me/tokens. */
#include "web/account-form.h"

#include "account/account.h"

#include <stdlib.h>
#include <string.h>

static void tokens_render(struct page *pg, int status)
{
    pg->nav = "tokens";
    json_t *list = NULL;
    struct err e = ERR_INIT;
    if (token_list(pg->w->api->acct, &pg->actor, pg->actor.user, &list, &e) < 0) {
        page_error(pg, e.status, NULL);
        return;
    }
    json_t *items = json_array();
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(list, "items"), i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        const char *created = json_string_value(json_object_get(t, "created_at"));
        const char *used = json_string_value(json_object_get(t, "last_used_at"));
        struct buf sc;
        buf_init(&sc, 0);
        size_t j;
        json_t *s;
        json_array_foreach (json_object_get(t, "scopes"), j, s) {
            if (sc.len)
                buf_puts(&sc, ", ");
            buf_puts(&sc, strcmp(json_string_value(s), "write") == 0 ? page_tr(pg, TR("write"))
                                                                     : page_tr(pg, TR("read")));
        }
        json_t *o = json_pack("{s:s, s:O, s:s, s:s, s:s, s:b, s:s}", "id", id, "name",
                              json_object_get(t, "name"), "scopes", sc.p ? sc.p : "", "created",
                              page_local_day(pg, created), "used", page_local_day(pg, used),
                              "revoked", json_is_string(json_object_get(t, "revoked_at")),
                              "revoke_url", page_url(pg, "/tokens/%s/revoke", id));
        buf_free(&sc);
        json_array_append_new(items, o);
    }
    json_decref(list);
    json_object_set_new(pg->data, "has_tokens", json_boolean(json_array_size(items) > 0));
    json_object_set_new(pg->data, "items", items);
    if (!json_object_get(pg->data, "fields"))
        acct_field(pg, "fields", "token", "name", page_tr(pg, TR("Name of the new token")),
                   FIELD_TEXT, "off", true);
    static const char *const codes[] = {"revoked", NULL};
    static const char *const msgs[] = {TR("The token was revoked: it no longer works."), NULL};
    page_notice(pg, codes, msgs);
    page_render(pg, status, "account/tokens", page_tr(pg, TR("My API tokens")));
}

static void h_tokens(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!page_need_user(&pg, NULL))
        return;
    json_object_set_new(pg.data, "scope_read", json_true());
    tokens_render(&pg, 200);
}

static void h_token_create(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!page_need_user(&pg, NULL) || page_form(&pg) < 0)
        return;
    json_t *name = acct_field(&pg, "fields", "token", "name",
                              page_tr(&pg, TR("Name of the new token")), FIELD_TEXT, "off", true);
    json_t *scopes = json_array();
    for (size_t i = 0; i < pg.n_form; i++)
        if (strcmp(pg.form[i].key, "scope") == 0) {
            json_array_append_new(scopes, json_string(pg.form[i].value));
            json_object_set_new(
                pg.data, strcmp(pg.form[i].value, "write") == 0 ? "scope_write" : "scope_read",
                json_true());
        }
    if (acct_require(&pg, "fields") > 0 || json_array_size(scopes) == 0) {
        if (json_array_size(scopes) == 0)
            acct_error(&pg, NULL, "token-scope-read",
                       page_tr(&pg, TR("Choose what the token may do: read, or read and write.")));
        json_decref(scopes);
        tokens_render(&pg, 422);
        return;
    }
    char *plain = NULL;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = token_create(pg.w->api->acct, &pg.actor, pg.actor.user, form_value(&pg, "name"),
                          scopes, &plain, &out, &e);
    json_decref(scopes);
    json_decref(out);
    if (rc < 0) {
        if (e.status != 422) {
            page_error(&pg, e.status, NULL);
            return;
        }
        if (strcmp(e.field, "name") == 0)
            acct_error(&pg, name, NULL,
                       page_tr(&pg, TR("The name must be text of at most 200 bytes.")));
        else
            acct_error(&pg, NULL, "token-scope-read",
                       page_tr(&pg, TR("Choose what the token may do: read, or read and write.")));
        tokens_render(&pg, 422);
        return;
    }
    /* shown once, here: the portal keeps only its hash */
    json_object_set_new(pg.data, "new_secret", json_string(plain));
    free(plain);
    json_object_set_new(name, "value", json_string(""));
    json_object_set_new(pg.data, "scope_read", json_true());
    json_object_del(pg.data, "scope_write");
    http_resp_header(resp, "Cache-Control", "no-store");
    tokens_render(&pg, 200);
}

static void h_token_revoke(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!page_need_user(&pg, NULL) || page_form(&pg) < 0)
        return;
    struct err e = ERR_INIT;
    if (token_revoke(pg.w->api->acct, &pg.actor, pg.actor.user, http_req_param(req, "id"), &e) <
        0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    page_redirect(&pg, page_url(&pg, "/tokens?done=revoked"));
}

void web_tokens_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/tokens", h_tokens, w);
    web_route(rt, "POST", "/tokens", h_token_create, w);
    web_route(rt, "POST", "/tokens/{id}/revoke", h_token_revoke, w);
}
