/* docs/docx: a zip package checked as a DOCX and its text read (REQ DOC-01:
 * drafts are DOCX).
 *
 * Order matters: everything the central directory says (entry count,
 * names, declared sizes and ratios) is checked before a single byte is
 * decompressed; then only the three parts a DOCX needs are decompressed
 * ([Content_Types].xml, _rels/.rels, the main document), streamed through
 * the XML reader, with the bytes actually produced counted against the same
 * caps, since declared sizes can lie. */
#include "docs/internal.h"

#include "util/buf.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#define NS_CT "http://schemas.openxmlformats.org/package/2006/content-types"
#define NS_RELS "http://schemas.openxmlformats.org/package/2006/relationships"
#define REL_DOC "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
#define REL_DOC_STRICT "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_W_STRICT "http://purl.oclc.org/ooxml/wordprocessingml/main"
#define DOCX_MAIN "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


/* ---- active content: what a draft must not carry ----
 *
 * A draft is read by people who open it in their word processor, so
 * nothing in it may run or reach out on opening: no macros, no ActiveX
 * controls, no embedded OLE objects (a double click runs their program),
 * and no external relationships, which Word follows when it opens the file
 * (a remote template, an image or frame from another server, a linked
 * object) — except hyperlinks, which are only followed when the reader
 * chooses to click them, and are an ordinary part of technical documents.
 * Each is found by any of its traces: the part's name, its content type,
 * or the relationship that points to it. */
enum active { A_EXTERNAL, A_MACROS, A_ACTIVEX, A_OLE };

static void active_found(struct pkg *p, enum active a, const char *what)
{
    static const struct {
        const char *code, *fmt;
    } kinds[] = {
        [A_EXTERNAL] = {"docx-external-relationship",
                        "the document links to %s outside itself, which a word processor "
                        "fetches or opens when the file is opened; save it again without the "
                        "link (only hyperlinks may point outside)"},
        [A_MACROS] = {"docx-macros",
                      "the document carries macros (%s); save it as a Word document without "
                      "macros (.docx)"},
        [A_ACTIVEX] = {"docx-activex",
                       "the document carries ActiveX controls (%s); remove them and save it "
                       "again as .docx"},
        [A_OLE] = {"docx-ole-object",
                   "the document embeds an OLE object (%s), whose program runs when it is "
                   "opened; remove the object or paste it as a picture, and save it again"},
    };
    if (p->active & (1u << a))
        return;
    p->active |= 1u << a;
    char esc[160];
    doc_escape(what, strlen(what), esc, sizeof esc);
    doc_report_problem(p->r, kinds[a].code, kinds[a].fmt, esc);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* An entry's name: a VBA project, an ActiveX control, an OLE object. */
static void active_name(struct pkg *p, const char *name)
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    if (strncasecmp(base, "vbaProject", 10) == 0 || strncasecmp(base, "vbaData", 7) == 0)
        active_found(p, A_MACROS, name);
    else if (strncasecmp(name, "word/activeX/", 13) == 0)
        active_found(p, A_ACTIVEX, name);
    else if (strncasecmp(base, "oleObject", 9) == 0)
        active_found(p, A_OLE, name);
}

/* A content type in [Content_Types].xml. */
static void active_type(struct pkg *p, const char *ct)
{
    if (strcasestr(ct, "vbaProject") || strcasestr(ct, "macroEnabled") || strcasestr(ct, "vbaData"))
        active_found(p, A_MACROS, ct);
    else if (strcasestr(ct, "activeX"))
        active_found(p, A_ACTIVEX, ct);
    else if (strcasestr(ct, "oleObject"))
        active_found(p, A_OLE, ct);
}

/* A relationship of any .rels part. */
static void active_relationship(struct pkg *p, const char *type, const char *target, bool external)
{
    if (ends_with(type, "/vbaProject") || ends_with(type, "/wordVbaData"))
        active_found(p, A_MACROS, target);
    else if (ends_with(type, "/control") || ends_with(type, "/activeXControlBinary"))
        active_found(p, A_ACTIVEX, target);
    else if (ends_with(type, "/oleObject"))
        active_found(p, A_OLE, target);
    if (external && !ends_with(type, "/hyperlink"))
        active_found(p, A_EXTERNAL, target);
}

/* ---- before decompressing: the central directory ---- */

/* Why an entry name is unsafe to anything that extracts it, or NULL. */
static const char *name_problem(const char *name)
{
    size_t n = strlen(name);
    if (n == 0)
        return "has an empty name";
    if (name[0] == '/' || (n >= 2 && name[1] == ':'))
        return "is an absolute path";
    if (strchr(name, '\\'))
        return "contains a backslash";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
            return "contains control characters";
    if (!utf8_valid(name, n))
        return "is not valid UTF-8";
    for (const char *seg = name; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
        if (strncmp(seg, "..", 2) == 0 && (seg[2] == '/' || seg[2] == 0))
            return "climbs out of the archive with '..'";
    return NULL;
}

static void bad_name(struct pkg *p, const char *name, const char *why)
{
    char esc[160];
    doc_escape(name, strlen(name), esc, sizeof esc);
    doc_report_problem(p->r, "docx-bad-entry-name",
                       "the archive holds an entry \"%s\" that %s; such an archive is refused "
                       "because it could write outside its folder when unpacked",
                       esc, why);
}

static int cmp_names(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* Two entries whose names differ only in case are one part to OPC and two
 * to a zip reader: which one is "the" document would depend on the reader. */
static bool duplicate_names(struct pkg *p, const char **names, uint64_t n)
{
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    for (uint64_t i = 1; i < n; i++)
        if (strcasecmp(names[i - 1], names[i]) == 0) {
            bad_name(p, names[i], "appears twice");
            return true;
        }
    return false;
}

static bool over_ratio(uint64_t size, uint64_t comp, uint64_t max_ratio)
{
    if (size <= DOC_RATIO_FLOOR)
        return false;
    if (comp == 0)
        return true;
    return size / comp > max_ratio || (size / comp == max_ratio && size % comp);
}

static void bomb(struct pkg *p, const char *what)
{
    doc_report_problem(p->r, "docx-zip-bomb",
                       "the archive %s; it looks like a zip bomb and is refused", what);
}

/* Checks every entry's name, method and declared sizes. */
bool doc_zip_directory_ok(struct pkg *p, uint64_t n)
{
    const char **names = xcalloc(n ? (size_t)n : 1, sizeof *names);
    uint64_t total = 0;
    bool ok = true, sizes_ok = true;
    for (uint64_t i = 0; i < n && ok; i++) {
        zip_stat_t st;
        if (zip_stat_index(p->z, i, ZIP_FL_ENC_RAW, &st) < 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) {
            doc_report_problem(p->r, "docx-damaged", "the archive's directory is damaged");
            ok = false;
            break;
        }
        names[i] = st.name;
        active_name(p, st.name);
        const char *why = name_problem(st.name);
        if (why) {
            bad_name(p, st.name, why);
            ok = false;
        } else if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
            doc_report_problem(p->r, "docx-damaged",
                               "the archive's entries are encrypted; upload the document "
                               "without a password");
            ok = false;
        } else if (sizes_ok && over_ratio(st.size, st.comp_size, p->caps->max_ratio)) {
            char what[300], esc[120];
            doc_escape(st.name, strlen(st.name), esc, sizeof esc);
            snprintf(what, sizeof what,
                     "holds an entry \"%s\" that declares %llu bytes packed into %llu", esc,
                     (unsigned long long)st.size, (unsigned long long)st.comp_size);
            bomb(p, what);
            sizes_ok = false;
        } else if (sizes_ok && (st.size > p->caps->max_uncompressed ||
                                total + st.size > p->caps->max_uncompressed)) {
            char what[160];
            snprintf(what, sizeof what, "declares more than %llu bytes when unpacked",
                     (unsigned long long)p->caps->max_uncompressed);
            bomb(p, what);
            sizes_ok = false;
        }
        total += st.size; /* no overflow: each term was at most the cap */
    }
    if (ok && duplicate_names(p, names, n))
        ok = false;
    free(names);
    return ok && sizes_ok;
}

/* ---- decompressing: a capped stream into the XML reader ---- */

struct part {
    struct pkg *p;
    zip_file_t *f;
    const char *name;
    uint64_t declared, comp, produced;
    bool bomb, damaged;
    char zerr[160];
};

static int part_read(void *ctx, char *buf, int len)
{
    struct part *pt = ctx;
    if (pt->bomb || pt->damaged)
        return -1;
    zip_int64_t got = zip_fread(pt->f, buf, (zip_uint64_t)(len > 0 ? len : 0));
    if (got < 0) {
        pt->damaged = true;
        snprintf(pt->zerr, sizeof pt->zerr, "%s", zip_file_strerror(pt->f));
        return -1;
    }
    pt->produced += (uint64_t)got;
    pt->p->produced += (uint64_t)got;
    const struct doc_caps *c = pt->p->caps;
    if (pt->produced > pt->declared || over_ratio(pt->produced, pt->comp, c->max_ratio) ||
        pt->p->produced > c->max_uncompressed) {
        pt->bomb = true;
        return -1;
    }
    return (int)got;
}

zip_int64_t doc_zip_locate(struct pkg *p, const char *name)
{
    return zip_name_locate(p->z, name, ZIP_FL_NOCASE | ZIP_FL_ENC_RAW);
}

/* Streams the named part through visit. 0 when read to its end; -1 with
 * the problem reported (missing part, bomb, damage, bad XML). */
int doc_zip_read_part(struct pkg *p, const char *name, part_visit visit, void *arg)
{
    zip_int64_t idx = doc_zip_locate(p, name);
    zip_stat_t st;
    if (idx < 0 || zip_stat_index(p->z, (zip_uint64_t)idx, 0, &st) < 0) {
        doc_report_problem(p->r, "docx-missing-part",
                           "the document has no part %s, which every DOCX has; save it again "
                           "as a Word document (.docx)",
                           name);
        return -1;
    }
    struct part pt = {.p = p, .name = name, .declared = st.size, .comp = st.comp_size};
    pt.f = zip_fopen_index(p->z, (zip_uint64_t)idx, 0);
    if (!pt.f) {
        zip_error_t *ze = zip_get_error(p->z);
        doc_report_problem(p->r, "docx-damaged", "the part %s cannot be unpacked (%s)", name,
                           zip_error_strerror(ze));
        return -1;
    }
    struct docxml x;
    int rc = docxml_open_io(&x, part_read, &pt, name);
    if (rc == 0) {
        while ((rc = docxml_next(&x)) == 1)
            if (visit && visit(&x, arg) < 0)
                break;
    }
    /* a problem the visitor reported ends the part too (rc == 1 after break) */
    if (pt.bomb) {
        char what[200];
        snprintf(what, sizeof what, "expands %s to more bytes than it declares or the limits allow",
                 name);
        bomb(p, what);
        rc = -1;
    } else if (pt.damaged) {
        doc_report_problem(p->r, "docx-damaged", "the part %s is damaged (%s)", name, pt.zerr);
        rc = -1;
    } else if (rc < 0) {
        doc_report_problem(p->r, "docx-bad-xml", "the part %s is not acceptable XML: %s", name,
                           x.msg[0] ? x.msg : "it cannot be read");
    } else if (rc == 1) {
        rc = -1;
    }
    docxml_close(&x);
    zip_fclose(pt.f);
    return rc;
}

/* ---- the package's structure ---- */

struct types {
    struct pkg *p;
    char *xml_default; /* content type of Default Extension="xml" */
    char *main_part;   /* PartName of the first Override with a WordprocessingML main type */
    char *other_main;  /* the first other "*.main+xml" content type seen */
};

static int visit_types(struct docxml *x, void *arg)
{
    struct types *t = arg;
    if (docxml_is(x, NS_CT, "Default")) {
        char *ext = docxml_attr(x, "Extension"), *ct = docxml_attr(x, "ContentType");
        if (ext && ct && strcasecmp(ext, "xml") == 0 && !t->xml_default)
            t->xml_default = xstrdup(ct);
        if (ct)
            active_type(t->p, ct);
        xmlFree(ext), xmlFree(ct);
    } else if (docxml_is(x, NS_CT, "Override")) {
        char *part = docxml_attr(x, "PartName"), *ct = docxml_attr(x, "ContentType");
        if (ct)
            active_type(t->p, ct);
        if (part && ct) {
            if (strcmp(ct, DOCX_MAIN) == 0 && !t->main_part)
                t->main_part = xstrdup(part);
            else if (!t->other_main && strlen(ct) > 9 &&
                     strcmp(ct + strlen(ct) - 9, ".main+xml") == 0)
                t->other_main = xstrdup(ct);
        }
        xmlFree(part), xmlFree(ct);
    }
    return 0;
}

static void types_free(struct types *t)
{
    free(t->xml_default), free(t->main_part), free(t->other_main);
}

/* What a package with another main content type is, for the clerk (a
 * macro-enabled one is docx-macros, found with the content types). */
static const char *other_kind(const char *ct)
{
    static const struct {
        const char *key, *what;
    } kinds[] = {
        {"spreadsheetml", "a spreadsheet (XLSX)"},
        {"presentationml", "a presentation (PPTX)"},
        {"ms-excel", "a spreadsheet (XLSX)"},
        {"ms-powerpoint", "a presentation (PPTX)"},
        {"wordprocessingml.template", "a Word template (DOTX)"},
    };
    for (size_t i = 0; ct && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strstr(ct, kinds[i].key))
            return kinds[i].what;
    return "an Office Open XML package but not a Word document";
}

struct rels {
    char *target; /* the officeDocument relationship's target */
    bool external;
};

static int visit_rels(struct docxml *x, void *arg)
{
    struct rels *rl = arg;
    if (rl->target || !docxml_is(x, NS_RELS, "Relationship"))
        return 0;
    char *type = docxml_attr(x, "Type");
    if (type && (strcmp(type, REL_DOC) == 0 || strcmp(type, REL_DOC_STRICT) == 0)) {
        char *target = docxml_attr(x, "Target"), *mode = docxml_attr(x, "TargetMode");
        rl->target = xstrdup(target ? target : "");
        rl->external = mode && strcmp(mode, "External") == 0;
        xmlFree(target), xmlFree(mode);
    }
    xmlFree(type);
    return 0;
}

static int visit_any_rels(struct docxml *x, void *arg)
{
    struct pkg *p = arg;
    if (!docxml_is(x, NS_RELS, "Relationship"))
        return 0;
    char *type = docxml_attr(x, "Type"), *target = docxml_attr(x, "Target"),
         *mode = docxml_attr(x, "TargetMode");
    active_relationship(p, type ? type : "", target ? target : "",
                        mode && strcmp(mode, "External") == 0);
    xmlFree(type), xmlFree(target), xmlFree(mode);
    return 0;
}

/* Reads every relationships part (*.rels) for active content; -1 when
 * one cannot be read (its problem reported). */
static int read_all_rels(struct pkg *p)
{
    zip_int64_t n = zip_get_num_entries(p->z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(p->z, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (name && ends_with(name, ".rels") && doc_zip_read_part(p, name, visit_any_rels, p) < 0)
            return -1;
    }
    return 0;
}

/* ---- the main document's text ---- */

struct text {
    struct buf out;
    size_t max;
    bool full, root_seen, paragraph_seen;
    struct pkg *p;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->full)
        return;
    size_t room = t->max - t->out.len;
    if (n > room) {
        n = doc_utf8_cut(s, n, room);
        t->full = true;
    }
    if (n && buf_append(&t->out, s, n) < 0)
        t->full = true;
}

static bool is_w(struct docxml *x, const char *local)
{
    return docxml_is(x, NS_W, local) || docxml_is(x, NS_W_STRICT, local);
}

static int visit_document(struct docxml *x, void *arg)
{
    struct text *t = arg;
    int type = xmlTextReaderNodeType(x->r);
    if (!t->root_seen && type == XML_READER_TYPE_ELEMENT) {
        t->root_seen = true;
        if (!is_w(x, "document")) {
            doc_report_problem(t->p->r, "docx-bad-xml",
                               "the main part is not a WordprocessingML document (its root "
                               "element is not w:document)");
            return -1;
        }
        return 0;
    }
    if (is_w(x, "p")) {
        if (t->paragraph_seen)
            text_add(t, "\n", 1);
        t->paragraph_seen = true;
    } else if (is_w(x, "t")) {
        if (!xmlTextReaderIsEmptyElement(x->r)) {
            xmlChar *s = xmlTextReaderReadString(x->r);
            if (s)
                text_add(t, (const char *)s, strlen((const char *)s));
            xmlFree(s);
        }
    } else if (is_w(x, "tab")) {
        text_add(t, "\t", 1);
    } else if (is_w(x, "br") || is_w(x, "cr")) {
        text_add(t, "\n", 1);
    }
    return 0;
}

/* The zip entry name of a relationship target of the package root. */
static char *target_entry(const char *target)
{
    while (*target == '/')
        target++;
    return xstrdup(target);
}

/* Finds the main part and checks its declared content type. */
static char *main_part(struct pkg *p)
{
    struct types t = {.p = p};
    char *entry = NULL;
    if (doc_zip_read_part(p, "[Content_Types].xml", visit_types, &t) < 0)
        goto out;
    if (p->active & (1u << A_MACROS) && !t.main_part)
        goto out; /* a macro-enabled document (DOCM): said so already */
    if (!t.main_part && !(t.xml_default && strcmp(t.xml_default, DOCX_MAIN) == 0)) {
        p->r->format = DOC_FORMAT_NONE;
        doc_report_problem(p->r, "not-docx",
                           "the file is %s, not a Word document; save it as a Word "
                           "document (.docx)",
                           other_kind(t.other_main));
        goto out;
    }
    struct rels rl = {0};
    if (doc_zip_read_part(p, "_rels/.rels", visit_rels, &rl) < 0)
        goto out;
    if (!rl.target || rl.external || !*rl.target) {
        doc_report_problem(p->r, "docx-missing-part",
                           "the package does not say which part is its document (_rels/.rels "
                           "has no officeDocument relationship); save it again as .docx");
        free(rl.target);
        goto out;
    }
    entry = target_entry(rl.target);
    free(rl.target);
    char esc[160];
    doc_escape(entry, strlen(entry), esc, sizeof esc);
    const char *why = name_problem(entry);
    bool declared = t.main_part
                        ? strcasecmp(t.main_part + (t.main_part[0] == '/'), entry) == 0
                        : strlen(entry) > 4 && strcasecmp(entry + strlen(entry) - 4, ".xml") == 0;
    if (why || !declared) {
        doc_report_problem(p->r, "docx-missing-part",
                           "the package's document part \"%s\" %s; save it again as .docx", esc,
                           why ? why : "is not declared as a Word document in [Content_Types].xml");
        free(entry);
        entry = NULL;
    }
out:
    types_free(&t);
    return entry;
}

/* Says what a zip without [Content_Types].xml is, from its mimetype entry
 * (OpenDocument files start with one). */
static void not_ooxml(struct pkg *p)
{
    p->r->format = DOC_FORMAT_NONE;
    const char *what = "a zip archive";
    zip_int64_t idx = doc_zip_locate(p, "mimetype");
    zip_stat_t st;
    if (idx >= 0 && zip_stat_index(p->z, (zip_uint64_t)idx, 0, &st) == 0 && st.size < 100) {
        zip_file_t *f = zip_fopen_index(p->z, (zip_uint64_t)idx, 0);
        char mt[100] = "";
        zip_int64_t n = f ? zip_fread(f, mt, sizeof mt - 1) : -1;
        if (n > 0) {
            mt[n] = 0;
            if (strcmp(mt, "application/vnd.oasis.opendocument.text") == 0)
                what = "an OpenDocument text (.odt)";
            else if (strncmp(mt, "application/vnd.oasis.opendocument.", 35) == 0)
                what = "an OpenDocument file";
        }
        if (f)
            zip_fclose(f);
    }
    doc_report_problem(p->r, "not-docx",
                       "the file is %s, not a Word document; save it as a Word document (.docx)",
                       what);
}

void doc_inspect_zip(const char *path, const struct doc_caps *caps, struct doc_report *r)
{
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        doc_report_problem(r, "docx-damaged",
                           "the file looks like a DOCX (zip) archive but is damaged or "
                           "truncated (%s); upload it again",
                           zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return;
    }
    struct pkg p = {.z = z, .caps = caps, .r = r};
    /* a DOCX candidate by its directory alone: nothing is unpacked before
     * the checks below */
    bool ooxml = doc_zip_locate(&p, "[Content_Types].xml") >= 0;
    if (ooxml)
        r->format = DOC_FORMAT_DOCX;
    zip_int64_t n = zip_get_num_entries(z, 0);
    if (n < 0 || (uint64_t)n > caps->max_entries) {
        doc_report_problem(r, "docx-too-many-entries",
                           "the archive holds %lld entries, more than the %llu a document may "
                           "have",
                           (long long)n, (unsigned long long)caps->max_entries);
        goto out;
    }
    if (!doc_zip_directory_ok(&p, (uint64_t)n))
        goto out;
    if (!ooxml) {
        not_ooxml(&p);
        goto out;
    }
    char *entry = main_part(&p);
    if (!entry)
        goto out;
    if (read_all_rels(&p) < 0) {
        free(entry);
        goto out;
    }
    struct text t = {.max = caps->max_text, .p = &p};
    buf_init(&t.out, 0); /* text_add keeps it within max_text */
    if (doc_zip_read_part(&p, entry, visit_document, &t) == 0 && !t.root_seen)
        doc_report_problem(r, "docx-bad-xml", "the document part %s is empty", entry);
    free(entry);
    if (json_array_size(r->problems) == 0)
        r->text = buf_steal(&t.out, &r->text_len);
    buf_free(&t.out);
out:
    zip_discard(z);
}
