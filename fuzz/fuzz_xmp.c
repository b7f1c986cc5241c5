/* libFuzzer target: the PDF/A identification and the properties compared
 * with /Info in XMP metadata (attribute and element forms, any namespace
 * prefix, rdf:Alt and rdf:Seq items), on libxml2's reader with DOCTYPEs
 * refused; and the comparison of a PDF date with an XMP date on the input
 * cut at its first NUL. REQ: DOC-01 */
#include "docs/inspect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int part = -1;
    char conf = 'x';
    int rc = doc_xmp_pdfa((const char *)data, size, &part, &conf);
    if (part < 0 || part > 99)
        __builtin_trap();
    if (conf != 0 && conf != '?' && !(conf >= 'A' && conf <= 'Z'))
        __builtin_trap();
    if (rc < 0 && (part != 0 || conf != 0))
        __builtin_trap(); /* a refused packet declares nothing */
    struct doc_xmp x;
    int rc2 = doc_xmp_read((const char *)data, size, &x);
    if (rc2 != rc || x.part != part || x.conformance != conf)
        __builtin_trap();
    if (rc2 < 0 && (x.title || x.creator || x.producer || x.create_date))
        __builtin_trap();
    doc_xmp_free(&x);
    if (size < 256) {
        char buf[257];
        memcpy(buf, data, size);
        buf[size] = 0;
        const char *second = buf + strlen(buf) + (strlen(buf) < size);
        bool agree = doc_dates_agree(buf, second);
        if (agree && (!*buf || !*second))
            __builtin_trap(); /* an empty string is never a date */
    }
    return 0;
}
