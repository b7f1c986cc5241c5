/* assets: what scripts/web-gen.py compiles into the binary — the page
 * templates (web/templates) and the static files (web/static and USWDS's
 * CSS and JS) with content hashes in their URLs and gzipped copies. */
#ifndef AP_WEB_ASSETS_H
#define AP_WEB_ASSETS_H

#include <stddef.h>

struct web_template {
    const char *name; /* path under web/templates without ".html" */
    const char *src;
    size_t len;
};
/* Ends with a NULL name. */
extern const struct web_template web_templates[];

struct web_static {
    const char *name;   /* logical name: "portal.css", "usa-icons/sprite.svg" */
    const char *url;    /* "/static/portal.3f2a…c1.css" */
    const char *type;   /* Content-Type */
    const char *etag;   /* strong ETag of the content */
    const char *data;
    size_t len;
    const char *gz;     /* gzip of data, or NULL when it would not be smaller */
    size_t gz_len;
};
/* Ends with a NULL name. */
extern const struct web_static web_statics[];

/* The URL of a static file by logical name; NULL when unknown. */
const char *web_static_url(const char *name);
/* The static file whose URL's last segment is `file`; NULL when none. */
const struct web_static *web_static_by_file(const char *file);

#endif
