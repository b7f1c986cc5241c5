/* jsonx: small checks on JSON request bodies shared by the modules. */
#ifndef AP_JSONX_H
#define AP_JSONX_H

#include "util/err.h"

#include <jansson.h>

/* Refuses (422 "unknown-field", field the key, detail "'<key>' <what>") a
 * member of obj not in keys (NULL-terminated). */
int jsonx_known_keys(const json_t *obj, const char *const *keys, const char *what, struct err *e);

#endif
