/* docs/inspect: the report, its JSON form, and the choice of inspector by
 * the file's first bytes. */
#include "docs/internal.h"

#include "util/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void doc_caps_defaults(struct doc_caps *c)
{
    c->max_entries = 2000;
    c->max_uncompressed = (uint64_t)256 << 20;
    c->max_ratio = 200;
    c->max_text = (size_t)2 << 20;
}

const char *doc_format_name(enum doc_format f)
{
    return f == DOC_FORMAT_PDF ? "pdf" : f == DOC_FORMAT_DOCX ? "docx" : "none";
}

static void report_init(struct doc_report *r)
{
    memset(r, 0, sizeof *r);
    r->pages = -1;
    r->problems = json_array();
}

void doc_report_free(struct doc_report *r)
{
    json_decref(r->problems);
    free(r->text);
    memset(r, 0, sizeof *r);
    r->pages = -1;
}

void doc_report_problem(struct doc_report *r, const char *code, const char *fmt, ...)
{
    char raw[512], detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* details quote libraries' messages, which may quote the file: make
     * them valid UTF-8 (JSON needs it) without control characters */
    size_t n = doc_utf8_cut(raw, strlen(raw), sizeof raw - 1), o = 0;
    for (size_t i = 0; i < n && o + 1 < sizeof detail;) {
        unsigned char c = (unsigned char)raw[i];
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (i + len <= n && utf8_valid(raw + i, len) && c >= 0x20 && c != 0x7F) {
            if (o + len >= sizeof detail)
                break;
            memcpy(detail + o, raw + i, len);
            o += len, i += len;
        } else {
            detail[o++] = '?';
            i++;
        }
    }
    detail[o] = 0;
    json_array_append_new(r->problems, json_pack("{s:s, s:s}", "code", code, "detail", detail));
}

/* ---- JSON ---- */

json_t *doc_report_json(const struct doc_report *r)
{
    char conf[2] = {r->pdfa_conformance, 0};
    json_t *text = r->text ? json_stringn(r->text, r->text_len) : json_null();
    return json_pack("{s:s, s:b, s:o, s:b, s:I, s:o, s:o}", "format", doc_format_name(r->format),
                     "pdfa1", r->pdfa1, "pdfa_conformance",
                     r->pdfa_conformance ? json_string(conf) : json_null(), "encrypted",
                     r->encrypted, "pages", (json_int_t)r->pages, "problems",
                     r->problems ? json_deep_copy(r->problems) : json_array(), "text",
                     text ? text : json_string(""));
}

static int bad(struct err *e, const char *field, const char *what)
{
    err_invalid(e, field, "the inspection report's '%s' %s", field, what);
    return -1;
}

static int problems_from_json(const json_t *a, struct doc_report *out, struct err *e)
{
    if (!json_is_array(a))
        return bad(e, "problems", "is not an array");
    size_t i;
    const json_t *p;
    json_array_foreach (a, i, p) {
        const json_t *code = json_object_get(p, "code"), *detail = json_object_get(p, "detail");
        if (!json_is_object(p) || json_object_size(p) != 2 || !json_is_string(code) ||
            !json_is_string(detail) || json_string_length(code) == 0)
            return bad(e, "problems", "holds an item that is not {code, detail}");
        json_array_append_new(out->problems,
                              json_pack("{s:s, s:s}", "code", json_string_value(code), "detail",
                                        json_string_value(detail)));
    }
    return 0;
}

static int format_from_json(const json_t *j, enum doc_format *f)
{
    const char *s = json_string_value(j);
    if (!s)
        return -1;
    if (strcmp(s, "pdf") == 0)
        *f = DOC_FORMAT_PDF;
    else if (strcmp(s, "docx") == 0)
        *f = DOC_FORMAT_DOCX;
    else if (strcmp(s, "none") == 0)
        *f = DOC_FORMAT_NONE;
    else
        return -1;
    return 0;
}

static int scalars_from_json(const json_t *j, struct doc_report *out, struct err *e)
{
    if (format_from_json(json_object_get(j, "format"), &out->format) < 0)
        return bad(e, "format", "is not \"pdf\", \"docx\" or \"none\"");
    const json_t *v = json_object_get(j, "pdfa1");
    if (!json_is_boolean(v))
        return bad(e, "pdfa1", "is not a boolean");
    out->pdfa1 = json_is_true(v);
    v = json_object_get(j, "encrypted");
    if (!json_is_boolean(v))
        return bad(e, "encrypted", "is not a boolean");
    out->encrypted = json_is_true(v);
    v = json_object_get(j, "pages");
    if (!json_is_integer(v) || json_integer_value(v) < -1 || json_integer_value(v) > 100000000)
        return bad(e, "pages", "is not an integer from -1");
    out->pages = (long)json_integer_value(v);
    v = json_object_get(j, "pdfa_conformance");
    const char *c = json_string_value(v);
    if (!json_is_null(v) && !(c && (strcmp(c, "A") == 0 || strcmp(c, "B") == 0)))
        return bad(e, "pdfa_conformance", "is not \"A\", \"B\" or null");
    out->pdfa_conformance = c ? c[0] : 0;
    if (out->pdfa1 != (out->pdfa_conformance != 0))
        return bad(e, "pdfa1", "disagrees with pdfa_conformance");
    return 0;
}

int doc_report_from_json(const json_t *j, struct doc_report *out, struct err *e)
{
    report_init(out);
    static const char *const members[] = {
        "format", "pdfa1", "pdfa_conformance", "encrypted", "pages", "problems", "text"};
    const size_t nm = sizeof members / sizeof members[0];
    if (!json_is_object(j)) {
        err_invalid(e, "", "the inspection report is not a JSON object");
        goto fail;
    }
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)j, key, v) {
        size_t i = 0;
        while (i < nm && strcmp(key, members[i]) != 0)
            i++;
        if (i == nm) {
            char esc[64];
            doc_escape(key, strlen(key), esc, sizeof esc);
            err_invalid(e, "", "the inspection report has an unknown member '%s'", esc);
            goto fail;
        }
    }
    for (size_t i = 0; i < nm; i++)
        if (!json_object_get(j, members[i])) {
            err_invalid(e, members[i], "the inspection report lacks '%s'", members[i]);
            goto fail;
        }
    if (scalars_from_json(j, out, e) < 0 ||
        problems_from_json(json_object_get(j, "problems"), out, e) < 0)
        goto fail;
    v = json_object_get(j, "text");
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        const char *s = json_string_value(v);
        if (memchr(s, 0, n) || !utf8_valid(s, n)) {
            bad(e, "text", "holds a NUL byte");
            goto fail;
        }
        out->text = xmalloc(n + 1);
        memcpy(out->text, s, n + 1);
        out->text_len = n;
    } else if (!json_is_null(v)) {
        bad(e, "text", "is not a string or null");
        goto fail;
    }
    return 0;
fail:
    doc_report_free(out);
    return -1;
}

/* ---- the file ---- */

/* Reads up to n bytes from the start of fd (short only at the end). */
static ssize_t read_head(int fd, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

int doc_inspect_path(const char *path, const struct doc_caps *caps, struct doc_report *out,
                     struct err *e)
{
    report_init(out);
    struct doc_caps defaults;
    if (!caps) {
        doc_caps_defaults(&defaults);
        caps = &defaults;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        err_set(e, 500, "internal-error", "", "cannot open the uploaded file: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        err_set(e, 500, "internal-error", "", "the uploaded file is not a regular file");
        return -1;
    }
    unsigned char head[8];
    ssize_t n = read_head(fd, head, sizeof head);
    int saved = errno;
    close(fd);
    if (n < 0) {
        err_set(e, 500, "internal-error", "", "cannot read the uploaded file: %s", strerror(saved));
        return -1;
    }
    if (n >= 5 && memcmp(head, "%PDF-", 5) == 0) {
        doc_inspect_pdf(path, out);
    } else if (n >= 4 && head[0] == 'P' && head[1] == 'K' &&
               ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
        doc_inspect_zip(path, caps, out);
    } else if (n >= 8 && memcmp(head, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0) {
        /* the compound file of .doc and of password-protected .docx */
        doc_report_problem(out, "unknown-format",
                           "the file is neither a PDF nor a DOCX document (it is an old Word "
                           ".doc or a password-protected Office file); save it as an "
                           "unprotected .docx or as PDF/A-1");
    } else {
        doc_report_problem(out, "unknown-format", "the file is neither a PDF nor a DOCX document");
    }
    return 0;
}
