/* api: the HTTP handlers of /api/v1, /healthz and /metrics, mapping HTTP
 * to registry calls. Handlers parse and check input, call the registry,
 * and answer JSON or an RFC 9457 problem. */
#ifndef AP_API_H
#define AP_API_H

#include "http/http.h"
#include "account/account.h"
#include "calendar/calsvc.h"
#include "registry/registry.h"
#include "workflow/workflow.h"

struct docs;

struct api {
    struct accounts *acct;
    struct docs *docs; /* technical documentation (NULL: not served) */
    struct http_stream_ops upload_ops;
    struct calsvc *cal;
    struct workflow *wf;
    bool secure_cookies; /* served over TLS (behind a proxy): cookies get Secure */
    struct registry *reg;
    struct store *store;
    const struct model *model;
    char *model_json; /* GET /api/v1/model body, serialised once */
    size_t model_json_len;
};

/* Prepares the api (serialises the model) and registers its routes. */
void api_init(struct api *api, struct registry *reg, struct store *store,
              const struct model *model, struct accounts *acct, struct calsvc *cal);
void api_routes(struct api *api, struct router *rt);
void api_free(struct api *api);

#endif
