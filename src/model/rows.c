/* rows: a kind's "import" (issue 16 item 2, issue 18): how a row of a
 * spreadsheet file maps to a record of the kind, checked when the model
 * loads so that the importer (registry/rows.c) names no kind or field.
 *
 *   "import": {"key": "<target>",
 *              "columns": {"<target>": ["<header>", …], …}}
 *
 * A target is a field of the kind of a scalar type (string, text,
 * integer, decimal, date, bool, enum, url, email) or a list of strings or
 * enum values (a cell's items separated by ";"), "<i18n field>.<lang>",
 * or "name.<lang>" for a named kind. Headers are non-blank and, folded
 * and trimmed, name one column only. The key is one of the targets: a
 * filterable string field. */
#include "model/loader.h"

#include "util/text.h"

#include <string.h>

static const char *const IMPORT_KEYS[] = {"key", "columns", NULL};

static bool scalar_ok(enum field_type t)
{
    return t == FT_STRING || t == FT_TEXT || t == FT_INTEGER || t == FT_DECIMAL || t == FT_DATE ||
           t == FT_BOOL || t == FT_ENUM || t == FT_URL || t == FT_EMAIL;
}

static bool lang_ok(const char *l)
{
    return l && (strcmp(l, "kk") == 0 || strcmp(l, "ru") == 0 || strcmp(l, "en") == 0);
}

/* The target's field (and language) on k, or a fault at path. */
static int import_target(struct loader *ld, const struct model_kind *k, const char *target,
                         const char *path, struct model_import_column *c)
{
    c->target = ld_keep(ld, target);
    const char *dot = strchr(target, '.');
    char field[MODEL_NAME_MAX + 1];
    size_t n = dot ? (size_t)(dot - target) : strlen(target);
    if (n > MODEL_NAME_MAX)
        return ld_fail(ld, path, "'%s' is not a field of kind '%s'", target, k->id);
    memcpy(field, target, n);
    field[n] = '\0';
    c->lang = dot ? ld_keep(ld, dot + 1) : NULL;
    if (strcmp(field, "name") == 0 && k->named) {
        if (!lang_ok(c->lang))
            return ld_fail(ld, path, "the name takes a language: name.kk, name.ru or name.en");
        c->field = "name";
        return 0;
    }
    const struct model_field *f = model_field(k, field);
    if (!f)
        return ld_fail(ld, path, "'%s' is not a field of kind '%s'", field, k->id);
    if (f->readonly)
        return ld_fail(ld, path, "'%s' is read-only: the portal sets it", field);
    c->f = f;
    c->field = f->name;
    if (f->type == FT_I18N) {
        if (!lang_ok(c->lang))
            return ld_fail(ld, path, "the i18n field '%s' takes a language: %s.kk, %s.ru or %s.en",
                           field, field, field, field);
        return 0;
    }
    bool list_ok =
        f->type == FT_LIST && f->item && (f->item->type == FT_STRING || f->item->type == FT_ENUM);
    if (c->lang || !(scalar_ok(f->type) || list_ok))
        return ld_fail(ld, path, "a column cannot fill '%s' (a %s field)", target,
                       model_type_name(f->type));
    return 0;
}

/* The headers of column c, folded; none may name another column too. */
static int import_headers(struct loader *ld, const json_t *hs, const char *path,
                          struct model_import *im, struct model_import_column *c)
{
    if (!json_is_array(hs) || !json_array_size(hs))
        return ld_fail(ld, path, "must be a non-empty array of header names");
    c->n_headers = json_array_size(hs);
    c->headers = arena_calloc(ld->m->arena, c->n_headers + 1, sizeof *c->headers);
    for (size_t i = 0; i < c->n_headers; i++) {
        const char *h = json_string_value(json_array_get(hs, i)), *hp = ld_idx(ld, path, i);
        if (!h || ld_blank(h))
            return ld_fail(ld, hp, "must be a non-blank string");
        c->headers[i] = ld_keep(ld, model_import_fold(ld->tmp, h));
        for (size_t k = 0; k < im->n_cols; k++)
            for (size_t j = 0; j < im->cols[k].n_headers && im->cols[k].headers[j]; j++)
                if (&im->cols[k] != c || j < i)
                    if (strcmp(im->cols[k].headers[j], c->headers[i]) == 0)
                        return ld_fail(ld, hp, "the header '%s' already names column '%s'", h,
                                       im->cols[k].target);
    }
    return 0;
}

int parse_kind_import(struct loader *ld, const json_t *v, const char *path, struct model_kind *k)
{
    const json_t *iv = json_object_get(v, "import");
    if (!iv)
        return 0;
    const char *ip = ld_sub(ld, path, "import"), *key;
    json_t *cols;
    if (k->is_relation)
        return ld_fail(ld, ip, "relations are not imported");
    if (ld_want_object(ld, iv, ip) || ld_check_keys(ld, iv, ip, IMPORT_KEYS) ||
        ld_string(ld, iv, "key", ip, true, &key) ||
        ld_member(ld, iv, "columns", ip, JSON_OBJECT, true, &cols))
        return -1;
    const char *cp = ld_sub(ld, ip, "columns");
    if (!json_object_size(cols))
        return ld_fail(ld, cp, "names no column");
    struct model_import *im = arena_calloc(ld->m->arena, 1, sizeof *im);
    im->cols = arena_calloc(ld->m->arena, json_object_size(cols), sizeof *im->cols);
    const char *target;
    json_t *hs;
    json_object_foreach (cols, target, hs) {
        const char *tp = ld_sub(ld, cp, target);
        struct model_import_column *c = &im->cols[im->n_cols];
        if (import_target(ld, k, target, tp, c))
            return -1;
        for (size_t i = 0; i < im->n_cols; i++)
            if (im->cols[i].f && im->cols[i].f == c->f && !c->lang)
                return ld_fail(ld, tp, "'%s' is filled by column '%s' already", c->field,
                               im->cols[i].target);
        im->n_cols++;
        if (import_headers(ld, hs, tp, im, c))
            return -1;
        if (strcmp(target, key) == 0)
            im->key = c;
    }
    if (!im->key)
        return ld_fail(ld, ld_sub(ld, ip, "key"), "'%s' is not one of the columns", key);
    if (!im->key->f || im->key->f->type != FT_STRING || !im->key->f->filterable)
        return ld_fail(ld, ld_sub(ld, ip, "key"), "the key '%s' must be a filterable string field",
                       key);
    k->import = im;
    return 0;
}

/* ---- the import of every other kind, and the headers templates write ---------------------- */

/* Is the folded header h free in im (no column has it)? */
static bool header_free(const struct model_import *im, const char *h)
{
    for (size_t k = 0; k < im->n_cols; k++)
        for (size_t j = 0; j < im->cols[k].n_headers; j++)
            if (strcmp(im->cols[k].headers[j], h) == 0)
                return false;
    return true;
}

/* Adds the headers given (NULL ones skipped) that no column has yet. */
static void add_headers(struct loader *ld, struct model_import *im, struct model_import_column *c,
                        const char *const *hs, size_t n)
{
    const char **all = arena_calloc(ld->m->arena, c->n_headers + n + 1, sizeof *all);
    if (c->n_headers)
        memcpy(all, c->headers, c->n_headers * sizeof *all);
    c->headers = all;
    for (size_t i = 0; i < n; i++) {
        if (!hs[i])
            continue;
        const char *h = model_import_fold(ld->tmp, hs[i]);
        if (*h && header_free(im, h))
            c->headers[c->n_headers++] = ld_keep(ld, h);
    }
}

/* The header a template writes: the label, with " (kk)" after it for a
 * value in one language. */
static struct i18n display_of(struct loader *ld, struct i18n label, const char *lang)
{
    if (!lang)
        return label;
    struct i18n d;
    d.kk = arena_printf(ld->m->arena, "%s (%s)", label.kk ? label.kk : "", lang);
    d.ru = arena_printf(ld->m->arena, "%s (%s)", label.ru ? label.ru : "", lang);
    d.en = arena_printf(ld->m->arena, "%s (%s)", label.en ? label.en : "", lang);
    return d;
}

static const struct i18n ID_LABEL = {.kk = "Сәйкестендіргіш", .ru = "Идентификатор", .en = "ID"};
static const struct i18n NAME_LABEL = {.kk = "Атауы", .ru = "Наименование", .en = "Name"};
static const char *const LANGS[] = {"kk", "ru", "en"};

/* Adds a column for target (field f, or the envelope's id, name, owner)
 * headed by its target and its display in every language. */
static void derived_column(struct loader *ld, struct model_import *im, const char *target,
                           const char *field, const char *lang, const struct model_field *f,
                           struct i18n label)
{
    struct model_import_column *c = &im->cols[im->n_cols++];
    c->target = ld_keep(ld, target);
    c->field = ld_keep(ld, field);
    c->lang = lang;
    c->f = f;
    c->display = display_of(ld, label, lang);
    const char *hs[] = {target, c->display.kk, c->display.ru, c->display.en};
    add_headers(ld, im, c, hs, 4);
}

/* May a cell fill field f (a template column)? */
static bool cell_field(const struct model_field *f)
{
    if (f->readonly || f->derived_from)
        return false;
    if (f->type == FT_LIST)
        return f->item && (scalar_ok(f->item->type) || f->item->type == FT_REF);
    return scalar_ok(f->type) || f->type == FT_REF || f->type == FT_I18N;
}

static void derive_one(struct loader *ld, struct model_kind *k)
{
    size_t most = 1 + 3 + 1 + 3 * k->n_fields;
    struct model_import *im = arena_calloc(ld->m->arena, 1, sizeof *im);
    im->cols = arena_calloc(ld->m->arena, most, sizeof *im->cols);
    im->derived = true;
    derived_column(ld, im, "id", "id", NULL, NULL, ID_LABEL);
    im->key = &im->cols[0];
    for (size_t l = 0; k->named && l < 3; l++)
        derived_column(ld, im, arena_printf(ld->tmp, "name.%s", LANGS[l]), "name", LANGS[l], NULL,
                       NAME_LABEL);
    if (k->owned)
        derived_column(ld, im, "owner", "owner", NULL, NULL, model_owner_label);
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (!cell_field(f))
            continue;
        if (f->type != FT_I18N) {
            derived_column(ld, im, f->name, f->name, NULL, f, f->label);
            continue;
        }
        for (size_t l = 0; l < 3; l++)
            derived_column(ld, im, arena_printf(ld->tmp, "%s.%s", f->name, LANGS[l]), f->name,
                           LANGS[l], f, f->label);
    }
    k->import = im;
}

int derive_imports(struct loader *ld)
{
    for (size_t i = 0; i < ld->m->n_kinds; i++) {
        struct model_kind *k = &ld->m->kinds[i];
        if (!k->import) {
            derive_one(ld, k);
            continue;
        }
        /* a declared import: the headers a template writes, and those
         * headers read back */
        struct model_import *im = (struct model_import *)k->import;
        for (size_t c = 0; c < im->n_cols; c++) {
            struct model_import_column *col = &im->cols[c];
            col->display = display_of(ld, col->f ? col->f->label : NAME_LABEL, col->lang);
            const char *hs[] = {col->display.kk, col->display.ru, col->display.en};
            add_headers(ld, im, col, hs, 3);
        }
    }
    return 0;
}

json_t *import_json(const struct model_import *im)
{
    json_t *cols = json_object();
    for (size_t i = 0; i < im->n_cols; i++)
        json_object_set_new(cols, im->cols[i].target,
                            strings_json(im->cols[i].headers, im->cols[i].n_headers));
    return json_pack("{s:s, s:o}", "key", im->key->target, "columns", cols);
}

char *model_import_fold(struct arena *a, const char *header)
{
    while (*header == ' ' || *header == '\t')
        header++;
    size_t n = strlen(header);
    while (n && (header[n - 1] == ' ' || header[n - 1] == '\t' || header[n - 1] == '\r' ||
                 header[n - 1] == '\n'))
        n--;
    return text_fold(a, arena_strndup(a, header, n));
}

const struct model_import_column *model_import_column(const struct model_import *im,
                                                      const char *folded)
{
    for (size_t i = 0; im && i < im->n_cols; i++)
        for (size_t j = 0; j < im->cols[i].n_headers; j++)
            if (strcmp(im->cols[i].headers[j], folded) == 0)
                return &im->cols[i];
    return NULL;
}
