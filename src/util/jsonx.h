/* jsonx: small checks on JSON request bodies shared by the modules. */
#ifndef AP_JSONX_H
#define AP_JSONX_H

#include "util/err.h"

#include <jansson.h>

/* Refuses (422 "unknown-field", field the key, detail `format` with the
 * key for its one %s, e.g. "'%.60s' is not a field of a user") a member of
 * obj not in keys (NULL-terminated). The format is the detail's message id
 * (translated in web/po/<lang>/api.po). */
int jsonx_known_keys(const json_t *obj, const char *const *keys, const char *format, struct err *e)
    __attribute__((format(printf, 3, 0)));

#endif
