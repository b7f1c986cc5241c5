/* libFuzzer target: the technical-document inspector on any bytes — the
 * format sniffing, qpdf's reading as we drive it (errors, encryption,
 * pages, the /Metadata stream) and the DOCX checks (zip directory, names,
 * sizes, content types, relationships, the text reader). The input is
 * written to a memfd and inspected through its /proc path, as an upload's
 * temporary file is. REQ: DOC-01 */
#include "docs/inspect.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("upload", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    struct doc_caps caps;
    doc_caps_defaults(&caps);
    caps.max_uncompressed = 16 << 20; /* keeps each run fast; the logic is the same */
    caps.max_text = 4096;
    struct doc_report r;
    struct err e = ERR_INIT;
    if (doc_inspect_path(path, &caps, &r, &e) < 0)
        abort(); /* the file is always readable here */
    if (r.text && r.text_len > caps.max_text)
        __builtin_trap();
    if (r.pdfa1 != (r.pdfa_conformance == 'A' || r.pdfa_conformance == 'B'))
        __builtin_trap();
    bool accepted = json_array_size(r.problems) == 0;
    if (accepted && r.format == DOC_FORMAT_NONE)
        __builtin_trap(); /* only a PDF or a DOCX can be without problems */
    /* the report survives its JSON form */
    json_t *j = doc_report_json(&r);
    struct doc_report back;
    if (!j || doc_report_from_json(j, &back, &e) < 0)
        __builtin_trap();
    json_t *again = doc_report_json(&back);
    if (!json_equal(j, again))
        __builtin_trap();
    json_decref(again);
    json_decref(j);
    doc_report_free(&back);
    doc_report_free(&r);
    return 0;
}
