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

#endif
