/* archportal: the command line — serve, migrate, export, import, check,
 * user and token create, calendar show, notify send and scan, rows import. Every command
 * takes --data DIR (default ./var), where the SQLite database and the documents' files
 * live, and --database postgresql://… to keep the database in PostgreSQL instead. */
#include "api/api.h"
#include "web/web.h"
#include "web/i18n.h"
#include "embedded.h"
#include "http/http.h"
#include "registry/dump.h"
#include "registry/rows.h"
#include "docs/amx.h"
#include "registry/archimate.h"
#include "account/account.h"
#include "auth/password.h"
#include "docs/blobs.h"
#include "docs/documents.h"
#include "docs/inspect.h"
#include "notify/notify.h"
#include "util/timeutil.h"
#include "util/heap.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct opts {
    const char *data;
    const char *database; /* a PostgreSQL URL; NULL: SQLite in data */
    const char *listen;
    const char *model;
    const char *name;
    const char *role;
    const char *user;
    const char *email;
    const char *org;
    const char *public_url;
    unsigned long max_upload;
    unsigned logins_per_minute; /* 0: the default */
    const char *at; /* notify scan --at */
    const char *kind; /* rows import --kind */
    bool dry_run;     /* rows import --dry-run */
    const char *domain; /* archimate export --domain */
    const char *out;    /* archimate export --out */
    const char *version; /* archimate export --version */
    const char *format;  /* archimate export --format xml|csv */
    const char *lang;    /* archimate export --lang (csv) */
    bool restoring; /* import: a new database in a used data folder is the restore */
    bool demo;
    bool secure_cookies;
    bool help; /* --help after the command */
    struct http_config http;
    struct notify_config notify;
    int argc;
    char **argv; /* positional arguments after the command */
};

static void usage(FILE *f)
{
    fputs("usage: archportal COMMAND [options]\n"
          "\n"
          "commands:\n"
          "  serve [--listen ADDR:PORT] [--demo]   serve the portal (default 127.0.0.1:8080)\n"
          "  migrate                               apply database migrations and exit\n"
          "  export                                write the whole repository as JSON Lines\n"
          "  import FILE                           load an export into an empty repository\n"
          "  check                                 verify audit chain, references, indexes\n"
          "  backup DIR                            copy the running portal (its database as of\n"
          "                                        one instant and its documents) into DIR, a\n"
          "                                        new or empty folder\n"
          "  restore DIR                           put a backup into an empty --data folder (and,\n"
          "                                        for a PostgreSQL one, an empty --database),\n"
          "                                        then check it\n"
          "  user create --email E [--org ORG_ID] --role R [--name \"Last First\"]\n"
          "                                        create an active user; the password is read\n"
          "                                        from standard input\n"
          "  token create --name N --user E        print a new personal API token of user E\n"
          "  calendar show YEAR                    print the year's holidays, days off and\n"
          "                                        whether its moved days off are loaded\n"
          "  inspect-document [--max-* N] [--text] FILE\n"
          "                                        print a PDF/DOCX upload's inspection as JSON\n"
          "  notify send --smtp URL [--mail-from A]  send the messages due now, once, and exit\n"
          "  notify scan [--at RFC3339]            make the deadline reminders and digests due\n"
          "                                        at that instant (default now) and exit\n"
          "  rows import --kind K [--dry-run] FILE  load a CSV or XLSX file's rows into records\n"
          "                                        of kind K as its model import declares; print\n"
          "                                        the report (JSON); a refused row: nothing written\n"
          "  archimate export [--version V | --domain D] [--out FILE]\n"
          "                                        write the architecture (a version of it, or one\n"
          "                                        domain's part) in the ArchiMate exchange format\n"
          "                                        3.1 (default: stdout); --format csv: Archi's\n"
          "                                        three CSV files (--lang) in a ZIP at --out\n"
          "  archimate import [--dry-run] [--lang L] FILE\n"
          "                                        import an architecture from an ArchiMate\n"
          "                                        exchange file, a ZIP of Archi's CSV files or\n"
          "                                        Archi's elements.csv (its relations.csv and\n"
          "                                        properties.csv beside it); texts without a\n"
          "                                        language in L; print the report (JSON); a\n"
          "                                        refused concept: nothing written\n"
          "\n",
          f);
    fputs("options for every command:\n"
          "  --data DIR        data directory (default ./var)\n"
          "  --database URL    keep the database in PostgreSQL (postgresql://USER@HOST/DB);\n"
          "                    without it, SQLite in DIR/archportal.db\n"
          "  --model FILE      metamodel file (default: the built-in model/egov-kz.json)\n"
          "serve options:\n"
          "  --threads N  --max-body BYTES  --max-header BYTES (16384 or more)  --max-conns N\n"
          "  --max-conns-per-ip N  --timeout SECONDS (idle)  --quiet (no access log)\n"
          "  --header-timeout SECONDS (a request's headers, counted from the connection's\n"
          "      opening or its previous answer; default 20)\n"
          "  --body-timeout SECONDS  --body-min-rate BYTES_PER_S (a body must be in within\n"
          "      SECONDS plus one second per BYTES_PER_S received; defaults 20 and 8192)\n"
          "  --public-url URL (base of links in messages)  --secure-cookies (behind TLS)\n"
          "  --max-upload BYTES (a document upload; default 100 MiB)\n"
          "  --logins-per-minute N (sign-ins from all addresses together that reach\n"
          "    password hashing; default 300, in bursts of N/6; beyond: 503)\n"
          "  --scan-every-s N (reminders and digests; default 60, 0: never)\n"
          "e-mail (serve, notify send):\n"
          "  --smtp smtp://HOST:PORT (or smtps://; without it messages wait in the outbox)\n"
          "  --mail-from ADDR (default archportal@localhost)\n"
          "  --smtp-backoff-s N (wait after a first failed try, doubling up to 6 h; default 60)\n",
          f);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !*s || *end || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

enum {
    OPT_DATA = 256, OPT_LISTEN, OPT_MODEL, OPT_DEMO, OPT_NAME, OPT_ROLE, OPT_THREADS,
    OPT_MAX_BODY, OPT_MAX_HEADER, OPT_MAX_CONNS, OPT_MAX_PER_IP, OPT_TIMEOUT, OPT_QUIET,
    OPT_USER, OPT_EMAIL, OPT_ORG, OPT_PUBLIC_URL, OPT_SECURE, OPT_MAX_UPLOAD, OPT_SMTP,
    OPT_MAIL_FROM, OPT_SMTP_BACKOFF, OPT_SCAN_EVERY, OPT_AT, OPT_HEADER_TIMEOUT,
    OPT_BODY_TIMEOUT, OPT_BODY_MIN_RATE, OPT_HELP, OPT_LOGINS, OPT_KIND, OPT_DRY_RUN,
    OPT_DOMAIN, OPT_OUT, OPT_VERSION, OPT_FORMAT, OPT_LANG, OPT_DATABASE,
};

static int apply_numeric(struct opts *o, int c, const char *arg)
{
    unsigned long v;
    if (parse_uint(arg, UINT_MAX, &v) < 0) {
        fprintf(stderr, "archportal: '%s' is not a valid number\n", arg);
        return -1;
    }
    switch (c) {
    case OPT_THREADS: o->http.threads = (unsigned)v; break;
    case OPT_MAX_BODY: o->http.max_body = v; break;
    case OPT_MAX_HEADER: o->http.max_header = v; break;
    case OPT_MAX_CONNS: o->http.max_conns = (unsigned)v; break;
    case OPT_MAX_PER_IP: o->http.max_conns_per_ip = (unsigned)v; break;
    case OPT_TIMEOUT: o->http.timeout_s = (unsigned)v; break;
    case OPT_HEADER_TIMEOUT: o->http.header_timeout_s = (unsigned)v; break;
    case OPT_BODY_TIMEOUT: o->http.body_timeout_s = (unsigned)v; break;
    case OPT_BODY_MIN_RATE: o->http.body_min_rate = (unsigned)v; break;
    case OPT_MAX_UPLOAD: o->max_upload = v; break;
    case OPT_SMTP_BACKOFF: o->notify.backoff_ms = (int64_t)v * 1000; break;
    case OPT_SCAN_EVERY: o->notify.scan_ms = (int64_t)v * 1000; break;
    case OPT_LOGINS: o->logins_per_minute = (unsigned)v; break;
    default: return -1;
    }
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"database", required_argument, NULL, OPT_DATABASE},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"model", required_argument, NULL, OPT_MODEL},
        {"demo", no_argument, NULL, OPT_DEMO},
        {"name", required_argument, NULL, OPT_NAME},
        {"role", required_argument, NULL, OPT_ROLE},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"max-header", required_argument, NULL, OPT_MAX_HEADER},
        {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
        {"max-conns-per-ip", required_argument, NULL, OPT_MAX_PER_IP},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
        {"body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT},
        {"body-min-rate", required_argument, NULL, OPT_BODY_MIN_RATE},
        {"help", no_argument, NULL, OPT_HELP},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"user", required_argument, NULL, OPT_USER},
        {"email", required_argument, NULL, OPT_EMAIL},
        {"org", required_argument, NULL, OPT_ORG},
        {"public-url", required_argument, NULL, OPT_PUBLIC_URL},
        {"secure-cookies", no_argument, NULL, OPT_SECURE},
        {"max-upload", required_argument, NULL, OPT_MAX_UPLOAD},
        {"logins-per-minute", required_argument, NULL, OPT_LOGINS},
        {"smtp", required_argument, NULL, OPT_SMTP},
        {"mail-from", required_argument, NULL, OPT_MAIL_FROM},
        {"smtp-backoff-s", required_argument, NULL, OPT_SMTP_BACKOFF},
        {"scan-every-s", required_argument, NULL, OPT_SCAN_EVERY},
        {"at", required_argument, NULL, OPT_AT},
        {"kind", required_argument, NULL, OPT_KIND},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"out", required_argument, NULL, OPT_OUT},
        {"version", required_argument, NULL, OPT_VERSION},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"lang", required_argument, NULL, OPT_LANG},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DATA: o->data = optarg; break;
        case OPT_DATABASE: o->database = optarg; break;
        case OPT_LISTEN: o->listen = optarg; break;
        case OPT_MODEL: o->model = optarg; break;
        case OPT_DEMO: o->demo = true; break;
        case OPT_NAME: o->name = optarg; break;
        case OPT_ROLE: o->role = optarg; break;
        case OPT_QUIET: o->http.access_log = false; break;
        case OPT_USER: o->user = optarg; break;
        case OPT_EMAIL: o->email = optarg; break;
        case OPT_ORG: o->org = optarg; break;
        case OPT_PUBLIC_URL: o->public_url = optarg; break;
        case OPT_SECURE: o->secure_cookies = true; break;
        case OPT_SMTP: o->notify.smtp_url = optarg; break;
        case OPT_MAIL_FROM: o->notify.mail_from = optarg; break;
        case OPT_AT: o->at = optarg; break;
        case OPT_KIND: o->kind = optarg; break;
        case OPT_DRY_RUN: o->dry_run = true; break;
        case OPT_DOMAIN: o->domain = optarg; break;
        case OPT_OUT: o->out = optarg; break;
        case OPT_VERSION: o->version = optarg; break;
        case OPT_FORMAT: o->format = optarg; break;
        case OPT_LANG: o->lang = optarg; break;
        case OPT_HELP: o->help = true; break;
        case '?':
            fprintf(stderr, "archportal: unknown or incomplete option '%s'\n",
                    argv[optind - 1]);
            return -1;
        default:
            if (apply_numeric(o, c, optarg) < 0)
                return -1;
        }
    }
    o->argc = argc - optind;
    o->argv = argv + optind;
    return 0;
}

/* --- shared set-up ------------------------------------------------------------ */

struct app {
    struct model *model;
    struct store *store;
    struct registry *reg;
    struct rights *rights;
    struct calsvc *cal;
    struct accounts *acct;
    struct workflow *wf;
    struct docs *docs;
    struct notify *notify;
};

static int mkdir_p(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return -1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static void app_close(struct app *app);

/* A data folder that held a portal keeps this file, so that a database lost
 * or emptied later is not taken for a new portal (its documents' blobs are
 * the other sign of earlier use). */
#define DATA_MARKER ".archportal-data"

static int count_blob(void *ctx, const char *sha)
{
    (void)ctx, (void)sha;
    return 0;
}

/* What shows that the data folder was used before; "" when nothing does. */
static void data_earlier_use(const char *data, char *why, size_t n)
{
    char p[PATH_MAX];
    struct stat st;
    why[0] = '\0';
    size_t blobs = 0;
    if (snprintf(p, sizeof p, "%s/blobs", data) < (int)sizeof p)
        blobs = blobs_each(p, count_blob, NULL);
    bool marked = snprintf(p, sizeof p, "%s/" DATA_MARKER, data) < (int)sizeof p &&
                  stat(p, &st) == 0;
    if (blobs)
        snprintf(why, n, "blobs/ holds %zu stored document file%s", blobs, blobs == 1 ? "" : "s");
    else if (marked)
        snprintf(why, n, "it holds the file " DATA_MARKER " that a portal left there");
}

/* Leaves the marker in a data folder whose database now holds a portal.
 * Written to a temporary name and renamed, so it is whole or absent. */
static void data_mark(const char *data)
{
    char p[PATH_MAX], tmp[PATH_MAX];
    struct stat st;
    if (snprintf(p, sizeof p, "%s/" DATA_MARKER, data) >= (int)sizeof p ||
        snprintf(tmp, sizeof tmp, "%s.tmp", p) >= (int)sizeof tmp || stat(p, &st) == 0)
        return;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    bool ok = fputs("This folder holds an archportal's data (archportal.db and blobs/).\n"
                    "archportal refuses to start a new portal here if the database is lost:\n"
                    "restore it from a backup.\n",
                    f) >= 0;
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    if (fclose(f) == 0 && ok && rename(tmp, p) == 0)
        return;
    log_event(LOG_WARN, "data_marker", "path", p, "error", strerror(errno), NULL);
    unlink(tmp);
}

/* url with the password of its user part (scheme://user:PASSWORD@host)
 * replaced by "***", for messages. */
static void url_without_password(const char *url, char *out, size_t n)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (!at || !colon || colon > at) {
        snprintf(out, n, "%s", url);
        return;
    }
    snprintf(out, n, "%.*s:***%s", (int)(colon - url), url, at);
}

static int app_open(const struct opts *o, struct app *app)
{
    memset(app, 0, sizeof *app);
    struct err e = ERR_INIT;
    int rc = o->model ? model_load_file(o->model, &app->model, &e)
                      : model_load_buffer((const char *)model_egov_kz, model_egov_kz_len,
                                          &app->model, &e);
    if (rc < 0) {
        fprintf(stderr, "archportal: bad metamodel %s: %s\n", o->model ? o->model : "(built-in)",
                e.detail);
        return -1;
    }
    if (mkdir_p(o->data) < 0) {
        fprintf(stderr, "archportal: cannot create data directory %s: %s\n", o->data,
                strerror(errno));
        model_free(app->model);
        return -1;
    }
    char url[PATH_MAX + 16], used[160], shown[PATH_MAX + 16];
    if (o->database && strncmp(o->database, "postgresql://", 13) != 0 &&
        strncmp(o->database, "postgres://", 11) != 0) {
        fprintf(stderr, "archportal: --database wants a postgresql:// URL, got '%.200s'\n",
                o->database);
        model_free(app->model);
        return -1;
    }
    if (o->database)
        snprintf(url, sizeof url, "%s", o->database);
    else
        snprintf(url, sizeof url, "sqlite:%s/archportal.db", o->data);
    url_without_password(url, shown, sizeof shown);
    data_earlier_use(o->data, used, sizeof used);
    struct store_options so = {.busy_timeout_ms = 10000,
                               .must_exist = used[0] != '\0' && !o->restoring};
    if (store_open(url, &so, &app->store, &e) < 0) {
        fprintf(stderr, "archportal: cannot open %s: %s\n", shown, e.detail);
        if (strcmp(e.type, "database-empty") == 0)
            fprintf(stderr,
                    "archportal: the data folder %s was used before (%s). Restore "
                    "archportal.db from a backup (or import an export), or give an empty "
                    "folder with --data.\n",
                    o->data, used);
        model_free(app->model);
        return -1;
    }
    data_mark(o->data);
    app->reg = registry_new(app->store, app->model);
    if (rights_load((const char *)rights_kz, rights_kz_len, app->model, &app->rights, &e) < 0 ||
        calsvc_open(app->store, (const char *)calendar_kz, calendar_kz_len, &app->cal, &e) < 0) {
        fprintf(stderr, "archportal: %s\n", e.detail);
        app_close(app);
        return -1;
    }
    registry_set_rights(app->reg, app->rights);
    registry_set_day(app->reg, calsvc_local_day_cb, app->cal);
    if (registry_fill_sort_keys(app->reg, &e) < 0) {
        fprintf(stderr, "archportal: cannot compute the names' sort keys: %s\n", e.detail);
        app_close(app);
        return -1;
    }
    struct accounts_config ac;
    accounts_config_defaults(&ac);
    if (o->public_url)
        ac.public_url = o->public_url;
    if (o->logins_per_minute)
        ac.logins_per_minute = o->logins_per_minute;
    app->acct = accounts_new(app->reg, app->cal, &ac);
    app->wf = workflow_new(app->reg, app->acct, app->cal);
    struct docs_config dc;
    docs_config_defaults(&dc);
    char blobs[PATH_MAX];
    snprintf(blobs, sizeof blobs, "%s/blobs", o->data);
    dc.dir = blobs;
    if (o->max_upload)
        dc.max_upload = o->max_upload;
    app->docs = docs_new(app->reg, app->acct, app->cal, &dc, &e);
    if (!app->docs) {
        fprintf(stderr, "archportal: %s\n", e.detail);
        app_close(app);
        return -1;
    }
    workflow_set_gaps(app->wf, docs_gaps, app->docs);
    app->notify = notify_new(app->reg, app->acct, app->cal, &o->notify);
    return 0;
}

static void app_close(struct app *app)
{
    docs_free(app->docs);
    notify_free(app->notify);
    workflow_free(app->wf);
    accounts_free(app->acct);
    calsvc_free(app->cal);
    rights_free(app->rights);
    registry_free(app->reg);
    store_close(app->store);
    model_free(app->model);
}

/* --- commands ------------------------------------------------------------------ */

static int parse_listen(const char *listen, char *addr, size_t n, uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    unsigned long p;
    if (!colon || colon == listen || (size_t)(colon - listen) >= n ||
        parse_uint(colon + 1, 65535, &p) < 0)
        return -1;
    memcpy(addr, listen, (size_t)(colon - listen));
    addr[colon - listen] = '\0';
    *port = (uint16_t)p;
    return 0;
}

/* The demo's documents, made at build time by LibreOffice and Ghostscript
 * (demo/make-demo-documents.py), by the names demo-kz.json gives them. */
extern const unsigned char demo_doc_ts_pdf[], demo_doc_ts_docx[], demo_doc_contract_pdf[],
    demo_doc_act_pdf[], demo_doc_user_manual_pdf[], demo_doc_admin_manual_pdf[];
extern const size_t demo_doc_ts_pdf_len, demo_doc_ts_docx_len, demo_doc_contract_pdf_len,
    demo_doc_act_pdf_len, demo_doc_user_manual_pdf_len, demo_doc_admin_manual_pdf_len;
static const struct demo_file {
    const char *name;
    const unsigned char *data;
    const size_t *len;
} demo_files[] = {
    {"technical-specification.pdf", demo_doc_ts_pdf, &demo_doc_ts_pdf_len},
    {"technical-specification.docx", demo_doc_ts_docx, &demo_doc_ts_docx_len},
    {"contract.pdf", demo_doc_contract_pdf, &demo_doc_contract_pdf_len},
    {"commissioning-act.pdf", demo_doc_act_pdf, &demo_doc_act_pdf_len},
    {"user-manual.pdf", demo_doc_user_manual_pdf, &demo_doc_user_manual_pdf_len},
    {"admin-manual.pdf", demo_doc_admin_manual_pdf, &demo_doc_admin_manual_pdf_len},
};

static const char *jstr(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* Uploads one of demo_files as document `type` of the record, through the
 * documents module (checked and inspected as any upload). */
static int demo_document(struct app *app, const struct actor *a, const json_t *d, struct err *e)
{
    const struct demo_file *f = NULL;
    for (size_t i = 0; i < sizeof demo_files / sizeof demo_files[0]; i++)
        if (strcmp(demo_files[i].name, jstr(d, "file")) == 0)
            f = &demo_files[i];
    if (!f) {
        err_bad_request(e, "file", "demo: no document file '%.60s'", jstr(d, "file"));
        return -1;
    }
    struct docs_upload *u = NULL;
    json_t *doc = NULL, *problems = NULL;
    const char *type = jstr(d, "type");
    int rc = docs_upload_begin(app->docs, a, jstr(d, "collection"), jstr(d, "record"), &u, e);
    if (rc == 0)
        rc = docs_upload_part(u, "type", NULL, NULL, type, 0, strlen(type), e);
    if (rc == 0)
        rc = docs_upload_part(u, "file", f->name, NULL, (const char *)f->data, 0, *f->len, e);
    if (rc == 0)
        rc = docs_upload_finish(u, &doc, &problems, e);
    if (u)
        docs_upload_free(u);
    json_decref(doc);
    json_decref(problems);
    if (rc < 0)
        err_prefix(e, "demo document %s of %s: ", type, jstr(d, "record"));
    return rc;
}

/* One workflow step of demo-kz.json's "workflow": "submit" (awaits the
 * verifier), "return" (submitted, then returned with its remarks),
 * "accept" (the decision its state awaits: one body's agreement), "change"
 * (a registered record edited with its patch: the change awaits review). */
static int demo_step(struct app *app, const struct actor *a, const json_t *s, struct err *e)
{
    const char *act = jstr(s, "action"), *coll = jstr(s, "collection"), *id = jstr(s, "record");
    json_t *out = NULL, *gaps = NULL;
    int rc;
    if (strcmp(act, "change") == 0) {
        rc = registry_patch(app->reg, a, coll, id, -1, json_object_get(s, "patch"), &out, e);
    } else if (strcmp(act, "accept") == 0) {
        json_t *body = json_pack("{s:s}", "decision", "accept");
        rc = workflow_verify(app->wf, a, coll, id, -1, body, &out, e);
        json_decref(body);
    } else if (strcmp(act, "submit") == 0 || strcmp(act, "return") == 0) {
        rc = workflow_submit(app->wf, a, coll, id, -1, &out, &gaps, e);
        if (rc == 0 && strcmp(act, "return") == 0) {
            json_t *body = json_pack("{s:s, s:O}", "decision", "return", "remarks",
                                     json_object_get(s, "remarks"));
            json_decref(out);
            out = NULL;
            rc = body ? workflow_verify(app->wf, a, coll, id, -1, body, &out, e) : -1;
            if (!body)
                err_bad_request(e, "remarks", "demo: a return needs its remarks");
            json_decref(body);
        }
    } else {
        err_bad_request(e, "action", "demo: unknown workflow action '%.40s'", act);
        rc = -1;
    }
    if (rc < 0 && gaps) { /* what the demo data lacks, for whoever edits it */
        char *g = json_dumps(gaps, JSON_COMPACT);
        fprintf(stderr, "archportal: demo %s of %s: gaps %s\n", act, id, g ? g : "");
        free(g);
    }
    json_decref(out);
    json_decref(gaps);
    if (rc < 0)
        err_prefix(e, "demo %s of %s: ", act, id);
    return rc;
}

/* Runs the steps of section "workflow" whose action is (is_change) or is
 * not (!is_change) "change". */
static int demo_steps(struct app *app, const struct actor *a, const json_t *doc, bool is_change,
                      struct err *e)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(doc, "workflow"), i, s)
    {
        if ((strcmp(jstr(s, "action"), "change") == 0) == is_change &&
            demo_step(app, a, s, e) < 0)
            return -1;
    }
    return 0;
}

/* The register of trusted software from the keeper's file, through the
 * import itself (issue 16 item 2). */
static int demo_register(struct app *app, const struct actor *a, struct err *e)
{
    json_t *report = NULL;
    int rc = registry_rows_import(app->reg, a, "trusted_product", (const char *)demo_trusted_csv,
                                  demo_trusted_csv_len, false, &report, e);
    if (rc < 0)
        err_prefix(e, "demo register of trusted software: ");
    json_decref(report);
    return rc;
}

/* After the records: their documents, the steps that leave records
 * submitted or returned, the registration of every other complete record
 * (their documents stand for ones carried over from an earlier registry),
 * then the changes that registered records await review for. */
static int demo_workflow(struct app *app, int *registered, int *documents, struct err *e)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)demo_kz, demo_kz_len, 0, &je);
    if (!doc) {
        err_bad_request(e, "", "demo data: line %d: %s", je.line, je.text);
        return -1;
    }
    struct actor sys = {.id = "system:demo", .system = true};
    int rc = 0;
    size_t i;
    const json_t *d;
    json_array_foreach(json_object_get(doc, "documents"), i, d)
    {
        if ((rc = demo_document(app, &sys, d, e)) < 0)
            break;
        (*documents)++;
    }
    if (rc == 0)
        rc = demo_steps(app, &sys, doc, false, e);
    if (rc == 0)
        rc = workflow_register_complete(app->wf, &sys, registered, e);
    if (rc == 0)
        rc = demo_steps(app, &sys, doc, true, e);
    json_decref(doc);
    if (rc == 0)
        rc = demo_register(app, &sys, e);
    return rc;
}

static int load_demo(struct app *app)
{
    struct err e = ERR_INIT;
    int64_t t0 = time_mono_ns();
    int n = demo_load(app->reg, (const char *)demo_kz, demo_kz_len, &e);
    if (n < 0) {
        fprintf(stderr, "archportal: demo data: %s\n", e.detail);
        return -1;
    }
    if (n > 0) {
        /* the demo shows a registry in use: records at every step of
         * their registration, some with their documents */
        int64_t t1 = time_mono_ns();
        int registered = 0, documents = 0;
        if (demo_workflow(app, &registered, &documents, &e) < 0) {
            fprintf(stderr, "archportal: demo: %s\n", e.detail);
            return -1;
        }
        log_msg(LOG_INFO, "loaded %d demo records in %lld ms; %d documents, registered %d, in %lld ms",
                n, (long long)((t1 - t0) / 1000000), documents, registered,
                (long long)((time_mono_ns() - t1) / 1000000));
    }
    return 0;
}

static int serve_until_signal(struct app *app, struct http_config *cfg, bool secure_cookies)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* server threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);
    struct api api;
    api_init(&api, app->reg, app->store, app->model, app->acct, app->cal);
    api.secure_cookies = secure_cookies;
    api.wf = app->wf;
    api.docs = app->docs;
    struct router *rt = router_new();
    api_routes(&api, rt);
    struct err e = ERR_INIT;
    struct web web;
    /* problems in the API reader's language, from the pages' catalogs */
    http_set_detail_translator(i18n_err_detail);
    if (web_init(&web, &api, &e) < 0) {
        fprintf(stderr, "archportal: %s\n", e.detail);
        web_free(&web);
        router_free(rt);
        api_free(&api);
        return -1;
    }
    web_routes(&web, rt);
    struct http_server *srv = http_server_start(cfg, rt, &e);
    int rc = 0;
    if (!srv) {
        fprintf(stderr, "archportal: cannot listen on %s:%u: %s\n", cfg->listen_addr,
                cfg->port, e.detail);
        rc = -1;
    } else if (notify_start(app->notify, &e) < 0) {
        fprintf(stderr, "archportal: %s\n", e.detail);
        http_server_stop(srv);
        rc = -1;
    } else {
        char port[8];
        snprintf(port, sizeof port, "%u", http_server_port(srv));
        log_event(LOG_INFO, "listening", "addr", cfg->listen_addr, "port", port, NULL);
        int sig = 0;
        sigwait(&set, &sig);
        log_event(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
        http_server_stop(srv);
        /* after the requests: what they put in the outbox waits there */
        notify_stop(app->notify);
    }
    router_free(rt);
    web_free(&web);
    api_free(&api);
    return rc;
}

static int cmd_serve(struct opts *o)
{
    /* The heap of a long-running server (issue 15: peak RSS at national
     * scale), set before any thread starts: two malloc arenas, not eight
     * per CPU (each thread's arena keeps what it freed for itself alone);
     * and blocks of 128 kB or more mapped on their own, given back to the
     * system when freed (by default glibc raises that threshold to the
     * largest block freed, up to 32 MB, after which the text index's
     * merges, the walks' answers and the build's arrays stay in the heap). */
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    char addr[256];
    if (parse_listen(o->listen, addr, sizeof addr, &o->http.port) < 0) {
        fprintf(stderr, "archportal: --listen wants ADDR:PORT, got '%s'\n", o->listen);
        return 2;
    }
    o->http.listen_addr = addr;
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    struct err e = ERR_INIT;
    int rc = (o->demo && load_demo(&app) < 0) ? -1 : 0;
    /* legacy free text taken over by lists of refs ("migrate_from") */
    if (rc == 0 && registry_migrate_fields(app.reg, &e) < 0) {
        fprintf(stderr, "archportal: cannot migrate legacy fields: %s\n", e.detail);
        rc = -1;
    }
    if (rc == 0 && store_analyze(app.store, &e) < 0)
        log_msg(LOG_WARN, "planner statistics not refreshed: %s", e.detail);
    /* documents whose restriction ended while the server was down become
     * searchable */
    if (rc == 0 && docs_reindex_expired(app.docs, &e) < 0)
        log_msg(LOG_WARN, "documents not re-indexed: %s", e.detail);
    if (rc == 0 && registry_enable_filter_index(app.reg, &e) < 0) {
        fprintf(stderr, "archportal: cannot build the filter index: %s\n", e.detail);
        rc = -1;
    }
    /* the writer's cache, filled by the start's scans, holds only what
     * writes touch from now on */
    store_release_writer_cache(app.store);
    malloc_trim(0); /* the builds' scratch memory goes back to the system */
    struct heap_keeper *keeper = NULL;
    if (rc == 0) {
        /* what requests free goes back to the system every 100 ms once it
         * comes to 4 MB (heap.h) */
        keeper = heap_keeper_start(100, 4u << 20);
        rc = serve_until_signal(&app, &o->http, o->secure_cookies);
    }
    heap_keeper_stop(keeper);
    app_close(&app);
    log_event(LOG_INFO, "stopped", NULL);
    return rc < 0 ? 1 : 0;
}

static int cmd_migrate(struct opts *o)
{
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    struct err e = ERR_INIT;
    if (registry_migrate_fields(app.reg, &e) < 0) {
        fprintf(stderr, "archportal: cannot migrate legacy fields: %s\n", e.detail);
        app_close(&app);
        return 1;
    }
    app_close(&app);
    fprintf(stderr, "archportal: database in %s is up to date\n", o->data);
    return 0;
}

static int cmd_export(struct opts *o)
{
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    struct err e = ERR_INIT;
    int rc = dump_export(app.reg, stdout, &e);
    if (rc < 0)
        fprintf(stderr, "archportal: export failed: %s\n", e.detail);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

static int cmd_import(struct opts *o)
{
    if (o->argc < 1) {
        fputs("archportal: import needs a FILE (or - for standard input)\n", stderr);
        return 2;
    }
    const char *path = o->argv[0];
    o->restoring = true; /* into an empty repository, which may be a lost one's folder */
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "archportal: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct app app;
    int rc = app_open(o, &app);
    if (rc == 0) {
        struct err e = ERR_INIT;
        rc = dump_import(app.reg, in, &e);
        if (rc < 0)
            fprintf(stderr, "archportal: import failed, nothing was imported: %s\n", e.detail);
        else if (store_analyze(app.store, &e) < 0)
            fprintf(stderr, "archportal: imported; statistics not refreshed: %s\n", e.detail);
        app_close(&app);
    }
    if (in != stdin)
        fclose(in);
    return rc < 0 ? 1 : 0;
}

static int cmd_check(struct opts *o)
{
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    char *report = NULL;
    int problems = dump_check(app.reg, &report);
    if (problems > 0) {
        fprintf(stdout, "%s%d problem%s found\n", report ? report : "", problems,
                problems == 1 ? "" : "s");
    } else {
        fputs("ok: audit chain, revisions, references, indexes and account tables are consistent\n", stdout);
    }
    free(report);
    app_close(&app);
    return problems > 0 ? 1 : 0;
}

/* Is dir a folder with nothing in it? */
static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)))
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Copies the documents' files of the store under from (DIR/blobs) into
 * the one under to; -1 after saying why. */
static int copy_blobs(const char *from, const char *to, size_t *n)
{
    char f[PATH_MAX], t[PATH_MAX];
    snprintf(f, sizeof f, "%s/blobs", from);
    snprintf(t, sizeof t, "%s/blobs", to);
    struct err e = ERR_INIT;
    struct blobs *b = blobs_open(t, &e);
    int rc = b ? blobs_copy(f, b, n, &e) : -1;
    blobs_close(b);
    if (rc < 0)
        fprintf(stderr, "archportal: the documents' files were not all copied: %s\n", e.detail);
    return rc;
}

/* archportal backup DIR: the database as of one instant (SQLite's online
 * backup, pg_dump), then the documents' files, which are only ever added:
 * every one the copy names was stored before it was made. */
static int cmd_backup(struct opts *o)
{
    if (o->argc < 1) {
        fputs("archportal: backup needs a DIR (a new or empty folder)\n", stderr);
        return 2;
    }
    const char *dir = o->argv[0];
    if (mkdir_p(dir) < 0 || !dir_empty(dir)) {
        fprintf(stderr, "archportal: %s is to be a new or empty folder for the backup\n", dir);
        return 1;
    }
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    struct err e = ERR_INIT;
    const char *file = NULL;
    size_t n = 0;
    int rc = store_backup(app.store, dir, &file, &e);
    if (rc < 0)
        fprintf(stderr, "archportal: backup failed: %s\n", e.detail);
    else
        rc = copy_blobs(o->data, dir, &n);
    app_close(&app);
    if (rc == 0)
        printf("backed up into %s: %s and %zu document file%s\n", dir, file, n, n == 1 ? "" : "s");
    return rc < 0 ? 1 : 0;
}

/* archportal restore DIR: a backup into an empty data folder (and database),
 * then the check of what it holds. */
static int cmd_restore(struct opts *o)
{
    if (o->argc < 1) {
        fputs("archportal: restore needs the DIR a backup made\n", stderr);
        return 2;
    }
    const char *dir = o->argv[0];
    char from[PATH_MAX], used[160], url[PATH_MAX + 16];
    struct stat st;
    bool pg = snprintf(from, sizeof from, "%s/archportal.pgdump", dir) < (int)sizeof from &&
              stat(from, &st) == 0;
    if (!pg && (snprintf(from, sizeof from, "%s/archportal.db", dir) >= (int)sizeof from ||
                stat(from, &st) != 0)) {
        fprintf(stderr, "archportal: %s holds no backup (archportal.db or archportal.pgdump)\n",
                dir);
        return 1;
    }
    if (pg != (o->database != NULL)) {
        fputs(pg ? "archportal: this backup is of a PostgreSQL database: restore it into an "
                   "empty one with --database postgresql://...\n"
                 : "archportal: this backup is of an SQLite database: restore it into --data "
                   "(export and import move a portal to PostgreSQL)\n",
              stderr);
        return 1;
    }
    if (mkdir_p(o->data) < 0) {
        fprintf(stderr, "archportal: cannot create data directory %s: %s\n", o->data,
                strerror(errno));
        return 1;
    }
    data_earlier_use(o->data, used, sizeof used);
    if (used[0]) {
        fprintf(stderr, "archportal: %s was used before (%s): restore into an empty folder\n",
                o->data, used);
        return 1;
    }
    if (pg)
        snprintf(url, sizeof url, "%s", o->database);
    else
        snprintf(url, sizeof url, "sqlite:%s/archportal.db", o->data);
    struct err e = ERR_INIT;
    size_t n = 0;
    if (store_restore(url, from, &e) < 0) {
        fprintf(stderr, "archportal: restore failed: %s\n", e.detail);
        return 1;
    }
    if (copy_blobs(dir, o->data, &n) < 0)
        return 1;
    printf("restored from %s: the database and %zu document file%s; checking it\n", dir, n,
           n == 1 ? "" : "s");
    fflush(stdout);
    return cmd_check(o);
}

static int cmd_token(struct opts *o)
{
    if (o->argc < 1 || strcmp(o->argv[0], "create") != 0 || !o->name || !o->user) {
        fputs("usage: archportal token create --name NAME --user EMAIL\n", stderr);
        return 2;
    }
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    struct actor by = {.id = "cli", .system = true};
    char *plain = NULL, uid[40];
    json_t *meta = NULL;
    struct err e = ERR_INIT;
    int rc = user_id_by_email(app.acct, o->user, uid, &e);
    if (rc == 0)
        rc = token_create(app.acct, &by, uid, o->name, NULL, &plain, &meta, &e);
    if (rc < 0)
        fprintf(stderr, "archportal: %s\n", e.detail);
    else
        printf("%s\n", plain);
    free(plain);
    json_decref(meta);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

/* Reads one line (the password) from standard input, without its newline. */
static int read_password(char *buf, size_t n)
{
    if (!fgets(buf, (int)n, stdin))
        return -1;
    size_t len = strcspn(buf, "\r\n");
    if (buf[len] == '\0' && len == n - 1)
        return -1; /* longer than the buffer */
    buf[len] = '\0';
    return 0;
}

static int cmd_user(struct opts *o)
{
    if (o->argc < 1 || strcmp(o->argv[0], "create") != 0 || !o->email || !o->role) {
        fputs("usage: archportal user create --email E [--org ORG_ID] --role ROLE "
              "[--name \"LAST FIRST\"] < password\n",
              stderr);
        return 2;
    }
    char pw[256];
    if (read_password(pw, sizeof pw) < 0) {
        fputs("archportal: the password (one line, at most 128 bytes) is read from standard "
              "input\n",
              stderr);
        return 2;
    }
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    char last[128] = "", *first = NULL;
    snprintf(last, sizeof last, "%s", o->name ? o->name : o->email);
    first = strchr(last, ' ');
    if (first)
        *first++ = '\0';
    json_t *in = json_pack("{s:s, s:s?, s:[s], s:s, s:s}", "email", o->email, "org", o->org,
                           "roles", o->role, "last_name", last, "first_name",
                           first && *first ? first : "-");
    struct actor by = {.id = "cli", .system = true};
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = user_create(app.acct, &by, in, pw, &out, &e);
    memset(pw, 0, sizeof pw);
    if (rc < 0)
        fprintf(stderr, "archportal: %s%s%s\n", e.field[0] ? e.field : "", e.field[0] ? ": " : "",
                e.detail);
    else
        printf("%s\n", json_string_value(json_object_get(out, "id")));
    json_decref(in);
    json_decref(out);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

static int cmd_calendar(struct opts *o)
{
    char *end = NULL;
    long year = o->argc >= 2 ? strtol(o->argv[1], &end, 10) : 0;
    if (o->argc < 2 || strcmp(o->argv[0], "show") != 0 || !end || *end) {
        fputs("usage: archportal calendar show YEAR\n", stderr);
        return 2;
    }
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    json_t *y = NULL;
    struct err e = ERR_INIT;
    int rc = calsvc_year(app.cal, (int)year, &y, &e);
    if (rc < 0) {
        fprintf(stderr, "archportal: %s\n", e.detail);
    } else {
        printf("%ld: %lld working days, %lld days off\n", year,
               (long long)json_integer_value(json_object_get(y, "working_days")),
               (long long)json_integer_value(json_object_get(y, "non_working_days")));
        const char *note = json_string_value(json_object_get(y, "transfers_note"));
        printf("transfers: %s (%s)%s%s\n", json_string_value(json_object_get(y, "transfers")),
               json_string_value(json_object_get(json_object_get(y, "transfers_text"), "en")),
               note ? "\n  " : "", note ? note : "");
        const json_t *days = json_object_get(y, "days");
        for (size_t i = 0; i < json_array_size(days); i++) {
            const json_t *d = json_array_get(days, i);
            const json_t *name = json_object_get(d, "name");
            const char *ru = json_string_value(json_object_get(name, "ru"));
            const char *en = json_string_value(json_object_get(name, "en"));
            const char *from = json_string_value(json_object_get(d, "moved_from"));
            printf("%s  %-11s  %s%s%s%s%s%s\n", json_string_value(json_object_get(d, "date")),
                   json_string_value(json_object_get(d, "type")), ru ? ru : "",
                   ru && en ? " / " : "", en ? en : "", from ? "  (moved from " : "",
                   from ? from : "", from ? ")" : "");
            static const char *const more[] = {"note", "source"};
            for (size_t k = 0; k < 2; k++) {
                const char *v = json_string_value(json_object_get(d, more[k]));
                if (v)
                    printf("            %s: %s\n", more[k], v);
            }
        }
    }
    json_decref(y);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

/* inspect-document [--max-entries N --max-uncompressed N --max-ratio N
 * --max-text N] [--text [--pdftotext PATH]] [--] FILE: prints the
 * inspection report (docs/inspect.h) as JSON; the server runs it as its
 * isolated child (doc_inspect_isolated). --text also puts a PDF's text
 * (pdftotext) into the report. Parses its own options: they are not the
 * other commands'. */
static int cmd_inspect_document(int argc, char **argv)
{
    struct doc_caps caps;
    doc_caps_defaults(&caps);
    const char *path = NULL, *pdftotext = "/usr/bin/pdftotext";
    bool text = false, opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        unsigned long v = 0;
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = true;
        } else if (!opts_done && strcmp(a, "--text") == 0) {
            text = true;
        } else if (!opts_done && strcmp(a, "--pdftotext") == 0 && i + 1 < argc) {
            pdftotext = argv[++i];
        } else if (!opts_done && strncmp(a, "--max-", 6) == 0 && i + 1 < argc &&
                   parse_uint(argv[i + 1], ULONG_MAX, &v) == 0 && v > 0) {
            i++;
            if (strcmp(a, "--max-entries") == 0)
                caps.max_entries = v;
            else if (strcmp(a, "--max-uncompressed") == 0)
                caps.max_uncompressed = v;
            else if (strcmp(a, "--max-ratio") == 0)
                caps.max_ratio = v;
            else if (strcmp(a, "--max-text") == 0)
                caps.max_text = v;
            else
                path = NULL, i = argc; /* unknown --max-*: usage */
        } else if ((opts_done || a[0] != '-') && !path) {
            path = a;
        } else {
            path = NULL;
            break;
        }
    }
    if (!path) {
        fputs("usage: archportal inspect-document [--max-entries N] [--max-uncompressed N]\n"
              "         [--max-ratio N] [--max-text N] [--text [--pdftotext PATH]] [--] FILE\n",
              stderr);
        return 2;
    }
    struct doc_report r;
    struct err e = ERR_INIT;
    if (doc_inspect_path(path, &caps, &r, &e) < 0) {
        fprintf(stderr, "archportal: %s\n", e.detail);
        doc_report_free(&r);
        return 1;
    }
    if (text && r.format == DOC_FORMAT_PDF && r.pages >= 0 && !r.encrypted &&
        doc_pdf_text(pdftotext, path, caps.max_text, &r.text, &r.text_len, &e) < 0)
        fprintf(stderr, "archportal: no text from the PDF: %s\n", e.detail);
    json_t *j = doc_report_json(&r);
    int rc = json_dumpf(j, stdout, JSON_COMPACT) == 0 && fputc('\n', stdout) != EOF &&
                     fflush(stdout) == 0
                 ? 0
                 : 1;
    json_decref(j);
    doc_report_free(&r);
    return rc;
}

static int notify_send(struct app *app)
{
    struct notify_send_stats st;
    struct err e = ERR_INIT;
    if (notify_send_due(app->notify, &st, &e) < 0) {
        fprintf(stderr, "archportal: %s\n", e.detail);
        return -1;
    }
    printf("sent %d, failed %d, waiting %lld\n", st.sent, st.failed, (long long)st.waiting);
    return 0;
}

static int notify_scan_at(struct app *app, const char *at)
{
    int64_t now = time_now_ms();
    if (at && time_parse_rfc3339(at, &now) < 0) {
        fprintf(stderr, "archportal: --at wants an RFC 3339 date-time, got '%s'\n", at);
        return -1;
    }
    struct notify_scan_stats st;
    struct err e = ERR_INIT;
    if (notify_scan(app->notify, now, &st, &e) < 0) {
        fprintf(stderr, "archportal: %s\n", e.detail);
        return -1;
    }
    printf("reminders %d, digests %d, messages %d%s\n", st.reminders, st.digests, st.messages,
           st.rule_figures ? ", the rules' figures of the day" : "");
    return 0;
}

static int cmd_notify(struct opts *o)
{
    bool send = o->argc == 1 && strcmp(o->argv[0], "send") == 0;
    bool scan = o->argc == 1 && strcmp(o->argv[0], "scan") == 0;
    if ((!send && !scan) || (send && !o->notify.smtp_url)) {
        fputs("usage: archportal notify send --smtp URL [--mail-from ADDR] [--smtp-backoff-s N]\n"
              "       archportal notify scan [--at RFC3339]\n",
              stderr);
        return 2;
    }
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    int rc = send ? notify_send(&app) : notify_scan_at(&app, o->at);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

/* Reads a whole file of at most max bytes (malloc'd); NULL with errno. */
static char *read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = xmalloc(max + 2);
    *len = fread(data, 1, max + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        errno = EIO;
        return NULL;
    }
    return data;
}

/* An import's report (its problems said in English) on stdout, the
 * failure on stderr; report is released. */
static void print_report(json_t *report, const char *items, int rc, const struct err *e)
{
    if (report) {
        i18n_rows_errors(LANG_EN, json_object_get(report, items));
        json_dumpf(report, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    }
    if (rc < 0)
        fprintf(stderr, "archportal: %s%s%s\n", e->field[0] ? e->field : "",
                e->field[0] ? ": " : "", e->detail);
    json_decref(report);
}

/* A file named like Archi's elements.csv: its relations.csv and
 * properties.csv beside it (the same prefix), read when they exist. */
static int read_archi_csv(const char *path, struct arena *ar, struct amx *file, struct err *e)
{
    size_t n = strlen(path), el = strlen("elements.csv");
    char *data[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    static const char *const names[3] = {"elements.csv", "relations.csv", "properties.csv"};
    for (size_t i = 0; i < 3; i++) {
        char sibling[4096];
        snprintf(sibling, sizeof sibling, "%.*s%s", (int)(n - el), path, names[i]);
        data[i] = read_file(sibling, AMX_MAX_FILE, &len[i]);
        if (!data[i] && (i == 0 || errno != ENOENT)) {
            err_set(e, 400, "bad-file", "file", "cannot read %s: %s", sibling, strerror(errno));
            for (size_t j = 0; j < i; j++)
                free(data[j]);
            return -1;
        }
    }
    int rc = amx_read_archi_csv(ar, data[0], len[0], data[1], len[1], data[2], len[2], file, e);
    for (size_t i = 0; i < 3; i++)
        free(data[i]);
    return rc;
}

static int archimate_import(struct opts *o)
{
    const char *path = o->argv[1];
    size_t n = strlen(path), el = strlen("elements.csv");
    struct arena *ar = arena_new();
    struct amx file;
    struct err e = ERR_INIT;
    int rc;
    memset(&file, 0, sizeof file);
    if (n >= el && strcmp(path + n - el, "elements.csv") == 0) {
        rc = read_archi_csv(path, ar, &file, &e);
    } else {
        size_t len = 0;
        char *data = read_file(path, AMX_MAX_FILE, &len);
        if (!data) {
            fprintf(stderr, "archportal: cannot read %s: %s\n", path, strerror(errno));
            arena_free(ar);
            return 1;
        }
        rc = registry_archimate_read(ar, data, len, &file, &e);
        free(data);
    }
    struct app app;
    json_t *report = NULL;
    bool opened = false;
    if (rc == 0 && (rc = app_open(o, &app)) == 0) {
        opened = true;
        struct actor by = {.id = "cli", .system = true};
        rc = registry_archimate_import(app.reg, &by, &file, o->lang, o->dry_run, &report, &e);
    } else if (rc == 0) {
        amx_free(&file);
        arena_free(ar);
        return 1;
    }
    print_report(report, "concepts", rc, &e);
    amx_free(&file);
    arena_free(ar);
    if (opened)
        app_close(&app);
    return rc < 0 ? 1 : 0;
}

static int cmd_archimate(struct opts *o)
{
    if (o->argc == 2 && strcmp(o->argv[0], "import") == 0)
        return archimate_import(o);
    bool csv = o->format && strcmp(o->format, "csv") == 0;
    if (o->argc < 1 || strcmp(o->argv[0], "export") != 0 ||
        (o->format && !csv && strcmp(o->format, "xml") != 0) || (csv && !o->out)) {
        fputs("usage: archportal archimate export [--version V | --domain D] [--out FILE]\n"
              "       archportal archimate export --format csv [--lang kk|ru|en] "
              "[--version V | --domain D] --out FILE.zip\n"
              "       archportal archimate import [--dry-run] [--lang kk|ru|en] "
              "FILE.xml|FILE.zip|elements.csv\n",
              stderr);
        return 2;
    }
    if (csv) {
        struct app app;
        if (app_open(o, &app) < 0)
            return 1;
        struct actor by = {.id = "cli", .system = true};
        struct err e = ERR_INIT;
        int rc = registry_archi_csv_zip(app.reg, &by, o->domain, o->version, o->lang, o->out, &e);
        if (rc < 0)
            fprintf(stderr, "archportal: %s%s%s\n", e.field[0] ? e.field : "",
                    e.field[0] ? ": " : "", e.detail);
        app_close(&app);
        return rc < 0 ? 1 : 0;
    }
    FILE *out = o->out ? fopen(o->out, "wb") : stdout;
    if (!out) {
        fprintf(stderr, "archportal: cannot write %s: %s\n", o->out, strerror(errno));
        return 1;
    }
    struct app app;
    if (app_open(o, &app) < 0) {
        if (o->out)
            fclose(out);
        return 1;
    }
    struct actor by = {.id = "cli", .system = true};
    struct err e = ERR_INIT;
    int rc = registry_archimate_export(app.reg, &by, o->domain, o->version, out, &e);
    if (fflush(out) != 0 && rc == 0) {
        err_internal(&e, "cannot write the file");
        rc = -1;
    }
    if (o->out && fclose(out) != 0 && rc == 0) {
        err_internal(&e, "cannot write the file");
        rc = -1;
    }
    if (rc < 0) {
        fprintf(stderr, "archportal: %s%s%s\n", e.field[0] ? e.field : "", e.field[0] ? ": " : "",
                e.detail);
        if (o->out)
            unlink(o->out); /* no half file left behind */
    }
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

static int cmd_rows(struct opts *o)
{
    if (o->argc < 2 || strcmp(o->argv[0], "import") != 0 || !o->kind) {
        fputs("usage: archportal rows import --kind KIND [--dry-run] FILE\n", stderr);
        return 2;
    }
    size_t len = 0;
    char *data = read_file(o->argv[1], ROWS_MAX_FILE, &len);
    if (!data) {
        fprintf(stderr, "archportal: cannot read %s: %s\n", o->argv[1], strerror(errno));
        return 1;
    }
    struct app app;
    if (app_open(o, &app) < 0) {
        free(data);
        return 1;
    }
    struct actor by = {.id = "cli", .system = true};
    struct err e = ERR_INIT;
    json_t *report = NULL;
    int rc = registry_rows_import(app.reg, &by, o->kind, data, len, o->dry_run, &report, &e);
    print_report(report, "rows", rc, &e);
    free(data);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "inspect-document") == 0)
        return cmd_inspect_document(argc - 1, argv + 1);
    password_init(0, 0, 0);
    struct opts o = {.data = "./var", .listen = "127.0.0.1:8080"};
    http_config_defaults(&o.http);
    notify_config_defaults(&o.notify);
    o.http.access_log = true;
    const char *cmd = argv[1];
    if (parse_opts(argc - 1, argv + 1, &o) < 0)
        return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(struct opts *);
    } cmds[] = {{"serve", cmd_serve},   {"migrate", cmd_migrate}, {"export", cmd_export},
                {"import", cmd_import}, {"check", cmd_check},     {"token", cmd_token},
                {"backup", cmd_backup}, {"restore", cmd_restore},
                {"user", cmd_user},     {"calendar", cmd_calendar}, {"notify", cmd_notify},
                {"rows", cmd_rows},     {"archimate", cmd_archimate}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            return cmds[i].fn(&o);
    fprintf(stderr, "archportal: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
