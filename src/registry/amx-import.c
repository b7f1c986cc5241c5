/* amx-import: an architecture read from an architecture tool's file
 * (docs/amx.h: the ArchiMate exchange format or Archi's CSV) into records
 * and relations, as the model's "archimate" mappings say (issue 18, REQ
 * X-INT-01; see archimate.h).
 *
 * Each concept of the file is resolved first: its record id (the
 * identifier without the "id-" the export adds, so that a re-import
 * updates what the export wrote), the live record that has it, the kind
 * it is or becomes (the existing record's; else the kind that imports its
 * type; else the generic kind, so that nothing is lost), a relationship's
 * ends and the relation type that joins their kinds (drawn the other way
 * where the mapping says so; else the generic relationship). Then its
 * body: names and documentation in every language (a text without one is
 * in the importer's), properties into the fields whose definitions name
 * them ("pd-<field>-<type>" as the export writes them, or a field's name
 * or label in any language), the owner, and the rest into the kind's
 * list of other properties. A concept whose values equal the record's is
 * left alone (unchanged); the others are created or patched through the
 * registry's own create and patch, in one write: elements first (refs
 * between new records in a second step), then relationships. A dry run,
 * or a real run with a refused concept, rolls the write back whole. */
#include "internal.h"

#include "auth/authz.h"

#include "docs/amx.h"
#include "registry/archimate.h"
#include "registry/rows.h"
#include "util/buf.h"
#include "util/text.h"

#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

struct conc {
    const struct amx_concept *c;
    const struct model_kind *k; /* NULL: refused before the write */
    char rid[80];
    json_t *cur;   /* the live record (NULL: new), until its body is compared */
    json_t *body;  /* what to create, or the patch */
    json_t *later; /* refs to records this import creates: patched after them */
    bool fresh;    /* will be created */
    bool exists;   /* the record exists (at revision rev) */
    json_int_t rev;
    json_t *fields; /* an existing record's: the members the body changes */
    json_t *errors; /* its problems as err_collect notes them (NULL: none) */
    json_t *notes;
    json_t *out;
};

struct imp {
    struct registry *r;
    const struct actor *a;
    const struct model *m;
    const struct amx *f;
    const char *lang;
    struct arena *ar;
    struct conc *cs;
    json_t *index; /* identifier -> index into cs (the first of it) */
    json_t *defs;  /* property definition id -> index into f->defs */
    json_t *folder_of; /* identifier -> folder index */
    json_t *fresh;     /* record id -> true: the elements this import creates */
    long created, changed, unchanged, refused;
};

/* ---- problems and notes ----------------------------------------------------------------- */

/* Notes problem one (and those it collected) in *list, made when NULL. */
static void collect_in(json_t **list, const struct err *one)
{
    struct err acc = ERR_INIT;
    if (!*list)
        *list = json_array();
    acc.errors = *list;
    err_collect_all(&acc, one);
}

static void refuse(struct conc *c, int status, const char *type, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void refuse(struct conc *c, int status, const char *type, const char *field,
                   const char *fmt, ...)
{
    struct err one = ERR_INIT;
    va_list ap;
    va_start(ap, fmt);
    err_setv(&one, status, type, field, fmt, ap);
    va_end(ap);
    collect_in(&c->errors, &one);
}

static void note(struct conc *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(struct conc *c, const char *field, const char *fmt, ...)
{
    struct err one = ERR_INIT;
    va_list ap;
    va_start(ap, fmt);
    err_setv(&one, 200, "note", field, fmt, ap);
    va_end(ap);
    collect_in(&c->notes, &one);
}

static bool refused(const struct conc *c)
{
    return json_array_size(c->errors) > 0;
}

/* ---- identifiers ------------------------------------------------------------------------ */

/* The record id of a file's identifier: without the export's "id-" when
 * the rest is an id; the identifier itself when it is one; else "x-" and
 * a hash of it (the same on every import). */
static void record_id(const char *ident, char *out, size_t n)
{
    if (strncmp(ident, "id-", 3) == 0 && text_id_valid(ident + 3)) {
        snprintf(out, n, "%s", ident + 3);
        return;
    }
    if (text_id_valid(ident)) {
        snprintf(out, n, "%s", ident);
        return;
    }
    char hex[65];
    sha256_hex(ident, strlen(ident), hex);
    snprintf(out, n, "x-%.40s", hex);
}

static const char *where(const struct amx_concept *c, char *buf, size_t n)
{
    if (c->file)
        snprintf(buf, n, "%s:%ld", c->file, c->line);
    else
        snprintf(buf, n, "%ld", c->line);
    return buf;
}

/* ---- resolving -------------------------------------------------------------------------- */

static const char *kind_type(const struct model_kind *k, const json_t *rec)
{
    const struct model_archimate_kind *m = k->archimate;
    return m->type ? m->type : json_string_value(json_object_get(rec, m->type_field));
}

/* The live record of id as the importer may read it: 1 found (*out), 0
 * none, -1 refused (retired, or not to be read). */
static int existing(struct imp *im, struct conc *c, const char *id, json_t **out)
{
    struct err e = ERR_INIT;
    *out = NULL;
    if (registry_get_visible(im->r, im->a, NULL, id, out, &e) == 0)
        return 1;
    if (e.status == 404)
        return 0;
    if (e.status == 410)
        refuse(c, 409, "retired", "identifier",
               "record '%s' was retired: restore it in the portal or give the concept another "
               "identifier",
               id);
    else
        collect_in(&c->errors, &e);
    return -1;
}

static void resolve_element(struct imp *im, struct conc *c)
{
    const struct amx_concept *a = c->c;
    json_t *cur = NULL;
    int found = existing(im, c, c->rid, &cur);
    if (found < 0)
        return;
    if (found) {
        const char *kind = json_string_value(json_object_get(cur, "kind"));
        const struct model_kind *k = kind ? model_kind(im->m, kind) : NULL;
        if (!k || k->is_relation || !k->archimate) {
            refuse(c, 409, "wrong-kind", "identifier",
                   "the identifier '%s' names a record of the portal that is not an element", a->id);
            json_decref(cur);
            return;
        }
        const char *t = kind_type(k, cur);
        /* a generic element of a type the format does not know is
         * exported as a Grouping */
        bool foreign = k->archimate->type_field && t && !model_archimate_element_type(t) &&
                       strcmp(a->type, "Grouping") == 0;
        if (!t || (strcmp(t, a->type) != 0 && !foreign)) {
            refuse(c, 409, "wrong-kind", "type",
                   "'%s' is a record of kind '%s' in the portal, exchanged as '%s', not '%s'",
                   a->id, k->id, t ? t : "", a->type);
            json_decref(cur);
            return;
        }
        c->k = k;
        c->cur = cur;
        return;
    }
    c->k = model_archimate_import_kind(im->m, a->type);
    c->fresh = true;
    if (!c->k) {
        refuse(c, 422, "unknown-type", "type", "no kind of the portal takes '%s' elements",
               a->type);
        return;
    }
    if (!model_archimate_element_type(a->type))
        note(c, "type", "'%s' is not an ArchiMate 3.1 element type: kept as kind '%s'", a->type,
             c->k->id);
    else if (!c->k->archimate->type)
        note(c, "type", "no kind of the portal takes new '%s' elements: kept as kind '%s'",
             a->type, c->k->id);
}

/* An end of a relationship: the kind and record id of the element it
 * names, in the file (not refused) or in the portal. NULL when none. */
static const struct model_kind *end_of(struct imp *im, struct conc *c, const char *ident,
                                       const char *which, const char **rid)
{
    json_t *at = ident && *ident ? json_object_get(im->index, ident) : NULL;
    if (at) {
        struct conc *e = &im->cs[json_integer_value(at)];
        if (e->c->relationship) {
            refuse(c, 422, "bad-end", which, "the end '%s' is a relationship", ident);
            return NULL;
        }
        if (!e->k) {
            refuse(c, 422, "bad-end", which, "the end '%s' is refused", ident);
            return NULL;
        }
        *rid = e->rid;
        return e->k;
    }
    char id[80];
    record_id(ident ? ident : "", id, sizeof id);
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (!ident || !*ident || registry_get_visible(im->r, im->a, NULL, id, &rec, &e) < 0) {
        refuse(c, 422, "bad-end", which,
               "the end '%s' is neither an element of the file nor a record of the portal",
               ident ? ident : "");
        return NULL;
    }
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const struct model_kind *k = kind ? model_kind(im->m, kind) : NULL;
    json_decref(rec);
    if (!k || k->is_relation || !k->archimate) {
        refuse(c, 422, "bad-end", which, "the end '%s' is not an element", ident);
        return NULL;
    }
    *rid = arena_strdup(im->ar, id);
    return k;
}

static bool kind_in(const struct model_field *end, const struct model_kind *k)
{
    for (size_t i = 0; i < end->n_ref_kinds; i++)
        if (strcmp(end->ref_kinds[i], k->id) == 0)
            return true;
    return false;
}

/* The relation type of the portal that joins src to dst by the file's
 * type (the first declared), *swap when it is drawn the other way. */
static const struct model_kind *relation_for(const struct imp *im, const char *type,
                                             const struct model_kind *src,
                                             const struct model_kind *dst, bool *swap)
{
    for (size_t i = 0; i < model_n_kinds(im->m); i++) {
        const struct model_kind *k = model_kind_at(im->m, i);
        const struct model_archimate_kind *m = k->archimate;
        if (!k->is_relation || !m || !m->type || strcmp(m->type, type) != 0)
            continue;
        const struct model_kind *s = m->reverse ? dst : src, *t = m->reverse ? src : dst;
        if (kind_in(&k->fields[0], s) && kind_in(&k->fields[1], t)) {
            *swap = m->reverse;
            return k;
        }
    }
    const struct model_kind *g = model_archimate(im->m)->generic_relationship;
    *swap = false;
    return g && kind_in(&g->fields[0], src) && kind_in(&g->fields[1], dst) ? g : NULL;
}

static void resolve_relationship(struct imp *im, struct conc *c)
{
    const struct amx_concept *a = c->c;
    const char *src_id = NULL, *dst_id = NULL;
    const struct model_kind *src = end_of(im, c, a->source, "source", &src_id);
    const struct model_kind *dst = end_of(im, c, a->target, "target", &dst_id);
    if (!src || !dst)
        return;
    json_t *cur = NULL;
    int found = existing(im, c, c->rid, &cur);
    if (found < 0)
        return;
    bool swap = false;
    if (found) {
        const char *type = json_string_value(json_object_get(cur, "type"));
        const struct model_kind *k = type ? model_kind(im->m, type) : NULL;
        const char *t = k && k->is_relation && k->archimate ? kind_type(k, cur) : NULL;
        if (!t || strcmp(t, a->type) != 0) {
            refuse(c, 409, "wrong-kind", "type",
                   "the identifier '%s' names a relation of the portal that is not a '%s'", a->id,
                   a->type);
            json_decref(cur);
            return;
        }
        swap = k->archimate->reverse;
        const char *s = json_string_value(json_object_get(cur, "source")),
                   *d = json_string_value(json_object_get(cur, "target"));
        if (!s || !d || strcmp(s, swap ? dst_id : src_id) != 0 ||
            strcmp(d, swap ? src_id : dst_id) != 0) {
            refuse(c, 409, "ends-changed", "source",
                   "relation '%s' joins other records in the portal: a relation's ends do not "
                   "change (give the relationship another identifier)",
                   a->id);
            json_decref(cur);
            return;
        }
        c->k = k;
        c->cur = cur;
        return;
    }
    if (!model_archimate_relationship_type(a->type)) {
        refuse(c, 422, "unknown-type", "type", "'%s' is not an ArchiMate 3.1 relationship type",
               a->type);
        return;
    }
    c->k = relation_for(im, a->type, src, dst, &swap);
    if (!c->k) {
        refuse(c, 422, "no-relation", "type",
               "no relation of the portal joins kind '%s' to kind '%s' as '%s'", src->id, dst->id,
               a->type);
        return;
    }
    c->fresh = true;
    if (!c->k->archimate->type)
        note(c, "type",
             "no relation type of the portal joins kind '%s' to kind '%s' as '%s': kept as '%s'",
             src->id, dst->id, a->type, c->k->id);
    c->body = json_pack("{s:s, s:s, s:s}", "type", c->k->id, "source", swap ? dst_id : src_id,
                        "target", swap ? src_id : dst_id);
}

/* ---- bodies ----------------------------------------------------------------------------- */

/* The i18n value of texts: kk, ru and en as the file tags them, an
 * untagged text in the importer's language; NULL when none. */
static json_t *i18n_of(struct imp *im, struct conc *c, const struct amx_texts *t, const char *what,
                       const json_t *now)
{
    json_t *o = NULL;
    for (size_t i = 0; i < t->n; i++) {
        /* a text without a language that the record has in one already
         * is that text (a file in one language, as Archi's CSV) */
        bool known = false;
        const char *l0;
        json_t *v0;
        if (!*t->v[i].lang && json_is_object(now))
            json_object_foreach ((json_t *)now, l0, v0)
                known = known || (json_is_string(v0) && strcmp(json_string_value(v0), t->v[i].s) == 0);
        if (known)
            continue;
        const char *l = *t->v[i].lang ? t->v[i].lang : im->lang;
        char two[3] = {l[0], l[0] ? l[1] : 0, 0};
        bool ours = (l[2] == '\0' || l[2] == '-' || l[2] == '_') &&
                    (strcmp(two, "kk") == 0 || strcmp(two, "ru") == 0 || strcmp(two, "en") == 0);
        if (!ours) {
            note(c, what, "a text in '%s' is left alone: the portal keeps kk, ru and en", l);
            continue;
        }
        if (!*t->v[i].s)
            continue;
        if (!o)
            o = json_object();
        json_object_set_new(o, two, json_string(t->v[i].s));
    }
    return o;
}

static const struct model_field *field_named(const struct model_kind *k, struct arena *ar,
                                             const char *name)
{
    const char *fold = model_import_fold(ar, name);
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        const char *labels[] = {f->name, f->label.kk, f->label.ru, f->label.en};
        for (size_t l = 0; l < 4; l++)
            if (labels[l] && strcmp(model_import_fold(ar, labels[l]), fold) == 0)
                return f;
    }
    return NULL;
}

/* The field property p names, *key its name for the other properties;
 * owner set when it names the record's owner. */
static const struct model_field *property_field(struct imp *im, const struct model_kind *k,
                                                const struct amx_prop *p, const char **key,
                                                bool *owner)
{
    *owner = false;
    const char *def = p->def;
    const struct amx_def *d = NULL;
    if (strcmp(im->f->format, "archimate") == 0) {
        json_t *at = json_object_get(im->defs, def);
        d = at ? &im->f->defs[json_integer_value(at)] : NULL;
        *key = d ? amx_text_in(&d->name, im->lang) : NULL;
        if (!*key || !**key)
            *key = def;
        if (strncmp(def, "pd-", 3) == 0) { /* the export's "pd-<field>-<type>" */
            const char *dash = strrchr(def + 3, '-');
            char *name = arena_strndup(im->ar, def + 3, dash ? (size_t)(dash - def - 3) : 0);
            if (strcmp(name, "owner") == 0 && k->owned) {
                *owner = true;
                return NULL;
            }
            const struct model_field *f = dash ? model_field(k, name) : NULL;
            if (f)
                return f;
        }
    } else {
        *key = def;
    }
    if (k->owned) {
        struct i18n o = model_owner_label;
        const char *names[] = {"owner", o.kk, o.ru, o.en};
        const char *fold = model_import_fold(im->ar, *key);
        for (size_t i = 0; i < 4; i++)
            if (strcmp(model_import_fold(im->ar, names[i]), fold) == 0)
                return *owner = true, NULL;
    }
    if (d)
        for (size_t i = 0; i < d->name.n; i++) {
            const struct model_field *f = field_named(k, im->ar, d->name.v[i].s);
            if (f)
                return f;
        }
    return field_named(k, im->ar, *key);
}

/* May the importer write field f of kind k through an import? */
static bool writable(const struct model_archimate_kind *m, const struct model_field *f)
{
    return !f->readonly && !f->derived_from && f->type != FT_OBJECT &&
           !(f->type == FT_LIST && f->item && f->item->type == FT_OBJECT) &&
           !(m->type_field && strcmp(f->name, m->type_field) == 0) &&
           !(m->path && strcmp(f->name, m->path) == 0) &&
           !(m->properties && strcmp(f->name, m->properties) == 0) &&
           !(m->access_field && strcmp(f->name, m->access_field) == 0) &&
           strcmp(f->name, "source") != 0 && strcmp(f->name, "target") != 0;
}

static void put_property(struct imp *im, struct conc *c, const struct amx_prop *p, json_t *extra)
{
    const struct model_kind *k = c->k;
    const char *key = NULL;
    bool owner = false;
    const struct model_field *f = property_field(im, k, p, &key, &owner);
    const char *text = amx_text_in(&p->value, im->lang);
    if (!text)
        text = "";
    if (owner) {
        if (*text)
            json_object_set_new(c->body, "owner", json_string(text));
        return;
    }
    if (f && k->archimate->type_field && strcmp(f->name, k->archimate->type_field) == 0)
        return; /* a generic concept's type that the format has no name for */
    if (f && !writable(k->archimate, f)) {
        if (!f->readonly && !f->derived_from)
            note(c, key, "the property '%s' is left alone: the import does not write field '%s'",
                 key, f->name);
        return;
    }
    if (f) {
        json_t *v;
        struct err one = ERR_INIT;
        if (f->type == FT_I18N)
            v = i18n_of(im, c, &p->value, key,
                        c->cur ? json_object_get(c->cur, f->name) : NULL);
        else if (!*text)
            v = json_null();
        else
            v = registry_cell_value(im->ar, f, text, f->name, &one);
        if (!v && one.status)
            collect_in(&c->errors, &one);
        else if (v)
            json_object_set_new(c->body, f->name, v);
        return;
    }
    if (!extra) {
        note(c, key, "the property '%s' is left alone: kind '%s' has no field for it", key, k->id);
        return;
    }
    json_array_append_new(extra, json_pack("{s:s, s:s}", "key", key, "value", text));
}

/* The folders a concept was filed in, below the top one, " / " between. */
static char *folder_path(struct imp *im, const char *ident)
{
    json_t *at = json_object_get(im->folder_of, ident);
    if (!at)
        return NULL;
    const char *parts[AMX_MAX_DEPTH];
    size_t n = 0;
    for (long f = (long)json_integer_value(at); f >= 0 && n < AMX_MAX_DEPTH;
         f = im->f->folders[f].parent) {
        if (im->f->folders[f].parent < 0)
            break; /* the top folder: the layer, which the kind decides */
        const char *l = amx_text_in(&im->f->folders[f].label, im->lang);
        parts[n++] = l ? l : "";
    }
    if (!n)
        return NULL;
    struct buf b;
    buf_init(&b, 4096);
    while (n--)
        buf_printf(&b, "%s%s", b.len ? " / " : "", parts[n]);
    char *s = arena_strdup(im->ar, b.p ? b.p : "");
    buf_free(&b);
    return s;
}

/* Moves the refs of body to records this import creates into c->later. */
static void defer_refs(struct imp *im, struct conc *c)
{
    const char *name;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(c->body, tmp, name, v)
    {
        const struct model_field *f = model_field(c->k, name);
        bool list = f && f->type == FT_LIST && f->item && f->item->type == FT_REF;
        if (!f || (f->type != FT_REF && !list))
            continue;
        bool fresh = false;
        for (size_t i = 0; i < (list ? json_array_size(v) : 1); i++) {
            const json_t *it = list ? json_array_get(v, i) : v;
            fresh = fresh || (json_is_string(it) &&
                              json_object_get(im->fresh, json_string_value(it)) != NULL);
        }
        if (!fresh)
            continue;
        if (!c->later)
            c->later = json_object();
        json_object_set(c->later, name, v);
        json_object_del(c->body, name);
    }
}

static void build_body(struct imp *im, struct conc *c)
{
    const struct amx_concept *a = c->c;
    const struct model_archimate_kind *m = c->k->archimate;
    if (!c->body)
        c->body = json_object();
    if (!a->relationship || model_field(c->k, "name")) {
        json_t *name = i18n_of(im, c, &a->name, "name", c->cur ? json_object_get(c->cur, "name") : NULL);
        if (!name && !a->relationship && c->fresh)
            name = json_pack("{s:s}", im->lang, a->id);
        if (name)
            json_object_set_new(c->body, "name", name);
    } else if (a->name.n) {
        note(c, "name", "the name is left alone: relation '%s' has none in the portal", c->k->id);
    }
    if (a->doc.n) {
        const struct model_field *f = m->documentation ? model_field(c->k, m->documentation) : NULL;
        if (!f)
            note(c, "documentation",
                 "the documentation is left alone: kind '%s' has no field for it", c->k->id);
        else if (f->type == FT_I18N) {
            json_t *d = i18n_of(im, c, &a->doc, "documentation",
                                c->cur ? json_object_get(c->cur, f->name) : NULL);
            if (d)
                json_object_set_new(c->body, f->name, d);
        } else {
            json_object_set_new(c->body, f->name, json_string(amx_text_in(&a->doc, im->lang)));
        }
    }
    const char *stored = c->cur ? json_string_value(json_object_get(c->cur, m->type_field ? m->type_field : "")) : NULL;
    if (m->type_field && !(stored && !model_archimate_element_type(stored) && !a->relationship))
        json_object_set_new(c->body, m->type_field, json_string(a->type));
    if (m->path && !a->relationship) {
        const char *path = folder_path(im, a->id);
        if (path)
            json_object_set_new(c->body, m->path, json_string(path));
    }
    if (m->access_field) {
        /* Access: the attribute value whose access type the file gives
         * (the format's default is Write) */
        const char *want = a->access ? a->access : "Write", *value = NULL;
        for (size_t i = 0; i < m->n_access && !value; i++)
            if (strcmp(m->access_to[i], want) == 0)
                value = m->access_from[i];
        if (value)
            json_object_set_new(c->body, m->access_field, json_string(value));
        else
            note(c, "accessType", "the access type '%s' is left alone: relation '%s' has no value "
                                  "for it",
                 want, c->k->id);
    }
    json_t *extra = m->properties ? json_array() : NULL;
    for (size_t i = 0; i < a->n_props; i++)
        put_property(im, c, &a->props[i], extra);
    if (m->type_field && a->relationship && extra) {
        if (a->access)
            json_array_append_new(extra, json_pack("{s:s, s:s}", "key", "accessType", "value",
                                                   a->access));
        if (a->modifier)
            json_array_append_new(extra, json_pack("{s:s, s:s}", "key", "modifier", "value",
                                                   a->modifier));
        if (a->directed)
            json_array_append_new(extra, json_pack("{s:s, s:s}", "key", "isDirected", "value",
                                                   "true"));
    }
    if (extra && json_array_size(extra))
        json_object_set(c->body, m->properties, extra);
    json_decref(extra);
    if (c->fresh && c->k->owned && !json_object_get(c->body, "owner") && !a->relationship) {
        if (*im->a->org) {
            json_object_set_new(c->body, "owner", json_string(im->a->org));
            note(c, "owner", "the file names no owner: the importer's organisation owns it");
        }
    }
}

/* ---- comparing and writing -------------------------------------------------------------- */

/* The members of patch whose value differs from rec's (an i18n object or
 * the like: by the languages it gives). */
static json_t *differing(const json_t *rec, const json_t *patch)
{
    json_t *out = json_array();
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)patch, k, v) {
        const json_t *was = json_object_get(rec, k);
        bool same;
        if (json_is_object(v) && json_is_object(was)) {
            same = true;
            const char *l;
            json_t *lv;
            json_object_foreach (v, l, lv) {
                const json_t *w = json_object_get(was, l);
                same = same && ((json_is_null(lv) && !w) || (w && json_equal(w, lv)));
            }
        } else {
            same = (json_is_null(v) && !was) || (was && json_equal(was, v));
        }
        if (!same)
            json_array_append_new(out, json_string(k));
    }
    return out;
}

/* An existing record compared with its body: what the body changes is
 * kept, the record itself dropped (a file of half a million concepts does
 * not hold them all), the body too when it changes nothing. */
static void settle(struct conc *c)
{
    if (!c->cur)
        return;
    c->exists = true;
    c->rev = json_integer_value(json_object_get(c->cur, "revision"));
    c->fields = differing(c->cur, c->body);
    json_decref(c->cur);
    c->cur = NULL;
    if (!json_array_size(c->fields)) {
        json_decref(c->body);
        c->body = NULL;
    }
}

/* Creates or patches c with body (the first step, or the later refs:
 * always a change). */
static const char *write_one(struct imp *im, struct conc *c, json_t *body, bool later)
{
    struct err sub = ERR_INIT;
    sub.errors = json_array();
    json_t *out = NULL;
    const char *result = NULL;
    const char *coll = c->k->collection; /* a relation type's: the relations' */
    if (!c->exists) {
        if (!c->k->is_relation)
            json_object_set_new(body, "kind", json_string(c->k->id));
        if (registry_create(im->r, im->a, coll, body, c->rid, &out, &sub) == 0) {
            result = "created";
            c->exists = true;
            c->rev = json_integer_value(json_object_get(out, "revision"));
        }
    } else if (!later && !json_array_size(c->fields)) {
        result = "unchanged";
    } else if (registry_patch(im->r, im->a, coll, c->rid, c->rev, body, &out, &sub) == 0) {
        result = "changed";
        c->rev = json_integer_value(json_object_get(out, "revision"));
        json_t *all = json_object_get(c->out, "fields");
        if (!all)
            json_object_set_new(c->out, "fields", all = json_array());
        if (later) {
            const char *k;
            json_t *v;
            json_object_foreach (body, k, v)
                json_array_append_new(all, json_string(k));
        } else {
            json_array_extend(all, c->fields);
        }
    }
    if (!result)
        collect_in(&c->errors, &sub);
    json_decref(sub.errors);
    json_decref(out);
    return result;
}

static void end_concept(struct imp *im, struct conc *c, const char *result)
{
    if (!result || refused(c)) {
        result = "refused";
        json_object_set(c->out, "errors", c->errors);
    }
    json_object_set_new(c->out, "result", json_string(result));
    if (c->k) {
        json_object_set_new(c->out, "kind", json_string(c->k->id));
        json_object_set_new(c->out, "id", json_string(c->rid));
    }
    if (json_array_size(c->notes))
        json_object_set(c->out, "notes", c->notes);
    im->created += strcmp(result, "created") == 0;
    im->changed += strcmp(result, "changed") == 0;
    im->unchanged += strcmp(result, "unchanged") == 0;
    im->refused += strcmp(result, "refused") == 0;
}

/* ---- the import ------------------------------------------------------------------------- */

static void setup(struct imp *im)
{
    const struct amx *f = im->f;
    im->index = json_object();
    im->defs = json_object();
    im->folder_of = json_object();
    im->fresh = json_object();
    for (size_t i = 0; i < f->n_defs; i++)
        if (f->defs[i].id && !json_object_get(im->defs, f->defs[i].id))
            json_object_set_new(im->defs, f->defs[i].id, json_integer((json_int_t)i));
    for (size_t i = 0; i < f->n_members; i++)
        json_object_set_new(im->folder_of, f->members[i].id,
                            json_integer((json_int_t)f->members[i].folder));
    im->cs = xcalloc(f->n + 1, sizeof *im->cs);
    for (size_t i = 0; i < f->n; i++) {
        struct conc *c = &im->cs[i];
        const struct amx_concept *a = &f->c[i];
        char at[300];
        c->c = a;
        c->out = json_pack("{s:s, s:s, s:s, s:s}", "line", where(a, at, sizeof at), "identifier",
                           a->id ? a->id : "", "type", a->type ? a->type : "", "concept",
                           a->relationship ? "relationship" : "element");
        record_id(a->id ? a->id : "", c->rid, sizeof c->rid);
        json_t *before = a->id && *a->id ? json_object_get(im->index, a->id) : NULL;
        if (!a->id || !*a->id)
            refuse(c, 422, "required", "identifier", "the concept has no identifier");
        else if (before)
            refuse(c, 422, "duplicate-id", "identifier", "the identifier '%s' is on line %s too",
                   a->id,
                   json_string_value(json_object_get(im->cs[json_integer_value(before)].out,
                                                     "line")));
        else
            json_object_set_new(im->index, a->id, json_integer((json_int_t)i));
        if (a->bad_fields)
            refuse(c, 422, "bad-row", "file", "the row has %zu fields where its header has %zu",
                   a->bad_fields, a->want_fields);
        if (a->formula)
            refuse(c, 422, "formula", a->formula,
                   "the cell '%s' starts a formula, which the portal does not take", a->formula);
        if (!a->type || !*a->type)
            refuse(c, 422, "required", "type", "the concept has no type");
    }
}

static void teardown(struct imp *im)
{
    for (size_t i = 0; i < im->f->n; i++) {
        struct conc *c = &im->cs[i];
        json_decref(c->cur);
        json_decref(c->body);
        json_decref(c->later);
        json_decref(c->fields);
        json_decref(c->errors);
        json_decref(c->notes);
        json_decref(c->out);
    }
    free(im->cs);
    json_decref(im->index);
    json_decref(im->defs);
    json_decref(im->folder_of);
    json_decref(im->fresh);
}

/* Resolves every concept, builds the bodies, then writes them, all in one
 * write; committed only for a real run that refuses none. */
static int run(struct imp *im, bool dry_run, struct err *e)
{
    size_t n = im->f->n;
    /* one transaction from the first read: what the concepts are compared
     * with is what they are written over */
    struct store_conn *conn = registry_write_enter(im->r, e);
    if (!conn)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!refused(&im->cs[i]) && !im->cs[i].c->relationship)
            resolve_element(im, &im->cs[i]);
    for (size_t i = 0; i < n; i++)
        if (!refused(&im->cs[i]) && im->cs[i].c->relationship)
            resolve_relationship(im, &im->cs[i]);
    for (size_t i = 0; i < n; i++)
        if (im->cs[i].fresh && !im->cs[i].c->relationship && !refused(&im->cs[i]))
            json_object_set_new(im->fresh, im->cs[i].rid, json_true());
    for (size_t i = 0; i < n; i++)
        if (!refused(&im->cs[i]) && im->cs[i].k) {
            build_body(im, &im->cs[i]);
            if (!im->cs[i].c->relationship)
                defer_refs(im, &im->cs[i]);
            settle(&im->cs[i]);
        }
    const char **results = xcalloc(n + 1, sizeof *results);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            struct conc *c = &im->cs[i];
            if (c->c->relationship != (pass == 1) || refused(c) || !c->k)
                continue;
            results[i] = write_one(im, c, c->body, false);
            json_decref(c->body);
            c->body = NULL;
        }
    for (size_t i = 0; i < n; i++) { /* the refs between records this import made */
        struct conc *c = &im->cs[i];
        if (c->later && results[i] && !refused(c)) {
            const char *r2 = write_one(im, c, c->later, true);
            if (r2 && strcmp(results[i], "unchanged") == 0)
                results[i] = r2;
            if (!r2)
                results[i] = NULL;
        }
    }
    for (size_t i = 0; i < n; i++)
        end_concept(im, &im->cs[i], results[i]);
    free(results);
    bool commit = !dry_run && im->refused == 0;
    struct err scratch = ERR_INIT;
    if (registry_write_leave(im->r, conn, commit ? 0 : -1, commit ? e : &scratch) < 0 && commit)
        return -1;
    return 0;
}

int registry_archimate_may_import(struct registry *r, const struct actor *a, struct err *e)
{
    const struct model *m = registry_model(r);
    if (!model_archimate(m)) {
        err_not_found(e, "the model exchanges nothing as ArchiMate");
        return -1;
    }
    if (a->system)
        return 0;
    const struct rights *rt = registry_rights(r);
    const struct model_kind *g = model_archimate(m)->generic_element;
    if (!rt || !g || authz_check(rt, a, RA_CREATE, g->id, g->owned ? a->org : "", e) < 0) {
        if (!e->status)
            err_set(e, 403, "forbidden", "", "you may not import an architecture");
        return -1;
    }
    return 0;
}

int registry_archimate_import(struct registry *r, const struct actor *a, const struct amx *f,
                              const char *lang, bool dry_run, json_t **report, struct err *e)
{
    *report = NULL;
    if (registry_archimate_may_import(r, a, e) < 0)
        return -1;
    struct imp im = {.r = r, .a = a, .m = registry_model(r), .f = f, .ar = arena_new()};
    im.lang = lang && (strcmp(lang, "kk") == 0 || strcmp(lang, "en") == 0) ? lang : "ru";
    setup(&im);
    int rc = run(&im, dry_run, e);
    if (rc == 0) {
        json_t *items = json_array();
        long els = 0;
        for (size_t i = 0; i < f->n; i++) {
            json_array_append(items, im.cs[i].out);
            els += !f->c[i].relationship;
        }
        bool written = !dry_run && im.refused == 0;
        *report = json_pack(
            "{s:s, s:b, s:b, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}", "format",
            f->format, "dry_run", dry_run, "written", written, "lang", im.lang, "counts",
            "elements", (json_int_t)els, "relationships", (json_int_t)(f->n - (size_t)els),
            "created", (json_int_t)im.created, "changed", (json_int_t)im.changed, "unchanged",
            (json_int_t)im.unchanged, "refused", (json_int_t)im.refused, "views",
            (json_int_t)f->n_views, "concepts", items);
        if (!dry_run && !written) {
            err_set(e, 422, "import-refused", "file",
                    "%ld of the file's concepts are refused; nothing was imported", im.refused);
            rc = -1;
        }
    }
    teardown(&im);
    arena_free(im.ar);
    return rc;
}

/* ---- files ------------------------------------------------------------------------------ */

/* The three CSV files of a ZIP archive (their names end in elements.csv,
 * relations.csv and properties.csv), read under the caps. */
static int read_zip(struct arena *ar, const char *data, size_t n, struct amx *out, struct err *e)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, n, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    zip_error_fini(&ze);
    if (!z) {
        if (src)
            zip_source_free(src);
        err_set(e, 400, "bad-file", "file", "the file is not a readable ZIP archive");
        return -1;
    }
    static const char *const ends[3] = {"elements.csv", "relations.csv", "properties.csv"};
    char *part[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0}, total = 0;
    int rc = 0;
    zip_int64_t entries = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; rc == 0 && i < entries && i < 1000; i++) {
        zip_stat_t st;
        if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE))
            continue;
        size_t nl = strlen(st.name);
        for (size_t k = 0; k < 3; k++) {
            size_t el = strlen(ends[k]);
            if (nl < el || strcmp(st.name + nl - el, ends[k]) != 0 || part[k])
                continue;
            total += st.size;
            if (st.size > AMX_MAX_FILE || total > AMX_MAX_FILE) {
                err_set(e, 413, "body-too-large", "file",
                        "the archive's files exceed %u bytes", AMX_MAX_FILE);
                rc = -1;
                break;
            }
            zip_file_t *zf = zip_fopen_index(z, (zip_uint64_t)i, 0);
            part[k] = arena_alloc(ar, st.size + 1);
            zip_int64_t got = zf ? zip_fread(zf, part[k], st.size) : -1;
            /* one byte more than declared: a lying header is caught */
            char extra;
            bool more = zf && zip_fread(zf, &extra, 1) > 0;
            if (zf)
                zip_fclose(zf);
            if (got != (zip_int64_t)st.size || more) {
                err_set(e, 400, "bad-file", "file", "%s in the archive is damaged", st.name);
                rc = -1;
                break;
            }
            len[k] = st.size;
        }
    }
    zip_close(z);
    if (rc == 0 && !part[0]) {
        err_set(e, 400, "wrong-format", "file",
                "the archive holds no elements.csv: it is not Archi's CSV export");
        rc = -1;
    }
    if (rc == 0)
        rc = amx_read_archi_csv(ar, part[0], len[0], part[1], len[1], part[2], len[2], out, e);
    return rc;
}

int registry_archimate_read(struct arena *ar, const char *data, size_t n, struct amx *out,
                            struct err *e)
{
    memset(out, 0, sizeof *out);
    if (n > AMX_MAX_FILE) {
        err_set(e, 413, "body-too-large", "file", "the file exceeds %u bytes", AMX_MAX_FILE);
        return -1;
    }
    if (n >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return read_zip(ar, data, n, out, e);
    size_t i = n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < n && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i < n && data[i] == '<')
        return amx_read_xml(ar, data, n, out, e);
    /* elements.csv alone */
    return amx_read_archi_csv(ar, data, n, NULL, 0, NULL, 0, out, e);
}
