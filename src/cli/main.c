/* archportal: the command line — serve, migrate, export, import, check and
 * token create. Every command takes --data DIR (default ./var), where the
 * SQLite database lives. */
#include "api/api.h"
#include "embedded.h"
#include "http/http.h"
#include "registry/dump.h"
#include "registry/token.h"
#include "util/log.h"

#include <errno.h>
#include <getopt.h>
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
    const char *listen;
    const char *model;
    const char *name;
    const char *role;
    bool demo;
    struct http_config http;
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
          "  token create --name N --role R        print a new API token (role: admin, ...)\n"
          "\n"
          "options for every command:\n"
          "  --data DIR        data directory (default ./var)\n"
          "  --model FILE      metamodel file (default: the built-in model/egov-kz.json)\n"
          "serve options:\n"
          "  --threads N  --max-body BYTES  --max-header BYTES  --max-conns N\n"
          "  --max-conns-per-ip N  --timeout SECONDS  --quiet (no access log)\n",
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
    default: return -1;
    }
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, OPT_DATA},
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
        {"quiet", no_argument, NULL, OPT_QUIET},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DATA: o->data = optarg; break;
        case OPT_LISTEN: o->listen = optarg; break;
        case OPT_MODEL: o->model = optarg; break;
        case OPT_DEMO: o->demo = true; break;
        case OPT_NAME: o->name = optarg; break;
        case OPT_ROLE: o->role = optarg; break;
        case OPT_QUIET: o->http.access_log = false; break;
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
    char url[PATH_MAX + 16];
    snprintf(url, sizeof url, "sqlite:%s/archportal.db", o->data);
    struct store_options so = {.busy_timeout_ms = 10000};
    if (store_open(url, &so, &app->store, &e) < 0) {
        fprintf(stderr, "archportal: cannot open %s: %s\n", url, e.detail);
        model_free(app->model);
        return -1;
    }
    app->reg = registry_new(app->store, app->model);
    return 0;
}

static void app_close(struct app *app)
{
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

static int load_demo(struct app *app)
{
    struct err e = ERR_INIT;
    int n = demo_load(app->reg, (const char *)demo_kz, demo_kz_len, &e);
    if (n < 0) {
        fprintf(stderr, "archportal: demo data: %s\n", e.detail);
        return -1;
    }
    if (n > 0)
        log_msg(LOG_INFO, "loaded %d demo records", n);
    return 0;
}

static int serve_until_signal(struct app *app, struct http_config *cfg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* server threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);
    struct api api;
    api_init(&api, app->reg, app->store, app->model);
    struct router *rt = router_new();
    api_routes(&api, rt);
    struct err e = ERR_INIT;
    struct http_server *srv = http_server_start(cfg, rt, &e);
    int rc = 0;
    if (!srv) {
        fprintf(stderr, "archportal: cannot listen on %s:%u: %s\n", cfg->listen_addr,
                cfg->port, e.detail);
        rc = -1;
    } else {
        char port[8];
        snprintf(port, sizeof port, "%u", http_server_port(srv));
        log_event(LOG_INFO, "listening", "addr", cfg->listen_addr, "port", port, NULL);
        int sig = 0;
        sigwait(&set, &sig);
        log_event(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
        http_server_stop(srv);
    }
    router_free(rt);
    api_free(&api);
    return rc;
}

static int cmd_serve(struct opts *o)
{
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
    if (rc == 0 && store_analyze(app.store, &e) < 0)
        log_msg(LOG_WARN, "planner statistics not refreshed: %s", e.detail);
    if (rc == 0 && registry_enable_filter_index(app.reg, &e) < 0) {
        fprintf(stderr, "archportal: cannot build the filter index: %s\n", e.detail);
        rc = -1;
    }
    if (rc == 0)
        rc = serve_until_signal(&app, &o->http);
    app_close(&app);
    log_event(LOG_INFO, "stopped", NULL);
    return rc < 0 ? 1 : 0;
}

static int cmd_migrate(struct opts *o)
{
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
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
        fputs("ok: audit chain, revisions, references and indexes are consistent\n", stdout);
    }
    free(report);
    app_close(&app);
    return problems > 0 ? 1 : 0;
}

static int cmd_token(struct opts *o)
{
    if (o->argc < 1 || strcmp(o->argv[0], "create") != 0 || !o->name || !o->role) {
        fputs("usage: archportal token create --name NAME --role ROLE\n", stderr);
        return 2;
    }
    struct app app;
    if (app_open(o, &app) < 0)
        return 1;
    struct actor by = {.id = "cli", .role = "admin"};
    char *plain = NULL;
    struct err e = ERR_INIT;
    int rc = token_create(app.store, &by, o->name, o->role, &plain, &e);
    if (rc < 0)
        fprintf(stderr, "archportal: %s\n", e.detail);
    else
        printf("%s\n", plain);
    free(plain);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    struct opts o = {.data = "./var", .listen = "127.0.0.1:8080"};
    http_config_defaults(&o.http);
    o.http.access_log = true;
    const char *cmd = argv[1];
    if (parse_opts(argc - 1, argv + 1, &o) < 0)
        return 2;
    static const struct {
        const char *name;
        int (*fn)(struct opts *);
    } cmds[] = {{"serve", cmd_serve},   {"migrate", cmd_migrate}, {"export", cmd_export},
                {"import", cmd_import}, {"check", cmd_check},     {"token", cmd_token}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            return cmds[i].fn(&o);
    fprintf(stderr, "archportal: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
