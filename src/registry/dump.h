/* dump: the whole repository as JSON Lines (export, import) and the
 * consistency check behind `archportal check`, plus loading the demo data.
 *
 * Export format, one JSON object per line:
 *   {"format":"archportal-export","version":2}
 *   {"record":{"id","collection","kind","revisions":[{"revision","at","actor","action","data"}]}}
 *   {"<entity>":{"<column>":value,…}}   one per row of each part's tables
 *   {"audit":{"seq","at","actor","action","collection","record_id","revision","before","after","prev_hash","hash"}}
 * Records in creation order, then the parts' tables in their declared
 * order, then the audit trail in order. Version 1 files (before accounts;
 * their only other lines are tokens) still import.
 * Export → import → export gives identical bytes.
 *
 * Other modules keep their own tables in the same database (accounts,
 * applications, obligations, calendar years). Each declares them as a
 * dump part: which tables, which columns of which type, and a check of
 * what the columns' types cannot say (references, known values). Export,
 * import and check then carry them with the records, and an import runs
 * every part's check before it commits. */
#ifndef AP_DUMP_H
#define AP_DUMP_H

#include "registry.h"

#include <stdio.h>

/* Column types: 's' text, 'i' integer, 't' RFC 3339 timestamp (text),
 * 'j' JSON object or array (stored as text, exported as JSON). */
struct dump_col {
    const char *name;
    char type;
    bool required;
};
struct dump_table {
    const char *entity; /* the key of its export lines */
    const char *table;
    const char *order; /* ORDER BY of the export */
    const struct dump_col *cols; /* the first column names a row in reports */
    size_t ncols;
};
/* Problems found by a check, collected for the report. */
struct dump_report;
void dump_problem(struct dump_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct dump_part {
    const struct dump_table *tables; /* exported and imported in this order */
    size_t ntables;
    /* SQL queries that each give (what, which, what is wrong) per bad row */
    const char *const *rules;
    size_t nrules;
    void *ctx;
    /* Reports what the stored rows break beyond their columns' types and
     * the rules (NULL: nothing more). */
    void (*check)(void *ctx, struct store_conn *c, struct dump_report *rep);
};
/* Adds a part to what export, import and check carry (at most 8; the
 * part must stay valid while they run). */
void dump_add_part(struct registry *r, const struct dump_part *p);

int dump_export(struct registry *r, FILE *out, struct err *e);
/* Imports into an empty repository, all in one transaction: on any error
 * nothing is kept and e names the line. */
int dump_import(struct registry *r, FILE *in, struct err *e);
/* Checks storage integrity, the audit chain, revisions, references and
 * indexes, and every part's tables. Returns the number of problems; *report lists them (malloc'd). */
int dump_check(struct registry *r, char **report);

/* Loads a demo dataset ({"organizations":[…],"objects":[…],"relations":[…]})
 * through the normal write path, if the repository is empty. Returns the
 * number of records created, or -1. */
int demo_load(struct registry *r, const char *json, size_t len, struct err *e);
/* True when the repository holds no records, audit entries or part rows. */
int registry_is_empty(struct registry *r, struct err *e);

#endif
