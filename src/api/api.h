/* api: the HTTP handlers of /api/v1, /healthz and /metrics, mapping HTTP
 * to registry calls. Handlers parse and check input, call the registry,
 * and answer JSON or an RFC 9457 problem. */
#ifndef AP_API_H
#define AP_API_H

#include "http/http.h"
#include "registry/registry.h"

struct api {
    struct registry *reg;
    struct store *store;
    const struct model *model;
    char *model_json; /* GET /api/v1/model body, serialised once */
    size_t model_json_len;
};

/* Prepares the api (serialises the model) and registers its routes. */
void api_init(struct api *api, struct registry *reg, struct store *store,
              const struct model *model);
void api_routes(struct api *api, struct router *rt);
void api_free(struct api *api);

#endif
