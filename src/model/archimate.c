/* archimate: how the model's kinds and relation types map to The Open
 * Group's ArchiMate Model Exchange File Format 3.1 (issue 18, REQ
 * X-INT-01). The section "archimate" names the model and the folders of
 * the organisations (by layer), each kind's "archimate" its element type,
 * folder, the ref field naming its domain (a sub-folder) and the field
 * that documents it, each relation type's its relationship type, whether
 * it is drawn the other way (a system runs on a node: the node serves it)
 * and, for Access, the attribute that gives the access type. The types
 * are the standard's vocabulary, checked here; the engine that writes the
 * file (arch/archimate.c) names no kind. */
#include "model/loader.h"
#include "util/arena.h"

#include <string.h>

static const char *const ELEMENT_TYPES[] = {
    "BusinessActor", "BusinessRole", "BusinessCollaboration", "BusinessInterface",
    "BusinessProcess", "BusinessFunction", "BusinessInteraction", "BusinessEvent",
    "BusinessService", "BusinessObject", "Contract", "Representation", "Product",
    "ApplicationComponent", "ApplicationCollaboration", "ApplicationInterface",
    "ApplicationFunction", "ApplicationInteraction", "ApplicationProcess", "ApplicationEvent",
    "ApplicationService", "DataObject", "Node", "Device", "SystemSoftware",
    "TechnologyCollaboration", "TechnologyInterface", "Path", "CommunicationNetwork",
    "TechnologyFunction", "TechnologyProcess", "TechnologyInteraction", "TechnologyEvent",
    "TechnologyService", "Artifact", "Equipment", "Facility", "DistributionNetwork", "Material",
    "Stakeholder", "Driver", "Assessment", "Goal", "Outcome", "Principle", "Requirement",
    "Constraint", "Meaning", "Value", "Resource", "Capability", "CourseOfAction", "ValueStream",
    "WorkPackage", "Deliverable", "ImplementationEvent", "Plateau", "Gap", "Grouping", "Location",
    NULL};
static const char *const RELATIONSHIP_TYPES[] = {
    "Composition", "Aggregation", "Assignment", "Realization", "Serving",     "Access",
    "Influence",   "Triggering",  "Flow",       "Specialization", "Association", NULL};
static const char *const ACCESS_TYPES[] = {"Access", "Read", "Write", "ReadWrite", NULL};

static const char *const SECTION_KEYS[] = {"name", "folders", "relations_folder", "scope", NULL};
static const char *const SCOPE_KEYS[] = {"kind", "view", NULL};
static const char *const FOLDER_KEYS[] = {"id", "label", NULL};
static const char *const KIND_KEYS[] = {"type",   "type_field", "folder",     "domain",
                                        "documentation", "import", "properties", "path",
                                        NULL};
static const char *const REL_KEYS[] = {"type", "type_field", "reverse", "access", "properties",
                                       NULL};
static const char *const ACCESS_KEYS[] = {"field", "values", NULL};

static int parse_folders(struct loader *ld, const json_t *a, const char *path,
                         struct model_archimate *x)
{
    if (!json_is_array(a) || !json_array_size(a))
        return ld_fail(ld, path, "must be a non-empty array");
    x->n_folders = json_array_size(a);
    x->folders = arena_calloc(ld->m->arena, x->n_folders, sizeof *x->folders);
    for (size_t i = 0; i < x->n_folders; i++) {
        const json_t *f = json_array_get(a, i);
        const char *fp = ld_idx(ld, path, i), *id;
        if (ld_want_object(ld, f, fp) || ld_check_keys(ld, f, fp, FOLDER_KEYS) ||
            ld_string(ld, f, "id", fp, true, &id) || ld_name(ld, id, ld_sub(ld, fp, "id")) ||
            ld_label(ld, f, "label", fp, &x->folders[i].label))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(x->folders[j].id, id) == 0)
                return ld_fail(ld, ld_sub(ld, fp, "id"), "folder '%s' comes twice", id);
        x->folders[i].id = ld_keep(ld, id);
    }
    return 0;
}

static int folder_of(const struct model_archimate *x, const char *id)
{
    for (size_t i = 0; x && id && i < x->n_folders; i++)
        if (strcmp(x->folders[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* "type" or "type_field" (a string field of k: a generic kind), and
 * "properties" (a list of {key, value} strings) and "path" (a string). */
static int parse_import_keys(struct loader *ld, const json_t *v, const char *path,
                             const struct model_kind *k, struct model_archimate_kind *a)
{
    if (ld_string(ld, v, "type", path, false, &a->type) ||
        ld_string(ld, v, "type_field", path, false, &a->type_field) ||
        ld_string(ld, v, "properties", path, false, &a->properties) ||
        ld_string(ld, v, "path", path, false, &a->path))
        return -1;
    if (!a->type == !a->type_field)
        return ld_fail(ld, path, "give either \"type\" or \"type_field\"");
    const struct model_field *f;
    if (a->type_field &&
        (!(f = model_field(k, a->type_field)) || f->type != FT_STRING || !f->required))
        return ld_fail(ld, ld_sub(ld, path, "type_field"),
                       "'%s' is not a required string field of '%s'", a->type_field, k->id);
    if (a->path && (!(f = model_field(k, a->path)) || f->type != FT_STRING))
        return ld_fail(ld, ld_sub(ld, path, "path"), "'%s' is not a string field of '%s'", a->path,
                       k->id);
    if (a->properties) {
        f = model_field(k, a->properties);
        const struct model_field *it = f && f->type == FT_LIST ? f->item : NULL;
        const struct model_field *key = NULL, *value = NULL;
        for (size_t i = 0; it && it->type == FT_OBJECT && i < it->n_sub; i++) {
            if (strcmp(it->sub[i].name, "key") == 0 && it->sub[i].type == FT_STRING)
                key = &it->sub[i];
            if (strcmp(it->sub[i].name, "value") == 0 && it->sub[i].type == FT_STRING)
                value = &it->sub[i];
        }
        if (!key || !value || f->restricted)
            return ld_fail(ld, ld_sub(ld, path, "properties"),
                           "'%s' is not a list of objects with the strings 'key' and 'value' "
                           "that everyone may read",
                           a->properties);
        a->properties = ld_keep(ld, a->properties);
    }
    a->type = a->type ? ld_keep(ld, a->type) : NULL;
    a->type_field = a->type_field ? ld_keep(ld, a->type_field) : NULL;
    a->path = a->path ? ld_keep(ld, a->path) : NULL;
    return 0;
}

/* A kind's "archimate": its element type, folder, domain field (a ref)
 * and documenting field (i18n or text). */
static int parse_kind_map(struct loader *ld, const json_t *v, const char *path,
                          struct model_kind *k)
{
    const struct model_archimate *x = ld->m->archimate;
    struct model_archimate_kind *a = arena_calloc(ld->m->arena, 1, sizeof *a);
    const char *folder;
    if (!x)
        return ld_fail(ld, path, "the model has no \"archimate\" section");
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, KIND_KEYS) ||
        parse_import_keys(ld, v, path, k, a) ||
        ld_string(ld, v, "folder", path, true, &folder) ||
        ld_string(ld, v, "domain", path, false, &a->domain) ||
        ld_string(ld, v, "documentation", path, false, &a->documentation) ||
        ld_bool(ld, v, "import", path, &a->import))
        return -1;
    if (a->type_field) {
        if (x->generic_element)
            return ld_fail(ld, ld_sub(ld, path, "type_field"),
                           "kind '%s' is the generic element already", x->generic_element->id);
        if (a->import)
            return ld_fail(ld, ld_sub(ld, path, "import"),
                           "the generic kind takes what no kind imports");
        ((struct model_archimate *)x)->generic_element = k;
    } else if (!ld_in_list(a->type, ELEMENT_TYPES))
        return ld_fail(ld, ld_sub(ld, path, "type"), "'%s' is not an ArchiMate 3.1 element type",
                       a->type);
    if ((a->folder = folder_of(x, folder)) < 0)
        return ld_fail(ld, ld_sub(ld, path, "folder"), "no folder '%s'", folder);
    const struct model_field *f;
    if (a->domain && (!(f = model_field(k, a->domain)) || f->type != FT_REF))
        return ld_fail(ld, ld_sub(ld, path, "domain"), "'%s' is not a ref field of '%s'",
                       a->domain, k->id);
    if (a->documentation && (!(f = model_field(k, a->documentation)) ||
                             (f->type != FT_I18N && f->type != FT_TEXT && f->type != FT_STRING) ||
                             f->restricted))
        return ld_fail(ld, ld_sub(ld, path, "documentation"),
                       "'%s' is not a text field of '%s' everyone may read", a->documentation,
                       k->id);
    if (!k->named)
        return ld_fail(ld, path, "an element has a name: kind '%s' has none", k->id);
    for (size_t i = 0; a->import && i < ld->m->n_kinds; i++) {
        const struct model_kind *o = &ld->m->kinds[i];
        if (o != k && o->archimate && o->archimate->import && !o->is_relation &&
            strcmp(o->archimate->type, a->type) == 0)
            return ld_fail(ld, ld_sub(ld, path, "import"), "kind '%s' imports '%s' already", o->id,
                           a->type);
    }
    a->domain = a->domain ? ld_keep(ld, a->domain) : NULL;
    a->documentation = a->documentation ? ld_keep(ld, a->documentation) : NULL;
    k->archimate = a;
    return 0;
}

/* A relation type's "archimate": its relationship type, drawn the other
 * way or not, and for Access the enum attribute giving the access type. */
static int parse_rel_map(struct loader *ld, const json_t *v, const char *path,
                         struct model_kind *k)
{
    struct model_archimate_kind *a = arena_calloc(ld->m->arena, 1, sizeof *a);
    a->folder = -1; /* relationships go to the relations' folder */
    json_t *acc;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, REL_KEYS) ||
        parse_import_keys(ld, v, path, k, a) || ld_bool(ld, v, "reverse", path, &a->reverse) ||
        ld_member(ld, v, "access", path, JSON_OBJECT, false, &acc))
        return -1;
    if (a->path)
        return ld_fail(ld, ld_sub(ld, path, "path"), "relationships are filed in one folder");
    struct model_archimate *x = ld->m->archimate;
    if (a->type_field) {
        if (x->generic_relationship)
            return ld_fail(ld, ld_sub(ld, path, "type_field"),
                           "relation '%s' is the generic relationship already",
                           x->generic_relationship->id);
        if (acc || a->reverse)
            return ld_fail(ld, path, "the generic relationship has neither access nor reverse");
        x->generic_relationship = k;
        k->archimate = a;
        return 0;
    }
    if (!ld_in_list(a->type, RELATIONSHIP_TYPES))
        return ld_fail(ld, ld_sub(ld, path, "type"),
                       "'%s' is not an ArchiMate 3.1 relationship type", a->type);
    if (acc && strcmp(a->type, "Access") != 0)
        return ld_fail(ld, ld_sub(ld, path, "access"), "only an Access has an access type");
    if (acc) {
        const char *ap = ld_sub(ld, path, "access");
        json_t *vals;
        if (ld_check_keys(ld, acc, ap, ACCESS_KEYS) ||
            ld_string(ld, acc, "field", ap, true, &a->access_field) ||
            ld_member(ld, acc, "values", ap, JSON_OBJECT, true, &vals))
            return -1;
        const struct model_field *f = model_field(k, a->access_field);
        if (!f || f->type != FT_ENUM)
            return ld_fail(ld, ld_sub(ld, ap, "field"), "'%s' is not an enum attribute of '%s'",
                           a->access_field, k->id);
        a->n_access = json_object_size(vals);
        a->access_from = arena_calloc(ld->m->arena, a->n_access + 1, sizeof *a->access_from);
        a->access_to = arena_calloc(ld->m->arena, a->n_access + 1, sizeof *a->access_to);
        size_t i = 0;
        const char *value;
        json_t *to;
        json_object_foreach (vals, value, to) {
            const char *vp = ld_sub(ld, ld_sub(ld, ap, "values"), value);
            if (!ld_enum_has(f->enumeration, value))
                return ld_fail(ld, vp, "'%s' is not a value of '%s'", value, a->access_field);
            if (!json_is_string(to) || !ld_in_list(json_string_value(to), ACCESS_TYPES))
                return ld_fail(ld, vp, "must be one of Access, Read, Write, ReadWrite");
            a->access_from[i] = ld_keep(ld, value);
            a->access_to[i++] = ld_keep(ld, json_string_value(to));
        }
        a->access_field = ld_keep(ld, a->access_field);
    }
    k->archimate = a;
    return 0;
}

int parse_archimate(struct loader *ld)
{
    json_t *in;
    const char *p = "archimate";
    if (ld_member(ld, ld->root, "archimate", "", JSON_OBJECT, false, &in))
        return -1;
    if (in) {
        struct model_archimate *x = arena_calloc(ld->m->arena, 1, sizeof *x);
        if (ld_check_keys(ld, in, p, SECTION_KEYS) || ld_label(ld, in, "name", p, &x->name) ||
            parse_folders(ld, json_object_get(in, "folders"), ld_sub(ld, p, "folders"), x) ||
            ld_label(ld, in, "relations_folder", p, &x->relations_folder))
            return -1;
        /* "scope": {"kind", "view"}: a part exported alone (a domain) and
         * the view whose records it holds */
        json_t *sc;
        const char *sp = ld_sub(ld, p, "scope"), *kind, *view;
        if (ld_member(ld, in, "scope", p, JSON_OBJECT, false, &sc))
            return -1;
        if (sc) {
            if (ld_check_keys(ld, sc, sp, SCOPE_KEYS) || ld_string(ld, sc, "kind", sp, true, &kind) ||
                ld_string(ld, sc, "view", sp, true, &view))
                return -1;
            x->scope_kind = model_kind(ld->m, kind);
            if (!x->scope_kind || x->scope_kind->is_relation)
                return ld_fail(ld, ld_sub(ld, sp, "kind"), "'%s' is not a record kind", kind);
            if (!model_view(x->scope_kind, view))
                return ld_fail(ld, ld_sub(ld, sp, "view"), "kind '%s' has no view '%s'", kind,
                               view);
            x->scope_view = ld_keep(ld, view);
        }
        ld->m->archimate = x;
    }
    for (size_t i = 0; i < ld->m->n_kinds; i++) {
        struct model_kind *k = &ld->m->kinds[i];
        const json_t *v = json_object_get(
            json_object_get(k->is_relation ? ld->relations_in : ld->kinds_in, k->id), "archimate");
        const char *kp = ld_sub(ld, ld_sub(ld, k->is_relation ? "relations" : "kinds", k->id),
                                "archimate");
        if (!v)
            continue;
        if (!ld->m->archimate)
            return ld_fail(ld, kp, "the model has no \"archimate\" section");
        if (k->is_relation ? parse_rel_map(ld, v, kp, k) : parse_kind_map(ld, v, kp, k))
            return -1;
    }
    return 0;
}

const struct model_archimate *model_archimate(const struct model *m)
{
    return m->archimate;
}

bool model_archimate_element_type(const char *type)
{
    return type && ld_in_list(type, ELEMENT_TYPES);
}

bool model_archimate_relationship_type(const char *type)
{
    return type && ld_in_list(type, RELATIONSHIP_TYPES);
}

const struct model_kind *model_archimate_import_kind(const struct model *m, const char *type)
{
    for (size_t i = 0; type && i < m->n_kinds; i++) {
        const struct model_kind *k = &m->kinds[i];
        if (!k->is_relation && k->archimate && k->archimate->import &&
            strcmp(k->archimate->type, type) == 0)
            return k;
    }
    return m->archimate ? m->archimate->generic_element : NULL;
}

const char *model_archimate_access(const struct model_archimate_kind *a, const char *value)
{
    for (size_t i = 0; value && i < a->n_access; i++)
        if (strcmp(a->access_from[i], value) == 0)
            return a->access_to[i];
    return NULL;
}

json_t *archimate_json(const struct model *m)
{
    const struct model_archimate *x = m->archimate;
    json_t *folders = json_array();
    for (size_t i = 0; i < x->n_folders; i++)
        json_array_append_new(folders, json_pack("{s:s, s:o}", "id", x->folders[i].id, "label",
                                                 model_label_json(x->folders[i].label)));
    json_t *o = json_pack("{s:o, s:o, s:o}", "name", model_label_json(x->name), "folders", folders,
                          "relations_folder", model_label_json(x->relations_folder));
    if (x->scope_kind)
        json_object_set_new(o, "scope", json_pack("{s:s, s:s}", "kind", x->scope_kind->id, "view",
                                                  x->scope_view));
    return o;
}

json_t *archimate_kind_json(const struct model *m, const struct model_archimate_kind *a)
{
    json_t *o = a->type ? json_pack("{s:s}", "type", a->type)
                        : json_pack("{s:s}", "type_field", a->type_field);
    if (a->import)
        json_object_set_new(o, "import", json_true());
    if (a->properties)
        json_object_set_new(o, "properties", json_string(a->properties));
    if (a->path)
        json_object_set_new(o, "path", json_string(a->path));
    if (a->folder >= 0 && m->archimate && (size_t)a->folder < m->archimate->n_folders)
        json_object_set_new(o, "folder", json_string(m->archimate->folders[a->folder].id));
    if (a->domain)
        json_object_set_new(o, "domain", json_string(a->domain));
    if (a->documentation)
        json_object_set_new(o, "documentation", json_string(a->documentation));
    if (a->reverse)
        json_object_set_new(o, "reverse", json_true());
    if (a->access_field) {
        json_t *vals = json_object();
        for (size_t i = 0; i < a->n_access; i++)
            json_object_set_new(vals, a->access_from[i], json_string(a->access_to[i]));
        json_object_set_new(o, "access", json_pack("{s:s, s:o}", "field", a->access_field,
                                                   "values", vals));
    }
    return o;
}
