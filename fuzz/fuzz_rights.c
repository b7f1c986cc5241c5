/* libFuzzer target: the rights file parser (rights_load) against the
 * shipped metamodel, and the queries on a matrix that loads. */
#include "auth/rights.h"
#include "embedded.h"

#include <stdint.h>
#include <stdlib.h>

static struct model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct err e = ERR_INIT;
    if (model_load_buffer((const char *)model_egov_kz, model_egov_kz_len, &model, &e) < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e = ERR_INIT;
    struct rights *r = NULL;
    if (rights_load((const char *)data, size, model, &r, &e) < 0) {
        if (r || !e.detail[0])
            abort(); /* a refusal leaves nothing and says why */
        return 0;
    }
    uint32_t all = 0;
    for (size_t i = 0; i < rights_n_roles(r); i++)
        all |= 1u << i;
    for (int a = 0; a < RA_N; a++) {
        const char *kind = rights_action_is_system((enum rights_action)a) ? NULL : "information_system";
        bool own = rights_allows(r, all, (enum rights_action)a, kind, true);
        bool other = rights_allows(r, all, (enum rights_action)a, kind, false);
        if (other && !own)
            abort(); /* "any" always includes "own" */
    }
    json_decref(rights_json(r));
    rights_free(r);
    return 0;
}
