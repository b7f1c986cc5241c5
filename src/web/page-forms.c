/* The forms that create and edit a record of any records collection
 * (/{lang}/{collection}/new, /{lang}/{collection}/{id}/edit), generated
 * from the metamodel (one control per field type), and the owner's
 * submission for verification of a kind with a workflow. They call the
 * registry and the workflow as the API does; the registry's validation
 * errors are shown next to their fields with what the visitor typed kept. */
#include "web/forms.h"

#include "account/account.h"
#include "auth/authz.h"
#include "calendar/calsvc.h"
#include "registry/dups.h"
#include "registry/listq.h"
#include "registry/registry.h"
#include "util/text.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "workflow/workflow.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_CANDIDATES 100

static const struct rights *rights_of(const struct page *pg)
{
    return accounts_rights(pg->w->api->acct);
}

void forms_notice(struct page *pg)
{
    static const char *const codes[] = {"created", "saved", "submitted", "verified", "returned",
                                        NULL};
    static const char *const msgids[] = {
        TR("The record was created."), TR("The changes were saved."),
        TR("The object was sent for verification."), TR("The object was verified and registered."),
        TR("The object was returned to its owner with remarks."), NULL};
    page_notice(pg, codes, msgids);
}

const char *forms_value_text(struct page *pg, const struct model_field *f, const json_t *v)
{
    if (!v || json_is_null(v))
        return "";
    switch (f->type) {
    case FT_I18N:
        return web_name(pg->lang, v);
    case FT_BOOL:
        return page_tr(pg, json_is_true(v) ? TR("Yes") : TR("No"));
    case FT_ENUM:
        return json_is_string(v) ? page_enum_label(pg, f->enumeration, json_string_value(v)) : "";
    case FT_INTEGER:
        return arena_printf(pg->req->arena, "%lld", (long long)json_integer_value(v));
    case FT_LIST:
    case FT_OBJECT: {
        /* items "; ", an object's sub-fields "label: value, …" */
        struct buf b;
        buf_init(&b, 0);
        size_t n = f->type == FT_LIST ? json_array_size(v) : f->n_sub;
        for (size_t i = 0; i < n; i++) {
            const json_t *x =
                f->type == FT_LIST ? json_array_get(v, i) : json_object_get(v, f->sub[i].name);
            if (f->type == FT_OBJECT && !x)
                continue;
            if (b.len)
                buf_puts(&b, f->type == FT_LIST ? "; " : ", ");
            if (f->type == FT_OBJECT)
                buf_printf(&b, "%s: ", web_label(pg->lang, f->sub[i].label));
            buf_puts(&b, forms_value_text(pg, f->type == FT_LIST ? f->item : &f->sub[i], x));
        }
        const char *out = arena_strdup(pg->req->arena, b.p ? b.p : "");
        buf_free(&b);
        return out;
    }
    default:
        return json_is_string(v) ? json_string_value(v) : "";
    }
}

/* ---- the values of a form ------------------------------------------------------- */

static bool form_has(const struct page *pg, const char *name)
{
    for (size_t i = 0; i < pg->n_form; i++)
        if (strcmp(pg->form[i].key, name) == 0)
            return true;
    return false;
}

/* A textarea's value with the browser's CR LF line ends made LF. */
static char *unix_lines(struct page *pg, const char *s)
{
    size_t n = strlen(s);
    char *out = arena_alloc(pg->req->arena, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '\r' && s[i + 1] == '\n'))
            out[j++] = s[i];
    out[j] = '\0';
    return out;
}

/* An i18n value from "<name>.kk", "<name>.ru", "<name>.en"; NULL when all empty. */
static json_t *i18n_from_form(struct page *pg, const char *name)
{
    json_t *o = json_object();
    for (int l = 0; l < LANG_N; l++) {
        const char *v = form_value(pg, arena_printf(pg->req->arena, "%s.%s", name, i18n_code((enum lang)l)));
        if (*v)
            json_object_set_new(o, i18n_code((enum lang)l), json_string(v));
    }
    if (json_object_size(o) == 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* One scalar from text: integers become JSON integers when they parse
 * (otherwise the text goes on, and the registry names the field). */
static json_t *scalar_from_text(const struct model_field *f, const char *s)
{
    if (f->type == FT_INTEGER) {
        char *end;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (*s && !*end && errno == 0)
            return json_integer(n);
    }
    return json_string(s);
}

/* An object's sub-fields from "<prefix>.<sub>" (a checkbox left unticked
 * is no value: a row of empty inputs stays empty); NULL when all empty. */
static json_t *object_from_form(struct page *pg, const struct model_field *f, const char *prefix)
{
    json_t *o = json_object();
    for (size_t i = 0; i < f->n_sub; i++) {
        const struct model_field *sf = &f->sub[i];
        const char *name = arena_printf(pg->req->arena, "%s.%s", prefix, sf->name);
        const char *v = form_value(pg, name);
        if (sf->type == FT_BOOL) {
            if (form_has(pg, name))
                json_object_set_new(o, sf->name, json_true());
            continue;
        }
        if (sf->type == FT_TEXT)
            v = unix_lines(pg, v);
        if (*v)
            json_object_set_new(o, sf->name, scalar_from_text(sf, v));
    }
    if (json_object_size(o) == 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Does the form hold any input of row i of list `name` ("<name>[i].…")? */
static bool form_has_row(const struct page *pg, const char *name, size_t i)
{
    char prefix[160];
    int n = snprintf(prefix, sizeof prefix, "%s[%zu].", name, i);
    for (size_t k = 0; n > 0 && (size_t)n < sizeof prefix && k < pg->n_form; k++)
        if (strncmp(pg->form[k].key, prefix, (size_t)n) == 0)
            return true;
    return false;
}

/* A list of objects from its rows "<name>[i].<sub>", in order; rows left
 * empty are dropped. */
static json_t *rows_from_form(struct page *pg, const struct model_field *f)
{
    json_t *a = json_array();
    for (size_t i = 0; i < pg->n_form && form_has_row(pg, f->name, i); i++) {
        json_t *o =
            object_from_form(pg, f->item, arena_printf(pg->req->arena, "%s[%zu]", f->name, i));
        if (o)
            json_array_append_new(a, o);
    }
    return a;
}

/* The field's value as typed in the form, or NULL when left empty. */
static json_t *field_from_form(struct page *pg, const struct model_field *f)
{
    switch (f->type) {
    case FT_OBJECT:
        return object_from_form(pg, f, f->name);
    case FT_I18N:
        return i18n_from_form(pg, f->name);
    case FT_BOOL:
        if (form_has(pg, f->name))
            return json_true();
        return form_has(pg, arena_printf(pg->req->arena, "%s._present", f->name)) ? json_false()
                                                                                  : NULL;
    case FT_LIST: {
        json_t *a = f->item->type == FT_OBJECT ? rows_from_form(pg, f)
                    : f->item->type == FT_ENUM ? forms_values(pg, f->name)
                                               : json_array();
        if (f->item->type != FT_OBJECT && f->item->type != FT_ENUM) {
            char *text = unix_lines(pg, form_value(pg, f->name));
            for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                    *nl = '\0';
                while (*line == ' ' || *line == '\t')
                    line++;
                size_t n = strlen(line);
                while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
                    line[--n] = '\0';
                if (*line)
                    json_array_append_new(a, scalar_from_text(f->item, line));
                line = nl ? nl + 1 : NULL;
            }
        }
        if (json_array_size(a) == 0) {
            json_decref(a);
            return NULL;
        }
        return a;
    }
    default: {
        const char *v = form_value(pg, f->name);
        if (f->type == FT_TEXT)
            v = unix_lines(pg, v);
        return *v ? scalar_from_text(f, v) : NULL;
    }
    }
}

/* May the visitor write field f in a form? Not a read-only one, nor one
 * written only by roles it holds none of (`written_by`). */
static bool writable(const struct page *pg, const struct model_field *f)
{
    const struct rights *rt = registry_rights(pg->w->api->reg);
    return !f->readonly && (!f->n_written_by || !rt ||
                            authz_holds_one(rt, &pg->actor, f->written_by, f->n_written_by));
}

/* Every editable value of the form: {"name": …, field: value …}. */
static json_t *values_from_form(struct page *pg, const struct model_kind *k)
{
    json_t *vals = json_object();
    json_t *name = i18n_from_form(pg, "name");
    if (name)
        json_object_set_new(vals, "name", name);
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (!writable(pg, f))
            continue;
        json_t *v = field_from_form(pg, f);
        if (v)
            json_object_set_new(vals, f->name, v);
    }
    return vals;
}

/* ---- the controls --------------------------------------------------------------- */

/* The state of one rendering: the values shown, the field at fault. */
struct form_state {
    const struct model_kind *k;
    json_t *vals;          /* borrowed */
    json_t *errs;          /* borrowed: {top-level field: message} of a refused
                              write ("": none named), or NULL */
    int64_t day;           /* the local day whose rules say what is needed */
    const char *find;      /* the ref field whose candidates are searched */
};

json_t *forms_values(const struct page *pg, const char *name)
{
    json_t *out = json_array();
    for (size_t i = 0; i < pg->n_form; i++)
        if (strcmp(pg->form[i].key, name) == 0 && *pg->form[i].value)
            json_array_append_new(out, json_string(pg->form[i].value));
    return out;
}

const char *forms_error_text(struct page *pg, const struct err *e)
{
    if (strcmp(e->type, "required") == 0)
        return page_tr(pg, TR("Fill in this field."));
    if (strcmp(e->type, "wrong-type") == 0)
        return page_tr(pg, TR("Enter a value of the right type."));
    if (strcmp(e->type, "bad-enum") == 0)
        return page_tr(pg, TR("Choose one of the offered values."));
    if (strcmp(e->type, "bad-format") == 0)
        return page_tr(pg, TR("The value is not in the right format."));
    if (strcmp(e->type, "dangling-reference") == 0 || strcmp(e->type, "wrong-reference") == 0 ||
        strcmp(e->type, "bad-reference") == 0)
        return page_tr(pg, TR("Choose an existing record of the right kind."));
    return page_tr(pg, TR("This value is not accepted."));
}

/* Where inside a structured field an error path points ("costs[1].year":
 * "Row 2, Year"), before the message; the message alone otherwise. */
static const char *error_text_at(struct page *pg, const struct model_kind *k, const struct err *e)
{
    const char *text = forms_error_text(pg, e), *path = e->field;
    size_t n = strcspn(path, "[.");
    const struct model_field *f =
        n && path[n] ? model_field(k, arena_strndup(pg->req->arena, path, n)) : NULL;
    if (!f || !(f->type == FT_OBJECT || (f->type == FT_LIST && f->item->type == FT_OBJECT)))
        return text;
    const struct model_field *obj = f->type == FT_LIST ? f->item : f;
    const char *rest = path + n, *where = "";
    if (*rest == '[') {
        char *end;
        unsigned long row = strtoul(rest + 1, &end, 10);
        if (*end != ']')
            return text;
        where = arena_printf(pg->req->arena, "%s %lu", page_tr(pg, TR("Row")), row + 1);
        rest = end + 1;
    }
    for (size_t i = 0; *rest == '.' && i < obj->n_sub; i++)
        if (strcmp(obj->sub[i].name, rest + 1) == 0)
            where = arena_printf(pg->req->arena, "%s%s%s", where, *where ? ", " : "",
                                 web_label(pg->lang, obj->sub[i].label));
    return *where ? arena_printf(pg->req->arena, "%s: %s", where, text) : text;
}

/* The top-level field of an error path ("functions[2]" → "functions"). */
static const char *error_field(struct page *pg, const char *path)
{
    size_t n = strcspn(path, "[./");
    return n ? arena_strndup(pg->req->arena, path, n) : NULL;
}

/* Notes problem one under its top-level field in errs (each field's
 * first problem only). */
static void note_error(struct page *pg, const struct model_kind *k, json_t *errs,
                       const struct err *one)
{
    const char *field = error_field(pg, one->field);
    if (!field)
        field = "";
    if (!json_object_get(errs, field))
        json_object_set_new(errs, field, json_string(error_text_at(pg, k, one)));
}

/* The problems of a refused write (e, with the list e->errors when it
 * collected them) as {field: message} (new reference). */
static json_t *form_errors(struct page *pg, const struct model_kind *k, const struct err *e)
{
    json_t *errs = json_object();
    size_t i;
    json_t *x;
    json_array_foreach (e->errors, i, x) {
        struct err one; /* with its message id: said in the page's language */
        err_of_entry(x, &one);
        note_error(pg, k, errs, &one);
    }
    if (json_object_size(errs) == 0)
        note_error(pg, k, errs, e);
    return errs;
}

static json_t *enum_options(struct page *pg, const struct model_enum *en, const json_t *cur,
                            bool multiple, const char *id)
{
    json_t *opts = json_array();
    for (size_t i = 0; en && i < en->n_values; i++) {
        const char *v = en->values[i].id;
        bool on = false;
        if (multiple) {
            size_t j;
            json_t *it;
            json_array_foreach (cur, j, it)
                on |= json_is_string(it) && strcmp(json_string_value(it), v) == 0;
        } else
            on = json_is_string(cur) && strcmp(json_string_value(cur), v) == 0;
        json_array_append_new(opts,
                              json_pack("{s:s, s:s, s:b, s:s}", "value", v, "label",
                                        web_label(pg->lang, en->values[i].label), "selected", on,
                                        "id", arena_printf(pg->req->arena, "%s-%zu", id, i)));
    }
    return opts;
}

/* The collection that holds records of kind id. */
static const char *collection_of(const struct model *m, const char *kind)
{
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        if (model_collection_has_kind(c, kind))
            return c->id;
    }
    return NULL;
}

/* Is id one of cur's ids (cur: an id or an array of ids)? */
static bool among(const json_t *cur, const char *id)
{
    if (json_is_string(cur))
        return strcmp(json_string_value(cur), id) == 0;
    size_t i;
    const json_t *x;
    json_array_foreach (cur, i, x)
        if (json_is_string(x) && strcmp(json_string_value(x), id) == 0)
            return true;
    return false;
}

json_t *forms_ref_options(struct page *pg, const struct model_field *f, const json_t *cur,
                          const char *q, int limit)
{
    const struct model *m = pg->w->api->model;
    json_t *opts = json_array();
    const char *coll_id = f->n_ref_kinds ? collection_of(m, f->ref_kinds[0]) : NULL;
    const struct model_collection *coll = coll_id ? model_collection(m, coll_id) : NULL;
    struct listq_param params[16];
    size_t n = 0;
    for (size_t i = 0; i < f->n_ref_kinds && n < 12; i++)
        params[n++] = (struct listq_param){"kind", f->ref_kinds[i]};
    params[n++] = (struct listq_param){"limit", arena_printf(pg->req->arena, "%d", limit)};
    if (q && *q)
        params[n++] = (struct listq_param){"q", q};
    struct list_query lq;
    json_t *list = NULL, *seen = json_object();
    struct err e = ERR_INIT;
    if (coll &&
        listq_parse_lang(pg->req->arena, m, coll, params, n, NULL, i18n_code(pg->lang), &lq, &e) ==
            0 &&
        registry_scope_list(pg->w->api->reg, &pg->actor, &lq, &e) == 0 &&
        registry_list(pg->w->api->reg, pg->req->arena, &lq, &list, &e) == 0) {
        size_t i;
        json_t *rec;
        json_array_foreach (json_object_get(list, "items"), i, rec) {
            const char *id = json_string_value(json_object_get(rec, "id"));
            if (!id)
                continue;
            bool on = among(cur, id);
            if (on)
                json_object_set_new(seen, id, json_true());
            const char *name = web_name(pg->lang, json_object_get(rec, "name"));
            json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "value", id, "label",
                                                  *name ? name : id, "selected", on));
        }
    }
    json_decref(list);
    /* the current values the list did not meet come first, named when the
     * visitor may read them */
    json_t *ids = json_is_string(cur) ? json_pack("[O]", cur) : json_incref((json_t *)cur);
    size_t i, at = 0;
    json_t *x;
    json_array_foreach (ids, i, x) {
        const char *cur_id = json_string_value(x);
        if (!cur_id || !*cur_id || json_object_get(seen, cur_id))
            continue;
        json_object_set_new(seen, cur_id, json_true());
        json_t *rec = NULL;
        struct err e2 = ERR_INIT;
        const char *label = cur_id;
        if (registry_get_visible(pg->w->api->reg, &pg->actor, NULL, cur_id, &rec, &e2) == 0) {
            const char *name = web_name(pg->lang, json_object_get(rec, "name"));
            if (*name)
                label = arena_strdup(pg->req->arena, name);
        }
        json_decref(rec);
        json_array_insert_new(
            opts, at++,
            json_pack("{s:s, s:s, s:b}", "value", cur_id, "label", label, "selected", true));
    }
    json_decref(ids);
    json_decref(seen);
    return opts;
}

static json_t *i18n_inputs(struct page *pg, const char *name, const json_t *cur)
{
    static const char *const lang_labels[LANG_N] = {TR("In Kazakh"), TR("In Russian"),
                                                    TR("In English")};
    json_t *out = json_array();
    for (int l = 0; l < LANG_N; l++) {
        const char *v = json_string_value(json_object_get(cur, i18n_code((enum lang)l)));
        json_array_append_new(
            out,
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "name",
                      arena_printf(pg->req->arena, "%s.%s", name, i18n_code((enum lang)l)), "id",
                      arena_printf(pg->req->arena, "f-%s-%s", name, i18n_code((enum lang)l)), "code",
                      i18n_code((enum lang)l), "label", page_tr(pg, lang_labels[l]), "value", v ? v : ""));
    }
    return out;
}

/* The text of a list for its textarea: one item per line. */
static const char *list_lines(struct page *pg, const json_t *cur)
{
    struct buf b;
    buf_init(&b, 0);
    size_t i;
    json_t *it;
    json_array_foreach (cur, i, it) {
        if (i)
            buf_putc(&b, '\n');
        if (json_is_string(it))
            buf_puts(&b, json_string_value(it));
        else if (json_is_integer(it))
            buf_printf(&b, "%lld", (long long)json_integer_value(it));
    }
    const char *out = arena_strdup(pg->req->arena, b.p ? b.p : "");
    buf_free(&b);
    return out;
}

static const char *scalar_text(struct page *pg, const json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        return arena_printf(pg->req->arena, "%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return arena_printf(pg->req->arena, "%g", json_real_value(v));
    return "";
}

#define BLANK_ROWS 2 /* empty rows offered after the items of a list of objects */

/* One input of an object's sub-field, named "<prefix>.<sub>", for the
 * forms/sub partial. Every key the partial reads is set, so that none is
 * taken from the field around it. */
static json_t *sub_control(struct page *pg, const struct model_field *sf, const char *prefix,
                           const char *id_prefix, const json_t *cur)
{
    const char *id = arena_printf(pg->req->arena, "%s-%s", id_prefix, sf->name);
    json_t *c = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:s}", "name",
                          arena_printf(pg->req->arena, "%s.%s", prefix, sf->name), "id", id,
                          "label", web_label(pg->lang, sf->label), "required", sf->required,
                          "t_input", false, "t_text", false, "t_bool", false, "t_enum", false,
                          "error", false, "value", scalar_text(pg, cur), "inputmode", "");
    switch (sf->type) {
    case FT_TEXT:
        json_object_set_new(c, "t_text", json_true());
        break;
    case FT_BOOL:
        json_object_set_new(c, "t_bool", json_true());
        json_object_set_new(c, "checked", json_boolean(json_is_true(cur)));
        break;
    case FT_ENUM:
        json_object_set_new(c, "t_enum", json_true());
        json_object_set_new(c, "options", enum_options(pg, sf->enumeration, cur, false, id));
        break;
    default:
        json_object_set_new(c, "t_input", json_true());
        json_object_set_new(c, "input_type",
                            json_string(sf->type == FT_DATE    ? "date"
                                        : sf->type == FT_URL   ? "url"
                                        : sf->type == FT_EMAIL ? "email"
                                                               : "text"));
        if (sf->type == FT_INTEGER || sf->type == FT_DECIMAL)
            json_object_set_new(c, "inputmode",
                                json_string(sf->type == FT_INTEGER ? "numeric" : "decimal"));
        break;
    }
    return c;
}

/* The inputs of one object (f's sub-fields) under prefix. */
static json_t *sub_controls(struct page *pg, const struct model_field *f, const char *prefix,
                            const char *id_prefix, const json_t *cur)
{
    json_t *out = json_array();
    for (size_t i = 0; i < f->n_sub; i++)
        json_array_append_new(out, sub_control(pg, &f->sub[i], prefix, id_prefix,
                                               json_object_get(cur, f->sub[i].name)));
    return out;
}

/* A list of objects as rows: the items given, then BLANK_ROWS empty ones
 * (more come after saving: the page works without scripts). */
static json_t *row_controls(struct page *pg, const struct model_field *f, const char *id,
                            const json_t *cur)
{
    json_t *rows = json_array();
    size_t n = json_is_array(cur) ? json_array_size(cur) : 0;
    for (size_t i = 0; i < n + BLANK_ROWS; i++) {
        const json_t *item = i < n ? json_array_get(cur, i) : NULL;
        json_t *cells =
            sub_controls(pg, f->item, arena_printf(pg->req->arena, "%s[%zu]", f->name, i),
                         arena_printf(pg->req->arena, "%s-%zu", id, i), item);
        json_array_append_new(
            rows, json_pack("{s:o, s:s}", "cells", cells, "row_label",
                            arena_printf(pg->req->arena, "%s %zu", page_tr(pg, TR("Row")), i + 1)));
    }
    return rows;
}

/* One control's data for the template: its type flag, label, value. */
static json_t *control(struct page *pg, const struct form_state *st, const char *name,
                       enum field_type type, const struct model_field *f, struct i18n label,
                       bool required)
{
    const json_t *cur = json_object_get(st->vals, name);
    const char *id = arena_printf(pg->req->arena, "f-%s", name);
    json_t *c = json_pack("{s:s, s:s, s:s, s:b}", "name", name, "id", id, "label",
                          web_label(pg->lang, label), "required", required);
    if (f && f->help.kk) {
        json_object_set_new(c, "hint", json_string(web_label(pg->lang, f->help)));
        json_object_set_new(c, "hint_id", json_string(arena_printf(pg->req->arena, "%s-help", id)));
    }
    /* needed to send it for verification, with the values as they stand
     * (the stage chosen): said before a submission is refused */
    json_object_set_new(c, "needed", json_boolean(f && st->k->workflow && !required &&
                                                  model_field_needed(f, st->vals, st->day)));
    const char *err = json_string_value(json_object_get(st->errs, name));
    if (err) {
        json_object_set_new(c, "error", json_string(err));
        json_object_set_new(c, "error_id",
                            json_string(arena_printf(pg->req->arena, "%s-error", id)));
    }
    switch (type) {
    case FT_I18N:
        json_object_set_new(c, "t_i18n", json_true());
        json_object_set_new(c, "langs", i18n_inputs(pg, name, cur));
        break;
    case FT_TEXT:
        json_object_set_new(c, "t_text", json_true());
        json_object_set_new(c, "value", json_string(scalar_text(pg, cur)));
        break;
    case FT_BOOL:
        json_object_set_new(c, "t_bool", json_true());
        json_object_set_new(c, "checked", json_boolean(json_is_true(cur)));
        json_object_set_new(c, "present",
                            json_string(arena_printf(pg->req->arena, "%s._present", name)));
        break;
    case FT_ENUM:
        json_object_set_new(c, "t_enum", json_true());
        json_object_set_new(c, "options", enum_options(pg, f->enumeration, cur, false, id));
        break;
    case FT_REF: {
        bool finding = st->find && strcmp(st->find, name) == 0;
        const char *qname = arena_printf(pg->req->arena, "%s._q", name);
        const char *q = finding ? form_value(pg, qname) : "";
        json_object_set_new(c, "t_ref", json_true());
        json_object_set_new(c, "q_name", json_string(qname));
        json_object_set_new(c, "q_id", json_string(arena_printf(pg->req->arena, "%s-q", id)));
        json_object_set_new(c, "q", json_string(q));
        json_object_set_new(c, "options", forms_ref_options(pg, f, cur, q, 100));
        break;
    }
    case FT_OBJECT:
        json_object_set_new(c, "t_object", json_true());
        json_object_set_new(c, "parts", sub_controls(pg, f, name, id, cur));
        break;
    case FT_LIST:
        if (f->item->type == FT_OBJECT) {
            json_object_set_new(c, "t_rows", json_true());
            json_object_set_new(c, "rows", row_controls(pg, f, id, cur));
        } else if (f->item->type == FT_ENUM) {
            json_object_set_new(c, "t_enumlist", json_true());
            json_object_set_new(c, "options",
                                enum_options(pg, f->item->enumeration, cur, true, id));
        } else {
            json_object_set_new(c, "t_list", json_true());
            json_object_set_new(c, "value", json_string(list_lines(pg, cur)));
        }
        break;
    default:
        json_object_set_new(c, "t_input", json_true());
        json_object_set_new(c, "value", json_string(scalar_text(pg, cur)));
        json_object_set_new(c, "input_type",
                            json_string(type == FT_DATE    ? "date"
                                        : type == FT_URL   ? "url"
                                        : type == FT_EMAIL ? "email"
                                                           : "text"));
        if (type == FT_INTEGER || type == FT_DECIMAL)
            json_object_set_new(c, "inputmode",
                                json_string(type == FT_INTEGER ? "numeric" : "decimal"));
        break;
    }
    return c;
}

/* Every editable control of the kind, the name first. */
static json_t *controls(struct page *pg, const struct form_state *st)
{
    json_t *out = json_array();
    if (st->k->named) {
        static const struct i18n name_label = {"Атауы", "Наименование", "Name"};
        json_array_append_new(out, control(pg, st, "name", FT_I18N, NULL, name_label, true));
    }
    for (size_t i = 0; i < st->k->n_fields; i++) {
        const struct model_field *f = &st->k->fields[i];
        if (!writable(pg, f))
            continue;
        json_array_append_new(out, control(pg, st, f->name, f->type, f, f->label, f->required));
    }
    return out;
}

/* ---- rights and owners --------------------------------------------------------- */

/* May the visitor create records of kind k for organisations other than
 * its own? */
static bool may_create_any(const struct page *pg, const struct model_kind *k)
{
    return authz_may(rights_of(pg), &pg->actor, RA_CREATE, k->id, "\x01not-an-organisation");
}

static bool may_create(const struct page *pg, const struct model_kind *k)
{
    return authz_may(rights_of(pg), &pg->actor, RA_CREATE, k->id, pg->actor.org) ||
           may_create_any(pg, k);
}

/* The organisations the visitor may create for, as select options. */
static json_t *owner_options(struct page *pg, const char *cur)
{
    json_t *opts = json_array();
    const struct model *m = pg->w->api->model;
    const struct model_kind *owner = model_owner_kind(m);
    const struct model_collection *coll = owner ? model_collection(m, owner->collection) : NULL;
    struct listq_param params[] = {{"limit", "500"}};
    struct list_query lq;
    json_t *list = NULL;
    struct err e = ERR_INIT;
    if (coll &&
        listq_parse_lang(pg->req->arena, m, coll, params, 1, NULL, i18n_code(pg->lang), &lq, &e) ==
            0 &&
        registry_list(pg->w->api->reg, pg->req->arena, &lq, &list, &e) == 0) {
        size_t i;
        json_t *rec;
        json_array_foreach (json_object_get(list, "items"), i, rec) {
            const char *id = json_string_value(json_object_get(rec, "id"));
            if (id)
                json_array_append_new(opts,
                                      json_pack("{s:s, s:s, s:b}", "value", id, "label",
                                                web_name(pg->lang, json_object_get(rec, "name")),
                                                "selected", cur && strcmp(cur, id) == 0));
        }
    }
    json_decref(list);
    return opts;
}

/* Kind id of the page's collection, or NULL. */
static const struct model_kind *object_kind(const struct page *pg, const char *id)
{
    if (!id || !pg->coll || !model_collection_has_kind(pg->coll, id))
        return NULL;
    return model_kind(pg->w->api->model, id);
}

/* The page's collection from its path; false after answering 404. */
static bool form_collection(struct page *pg)
{
    pg->coll = web_path_collection(pg);
    if (!pg->coll)
        page_error(pg, 404, NULL);
    return pg->coll != NULL;
}

/* The local day by whose rules a record of kind k is judged: today for a
 * new one, for a stored one (rec) its judging day. */
static int64_t form_day(const struct page *pg, const struct model_kind *k, const json_t *rec)
{
    int64_t now = time_now_ms();
    return calsvc_local_day(pg->w->api->cal, rec ? model_judging_ms(k, rec, now) : now);
}

/* ---- the create form ----------------------------------------------------------- */

/* The kind chooser: the kinds the visitor may create. */
static void render_kinds(struct page *pg)
{
    const struct model *m = pg->w->api->model;
    const struct model_collection *coll = pg->coll;
    json_t *kinds = json_array();
    for (size_t i = 0; coll && i < coll->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, coll->kinds[i]);
        if (k && may_create(pg, k))
            json_array_append_new(
                kinds, json_pack("{s:s, s:s}", "label", web_label(pg->lang, k->label), "url",
                                 page_url(pg, "/%s/new?kind=%s", coll->id, k->id)));
    }
    json_object_set_new(pg->data, "collection_label",
                        json_string(web_label(pg->lang, coll->label)));
    if (json_array_size(kinds) == 0) {
        json_decref(kinds);
        page_error(pg, 403, NULL);
        return;
    }
    json_object_set_new(pg->data, "kinds", kinds);
    page_render(pg, 200, "forms/kinds", page_tr(pg, TR("New record")));
}

/* The ids that describe a control: its help, its remarks, its error. */
static void described_by(struct page *pg, json_t *c)
{
    static const char *const keys[] = {"hint_id", "remark_id", "error_id"};
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *id = json_string_value(json_object_get(c, keys[i]));
        if (id)
            buf_printf(&b, "%s%s", b.len ? " " : "", id);
    }
    if (b.len)
        json_object_set_new(c, "describedby", json_string(b.p));
    buf_free(&b);
}

/* The verifier's remarks about a field also stand in the field's group
 * (the list above the form links to them); then what describes each
 * control. */
static void remarks_at_fields(struct page *pg)
{
    json_t *remarks = json_object_get(pg->data, "remarks");
    size_t i, j;
    json_t *c, *r;
    json_array_foreach (json_object_get(pg->data, "fields"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *mine = json_array();
        json_array_foreach (remarks, j, r)
            if (strcmp(json_string_value(json_object_get(r, "field")), name) == 0)
                json_array_append(mine, json_object_get(r, "text"));
        if (json_array_size(mine))
            json_object_set_new(c, "remark_id",
                                json_string(arena_printf(pg->req->arena, "f-%s-remark", name)));
        json_object_set_new(c, "field_remarks", mine);
        described_by(pg, c);
    }
}

/* Every problem of a refused write above the form, each linking to its
 * field (the fields' controls already carry theirs); problems of no
 * field shown (general_errors) are listed apart. */
static void summary_data(struct page *pg, const struct form_state *st)
{
    if (!st->errs || json_object_size(st->errs) == 0)
        return;
    json_t *summary = json_array(), *general = json_array();
    json_t *fields = json_object_get(pg->data, "fields");
    const char *owner_err = json_string_value(json_object_get(st->errs, "owner"));
    if (owner_err && json_is_true(json_object_get(pg->data, "owner_choice")))
        json_array_append_new(summary, json_pack("{s:s, s:s, s:s}", "label",
                                                 page_tr(pg, TR("Owner organisation")), "text",
                                                 owner_err, "href", "#f-owner"));
    else if (owner_err)
        json_array_append_new(general, json_string(owner_err));
    size_t i;
    json_t *c;
    json_array_foreach (fields, i, c) {
        const char *err = json_string_value(json_object_get(c, "error"));
        if (err)
            json_array_append_new(
                summary, json_pack("{s:s, s:s, s:s}", "label",
                                   json_string_value(json_object_get(c, "label")), "text", err,
                                   "href",
                                   arena_printf(pg->req->arena, "#%s",
                                                json_string_value(json_object_get(c, "id")))));
    }
    const char *name;
    json_t *v;
    json_object_foreach (st->errs, name, v) {
        bool shown = strcmp(name, "owner") == 0;
        json_array_foreach (fields, i, c)
            shown = shown || strcmp(json_string_value(json_object_get(c, "name")), name) == 0;
        if (!shown)
            json_array_append_new(general, json_copy(v));
    }
    size_t n = json_array_size(summary);
    json_object_set_new(pg->data, "one_error", json_boolean(n == 1));
    json_object_set_new(pg->data, "n_errors", json_integer((json_int_t)n));
    json_object_set_new(pg->data, "has_summary", json_boolean(n > 0));
    json_object_set_new(pg->data, "summary", summary);
    json_object_set_new(pg->data, "general_errors", general);
}

/* The text of a value: a string, or an i18n object's strings. */
static void text_of(struct buf *b, const json_t *v)
{
    const char *s = json_string_value(v);
    if (s && *s) {
        buf_append(b, s, strlen(s));
        buf_putc(b, '\n');
    }
    const char *key;
    const json_t *x;
    if (json_is_object(v))
        json_object_foreach ((json_t *)v, key, x)
            text_of(b, x);
}

/* A similar answer's items as the form lists them (href, name, kind,
 * owner, percent). */
static json_t *similar_rows(struct page *pg, const json_t *found)
{
    json_t *items = json_array(), *it;
    size_t i;
    json_array_foreach (found, i, it) {
        const json_t *rec = json_object_get(it, "record");
        const char *coll = json_string_value(json_object_get(rec, "collection"));
        const char *id = json_string_value(json_object_get(rec, "id"));
        const struct model_kind *rk = model_kind(registry_model(pg->w->api->reg),
                                                 json_string_value(json_object_get(rec, "kind")));
        const json_t *owner = json_object_get(rec, "owner_name");
        json_t *row = json_pack(
            "{s:s, s:s, s:s, s:i}", "href", page_url(pg, "/%s/%s", coll ? coll : "", id ? id : ""),
            "name", web_name(pg->lang, json_object_get(rec, "name")), "kind",
            rk ? web_label(pg->lang, rk->label) : "", "percent",
            (json_int_t)lround(json_number_value(json_object_get(it, "score")) * 100));
        if (owner)
            json_object_set_new(row, "owner", json_string(web_name(pg->lang, owner)));
        json_array_append_new(items, row);
    }
    return items;
}

/* The records like the one in the form, by its name and its other
 * searchable text (the "check for similar objects" of the new-object
 * form, issue 16): pg->data's similar_done, similar_any, similar, and,
 * apart, the register's entries (REQ SVC-02): register_shown (the model
 * has a register), register_any, register. */
static void similar_data(struct page *pg, const struct form_state *st)
{
    const struct model_kind *k = st->k;
    struct buf name, more;
    buf_init(&name, 0);
    buf_init(&more, 0);
    text_of(&name, json_object_get(st->vals, "name"));
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (f->searchable && strcmp(f->name, "name") != 0 &&
            (f->type == FT_STRING || f->type == FT_TEXT || f->type == FT_I18N))
            text_of(&more, json_object_get(st->vals, f->name));
    }
    buf_putc(&name, '\0');
    buf_putc(&more, '\0');
    json_object_set_new(pg->data, "similar_done", json_true());
    json_t *out = NULL, *items = NULL, *reg = NULL;
    struct err e = ERR_INIT;
    struct similar_query q = {NULL, name.p, more.p, 0, 10};
    if (*name.p && registry_similar(pg->w->api->reg, &pg->actor, &q, &out, &e) == 0) {
        items = similar_rows(pg, json_object_get(out, "items"));
        if (json_object_get(out, "register"))
            reg = similar_rows(pg, json_object_get(out, "register"));
    } else if (!*name.p) {
        json_object_set_new(pg->data, "similar_no_name", json_true());
    }
    if (!items)
        items = json_array();
    json_object_set_new(pg->data, "similar_any", json_boolean(json_array_size(items) > 0));
    json_object_set_new(pg->data, "similar", items);
    json_object_set_new(pg->data, "register_shown", json_boolean(reg != NULL));
    json_object_set_new(pg->data, "register_any", json_boolean(json_array_size(reg) > 0));
    json_object_set_new(pg->data, "register", reg ? reg : json_array());
    json_decref(out);
    buf_free(&name);
    buf_free(&more);
}

/* Renders the create or edit form: rec is the stored record when editing. */
static void render_form(struct page *pg, int status, const struct form_state *st, const json_t *rec,
                        const char *owner, const char *message)
{
    const struct model_kind *k = st->k;
    json_object_set_new(pg->data, "kind_label", json_string(web_label(pg->lang, k->label)));
    json_object_set_new(pg->data, "kind", json_string(k->id));
    json_object_set_new(pg->data, "collection_label",
                        json_string(web_label(pg->lang, pg->coll->label)));
    json_object_set_new(pg->data, "fields", controls(pg, st));
    summary_data(pg, st);
    remarks_at_fields(pg);
    if (message)
        json_object_set_new(pg->data, "message", json_string(message));
    const char *title;
    if (rec) {
        const char *id = json_string_value(json_object_get(rec, "id"));
        json_object_set_new(pg->data, "editing", json_true());
        json_object_set_new(pg->data, "record_name",
                            json_string(web_name(pg->lang, json_object_get(rec, "name"))));
        json_object_set_new(pg->data, "action",
                            json_string(page_url(pg, "/%s/%s/edit", pg->coll->id, id)));
        json_object_set_new(pg->data, "card_url",
                            json_string(page_url(pg, "/%s/%s", pg->coll->id, id)));
        title = page_tr(pg, TR("Edit the record"));
    } else {
        json_object_set_new(pg->data, "action",
                            json_string(page_url(pg, "/%s/new?kind=%s", pg->coll->id, k->id)));
        if (k->owned && may_create_any(pg, k)) {
            json_object_set_new(pg->data, "owner_choice", json_true());
            json_object_set_new(pg->data, "owners",
                                owner_options(pg, owner ? owner : pg->actor.org));
            const char *err = json_string_value(json_object_get(st->errs, "owner"));
            if (err)
                json_object_set_new(pg->data, "owner_error", json_string(err));
        }
        if (model_dup_kind(model_duplicates(registry_model(pg->w->api->reg)), k->id))
            json_object_set_new(pg->data, "similar_check", json_true());
        title = page_tr(pg, TR("New record"));
    }
    pg->nav = "workspace";
    page_render(pg, status, "forms/edit", title);
}

static void h_new(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!form_collection(&pg) || !page_need_user(&pg, "/workspace"))
        return;
    const char *kind_id = http_req_query(req, "kind");
    if ((!kind_id || !*kind_id) && pg.coll->n_kinds == 1)
        kind_id = pg.coll->kinds[0]; /* one kind: no choice to make */
    if (!kind_id || !*kind_id) {
        render_kinds(&pg);
        return;
    }
    const struct model_kind *k = object_kind(&pg, kind_id);
    if (!k) {
        page_error(&pg, 404, NULL);
        return;
    }
    if (!may_create(&pg, k)) {
        page_error(&pg, 403, NULL);
        return;
    }
    /* a link may fill in the form: ?<field>=<value> for a one-line field, an
     * enumeration or a reference (the record a finding is about), ?owner= */
    json_t *vals = json_object();
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        const char *v = http_req_query(req, f->name);
        if (v && *v && !f->readonly && !f->restricted && strlen(v) <= 1000 &&
            (f->type == FT_STRING || f->type == FT_ENUM || f->type == FT_REF ||
             f->type == FT_DATE || f->type == FT_URL || f->type == FT_EMAIL))
            json_object_set_new(vals, f->name, json_string(v));
    }
    const char *owner = http_req_query(req, "owner");
    if (owner && (!k->owned || !may_create_any(&pg, k) || !text_id_valid(owner)))
        owner = NULL;
    struct form_state st = {.k = k, .vals = vals, .day = form_day(&pg, k, NULL)};
    render_form(&pg, 200, &st, NULL, owner, NULL);
    json_decref(vals);
}

static void h_new_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!form_collection(&pg) || !page_need_user(&pg, "/workspace") || page_form(&pg) < 0)
        return;
    const char *kind_id = http_req_query(req, "kind");
    if ((!kind_id || !*kind_id) && pg.coll->n_kinds == 1)
        kind_id = pg.coll->kinds[0];
    const struct model_kind *k = object_kind(&pg, kind_id);
    if (!k) {
        page_error(&pg, 404, NULL);
        return;
    }
    if (!may_create(&pg, k)) {
        page_error(&pg, 403, NULL);
        return;
    }
    json_t *vals = values_from_form(&pg, k);
    struct form_state st = {.k = k, .vals = vals, .day = form_day(&pg, k, NULL)};
    const char *owner = pg.actor.org;
    if (k->owned && may_create_any(&pg, k) && *form_value(&pg, "owner"))
        owner = form_value(&pg, "owner");
    const char *find = form_value(&pg, "_find");
    if (*find) {
        st.find = find;
        render_form(&pg, 200, &st, NULL, owner, NULL);
        json_decref(vals);
        return;
    }
    if (*form_value(&pg, "_similar")) {
        similar_data(&pg, &st);
        render_form(&pg, 200, &st, NULL, owner, NULL);
        json_decref(vals);
        return;
    }
    json_t *body = json_deep_copy(vals);
    json_object_set_new(body, "kind", json_string(k->id));
    if (k->owned)
        json_object_set_new(body, "owner", json_string(owner));
    json_t *out = NULL;
    struct err e = ERR_INIT;
    json_t *all = e.errors = json_array(); /* every problem at once */
    int rc = registry_create(pg.w->api->reg, &pg.actor, pg.coll->id, body, NULL, &out, &e);
    json_decref(body);
    if (rc == 0) {
        const char *id = json_string_value(json_object_get(out, "id"));
        page_redirect(&pg, page_url(&pg, "/%s/%s?done=created", pg.coll->id, id ? id : ""));
        json_decref(out);
    } else if (e.status == 403 || e.status == 401) {
        page_error(&pg, 403, NULL);
    } else if (e.status != 422 && e.status != 400) {
        page_error(&pg, e.status, NULL);
    } else {
        st.errs = form_errors(&pg, k, &e);
        render_form(&pg, 422, &st, NULL, owner, NULL);
        json_decref(st.errs);
    }
    json_decref(all);
    json_decref(vals);
}

/* ---- the edit form ------------------------------------------------------------- */

/* The record to edit, if the visitor may edit it; otherwise answers. */
static json_t *editable_record(struct page *pg, const struct model_kind **k)
{
    const char *id = http_req_param(pg->req, "id");
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (registry_get_visible(pg->w->api->reg, &pg->actor, pg->coll->id, id, &rec, &e) < 0) {
        page_error(pg, e.status == 410 ? 404 : e.status, NULL);
        return NULL;
    }
    *k = object_kind(pg, json_string_value(json_object_get(rec, "kind")));
    const char *owner = json_string_value(json_object_get(rec, "owner"));
    if (!*k || !authz_may(rights_of(pg), &pg->actor, RA_UPDATE, (*k)->id, owner ? owner : "")) {
        page_error(pg, 403, NULL);
        json_decref(rec);
        return NULL;
    }
    return rec;
}

/* The editable values of a stored record. */
static json_t *values_of_record(const struct model_kind *k, const json_t *rec)
{
    json_t *vals = json_object();
    if (json_object_get(rec, "name"))
        json_object_set(vals, "name", json_object_get(rec, "name"));
    for (size_t i = 0; i < k->n_fields; i++) {
        const json_t *v = json_object_get(rec, k->fields[i].name);
        if (v && !k->fields[i].readonly)
            json_object_set(vals, k->fields[i].name, (json_t *)v);
    }
    return vals;
}

/* The workflow's data for the edit page: the submit button when the
 * visitor may submit, the remarks of the last return, the gaps. */
static void workflow_data(struct page *pg, const char *id)
{
    json_t *tl = NULL;
    struct err e = ERR_INIT;
    if (workflow_timeline(pg->w->api->wf, &pg->actor, pg->coll->id, id, &tl, &e) < 0)
        return;
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(tl, "can"), i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), "submit") == 0)
            json_object_set_new(pg->data, "may_submit", json_true());
    json_t *events = json_object_get(tl, "events");
    json_t *last = json_array_get(events, json_array_size(events) - 1);
    json_t *remarks = json_object_get(last, "remarks");
    const char *status = json_string_value(json_object_get(tl, "status"));
    if (remarks && status && strcmp(status, json_string_value(json_object_get(last, "to"))) == 0)
        json_object_set(pg->data, "remarks_raw", remarks);
    json_decref(tl);
}

/* The last return's remarks as [{label, text}] (label "" for a general one). */
static void remarks_data(struct page *pg, const struct model_kind *k)
{
    json_t *raw = json_object_get(pg->data, "remarks_raw");
    if (!raw)
        return;
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach (raw, i, r) {
        const char *field = json_string_value(json_object_get(r, "field"));
        const struct model_field *f = field ? model_field(k, field) : NULL;
        const char *label = f                                     ? web_label(pg->lang, f->label)
                            : field && strcmp(field, "name") == 0 ? page_tr(pg, TR("Name"))
                                                                  : "";
        const char *text = json_string_value(json_object_get(r, "text"));
        json_t *o = json_pack("{s:s, s:s, s:s}", "label", label, "text", text ? text : "",
                              "field", *label ? field : "");
        if (*label)
            json_object_set_new(o, "href",
                                json_string(arena_printf(pg->req->arena, "#f-%s", field)));
        json_array_append_new(out, o);
    }
    json_object_del(pg->data, "remarks_raw");
    json_object_set_new(pg->data, "has_remarks", json_boolean(json_array_size(out) > 0));
    json_object_set_new(pg->data, "remarks", out);
}

static void edit_page_data(struct page *pg, const struct model_kind *k, const json_t *rec,
                           int64_t revision)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    json_object_set_new(pg->data, "revision", json_integer(revision));
    json_object_set_new(pg->data, "submit_url",
                        json_string(page_url(pg, "/%s/%s/submit", pg->coll->id, id)));
    workflow_data(pg, id);
    remarks_data(pg, k);
}

static void h_edit(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!form_collection(&pg) || !page_need_user(&pg, "/workspace"))
        return;
    const struct model_kind *k;
    json_t *rec = editable_record(&pg, &k);
    if (!rec)
        return;
    json_t *vals = values_of_record(k, rec);
    struct form_state st = {.k = k, .vals = vals, .day = form_day(&pg, k, rec)};
    edit_page_data(&pg, k, rec, json_integer_value(json_object_get(rec, "revision")));
    render_form(&pg, 200, &st, rec, NULL, NULL);
    json_decref(vals);
    json_decref(rec);
}

/* The merge patch that makes the record hold vals: every editable field,
 * null where the form left it empty. */
static json_t *patch_of(const struct page *pg, const struct model_kind *k, const json_t *vals)
{
    json_t *p = json_object();
    if (k->named) {
        json_t *v = json_object_get(vals, "name");
        json_object_set_new(p, "name", v ? json_deep_copy(v) : json_null());
    }
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (!writable(pg, f))
            continue;
        json_t *v = json_object_get(vals, f->name);
        json_object_set_new(p, f->name, v ? json_deep_copy(v) : json_null());
    }
    return p;
}

static void h_edit_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!form_collection(&pg) || !page_need_user(&pg, "/workspace") || page_form(&pg) < 0)
        return;
    const struct model_kind *k;
    json_t *rec = editable_record(&pg, &k);
    if (!rec)
        return;
    const char *id = json_string_value(json_object_get(rec, "id"));
    char *end;
    errno = 0;
    const char *rev_text = form_value(&pg, "revision");
    long long rev = strtoll(rev_text, &end, 10);
    if (!*rev_text || *end || errno || rev < 1) {
        page_error(&pg, 400, NULL);
        json_decref(rec);
        return;
    }
    json_t *vals = values_from_form(&pg, k), *all = NULL;
    struct form_state st = {.k = k, .vals = vals, .day = form_day(&pg, k, rec)};
    const char *find = form_value(&pg, "_find");
    if (*find) {
        st.find = find;
        edit_page_data(&pg, k, rec, rev);
        render_form(&pg, 200, &st, rec, NULL, NULL);
        goto done;
    }
    json_t *patch = patch_of(&pg, k, vals);
    json_t *out = NULL;
    struct err e = ERR_INIT;
    all = e.errors = json_array(); /* every problem at once */
    int rc = registry_patch(pg.w->api->reg, &pg.actor, pg.coll->id, id, rev, patch, &out, &e);
    json_decref(patch);
    json_decref(out);
    if (rc == 0) {
        page_redirect(&pg, page_url(&pg, "/%s/%s?done=saved", pg.coll->id, id));
        goto done;
    }
    if (e.status == 412) {
        /* someone saved meanwhile: the visitor's input stays, the revision
         * becomes the current one, so saving again is a deliberate choice */
        int64_t cur = json_integer_value(json_object_get(rec, "revision"));
        edit_page_data(&pg, k, rec, cur);
        render_form(&pg, 409, &st, rec, NULL,
                    page_tr(&pg, TR("Someone changed this record after you opened it. Your "
                                    "input is kept below; compare it with the record's card "
                                    "and save again to replace their changes.")));
        goto done;
    }
    if (e.status == 409) {
        edit_page_data(&pg, k, rec, rev);
        render_form(&pg, 409, &st, rec, NULL,
                    page_tr(&pg, TR("The object cannot be changed now: it is under "
                                    "verification.")));
        goto done;
    }
    if (e.status == 403 || e.status == 401) {
        page_error(&pg, 403, NULL);
        goto done;
    }
    if (e.status != 422 && e.status != 400) {
        page_error(&pg, e.status, NULL);
        goto done;
    }
    st.errs = form_errors(&pg, k, &e);
    edit_page_data(&pg, k, rec, rev);
    render_form(&pg, 422, &st, rec, NULL, NULL);
    json_decref(st.errs);
done:
    json_decref(all);
    json_decref(vals);
    json_decref(rec);
}

/* ---- submission ----------------------------------------------------------------- */

static void h_submit(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    if (!form_collection(&pg) || !page_need_user(&pg, "/workspace") || page_form(&pg) < 0)
        return;
    const char *id = http_req_param(req, "id");
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (registry_get_visible(pg.w->api->reg, &pg.actor, pg.coll->id, id, &rec, &e) < 0) {
        page_error(&pg, e.status == 410 ? 404 : e.status, NULL);
        return;
    }
    const struct model_kind *k = object_kind(&pg, json_string_value(json_object_get(rec, "kind")));
    const char *rev_text = form_value(&pg, "revision");
    char *end;
    errno = 0;
    long long rev = strtoll(rev_text, &end, 10);
    if (!k || !*rev_text || *end || errno || rev < 1) {
        page_error(&pg, 400, NULL);
        json_decref(rec);
        return;
    }
    json_t *out = NULL, *gaps = NULL;
    int rc = workflow_submit(pg.w->api->wf, &pg.actor, pg.coll->id, id, rev, &out, &gaps, &e);
    json_decref(out);
    if (rc == 0) {
        page_redirect(&pg, page_url(&pg, "/%s/%s?done=submitted", pg.coll->id, id));
    } else if (gaps && e.status == 422) {
        json_object_set_new(pg.data, "gaps", page_gap_items(&pg, k, pg.coll->id, id, gaps));
        json_object_set_new(pg.data, "edit_url",
                            json_string(page_url(&pg, "/%s/%s/edit", pg.coll->id, id)));
        json_object_set_new(pg.data, "record_name",
                            json_string(web_name(pg.lang, json_object_get(rec, "name"))));
        page_render(&pg, 422, "forms/gaps", page_tr(&pg, TR("The object is not complete")));
    } else if (e.status == 412) {
        page_error(&pg, 409, NULL);
    } else {
        page_error(&pg, e.status == 401 ? 403 : e.status, NULL);
    }
    json_decref(gaps);
    json_decref(rec);
}

void web_forms_collection_routes(struct web *w, struct router *rt, const char *coll)
{
    const struct model *m = w->api->model;
    char path[160];
    snprintf(path, sizeof path, "/%s/new", coll);
    web_route(rt, "GET", path, h_new, w);
    web_route(rt, "POST", path, h_new_post, w);
    snprintf(path, sizeof path, "/%s/{id}/edit", coll);
    web_route(rt, "GET", path, h_edit, w);
    web_route(rt, "POST", path, h_edit_post, w);
    if (web_collection_workflow(m, model_collection(m, coll))) {
        snprintf(path, sizeof path, "/%s/{id}/submit", coll);
        web_route(rt, "POST", path, h_submit, w);
    }
}
