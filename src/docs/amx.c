/* docs/amx: an architecture tool's file read into struct amx (see amx.h). */
#include "docs/amx.h"

#include "docs/internal.h"
#include "docs/sheet.h"
#include "util/buf.h"

#include <jansson.h>

#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_ARCHIMATE3 "http://www.opengroup.org/xsd/archimate/3.0/"
#define NS_ARCHIMATE2 "http://www.opengroup.org/xsd/archimate"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

const char *amx_text_in(const struct amx_texts *t, const char *lang)
{
    const char *none = NULL;
    for (size_t i = 0; i < t->n; i++) {
        if (lang && strcmp(t->v[i].lang, lang) == 0)
            return t->v[i].s;
        if (!none && !*t->v[i].lang)
            none = t->v[i].s;
    }
    return none ? none : t->n ? t->v[0].s : NULL;
}

/* ---- growing arrays --------------------------------------------------------------------- */

/* A new zeroed item at the end of the heap array whose pointer is at
 * arrp (*n items, room for *cap), grown by doubling. */
static void *push(void *arrp, size_t *n, size_t *cap, size_t size)
{
    char *arr;
    memcpy(&arr, arrp, sizeof arr);
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        arr = xrealloc(arr, *cap * size);
        memcpy(arrp, &arr, sizeof arr);
    }
    char *item = arr + (*n)++ * size;
    memset(item, 0, size);
    return item;
}

static struct amx_concept *new_concept(struct amx *m)
{
    return push(&m->c, &m->n, &m->cap, sizeof *m->c);
}

static struct amx_def *new_def(struct amx *m)
{
    return push(&m->defs, &m->n_defs, &m->cap_defs, sizeof *m->defs);
}

static long new_folder(struct amx *m, long parent)
{
    struct amx_folder *f = push(&m->folders, &m->n_folders, &m->cap_folders, sizeof *f);
    f->parent = parent;
    return (long)m->n_folders - 1;
}

/* An arena array of n items grown by one (copied when n is a power of two). */
static void *grow(struct arena *ar, void *v, size_t n, size_t size)
{
    if (n && (n & (n - 1)))
        return v;
    void *w = arena_alloc(ar, (n ? 2 * n : 1) * size);
    if (n)
        memcpy(w, v, n * size);
    return w;
}

static void add_text(struct arena *ar, struct amx_texts *t, const char *lang, const char *s)
{
    t->v = grow(ar, t->v, t->n, sizeof *t->v);
    t->v[t->n++] = (struct amx_text){.lang = arena_strdup(ar, lang ? lang : ""),
                                     .s = arena_strdup(ar, s ? s : "")};
}

void amx_free(struct amx *m)
{
    free(m->c);
    free(m->defs);
    free(m->folders);
    free(m->members);
    memset(m, 0, sizeof *m);
}

/* ---- the exchange file ------------------------------------------------------------------ */

struct rd {
    struct docxml x;
    struct arena *ar;
    struct amx *m;
    struct err *e;
};

/* The line of the current node (the parser reads ahead of it). */
static long line_of(const struct rd *d)
{
    xmlNodePtr n = xmlTextReaderCurrentNode(d->x.r);
    long l = n ? xmlGetLineNo(n) : -1;
    return l > 0 ? l : xmlTextReaderGetParserLineNumber(d->x.r);
}

/* The file is refused at the current line (msg a literal: the format
 * said again in the reader's language). */
#define bad_line(d, msg) (err_set((d)->e, 400, "bad-file", "file", "line %ld: " msg, line_of(d)), -1)

/* The next node: 1, or 0 at the end, -1 with the problem set. */
static int next(struct rd *d)
{
    int rc = docxml_next(&d->x);
    if (rc < 0) {
        err_set(d->e, 400, "bad-file", "file", "the file is not readable XML: %s", d->x.msg);
        return -1;
    }
    if (rc == 1 && xmlTextReaderDepth(d->x.r) > AMX_MAX_DEPTH)
        return bad_line(d, "the elements are nested too deep");
    return rc;
}

static bool is_elem(const struct rd *d)
{
    return xmlTextReaderNodeType(d->x.r) == XML_READER_TYPE_ELEMENT;
}

static bool is_end(const struct rd *d)
{
    return xmlTextReaderNodeType(d->x.r) == XML_READER_TYPE_END_ELEMENT;
}

static bool named(const struct rd *d, const char *local)
{
    return strcmp(docxml_name(&d->x), local) == 0 && strcmp(docxml_ns(&d->x), NS_ARCHIMATE3) == 0;
}

/* An attribute's value copied into the arena (NULL: absent). */
static const char *attr(struct rd *d, const char *name)
{
    char *v = docxml_attr(&d->x, name);
    if (!v)
        return NULL;
    const char *s = arena_strdup(d->ar, v);
    xmlFree(v);
    return s;
}

static const char *xsi_type(struct rd *d)
{
    xmlChar *v = xmlTextReaderGetAttributeNs(d->x.r, BAD_CAST "type", BAD_CAST NS_XSI);
    if (!v)
        return NULL;
    const char *s = arena_strdup(d->ar, (const char *)v);
    xmlFree(v);
    /* "archimate:Capability" as some tools write it */
    const char *colon = strchr(s, ':');
    return colon ? colon + 1 : s;
}

/* Walks the children of the current element (not empty) through fn, which
 * is called at each child element and returns -1 to stop; ends on the
 * element's end tag. */
typedef int (*child_fn)(struct rd *d, void *arg);

static int children(struct rd *d, child_fn fn, void *arg)
{
    if (xmlTextReaderIsEmptyElement(d->x.r))
        return 0;
    int depth = xmlTextReaderDepth(d->x.r), rc;
    while ((rc = next(d)) == 1) {
        int at = xmlTextReaderDepth(d->x.r);
        if (is_end(d) && at == depth)
            return 0;
        if (is_elem(d) && at == depth + 1 && fn(d, arg) < 0)
            return -1;
    }
    return rc < 0 ? -1 : bad_line(d, "the file ends inside an element");
}

/* The text of the current element (its character data, bounded) into *out. */
static int text_of(struct rd *d, const char **out)
{
    if (xmlTextReaderIsEmptyElement(d->x.r)) {
        *out = "";
        return 0;
    }
    struct buf b;
    buf_init(&b, 1u << 20);
    int depth = xmlTextReaderDepth(d->x.r), rc;
    while ((rc = next(d)) == 1) {
        int t = xmlTextReaderNodeType(d->x.r);
        if (t == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(d->x.r) == depth)
            break;
        if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
            t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || t == XML_READER_TYPE_WHITESPACE) {
            const xmlChar *v = xmlTextReaderConstValue(d->x.r);
            if (v && buf_append(&b, (const char *)v, strlen((const char *)v)) < 0) {
                buf_free(&b);
                return bad_line(d, "a text is longer than 1 MiB");
            }
        }
    }
    if (rc != 1) {
        buf_free(&b);
        return rc < 0 ? -1 : bad_line(d, "the file ends inside an element");
    }
    *out = arena_strndup(d->ar, b.p ? b.p : "", b.len);
    buf_free(&b);
    return 0;
}

/* A text element (name, documentation, value, label) in its language. */
static int lang_text(struct rd *d, struct amx_texts *t)
{
    if (t->n >= AMX_MAX_TEXTS)
        return bad_line(d, "a text is given in too many languages");
    const xmlChar *lang = xmlTextReaderConstXmlLang(d->x.r);
    char l[16];
    snprintf(l, sizeof l, "%s", lang ? (const char *)lang : "");
    const char *s;
    if (text_of(d, &s) < 0)
        return -1;
    add_text(d->ar, t, l, s);
    return 0;
}

struct props_at {
    struct amx_prop **v;
    size_t *n;
};

static int property_child(struct rd *d, void *arg)
{
    struct amx_prop *p = arg;
    return named(d, "value") ? lang_text(d, &p->value) : 0;
}

static int property(struct rd *d, void *arg)
{
    struct props_at *at = arg;
    if (!named(d, "property"))
        return 0;
    if (*at->n >= AMX_MAX_PROPS)
        return bad_line(d, "a concept has too many properties");
    *at->v = grow(d->ar, *at->v, *at->n, sizeof **at->v);
    struct amx_prop *p = &(*at->v)[(*at->n)++];
    memset(p, 0, sizeof *p);
    p->line = line_of(d);
    p->def = attr(d, "propertyDefinitionRef");
    if (!p->def)
        return bad_line(d, "a property names no propertyDefinitionRef");
    return children(d, property_child, p);
}

static int concept_child(struct rd *d, void *arg)
{
    struct amx_concept *c = arg;
    if (named(d, "name"))
        return lang_text(d, &c->name);
    if (named(d, "documentation"))
        return lang_text(d, &c->doc);
    if (named(d, "properties")) {
        struct props_at at = {&c->props, &c->n_props};
        return children(d, property, &at);
    }
    return 0; /* anything else of a concept is not the portal's */
}

static int concept(struct rd *d, void *arg)
{
    bool rel = *(bool *)arg;
    if (!named(d, rel ? "relationship" : "element"))
        return 0;
    if (d->m->n >= AMX_MAX_CONCEPTS)
        return bad_line(d, "the file has too many elements and relationships");
    struct amx_concept *c = new_concept(d->m);
    c->relationship = rel;
    c->line = line_of(d);
    c->id = attr(d, "identifier");
    c->type = xsi_type(d);
    if (!c->id)
        return rel ? bad_line(d, "a relationship has no identifier")
                   : bad_line(d, "an element has no identifier");
    if (!c->type)
        return rel ? bad_line(d, "a relationship has no xsi:type") : bad_line(d, "an element has no xsi:type");
    if (rel) {
        c->source = attr(d, "source");
        c->target = attr(d, "target");
        c->access = attr(d, "accessType");
        c->modifier = attr(d, "modifier");
        const char *dir = attr(d, "isDirected");
        c->directed = dir && (strcmp(dir, "true") == 0 || strcmp(dir, "1") == 0);
    }
    size_t at = d->m->n - 1; /* the array may move while the children are read */
    struct amx_concept tmp = *c;
    int rc = children(d, concept_child, &tmp);
    d->m->c[at] = tmp;
    return rc;
}

static int definition_child(struct rd *d, void *arg)
{
    struct amx_def *def = arg;
    return named(d, "name") ? lang_text(d, &def->name) : 0;
}

static int definition(struct rd *d, void *arg)
{
    (void)arg;
    if (!named(d, "propertyDefinition"))
        return 0;
    if (d->m->n_defs >= AMX_MAX_DEFS)
        return bad_line(d, "the file has too many property definitions");
    struct amx_def *def = new_def(d->m);
    def->id = attr(d, "identifier");
    def->type = attr(d, "type");
    if (!def->id)
        return bad_line(d, "a property definition has no identifier");
    size_t at = d->m->n_defs - 1;
    struct amx_def tmp = *def;
    int rc = children(d, definition_child, &tmp);
    d->m->defs[at] = tmp;
    return rc;
}

/* An organisation's item: a folder (its label and items) or a reference
 * to a concept, which is then a member of the folder it is in. */
static int item(struct rd *d, void *arg);

static int item_child(struct rd *d, void *arg)
{
    long folder = *(long *)arg;
    if (named(d, "label") && folder >= 0) {
        struct amx_texts t = d->m->folders[folder].label;
        int rc = lang_text(d, &t);
        d->m->folders[folder].label = t;
        return rc;
    }
    return named(d, "item") ? item(d, &folder) : 0;
}

static int item(struct rd *d, void *arg)
{
    long parent = *(long *)arg;
    if (!named(d, "item"))
        return 0;
    if (d->m->n_folders + d->m->n_members >= AMX_MAX_CONCEPTS * 2)
        return bad_line(d, "the organisations have too many items");
    const char *ref = attr(d, "identifierRef");
    if (ref) {
        if (parent >= 0) {
            struct amx *m = d->m;
            struct amx_member *mb = push(&m->members, &m->n_members, &m->cap_members,
                                         sizeof *mb);
            *mb = (struct amx_member){.id = ref, .folder = parent};
        }
        return children(d, item_child, &(long){-1});
    }
    long folder = new_folder(d->m, parent);
    return children(d, item_child, &folder);
}

static int model_child(struct rd *d, void *arg)
{
    (void)arg;
    struct amx *m = d->m;
    if (named(d, "name"))
        return lang_text(d, &m->name);
    if (named(d, "documentation"))
        return lang_text(d, &m->doc);
    if (named(d, "properties")) {
        struct props_at at = {&m->props, &m->n_props};
        return children(d, property, &at);
    }
    if (named(d, "elements"))
        return children(d, concept, &(bool){false});
    if (named(d, "relationships"))
        return children(d, concept, &(bool){true});
    if (named(d, "organizations"))
        return children(d, item, &(long){-1});
    if (named(d, "propertyDefinitions"))
        return children(d, definition, NULL);
    if (named(d, "views")) {
        /* counted, not read: the portal draws its own diagrams */
        if (xmlTextReaderIsEmptyElement(d->x.r))
            return 0;
        int depth = xmlTextReaderDepth(d->x.r), rc;
        while ((rc = next(d)) == 1) {
            if (is_end(d) && xmlTextReaderDepth(d->x.r) == depth)
                return 0;
            if (is_elem(d) && named(d, "view") && xmlTextReaderDepth(d->x.r) == depth + 2)
                m->n_views++;
        }
        return rc < 0 ? -1 : bad_line(d, "the file ends inside an element");
    }
    return 0;
}

int amx_read_xml(struct arena *ar, const char *data, size_t n, struct amx *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->format = "archimate";
    if (n > AMX_MAX_FILE) {
        err_set(e, 413, "body-too-large", "file", "the file exceeds %u bytes", AMX_MAX_FILE);
        return -1;
    }
    struct rd d = {.ar = ar, .m = out, .e = e};
    if (docxml_open_memory(&d.x, data, n, "model.xml") < 0)
        fatal("out of memory");
    int rc;
    while ((rc = next(&d)) == 1 && !is_elem(&d))
        ;
    if (rc == 0) {
        err_set(e, 400, "bad-file", "file", "the file holds no XML element");
        rc = -1;
    }
    if (rc == 1) {
        const char *ns = docxml_ns(&d.x);
        if (strcmp(docxml_name(&d.x), "model") == 0 && strcmp(ns, NS_ARCHIMATE2) == 0) {
            err_set(e, 400, "wrong-format", "file",
                    "the file is in the ArchiMate 2.x exchange format (namespace %s), which the "
                    "portal does not read: save it as ArchiMate 3.1",
                    NS_ARCHIMATE2);
            rc = -1;
        } else if (!named(&d, "model")) {
            err_set(e, 400, "wrong-format", "file",
                    "the file is not an ArchiMate 3.1 model exchange file: its root element is "
                    "'%s' in namespace '%s'",
                    docxml_name(&d.x), ns);
            rc = -1;
        }
    }
    if (rc == 1) {
        out->id = attr(&d, "identifier");
        rc = children(&d, model_child, NULL);
    }
    /* what follows the root: only comments and the like */
    while (rc == 0 && (rc = next(&d)) == 1)
        ;
    docxml_close(&d.x);
    if (rc < 0) {
        amx_free(out);
        out->format = "archimate";
        return -1;
    }
    return 0;
}

/* ---- Archi's CSV files ------------------------------------------------------------------ */

/* A copy of a CSV file whose comment lines ("#" first, outside a quoted
 * field) are blanked, so that the reader drops them and the lines keep
 * their numbers. */
static char *uncommented(struct arena *ar, const char *data, size_t n)
{
    char *s = arena_alloc(ar, n + 1);
    memcpy(s, data, n);
    s[n] = '\0';
    bool quoted = false, start = true;
    size_t i = n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (; i < n; i++) {
        if (start && !quoted && s[i] == '#') {
            while (i < n && s[i] != '\n')
                s[i++] = ' ';
            start = true;
            continue;
        }
        if (s[i] == '"')
            quoted = !quoted;
        start = !quoted && s[i] == '\n';
    }
    return s;
}

/* The columns a header of Archi's names (-1: absent). */
enum { C_ID, C_TYPE, C_NAME, C_DOC, C_SOURCE, C_TARGET, C_SPEC, C_KEY, C_VALUE, N_COLS };
static const char *const COLUMN[N_COLS] = {"ID",     "Type",   "Name",           "Documentation",
                                           "Source", "Target", "Specialization", "Key",
                                           "Value"};

struct csvfile {
    const char *name;
    struct sheet s;
    int at[N_COLS];
};

static int read_csv(struct arena *ar, const char *name, const char *data, size_t n,
                    const int *need, size_t n_need, struct csvfile *f, struct err *e)
{
    f->name = name;
    for (size_t i = 0; i < N_COLS; i++)
        f->at[i] = -1;
    if (sheet_read_csv(ar, uncommented(ar, data, n), n, &f->s, e) < 0) {
        err_prefix(e, "%s: ", name);
        return -1;
    }
    if (f->s.n_rows)
        for (size_t c = 0; c < f->s.row[0].n; c++)
            for (size_t k = 0; k < N_COLS; k++)
                if (strcasecmp(f->s.row[0].cell[c], COLUMN[k]) == 0 && f->at[k] < 0)
                    f->at[k] = (int)c;
    for (size_t i = 0; i < n_need; i++)
        if (f->at[need[i]] < 0) {
            err_set(e, 400, "wrong-format", "file",
                    "%s is not Archi's CSV file: its first line has no column '%s'", name,
                    COLUMN[need[i]]);
            return -1;
        }
    return 0;
}

/* Cell k of row r ("" when the row is short); a formula noted in c. */
static const char *cell(const struct csvfile *f, const struct sheet_row *r, int k,
                        struct amx_concept *c)
{
    int at = f->at[k];
    if (at < 0 || (size_t)at >= r->n)
        return "";
    char *s = r->cell[at];
    if (sheet_formula(&s) && c && !c->formula)
        c->formula = COLUMN[k];
    return s;
}

static void csv_concepts(struct arena *ar, const struct csvfile *f, bool rel, struct amx *m,
                         json_t *index)
{
    for (size_t i = 1; i < f->s.n_rows; i++) {
        const struct sheet_row *r = &f->s.row[i];
        struct amx_concept tmp = {.relationship = rel, .line = r->line, .file = f->name};
        const char *type = cell(f, r, C_TYPE, &tmp);
        if (!rel && strcmp(type, "ArchimateModel") == 0) { /* the model's own row */
            m->id = cell(f, r, C_ID, NULL);
            add_text(ar, &m->name, "", cell(f, r, C_NAME, NULL));
            if (*cell(f, r, C_DOC, NULL))
                add_text(ar, &m->doc, "", cell(f, r, C_DOC, NULL));
            json_object_set_new(index, m->id, json_integer(-1));
            continue;
        }
        if (m->n >= AMX_MAX_CONCEPTS)
            return;
        if (r->n != f->s.row[0].n)
            tmp.bad_fields = r->n, tmp.want_fields = f->s.row[0].n;
        tmp.id = cell(f, r, C_ID, &tmp);
        size_t tl = strlen(type);
        if (rel && tl > 12 && strcmp(type + tl - 12, "Relationship") == 0)
            type = arena_strndup(ar, type, tl - 12);
        tmp.type = type;
        const char *name = cell(f, r, C_NAME, &tmp), *doc = cell(f, r, C_DOC, &tmp);
        if (*name)
            add_text(ar, &tmp.name, "", name);
        if (*doc)
            add_text(ar, &tmp.doc, "", doc);
        if (rel) {
            tmp.source = cell(f, r, C_SOURCE, &tmp);
            tmp.target = cell(f, r, C_TARGET, &tmp);
        }
        if (*tmp.id && !json_object_get(index, tmp.id))
            json_object_set_new(index, tmp.id, json_integer((json_int_t)m->n));
        *new_concept(m) = tmp;
    }
}

static int csv_properties(struct arena *ar, const struct csvfile *f, struct amx *m,
                          json_t *index, struct err *e)
{
    for (size_t i = 1; i < f->s.n_rows; i++) {
        const struct sheet_row *r = &f->s.row[i];
        struct amx_concept probe = {0};
        const char *id = cell(f, r, C_ID, &probe), *key = cell(f, r, C_KEY, &probe),
                   *value = cell(f, r, C_VALUE, &probe);
        if (r->n != f->s.row[0].n) {
            err_set(e, 400, "bad-file", "file", "%s, line %ld: %zu fields where the header has %zu",
                    f->name, r->line, r->n, f->s.row[0].n);
            return -1;
        }
        if (probe.formula) {
            err_set(e, 400, "bad-file", "file",
                    "%s, line %ld: the cell '%s' starts a formula, which the portal does not take",
                    f->name, r->line, probe.formula);
            return -1;
        }
        json_t *at = json_object_get(index, id);
        if (!at) {
            err_set(e, 400, "bad-file", "file",
                    "%s, line %ld: no element or relation has the ID '%s'", f->name, r->line, id);
            return -1;
        }
        json_int_t k = json_integer_value(at);
        if (k >= 0 && m->c[k].relationship && strcasecmp(key, "Access Type") == 0) {
            m->c[k].access = value; /* the attribute the three files have no column for */
            continue;
        }
        struct amx_prop **v = k < 0 ? &m->props : &m->c[k].props;
        size_t *n = k < 0 ? &m->n_props : &m->c[k].n_props;
        if (*n >= AMX_MAX_PROPS) {
            err_set(e, 400, "bad-file", "file", "%s, line %ld: '%s' has too many properties",
                    f->name, r->line, id);
            return -1;
        }
        *v = grow(ar, *v, *n, sizeof **v);
        struct amx_prop *p = &(*v)[(*n)++];
        memset(p, 0, sizeof *p);
        p->def = key;
        p->line = r->line;
        add_text(ar, &p->value, "", value);
    }
    return 0;
}

int amx_read_archi_csv(struct arena *ar, const char *elements, size_t ne, const char *relations,
                       size_t nr, const char *properties, size_t np, struct amx *out,
                       struct err *e)
{
    memset(out, 0, sizeof *out);
    out->format = "archi-csv";
    if ((uint64_t)ne + nr + np > AMX_MAX_FILE) {
        err_set(e, 413, "body-too-large", "file", "the file exceeds %u bytes", AMX_MAX_FILE);
        return -1;
    }
    static const int need_el[] = {C_ID, C_TYPE, C_NAME};
    static const int need_rel[] = {C_ID, C_TYPE, C_SOURCE, C_TARGET};
    static const int need_prop[] = {C_ID, C_KEY, C_VALUE};
    struct csvfile fe, fr, fp;
    json_t *index = json_object();
    int rc = read_csv(ar, "elements.csv", elements, ne, need_el, 3, &fe, e);
    if (rc == 0 && relations)
        rc = read_csv(ar, "relations.csv", relations, nr, need_rel, 4, &fr, e);
    if (rc == 0 && properties)
        rc = read_csv(ar, "properties.csv", properties, np, need_prop, 3, &fp, e);
    if (rc == 0) {
        csv_concepts(ar, &fe, false, out, index);
        if (relations)
            csv_concepts(ar, &fr, true, out, index);
        if (properties)
            rc = csv_properties(ar, &fp, out, index, e);
    }
    json_decref(index);
    if (rc < 0) {
        amx_free(out);
        out->format = "archi-csv";
    }
    return rc;
}
