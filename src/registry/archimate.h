/* The architecture in The Open Group's ArchiMate Model Exchange File
 * Format 3.1 (issue 18, REQ X-INT-01; registry/archimate.c). */
#ifndef AP_REGISTRY_ARCHIMATE_H
#define AP_REGISTRY_ARCHIMATE_H

#include "registry/registry.h"

#include <stdio.h>

/* Writes to out the records of the model's mapped kinds that a may read
 * as elements, the mapped relations between two of them as relationships,
 * their fields as properties with typed definitions, names and
 * documentation in every language, and the organisations (a folder per
 * layer, a sub-folder per domain, the relationships' folder). With
 * domain: that record (of the section's scope kind) and what its scope
 * view reaches only (404 when a may not read it, 422 when it is not of
 * the kind). With version: what that version of the architecture froze,
 * as it was then (its diagrams from its own domains and relationships);
 * 404 when a may not read it or it froze nothing, 422 with a domain too.
 * 404 when the model maps nothing. */
int registry_archimate_export(struct registry *r, const struct actor *a, const char *domain,
                              const char *version, FILE *out, struct err *e);

/* The same concepts as Archi's three CSV files, each in one language
 * (kk, ru or en; ru when NULL or another): elements ("ID", "Type", "Name",
 * "Documentation", "Specialization"; the model itself first, as
 * "ArchimateModel"), relations (with "Source" and "Target"; types ending
 * in "Relationship") and properties ("ID", "Key", "Value": the fields, and
 * an Access's type as "Access Type"); every cell quoted, a formula
 * guarded. No organisations, definitions or diagrams: the files have none. */
int registry_archi_csv_export(struct registry *r, const struct actor *a, const char *domain,
                              const char *version, const char *lang, FILE *elements,
                              FILE *relations, FILE *properties, struct err *e);

/* The three files in a ZIP archive written to path. */
int registry_archi_csv_zip(struct registry *r, const struct actor *a, const char *domain,
                           const char *version, const char *lang, const char *path,
                           struct err *e);

struct amx;
/* Reads an architecture tool's file (docs/amx.h): an ArchiMate exchange
 * file (XML), Archi's CSV export as a ZIP archive holding elements.csv,
 * relations.csv and properties.csv, or an elements.csv alone. *out's
 * memory from ar; amx_free it after. 413 over AMX_MAX_FILE, 400 for a
 * damaged or foreign file (the line said). */
int registry_archimate_read(struct arena *ar, const char *data, size_t n, struct amx *out,
                            struct err *e);

/* Imports what file holds (amx-import.c) as the model's "archimate"
 * mappings say, texts without a language in lang (kk, ru or en; ru
 * otherwise), in one write that a dry run, or a real run with a refused
 * concept, rolls back. *report (also for a refused real run):
 *   {format, dry_run, written, lang,
 *    counts: {elements, relationships, created, changed, unchanged, refused, views},
 *    concepts: [{line ("12", or "relations.csv:3"), identifier, type,
 *                concept: "element"|"relationship", kind?, id?,
 *                result: "created"|"changed"|"unchanged"|"refused",
 *                fields? (changed), errors? (refused), notes? (what was
 *                kept otherwise or left alone)}]}
 * 404 when the model exchanges nothing, 403 for one who may not create
 * the generic elements (the integrator's architects and administrators
 * may), 422 "import-refused" for a real run with refused concepts. */
int registry_archimate_import(struct registry *r, const struct actor *a, const struct amx *file,
                              const char *lang, bool dry_run, json_t **report, struct err *e);

/* May a import an architecture (create the generic elements)? 0, or -1
 * with e set: 404 when the model exchanges nothing, 403. Checked by the
 * import itself; also before an upload's body is read. */
int registry_archimate_may_import(struct registry *r, const struct actor *a, struct err *e);

#endif
