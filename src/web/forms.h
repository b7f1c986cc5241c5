/* Private to the web module: what the record forms (page-forms.c) share
 * with the workspaces (page-workspace.c). */
#ifndef AP_WEB_FORMS_H
#define AP_WEB_FORMS_H

#include "web/internal.h"

/* True when the visitor is signed in; otherwise answers with a 303 to the
 * sign-in page that comes back to this page, and returns false. */
bool forms_need_user(struct page *pg);
/* A field's value of a stored record as one line of text for people (enum
 * labels, i18n in the page's language, lists joined); "" when empty. */
const char *forms_value_text(struct page *pg, const struct model_field *f, const json_t *v);
/* A message code of a finished step (?done=…) as text in the page's
 * language, or NULL when unknown. */
const char *forms_done_text(struct page *pg, const char *code);

#endif
