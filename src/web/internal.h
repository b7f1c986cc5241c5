/* Private to the web module: one page's request, and the helpers every
 * page handler shares (the language, the visitor, rendering into the
 * layout, forms, errors). */
#ifndef AP_WEB_INTERNAL_H
#define AP_WEB_INTERNAL_H

#include "auth/actor.h"
#include "model/model.h"
#include "web/i18n.h"
#include "web/tpl.h"
#include "web/web.h"

#include <stdio.h>

#include <jansson.h>

#define WEB_LANG_COOKIE "ap_lang"
#define WEB_MAX_FORM 128 /* fields of one form */
#define WEB_MAX_PAGE (8u << 20) /* bytes of one rendered page */

struct page {
    struct web *w;
    struct http_req *req;
    struct http_resp *resp;
    enum lang lang;
    struct actor actor; /* the anonymous public when not signed in */
    bool signed_in;
    char csrf[64];      /* the session's CSRF token ("" without a session) */
    bool may_verify;    /* may verify objects of every organisation (the integrator) */
    const char *nav;    /* which menu item is current: "home", "registry" … */
    const struct model_collection *coll; /* the collection of a list or form page */
    json_t *data;       /* the page's data: the root scope of its template */
    int64_t label_day;  /* the wordings shown are those in force on this local day
                         * (INT64_MAX, set by page_begin: today's) */
    struct http_kv form[WEB_MAX_FORM]; /* a POSTed form (page_form) */
    size_t n_form;
    /* How the page names the records its fields refer to: {id: {text,
     * href?}} (borrowed), e.g. as they were in an architecture version;
     * those it does not name (NULL: none) as the visitor may read them
     * now. */
    const json_t *refs;
};

/* Registers h for GET (or method) of "/kk<suffix>", "/ru<suffix>" and
 * "/en<suffix>"; suffix "" is the home page. */
void web_route(struct router *rt, const char *method, const char *suffix, http_handler h,
               struct web *w);
/* The same for a handler that hashes a password: it runs on the server's
 * bounded pool (router_add_pooled). */
void web_route_pooled(struct router *rt, const char *method, const char *suffix, http_handler h,
                      struct web *w);
/* Starts a page: its language from the path, the visitor from the session
 * cookie (an ended session reads as the public), the common data (lang,
 * the visitor, language links). Frees nothing: page_render or page_error
 * answer and release pg->data. */
void page_begin(struct web *w, struct http_req *req, struct http_resp *resp, struct page *pg);
/* Renders template `tpl` with pg->data into the layout under `title`
 * (already in the page's language) and answers with status. */
void page_render(struct page *pg, int status, const char *tpl, const char *title);
/* The same with trusted HTML fragments for {{{name}}} (SVG drawn by the
 * server). */
void page_render_raw(struct page *pg, int status, const char *tpl, const char *title,
                     const struct tpl_raw *raw, size_t n_raw);
/* The friendly error page for status (400, 403, 404, 409, 413, 422, 500…)
 * with an optional detail in the page's language. */
void page_error(struct page *pg, int status, const char *detail);
/* 303 See Other to a path inside the portal (already in this language). */
void page_redirect(struct page *pg, const char *path);
/* The message in the page's language. */
const char *page_tr(const struct page *pg, const char *msgid);
/* "/<lang><fmt…>" in the request's arena. */
const char *page_url(const struct page *pg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reads a POSTed application/x-www-form-urlencoded form into pg->form,
 * after checking that it comes from the portal's own pages (Origin, and
 * the session's CSRF token in "_csrf" when signed in). -1 after answering
 * (400, 403, 415). */
int page_form(struct page *pg);
/* Does a POST come from the portal's own pages? The browser's Origin (when
 * it sends one) names this host, and Sec-Fetch-Site is not cross-site. */
bool web_same_origin(const struct http_req *req);
/* The list query of collection coll for params (the API's list
 * parameters), scoped to what the visitor may see. -1 with e (400/422 for
 * bad parameters). */
struct list_query;
struct listq_param;
int web_list_query(struct page *pg, const struct model_collection *coll,
                   const struct listq_param *params, size_t n, struct list_query *q,
                   struct err *e);
/* The same for the registry's collection (web_main_collection). */
int web_objects_query(struct page *pg, const struct listq_param *params, size_t n,
                      struct list_query *q, struct err *e);
/* The registry's collection: the model's first records collection, whose
 * list /{lang}/registry also is; NULL when the model has none. */
const struct model_collection *web_main_collection(const struct model *m);
/* The records collection named by the path's second segment
 * ("/ru/<collection>/…", "/ru/<collection>.csv"; "registry" is
 * web_main_collection), or NULL. */
const struct model_collection *web_path_collection(const struct page *pg);
/* The workflow of the collection's kinds (the first kind's that has one),
 * or NULL when they have none. */
const struct model_workflow *web_collection_workflow(const struct model *m,
                                                     const struct model_collection *coll);
/* Requires a signed-in visitor. Otherwise answers with a 303 to the
 * sign-in page, whose "next" comes back to this page after a GET; after a
 * POST (a form cannot be sent again by a redirect) it is the page
 * after_post ("/workspace"), or none when NULL. Returns false after
 * answering. */
bool page_need_user(struct page *pg, const char *after_post);
/* The success message of a finished step, chosen by the code in ?done=
 * (never text from the URL): msgids[i] for codes[i] (NULL-terminated),
 * set as "notice" for the partial "notice". */
void page_notice(struct page *pg, const char *const codes[], const char *const msgids[]);
/* A field of the form ("" when absent). */
const char *form_value(const struct page *pg, const char *name);

/* A label in the language (falling back to Russian, then Kazakh, then
 * English when empty). */
const char *web_label(enum lang l, struct i18n label);
/* The label of value id of enum en in the language, in the wording in
 * force on pg->label_day; id itself when en has no such value. */
const char *page_enum_label(const struct page *pg, const struct model_enum *en, const char *id);
/* A record's name ({"kk","ru","en"} object or a string) in the language,
 * with the same fall-backs; "" when it has none. */
const char *web_name(enum lang l, const json_t *name);
/* The language tag of the value web_name shows when it is not in l (a
 * fallback, e.g. a Russian name on the Kazakh page), for a `lang`
 * attribute around it; NULL when it is in l. */
const char *web_name_lang(enum lang l, const json_t *name);
/* Sets o's "name_lang" to web_name_lang when there is one (templates:
 * {{#name_lang}} lang="{{name_lang}}"{{/name_lang}}). */
void web_set_name_lang(json_t *o, enum lang l, const json_t *name);
/* An instant (RFC 3339, as stored: UTC) as the portal's people read it, in
 * Asia/Almaty by the calendar's offsets: the local date "YYYY-MM-DD", or
 * with the time "YYYY-MM-DD HH:MM"; "" for NULL, the text itself when it
 * is not an instant. In the request's arena. */
const char *page_local_day(const struct page *pg, const char *instant);
/* Calls fn for each relation of record id of collection coll (both
 * directions) whose type the model knows and whose other end the visitor
 * may read: the relation, its type, whether it goes out of the record,
 * the other end's id and its stored JSON (borrowed for the call). A far
 * end the visitor may not read does not show through. -1 when the
 * relations cannot be read. */
typedef void (*page_relation_fn)(struct page *pg, void *ctx, const json_t *rel,
                                 const struct model_kind *rk, bool out, const char *other,
                                 const json_t *orec);
int page_relations_each(struct page *pg, const char *coll, const char *id, page_relation_fn fn,
                        void *ctx);
/* An error's detail in the page's language (i18n_err_text), in the arena. */
const char *page_err_text(const struct page *pg, const struct err *e);
const char *page_local_time(const struct page *pg, const char *instant);
/* A record named by a reference of the registry's answers ({id,
 * collection, name}) as a link: {text, href? (its card), name_lang?}. */
json_t *page_ref_link(struct page *pg, const json_t *ref);
/* The label of kind `kind` in the page's language; the id itself when the
 * model has no such kind, "" for NULL. */
const char *page_kind_label(const struct page *pg, const char *kind);
/* The page's optional ?at=<RFC 3339> (a view, walk or map as of an
 * instant): *set says whether it was given; false after answering 400. */
bool page_at_param(struct page *pg, bool *set, int64_t *ms);
/* What a record of kind k in coll still lacks (gaps in the shape of
 * workflow_gaps_fn) as a list for the pages: {what, label, href}, each
 * linking to where it is put right (the field on the edit form, the
 * document's slot or the relations on the card). */
json_t *page_gap_items(const struct page *pg, const struct model_kind *k, const char *coll,
                       const char *id, const json_t *gaps);
/* The card's section of a record of the kind that owns others (an
 * organisation: page-org.c): sets pg->data "org" (its objects, deadlines,
 * a link to the registry filtered by it) and draws its objects' relations
 * into svg; does nothing for other kinds. */
struct buf;
void page_org_section(struct page *pg, const struct model_kind *k, const char *id,
                      struct buf *svg);
/* For holders of rules-report, the card's check of the model's rules
 * (page-rules.c): the rules rec breaks, errors and warnings, judged as the
 * report judges it, each with its layer and where it is put right: sets
 * pg->data "rule_checks", "has_rule_checks" and "rule_checks_shown".
 * Nothing for other visitors. -1 when counting failed. */
int page_rule_checks(struct page *pg, const struct model_kind *k, const char *coll, const char *id,
                     const json_t *rec);
/* Sets the security headers every answer of the web module carries. */
void web_security_headers(const struct web *w, struct http_resp *resp);

/* The page groups (one file each). */
void web_home_routes(struct web *w, struct router *rt);
void web_dash_routes(struct web *w, struct router *rt);
void web_rules_routes(struct web *w, struct router *rt);
/* page-scores.c: the scores' roll-up pages, and a scored record's card
 * section ("scores": its level and each factor's, explained). */
void web_scores_routes(struct web *w, struct router *rt);
/* The figures of a tallying record (page-tally.c): the card's table
 * (pg->data's "tally"), and its CSV and XLSX downloads for a collection
 * whose kinds tally. */
void page_tally_section(struct page *pg, const struct model_kind *k, const char *coll,
                        const char *id, const json_t *rec);
void web_tally_routes_for(struct web *w, struct router *rt, const struct model_collection *c);
/* page-network.c: the networks of the collections that declare them. */
void web_network_routes(struct web *w, struct router *rt);
int page_score_section(struct page *pg, const struct model_kind *k, const char *id,
                       const json_t *rec);
/* A factor's value v as a page shows it: a number (whole, or one decimal;
 * with its unit when `unit`) or an enum value's label; NULL when none. */
const char *page_score_value(struct page *pg, const struct model_score_factor *f, const json_t *v,
                             bool unit);
/* The target architecture's gap report (page-gaps.c), when the model has a gap analysis. */
void web_gaps_routes(struct web *w, struct router *rt);
/* GET /{lang}/duplicates: duplication and reuse (page-dups.c). */
void web_dups_routes(struct web *w, struct router *rt);
/* The card's architectural control of a record whose kind the model's
 * duplicates section controls (an assessment: the duplication findings
 * about its project's objects; pg->data's "control"). */
void page_control_section(struct page *pg, const struct model_kind *k, const json_t *rec);
void web_account_routes(struct web *w, struct router *rt);
/* The card of the records of `collection` (a records collection of the
 * model): GET /{lang}/{collection}/{id}, its uploads and its relations'
 * forms. Called once per records collection. */
void web_card_routes_for(struct web *w, struct router *rt, const char *collection);
/* The integrator's review of the records of `collection` (a records
 * collection with a workflow): GET and POST /{lang}/{collection}/{id}/verify. */
void web_verify_routes_for(struct web *w, struct router *rt, const char *collection);
void web_workspace_routes(struct web *w, struct router *rt);
void web_registry_routes(struct web *w, struct router *rt);
/* The list, CSV, create and edit pages of one records collection
 * (page-registry.c, page-forms.c), registered by web_routes for each. */
void web_list_routes(struct web *w, struct router *rt, const char *coll);
void web_forms_collection_routes(struct web *w, struct router *rt, const char *coll);
void web_help_routes(struct web *w, struct router *rt);
void web_apidoc_routes(struct web *w, struct router *rt);
/* A record met by a walk or a view (its answer's {id, kind, name}) as the
 * pages list it: {name, name_lang?, kind (the kind's label), href?}. */
json_t *page_met_record(struct page *pg, const json_t *it);
/* The record's computed measures (model "measures", e.g. the digitisation
 * level) as the card and the catalogue show them: [{label, items, done,
 * has_items, percent?}], or NULL when it has none (page-card.c). */
json_t *page_measures(struct page *pg, const struct model_kind *k, const json_t *rec);
/* GET /{lang}/architecture: the model's menu collections the visitor may
 * read (page-arch.c). */
void web_arch_routes(struct web *w, struct router *rt);
/* GET /{lang}/{collection}/{id}/elements[/{element}] and …/{id}/compare:
 * the pages of a version of a kind with a "snapshot" (page-version.c). */
void web_version_routes_for(struct web *w, struct router *rt, const char *collection);
/* The map and matrix pages (page-capmap.c, issue 15). */
void web_capmap_routes(struct web *w, struct router *rt);
/* The label of an effect of the gap matrix (remove, replace, enhance,
 * new; page-gaps.c), in the page's language; the id itself when unknown. */
const char *web_gap_effect_label(struct page *pg, const char *id);
/* Links to the collection's map and matrices ([{label, href}], maybe
 * empty), for its list page. */
json_t *web_capmap_links(struct page *pg, const struct model_collection *c);
/* Appends to links ([{label, url}]) the maps and matrices narrowed to
 * record id of kind k: those of every collection whose `filter` field is a
 * ref that may name a record of k (a domain's capability map). */
void web_capmap_record_links(struct page *pg, const struct model_kind *k, const char *id,
                             json_t *links);
/* One RFC 4180 row of a CSV file (page-registry.c's cells: formulas
 * defused, quoted when needed), then CRLF. */
void web_csv_row(FILE *f, const char *const *cells, size_t n, char sep);
/* An XLSX workbook written to a temporary file (libxlsxwriter writes
 * files; constant_memory: rows in order, strings inline): NULL when it
 * cannot be made. page_xlsx_done closes it and gives an open descriptor of
 * the file, unlinked (its size in *size), or -1 (always -1 without keep). */
#define PAGE_XLSX_PATH HTTP_TMPNAME_MAX
struct lxw_workbook;
struct lxw_worksheet;
struct lxw_format;
/* A CSV file answered from memory: page_csv_begin takes the separator from
 * ?sep= (comma, the default, or semicolon; another is a 400 page, then it
 * returns -1) and writes the UTF-8 byte order mark; rows go to csv->f with
 * web_csv_row; page_csv_send answers it as `base`.csv, private.
 * page_table_begin with xlsx makes an XLSX workbook instead (one sheet, its
 * first row the header, bold and frozen): rows then go through
 * page_csv_row, which writes either, and page_csv_send answers `base`.xlsx. */
struct page_csv {
    FILE *f;
    char *text;
    size_t len;
    char sep;
    struct lxw_workbook *wb;
    struct lxw_worksheet *ws;
    struct lxw_format *bold;
    uint32_t row;
    char path[PAGE_XLSX_PATH];
};
int page_csv_begin(struct page *pg, struct page_csv *csv);
int page_table_begin(struct page *pg, struct page_csv *csv, bool xlsx);
void page_csv_row(struct page_csv *csv, const char *const *cells, size_t n);
void page_csv_send(struct page *pg, struct page_csv *csv, const char *base);
struct lxw_workbook *page_xlsx_new(char path[PAGE_XLSX_PATH], bool constant_memory);
int page_xlsx_done(struct lxw_workbook *wb, const char *path, bool keep, uint64_t *size);
/* Answers with size bytes of the open file fd as a private download named
 * name (plain_name: its ASCII fallback), then forgets the page's data. */
void page_file_send(struct page *pg, const char *type, int fd, uint64_t size, const char *name,
                    const char *plain_name);
/* The upload of a spreadsheet into a collection's records (page-import.c):
 * the list page's form for those who may (pg->data's import_url), and
 * POST /{lang}/{collection}/import for a collection a kind of which
 * declares an import. */
void web_import_form(struct page *pg);
void web_import_routes_for(struct web *w, struct router *rt, const struct model_collection *c);
/* The data catalogue of a collection some of whose kinds inherit
 * (page-catalogue.c): GET /{lang}/{collection}/catalogue; and the profiles
 * of its kinds with "profile": GET /{lang}/{collection}/{id}/profile. */
void web_catalogue_routes_for(struct web *w, struct router *rt, const struct model_collection *c);
/* The profile page of record id of kind k, or NULL when k has none. */
const char *web_profile_url(struct page *pg, const struct model_kind *k, const char *id);
/* Its URL for the page's language, or NULL when c has none. */
const char *web_catalogue_url(struct page *pg, const struct model_collection *c);

#endif
