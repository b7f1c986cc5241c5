/* xmlw: a streaming XML writer (see xmlw.h). */
#include "util/xmlw.h"

#include <pthread.h>
#include <string.h>

void xmlw_begin(struct xmlw *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    fputs_unlocked("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", f);
}

/* What each byte becomes: 0 itself; else 1 + the index of its
 * replacement in REPS, in text (TEXT_REP) and in an attribute (ATTR_REP). */
static const char *const REPS[] = {"&amp;", "&lt;", "&gt;", "&#13;", "&quot;", "&#10;", "&#9;",
                                   " "};
static unsigned char TEXT_REP[256], ATTR_REP[256];

static void reps_init(void)
{
    for (unsigned c = 0; c < 0x20; c++)
        TEXT_REP[c] = ATTR_REP[c] = 8; /* a control character XML does not allow */
    TEXT_REP['\n'] = TEXT_REP['\t'] = 0;
    TEXT_REP['&'] = ATTR_REP['&'] = 1;
    TEXT_REP['<'] = ATTR_REP['<'] = 2;
    TEXT_REP['>'] = ATTR_REP['>'] = 3;
    TEXT_REP['\r'] = ATTR_REP['\r'] = 4;
    ATTR_REP['"'] = 5;
    ATTR_REP['\n'] = 6;
    ATTR_REP['\t'] = 7;
}

/* Writes s[0..n) escaped for text (attr false) or a double-quoted
 * attribute; a control character XML does not allow becomes a space. The
 * plain bytes between two to replace are written in one run. */
static void escaped(FILE *f, const char *s, size_t n, bool attr)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, reps_init);
    const unsigned char *rep = attr ? ATTR_REP : TEXT_REP;
    const unsigned char *p = (const unsigned char *)s, *run = p, *end = p + n;
    for (; p < end; p++) {
        if (!rep[*p])
            continue;
        fwrite_unlocked(run, 1, (size_t)(p - run), f);
        fputs_unlocked(REPS[rep[*p] - 1], f);
        run = p + 1;
    }
    fwrite_unlocked(run, 1, (size_t)(end - run), f);
}

static void indent(struct xmlw *w)
{
    static const char spaces[XMLW_MAX_DEPTH + 2] =
        "\n                                                                ";
    fwrite_unlocked(spaces, 1, (size_t)w->depth + 1, w->f);
}

/* Ends the pending start tag of the innermost element. */
static void close_start(struct xmlw *w)
{
    if (w->open)
        putc_unlocked('>', w->f);
    w->open = false;
}

void xmlw_start(struct xmlw *w, const char *name)
{
    if (w->depth >= XMLW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    close_start(w);
    if (w->depth > 0)
        w->nested[w->depth - 1] = true;
    if (w->depth == 0 || !w->texted[w->depth - 1])
        indent(w);
    putc_unlocked('<', w->f);
    fputs_unlocked(name, w->f);
    w->names[w->depth] = name;
    w->nested[w->depth] = w->texted[w->depth] = false;
    w->depth++;
    w->open = true;
}

void xmlw_attr(struct xmlw *w, const char *name, const char *value)
{
    if (!value || !w->open)
        return;
    putc_unlocked(' ', w->f);
    fputs_unlocked(name, w->f);
    fputs_unlocked("=\"", w->f);
    escaped(w->f, value, strlen(value), true);
    putc_unlocked('"', w->f);
}

void xmlw_attr_long(struct xmlw *w, const char *name, long value)
{
    if (w->open)
        fprintf(w->f, " %s=\"%ld\"", name, value);
}

void xmlw_textn(struct xmlw *w, const char *s, size_t n)
{
    if (w->depth == 0)
        return;
    close_start(w);
    w->texted[w->depth - 1] = true;
    escaped(w->f, s, n, false);
}

void xmlw_text(struct xmlw *w, const char *s)
{
    xmlw_textn(w, s, strlen(s));
}

void xmlw_end(struct xmlw *w)
{
    if (w->depth == 0)
        return;
    w->depth--;
    if (w->open) {
        fputs_unlocked("/>", w->f);
        w->open = false;
        return;
    }
    if (w->nested[w->depth] && !w->texted[w->depth])
        indent(w);
    fputs_unlocked("</", w->f);
    fputs_unlocked(w->names[w->depth], w->f);
    putc_unlocked('>', w->f);
}

void xmlw_element(struct xmlw *w, const char *name, const char *s)
{
    xmlw_start(w, name);
    xmlw_text(w, s);
    xmlw_end(w);
}

bool xmlw_finish(struct xmlw *w)
{
    while (w->depth > 0)
        xmlw_end(w);
    putc_unlocked('\n', w->f);
    return !w->failed && !ferror(w->f);
}
