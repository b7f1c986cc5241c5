/* Private to the account pages: the fields of a form and their errors, in
 * the shape the templates account/field and account/errors render (USWDS
 * form groups, an error summary linking to each field). */
#ifndef AP_WEB_ACCOUNT_FORM_H
#define AP_WEB_ACCOUNT_FORM_H

#include "web/internal.h"

#include "util/err.h"

enum field_kind { FIELD_TEXT, FIELD_EMAIL, FIELD_PASSWORD, FIELD_TEL, FIELD_MULTILINE };

/* Appends a field {id, name, label, type, autocomplete, required, value}
 * to pg->data[list] (created when absent) and returns it (borrowed). Its
 * value is the POSTed one, except for passwords, which are never sent back.
 * id is "<form>-<name>". */
json_t *acct_field(struct page *pg, const char *list, const char *form, const char *name,
                   const char *label, enum field_kind kind, const char *autocomplete,
                   bool required);
/* The field of pg->data[list] named name, or NULL. */
json_t *acct_field_get(struct page *pg, const char *list, const char *name);
/* Marks a field wrong (field may be NULL: an error of the whole form,
 * linked to the field whose id is link_id, if any) and lists the message
 * in the summary (pg->data "errors", "has_errors"). */
void acct_error(struct page *pg, json_t *field, const char *link_id, const char *message);
/* Every required field of the list that was sent blank gets "Fill in this
 * field." Returns how many. */
int acct_require(struct page *pg, const char *list);
/* The message of an error of the account module about a field, in the
 * page's language. */
const char *acct_err_text(const struct page *pg, const struct err *e);

void web_apply_routes(struct web *w, struct router *rt);
void web_tokens_routes(struct web *w, struct router *rt);

#endif
