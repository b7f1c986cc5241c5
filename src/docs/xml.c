/* docs/xml: libxml2's streaming reader set up for untrusted input. No
 * network (XML_PARSE_NONET), no DTD loading, no entity substitution, no
 * default attributes from a DTD; a DOCTYPE is refused outright, so no
 * entity can be declared; and an external entity loader that loads
 * nothing, in case anything ever asks. Errors are captured, never printed. */
#include "docs/internal.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static xmlParserInputPtr load_nothing(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url, (void)id, (void)ctxt;
    return NULL;
}

static void xml_init_once(void)
{
    xmlInitParser();
    xmlSetExternalEntityLoader(load_nothing);
}

static void on_error(void *arg, xmlErrorPtr err)
{
    struct docxml *x = arg;
    if (!err || err->level < XML_ERR_ERROR || x->msg[0])
        return;
    const char *m = err->message ? err->message : "malformed XML";
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    snprintf(x->msg, sizeof x->msg, "line %d: %.*s", err->line, (int)n, m);
}

static int setup(struct docxml *x)
{
    if (!x->r)
        return -1;
    xmlTextReaderSetStructuredErrorHandler(x->r, on_error, x);
    return 0;
}

static const int xml_options = XML_PARSE_NONET | XML_PARSE_NOCDATA;

int docxml_open_memory(struct docxml *x, const char *buf, size_t n, const char *name)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, xml_init_once);
    memset(x, 0, sizeof *x);
    if (n > (size_t)INT32_MAX)
        return -1;
    x->r = xmlReaderForMemory(buf, (int)n, name, NULL, xml_options);
    return setup(x);
}

static int close_nothing(void *ctx)
{
    (void)ctx;
    return 0;
}

int docxml_open_io(struct docxml *x, xmlInputReadCallback rd, void *ctx, const char *name)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, xml_init_once);
    memset(x, 0, sizeof *x);
    x->r = xmlReaderForIO(rd, close_nothing, ctx, name, NULL, xml_options);
    return setup(x);
}

void docxml_close(struct docxml *x)
{
    if (x->r)
        xmlFreeTextReader(x->r);
    x->r = NULL;
}

int docxml_next(struct docxml *x)
{
    int rc = xmlTextReaderRead(x->r);
    if (rc == 1 && xmlTextReaderNodeType(x->r) == XML_READER_TYPE_DOCUMENT_TYPE) {
        x->doctype = true;
        snprintf(x->msg, sizeof x->msg, "it has a DOCTYPE declaration, which is not allowed");
        return -1;
    }
    /* namespace errors are reported but not fatal to libxml2; they are to us */
    if (rc < 0 || x->msg[0]) {
        if (!x->msg[0])
            snprintf(x->msg, sizeof x->msg, "it is not well-formed XML");
        return -1;
    }
    return rc;
}

const char *docxml_name(const struct docxml *x)
{
    const xmlChar *s = xmlTextReaderConstLocalName(x->r);
    return s ? (const char *)s : "";
}

const char *docxml_ns(const struct docxml *x)
{
    const xmlChar *s = xmlTextReaderConstNamespaceUri(x->r);
    return s ? (const char *)s : "";
}

bool docxml_is(const struct docxml *x, const char *ns, const char *local)
{
    return xmlTextReaderNodeType(x->r) == XML_READER_TYPE_ELEMENT &&
           strcmp(docxml_name(x), local) == 0 && strcmp(docxml_ns(x), ns) == 0;
}

char *docxml_attr(const struct docxml *x, const char *name)
{
    return (char *)xmlTextReaderGetAttribute(x->r, (const xmlChar *)name);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80                    ? 1
                 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                                : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0; /* overlong, surrogate, above U+10FFFF */
    return len;
}

size_t doc_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    /* back off over continuation bytes to the start of the sequence */
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

void doc_utf8_clean(char *s, size_t *n)
{
    unsigned char *p = (unsigned char *)s;
    size_t i = 0;
    while (i < *n) {
        size_t len = utf8_seq(p + i, *n - i);
        if (len) {
            if (p[i] == 0)
                p[i] = ' ';
            i += len;
            continue;
        }
        size_t want = p[i] >= 0xF0 ? 4 : p[i] >= 0xE0 ? 3 : p[i] >= 0xC0 ? 2 : 1;
        if (want > *n - i && p[i] >= 0xC2 && p[i] <= 0xF4) {
            bool prefix = true; /* the start of a sequence that the cut ended */
            for (size_t k = i + 1; k < *n; k++)
                prefix = prefix && (p[k] & 0xC0) == 0x80;
            if (prefix) {
                *n = i;
                break;
            }
        }
        p[i++] = '?';
    }
    s[*n] = 0;
}

void doc_escape(const char *s, size_t n, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(p + i, n - i);
        char piece[8];
        size_t pl;
        if (len == 1 && p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\\' && p[i] != '"' &&
            p[i] != '\'') {
            piece[0] = (char)p[i], pl = 1;
        } else if (len > 1) {
            memcpy(piece, p + i, len), pl = len;
        } else {
            snprintf(piece, sizeof piece, "\\x%02X", p[i]), pl = 4, len = 1;
        }
        if (o + pl + 4 > cap) { /* room for "..." and the NUL */
            if (cap >= 4) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(out + o, piece, pl);
        o += pl;
        i += len;
    }
    if (cap)
        out[o < cap ? o : cap - 1] = 0;
}
