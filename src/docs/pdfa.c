/* docs/pdfa: a PDF that declares PDF/A-1 is checked by its content, since
 * the XMP declaration is only the producer's word (REQ DOC-01: the signed
 * copy must be PDF/A-1, and the public downloads it).
 *
 * What is checked (ISO 19005-1, the parts that matter for a signed copy
 * read by the public): no JavaScript, Launch or other actions PDF/A-1
 * forbids, no additional actions, no embedded files, an OutputIntent
 * GTS_PDFA1 with its ICC profile, every font (not Type3) embedded, no
 * transparency, no LZW, the XMP agreeing with the information dictionary,
 * a file identifier. Encryption and the XMP's presence are pdf.c's.
 *
 * Every object reachable from the catalog is visited once: indirect
 * objects go through a work list (not recursion, so a long chain of
 * outlines or pages costs no stack) with a set of the object numbers seen;
 * direct objects nested inside one are visited recursively up to
 * DOC_PDF_MAX_DEPTH. Counts are capped (DOC_PDF_MAX_OBJECTS,
 * DOC_PDF_MAX_ITEMS); a file beyond them is refused, never half checked.
 * Stream data is never decoded here: only dictionaries are read.
 *
 * qpdf's C API keeps a handle for every object it returns until released,
 * and has one dictionary-key iterator per document: each object's keys are
 * copied out before its values are looked at, and every handle is released
 * once its indirect object has been checked. */
#include "docs/internal.h"
#include "util/timeutil.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rules and their problems ---- */

enum rule {
    R_JAVASCRIPT,
    R_LAUNCH,
    R_ACTION,
    R_AA,
    R_EMBEDDED,
    R_OUTPUT_INTENT,
    R_FONT,
    R_TRANSPARENCY,
    R_LZW,
    R_METADATA,
    R_FILE_ID,
    R_COMPLEX,
    R_N
};

static const struct {
    const char *code, *what; /* what: "the PDF %s; …", %s the particulars */
} rules[R_N] = {
    [R_JAVASCRIPT] = {"pdfa-javascript", "contains JavaScript (%s), which PDF/A-1 forbids"},
    [R_LAUNCH] = {"pdfa-launch",
                  "contains a Launch action (%s), which runs a program or opens a file and "
                  "which PDF/A-1 forbids"},
    [R_ACTION] = {"pdfa-forbidden-action", "contains an action PDF/A-1 forbids (%s)"},
    [R_AA] = {"pdfa-additional-actions",
              "has additional actions (/AA in %s) that run on opening, closing or other "
              "events, which PDF/A-1 forbids"},
    [R_EMBEDDED] = {"pdfa-embedded-file", "embeds a file (%s), which PDF/A-1 forbids"},
    [R_OUTPUT_INTENT] = {"pdfa-no-output-intent",
                         "has no PDF/A output intent (%s): PDF/A-1 needs an OutputIntent of "
                         "subtype GTS_PDFA1 with its ICC colour profile"},
    [R_FONT] = {"pdfa-font-not-embedded",
                "uses the font %s without embedding it, so it may not look the same "
                "everywhere; PDF/A-1 requires every font embedded"},
    [R_TRANSPARENCY] = {"pdfa-transparency", "uses transparency (%s), which PDF/A-1 forbids"},
    [R_LZW] = {"pdfa-lzw", "has a stream compressed with LZW (%s), which PDF/A-1 forbids"},
    [R_METADATA] = {"pdfa-metadata-mismatch",
                    "has XMP metadata that disagree with its document information (%s); "
                    "PDF/A-1 requires them to agree"},
    [R_FILE_ID] = {"pdfa-no-file-id",
                   "has no file identifier (%s); PDF/A-1 requires an /ID in the trailer"},
    [R_COMPLEX] = {"pdfa-too-complex",
                   "is too complex to be checked (%s), so it cannot be accepted as PDF/A-1"},
};

struct walk {
    qpdf_data q;
    struct doc_report *r;
    unsigned reported; /* a bit per rule: each is reported once */
    bool stop;         /* qpdf failed or a cap was reached */
    /* object numbers seen (open addressing; 0 is free) */
    int *seen;
    size_t seen_cap, seen_n;
    /* the work list: indirect objects still to visit */
    struct ref {
        int id, gen;
    } * todo;
    size_t todo_n, todo_cap;
    size_t objects, items;
};

static void broken(struct walk *w, enum rule rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void broken(struct walk *w, enum rule rule, const char *fmt, ...)
{
    if (w->reported & (1u << rule))
        return;
    w->reported |= 1u << rule;
    char particulars[200], what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(particulars, sizeof particulars, fmt, ap);
    va_end(ap);
    snprintf(what, sizeof what, rules[rule].what, particulars);
    doc_report_problem(w->r, rules[rule].code,
                       "the PDF declares PDF/A-1 but %s; export the signed copy again as "
                       "PDF/A-1 (PDF/A-1a or PDF/A-1b)",
                       what);
}

/* qpdf's pending error ends the walk (pdf.c reports it as pdf-damaged). */
static bool failed(struct walk *w)
{
    if (qpdf_has_error(w->q))
        w->stop = true;
    return w->stop;
}

/* A name object's value, "" when h is not a name. */
static const char *name_of(struct walk *w, qpdf_oh h)
{
    return qpdf_oh_is_name(w->q, h) ? qpdf_oh_get_name(w->q, h) : "";
}

/* Copies a name for a detail (names may hold anything; doc_report_problem
 * makes the detail valid text). */
static void name_copy(struct walk *w, qpdf_oh h, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.60s", name_of(w, h));
}

/* ---- the set of objects seen and the work list ---- */

static size_t slot_of(int id, size_t cap)
{
    return ((size_t)(unsigned)id * 2654435761u) & (cap - 1);
}

/* Adds id to the set; false when it was there already. */
static bool seen_add(struct walk *w, int id)
{
    if (w->seen_n * 2 >= w->seen_cap) {
        size_t cap = w->seen_cap ? w->seen_cap * 2 : 1024;
        int *grown = xcalloc(cap, sizeof *grown);
        for (size_t i = 0; i < w->seen_cap; i++)
            if (w->seen[i]) {
                size_t k = slot_of(w->seen[i], cap);
                while (grown[k])
                    k = (k + 1) & (cap - 1);
                grown[k] = w->seen[i];
            }
        free(w->seen);
        w->seen = grown;
        w->seen_cap = cap;
    }
    size_t k = slot_of(id, w->seen_cap);
    while (w->seen[k]) {
        if (w->seen[k] == id)
            return false;
        k = (k + 1) & (w->seen_cap - 1);
    }
    w->seen[k] = id;
    w->seen_n++;
    return true;
}

/* Queues an indirect object not seen before. */
static void queue(struct walk *w, qpdf_oh h)
{
    int id = qpdf_oh_get_object_id(w->q, h);
    if (id <= 0 || !seen_add(w, id))
        return;
    if (++w->objects > DOC_PDF_MAX_OBJECTS) {
        broken(w, R_COMPLEX, "more than %d objects", DOC_PDF_MAX_OBJECTS);
        w->stop = true;
        return;
    }
    if (w->todo_n == w->todo_cap) {
        w->todo_cap = w->todo_cap ? w->todo_cap * 2 : 256;
        w->todo = xrealloc(w->todo, w->todo_cap * sizeof *w->todo);
    }
    w->todo[w->todo_n++] = (struct ref){id, qpdf_oh_get_generation(w->q, h)};
}

static bool count_item(struct walk *w)
{
    if (++w->items > DOC_PDF_MAX_ITEMS) {
        broken(w, R_COMPLEX, "more than %d entries", DOC_PDF_MAX_ITEMS);
        w->stop = true;
    }
    return !w->stop;
}

/* A dictionary's keys, copied (qpdf has one key iterator per document and
 * its strings live until the next call). The caller frees each and the
 * array. */
static char **dict_keys(struct walk *w, qpdf_oh dict, size_t *n)
{
    char **keys = NULL;
    size_t cap = 0;
    *n = 0;
    qpdf_oh_begin_dict_key_iter(w->q, dict);
    while (!w->stop && qpdf_oh_dict_more_keys(w->q)) {
        const char *k = qpdf_oh_dict_next_key(w->q);
        if (failed(w) || !k || !count_item(w))
            break;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            keys = xrealloc(keys, cap * sizeof *keys);
        }
        keys[(*n)++] = xstrdup(k);
    }
    failed(w);
    return keys;
}

static void keys_free(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

/* ---- actions ---- */

static bool is_action_type(const char *s)
{
    static const char *const allowed[] = {"/GoTo", "/GoToR", "/Thread", "/URI", "/Named"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcmp(s, allowed[i]) == 0)
            return true;
    return false;
}

/* Checks one action dictionary and what its /Next names (an action or an
 * array of them), at most 64 actions in all per chain (*budget). */
static void check_one_action(struct walk *w, qpdf_oh a, const char *origin, int *budget)
{
    if (w->stop || (*budget)-- <= 0 || !qpdf_oh_is_dictionary(w->q, a))
        return;
    char type[64];
    name_copy(w, qpdf_oh_get_key(w->q, a, "/S"), type, sizeof type);
    if (strcmp(type, "/JavaScript") == 0 || qpdf_oh_has_key(w->q, a, "/JS")) {
        broken(w, R_JAVASCRIPT, "a JavaScript action in %s", origin);
    } else if (strcmp(type, "/Launch") == 0) {
        broken(w, R_LAUNCH, "in %s", origin);
    } else if (!is_action_type(type)) {
        broken(w, R_ACTION, "%s in %s", type[0] ? type : "an action without a type", origin);
    } else if (strcmp(type, "/Named") == 0) {
        char named[64];
        name_copy(w, qpdf_oh_get_key(w->q, a, "/N"), named, sizeof named);
        if (strcmp(named, "/NextPage") != 0 && strcmp(named, "/PrevPage") != 0 &&
            strcmp(named, "/FirstPage") != 0 && strcmp(named, "/LastPage") != 0)
            broken(w, R_ACTION, "the named action %s in %s", named[0] ? named : "without a name",
                   origin);
    }
    qpdf_oh next = qpdf_oh_get_key(w->q, a, "/Next");
    if (qpdf_oh_is_array(w->q, next)) {
        int n = qpdf_oh_get_array_n_items(w->q, next);
        for (int i = 0; i<n && * budget> 0 && !failed(w); i++)
            check_one_action(w, qpdf_oh_get_array_item(w->q, next, i), origin, budget);
    } else {
        check_one_action(w, next, origin, budget);
    }
    failed(w);
}

static void check_action(struct walk *w, qpdf_oh a, const char *origin)
{
    int budget = 64;
    check_one_action(w, a, origin, &budget);
}

/* The actions an entry of a dictionary holds by its key. */
static void entry_actions(struct walk *w, const char *key, qpdf_oh v, const char *origin)
{
    if (strcmp(key, "/A") == 0) {
        /* /A is also a structure element's attributes, which have no /S */
        if (qpdf_oh_is_dictionary(w->q, v) && qpdf_oh_has_key(w->q, v, "/S"))
            check_action(w, v, origin);
    } else if (strcmp(key, "/OpenAction") == 0) {
        if (qpdf_oh_is_dictionary(w->q, v)) /* an array is a destination */
            check_action(w, v, "the document's open action");
    } else if (strcmp(key, "/AA") == 0) {
        broken(w, R_AA, "%s", origin);
        size_t n;
        char **keys = qpdf_oh_is_dictionary(w->q, v) ? dict_keys(w, v, &n) : NULL;
        for (size_t i = 0; keys && i < n && !w->stop; i++)
            check_action(w, qpdf_oh_get_key(w->q, v, keys[i]), origin);
        if (keys)
            keys_free(keys, n);
    } else if (strcmp(key, "/JS") == 0 || strcmp(key, "/JavaScript") == 0) {
        broken(w, R_JAVASCRIPT, "%s in %s",
               key[1] == 'J' && key[2] == 'S' ? "a script" : "document-level scripts", origin);
    }
}

/* ---- fonts, transparency, filters ---- */

static bool is_font(struct walk *w, qpdf_oh d)
{
    if (qpdf_oh_is_name_and_equals(w->q, qpdf_oh_get_key(w->q, d, "/Type"), "/Font"))
        return true;
    static const char *const subtypes[] = {"/Type1", "/MMType1", "/TrueType", "/CIDFontType0",
                                           "/CIDFontType2"};
    if (!qpdf_oh_has_key(w->q, d, "/BaseFont"))
        return false;
    const char *st = name_of(w, qpdf_oh_get_key(w->q, d, "/Subtype"));
    for (size_t i = 0; i < sizeof subtypes / sizeof subtypes[0]; i++)
        if (strcmp(st, subtypes[i]) == 0)
            return true;
    return false;
}

/* Type3 fonts are drawn by their own glyph procedures and Type0 fonts by
 * their descendant, which the walk checks on its own; every other font
 * needs its program in the descriptor. */
static void check_font(struct walk *w, qpdf_oh d)
{
    const char *st = name_of(w, qpdf_oh_get_key(w->q, d, "/Subtype"));
    if (strcmp(st, "/Type3") == 0 || strcmp(st, "/Type0") == 0)
        return;
    qpdf_oh fd = qpdf_oh_get_key(w->q, d, "/FontDescriptor");
    if (qpdf_oh_is_dictionary(w->q, fd))
        for (int i = 0; i < 3; i++) {
            static const char *const files[] = {"/FontFile", "/FontFile2", "/FontFile3"};
            if (qpdf_oh_is_stream(w->q, qpdf_oh_get_key(w->q, fd, files[i])))
                return;
        }
    if (failed(w))
        return;
    char name[64];
    name_copy(w, qpdf_oh_get_key(w->q, d, "/BaseFont"), name, sizeof name);
    broken(w, R_FONT, "%s", name[0] ? name + 1 : "without a name");
}

static bool is_one(struct walk *w, qpdf_oh v)
{
    return fabs(qpdf_oh_get_numeric_value(w->q, v) - 1.0) < 1e-6;
}

static bool normal_blend(const char *bm)
{
    return strcmp(bm, "/Normal") == 0 || strcmp(bm, "/Compatible") == 0;
}

/* The transparency an entry of a dictionary brings in by its key. */
static void entry_transparency(struct walk *w, const char *key, qpdf_oh v, const char *origin)
{
    if (strcmp(key, "/SMask") == 0) {
        if (!qpdf_oh_is_name_and_equals(w->q, v, "/None"))
            broken(w, R_TRANSPARENCY, "a soft mask in %s", origin);
    } else if (strcmp(key, "/CA") == 0 || strcmp(key, "/ca") == 0) {
        /* a widget's /MK /CA is a caption (a string), not an opacity */
        if (qpdf_oh_is_number(w->q, v) && !is_one(w, v))
            broken(w, R_TRANSPARENCY, "an opacity %s of %g in %s", key + 1,
                   qpdf_oh_get_numeric_value(w->q, v), origin);
    } else if (strcmp(key, "/BM") == 0) {
        bool ok = qpdf_oh_is_name(w->q, v) && normal_blend(name_of(w, v));
        if (qpdf_oh_is_array(w->q, v)) {
            int n = qpdf_oh_get_array_n_items(w->q, v);
            ok = n > 0;
            for (int i = 0; i < n && i < 64 && ok; i++)
                ok = normal_blend(name_of(w, qpdf_oh_get_array_item(w->q, v, i)));
        }
        if (!ok)
            broken(w, R_TRANSPARENCY, "a blend mode other than Normal in %s", origin);
    } else if (strcmp(key, "/Group") == 0) {
        if (qpdf_oh_is_dictionary(w->q, v) &&
            qpdf_oh_is_name_and_equals(w->q, qpdf_oh_get_key(w->q, v, "/S"), "/Transparency"))
            broken(w, R_TRANSPARENCY, "a transparency group in %s", origin);
    }
}

static void check_filters(struct walk *w, qpdf_oh dict, const char *origin)
{
    qpdf_oh f = qpdf_oh_get_key(w->q, dict, "/Filter");
    bool lzw = qpdf_oh_is_name_and_equals(w->q, f, "/LZWDecode");
    int n = qpdf_oh_is_array(w->q, f) ? qpdf_oh_get_array_n_items(w->q, f) : 0;
    for (int i = 0; i < n && i < 64 && !lzw; i++)
        lzw = qpdf_oh_is_name_and_equals(w->q, qpdf_oh_get_array_item(w->q, f, i), "/LZWDecode");
    if (lzw)
        broken(w, R_LZW, "%s", origin);
}

/* ---- the walk ---- */

static void visit(struct walk *w, qpdf_oh h, int depth, const char *origin);

static void visit_dict(struct walk *w, qpdf_oh d, int depth, const char *origin, bool stream)
{
    if (stream)
        check_filters(w, d, origin);
    if (is_font(w, d))
        check_font(w, d);
    if (qpdf_oh_is_name_and_equals(w->q, qpdf_oh_get_key(w->q, d, "/Type"), "/Action"))
        check_action(w, d, origin);
    if (qpdf_oh_has_key(w->q, d, "/EF") || qpdf_oh_has_key(w->q, d, "/EmbeddedFiles"))
        broken(w, R_EMBEDDED, "in %s", origin);
    size_t n;
    char **keys = dict_keys(w, d, &n);
    for (size_t i = 0; i < n && !w->stop; i++) {
        qpdf_oh v = qpdf_oh_get_key(w->q, d, keys[i]);
        entry_actions(w, keys[i], v, origin);
        entry_transparency(w, keys[i], v, origin);
        visit(w, v, depth + 1, origin);
        failed(w);
    }
    keys_free(keys, n);
}

/* Checks h: an indirect object is queued (checked once, from the work
 * list); a direct one is checked here. */
static void visit(struct walk *w, qpdf_oh h, int depth, const char *origin)
{
    if (w->stop)
        return;
    if (qpdf_oh_is_indirect(w->q, h) && depth > 0) {
        queue(w, h);
        return;
    }
    if (depth > DOC_PDF_MAX_DEPTH) {
        broken(w, R_COMPLEX, "objects nested more than %d deep", DOC_PDF_MAX_DEPTH);
        w->stop = true;
        return;
    }
    if (qpdf_oh_is_stream(w->q, h)) {
        visit_dict(w, qpdf_oh_get_dict(w->q, h), depth, origin, true);
    } else if (qpdf_oh_is_dictionary(w->q, h)) {
        visit_dict(w, h, depth, origin, false);
    } else if (qpdf_oh_is_array(w->q, h)) {
        int n = qpdf_oh_get_array_n_items(w->q, h);
        for (int i = 0; i < n && !w->stop && count_item(w); i++)
            visit(w, qpdf_oh_get_array_item(w->q, h, i), depth + 1, origin);
    }
    failed(w);
}

static void walk_all(struct walk *w)
{
    qpdf_oh root = qpdf_get_root(w->q);
    if (failed(w))
        return;
    queue(w, root);
    while (w->todo_n && !w->stop) {
        struct ref ref = w->todo[--w->todo_n];
        qpdf_oh h = qpdf_get_object_by_id(w->q, ref.id, ref.gen);
        char origin[32];
        snprintf(origin, sizeof origin,
                 ref.id == qpdf_oh_get_object_id(w->q, root) ? "the document catalog" : "object %d",
                 ref.id);
        if (!failed(w))
            visit(w, h, 0, origin);
        qpdf_oh_release_all(w->q);
        root = qpdf_get_root(w->q);
    }
}

/* ---- the catalog and the trailer ---- */

static void check_output_intent(struct walk *w)
{
    qpdf_oh ois = qpdf_oh_get_key(w->q, qpdf_get_root(w->q), "/OutputIntents");
    int n = qpdf_oh_is_array(w->q, ois) ? qpdf_oh_get_array_n_items(w->q, ois) : 0;
    bool gts = false;
    for (int i = 0; i < n && i < 256; i++) {
        qpdf_oh oi = qpdf_oh_get_array_item(w->q, ois, i);
        if (!qpdf_oh_is_name_and_equals(w->q, qpdf_oh_get_key(w->q, oi, "/S"), "/GTS_PDFA1"))
            continue;
        gts = true;
        if (qpdf_oh_is_stream(w->q, qpdf_oh_get_key(w->q, oi, "/DestOutputProfile")))
            return;
    }
    if (failed(w))
        return;
    broken(w, R_OUTPUT_INTENT, "%s",
           n == 0 ? "the catalog has no /OutputIntents"
           : gts  ? "its GTS_PDFA1 output intent has no /DestOutputProfile"
                  : "none of its output intents is of subtype GTS_PDFA1");
}

static void check_file_id(struct walk *w)
{
    qpdf_oh id = qpdf_oh_get_key(w->q, qpdf_get_trailer(w->q), "/ID");
    if (qpdf_oh_is_array(w->q, id) && qpdf_oh_get_array_n_items(w->q, id) == 2 &&
        qpdf_oh_is_string(w->q, qpdf_oh_get_array_item(w->q, id, 0)) &&
        qpdf_oh_is_string(w->q, qpdf_oh_get_array_item(w->q, id, 1)))
        return;
    if (!failed(w))
        broken(w, R_FILE_ID, "%s",
               qpdf_oh_is_null(w->q, id) ? "no /ID" : "its /ID is not two strings");
}

/* ---- the metadata against the information dictionary ---- */

/* s[0..n) without leading and trailing ASCII white space. */
static void strip(const char **s, size_t *n)
{
    while (*n && strchr(" \t\r\n", (*s)[0]))
        (*s)++, (*n)--;
    while (*n && strchr(" \t\r\n", (*s)[*n - 1]))
        (*n)--;
}

static bool same_text(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    strip(&a, &an);
    strip(&b, &bn);
    return an == bn && memcmp(a, b, an) == 0;
}

static void check_info(struct walk *w, const struct doc_xmp *x)
{
    static const struct {
        const char *key, *xmp_name;
        size_t off;
        bool date;
    } pairs[] = {
        {"/Title", "dc:title", offsetof(struct doc_xmp, title), false},
        {"/Author", "dc:creator", offsetof(struct doc_xmp, creator), false},
        {"/Creator", "xmp:CreatorTool", offsetof(struct doc_xmp, creator_tool), false},
        {"/Producer", "pdf:Producer", offsetof(struct doc_xmp, producer), false},
        {"/CreationDate", "xmp:CreateDate", offsetof(struct doc_xmp, create_date), true},
        {"/ModDate", "xmp:ModifyDate", offsetof(struct doc_xmp, modify_date), true},
    };
    qpdf_oh info = qpdf_oh_get_key(w->q, qpdf_get_trailer(w->q), "/Info");
    if (failed(w) || !qpdf_oh_is_dictionary(w->q, info))
        return;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0] && !w->stop; i++) {
        const char *xv = *(char *const *)((const char *)x + pairs[i].off);
        qpdf_oh v = qpdf_oh_get_key(w->q, info, pairs[i].key);
        if (!xv || !qpdf_oh_is_string(w->q, v))
            continue;
        size_t n = 0;
        const char *iv = qpdf_oh_get_binary_utf8_value(w->q, v, &n);
        if (failed(w) || !iv)
            return;
        bool same;
        if (pairs[i].date) {
            char date[64];
            snprintf(date, sizeof date, "%.*s", (int)(n < 63 ? n : 63), iv);
            same = n < 63 && doc_dates_agree(date, xv);
        } else {
            same = same_text(iv, n, xv);
        }
        if (!same)
            broken(w, R_METADATA, "%s and %s differ", pairs[i].key + 1, pairs[i].xmp_name);
    }
}

void doc_pdfa_check(qpdf_data q, const struct doc_xmp *x, struct doc_report *r)
{
    struct walk w = {.q = q, .r = r};
    check_file_id(&w);
    check_output_intent(&w);
    check_info(&w, x);
    walk_all(&w);
    free(w.seen);
    free(w.todo);
    qpdf_oh_release_all(q);
}

/* ---- dates ---- */

struct when {
    int f[6]; /* year, month, day, hour, minute, second */
    int prec; /* how many of f were given */
    bool tz;
    int offset; /* minutes east of UTC */
};

static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* The zone of either form: "Z", "+hh'mm'" or "+hh:mm" ("'" and ":" optional,
 * minutes optional). */
static bool zone(const char *p, struct when *t)
{
    if (*p == 0)
        return true;
    t->tz = true;
    if (*p == 'Z')
        return true; /* PDF writers add "00'00'" or a lone "'" after it */
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1;
    int h = digits(&p, 2), m = 0;
    if (h < 0 || h > 23)
        return false;
    if (*p == '\'' || *p == ':')
        p++;
    if (*p) {
        m = digits(&p, 2);
        if (m < 0 || m > 59)
            return false;
    }
    t->offset = sign * (h * 60 + m);
    return true;
}

static bool valid_fields(const struct when *t)
{
    static const int lo[6] = {0, 1, 1, 0, 0, 0}, hi[6] = {9999, 12, 31, 23, 59, 60};
    for (int i = 0; i < t->prec; i++)
        if (t->f[i] < lo[i] || t->f[i] > hi[i])
            return false;
    return t->prec >= 1;
}

static bool parse_pdf_date(const char *s, struct when *t)
{
    memset(t, 0, sizeof *t);
    t->f[1] = t->f[2] = 1;
    if (strncmp(s, "D:", 2) == 0)
        s += 2;
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0; i < 6 && *s >= '0' && *s <= '9'; i++) {
        if ((t->f[i] = digits(&s, width[i])) < 0)
            return false;
        t->prec = i + 1;
    }
    return valid_fields(t) && zone(s, t);
}

static bool parse_xmp_date(const char *s, struct when *t)
{
    memset(t, 0, sizeof *t);
    t->f[1] = t->f[2] = 1;
    static const char sep[6] = {0, '-', '-', 'T', ':', ':'};
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0; i < 6; i++) {
        if (i > 0) {
            if (*s != sep[i])
                break;
            s++;
        }
        if ((t->f[i] = digits(&s, width[i])) < 0)
            return false;
        t->prec = i + 1;
    }
    if (t->prec == 4) /* "Thh" without minutes is not ISO 8601 */
        return false;
    if (t->prec == 6 && *s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    if (t->prec < 4 && *s)
        return false;
    return valid_fields(t) && zone(s, t) && !(t->prec < 4 && t->tz);
}

static long long minutes_utc(const struct when *t)
{
    return (long long)time_days_from_civil(t->f[0], t->f[1], t->f[2]) * 1440 + t->f[3] * 60 + t->f[4] -
           t->offset;
}

bool doc_dates_agree(const char *pdf_date, const char *xmp_date)
{
    struct when a, b;
    if (!parse_pdf_date(pdf_date, &a) || !parse_xmp_date(xmp_date, &b))
        return false;
    int prec = a.prec < b.prec ? a.prec : b.prec;
    if (a.tz && b.tz && prec >= 5)
        return minutes_utc(&a) == minutes_utc(&b) && (prec < 6 || a.f[5] == b.f[5]);
    for (int i = 0; i < prec; i++)
        if (a.f[i] != b.f[i])
            return false;
    return true;
}
