/* legacy: fields that take over what older records said in free text
 * (model key "migrate_from"). A stored record without such a list of refs
 * but with text in the field it migrates from gets the records of the
 * list's kinds whose name (in any language, letter case and Kazakh/Russian
 * letter forms folded) occurs in the text; the text stays as it was, a
 * legacy note. What no name matches is left for people (a rule can flag
 * it). Each change is an ordinary edit by the system: a revision and an
 * audit entry. */
#include "internal.h"

#include "util/arena.h"
#include "util/text.h"

#include <stdlib.h>
#include <string.h>

struct named {
    char *id;
    char *folded[3]; /* the kk, ru, en names folded ("" when none) */
};

/* The live records of the field's kinds with their names folded. */
static int names_of(struct store_conn *c, struct arena *a, const struct model_field *f,
                    struct named **out, size_t *n, struct err *e)
{
    static const char SQL[] =
        "SELECT r.id, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
        "WHERE r.retired = 0 AND r.kind IN (SELECT value FROM json_each($1)) ORDER BY r.rid";
    static const char *const langs[] = {"kk", "ru", "en"};
    json_t *kinds = json_array();
    for (size_t i = 0; i < f->item->n_ref_kinds; i++)
        json_array_append_new(kinds, json_string(f->item->ref_kinds[i]));
    char *ks = json_dumps(kinds, JSON_COMPACT);
    json_decref(kinds);
    struct store_stmt *st = store_prepare(c, SQL, false, e);
    if (!st) {
        free(ks);
        return -1;
    }
    store_bind_text(st, 1, ks);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 1), 0, NULL);
        json_t *name = json_object_get(rec, "name");
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        struct named *x = &(*out)[(*n)++];
        x->id = arena_strdup(a, store_col_text(st, 0));
        for (size_t l = 0; l < 3; l++) {
            const char *t = json_string_value(json_object_get(name, langs[l]));
            x->folded[l] = t && strlen(t) >= 3 ? text_fold(a, t) : "";
        }
        json_decref(rec);
    }
    store_finalize(st);
    free(ks);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The ids of the named records the folded text names, as a JSON array. */
static json_t *matches(const struct named *names, size_t n, const char *text)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < n; i++)
        for (size_t l = 0; l < 3; l++)
            if (names[i].folded[l][0] && strstr(text, names[i].folded[l])) {
                json_array_append_new(ids, json_string(names[i].id));
                break;
            }
    return ids;
}

/* The records of kind k lacking field f, with text in f->migrate_from:
 * [{id, collection, text}]. */
static json_t *lacking(struct store_conn *c, const struct model_kind *k,
                       const struct model_field *f, struct err *e)
{
    struct store_stmt *st =
        store_prepare(c,
                      "SELECT r.id, r.collection, json_extract(d.data, '$.' || $2) FROM records r "
                      "JOIN record_data d ON d.rid = r.rid WHERE r.retired = 0 AND r.kind = $1 "
                      "AND json_extract(d.data, '$.' || $3) IS NULL ORDER BY r.rid",
                      false, e);
    if (!st)
        return NULL;
    store_bind_text(st, 1, k->id);
    store_bind_text(st, 2, f->migrate_from);
    store_bind_text(st, 3, f->name);
    json_t *out = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        if (store_col_text(st, 2))
            json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "id", store_col_text(st, 0),
                                                 "collection", store_col_text(st, 1), "text",
                                                 store_col_text(st, 2)));
    store_finalize(st);
    if (rc == STORE_ERROR) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static int migrate_field(struct registry *r, const struct model_kind *k,
                         const struct model_field *f, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    json_t *todo = lacking(c, k, f, e);
    if (!todo)
        return -1;
    struct arena *a = arena_new();
    struct named *names = NULL;
    size_t n = 0;
    int rc = json_array_size(todo) ? names_of(c, a, f, &names, &n, e) : 0;
    struct actor sys = {.id = "system:migration", .system = true};
    size_t i;
    json_t *t;
    json_array_foreach (todo, i, t) {
        if (rc < 0)
            break;
        json_t *ids =
            matches(names, n, text_fold(a, json_string_value(json_object_get(t, "text"))));
        if (json_array_size(ids)) {
            json_t *patch = json_pack("{s:o}", f->name, ids), *out = NULL;
            rc = registry_patch(r, &sys, json_string_value(json_object_get(t, "collection")),
                                json_string_value(json_object_get(t, "id")), -1, patch, &out, e);
            json_decref(patch);
            json_decref(out);
        } else
            json_decref(ids);
    }
    free(names);
    arena_free(a);
    json_decref(todo);
    return rc;
}

int registry_migrate_fields(struct registry *r, struct err *e)
{
    for (size_t i = 0; i < model_n_kinds(r->model); i++) {
        const struct model_kind *k = model_kind_at(r->model, i);
        for (size_t j = 0; j < k->n_fields; j++)
            if (k->fields[j].migrate_from && migrate_field(r, k, &k->fields[j], e) < 0)
                return -1;
    }
    return 0;
}
