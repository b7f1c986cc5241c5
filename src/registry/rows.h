/* rows: the import of a spreadsheet's rows into records of a kind (issue
 * 16 item 2: the register of trusted software from the keeper's CSV or
 * XLSX; issue 18: every collection's round trip), as the kind's "import"
 * declares it in the model (model_import): the file's first row names the
 * columns by their headers, each further row is one record, found by the
 * key column among the kind's live records.
 *
 * Each row is created (no record has its key), changed (the fields whose
 * value it changes are listed), unchanged, or refused (its line and every
 * reason: an empty key, a key twice in the file, a value a field cannot
 * take — a bad date, an unknown enum value… — or what the registry
 * refuses of the record, rights included). Every row goes through the
 * registry's own create and patch in one write: a dry run, or a real run
 * with a refused row, rolls it back whole (nothing is written), a real
 * run without one commits it whole, each record audited as written by the
 * importer. */
#ifndef AP_REGISTRY_ROWS_H
#define AP_REGISTRY_ROWS_H

#include "registry/registry.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The most bytes an imported file may have. */
#define ROWS_MAX_FILE (16u << 20)

/* Imports data[0..n) (CSV or XLSX, docs/sheet.h) into records of kind.
 * *report (new reference, also when a real run is refused):
 *   {kind, collection, format, dry_run, written (bool),
 *    counts: {rows, created, changed, unchanged, refused},
 *    columns: [{header, target}], ignored: [headers no column takes],
 *    rows: [{line, key, result: "created"|"changed"|"unchanged"|"refused",
 *            id?, fields? (changed: the fields it changed),
 *            errors? (refused: [{field, type, detail, msgid, args, …}] as
 *            err_collect notes them, to be said in the reader's language)}]}
 * Returns 0 when the run did what it was asked (a dry run: always once
 * the file is read); -1 with e filled otherwise: 404 an unknown kind, 400
 * "no-import" a kind without an import, 403 when a may not create and
 * update records of the kind, 413 a file over ROWS_MAX_FILE, 415 neither
 * CSV nor XLSX, 400 "bad-file" a damaged one, 400 "no-columns" a first
 * row that names none of the kind's columns or not its key, 422
 * "import-refused" a real run with refused rows (*report says which). */
int registry_rows_import(struct registry *r, const struct actor *a, const char *kind,
                         const char *data, size_t n, bool dry_run, json_t **report, struct err *e);

/* The kind the actor may import into: 404 unknown, 400 "no-import", 403
 * without create and update on it (checked again by the import). */
const struct model_kind *registry_rows_kind(struct registry *r, const struct actor *a,
                                            const char *kind, struct err *e);

/* The words of the workbooks, in the reader's language (the caller's). */
struct rows_words {
    const char *columns_sheet, *column, *values; /* the template's second sheet */
    const char *yes, *no;                        /* a yes/no cell */
    const char *id_hint;  /* the ID column: empty for a new record */
    const char *ref_hint; /* a column naming a record: its ID */
    const char *result, *reason;                 /* the result file's columns */
    const char *created, *changed, *unchanged, *refused;
};

/* An XLSX workbook at path to fill in for kind k's import: a header row
 * of its columns in lang (kk, ru or en), then a row per live record the
 * actor may read as it would import again (an edit and a re-import changes
 * what was edited); a second sheet lists the columns and the values each
 * takes. */
int registry_rows_template(struct registry *r, const struct actor *a, const struct model_kind *k,
                           const char *lang, const struct rows_words *w, const char *path,
                           struct err *e);

/* The file of an import (data[0..n), as registry_rows_import read it) as
 * an XLSX workbook at path with two more columns: each row's result and
 * its reasons (a refused row's problems, a changed row's fields, a new
 * record's id), from report (its errors said in the reader's language). */
int registry_rows_result(const char *data, size_t n, const json_t *report,
                         const struct rows_words *w, const char *path, struct err *e);

struct model_field;
struct arena;
/* The value of a non-empty cell s for field f (a list: its items between
 * ";" or line breaks): a new reference, or NULL with one filled (a bad
 * number, date, yes/no or enum value; path names the field). */
json_t *registry_cell_value(struct arena *ar, const struct model_field *f, const char *s,
                            const char *path, struct err *one);

#endif
