/* dump: the whole repository as JSON Lines (export, import) and the
 * consistency check behind `archportal check`, plus loading the demo data.
 *
 * Export format, one JSON object per line:
 *   {"format":"archportal-export","version":1}
 *   {"record":{"id","collection","kind","revisions":[{"revision","at","actor","action","data"}]}}
 *   {"token":{"id","name","hash","role","created_at","last_used_at","revoked_at"}}
 *   {"audit":{"seq","at","actor","action","collection","record_id","revision","before","after","prev_hash","hash"}}
 * Records in creation order, then tokens, then the audit trail in order.
 * Export → import → export gives identical bytes. */
#ifndef AP_DUMP_H
#define AP_DUMP_H

#include "registry.h"

#include <stdio.h>

int dump_export(struct registry *r, FILE *out, struct err *e);
/* Imports into an empty repository, all in one transaction: on any error
 * nothing is kept and e names the line. */
int dump_import(struct registry *r, FILE *in, struct err *e);
/* Checks storage integrity, the audit chain, revisions, references and
 * indexes. Returns the number of problems; *report lists them (malloc'd). */
int dump_check(struct registry *r, char **report);

/* Loads a demo dataset ({"organizations":[…],"objects":[…],"relations":[…]})
 * through the normal write path, if the repository is empty. Returns the
 * number of records created, or -1. */
int demo_load(struct registry *r, const char *json, size_t len, struct err *e);
/* True when the repository holds no records. */
int registry_is_empty(struct registry *r, struct err *e);

#endif
