/* documents: technical documentation of records (see documents.h). */
#include "docs/documents.h"

#include "account/account.h"
#include "auth/authz.h"
#include "calendar/calsvc.h"
#include "docs/blobs.h"
#include "registry/dump.h"
#include "registry/registry.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define FIELD_MAX 1000      /* bytes of a plain form field */
#define TYPE_MAX 64
#define NAME_MAX_BYTES 200  /* of a stored file name */

#define MEDIA_PDF "application/pdf"
#define MEDIA_DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

struct docs {
    struct registry *reg;
    struct accounts *ac;
    const struct model *model;
    const struct rights *rights;
    struct calsvc *cal;
    struct blobs *blobs;
    struct docs_config cfg;
    char *self_exe, *pdftotext;
    struct dump_part part;
};

void docs_config_defaults(struct docs_config *c)
{
    *c = (struct docs_config){
        .dir = "./var/blobs",
        .max_upload = 100u * 1024 * 1024,
        .self_exe = "/proc/self/exe",
        .pdftotext = "/usr/bin/pdftotext",
    };
    doc_caps_defaults(&c->caps);
}

uint64_t docs_max_upload(const struct docs *d)
{
    return d->cfg.max_upload;
}

const struct model *docs_model(const struct docs *d)
{
    return d->model;
}

struct registry *docs_registry(const struct docs *d)
{
    return d->reg;
}

struct accounts *docs_accounts(const struct docs *d)
{
    return d->ac;
}

/* Today's local date (the calendar's time zone) as YYYY-MM-DD. */
static void today(struct docs *d, char out[11])
{
    calsvc_local_date(d->cal, time_now_ms(), out);
}

static const char *text_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* ---- who may do what ------------------------------------------------------------- */

struct target {
    json_t *rec; /* the stored record */
    const struct model_kind *kind;
    char org[64];
};

static void target_free(struct target *t)
{
    json_decref(t->rec);
    t->rec = NULL;
}

/* The record, if the actor may see it, with its kind and organisation. */
static int target_load(struct docs *d, const struct actor *a, const char *collection,
                       const char *id, struct target *t, struct err *e)
{
    memset(t, 0, sizeof *t);
    if (registry_get_visible(d->reg, a, collection, id, &t->rec, e) < 0)
        return -1;
    t->kind = model_kind(d->model, text_of(t->rec, "kind"));
    if (!t->kind || !t->kind->documents) {
        err_set(e, 422, "no-documents", "", "records of kind '%s' have no technical documentation",
                text_of(t->rec, "kind") ? text_of(t->rec, "kind") : "?");
        target_free(t);
        return -1;
    }
    if (registry_record_org(d->reg, store_conn(registry_store(d->reg)), t->rec, t->org,
                            sizeof t->org, e) < 0) {
        target_free(t);
        return -1;
    }
    return 0;
}

/* Placing documents is changing the record: the update right, and not
 * while it is locked under verification. */
static int may_place(struct docs *d, const struct actor *a, const struct target *t,
                     struct err *e)
{
    if (authz_check(d->rights, a, RA_UPDATE, t->kind->id, t->org, e) < 0)
        return -1;
    const struct model_workflow *w = t->kind->workflow;
    const struct model_wf_state *s = w ? model_wf_state(w, text_of(t->rec, w->status_field)) : NULL;
    if (s && s->locked) {
        err_set(e, 409, "locked", "", "the record is %s: documents can be placed again once it "
                "is verified or returned", s->label.en);
        return -1;
    }
    return 0;
}

static bool may_read_restricted(struct docs *d, const struct actor *a, const struct target *t)
{
    return authz_may(d->rights, a, RA_READ_RESTRICTED_DOCS, t->kind->id, t->org);
}

/* Who placed a document, as the reader sees it: an organisation rather
 * than a person to those who may not read the record unpublished. */
static void show_uploader(struct docs *d, bool public, json_t *doc)
{
    if (!public)
        return;
    char who[160];
    registry_public_actor(d->reg, text_of(doc, "uploaded_by"), who, sizeof who);
    json_object_set_new(doc, "uploaded_by", json_string(who));
}

/* ---- rows as JSON ------------------------------------------------------------------ */

#define DOC_COLS                                                                               \
    "id, record_id, doc_type, version, variant, sha256, size, file_name, media_type, pages, " \
    "pdfa, restricted_ground, restricted_until, uploaded_at, uploaded_by"

/* What of a document only those who may read it under restriction see:
 * its file (the rest says that it exists). */
static void hide_file(json_t *doc)
{
    static const char *const hidden[] = {"file_name", "media_type", "size", "sha256",
                                         "pages",     "pdfa",       "content_url"};
    for (size_t i = 0; i < N(hidden); i++)
        json_object_del(doc, hidden[i]);
}

/* A document row (DOC_COLS) as JSON; its file hidden while a restriction
 * is active and the reader may not read it (may_restricted false). */
static json_t *doc_json(struct store_stmt *st, const char *today_s, bool may_restricted)
{
    const char *until = store_col_text(st, 12);
    bool active = until && strcmp(until, today_s) >= 0;
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", store_col_text(st, 0), "record_id",
                          store_col_text(st, 1), "type", store_col_text(st, 2), "version",
                          (json_int_t)store_col_int64(st, 3), "variant", store_col_text(st, 4));
    json_object_set_new(o, "file_name", json_string(store_col_text(st, 7)));
    json_object_set_new(o, "media_type", json_string(store_col_text(st, 8)));
    json_object_set_new(o, "size", json_integer(store_col_int64(st, 6)));
    json_object_set_new(o, "sha256", json_string(store_col_text(st, 5)));
    if (!store_col_null(st, 9))
        json_object_set_new(o, "pages", json_integer(store_col_int64(st, 9)));
    if (!store_col_null(st, 10))
        json_object_set_new(o, "pdfa", json_string(store_col_text(st, 10)));
    json_object_set_new(o, "content_url",
                        json_sprintf("/api/v1/documents/%s/content", store_col_text(st, 0)));
    json_object_set_new(o, "restricted",
                        until ? json_pack("{s:s, s:s, s:b}", "ground", store_col_text(st, 11),
                                          "until", until, "active", active)
                              : json_null());
    json_object_set_new(o, "uploaded_at", json_string(store_col_text(st, 13)));
    json_object_set_new(o, "uploaded_by", json_string(store_col_text(st, 14)));
    if (active && !may_restricted)
        hide_file(o);
    return o;
}

/* ---- upload ---------------------------------------------------------------------- */

struct docs_upload {
    struct docs *d;
    struct actor actor;
    char *collection, *id;
    const struct model_kind *kind; /* the record's (checked again when recording) */
    struct blob_writer *blob;
    bool file_seen;
    char file_name[NAME_MAX_BYTES + 1];
    struct buf type, ground, until;
    const char *current; /* the plain field being received */
};

int docs_upload_begin(struct docs *d, const struct actor *a, const char *collection,
                      const char *id, struct docs_upload **out, struct err *e)
{
    struct target t;
    if (target_load(d, a, collection, id, &t, e) < 0)
        return -1;
    int rc = may_place(d, a, &t, e);
    const struct model_kind *kind = t.kind;
    target_free(&t);
    if (rc < 0)
        return -1;
    struct docs_upload *u = xcalloc(1, sizeof *u);
    u->d = d;
    u->kind = kind;
    u->actor = *a;
    u->collection = xstrdup(collection);
    u->id = xstrdup(id);
    buf_init(&u->type, TYPE_MAX);
    buf_init(&u->ground, FIELD_MAX);
    buf_init(&u->until, 16);
    *out = u;
    return 0;
}

static struct buf *plain_field(struct docs_upload *u, const char *name)
{
    if (strcmp(name, "type") == 0)
        return &u->type;
    if (strcmp(name, "restricted_ground") == 0)
        return &u->ground;
    if (strcmp(name, "restricted_until") == 0)
        return &u->until;
    return NULL;
}

static int file_part(struct docs_upload *u, const char *filename, const char *data, uint64_t off,
                     size_t n, struct err *e)
{
    if (off == 0 && u->file_seen && blob_writer_size(u->blob) > 0) {
        err_bad_request(e, "file", "send one file per request");
        return -1;
    }
    if (!u->file_seen) {
        u->blob = blob_writer_new(u->d->blobs, e);
        if (!u->blob)
            return -1;
        u->file_seen = true;
        text_safe_filename(filename, u->file_name, sizeof u->file_name);
    }
    return n ? blob_write(u->blob, data, n, e) : 0;
}

int docs_upload_part(struct docs_upload *u, const char *name, const char *filename,
                     const char *content_type, const char *data, uint64_t off, size_t n,
                     struct err *e)
{
    (void)content_type; /* the content decides what a file is, never its label */
    if (strcmp(name, "file") == 0) {
        if (!filename) {
            err_bad_request(e, "file", "the file must be sent as a file (with a file name)");
            return -1;
        }
        return file_part(u, filename, data, off, n, e);
    }
    struct buf *b = plain_field(u, name);
    if (!b) {
        char safe[80];
        text_safe_filename(name, safe, sizeof safe);
        err_bad_request(e, "", "unknown form field '%s': send type, file, restricted_ground "
                        "and restricted_until", safe);
        return -1;
    }
    if (filename) {
        err_bad_request(e, name, "this field is text, not a file");
        return -1;
    }
    if (off == 0 && b->len > 0 && u->current != name) {
        err_bad_request(e, name, "the field is given twice");
        return -1;
    }
    u->current = name;
    if (buf_append(b, data, n) < 0) {
        err_bad_request(e, name, "the field is too long");
        return -1;
    }
    return 0;
}

/* The form's plain fields, checked. */
struct form {
    const char *type, *ground, *until;
    const struct model_doc_type *dt;
};

static const char *field_text(struct buf *b, const char *field, struct err *e)
{
    if (b->len == 0)
        return "";
    if (buf_putc(b, '\0') < 0 || !utf8_valid(b->p, b->len - 1)) {
        err_bad_request(e, field, "the field is not valid UTF-8 text");
        return NULL;
    }
    b->len--;
    return b->p;
}

static int form_check(struct docs_upload *u, const char *today_s, struct form *f,
                      struct err *e)
{
    if (!(f->type = field_text(&u->type, "type", e)) ||
        !(f->ground = field_text(&u->ground, "restricted_ground", e)) ||
        !(f->until = field_text(&u->until, "restricted_until", e)))
        return -1;
    if (!u->file_seen) {
        err_set(e, 422, "validation-failed", "file", "the document file is missing");
        return -1;
    }
    if (blob_writer_size(u->blob) == 0) {
        err_set(e, 422, "validation-failed", "file", "the file is empty");
        return -1;
    }
    if (!*f->type) {
        err_set(e, 422, "validation-failed", "type", "the document type is missing");
        return -1;
    }
    f->dt = model_doc_type(u->kind->documents, f->type);
    if (!f->dt) {
        err_set(e, 422, "validation-failed", "type", "'%.64s' is not a document type of %s",
                f->type, u->kind->documents->id);
        return -1;
    }
    if (f->dt->replaced_by) {
        /* what was placed under it stays; new files go to the types that
         * replaced it */
        err_set(e, 422, "validation-failed", "type",
                "'%.64s' is replaced by '%.64s'%s: place the file under one of those", f->type,
                f->dt->replaced_by[0], f->dt->replaced_by[1] ? " and others" : "");
        return -1;
    }
    bool has_ground = f->ground[strspn(f->ground, " \t\r\n")] != '\0';
    if (has_ground != (*f->until != '\0')) {
        err_set(e, 422, "validation-failed", has_ground ? "restricted_until" : "restricted_ground",
                "a restriction needs both its legal ground and its last day");
        return -1;
    }
    int y, m, day;
    if (*f->until && time_parse_date(f->until, &y, &m, &day) < 0) {
        err_set(e, 422, "validation-failed", "restricted_until", "not a date (YYYY-MM-DD)");
        return -1;
    }
    if (*f->until && strcmp(f->until, today_s) < 0) {
        err_set(e, 422, "validation-failed", "restricted_until", "the restriction's last day "
                "has passed");
        return -1;
    }
    return 0;
}

/* Text fit for the index: valid UTF-8, controls as spaces (malloc'd). */
static char *clean_text(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_char_len(s + i, n - i);
        if (!len) {
            i++;
            continue;
        }
        if (len == 1 && (unsigned char)s[i] < 0x20 && s[i] != '\n')
            out[o++] = ' ';
        else
            memcpy(out + o, s + i, len), o += len;
        i += len;
    }
    out[o] = '\0';
    return out;
}

/* What inspection found: the variant, the media type, the text. */
struct verdict {
    const char *variant, *media_type;
    char pdfa[4];
    long pages;
    char *text; /* folded for the index (malloc'd) */
};

static int inspect(struct docs_upload *u, struct verdict *v, json_t **problems, struct err *e)
{
    struct docs *d = u->d;
    const char *path = blob_writer_path(u->blob);
    struct doc_report rep = {0};
    if (doc_inspect_isolated(d->self_exe, path, &d->cfg.caps, &rep, e) < 0) {
        doc_report_free(&rep);
        return -1;
    }
    if (rep.format == DOC_FORMAT_PDF && json_array_size(rep.problems) == 0 && !rep.pdfa1)
        doc_report_problem(&rep, "not-pdfa-1", "the PDF does not declare PDF/A-1");
    if (json_array_size(rep.problems) > 0) {
        const char *first = text_of(json_array_get(rep.problems, 0), "detail");
        err_set(e, 422, "document-refused", "file", "the file is not an acceptable document: %s",
                first ? first : "see problems");
        *problems = json_incref(rep.problems);
        doc_report_free(&rep);
        return -1;
    }
    char *raw = NULL;
    size_t raw_len = 0;
    if (rep.format == DOC_FORMAT_PDF) {
        v->variant = "signed";
        v->media_type = MEDIA_PDF;
        snprintf(v->pdfa, sizeof v->pdfa, "1%c", rep.pdfa_conformance ? rep.pdfa_conformance : 'B');
        v->pages = rep.pages;
        struct err te = ERR_INIT;
        if (doc_pdf_text(d->pdftotext, path, d->cfg.caps.max_text, &raw, &raw_len, &te) < 0)
            log_event(LOG_WARN, "document_text_failed", "record", u->id, "error", te.detail, NULL);
    } else {
        v->variant = "draft";
        v->media_type = MEDIA_DOCX;
        v->pages = -1;
        raw = rep.text;
        raw_len = rep.text_len;
        rep.text = NULL;
    }
    doc_report_free(&rep);
    char *clean = clean_text(raw ? raw : "", raw_len);
    free(raw);
    struct arena *a = arena_new();
    v->text = xstrdup(text_fold(a, clean));
    arena_free(a);
    free(clean);
    return 0;
}

/* With the documents due at its stage all there, and the fields the stage
 * needs filled, the owner has done what a change of stage asked (the
 * workflow's stage policy; the workflow closes it when a field is the last
 * thing filled). */
static int stage_duty_done(struct docs *d, struct store_conn *c, const struct target *t,
                           const char *now, struct err *e)
{
    const struct model_workflow *w = t->kind->workflow;
    json_t *gaps;
    if (!w || !w->stage_policy)
        return 0;
    if (docs_gaps(d, t->rec, &gaps, e) < 0)
        return -1;
    size_t owed = json_array_size(json_object_get(gaps, "fields")) +
                  json_array_size(json_object_get(gaps, "documents"));
    json_decref(gaps);
    if (owed > 0)
        return 0;
    char subject[200];
    obligation_subject(t->kind->collection, text_of(t->rec, "id"), subject, sizeof subject);
    return obligation_close(c, subject, w->stage_policy->id, "documents-placed", now, e);
}

/* Drops from the documents' index the other versions of a record's variant
 * of a type than doc_id. */
static int unindex_others(struct store_conn *c, const char *record, const char *type,
                          const char *variant, const char *doc_id, struct err *e)
{
    struct store_stmt *st = store_prepare(c,
                                          "SELECT n FROM documents WHERE record_id = $1 AND "
                                          "doc_type = $2 AND variant = $3 AND id <> $4",
                                          true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, record);
    store_bind_text(st, 2, type);
    store_bind_text(st, 3, variant);
    store_bind_text(st, 4, doc_id);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        if (store_doc_unindex(c, store_col_int64(st, 0), e) < 0) {
            rc = STORE_ERROR;
            break;
        }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Puts document doc_id of the record whose row id is rid (in collection)
 * into the documents' index with its text. */
static int index_one(struct store_conn *c, const char *doc_id, const char *collection,
                     const char *text, int64_t rid, struct err *e)
{
    struct store_stmt *st = store_prepare(c, "SELECT n FROM documents WHERE id = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, doc_id);
    int rc = store_step(st, e);
    int64_t n = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    if (rc != STORE_ROW) {
        if (rc == STORE_DONE)
            err_internal(e, "document %s was not written", doc_id);
        return -1;
    }
    return store_doc_index(c, n, collection, text, rid, e);
}

/* The new version's row, its text, the index and the audit entry, in the
 * caller's transaction. */
static int record_version(struct docs_upload *u, struct store_conn *c, const struct form *f,
                          const struct verdict *v, const char *doc_id, const char *now,
                          const char *today_s, json_t **out, struct err *e)
{
    struct docs *d = u->d;
    struct target t;
    if (target_load(d, &u->actor, u->collection, u->id, &t, e) < 0)
        return -1;
    int rc = may_place(d, &u->actor, &t, e);
    int64_t rid = 0, version = 1;
    struct store_stmt *st = NULL;
    if (rc == 0) {
        st = store_prepare(c,
                           "SELECT rid, (SELECT coalesce(max(version), 0) + 1 FROM documents "
                           "WHERE record_id = $1 AND doc_type = $2) FROM records WHERE id = $1",
                           true, e);
        rc = st ? 0 : -1;
    }
    if (rc == 0) {
        store_bind_text(st, 1, u->id);
        store_bind_text(st, 2, f->type);
        rc = store_step(st, e) == STORE_ROW ? 0 : -1;
        if (rc == 0) {
            rid = store_col_int64(st, 0);
            version = store_col_int64(st, 1);
        } else if (!e->status) {
            err_not_found(e, "the record is gone");
        }
        store_reset(st);
    }
    char name[NAME_MAX_BYTES + 1];
    if (u->file_name[0])
        snprintf(name, sizeof name, "%s", u->file_name);
    else
        snprintf(name, sizeof name, "%s-%lld.%s", f->type, (long long)version,
                 strcmp(v->variant, "signed") == 0 ? "pdf" : "docx");
    char pages[24] = "";
    if (v->pages >= 0)
        snprintf(pages, sizeof pages, "%ld", v->pages);
    bool restricted = *f->until != '\0';
    if (rc == 0)
        rc = store_execf(
            c,
            "INSERT INTO documents(id, record_id, doc_type, version, variant, sha256, size, "
            "file_name, media_type, pages, pdfa, restricted_ground, restricted_until, "
            "uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "CAST($10 AS INTEGER), $11, $12, $13, $14, $15)",
            e, "tttittitttttttt", doc_id, u->id, f->type, version, v->variant,
            blob_writer_sha256(u->blob), (int64_t)blob_writer_size(u->blob), name, v->media_type,
            v->pages >= 0 ? pages : NULL, strcmp(v->variant, "signed") == 0 ? v->pdfa : NULL,
            restricted ? f->ground : NULL, restricted ? f->until : NULL, now, u->actor.id);
    if (rc == 0)
        rc = store_execf(c, "INSERT INTO document_text(doc_id, body) VALUES ($1, $2)", e, "tt",
                         doc_id, v->text);
    /* the index holds the newest version of each variant, unless restricted */
    if (rc == 0)
        rc = unindex_others(c, u->id, f->type, v->variant, doc_id, e);
    if (rc == 0 && !restricted)
        rc = index_one(c, doc_id, t.kind->collection, v->text, rid, e);
    if (rc == 0) {
        st = store_prepare(c, "SELECT " DOC_COLS " FROM documents WHERE id = $1", true, e);
        rc = st ? 0 : -1;
    }
    if (rc == 0) {
        store_bind_text(st, 1, doc_id);
        rc = store_step(st, e) == STORE_ROW ? 0 : -1;
        if (rc == 0)
            *out = doc_json(st, today_s, true);
        store_reset(st);
    }
    if (rc == 0)
        rc = stage_duty_done(d, c, &t, now, e);
    if (rc == 0) {
        char *after = json_dumps(*out, JSON_COMPACT);
        rc = audit_append(c, now, &u->actor, "document", u->collection, u->id,
                          (int64_t)json_integer_value(json_object_get(t.rec, "revision")), NULL,
                          after, e);
        free(after);
    }
    target_free(&t);
    return rc;
}

int docs_upload_finish(struct docs_upload *u, json_t **out, json_t **problems, struct err *e)
{
    struct docs *d = u->d;
    *out = NULL;
    *problems = NULL;
    char today_s[11];
    today(d, today_s);
    struct form f;
    int rc = form_check(u, today_s, &f, e);
    struct verdict v = {0};
    if (rc == 0)
        rc = inspect(u, &v, problems, e);
    if (rc == 0)
        rc = blob_writer_commit(u->blob, e);
    if (rc == 0) {
        char doc_id[37], now[32];
        text_uuid7(doc_id);
        time_format_rfc3339(time_now_ms(), now, sizeof now);
        struct store_conn *c = registry_write_enter(d->reg, e);
        if (!c) {
            rc = -1;
        } else {
            rc = record_version(u, c, &f, &v, doc_id, now, today_s, out, e);
            rc = registry_write_leave(d->reg, c, rc, e);
        }
        if (rc < 0) {
            json_decref(*out);
            *out = NULL;
        }
    }
    free(v.text);
    return rc;
}

void docs_upload_free(struct docs_upload *u)
{
    if (!u)
        return;
    blob_writer_free(u->blob);
    buf_free(&u->type);
    buf_free(&u->ground);
    buf_free(&u->until);
    free(u->collection);
    free(u->id);
    free(u);
}

/* ---- reading ------------------------------------------------------------------------ */

/* Every version of the record's documents, newest first per type, into
 * by_type (type id → array). */
static int versions_of(struct docs *d, const char *id, const char *today_s, bool may_restricted,
                       bool public, json_t *by_type, struct err *e)
{
    struct store_conn *c = store_conn(registry_store(d->reg));
    struct store_stmt *st = store_prepare(
        c, "SELECT " DOC_COLS " FROM documents WHERE record_id = $1 ORDER BY doc_type, version DESC",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        const char *type = store_col_text(st, 2);
        json_t *arr = json_object_get(by_type, type);
        if (!arr) {
            arr = json_array();
            json_object_set_new(by_type, type, arr);
        }
        json_t *doc = doc_json(st, today_s, may_restricted);
        show_uploader(d, public, doc);
        json_array_append_new(arr, doc);
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

static json_t *newest(const json_t *versions, const char *variant)
{
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v)
    {
        if (strcmp(text_of(v, "variant"), variant) == 0)
            return json_incref(v);
    }
    return json_null();
}

int docs_checklist(struct docs *d, const struct actor *a, const char *collection,
                   const char *id, json_t **out, struct err *e)
{
    struct target t;
    if (target_load(d, a, collection, id, &t, e) < 0)
        return -1;
    char today_s[11];
    today(d, today_s);
    json_t *by_type = json_object();
    if (versions_of(d, id, today_s, may_read_restricted(d, a, &t),
                    !registry_may_read_unpublished(d->reg, a, t.rec), by_type, e) < 0) {
        json_decref(by_type);
        target_free(&t);
        return -1;
    }
    const struct model_doc_list *l = t.kind->documents;
    json_t *items = json_array();
    int n_due = 0, n_present = 0, n_missing = 0, n_restricted = 0;
    /* judged by the list in force when it was submitted, or today */
    int64_t day = docs_judging_day(d, t.kind, t.rec);
    char judged_on[16];
    time_format_date(day, judged_on, sizeof judged_on);
    for (size_t i = 0; i < l->n_types; i++) {
        const struct model_doc_type *dt = &l->types[i];
        json_t *versions = json_object_get(by_type, dt->id);
        /* a replaced type, or one no longer in the list, appears only while
         * it holds documents */
        if ((dt->replaced_by || dt->in_force.until_day <= day) && !versions)
            continue;
        json_t *signed_copy = newest(versions, "signed"), *draft = newest(versions, "draft");
        bool due = model_doc_due(dt, t.rec, day), present = !json_is_null(signed_copy);
        const char *state = present ? "present" : due ? "missing" : "optional";
        n_due += due;
        n_present += due && present;
        n_missing += due && !present;
        const json_t *r = json_object_get(signed_copy, "restricted");
        n_restricted += json_is_true(json_object_get(r, "active"));
        json_t *item =
            json_pack("{s:s, s:i, s:s, s:o, s:b, s:s, s:o, s:o, s:o}", "type", dt->id, "number",
                      dt->number, "item", dt->item, "label",
                      model_label_json(*model_wording_on(&dt->label, dt->earlier, dt->n_earlier, day)),
                      "due",
                      due, "state", state, "signed", signed_copy, "draft", draft, "versions",
                      versions ? json_incref(versions) : json_array());
        if (dt->part)
            json_object_set_new(item, "part", json_integer(dt->part));
        json_t *span = model_span_json(&dt->in_force);
        if (span)
            json_object_set_new(item, "in_force", span);
        if (dt->replaced_by) {
            json_t *by = json_array();
            for (size_t j = 0; dt->replaced_by[j]; j++)
                json_array_append_new(by, json_string(dt->replaced_by[j]));
            json_object_set_new(item, "replaced_by", by);
        }
        json_array_append_new(items, item);
    }
    /* the record's life-cycle stage: its workflow's stage field */
    const struct model_workflow *wf = t.kind->workflow;
    const char *stage = wf && wf->stage_field ? text_of(t.rec, wf->stage_field) : NULL;
    *out = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:o, s:{s:i, s:i, s:i, s:i}}", "record_id", id,
                     "kind", t.kind->id, "stage", stage, "list", l->id, "judged_on", judged_on,
                     "items", items, "summary", "due",
                     n_due, "present", n_present, "missing", n_missing, "restricted", n_restricted);
    json_decref(by_type);
    target_free(&t);
    return 0;
}

/* The document (*doc, new ref, in full) and its record (*t) if the actor
 * may see the record; 404 otherwise. */
static int with_document(struct docs *d, const struct actor *a, const char *doc_id,
                         struct target *t, json_t **doc, struct err *e)
{
    struct store_conn *c = store_conn(registry_store(d->reg));
    struct store_stmt *st = store_prepare(
        c, "SELECT " DOC_COLS ", (SELECT collection FROM records WHERE id = record_id) "
           "FROM documents WHERE id = $1",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, doc_id);
    int rc = store_step(st, e);
    char *record = rc == STORE_ROW ? xstrdup(store_col_text(st, 1)) : NULL;
    char *coll = rc == STORE_ROW && !store_col_null(st, 15) ? xstrdup(store_col_text(st, 15)) : NULL;
    char today_s[11];
    today(d, today_s);
    json_t *full = rc == STORE_ROW ? doc_json(st, today_s, true) : NULL;
    store_reset(st);
    if (rc != STORE_ROW) {
        if (rc == STORE_DONE)
            err_not_found(e, "no such document");
        return -1;
    }
    rc = coll ? target_load(d, a, coll, record, t, e) : -1;
    if (!coll)
        err_not_found(e, "no such document");
    free(record);
    free(coll);
    if (rc < 0) {
        json_decref(full);
        if (e->status == 404 || e->status == 410 || e->status == 422)
            err_not_found(e, "no such document"); /* naming no record */
        return -1;
    }
    *doc = full;
    return 0;
}

static bool restriction_active(const json_t *doc)
{
    return json_is_true(json_object_get(json_object_get(doc, "restricted"), "active"));
}

int docs_get(struct docs *d, const struct actor *a, const char *doc_id, json_t **out,
             struct err *e)
{
    struct target t;
    json_t *doc;
    if (with_document(d, a, doc_id, &t, &doc, e) < 0)
        return -1;
    if (restriction_active(doc) && !may_read_restricted(d, a, &t))
        hide_file(doc);
    show_uploader(d, !registry_may_read_unpublished(d->reg, a, t.rec), doc);
    target_free(&t);
    *out = doc;
    return 0;
}

int docs_open(struct docs *d, const struct actor *a, const char *doc_id, struct docs_file *f,
              struct err *e)
{
    struct target t;
    json_t *doc;
    if (with_document(d, a, doc_id, &t, &doc, e) < 0)
        return -1;
    int rc = 0;
    bool active = restriction_active(doc);
    if (active && !may_read_restricted(d, a, &t)) {
        err_set(e, a->user[0] ? 403 : 401, a->user[0] ? "restricted" : "unauthorized", "",
                "the document is restricted until %s (%s): only its owner, the service "
                "integrator and the authorized body may download it",
                text_of(json_object_get(doc, "restricted"), "until"),
                text_of(json_object_get(doc, "restricted"), "ground"));
        rc = -1;
    }
    if (rc == 0) {
        snprintf(f->sha256, sizeof f->sha256, "%s", text_of(doc, "sha256"));
        snprintf(f->media_type, sizeof f->media_type, "%s", text_of(doc, "media_type"));
        snprintf(f->file_name, sizeof f->file_name, "%s", text_of(doc, "file_name"));
        f->public = !active && model_record_published(t.kind, t.rec);
        rc = blob_open(d->blobs, f->sha256, &f->fd, &f->size, e);
    }
    json_decref(doc);
    target_free(&t);
    return rc;
}

int64_t docs_judging_day(struct docs *d, const struct model_kind *k, const json_t *rec)
{
    return calsvc_local_day(d->cal, model_judging_ms(k, rec, time_now_ms()));
}

int docs_missing(struct docs *d, const json_t *rec, int64_t day, int *due, json_t **missing,
                 struct err *e)
{
    const struct model_kind *k = model_kind(d->model, text_of(rec, "kind"));
    *due = 0;
    *missing = json_array();
    if (!k || !k->documents)
        return 0;
    struct store_conn *c = store_conn(registry_store(d->reg));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < k->documents->n_types; i++) {
        const struct model_doc_type *dt = &k->documents->types[i];
        if (!model_doc_due(dt, rec, day))
            continue;
        (*due)++;
        /* prepared for each use: a statement the cache could not keep is
         * freed by its reset */
        struct store_stmt *st = store_prepare(
            c,
            "SELECT 1 FROM documents WHERE record_id = $1 AND doc_type = $2 AND variant = 'signed' "
            "LIMIT 1",
            true, e);
        if (!st)
            return -1;
        store_bind_text(st, 1, text_of(rec, "id"));
        store_bind_text(st, 2, dt->id);
        int s = store_step(st, e);
        store_reset(st);
        if (s == STORE_ERROR)
            rc = -1;
        else if (s == STORE_DONE)
            json_array_append_new(*missing, json_string(dt->id));
    }
    return rc;
}

/* Puts into the documents' index the newest version of each variant that
 * is not under restriction on today_s and is not indexed yet. */
static int index_missing(struct store_conn *c, const char *today_s, struct err *e)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT d.n, r.collection, t.body, r.rid FROM documents d "
             "JOIN records r ON r.id = d.record_id JOIN document_text t ON t.doc_id = d.id "
             "WHERE (d.restricted_until IS NULL OR d.restricted_until < $1) "
             "AND d.version = (SELECT max(x.version) FROM documents x WHERE "
             "x.record_id = d.record_id AND x.doc_type = d.doc_type AND x.variant = d.variant) "
             "AND NOT EXISTS (SELECT 1 FROM doc_fts f WHERE f.%s = d.n) ORDER BY d.n",
             store_sql(c, STORE_SQL_DOC_ROW));
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, today_s);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        if (store_doc_index(c, store_col_int64(st, 0), store_col_text(st, 1),
                            store_col_text(st, 2), store_col_int64(st, 3), e) < 0) {
            rc = STORE_ERROR;
            break;
        }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

int docs_reindex_expired(struct docs *d, struct err *e)
{
    char today_s[11];
    today(d, today_s);
    struct store_conn *c = registry_write_enter(d->reg, e);
    if (!c)
        return -1;
    int rc = index_missing(c, today_s, e);
    return registry_write_leave(d->reg, c, rc, e);
}

/* ---- export, import, check ---------------------------------------------------------- */

static const struct dump_col document_cols[] = {
    {"id", 's', true},          {"record_id", 's', true},       {"doc_type", 's', true},
    {"version", 'i', true},     {"variant", 's', true},         {"sha256", 's', true},
    {"size", 'i', true},        {"file_name", 's', true},       {"media_type", 's', true},
    {"pages", 'i', false},      {"pdfa", 's', false},           {"restricted_ground", 's', false},
    {"restricted_until", 's', false}, {"uploaded_at", 't', true}, {"uploaded_by", 's', true},
};
static const struct dump_col text_cols[] = {
    {"doc_id", 's', true},
    {"body", 's', true},
};
static const struct dump_col inclusion_cols[] = {
    {"id", 's', true},           {"record_id", 's', true},    {"protocol_doc", 's', true},
    {"note", 's', false},        {"requested_at", 't', true}, {"requested_by", 's', true},
    {"status", 's', true},       {"decided_at", 't', false},  {"decided_by", 's', false},
    {"reason", 's', false},
};
static const struct dump_table tables[] = {
    {"document", "documents", "n", document_cols, N(document_cols)},
    {"document_text", "document_text", "doc_id", text_cols, N(text_cols)},
    {"inclusion_request", "inclusion_requests", "requested_at, id", inclusion_cols,
     N(inclusion_cols)},
};

static const char *const rules[] = {
    "SELECT 'document', id, 'its record ''' || record_id || ''' does not exist' FROM documents "
    "WHERE record_id NOT IN (SELECT id FROM records)",
    "SELECT 'document', id, 'variant is not signed or draft' FROM documents "
    "WHERE variant NOT IN ('signed', 'draft')",
    "SELECT 'document', id, 'sha256 is not 64 lower-case hex digits' FROM documents "
    "WHERE length(sha256) <> 64 OR ap_not_hex(sha256) = 1",
    "SELECT 'document', id, 'version or size below 1' FROM documents WHERE version < 1 OR size < 1",
    "SELECT 'document', id, 'a restriction without its ground or last day' FROM documents "
    "WHERE (restricted_ground IS NULL) <> (restricted_until IS NULL)",
    "SELECT 'document', id, 'restricted_until is not a date' FROM documents "
    "WHERE restricted_until IS NOT NULL AND ap_not_date(restricted_until) = 1",
    "SELECT 'document', id, 'its text is missing' FROM documents "
    "WHERE id NOT IN (SELECT doc_id FROM document_text)",
    "SELECT 'document text', doc_id, 'its document does not exist' FROM document_text "
    "WHERE doc_id NOT IN (SELECT id FROM documents)",
    "SELECT 'inclusion request', id, 'its record ''' || record_id || ''' does not exist' "
    "FROM inclusion_requests WHERE record_id NOT IN (SELECT id FROM records)",
    "SELECT 'inclusion request', id, 'its protocol is not a signed document of its record' "
    "FROM inclusion_requests q WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE "
    "d.id = q.protocol_doc AND d.record_id = q.record_id AND d.variant = 'signed')",
    "SELECT 'inclusion request', id, 'status is not pending, accepted or refused' "
    "FROM inclusion_requests WHERE status NOT IN ('pending', 'accepted', 'refused')",
    "SELECT 'inclusion request', id, 'refused without a reason' FROM inclusion_requests "
    "WHERE status = 'refused' AND reason IS NULL",
    "SELECT 'inclusion request', id, 'decided without a time' FROM inclusion_requests "
    "WHERE status <> 'pending' AND decided_at IS NULL",
};

/* The blobs no document names (`archportal check`): left by an import that
 * failed, or by a database that lost rows. */
struct blob_refs {
    char (*sha)[65];
    size_t n;
    struct dump_report *rep;
};

static int cmp_sha(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int check_blob_referenced(void *ctx, const char *sha)
{
    struct blob_refs *r = ctx;
    if (r->n == 0 || !bsearch(sha, r->sha, r->n, sizeof *r->sha, cmp_sha))
        dump_problem(r->rep, "stored content %s: no document refers to it", sha);
    return 0;
}

static void check_unreferenced_blobs(struct docs *d, struct store_conn *c, struct dump_report *rep)
{
    struct err e = ERR_INIT;
    struct blob_refs r = {NULL, 0, rep};
    size_t cap = 0;
    struct store_stmt *st = store_prepare(
        c, "SELECT DISTINCT sha256 FROM documents ORDER BY sha256", false, &e);
    while (st && store_step(st, &e) == STORE_ROW) {
        if (r.n == cap) {
            cap = cap ? 2 * cap : 64;
            r.sha = xrealloc(r.sha, cap * sizeof *r.sha);
        }
        snprintf(r.sha[r.n++], sizeof *r.sha, "%s", store_col_text(st, 0));
    }
    store_finalize(st);
    if (e.status)
        dump_problem(rep, "documents: cannot list their contents: %s", e.detail);
    else
        blobs_each(blobs_dir(d->blobs), check_blob_referenced, &r);
    free(r.sha);
}

/* Types the model knows for the record's kind; blobs present with their size. */
static void check_documents(void *ctx, struct store_conn *c, struct dump_report *rep)
{
    struct docs *d = ctx;
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(
        c, "SELECT dc.id, r.kind, dc.doc_type, dc.sha256, dc.size FROM documents dc "
           "JOIN records r ON r.id = dc.record_id ORDER BY dc.n",
        false, &e);
    while (st && store_step(st, &e) == STORE_ROW) {
        const char *id = store_col_text(st, 0), *kind = store_col_text(st, 1);
        const struct model_kind *k = model_kind(d->model, kind);
        if (!k || !model_doc_type(k->documents, store_col_text(st, 2)))
            dump_problem(rep, "document %s: '%.64s' is not a document type of kind %s", id,
                         store_col_text(st, 2), kind);
        int fd;
        uint64_t size;
        struct err be = ERR_INIT;
        if (blob_open(d->blobs, store_col_text(st, 3), &fd, &size, &be) < 0) {
            dump_problem(rep, "document %s: its content %s is missing from the store", id,
                         store_col_text(st, 3));
        } else {
            close(fd);
            if ((int64_t)size != store_col_int64(st, 4))
                dump_problem(rep, "document %s: its content has %llu bytes, not %lld", id,
                             (unsigned long long)size, (long long)store_col_int64(st, 4));
        }
    }
    store_finalize(st);
    if (e.status)
        dump_problem(rep, "documents: cannot check: %s", e.detail);
    check_unreferenced_blobs(d, c, rep);
}

static int rebuild_index(void *ctx, struct store_conn *c, struct err *e)
{
    char today_s[11];
    today(ctx, today_s);
    return index_missing(c, today_s, e);
}

/* ---- set-up --------------------------------------------------------------------------- */

struct docs *docs_new(struct registry *reg, struct accounts *ac, struct calsvc *cal,
                      const struct docs_config *cfg, struct err *e)
{
    struct blobs *b = blobs_open(cfg->dir, e);
    if (!b)
        return NULL;
    struct docs *d = xcalloc(1, sizeof *d);
    d->reg = reg;
    d->ac = ac;
    d->model = registry_model(reg);
    d->rights = registry_rights(reg);
    d->cal = cal;
    d->blobs = b;
    d->cfg = *cfg;
    d->self_exe = xstrdup(cfg->self_exe);
    d->pdftotext = xstrdup(cfg->pdftotext);
    d->cfg.self_exe = d->self_exe;
    d->cfg.pdftotext = d->pdftotext;
    d->cfg.dir = NULL;
    d->part = (struct dump_part){tables, N(tables), rules, N(rules), d, check_documents,
                                 rebuild_index};
    dump_add_part(reg, &d->part);
    return d;
}

void docs_free(struct docs *d)
{
    if (!d)
        return;
    blobs_close(d->blobs);
    free(d->self_exe);
    free(d->pdftotext);
    free(d);
}
