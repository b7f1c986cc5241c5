/* tpl: the template compiler (with its HTML context tracker) and renderer.
 * The rules are in tpl.h. */
#include "web/tpl.h"

#include "util/text.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SRC (1u << 20)  /* bytes of one template */
#define MAX_NEST 32         /* sections open at once in one template */
#define MAX_SCOPES 128      /* scopes at once while rendering */
#define MAX_PARTIAL_DEPTH 16

enum op { OP_TEXT, OP_VAR, OP_RAW, OP_SECTION, OP_INVERT, OP_PARTIAL, OP_TRANS };
enum esc { ESC_HTML, ESC_URL_FULL, ESC_URL_PART };

struct node {
    enum op op;
    enum esc esc;
    char *s;      /* TEXT: the literal; VAR, RAW, sections: the path; PARTIAL: the name */
    size_t len;   /* TEXT: its length */
    char **seg;   /* the path split at dots (none for ".") */
    size_t nseg;
    size_t end;   /* sections: index of the node after the body */
    size_t partial; /* PARTIAL: the template, after tpl_link */
    const char *tr[LANG_N]; /* TRANS */
    int line;
};

struct tpl {
    char *name;
    struct node *nodes;
    size_t n, cap;
};

struct tpl_set {
    struct tpl *t;
    size_t n, cap;
    tpl_static_fn static_url;
    bool linked;
};

/* ---- the HTML context tracker ------------------------------------------------ */

enum hstate {
    H_TEXT,
    H_LT,       /* right after "<" at the end of a literal */
    H_TAGNAME,  /* after "<x" */
    H_TAG,      /* between attributes */
    H_ATTR,     /* in an attribute name */
    H_AFTER_ATTR,
    H_BEFORE_VAL, /* after "=" */
    H_DQ,       /* in a "…" value */
    H_SQ,       /* in a '…' value */
    H_COMMENT,  /* <!-- … --> */
    H_ENDTAG,   /* </x … > */
    H_DECL,     /* <!doctype …> */
    H_SCRIPT,   /* right after <script …>: only </script> may follow */
};

struct hctx {
    enum hstate st;
    char tag[16];
    char attr[24];
    bool has_content; /* the attribute value holds something already */
};

struct cc { /* compile context */
    struct tpl_set *set;
    struct tpl *t;
    const char *src, *p, *end;
    int line;
    struct hctx h;
    size_t barrier; /* literals join only nodes from this index on (not across sections) */
    struct err *e;
};

static int fail(struct cc *c, const char *fmt, const char *what)
{
    char detail[256];
    snprintf(detail, sizeof detail, fmt, what);
    err_set(c->e, 422, "template-invalid", "", "template %s, line %d: %s", c->t->name, c->line,
            detail);
    return -1;
}

static bool is_url_attr(const char *a)
{
    static const char *const url_attrs[] = {"href", "src", "action", "formaction", "poster",
                                            "cite", "background", "longdesc", "usemap",
                                            "manifest", "data", "codebase", "xlink:href",
                                            "srcset", "ping", "icon", NULL};
    for (size_t i = 0; url_attrs[i]; i++)
        if (strcmp(a, url_attrs[i]) == 0)
            return true;
    return false;
}

static void append_lower(char *dst, size_t cap, char ch)
{
    size_t n = strlen(dst);
    if (n + 1 < cap) {
        dst[n] = (char)tolower((unsigned char)ch);
        dst[n + 1] = '\0';
    }
}

static bool name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == ':' || ch == '.';
}

/* An attribute name is complete: refuse what the CSP forbids. */
static int attr_done(struct cc *c)
{
    if (strcmp(c->h.attr, "style") == 0)
        return fail(c, "%s: style attributes break the Content-Security-Policy; use a class",
                    c->h.attr);
    if (strncmp(c->h.attr, "on", 2) == 0)
        return fail(c, "%s: inline event handlers are not allowed; use a script file", c->h.attr);
    if (strcmp(c->h.attr, "srcdoc") == 0)
        return fail(c, "%s: srcdoc is not allowed", c->h.attr);
    return 0;
}

/* A start tag is complete ('>'). */
static int tag_done(struct cc *c)
{
    if (strcmp(c->h.tag, "style") == 0)
        return fail(c, "<%s>: inline styles break the Content-Security-Policy", c->h.tag);
    c->h.st = strcmp(c->h.tag, "script") == 0 ? H_SCRIPT : H_TEXT;
    return 0;
}

/* Follows the literal s[0..n) through the HTML states. */
static int track(struct cc *c, const char *s, size_t n)
{
    struct hctx *h = &c->h;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool space = ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
        switch (h->st) {
        case H_LT:
            h->st = H_TEXT;
            if (ch == '/')
                h->st = H_ENDTAG;
            else if (ch == '!' || ch == '?')
                h->st = H_DECL;
            else if (isalpha((unsigned char)ch)) {
                h->st = H_TAGNAME;
                h->tag[0] = '\0';
                append_lower(h->tag, sizeof h->tag, ch);
            }
            break;
        case H_TEXT:
            if (ch != '<')
                break;
            if (i + 1 >= n) {
                h->st = H_LT; /* what follows decides */
                break;
            }
            if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
                h->st = H_COMMENT;
                i += 3;
            } else if (s[i + 1] == '/') {
                h->st = H_ENDTAG;
                i++;
            } else if (s[i + 1] == '!' || s[i + 1] == '?') {
                h->st = H_DECL;
                i++;
            } else if (isalpha((unsigned char)s[i + 1])) {
                h->st = H_TAGNAME;
                h->tag[0] = '\0';
            }
            break;
        case H_TAGNAME:
            if (isalnum((unsigned char)ch) || ch == '-')
                append_lower(h->tag, sizeof h->tag, ch);
            else if (space || ch == '/')
                h->st = H_TAG;
            else if (ch == '>') {
                if (tag_done(c) < 0)
                    return -1;
            } else
                return fail(c, "unexpected '%s' in a tag name", (char[]){ch, 0});
            break;
        case H_TAG:
        case H_AFTER_ATTR:
            if (space || ch == '/')
                break;
            if (ch == '>') {
                if (tag_done(c) < 0)
                    return -1;
            } else if (ch == '=' && h->st == H_AFTER_ATTR) {
                h->st = H_BEFORE_VAL;
            } else if (isalpha((unsigned char)ch)) {
                h->st = H_ATTR;
                h->attr[0] = '\0';
                append_lower(h->attr, sizeof h->attr, ch);
            } else
                return fail(c, "unexpected '%s' between attributes", (char[]){ch, 0});
            break;
        case H_ATTR:
            if (name_char(ch)) {
                append_lower(h->attr, sizeof h->attr, ch);
                break;
            }
            if (attr_done(c) < 0)
                return -1;
            if (ch == '=')
                h->st = H_BEFORE_VAL;
            else if (space || ch == '/')
                h->st = H_AFTER_ATTR;
            else if (ch == '>') {
                if (tag_done(c) < 0)
                    return -1;
            } else
                return fail(c, "unexpected '%s' in an attribute name", (char[]){ch, 0});
            break;
        case H_BEFORE_VAL:
            if (space)
                break;
            if (ch == '"' || ch == '\'') {
                h->st = ch == '"' ? H_DQ : H_SQ;
                h->has_content = false;
            } else
                return fail(c, "attribute %s: values must be quoted", h->attr);
            break;
        case H_DQ:
        case H_SQ:
            if (ch == (h->st == H_DQ ? '"' : '\''))
                h->st = H_TAG;
            else
                h->has_content = true;
            break;
        case H_COMMENT:
            if (n - i >= 3 && memcmp(s + i, "-->", 3) == 0) {
                h->st = H_TEXT;
                i += 2;
            }
            break;
        case H_ENDTAG:
        case H_DECL:
            if (ch == '>')
                h->st = H_TEXT;
            break;
        case H_SCRIPT:
            if (n - i >= 9 && strncasecmp(s + i, "</script>", 9) == 0) {
                h->st = H_TEXT;
                i += 8;
            } else
                return fail(c, "%s: inline script breaks the Content-Security-Policy",
                            "<script>");
            break;
        }
        if (ch == '\n')
            c->line++;
    }
    return 0;
}

/* A state as far as a section boundary is concerned: a section may end an
 * attribute name, so those states count as "between attributes". */
static enum hstate norm(enum hstate s)
{
    return s == H_ATTR || s == H_AFTER_ATTR ? H_TAG : s;
}

static bool same_context(const struct hctx *a, const struct hctx *b)
{
    if (norm(a->st) != norm(b->st))
        return false;
    if (norm(a->st) == H_TAG && strcmp(a->tag, b->tag) != 0)
        return false;
    if (a->st == H_DQ || a->st == H_SQ) {
        if (strcmp(a->attr, b->attr) != 0)
            return false;
        if (is_url_attr(a->attr) && a->has_content != b->has_content)
            return false;
    }
    return true;
}

/* ---- the compiler ------------------------------------------------------------- */

static struct node *push(struct cc *c, enum op op)
{
    struct tpl *t = c->t;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->nodes = xrealloc(t->nodes, t->cap * sizeof *t->nodes);
    }
    struct node *n = &t->nodes[t->n++];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->line = c->line;
    return n;
}

static void push_text(struct cc *c, const char *s, size_t n)
{
    if (!n)
        return;
    struct tpl *t = c->t;
    if (t->n > c->barrier && t->nodes[t->n - 1].op == OP_TEXT) { /* join the previous literal */
        struct node *prev = &t->nodes[t->n - 1];
        prev->s = xrealloc(prev->s, prev->len + n + 1);
        memcpy(prev->s + prev->len, s, n);
        prev->len += n;
        prev->s[prev->len] = '\0';
        return;
    }
    struct node *nd = push(c, OP_TEXT);
    nd->s = xmalloc(n + 1);
    memcpy(nd->s, s, n);
    nd->s[n] = '\0';
    nd->len = n;
}

/* Splits a path "a.b" (or ".") into the node. */
static int set_path(struct cc *c, struct node *nd, const char *s, size_t n)
{
    nd->s = xmalloc(n + 1);
    memcpy(nd->s, s, n);
    nd->s[n] = '\0';
    if (n == 1 && s[0] == '.')
        return 0;
    size_t segs = 1;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!(isalnum((unsigned char)ch) || ch == '_' || ch == '-' || ch == '.'))
            return fail(c, "bad character in the name '%s'", nd->s);
        if (ch == '.' && (i == 0 || i + 1 == n || s[i + 1] == '.'))
            return fail(c, "empty part in the name '%s'", nd->s);
        segs += ch == '.';
    }
    if (n == 0)
        return fail(c, "an empty name%s", "");
    nd->seg = xcalloc(segs, sizeof *nd->seg);
    size_t k = 0;
    for (const char *p = nd->s; k < segs; k++) {
        size_t len = strcspn(p, ".");
        nd->seg[k] = xmalloc(len + 1);
        memcpy(nd->seg[k], p, len);
        nd->seg[k][len] = '\0';
        p += len + 1;
    }
    nd->nseg = segs;
    return 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* The quoted argument of {{t "…"}} / {{static "…"}}: *arg, *alen. */
static int quoted_arg(struct cc *c, const char *s, size_t n, const char *what, const char **arg,
                      size_t *alen)
{
    trim(&s, &n);
    if (n < 2 || s[0] != '"' || s[n - 1] != '"' || memchr(s + 1, '"', n - 2))
        return fail(c, "%s needs one argument in double quotes", what);
    *arg = s + 1;
    *alen = n - 2;
    if (!*alen)
        return fail(c, "%s needs a non-empty argument", what);
    return 0;
}

/* Where a value tag may stand and how it is escaped there. */
static int value_escape(struct cc *c, const char *what, bool url_ok, enum esc *esc)
{
    switch (c->h.st) {
    case H_TEXT:
        *esc = ESC_HTML;
        return 0;
    case H_DQ:
    case H_SQ:
        if (strcmp(c->h.attr, "style") == 0 || strncmp(c->h.attr, "on", 2) == 0)
            return fail(c, "%s cannot stand in this attribute", what);
        if (is_url_attr(c->h.attr)) {
            if (!url_ok)
                return fail(c, "%s cannot stand in a URL attribute", what);
            *esc = c->h.has_content ? ESC_URL_PART : ESC_URL_FULL;
        } else
            *esc = ESC_HTML;
        c->h.has_content = true;
        return 0;
    case H_COMMENT:
        return fail(c, "%s cannot stand in an HTML comment", what);
    case H_SCRIPT:
        return fail(c, "%s cannot stand in a script", what);
    case H_BEFORE_VAL:
        return fail(c, "%s: attribute values must be quoted", what);
    default:
        return fail(c, "%s cannot stand inside a tag or an attribute name", what);
    }
}

struct open_section {
    size_t node;
    struct hctx h;
};

static int compile_tag(struct cc *c, const char *s, size_t n, bool raw,
                       struct open_section *stack, size_t *depth)
{
    trim(&s, &n);
    if (raw) {
        if (c->h.st != H_TEXT)
            return fail(c, "%s: trusted HTML may stand only between tags", "{{{…}}}");
        struct node *nd = push(c, OP_RAW);
        return set_path(c, nd, s, n);
    }
    if (n == 0)
        return fail(c, "%s: an empty tag", "{{}}");
    char kind = s[0];
    if (kind == '!')
        return 0;
    if (kind == '#' || kind == '^' || kind == '/' || kind == '>') {
        s++;
        n--;
        trim(&s, &n);
    }
    switch (kind) {
    case '#':
    case '^': {
        if (*depth >= MAX_NEST)
            return fail(c, "sections nested deeper than %s", "32");
        if (norm(c->h.st) != H_TEXT && norm(c->h.st) != H_TAG && c->h.st != H_DQ &&
            c->h.st != H_SQ)
            return fail(c, "a section cannot start %s", "here (inside a name, comment or script)");
        struct node *nd = push(c, kind == '#' ? OP_SECTION : OP_INVERT);
        if (set_path(c, nd, s, n) < 0)
            return -1;
        stack[*depth].node = c->t->n - 1;
        stack[*depth].h = c->h;
        (*depth)++;
        c->barrier = c->t->n;
        return 0;
    }
    case '/': {
        if (!*depth)
            return fail(c, "'%s' closes no open section", (char[64]){0});
        struct open_section *o = &stack[*depth - 1];
        struct node *open = &c->t->nodes[o->node];
        if (strlen(open->s) != n || memcmp(open->s, s, n) != 0)
            return fail(c, "this closes another section than the open one, '%s'", open->s);
        if (!same_context(&o->h, &c->h))
            return fail(c, "section '%s' ends in another HTML context than it began", open->s);
        if (c->h.st == H_ATTR || c->h.st == H_AFTER_ATTR) {
            if (attr_done(c) < 0)
                return -1;
            c->h.st = H_TAG;
        }
        c->h.has_content = o->h.has_content || c->h.has_content;
        open->end = c->t->n;
        (*depth)--;
        c->barrier = c->t->n;
        return 0;
    }
    case '>': {
        if (c->h.st != H_TEXT)
            return fail(c, "partial '%s' may be included only between tags", "");
        struct node *nd = push(c, OP_PARTIAL);
        if (n == 0)
            return fail(c, "%s: a partial needs a name", "{{>}}");
        nd->s = xmalloc(n + 1);
        memcpy(nd->s, s, n);
        nd->s[n] = '\0';
        return 0;
    }
    default:
        break;
    }
    if (n > 2 && s[0] == 't' && isspace((unsigned char)s[1])) {
        const char *msg;
        size_t mlen;
        enum esc esc;
        if (quoted_arg(c, s + 1, n - 1, "{{t}}", &msg, &mlen) < 0 ||
            value_escape(c, "a message", false, &esc) < 0)
            return -1;
        struct node *nd = push(c, OP_TRANS);
        nd->s = xmalloc(mlen + 1);
        memcpy(nd->s, msg, mlen);
        nd->s[mlen] = '\0';
        nd->esc = esc;
        return 0;
    }
    if (n > 7 && memcmp(s, "static", 6) == 0 && isspace((unsigned char)s[6])) {
        const char *name;
        size_t nlen;
        if (quoted_arg(c, s + 6, n - 6, "{{static}}", &name, &nlen) < 0)
            return -1;
        if ((c->h.st != H_DQ && c->h.st != H_SQ) || !is_url_attr(c->h.attr) ||
            c->h.has_content)
            return fail(c, "%s must be the whole value of a URL attribute", "{{static}}");
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)nlen, name);
        const char *url = c->set->static_url ? c->set->static_url(key) : NULL;
        if (!url)
            return fail(c, "no static file '%s'", key);
        struct buf b;
        buf_init(&b, 0);
        tpl_esc_html(&b, url, strlen(url));
        push_text(c, b.p ? b.p : "", b.len);
        buf_free(&b);
        c->h.has_content = true;
        return 0;
    }
    enum esc esc;
    if (value_escape(c, "a value", true, &esc) < 0)
        return -1;
    struct node *nd = push(c, OP_VAR);
    nd->esc = esc;
    return set_path(c, nd, s, n);
}

static int compile(struct cc *c)
{
    struct open_section stack[MAX_NEST];
    size_t depth = 0;
    while (c->p < c->end) {
        const char *open = memmem(c->p, (size_t)(c->end - c->p), "{{", 2);
        size_t lit = open ? (size_t)(open - c->p) : (size_t)(c->end - c->p);
        if (track(c, c->p, lit) < 0)
            return -1;
        push_text(c, c->p, lit);
        if (!open)
            break;
        bool raw = open + 2 < c->end && open[2] == '{';
        const char *body = open + (raw ? 3 : 2);
        const char *close = memmem(body, (size_t)(c->end - body), raw ? "}}}" : "}}", raw ? 3 : 2);
        if (!close)
            return fail(c, "%s is never closed", raw ? "{{{" : "{{");
        for (const char *q = body; q < close; q++)
            if (*q == '\n')
                return fail(c, "%s: a tag must stay on one line", "{{");
        if (compile_tag(c, body, (size_t)(close - body), raw, stack, &depth) < 0)
            return -1;
        c->p = close + (raw ? 3 : 2);
    }
    if (depth)
        return fail(c, "section '%s' is never closed", c->t->nodes[stack[depth - 1].node].s);
    if (c->h.st != H_TEXT)
        return fail(c, "the template ends inside a %s", "tag, attribute, comment or script");
    for (size_t i = 0; i < c->t->n; i++) {
        struct node *nd = &c->t->nodes[i];
        if (nd->op == OP_TRANS)
            for (int l = 0; l < LANG_N; l++)
                nd->tr[l] = i18n_tr((enum lang)l, nd->s);
    }
    return 0;
}

/* ---- the set ------------------------------------------------------------------ */

struct tpl_set *tpl_set_new(tpl_static_fn static_url)
{
    struct tpl_set *s = xcalloc(1, sizeof *s);
    s->static_url = static_url;
    return s;
}

static void tpl_clear(struct tpl *t)
{
    for (size_t i = 0; i < t->n; i++) {
        struct node *nd = &t->nodes[i];
        for (size_t k = 0; k < nd->nseg; k++)
            free(nd->seg[k]);
        free(nd->seg);
        free(nd->s);
    }
    free(t->nodes);
    free(t->name);
}

void tpl_set_free(struct tpl_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        tpl_clear(&s->t[i]);
    free(s->t);
    free(s);
}

static long find_tpl(const struct tpl_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            return (long)i;
    return -1;
}

int tpl_has(const struct tpl_set *s, const char *name)
{
    return find_tpl(s, name) >= 0;
}

int tpl_add(struct tpl_set *s, const char *name, const char *src, size_t n, struct err *e)
{
    if (find_tpl(s, name) >= 0) {
        err_set(e, 422, "template-invalid", "", "template %s is defined twice", name);
        return -1;
    }
    if (n > MAX_SRC) {
        err_set(e, 422, "template-invalid", "", "template %s is larger than 1 MiB", name);
        return -1;
    }
    struct tpl t = {.name = xstrdup(name)};
    struct cc c = {.set = s, .t = &t, .src = src, .p = src, .end = src + n, .line = 1, .e = e};
    if (compile(&c) < 0) {
        tpl_clear(&t);
        return -1;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->t = xrealloc(s->t, s->cap * sizeof *s->t);
    }
    s->t[s->n++] = t;
    s->linked = false;
    return 0;
}

/* Depth-first over the partials: 0 unvisited, 1 on the path, 2 done. */
static int visit(struct tpl_set *s, size_t i, unsigned char *mark, struct err *e)
{
    if (mark[i] == 2)
        return 0;
    if (mark[i] == 1) {
        err_set(e, 422, "template-invalid", "", "template %s includes itself through partials",
                s->t[i].name);
        return -1;
    }
    mark[i] = 1;
    struct tpl *t = &s->t[i];
    for (size_t k = 0; k < t->n; k++) {
        struct node *nd = &t->nodes[k];
        if (nd->op != OP_PARTIAL)
            continue;
        long j = find_tpl(s, nd->s);
        if (j < 0) {
            err_set(e, 422, "template-invalid", "", "template %s, line %d: no partial '%s'",
                    t->name, nd->line, nd->s);
            return -1;
        }
        nd->partial = (size_t)j;
        if (visit(s, (size_t)j, mark, e) < 0)
            return -1;
    }
    mark[i] = 2;
    return 0;
}

int tpl_link(struct tpl_set *s, struct err *e)
{
    unsigned char *mark = xcalloc(s->n ? s->n : 1, 1);
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++)
        rc = visit(s, i, mark, e);
    free(mark);
    s->linked = rc == 0;
    return rc;
}

/* ---- escaping ---------------------------------------------------------------- */

void tpl_esc_html(struct buf *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: continue;
        }
        buf_append(out, s + run, i - run);
        buf_puts(out, ent);
        run = i + 1;
    }
    buf_append(out, s + run, n - run);
}

void tpl_esc_url_part(struct buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~')
            buf_putc(out, (char)ch);
        else {
            char pct[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            buf_append(out, pct, 3);
        }
    }
}

/* A whole URL from the data: relative ones and http, https and mailto. */
static bool url_allowed(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (s[0] == '/')
        return !(n > 1 && (s[1] == '/' || s[1] == '\\'));
    if (s[0] == '?' || s[0] == '#')
        return true;
    size_t colon = 0;
    while (colon < n && s[colon] != ':' && s[colon] != '/' && s[colon] != '?' && s[colon] != '#')
        colon++;
    if (colon == n || s[colon] != ':')
        return true; /* no scheme: a relative path */
    return (colon == 4 && strncasecmp(s, "http", 4) == 0) ||
           (colon == 5 && strncasecmp(s, "https", 5) == 0) ||
           (colon == 6 && strncasecmp(s, "mailto", 6) == 0);
}

static void emit(struct buf *out, enum esc esc, const char *s, size_t n)
{
    switch (esc) {
    case ESC_HTML:
        tpl_esc_html(out, s, n);
        break;
    case ESC_URL_PART:
        tpl_esc_url_part(out, s, n);
        break;
    case ESC_URL_FULL:
        if (url_allowed(s, n))
            tpl_esc_html(out, s, n);
        else
            buf_puts(out, "about:invalid#blocked");
        break;
    }
}

/* ---- rendering --------------------------------------------------------------- */

struct rc { /* render context */
    const struct tpl_set *set;
    enum lang lang;
    const json_t *scope[MAX_SCOPES];
    size_t depth;
    const struct tpl_raw *raw;
    size_t n_raw;
    struct buf *out;
    struct err *e;
};

static const json_t *lookup_segs(const struct rc *r, char *const *seg, size_t nseg)
{
    if (nseg == 0)
        return r->depth ? r->scope[r->depth - 1] : NULL;
    const json_t *v = NULL;
    for (size_t i = r->depth; i-- > 0;) {
        if (json_is_object(r->scope[i]) && (v = json_object_get(r->scope[i], seg[0])))
            break;
    }
    for (size_t k = 1; v && k < nseg; k++)
        v = json_is_object(v) ? json_object_get(v, seg[k]) : NULL;
    return v;
}

static void emit_value(struct buf *out, enum esc esc, const json_t *v)
{
    char num[48];
    switch (json_typeof(v)) {
    case JSON_STRING:
        emit(out, esc, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: { /* digits need no escaping; no printf for each of thousands */
        json_int_t x = json_integer_value(v);
        unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
        char *p = text_digits(u, num + sizeof num);
        if (x < 0)
            *--p = '-';
        buf_append(out, p, (size_t)(num + sizeof num - p));
        break;
    }
    case JSON_REAL:
        snprintf(num, sizeof num, "%g", json_real_value(v));
        emit(out, esc, num, strlen(num));
        break;
    case JSON_TRUE:
        emit(out, esc, "true", 4);
        break;
    case JSON_FALSE:
        emit(out, esc, "false", 5);
        break;
    default:
        break; /* null, objects and arrays print nothing */
    }
}

static bool truthy(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT: return true;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    case JSON_TRUE: return true;
    default: return false;
    }
}

/* A message with its {path} placeholders filled. */
static void emit_message(struct rc *r, enum esc esc, const char *msg)
{
    const char *p = msg;
    while (*p) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open + 1, '}') : NULL;
        if (!open || !close) {
            emit(r->out, esc, p, strlen(p));
            return;
        }
        emit(r->out, esc, p, (size_t)(open - p));
        char name[64];
        size_t len = (size_t)(close - open - 1);
        if (len == 0 || len >= sizeof name || strspn(open + 1, "abcdefghijklmnopqrstuvwxyz"
                                                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                "0123456789_") < len) {
            emit(r->out, esc, open, 1); /* not a placeholder: the brace as text */
            p = open + 1;
            continue;
        }
        memcpy(name, open + 1, len);
        name[len] = '\0';
        char *seg[1] = {name};
        const json_t *v = lookup_segs(r, seg, 1);
        if (v)
            emit_value(r->out, esc, v);
        p = close + 1;
    }
}

static int render_range(struct rc *r, const struct tpl *t, size_t from, size_t to, int pdepth);

static int push_scope(struct rc *r, const json_t *v)
{
    if (r->depth >= MAX_SCOPES) {
        err_set(r->e, 500, "template-error", "", "template data nested too deeply");
        return -1;
    }
    r->scope[r->depth++] = v;
    return 0;
}

static int render_section(struct rc *r, const struct tpl *t, size_t i, int pdepth)
{
    const struct node *nd = &t->nodes[i];
    const json_t *v = lookup_segs(r, nd->seg, nd->nseg);
    if (nd->op == OP_INVERT)
        return truthy(v) ? 0 : render_range(r, t, i + 1, nd->end, pdepth);
    if (!truthy(v))
        return 0;
    if (json_is_array(v)) {
        for (size_t k = 0; k < json_array_size(v); k++) {
            if (push_scope(r, json_array_get(v, k)) < 0)
                return -1;
            int rc = render_range(r, t, i + 1, nd->end, pdepth);
            r->depth--;
            if (rc < 0)
                return -1;
        }
        return 0;
    }
    /* an object, or a true scalar that {{.}} then names */
    if (push_scope(r, v) < 0)
        return -1;
    int rc = render_range(r, t, i + 1, nd->end, pdepth);
    r->depth--;
    return rc;
}

static int render_range(struct rc *r, const struct tpl *t, size_t from, size_t to, int pdepth)
{
    for (size_t i = from; i < to;) {
        const struct node *nd = &t->nodes[i];
        switch (nd->op) {
        case OP_TEXT:
            buf_append(r->out, nd->s, nd->len);
            break;
        case OP_VAR: {
            const json_t *v = lookup_segs(r, nd->seg, nd->nseg);
            if (v)
                emit_value(r->out, nd->esc, v);
            break;
        }
        case OP_RAW:
            for (size_t k = 0; k < r->n_raw; k++)
                if (strcmp(r->raw[k].name, nd->s) == 0) {
                    buf_append(r->out, r->raw[k].html, r->raw[k].len);
                    break;
                }
            break;
        case OP_TRANS:
            emit_message(r, nd->esc, nd->tr[r->lang]);
            break;
        case OP_PARTIAL:
            if (pdepth >= MAX_PARTIAL_DEPTH) {
                err_set(r->e, 500, "template-error", "", "partials nested too deeply");
                return -1;
            }
            if (render_range(r, &r->set->t[nd->partial], 0, r->set->t[nd->partial].n,
                             pdepth + 1) < 0)
                return -1;
            break;
        case OP_SECTION:
        case OP_INVERT:
            if (render_section(r, t, i, pdepth) < 0)
                return -1;
            i = nd->end;
            continue;
        }
        i++;
    }
    return 0;
}

int tpl_render(const struct tpl_set *s, const char *name, enum lang lang, const json_t *data,
               const struct tpl_raw *raw, size_t n_raw, struct buf *out, struct err *e)
{
    long i = find_tpl(s, name);
    if (i < 0 || !s->linked) {
        err_set(e, 500, "template-error", "", "no template %s (or the set is not linked)", name);
        return -1;
    }
    if ((unsigned)lang >= LANG_N)
        lang = LANG_KK;
    struct rc r = {.set = s, .lang = lang, .raw = raw, .n_raw = n_raw, .out = out, .e = e};
    r.scope[r.depth++] = data;
    if (render_range(&r, &s->t[i], 0, s->t[i].n, 0) < 0)
        return -1;
    if (out->full) {
        err_set(e, 500, "template-error", "", "the page is larger than its buffer");
        return -1;
    }
    return 0;
}
