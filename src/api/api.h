/* api: the HTTP handlers of /api/v1, /healthz and /metrics, mapping HTTP
 * to registry calls. Handlers parse and check input, call the registry,
 * and answer JSON or an RFC 9457 problem. */
#ifndef AP_API_H
#define AP_API_H

#include "http/http.h"
#include "account/account.h"
#include "calendar/calsvc.h"
#include "registry/registry.h"
#include "web/i18n.h"
#include "workflow/workflow.h"

struct docs;

struct api {
    struct accounts *acct;
    struct docs *docs; /* technical documentation (NULL: not served) */
    struct http_stream_ops upload_ops;
    struct http_stream_ops import_ops; /* POST …/{collection}/import (api-rows.c) */
    struct http_stream_ops archimate_ops; /* POST /api/v1/archimate (api-rows.c) */
    struct calsvc *cal;
    struct workflow *wf;
    bool secure_cookies; /* served over TLS (behind a proxy): cookies get Secure */
    struct registry *reg;
    struct store *store;
    const struct model *model;
    char *model_json; /* GET /api/v1/model body, serialised once */
    size_t model_json_len;
    const struct router *router; /* the routes the OpenAPI description walks */
    char *openapi_json;          /* GET /api/v1/openapi.json, made at the first ask */
    size_t openapi_len;
};

/* The session cookie that the API and the web pages share: its name, and
 * setting it (HttpOnly, SameSite=Strict, Secure behind TLS; max_age_s 0
 * ends it). */
#define API_SESSION_COOKIE "ap_session"
void api_set_session_cookie(const struct api *api, struct http_resp *resp, const char *value,
                            int64_t max_age_s);

/* Prepares the api (serialises the model) and registers its routes. */
void api_init(struct api *api, struct registry *reg, struct store *store,
              const struct model *model, struct accounts *acct, struct calsvc *cal);
void api_routes(struct api *api, struct router *rt);
/* The API's OpenAPI 3.1 description (api/openapi.c), made from the routes
 * and the model at the first call and kept: its text (NULL with e set when
 * a route has no description), or parsed (a new reference). */
const char *api_openapi_text(struct api *api, size_t *len, struct err *e);
json_t *api_openapi(struct api *api, struct err *e);
/* Sets a duplicate pair's (registry_duplicates) "suggestion": "<body of b>
 * could use <a> of <body of a>, …" (b's body may reuse a, the older
 * record), in language g; none for records of one body. */
void api_dups_suggest(const struct api *api, json_t *pair, enum lang g);
/* A finding of registry_duplicates_about (the item of a record, one of its
 * likes) as a pair of the duplicates' list: the other body's record first
 * (the one that could be reused), then the record (a new reference; its
 * suggestion is api_dups_suggest's). */
json_t *api_dups_about_pair(const json_t *item, const json_t *like);
void api_free(struct api *api);

#endif
