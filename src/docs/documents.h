/* documents: the technical documentation of records (REQ DOC-01…DOC-05).
 *
 * An owner places a document of one of the types its kind's document list
 * declares (model: document_lists): the signed copy as PDF/A-1, or a draft
 * as DOCX. The upload streams into the blob store while it arrives; when
 * it is complete the file is inspected in a separate process (format,
 * PDF/A-1 identification, DOCX package sanity and zip-bomb caps), its text
 * is extracted (pdftotext in a limited child for PDFs), and then, in one
 * write transaction, the new version is recorded (who, when, which file,
 * its hash) with an audit entry, and its text replaces the previous
 * version's in the full-text index, so that searches find records by the
 * words of their documents. A refused or cut-off upload leaves nothing.
 *
 * A document may be restricted (a legal ground and a last day): until
 * then, only actors with read-restricted-documents on the record (its
 * owner, the integrator, the authorized body) may download it or find it
 * by its words; the others see that it exists. */
#ifndef AP_DOCUMENTS_H
#define AP_DOCUMENTS_H

#include "auth/actor.h"
#include "docs/inspect.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct registry;
struct calsvc;
struct accounts;
struct model_kind;

struct docs_config {
    const char *dir;       /* the blob store's directory */
    uint64_t max_upload;   /* bytes of a whole upload request (default 100 MiB) */
    const char *self_exe;  /* this program, run to inspect files in isolation */
    const char *pdftotext; /* poppler's pdftotext (default /usr/bin/pdftotext) */
    struct doc_caps caps;
};
void docs_config_defaults(struct docs_config *c);

struct docs;
/* Opens the blob store and registers the documents' dump part. NULL with
 * e filled. */
struct docs *docs_new(struct registry *reg, struct accounts *ac, struct calsvc *cal,
                      const struct docs_config *cfg, struct err *e);
void docs_free(struct docs *d);
uint64_t docs_max_upload(const struct docs *d);

/* ---- upload ---------------------------------------------------------------- */

struct docs_upload;
/* Starts an upload for record id of collection: the record must exist, be
 * visible to the actor, have a document list, and the actor must be
 * allowed to update it (401/403/404/422 otherwise). */
int docs_upload_begin(struct docs *d, const struct actor *a, const char *collection,
                      const char *id, struct docs_upload **out, struct err *e);
/* A piece of a form field (see http_stream_ops.part). Fields: `type` (a
 * document type id), `file` (the document), `restricted_ground` and
 * `restricted_until` (YYYY-MM-DD); anything else is refused (400). */
int docs_upload_part(struct docs_upload *u, const char *name, const char *filename,
                     const char *content_type, const char *data, uint64_t off, size_t n,
                     struct err *e);
/* Checks, inspects and records the document. *out: its JSON (new ref).
 * 422 "document-refused" with e->detail and *problems (new ref, the
 * inspector's findings) when the file is not an acceptable document. */
int docs_upload_finish(struct docs_upload *u, json_t **out, json_t **problems, struct err *e);
/* Frees the upload; what was not recorded is removed. */
void docs_upload_free(struct docs_upload *u);

/* ---- reading ---------------------------------------------------------------- */

/* The record's checklist (REQ DOC-04): its document list's types, each
 * due or not at the record's stage, with its newest signed copy and draft
 * and every version (newest first); a summary of due, present, missing
 * and restricted. */
int docs_checklist(struct docs *d, const struct actor *a, const char *collection,
                   const char *id, json_t **out, struct err *e);
/* One document version's JSON. */
int docs_get(struct docs *d, const struct actor *a, const char *doc_id, json_t **out,
             struct err *e);

struct docs_file {
    int fd;            /* open for reading; the caller closes it */
    uint64_t size;
    char sha256[65];
    char media_type[80];
    char file_name[256];
    bool public;       /* unrestricted document of a published record */
};
/* Opens a document's content for download: 404 when the document or its
 * record is not visible to the actor, 403 "restricted" when it is under
 * restriction and the actor may not read it. */
int docs_open(struct docs *d, const struct actor *a, const char *doc_id, struct docs_file *f,
              struct err *e);

/* The local day by whose rules rec (a stored record of kind k) is judged:
 * the day it was submitted while it awaits a decision, otherwise today
 * (REQ X-POL-01; model_judging_ms). */
int64_t docs_judging_day(struct docs *d, const struct model_kind *k, const json_t *rec);
/* Summary of a record's documents for completeness: how many are due at
 * its stage by the list in force on local day `day` and which of those
 * lack a signed copy (new array of type ids in list order). rec is the
 * stored record. */
int docs_missing(struct docs *d, const json_t *rec, int64_t day, int *due, json_t **missing,
                 struct err *e);

/* ---- completeness (completeness.c) --------------------------------------------- */

/* A record's completeness (REQ REG-12): {record_id, kind, name, stage,
 * status, accounting_code, score (0-100), complete, gaps: {fields,
 * documents, relations}, counts: {fields: {needed, filled}, documents:
 * {due, present}, relations: {required, present}}, expenses: {supported,
 * reasons: [{code, detail}]}}. 422 for kinds without documentation. */
int docs_completeness(struct docs *d, const struct actor *a, const char *collection,
                      const char *id, json_t **out, struct err *e);
/* The score (0-100) alone of rec, a stored record, as docs_completeness
 * gives it; -1 for a kind without documentation (for the map's measure,
 * src/arch). */
int docs_record_score(struct docs *d, const json_t *rec, int *score, struct err *e);
/* The same for every object of an organisation the actor may see:
 * {organization, items: [...], summary: {objects, complete, score,
 * expenses_supported, documents_missing}}. */
int docs_org_completeness(struct docs *d, const struct actor *a, const char *org, json_t **out,
                          struct err *e);

const struct model *docs_model(const struct docs *d);
struct registry *docs_registry(const struct docs *d);
struct accounts *docs_accounts(const struct docs *d);

/* ---- inclusion in the operator's list (inclusion.c, REQ REG-13) ----------------- */

/* The owner (submit right) asks for its registered product's inclusion:
 * body {"protocol": <id of the signed protocol document>, "note"?}. 409
 * when unregistered, included already, or a request is pending. *out: the
 * request {id, record_id, protocol, note, requested_at, requested_by,
 * status, decided_at, decided_by, reason}. */
int docs_inclusion_request(struct docs *d, const struct actor *a, const char *collection,
                           const char *id, const json_t *body, json_t **out, struct err *e);
/* The authorized body (decide-inclusion) decides: {"decision": "accept"}
 * or {"decision": "refuse", "reason": "..."}; acceptance sets the
 * product's inclusion field; the owner's editors are told. */
int docs_inclusion_decide(struct docs *d, const struct actor *a, const char *request_id,
                          const json_t *body, json_t **out, struct err *e);
/* Requests the actor may see (its own organisation's, or all for those
 * who decide), oldest first; status filters (pending|accepted|refused). */
int docs_inclusion_list(struct docs *d, const struct actor *a, const char *status, json_t **out,
                        struct err *e);
int docs_inclusion_get(struct docs *d, const struct actor *a, const char *request_id,
                       json_t **out, struct err *e);

/* What rec lacks: its empty needed fields, the documents due at its stage
 * without a signed copy, the relations the model requires that it has
 * none of; in the shape of workflow_gaps_fn (ctx: the docs). The one
 * computation behind submission and the card's "what is missing". */
int docs_gaps(void *ctx, const json_t *rec, json_t **gaps, struct err *e);

/* Indexes the text of documents whose restriction has ended since they
 * were placed. 0, or -1 with e filled. */
int docs_reindex_expired(struct docs *d, struct err *e);

#endif
