/* web: the portal's pages (REQ X-I18N-01), rendered by the server from
 * templates in kk, ru and en, working without JavaScript.
 *
 * Pages live under /kk, /ru and /en (the language is in every URL, so a
 * link can be shared, and kept in a cookie); "/" sends the visitor to the
 * language of the cookie, else of Accept-Language, else Kazakh. Pages
 * call the same modules as the API (registry, accounts, workflow, docs)
 * with the visitor's session cookie, and answer every request with the
 * portal's security headers (a Content-Security-Policy without inline
 * script or style, frame-ancestors 'none', …). */
#ifndef AP_WEB_H
#define AP_WEB_H

#include "api/api.h"
#include "http/http.h"

struct tpl_set;

struct web {
    struct api *api;     /* the registry, accounts, workflow and docs, and the TLS flag */
    struct tpl_set *tpl; /* every template, compiled and linked */
};

/* Compiles the templates; -1 with e when one is malformed or unsafe. */
int web_init(struct web *w, struct api *api, struct err *e);
/* Registers the pages, /static/… and the not-found fallback (an HTML page
 * for browsers, a problem document for other clients). */
void web_routes(struct web *w, struct router *rt);
void web_free(struct web *w);

#endif
