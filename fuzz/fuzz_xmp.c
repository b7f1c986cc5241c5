/* libFuzzer target: the PDF/A identification in XMP metadata (attribute
 * and element forms, any namespace prefix), on libxml2's reader with
 * DOCTYPEs refused. REQ: DOC-01 */
#include "docs/inspect.h"

#include <stdint.h>

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
    return 0;
}
