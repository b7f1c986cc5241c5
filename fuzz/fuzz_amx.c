/* libFuzzer target: the readers of architecture files (docs/amx.c and
 * registry_archimate_read): an ArchiMate exchange file, a ZIP archive of
 * Archi's CSV files, or the three CSV files themselves (the input split at
 * form feeds). Whatever the bytes, they are read into concepts that each
 * have an identifier, a type, texts and folders within the bounds, or
 * refused with a 4xx. */
#include "docs/amx.h"
#include "registry/archimate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const struct amx *m, const struct err *e)
{
    if (rc < 0) {
        if (e->status != 400 && e->status != 413 && e->status != 415)
            abort();
        return;
    }
    if (m->n > AMX_MAX_CONCEPTS || m->n_defs > AMX_MAX_DEFS)
        abort();
    for (size_t i = 0; i < m->n; i++) {
        const struct amx_concept *c = &m->c[i];
        if (!c->id || !c->type || c->n_props > AMX_MAX_PROPS || c->name.n > AMX_MAX_TEXTS)
            abort();
        for (size_t t = 0; t < c->name.n; t++)
            if (!c->name.v[t].s || !c->name.v[t].lang)
                abort();
        (void)amx_text_in(&c->name, "ru");
    }
    for (size_t i = 0; i < m->n_members; i++)
        if (m->members[i].folder < 0 || (size_t)m->members[i].folder >= m->n_folders)
            abort();
    for (size_t i = 0; i < m->n_folders; i++)
        if (m->folders[i].parent >= (long)i)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    struct amx m;
    struct err e = ERR_INIT;
    const char *d = (const char *)data;
    check(registry_archimate_read(a, d, size, &m, &e), &m, &e);
    amx_free(&m);
    /* the same bytes as Archi's three files */
    const char *part[3] = {d, NULL, NULL};
    size_t len[3] = {size, 0, 0};
    for (size_t k = 1; k < 3; k++) {
        const char *ff = memchr(part[k - 1], '\f', len[k - 1]);
        if (!ff)
            break;
        part[k] = ff + 1;
        len[k] = len[k - 1] - (size_t)(ff + 1 - part[k - 1]);
        len[k - 1] = (size_t)(ff - part[k - 1]);
    }
    e = (struct err)ERR_INIT;
    check(amx_read_archi_csv(a, part[0], len[0], part[1], len[1], part[2], len[2], &m, &e), &m, &e);
    amx_free(&m);
    arena_free(a);
    return 0;
}
