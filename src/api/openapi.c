/* openapi: the API described in OpenAPI 3.1 (issue 18 item 4, REQ
 * X-INT-01), GET /api/v1/openapi.json, generated from two sources:
 *
 * - the routes the router holds (router_each): every /api/ route is a
 *   path, each one described by the table below (what it is for, its query
 *   parameters, its body, its answer); a route without a description makes
 *   the generator fail, so that no route is left out;
 * - the metamodel: a route on {collection} becomes a path per collection
 *   (the workflow's steps only where its kinds have one), each collection's
 *   records described by a schema per kind built from its fields and enums
 *   (a discriminator on "kind", or on "type" for relations), its lists,
 *   and the verifier's decision; every error is problem+json.
 *
 * The summaries are the catalogs' messages (TR): the document says them in
 * English, the page that shows it (web/page-apidoc.c) in the reader's
 * language. */
#include "api/internal.h"

#include "web/i18n.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum body { B_NONE, B_RECORD, B_PATCH, B_JSON, B_FILE, B_DECISION, B_ARCHIMATE, B_SHEET };
enum answer {
    A_OBJECT,  /* a JSON object */
    A_RECORD,  /* the collection's record */
    A_LIST,    /* a page of the collection's records */
    A_NONE,    /* 204 */
    A_XML,     /* an ArchiMate file (or Archi's CSV ZIP) */
    A_XLSX,    /* a workbook */
    A_BYTES,   /* a document's bytes */
    A_TEXT,    /* plain text */
    A_ARRAY    /* a JSON array */
};

struct op {
    const char *method, *pattern;
    const char *summary; /* TR */
    const char *tag;
    const char *query; /* the query parameters, ',' between them */
    enum body body;
    enum answer answer;
    int status;
    bool public_; /* answered without signing in */
};

#define COLL "/api/v1/{collection}"
static const struct op OPS[] = {
    {"GET", "/api/v1/model", TR("The metamodel: kinds, fields, relations, workflows, rules"), "model", "", B_NONE, A_OBJECT, 200, true},
    {"GET", "/api/v1/openapi.json", TR("This description of the API (OpenAPI 3.1)"), "model", "", B_NONE, A_OBJECT, 200, true},
    {"GET", "/api/v1/rules", TR("The rules' report: compliant and violating records by layer, domain and body"), "analyses", "layer,rule,by", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/policies", TR("The policies: the deadlines the Rules set"), "model", "at", B_NONE, A_OBJECT, 200, true},
    {"GET", "/api/v1/rights", TR("The rights: which roles may do what"), "model", "", B_NONE, A_OBJECT, 200, true},
    {"GET", "/api/v1/gaps", TR("Gap analysis of the architecture"), "analyses", "collection,domain,effect", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/duplicates", TR("Duplication and chances of reuse across agencies"), "analyses", "kind,min,limit,about", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/similar", TR("Similar records already recorded, before a new one is made"), "analyses", "kind,name,text,min,limit", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/scores", TR("The scores the model declares"), "analyses", "", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/scores/{score}", TR("A score of every record the reader may read"), "analyses", "owner,level", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/scores/{score}/{id}", TR("A score of one record, with its factors"), "analyses", "", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/archimate", TR("The architecture in the ArchiMate exchange format 3.1, or as Archi's CSV"), "interchange", "version,domain,format,lang", B_NONE, A_XML, 200, false},
    {"POST", "/api/v1/archimate", TR("Import an architecture from an ArchiMate file or Archi's CSV, with a dry run"), "interchange", "dry_run,lang", B_ARCHIMATE, A_OBJECT, 200, false},
    {"GET", "/api/v1/calendar/{year}", TR("The working-day calendar of a year"), "calendar", "", B_NONE, A_OBJECT, 200, true},
    {"PUT", "/api/v1/calendar/{year}", TR("Load a year's working-day calendar"), "calendar", "", B_JSON, A_OBJECT, 200, false},
    {"GET", "/api/v1/calendar/add", TR("A date a number of working days after another"), "calendar", "!at,!days", B_NONE, A_OBJECT, 200, true},
    {"GET", "/api/v1/calendar/between", TR("The working days between two dates"), "calendar", "!from,!to", B_NONE, A_OBJECT, 200, true},
    {"POST", "/api/v1/session", TR("Sign in"), "accounts", "", B_JSON, A_OBJECT, 200, true},
    {"DELETE", "/api/v1/session", TR("Sign out"), "accounts", "everywhere", B_NONE, A_NONE, 204, false},
    {"GET", "/api/v1/me", TR("The signed-in user"), "accounts", "", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/me/tokens", TR("The user's personal tokens"), "accounts", "", B_NONE, A_OBJECT, 200, false},
    {"POST", "/api/v1/me/tokens", TR("Make a personal token"), "accounts", "", B_JSON, A_OBJECT, 201, false},
    {"DELETE", "/api/v1/me/tokens/{id}", TR("Revoke a personal token"), "accounts", "", B_NONE, A_NONE, 204, false},
    {"POST", "/api/v1/activation", TR("Activate an account with its link's token and set its password"), "accounts", "", B_JSON, A_OBJECT, 200, true},
    {"POST", "/api/v1/password-reset", TR("Ask for a password reset"), "accounts", "", B_JSON, A_OBJECT, 202, true},
    {"GET", "/api/v1/users", TR("The users (administrators)"), "accounts", "org", B_NONE, A_OBJECT, 200, false},
    {"POST", "/api/v1/users", TR("Make a user (administrators)"), "accounts", "", B_JSON, A_OBJECT, 201, false},
    {"GET", "/api/v1/users/{id}", TR("A user (administrators)"), "accounts", "", B_NONE, A_OBJECT, 200, false},
    {"PATCH", "/api/v1/users/{id}", TR("Change a user's roles or organisation (administrators)"), "accounts", "", B_JSON, A_OBJECT, 200, false},
    {"GET", "/api/v1/account-applications", TR("Applications for an account"), "accounts", "status", B_NONE, A_OBJECT, 200, false},
    {"POST", "/api/v1/account-applications", TR("Apply for an account"), "accounts", "", B_JSON, A_OBJECT, 201, true},
    {"GET", "/api/v1/account-applications/{id}", TR("An application for an account"), "accounts", "", B_NONE, A_OBJECT, 200, false},
    {"POST", "/api/v1/account-applications/{id}/grant", TR("Grant an application"), "accounts", "", B_JSON, A_OBJECT, 200, false},
    {"POST", "/api/v1/account-applications/{id}/refuse", TR("Refuse an application with reasons"), "accounts", "", B_JSON, A_OBJECT, 200, false},
    {"GET", "/api/v1/inbox", TR("The user's messages"), "notifications", "unread,limit,before", B_NONE, A_OBJECT, 200, false},
    {"POST", "/api/v1/inbox/{id}/read", TR("Mark a message read"), "notifications", "", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/outbox", TR("The mail waiting to be sent (administrators)"), "notifications", "", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/obligations", TR("Open obligations and their deadlines"), "workflow", "org,role,state", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/verification-queue", TR("What waits for the verifier, oldest first"), "workflow", "", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/inclusion-requests", TR("Requests for inclusion in the operator's list"), "workflow", "status", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/inclusion-requests/{request_id}", TR("A request for inclusion"), "workflow", "", B_NONE, A_OBJECT, 200, false},
    {"POST", "/api/v1/inclusion-requests/{request_id}/decision", TR("Decide on a request for inclusion"), "workflow", "", B_JSON, A_OBJECT, 200, false},
    {"GET", "/api/v1/documents/{doc_id}", TR("A document's description"), "documents", "", B_NONE, A_OBJECT, 200, false},
    {"GET", "/api/v1/documents/{doc_id}/content", TR("A document's bytes"), "documents", "", B_NONE, A_BYTES, 200, false},
    {"GET", COLL, TR("A page of the collection's records, filtered, searched and sorted"), NULL, "q,filter,kind,owner,sort,limit,cursor,lang", B_NONE, A_LIST, 200, true},
    {"POST", COLL, TR("Make a record"), NULL, "", B_RECORD, A_RECORD, 201, false},
    {"GET", COLL "/facets", TR("The counts of the records by the values of fields"), NULL, "!field,q,filter,kind,owner,lang", B_NONE, A_OBJECT, 200, true},
    {"GET", COLL "/map", TR("The collection's map (a capability map)"), NULL, "measure,at,view", B_NONE, A_OBJECT, 200, false},
    {"GET", COLL "/matrix/{matrix}", TR("One of the collection's matrices"), NULL, "", B_NONE, A_OBJECT, 200, false},
    {"POST", COLL "/import", TR("Import a CSV or XLSX file's rows, with a dry run and a result file"), NULL, "kind,dry_run,result", B_SHEET, A_OBJECT, 200, false},
    {"GET", COLL "/import/template", TR("The workbook to fill in for an import"), NULL, "kind,lang", B_NONE, A_XLSX, 200, false},
    {"GET", COLL "/{id}", TR("A record"), NULL, "at", B_NONE, A_RECORD, 200, true},
    {"PATCH", COLL "/{id}", TR("Change a record (JSON merge patch, If-Match its revision)"), NULL, "", B_PATCH, A_RECORD, 200, false},
    {"DELETE", COLL "/{id}", TR("Retire a record (If-Match its revision)"), NULL, "", B_NONE, A_NONE, 204, false},
    {"GET", COLL "/{id}/history", TR("A record's history: every change, who made it and when"), NULL, "", B_NONE, A_OBJECT, 200, true},
    {"GET", COLL "/{id}/relations", TR("A record's relations"), NULL, "direction,type", B_NONE, A_OBJECT, 200, true},
    {"GET", COLL "/{id}/trace", TR("The records a record leads to, layer by layer"), NULL, "direction,depth,types,at", B_NONE, A_OBJECT, 200, true},
    {"GET", COLL "/{id}/views/{name}", TR("One of a record's views"), NULL, "at", B_NONE, A_OBJECT, 200, true},
    {"GET", COLL "/{id}/workflow", TR("A record's workflow: its steps and deadlines"), NULL, "", B_NONE, A_OBJECT, 200, false},
    {"POST", COLL "/{id}/submit", TR("Submit a record for verification (If-Match its revision)"), NULL, "", B_NONE, A_RECORD, 200, false},
    {"POST", COLL "/{id}/verify", TR("Accept or return a submitted record (If-Match its revision)"), NULL, "", B_DECISION, A_RECORD, 200, false},
    {"GET", COLL "/{id}/documents", TR("A record's technical documentation and what is missing"), NULL, "", B_NONE, A_OBJECT, 200, false},
    {"POST", COLL "/{id}/documents", TR("Attach a document to a record"), NULL, "", B_FILE, A_OBJECT, 201, false},
    {"GET", COLL "/{id}/completeness", TR("How complete a record is: the fields and documents it lacks"), NULL, "", B_NONE, A_OBJECT, 200, false},
    {"POST", COLL "/{id}/inclusion-requests", TR("Ask for a record's inclusion in the operator's list"), NULL, "", B_JSON, A_OBJECT, 201, false},
    {"GET", COLL "/{id}/content", TR("An architecture version's content"), NULL, "", B_NONE, A_OBJECT, 200, false},
    {"GET", COLL "/{id}/elements", TR("The elements an architecture version froze"), NULL, "collection,q,offset,limit", B_NONE, A_OBJECT, 200, false},
    {"GET", COLL "/{id}/elements/{element}", TR("One element of an architecture version as it was"), NULL, "", B_NONE, A_OBJECT, 200, false},
    {"GET", COLL "/{id}/compare/{other}", TR("Two architecture versions compared"), NULL, "", B_NONE, A_OBJECT, 200, false},
};

static const struct op *op_of(const char *method, const char *pattern)
{
    for (size_t i = 0; i < sizeof OPS / sizeof *OPS; i++)
        if (strcmp(OPS[i].method, method) == 0 && strcmp(OPS[i].pattern, pattern) == 0)
            return &OPS[i];
    return NULL;
}

/* ---- schemas ---------------------------------------------------------------------------- */

static json_t *ref(const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "#/components/schemas/%s", name) < 0)
        fatal("out of memory");
    json_t *o = json_pack("{s:s}", "$ref", p);
    free(p);
    return o;
}

static json_t *nullable(json_t *schema)
{
    json_t *o = json_pack("{s:[o, {s:s}]}", "anyOf", schema, "type", "null");
    return o;
}

static json_t *label_of(struct i18n l)
{
    return json_string(l.en ? l.en : l.ru ? l.ru : "");
}

static json_t *field_schema(const struct model_field *f)
{
    json_t *s;
    switch (f->type) {
    case FT_INTEGER:
        s = json_pack("{s:s}", "type", "integer");
        if (f->has_min)
            json_object_set_new(s, "minimum", json_integer(f->min));
        if (f->has_max)
            json_object_set_new(s, "maximum", json_integer(f->max));
        break;
    case FT_DECIMAL:
        s = json_pack("{s:[s, s]}", "type", "string", "number");
        break;
    case FT_DATE: s = json_pack("{s:s, s:s}", "type", "string", "format", "date"); break;
    case FT_BOOL: s = json_pack("{s:s}", "type", "boolean"); break;
    case FT_URL: s = json_pack("{s:s, s:s}", "type", "string", "format", "uri"); break;
    case FT_EMAIL: s = json_pack("{s:s}", "type", "string"); break;
    case FT_I18N: s = ref("I18n"); break;
    case FT_REF: {
        s = json_pack("{s:s}", "type", "string");
        json_t *to = json_array();
        for (size_t i = 0; i < f->n_ref_kinds; i++)
            json_array_append_new(to, json_string(f->ref_kinds[i]));
        json_object_set_new(s, "x-ref-kinds", to);
        break;
    }
    case FT_ENUM: {
        json_t *vals = json_array();
        for (size_t i = 0; f->enumeration && i < f->enumeration->n_values; i++)
            json_array_append_new(vals, json_string(f->enumeration->values[i].id));
        s = json_pack("{s:s, s:o}", "type", "string", "enum", vals);
        break;
    }
    case FT_LIST:
        s = json_pack("{s:s, s:o}", "type", "array", "items",
                      f->item ? field_schema(f->item) : json_object());
        break;
    case FT_OBJECT: {
        json_t *props = json_object();
        for (size_t i = 0; i < f->n_sub; i++)
            json_object_set_new(props, f->sub[i].name, nullable(field_schema(&f->sub[i])));
        s = json_pack("{s:s, s:o}", "type", "object", "properties", props);
        break;
    }
    default:
        s = json_pack("{s:s}", "type", "string");
        if (f->max_length)
            json_object_set_new(s, "maxLength", json_integer((json_int_t)f->max_length));
    }
    if (f->type != FT_I18N) {
        json_object_set_new(s, "title", label_of(f->label));
        if (f->readonly || f->derived_from)
            json_object_set_new(s, "readOnly", json_true());
    }
    return s;
}

/* A kind's record: the envelope and its fields. */
static json_t *kind_schema(const struct model_kind *k)
{
    json_t *props = json_object();
    json_object_set_new(props, "id", json_pack("{s:s, s:b}", "type", "string", "readOnly", 1));
    json_object_set_new(props, k->is_relation ? "type" : "kind",
                        json_pack("{s:s}", "const", k->id));
    json_object_set_new(props, "revision",
                        json_pack("{s:s, s:b}", "type", "integer", "readOnly", 1));
    json_object_set_new(props, "created_at",
                        json_pack("{s:s, s:s, s:b}", "type", "string", "format", "date-time",
                                  "readOnly", 1));
    json_object_set_new(props, "updated_at",
                        json_pack("{s:s, s:s, s:b}", "type", "string", "format", "date-time",
                                  "readOnly", 1));
    if (k->owned)
        json_object_set_new(props, "owner", json_pack("{s:s}", "type", "string"));
    if (k->named)
        json_object_set_new(props, "name", ref("I18n"));
    json_t *required = json_array();
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        json_object_set_new(props, f->name,
                            k->is_relation && i < 2 ? field_schema(f)
                                                    : nullable(field_schema(f)));
        if (f->required && !f->readonly)
            json_array_append_new(required, json_string(f->name));
    }
    if (k->named)
        json_array_append_new(required, json_string("name"));
    return json_pack("{s:s, s:o, s:o, s:o}", "type", "object", "title", label_of(k->label),
                     "properties", props, "x-required-on-create", required);
}

static bool has_workflow(const struct model *m, const struct model_collection *c)
{
    for (size_t i = 0; i < c->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, c->kinds[i]);
        if (k && k->workflow)
            return true;
    }
    return false;
}

/* The collection's record: its kind's, or one of its kinds' by "kind". */
static json_t *collection_schema(const struct model *m, const struct model_collection *c)
{
    if (c->n_kinds == 1)
        return ref(c->kinds[0]);
    bool rel = c->n_kinds && model_kind(m, c->kinds[0])->is_relation;
    json_t *one = json_array(), *map = json_object();
    for (size_t i = 0; i < c->n_kinds; i++) {
        json_array_append_new(one, ref(c->kinds[i]));
        char *p = NULL;
        if (asprintf(&p, "#/components/schemas/%s", c->kinds[i]) < 0)
            fatal("out of memory");
        json_object_set_new(map, c->kinds[i], json_string(p));
        free(p);
    }
    return json_pack("{s:o, s:{s:s, s:o}}", "oneOf", one, "discriminator", "propertyName",
                     rel ? "type" : "kind", "mapping", map);
}

static json_t *components(const struct model *m)
{
    json_t *schemas = json_object();
    json_object_set_new(
        schemas, "I18n",
        json_pack("{s:s, s:s, s:{s:o, s:o, s:o}}", "type", "object", "title",
                  "A text in Kazakh, Russian and English", "properties", "kk",
                  json_pack("{s:[s,s]}", "type", "string", "null"), "ru",
                  json_pack("{s:[s,s]}", "type", "string", "null"), "en",
                  json_pack("{s:[s,s]}", "type", "string", "null")));
    json_object_set_new(
        schemas, "Problem",
        json_pack("{s:s, s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, "
                  "s:{s:s, s:{s:s}}}}",
                  "type", "object", "title", "A problem (RFC 9457)", "required", "type", "title",
                  "status", "properties", "type", "type", "string", "title", "type", "string",
                  "status", "type", "integer", "detail", "type", "string", "field", "type",
                  "string", "errors", "type", "array", "items", "type", "object"));
    json_object_set_new(
        schemas, "Decision",
        json_pack("{s:s, s:[s], s:{s:{s:[s,s]}, s:{s:s, s:{s:s, s:[s], s:{s:{s:s}, "
                  "s:{s:s}}}}}}",
                  "type", "object", "required", "decision", "properties", "decision", "enum",
                  "accept", "return", "remarks", "type", "array", "items", "type", "object",
                  "required", "text", "properties", "field", "type", "string", "text", "type",
                  "string"));
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *k = model_kind_at(m, i);
        json_object_set_new(schemas, k->id, kind_schema(k));
    }
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        char name[160];
        snprintf(name, sizeof name, "%s.record", c->id);
        json_object_set_new(schemas, name, collection_schema(m, c));
        snprintf(name, sizeof name, "%s.list", c->id);
        char rec[160];
        snprintf(rec, sizeof rec, "%s.record", c->id);
        json_object_set_new(
            schemas, name,
            json_pack("{s:s, s:[s], s:{s:{s:s, s:o}, s:{s:s}, s:{s:[s,s]}}}", "type", "object",
                      "required", "items", "properties", "items", "type", "array", "items",
                      ref(rec), "total", "type", "integer", "next_cursor", "type", "string",
                      "null"));
    }
    return json_pack("{s:o, s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}}", "schemas", schemas,
                     "securitySchemes", "token", "type", "http", "scheme", "bearer", "session",
                     "type", "apiKey", "in", "cookie", "name", API_SESSION_COOKIE);
}

/* ---- operations ------------------------------------------------------------------------- */

static json_t *content(const char *type, json_t *schema)
{
    return json_pack("{s:{s:o}}", type, "schema", schema);
}

static json_t *answer_of(const struct op *o, const char *coll)
{
    char name[160];
    switch (o->answer) {
    case A_RECORD:
        snprintf(name, sizeof name, "%s.record", coll);
        return content("application/json", ref(name));
    case A_LIST:
        snprintf(name, sizeof name, "%s.list", coll);
        return content("application/json", ref(name));
    case A_XML: {
        json_t *c = content("application/xml", json_pack("{s:s}", "type", "string"));
        json_object_update(c, content("application/zip", json_pack("{s:s, s:s}", "type", "string",
                                                                   "format", "binary")));
        return c;
    }
    case A_XLSX:
        return content("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       json_pack("{s:s, s:s}", "type", "string", "format", "binary"));
    case A_BYTES: /* as the document was uploaded: PDF, DOCX, … */
        return content("*/*",
                       json_pack("{s:s, s:s}", "type", "string", "format", "binary"));
    case A_TEXT: return content("text/plain", json_pack("{s:s}", "type", "string"));
    case A_ARRAY: return content("application/json", json_pack("{s:s}", "type", "array"));
    case A_NONE: return NULL;
    default: return content("application/json", json_pack("{s:s}", "type", "object"));
    }
}

static json_t *body_of(const struct op *o, const char *coll)
{
    char name[160];
    json_t *file = json_pack("{s:s, s:s}", "type", "string", "format", "binary");
    json_t *multipart =
        o->body == B_FILE
            ? json_pack("{s:s, s:[s,s], s:{s:O, s:{s:s}}}", "type", "object", "required", "type",
                        "file", "properties", "file", file, "type", "type", "string")
            : json_pack("{s:s, s:{s:O}}", "type", "object", "properties", "file", file);
    json_t *c = NULL;
    switch (o->body) {
    case B_RECORD:
        snprintf(name, sizeof name, "%s.record", coll);
        c = content("application/json", ref(name));
        break;
    case B_PATCH:
        c = content("application/merge-patch+json", json_pack("{s:s}", "type", "object"));
        json_object_update(c, content("application/json", json_pack("{s:s}", "type", "object")));
        break;
    case B_JSON: c = content("application/json", json_pack("{s:s}", "type", "object")); break;
    case B_DECISION: c = content("application/json", ref("Decision")); break;
    case B_FILE:
    case B_SHEET:
    case B_ARCHIMATE:
        c = content("multipart/form-data", json_incref(multipart));
        if (o->body != B_FILE) /* the file alone as the body, with its type */
            json_object_update(c, content(o->body == B_ARCHIMATE ? "application/xml" : "text/csv",
                                          json_incref(file)));
        if (o->body != B_FILE)
            json_object_update(c, content(o->body == B_ARCHIMATE
                                              ? "application/zip"
                                              : "application/vnd.openxmlformats-officedocument."
                                                "spreadsheetml.sheet",
                                          json_incref(file)));
        break;
    default: break;
    }
    json_decref(file);
    json_decref(multipart);
    return c ? json_pack("{s:b, s:o}", "required", o->body != B_JSON, "content", c) : NULL;
}

/* The path's parameters, the query's (extra: the list to use instead of
 * the table's), and If-Match where a change needs it. */
static json_t *parameters(const struct op *o, const char *pattern, const char *extra)
{
    json_t *ps = json_array();
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
        json_array_append_new(ps, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", name, "in",
                                            "path", "required", 1, "schema", "type", "string"));
    }
    char *q = strdup(extra && *extra ? extra : o->query);
    for (char *save = NULL, *t = strtok_r(q, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool required = *t == '!'; /* "!name": a parameter the operation needs */
        json_t *p = json_pack("{s:s, s:s, s:{s:s}}", "name", t + required, "in", "query",
                              "schema", "type", "string");
        if (required)
            json_object_set_new(p, "required", json_true());
        json_array_append_new(ps, p);
    }
    free(q);
    if (strcmp(o->method, "PATCH") == 0 || strcmp(o->method, "DELETE") == 0 ||
        strstr(pattern, "/submit") || strstr(pattern, "/verify"))
        json_array_append_new(ps, json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", "If-Match", "in",
                                            "header", "description",
                                            "The record's revision, as its ETag gives it",
                                            "schema", "type", "string"));
    return ps;
}

static json_t *operation(const struct op *o, const char *path, const char *coll,
                         const struct i18n *coll_label, const char *query)
{
    json_t *resps = json_object();
    char status[8];
    snprintf(status, sizeof status, "%d", o->status);
    json_t *ok = json_pack("{s:s}", "description", "Done");
    json_t *c = answer_of(o, coll);
    if (c)
        json_object_set_new(ok, "content", c);
    json_object_set_new(resps, status, ok);
    json_object_set_new(resps, "default",
                        json_pack("{s:s, s:o}", "description", "A problem (problem+json)",
                                  "content", content("application/problem+json", ref("Problem"))));
    char opid[300];
    snprintf(opid, sizeof opid, "%s %s", o->method, path);
    json_t *op = json_pack("{s:s, s:s, s:[s], s:o, s:o}", "summary", o->summary, "operationId",
                           opid, "tags", o->tag ? o->tag : coll, "parameters",
                           parameters(o, path, query), "responses", resps);
    json_t *b = body_of(o, coll);
    if (b)
        json_object_set_new(op, "requestBody", b);
    if (o->public_)
        json_object_set_new(op, "security", json_pack("[{}, {s:[]}, {s:[]}]", "token", "session"));
    if (coll_label)
        json_object_set_new(op, "x-collection", json_string(coll));
    json_object_set_new(op, "x-route", json_string(o->pattern));
    return op;
}

/* ---- the document ----------------------------------------------------------------------- */

struct gen {
    const struct model *m;
    json_t *paths;
    json_t *missing; /* routes without a description */
};

static void put(struct gen *g, const char *path, const char *method, json_t *op)
{
    json_t *item = json_object_get(g->paths, path);
    if (!item)
        json_object_set_new(g->paths, path, item = json_object());
    char lower[8];
    size_t i = 0;
    for (; method[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ? method[i] + 32 : method[i]);
    lower[i] = '\0';
    json_object_set_new(item, lower, op);
}

/* Does the route apply to the collection (its steps to kinds with a
 * workflow, the versions' routes to kinds that freeze, …)? */
static bool applies(const struct model *m, const struct model_collection *c, const char *pattern)
{
    if (strstr(pattern, "/submit") || strstr(pattern, "/verify") || strstr(pattern, "/workflow"))
        return has_workflow(m, c);
    if (strstr(pattern, "/map"))
        return c->map != NULL;
    if (strstr(pattern, "/matrix/"))
        return c->n_matrices > 0;
    return true;
}

static void each_route(void *ctx, const char *method, const char *pattern)
{
    struct gen *g = ctx;
    if (strncmp(pattern, "/api/", 5) != 0)
        return;
    const struct op *o = op_of(method, pattern);
    if (!o) {
        json_array_append_new(g->missing, json_sprintf("%s %s", method, pattern));
        return;
    }
    if (strncmp(pattern, COLL, strlen(COLL)) != 0) {
        put(g, pattern, method, operation(o, pattern, NULL, NULL, NULL));
        return;
    }
    for (size_t i = 0; i < model_n_collections(g->m); i++) {
        const struct model_collection *c = model_collection_at(g->m, i);
        if (!applies(g->m, c, pattern))
            continue;
        char path[300];
        snprintf(path, sizeof path, "/api/v1/%s%s", c->id, pattern + strlen(COLL));
        /* a map's and the matrices' filters are the model's fields */
        char query[512] = "";
        if (strstr(pattern, "/map") && c->map)
            snprintf(query, sizeof query, "%s,%s", "measure,at,view", c->map->filter);
        for (size_t x = 0; strstr(pattern, "/matrix/") && x < c->n_matrices; x++)
            if (c->matrices[x].filter && !strstr(query, c->matrices[x].filter))
                snprintf(query + strlen(query), sizeof query - strlen(query), "%s%s",
                         *query ? "," : "", c->matrices[x].filter);
        put(g, path, method, operation(o, path, c->id, &c->label, query));
    }
}

static json_t *build(const struct api *api, struct err *e)
{
    struct gen g = {.m = api->model, .paths = json_object(), .missing = json_array()};
    router_each(api->router, each_route, &g);
    if (json_array_size(g.missing)) {
        char *list = json_dumps(g.missing, JSON_COMPACT);
        err_internal(e, "routes without a description: %s", list ? list : "");
        free(list);
        json_decref(g.paths);
        json_decref(g.missing);
        return NULL;
    }
    json_decref(g.missing);
    json_t *tags = json_array();
    for (size_t i = 0; i < model_n_collections(api->model); i++) {
        const struct model_collection *c = model_collection_at(api->model, i);
        json_array_append_new(tags, json_pack("{s:s, s:o}", "name", c->id, "description",
                                              label_of(c->label)));
    }
    return json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:o, s:[{s:[]}, {s:[]}], s:o}", "openapi",
        "3.1.0", "jsonSchemaDialect", "https://spec.openapis.org/oas/3.1/dialect/base", "info",
        "title", "archportal: the e-government architectural portal", "version", "1",
        "description",
        "The registry of informatization objects, the e-government architecture and the "
        "monitoring of ICT projects (Kazakhstan's Orders 193/НҚ, 611/НҚ and 129). Records are "
        "JSON; changes take If-Match with the record's revision; every problem is "
        "application/problem+json in the language Accept-Language asks for.",
        "servers", "url", "/", "paths", g.paths, "components", components(api->model), "security",
        "token", "session", "tags", tags);
}

static pthread_mutex_t once_lock = PTHREAD_MUTEX_INITIALIZER;

const char *api_openapi_text(struct api *api, size_t *len, struct err *e)
{
    pthread_mutex_lock(&once_lock);
    if (!api->openapi_json) {
        json_t *doc = build(api, e);
        if (doc) {
            api->openapi_json = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
            api->openapi_len = api->openapi_json ? strlen(api->openapi_json) : 0;
            json_decref(doc);
        }
    }
    pthread_mutex_unlock(&once_lock);
    *len = api->openapi_len;
    return api->openapi_json;
}

json_t *api_openapi(struct api *api, struct err *e)
{
    size_t len;
    const char *text = api_openapi_text(api, &len, e);
    return text ? json_loadb(text, len, 0, NULL) : NULL;
}

/* GET /api/v1/openapi.json */
static void h_openapi(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {NULL};
    if (only_params(req, resp, allowed) < 0)
        return;
    struct err e = ERR_INIT;
    size_t len;
    const char *text = api_openapi_text(api, &len, &e);
    if (!text) {
        http_resp_problem(resp, &e);
        return;
    }
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    http_resp_static(resp, 200, "application/json", text, len); /* kept for the server's life */
}

void api_openapi_routes(struct api *api, struct router *rt)
{
    api->router = rt;
    router_add(rt, "GET", "/api/v1/openapi.json", h_openapi, api);
}
