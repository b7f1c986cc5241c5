/* Private to the api module: helpers the handler files share. */
#ifndef AP_API_INTERNAL_H
#define AP_API_INTERNAL_H

#include "api/api.h"

/* Answers with a problem whose detail is fmt with its arguments (fmt is the
 * detail's message id, translated in web/po/<lang>/api.po). */
void problem(struct http_resp *resp, int status, const char *type, const char *field,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The request body as a JSON object, or NULL after answering 4xx. */
json_t *json_body(struct http_req *req, struct http_resp *resp, bool merge_patch);
/* 200 with out, or the problem in e. */
void answer(struct http_resp *resp, int rc, const struct err *e, json_t *out);
/* Refuses query parameters not in `allowed` (400). */
int only_params(struct http_req *req, struct http_resp *resp, const char *const *allowed);
/* Who is asking: a bearer token, a session cookie, or the anonymous
 * public. With write, the anonymous get 401, and a cookie-carried request
 * must send the session's X-CSRF-Token (403 otherwise). -1 after
 * answering. */
int authenticate(struct api *api, struct http_req *req, struct http_resp *resp, bool write,
                 struct actor *a);
/* The same; csrf gets the session's CSRF token ("" without a session). */
int authenticate_csrf(struct api *api, struct http_req *req, struct http_resp *resp, bool write,
                      struct actor *a, char csrf[64]);
void api_account_routes(struct api *api, struct router *rt);
void api_workflow_routes(struct api *api, struct router *rt);
void api_docs_routes(struct api *api, struct router *rt);
void api_notify_routes(struct api *api, struct router *rt);
void api_arch_routes(struct api *api, struct router *rt);
void api_rows_routes(struct api *api, struct router *rt);
void api_openapi_routes(struct api *api, struct router *rt);
/* The {collection} and {id} path parameters, or NULL after answering 404. */
const struct model_collection *collection_of(struct api *api, struct http_req *req,
                                             struct http_resp *resp);
const char *record_id(struct http_req *req, struct http_resp *resp);
/* The path parameter `name` as an id, or NULL after answering 404 ("no
 * such <what>"). */
const char *id_param(struct http_req *req, struct http_resp *resp, const char *name,
                     const char *what);
/* A request about one record: its collection and id, only `params` (NULL:
 * none) in the query, and who asks (write: may change it). -1 after
 * answering. */
int record_request(struct api *api, struct http_req *req, struct http_resp *resp, bool write,
                   const char *const *params, const struct model_collection **coll,
                   const char **id, struct actor *a);
/* 201 with out, or the problem in e. */
void answer_created(struct http_resp *resp, int rc, const struct err *e, json_t *out);
/* The problem in e; a 422 also with `errors`: every problem of the input
 * as {field, type, detail}, collected in all (given as e->errors; taken). */
void problem_all(struct http_resp *resp, const struct err *e, json_t *all);
/* If-Match: "N" → N; "*" → -1; -2 when absent, -3 when malformed. */
int64_t if_match_revision(struct http_req *req);
/* The same, answering 400 (and returning -1) when it is malformed. */
int if_match_checked(struct http_req *req, struct http_resp *resp, int64_t *rev);
/* status with the record and its ETag. */
void answer_record(struct http_resp *resp, int status, json_t *rec);

/* The optional ?at=<RFC 3339> of a read as of an instant: *set says
 * whether it was given; 400 naming `at` when it is not a date-time. */
int api_at_query(struct http_req *req, bool *set, int64_t *ms, struct err *e);

#endif
