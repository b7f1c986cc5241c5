/* docs/sheet: CSV and XLSX files as rows of text cells (see sheet.h). */
#include "docs/sheet.h"

#include "docs/internal.h"
#include "util/buf.h"
#include "util/text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rows being built --------------------------------------------------------------- */

struct build {
    struct arena *ar;
    struct sheet *s;
    size_t cap_rows;
    char **cells; /* the current row's (malloc'd array, arena strings) */
    size_t n_cells, cap_cells;
    struct err *e;
};

enum too_big { TOO_MANY_COLS, TOO_LONG_CELL, TOO_MANY_ROWS };

static int too_big(struct build *b, long line, enum too_big what)
{
    if (what == TOO_MANY_COLS)
        err_set(b->e, 400, "bad-file", "file", "row %ld: more columns than a sheet may have (256)",
                line);
    else if (what == TOO_LONG_CELL)
        err_set(b->e, 400, "bad-file", "file", "row %ld: a cell longer than 32768 bytes", line);
    else
        err_set(b->e, 400, "bad-file", "file", "row %ld: more rows than an import takes (100000)",
                line);
    return -1;
}

/* Sets cell col of the current row (columns before it stay empty). */
static int put_cell(struct build *b, size_t col, const char *text, size_t len, long line)
{
    if (col >= SHEET_MAX_COLS)
        return too_big(b, line, TOO_MANY_COLS);
    if (len > SHEET_MAX_CELL)
        return too_big(b, line, TOO_LONG_CELL);
    if (col >= b->cap_cells) {
        size_t cap = b->cap_cells ? b->cap_cells * 2 : 16;
        while (cap <= col)
            cap *= 2;
        b->cells = xrealloc(b->cells, cap * sizeof *b->cells);
        b->cap_cells = cap;
    }
    while (b->n_cells <= col)
        b->cells[b->n_cells++] = "";
    b->cells[col] = arena_strndup(b->ar, text, len);
    return 0;
}

/* Ends the current row: kept unless all its cells are blank. */
static int end_row(struct build *b, long line)
{
    bool blank = true;
    for (size_t i = 0; i < b->n_cells && blank; i++)
        for (const char *c = b->cells[i]; *c && blank; c++)
            blank = *c == ' ' || *c == '\t' || *c == '\r' || *c == '\n';
    if (!blank) {
        if (b->s->n_rows >= SHEET_MAX_ROWS)
            return too_big(b, line, TOO_MANY_ROWS);
        if (b->s->n_rows == b->cap_rows) {
            size_t cap = b->cap_rows ? b->cap_rows * 2 : 64;
            struct sheet_row *rows = arena_alloc(b->ar, cap * sizeof *rows);
            if (b->s->n_rows)
                memcpy(rows, b->s->row, b->s->n_rows * sizeof *rows);
            b->s->row = rows;
            b->cap_rows = cap;
        }
        struct sheet_row *r = &b->s->row[b->s->n_rows++];
        r->line = line;
        r->n = b->n_cells;
        r->cell = arena_alloc(b->ar, (b->n_cells + 1) * sizeof *r->cell);
        if (b->n_cells)
            memcpy(r->cell, b->cells, b->n_cells * sizeof *r->cell);
    }
    b->n_cells = 0;
    return 0;
}

/* ---- CSV (RFC 4180) ------------------------------------------------------------------ */

/* The separator the first record uses most outside quotes: ',' on a tie
 * or when it has none. */
static char csv_separator(const char *p, const char *end)
{
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (; p < end; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && (*p == '\n' || *p == '\r'))
            break;
        else if (!quoted)
            comma += *p == ',', semi += *p == ';', tab += *p == '\t';
    }
    if (semi > comma && semi >= tab)
        return ';';
    if (tab > comma && tab > semi)
        return '\t';
    return ',';
}

int sheet_read_csv(struct arena *ar, const char *data, size_t n, struct sheet *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->format = "csv";
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        data += 3, n -= 3;
    if (!utf8_valid(data, n) || memchr(data, '\0', n)) {
        err_set(e, 415, "unsupported-media-type", "file",
                "the file is neither an XLSX workbook nor CSV text in UTF-8");
        return -1;
    }
    const char *p = data, *end = data + n;
    char sep = csv_separator(p, end);
    struct build b = {.ar = ar, .s = out, .e = e};
    struct buf cell;
    buf_init(&cell, SHEET_MAX_CELL + 1);
    long line = 1, row_line = 1;
    size_t col = 0;
    int rc = 0;
    while (p < end && rc == 0) {
        /* one field */
        buf_reset(&cell);
        if (*p == '"') {
            long open_line = line;
            p++;
            for (;;) {
                if (p >= end) {
                    err_set(e, 400, "bad-file", "file", "line %ld: a quoted field is not closed",
                            open_line);
                    rc = -1;
                    break;
                }
                if (*p == '"' && p + 1 < end && p[1] == '"') {
                    buf_putc(&cell, '"');
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    line += *p == '\n';
                    buf_putc(&cell, *p++);
                }
            }
            /* text after the closing quote belongs to the field */
            while (rc == 0 && p < end && *p != sep && *p != '\n' && *p != '\r')
                buf_putc(&cell, *p++);
        } else {
            while (p < end && *p != sep && *p != '\n' && *p != '\r')
                buf_putc(&cell, *p++);
        }
        if (rc)
            break;
        if (cell.full) {
            rc = too_big(&b, row_line, TOO_LONG_CELL);
            break;
        }
        rc = put_cell(&b, col++, cell.p ? cell.p : "", cell.len, row_line);
        if (rc)
            break;
        if (p < end && *p == sep) {
            p++;
            if (p == end)
                rc = put_cell(&b, col++, "", 0, row_line);
            continue;
        }
        /* the end of a record */
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        rc = end_row(&b, row_line);
        line++;
        row_line = line;
        col = 0;
    }
    if (rc == 0 && b.n_cells)
        rc = end_row(&b, row_line);
    buf_free(&cell);
    free(b.cells);
    return rc;
}

/* ---- XLSX ---------------------------------------------------------------------------- */

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_MAIN_STRICT "http://purl.oclc.org/ooxml/spreadsheetml/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define SHEET_MAX_STRINGS 1000000

static bool is_s(struct docxml *x, const char *local)
{
    return docxml_is(x, NS_MAIN, local) || docxml_is(x, NS_MAIN_STRICT, local);
}

static bool end_of(struct docxml *x, const char *local)
{
    return xmlTextReaderNodeType(x->r) == XML_READER_TYPE_END_ELEMENT &&
           strcmp(docxml_name(x), local) == 0;
}

/* The text of the current node when it is text (or whitespace kept). */
static const char *node_text(struct docxml *x)
{
    int t = xmlTextReaderNodeType(x->r);
    if (t != XML_READER_TYPE_TEXT && t != XML_READER_TYPE_SIGNIFICANT_WHITESPACE &&
        t != XML_READER_TYPE_CDATA)
        return NULL;
    return (const char *)xmlTextReaderConstValue(x->r);
}

/* xl/workbook.xml: the first sheet's relationship id. */
struct wb {
    char *rid;
};

static int visit_workbook(struct docxml *x, void *arg)
{
    struct wb *w = arg;
    if (!w->rid && is_s(x, "sheet")) {
        char *id = (char *)xmlTextReaderGetAttributeNs(x->r, BAD_CAST "id", BAD_CAST NS_R);
        if (!id)
            id = docxml_attr(x, "r:id");
        if (id) {
            w->rid = xstrdup(id);
            xmlFree(id);
        }
    }
    return 0;
}

/* xl/_rels/workbook.xml.rels: the target of that id. */
struct wbrels {
    const char *rid;
    char *target;
};

static int visit_wbrels(struct docxml *x, void *arg)
{
    struct wbrels *w = arg;
    if (w->target || xmlTextReaderNodeType(x->r) != XML_READER_TYPE_ELEMENT ||
        strcmp(docxml_name(x), "Relationship") != 0)
        return 0;
    char *id = docxml_attr(x, "Id"), *target = docxml_attr(x, "Target");
    if (id && target && strcmp(id, w->rid) == 0)
        w->target = xstrdup(target);
    if (id)
        xmlFree(id);
    if (target)
        xmlFree(target);
    return 0;
}

/* xl/sharedStrings.xml: each <si>'s text (its <t>s, rich runs joined;
 * phonetic runs <rPh> left out). */
struct strings {
    struct arena *ar;
    char **v;
    size_t n, cap;
    struct buf cur;
    bool in_si, in_t, in_rph, over;
};

static int visit_strings(struct docxml *x, void *arg)
{
    struct strings *s = arg;
    int t = xmlTextReaderNodeType(x->r);
    if (is_s(x, "si")) {
        s->in_si = true;
        buf_reset(&s->cur);
        if (xmlTextReaderIsEmptyElement(x->r))
            goto end_si;
    } else if (is_s(x, "rPh")) {
        s->in_rph = !xmlTextReaderIsEmptyElement(x->r);
    } else if (is_s(x, "t")) {
        s->in_t = !xmlTextReaderIsEmptyElement(x->r);
    } else if (end_of(x, "rPh")) {
        s->in_rph = false;
    } else if (end_of(x, "t")) {
        s->in_t = false;
    } else if (s->in_si && s->in_t && !s->in_rph && node_text(x)) {
        buf_puts(&s->cur, node_text(x));
    } else if (t == XML_READER_TYPE_END_ELEMENT && strcmp(docxml_name(x), "si") == 0) {
        goto end_si;
    }
    return 0;
end_si:
    s->in_si = false;
    if (s->n >= SHEET_MAX_STRINGS || s->cur.full) {
        s->over = true;
        return -1;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = arena_strndup(s->ar, s->cur.p ? s->cur.p : "", s->cur.len);
    return 0;
}

/* The worksheet's cells. */
struct cells {
    struct build *b;
    const struct strings *ss;
    long row_no;   /* the current <row>'s number */
    long next_row; /* the number a <row> without r gets */
    size_t next_col;
    size_t col;
    char type[16];
    bool in_row, in_c, in_v, in_is_t;
    struct buf val;
    int rc;
    bool bad_ref;
};

/* "BC12" → column 54 (0-based), or -1. */
static long column_of(const char *ref)
{
    long col = 0;
    size_t i = 0;
    for (; ref[i] >= 'A' && ref[i] <= 'Z'; i++) {
        col = col * 26 + (ref[i] - 'A' + 1);
        if (col > SHEET_MAX_COLS)
            return SHEET_MAX_COLS;
    }
    return i ? col - 1 : -1;
}

static int cell_end(struct cells *c)
{
    const char *v = c->val.p ? c->val.p : "";
    size_t len = c->val.len;
    if (c->val.full)
        return too_big(c->b, c->row_no, TOO_LONG_CELL);
    if (strcmp(c->type, "s") == 0) {
        char *end = NULL;
        unsigned long i = strtoul(v, &end, 10);
        if (!*v || *end || i >= c->ss->n) {
            err_set(c->b->e, 400, "bad-file", "file",
                    "row %ld: a cell names a shared string the workbook does not have", c->row_no);
            return -1;
        }
        v = c->ss->v[i];
        len = strlen(v);
    } else if (strcmp(c->type, "b") == 0) {
        v = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
        len = strlen(v);
    } else if (strcmp(c->type, "e") == 0) {
        v = "", len = 0; /* an error value (#N/A…) is no value */
    }
    char *clean = arena_strndup(c->b->ar, v, len);
    doc_utf8_clean(clean, &len);
    return put_cell(c->b, c->col, clean, len, c->row_no);
}

static void cell_begin(struct cells *c, struct docxml *x)
{
    char *ref = docxml_attr(x, "r"), *t = docxml_attr(x, "t");
    long col = ref ? column_of(ref) : -1;
    c->col = col >= 0 ? (size_t)col : c->next_col;
    c->next_col = c->col + 1;
    snprintf(c->type, sizeof c->type, "%s", t ? t : "n");
    if (ref)
        xmlFree(ref);
    if (t)
        xmlFree(t);
    buf_reset(&c->val);
    c->in_c = !xmlTextReaderIsEmptyElement(x->r);
}

static int visit_sheet(struct docxml *x, void *arg)
{
    struct cells *c = arg;
    if (is_s(x, "row")) {
        char *r = docxml_attr(x, "r");
        char *end = NULL;
        long no = r ? strtol(r, &end, 10) : c->next_row;
        if (r && (*end || no < 1 || no > 1048576))
            no = c->next_row;
        if (r)
            xmlFree(r);
        c->row_no = no;
        c->next_row = no + 1;
        c->next_col = 0;
        c->in_row = !xmlTextReaderIsEmptyElement(x->r);
    } else if (c->in_row && is_s(x, "c")) {
        cell_begin(c, x);
    } else if (c->in_c && (is_s(x, "v") || is_s(x, "t"))) {
        c->in_v = !xmlTextReaderIsEmptyElement(x->r);
    } else if (c->in_v && node_text(x)) {
        buf_puts(&c->val, node_text(x));
    } else if (end_of(x, "v") || end_of(x, "t")) {
        c->in_v = false;
    } else if (c->in_c && end_of(x, "c")) {
        c->in_c = false;
        if (cell_end(c) < 0)
            return c->rc = -1;
    } else if (c->in_row && end_of(x, "row")) {
        c->in_row = false;
        if (end_row(c->b, c->row_no) < 0)
            return c->rc = -1;
    }
    return 0;
}

/* Fails with the inspector's first problem (or `what`) as a 400. */
static int pkg_fail(struct doc_report *r, struct err *e, const char *what)
{
    const char *d = json_string_value(
        json_object_get(json_array_get(r->problems, json_array_size(r->problems) - 1), "detail"));
    err_set(e, 400, "bad-file", "file", "the XLSX workbook cannot be read: %s", d ? d : what);
    return -1;
}

/* "worksheets/sheet1.xml" (relative to xl/) or "/xl/worksheets/…" → an
 * entry name, or NULL when it leaves the package. */
static char *sheet_entry(const char *target)
{
    if (!target || strstr(target, ".."))
        return NULL;
    size_t n = strlen(target) + 8;
    char *s = xmalloc(n);
    if (target[0] == '/')
        snprintf(s, n, "%s", target + 1);
    else
        snprintf(s, n, "xl/%s", target);
    return s;
}

static int read_xlsx(struct pkg *p, struct build *b)
{
    struct err *e = b->e;
    if (doc_zip_locate(p, "xl/workbook.xml") < 0) {
        err_set(e, 415, "unsupported-media-type", "file",
                "the file is a zip package but not an XLSX workbook");
        return -1;
    }
    struct wb wb = {0};
    if (doc_zip_read_part(p, "xl/workbook.xml", visit_workbook, &wb) < 0) {
        free(wb.rid);
        return pkg_fail(p->r, e, "its workbook part");
    }
    struct wbrels rl = {.rid = wb.rid};
    char *entry = NULL;
    if (wb.rid && doc_zip_locate(p, "xl/_rels/workbook.xml.rels") >= 0 &&
        doc_zip_read_part(p, "xl/_rels/workbook.xml.rels", visit_wbrels, &rl) == 0)
        entry = sheet_entry(rl.target);
    free(wb.rid);
    free(rl.target);
    if (!entry || doc_zip_locate(p, entry) < 0) {
        free(entry);
        return pkg_fail(p->r, e, "it names no worksheet it holds");
    }
    struct strings ss = {.ar = b->ar};
    buf_init(&ss.cur, SHEET_MAX_CELL + 1);
    int rc = 0;
    if (doc_zip_locate(p, "xl/sharedStrings.xml") >= 0 &&
        doc_zip_read_part(p, "xl/sharedStrings.xml", visit_strings, &ss) < 0)
        rc = ss.over ? (err_set(e, 400, "bad-file", "file",
                                "the workbook's shared strings exceed the limits"),
                        -1)
                     : pkg_fail(p->r, e, "its shared strings");
    if (rc == 0) {
        struct cells c = {.b = b, .ss = &ss, .next_row = 1};
        buf_init(&c.val, SHEET_MAX_CELL + 1);
        if (doc_zip_read_part(p, entry, visit_sheet, &c) < 0)
            rc = c.rc < 0 ? -1 : pkg_fail(p->r, e, "its worksheet");
        else if (c.rc < 0)
            rc = -1;
        buf_free(&c.val);
    }
    buf_free(&ss.cur);
    free(ss.v);
    free(entry);
    return rc;
}

static int sheet_read_xlsx(struct arena *ar, const char *data, size_t n, struct sheet *out,
                           struct err *e)
{
    memset(out, 0, sizeof *out);
    out->format = "xlsx";
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, n, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    if (!z) {
        err_set(e, 400, "bad-file", "file",
                "the file looks like an XLSX (zip) workbook but is damaged or truncated (%s)",
                zip_error_strerror(&ze));
        if (src)
            zip_source_free(src);
        zip_error_fini(&ze);
        return -1;
    }
    zip_error_fini(&ze);
    struct doc_caps caps;
    doc_caps_defaults(&caps);
    struct doc_report r = {.problems = json_array()};
    struct pkg p = {.z = z, .caps = &caps, .r = &r};
    struct build b = {.ar = ar, .s = out, .e = e};
    int rc;
    zip_int64_t entries = zip_get_num_entries(z, 0);
    if (entries < 0 || (uint64_t)entries > caps.max_entries) {
        err_set(e, 400, "bad-file", "file", "the XLSX workbook holds too many entries");
        rc = -1;
    } else if (!doc_zip_directory_ok(&p, (uint64_t)entries)) {
        rc = pkg_fail(&r, e, "its directory");
    } else {
        rc = read_xlsx(&p, &b);
    }
    free(b.cells);
    doc_report_free(&r);
    zip_discard(z);
    return rc;
}

int sheet_read(struct arena *ar, const char *data, size_t n, struct sheet *out, struct err *e)
{
    if (n >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return sheet_read_xlsx(ar, data, n, out, e);
    return sheet_read_csv(ar, data, n, out, e);
}

/* Would a spreadsheet take the cell for a formula? A leading apostrophe
 * before one (the guard the portal's downloads write) is dropped. */
bool sheet_formula(char **cell)
{
    char *s = *cell;
    if (s[0] == '\'' && s[1] && strchr("=+-@\t\r", s[1])) {
        *cell = s + 1;
        return false;
    }
    if (!s[0] || !strchr("=+-@\t\r", s[0]))
        return false;
    if (s[0] == '+' || s[0] == '-') { /* a signed number or a dash of prose is no formula */
        char *end = NULL;
        (void)strtod(s, &end);
        if (end && end != s && !*end)
            return false;
        if (s[1] == ' ' || s[1] == '-' || s[1] == '\0')
            return false;
    }
    return true;
}
