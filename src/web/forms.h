/* Private to the web module: what the record forms (page-forms.c) share
 * with the workspaces (page-workspace.c). */
#ifndef AP_WEB_FORMS_H
#define AP_WEB_FORMS_H

#include "web/internal.h"

/* A field's value of a stored record as one line of text for people (enum
 * labels, i18n in the page's language, lists joined); "" when empty. */
const char *forms_value_text(struct page *pg, const struct model_field *f, const json_t *v);
/* The success message of a finished step of a record (?done=created,
 * saved, submitted, verified, returned) for the partial "notice". */
void forms_notice(struct page *pg);

/* Every non-empty value the POSTed form gives `name` (boxes ticked, a
 * multiple select), as a new array. */
json_t *forms_values(const struct page *pg, const char *name);
/* A refused write's problem e (its type) said in the page's language. */
const char *forms_error_text(struct page *pg, const struct err *e);
/* The records ref field f may point to (of its kinds, that the visitor
 * may read, searched by q when given: at most `limit`), as options {value,
 * label, selected}; the current values (cur: an id, an array of ids, or
 * NULL) are selected and kept, first, when the search does not meet them. */
json_t *forms_ref_options(struct page *pg, const struct model_field *f, const json_t *cur,
                          const char *q, int limit);

#endif
