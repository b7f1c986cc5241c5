/* docs/extract: the inspector and pdftotext run in child processes with
 * limits, so that a file that crashes or exhausts them is refused while the
 * server goes on. */
#include "docs/internal.h"
#include "docs/subproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A path that a program's option parser cannot take for an option. */
static const char *safe_path(const char *path, char *buf, size_t cap)
{
    if (path[0] != '-')
        return path;
    snprintf(buf, cap, "./%s", path);
    return buf;
}

static void refuse(struct doc_report *out, const char *why)
{
    doc_report_free(out);
    out->problems = json_array();
    doc_report_problem(out, "inspection-failed",
                       "the document could not be inspected (%s); it is refused, check the file "
                       "and upload it again",
                       why);
}

int doc_inspect_isolated(const char *self_exe, const char *path, const struct doc_caps *caps,
                         struct doc_report *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->pages = -1;
    struct doc_caps c;
    if (caps)
        c = *caps;
    else
        doc_caps_defaults(&c);
    char n1[24], n2[24], n3[24], n4[24];
    snprintf(n1, sizeof n1, "%llu", (unsigned long long)c.max_entries);
    snprintf(n2, sizeof n2, "%llu", (unsigned long long)c.max_uncompressed);
    snprintf(n3, sizeof n3, "%llu", (unsigned long long)c.max_ratio);
    snprintf(n4, sizeof n4, "%zu", c.max_text);
    char *argv[] = {(char *)self_exe,
                    "inspect-document",
                    "--max-entries",
                    n1,
                    "--max-uncompressed",
                    n2,
                    "--max-ratio",
                    n3,
                    "--max-text",
                    n4,
                    "--",
                    (char *)path,
                    NULL};
    /* JSON escapes make text at most 6 times longer (\u00XX); the rest of
     * the report is small */
    size_t max_out =
        c.max_text > (SIZE_MAX - (1 << 20)) / 6 ? SIZE_MAX / 2 : c.max_text * 6 + (1 << 20);
    struct subproc_limits lim = {
        .cpu_s = DOC_CHILD_CPU_S,
        .mem_bytes = subproc_self_sanitized() ? 0 : DOC_CHILD_MEM,
        .wall_ms = DOC_CHILD_WALL_MS,
        .max_out = max_out,
    };
    char *json = NULL;
    size_t len = 0;
    struct err ce = ERR_INIT;
    if (subproc_run(argv, &lim, &json, &len, &ce) < 0) {
        if (ce.status == 500) {
            *e = ce;
            return -1;
        }
        refuse(out, ce.detail);
        return 0;
    }
    json_error_t jerr;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    free(json);
    if (!j) {
        refuse(out, "the inspecting program gave no valid report");
        return 0;
    }
    if (doc_report_from_json(j, out, &ce) < 0)
        refuse(out, ce.detail);
    json_decref(j);
    return 0;
}

int doc_pdf_text(const char *pdftotext, const char *path, size_t max_text, char **text, size_t *len,
                 struct err *e)
{
    char pbuf[4096];
    char *argv[] = {(char *)pdftotext,
                    "-enc",
                    "UTF-8",
                    "-q",
                    (char *)safe_path(path, pbuf, sizeof pbuf),
                    "-",
                    NULL};
    struct subproc_limits lim = {
        .cpu_s = DOC_CHILD_CPU_S,
        .mem_bytes = DOC_CHILD_MEM,
        .wall_ms = DOC_CHILD_WALL_MS,
        .max_out = max_text,
        .cut_out = true,
    };
    if (subproc_run(argv, &lim, text, len, e) < 0)
        return -1;
    doc_utf8_clean(*text, len);
    return 0;
}
