/* jsonx: small checks on JSON request bodies (see jsonx.h). */
#include "util/jsonx.h"

#include <string.h>

int jsonx_known_keys(const json_t *obj, const char *const *keys, const char *format, struct err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], key) != 0)
            i++;
        if (!keys[i]) {
            err_set(e, 422, "unknown-field", key, format, key);
            return -1;
        }
    }
    return 0;
}
