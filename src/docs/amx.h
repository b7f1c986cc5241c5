/* docs/amx: the files of architecture tools read into one form for the
 * import of an architecture (issue 18, REQ X-INT-01; registry/amx-import.c):
 * The Open Group's ArchiMate Model Exchange File Format 3.0/3.1 and
 * Archi's three CSV files (elements, relations, properties).
 *
 * The XML is read by the inspector's streaming reader set up for untrusted
 * input (docs/xml.c: no network, no DTD, no entity, a DOCTYPE refused
 * outright), within bounded depth, size and counts. A file in the old
 * ArchiMate 2.x namespace is refused with a message that says so, one in
 * another namespace as not an exchange file. The CSV files are read by the
 * spreadsheet reader (docs/sheet.h: ",", ";" or tab, UTF-8 with or without
 * a BOM), lines starting with "#" are comments, a row with another number
 * of fields than its header is the import's to refuse (its cells are kept
 * as read), and a cell a spreadsheet would take for a formula is refused
 * unless guarded by a leading apostrophe (dropped), as the portal's own
 * downloads write it.
 *
 * What the file says is kept as read (identifiers, types, texts); whether
 * it makes sense (duplicate identifiers, relationships whose ends are
 * missing, unknown types) is the import's to judge, concept by concept. */
#ifndef AP_DOCS_AMX_H
#define AP_DOCS_AMX_H

#include "util/arena.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define AMX_MAX_FILE (1u << 30)     /* bytes of a file (or of the three CSVs) */
#define AMX_MAX_UPLOAD (256u << 20) /* … sent to the API (held in memory as it arrives) */
#define AMX_MAX_CONCEPTS 1000000    /* elements and relationships */
#define AMX_MAX_DEPTH 64            /* nesting of XML elements */
#define AMX_MAX_PROPS 1000          /* properties of one concept */
#define AMX_MAX_TEXTS 16            /* languages of one name, documentation or value */
#define AMX_MAX_DEFS 10000          /* property definitions */

/* A text in one language ("" when the file names none). */
struct amx_text {
    const char *lang;
    const char *s;
};

struct amx_texts {
    struct amx_text *v;
    size_t n;
};

struct amx_prop {
    const char *def; /* the property definition's identifier (XML) or the key (CSV) */
    struct amx_texts value;
    long line;
};

/* A folder of the organisations: its label and its parent (-1: top). */
struct amx_folder {
    struct amx_texts label;
    long parent;
};

/* A concept an organisation's folder names (concepts named twice: the
 * last one counts). */
struct amx_member {
    const char *id;
    long folder;
};

struct amx_concept {
    bool relationship;
    const char *id;
    const char *type; /* xsi:type ("Capability", "Serving"…; CSV: without "Relationship") */
    long line;        /* where it starts (CSV: the row's line in its file) */
    const char *file; /* NULL: the exchange file; else the CSV file's name */
    struct amx_texts name, doc;
    /* relationships: */
    const char *source, *target;
    const char *access;   /* Access: its accessType (NULL: none given) */
    const char *modifier; /* Influence: its modifier (strength) */
    bool directed;        /* Association: isDirected */
    struct amx_prop *props;
    size_t n_props;
    /* CSV: the row had this many fields where its header has another
     * number (0: as many) */
    size_t bad_fields, want_fields;
    /* a cell that would run as a formula: its header ("" none) */
    const char *formula;
};

struct amx_def {
    const char *id;
    const char *type; /* "string", "boolean", "currency", "date", "time", "number" */
    struct amx_texts name;
};

struct amx {
    const char *format; /* "archimate" or "archi-csv" */
    const char *id;     /* the model's identifier (NULL: none) */
    struct amx_texts name, doc;
    struct amx_prop *props; /* the model's own */
    size_t n_props;
    struct amx_concept *c;
    size_t n, cap;
    struct amx_def *defs;
    size_t n_defs, cap_defs;
    struct amx_folder *folders;
    size_t n_folders, cap_folders;
    struct amx_member *members;
    size_t n_members, cap_members;
    size_t n_views; /* diagrams (not imported: the portal draws its own) */
};

/* Reads an exchange file data[0..n) into *out (memory from ar). 413 over
 * AMX_MAX_FILE; 400 "bad-file" with the line for malformed XML, a DOCTYPE,
 * too deep a nesting or too many concepts, properties or texts; 400
 * "wrong-format" for another root or namespace (the ArchiMate 2.x one
 * named as such). */
int amx_read_xml(struct arena *ar, const char *data, size_t n, struct amx *out, struct err *e);

/* Reads Archi's CSV files (relations and properties may be NULL) into
 * *out. 400 "wrong-format" for a file whose header is not Archi's (it
 * names the file), 400 "bad-file" for one the CSV reader refuses. */
int amx_read_archi_csv(struct arena *ar, const char *elements, size_t ne, const char *relations,
                       size_t nr, const char *properties, size_t np, struct amx *out,
                       struct err *e);

/* Frees what *m holds outside its arena. */
void amx_free(struct amx *m);

/* The text in lang, or else the one without a language, or else the
 * first; NULL when there is none. */
const char *amx_text_in(const struct amx_texts *t, const char *lang);

#endif
