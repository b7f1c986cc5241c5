/* tpl: HTML templates that escape by context.
 *
 * A template is HTML with tags in double braces:
 *
 *   {{name}} {{a.b}} {{.}}   a value from the data (JSON), escaped for
 *                            where it stands (see below)
 *   {{#name}} … {{/name}}    a section: an array repeats its body once per
 *                            item (the item becomes the innermost scope),
 *                            an object renders it once inside that object,
 *                            any other true value (non-empty string, non-zero
 *                            number, true) once; false, null, "", 0, [] and
 *                            a missing name skip it
 *   {{^name}} … {{/name}}    the body when the section would be skipped
 *   {{>name}}                another template of the set, here (partials)
 *   {{t "Message {n}"}}      the message in the page's language, from the
 *                            catalogs (i18n.h); {path} placeholders are
 *                            filled with escaped values
 *   {{static "portal.css"}}  the URL of a static file, with its content hash
 *   {{{name}}}               trusted HTML given by the C code in the render
 *                            call (never from the data), only between tags
 *   {{! comment }}
 *
 * Names are looked up from the innermost scope outwards; "a.b" then goes
 * down into objects. The compiler follows the HTML around each tag and
 * decides its escaping once, at compile time:
 *
 *   text and quoted attribute values   & < > " ' become entities
 *   a URL attribute (href, src, action, formaction …) whose value starts
 *       with the tag                   only /path, ?query, #frag, http:,
 *                                      https: and mailto: URLs pass; others
 *                                      become "about:invalid#blocked"
 *   a URL attribute after other text   percent-encoded (all but A-Z a-z
 *                                      0-9 - . _ ~), for a path segment or
 *                                      a query value
 *
 * and it refuses, with the line, what could run a visitor's script or
 * break the page's Content-Security-Policy: a tag inside a tag or
 * attribute name, in an unquoted value, in an on* or style attribute or in
 * a comment; any style attribute or on* handler, <style> elements and
 * <script> with content; a section that leaves the HTML in another state
 * than it found it; unbalanced sections; unknown partials, static files
 * and cycles. */
#ifndef AP_WEB_TPL_H
#define AP_WEB_TPL_H

#include "util/buf.h"
#include "util/err.h"
#include "web/i18n.h"

#include <jansson.h>
#include <stddef.h>

struct tpl_set;

/* Looks up a static file's URL by its logical name (NULL: unknown). */
typedef const char *(*tpl_static_fn)(const char *name);

struct tpl_set *tpl_set_new(tpl_static_fn static_url);
void tpl_set_free(struct tpl_set *s);
/* Compiles src[0..n) as template `name`. -1 with e (422, detail naming the
 * template and line) when it is malformed or unsafe. */
int tpl_add(struct tpl_set *s, const char *name, const char *src, size_t n, struct err *e);
/* Resolves partials after every template was added: -1 with e when one
 * names an unknown template or partials include each other in a cycle. */
int tpl_link(struct tpl_set *s, struct err *e);
/* Whether a template of this name was added. */
int tpl_has(const struct tpl_set *s, const char *name);

/* Trusted HTML for {{{name}}}: made by the C code (an SVG drawn by the
 * server, an already rendered page body), never taken from user data. */
struct tpl_raw {
    const char *name;
    const char *html;
    size_t len;
};

/* Renders template `name` with data in lang onto out. -1 with e when the
 * template is unknown or out is full. */
int tpl_render(const struct tpl_set *s, const char *name, enum lang lang, const json_t *data,
               const struct tpl_raw *raw, size_t n_raw, struct buf *out, struct err *e);

/* The escapes, for code that writes HTML itself (SVG charts). */
void tpl_esc_html(struct buf *out, const char *s, size_t n);
void tpl_esc_url_part(struct buf *out, const char *s, size_t n);

#endif
