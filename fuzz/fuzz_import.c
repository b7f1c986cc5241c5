/* libFuzzer target: `archportal import` (the export-file parser, with the
 * tables of the account module, the workflow and notify, with their
 * checks) into a real SQLite repository in a temporary directory, emptied
 * after every input that imports. Also checks that a refused import
 * leaves nothing. */
#include "account/account.h"
#include "embedded.h"
#include "notify/notify.h"
#include "registry/dump.h"
#include "workflow/workflow.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct model *model;
static struct store *store;
static struct registry *reg;
static struct rights *rights;
static struct calsvc *cal;
static struct accounts *acct;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct err e = ERR_INIT;
    char dir[] = "/tmp/ap-fuzz-import-XXXXXX";
    if (!mkdtemp(dir) ||
        model_load_buffer((const char *)model_egov_kz, model_egov_kz_len, &model, &e) < 0)
        abort();
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/db", dir);
    if (store_open(url, NULL, &store, &e) < 0)
        abort();
    reg = registry_new(store, model);
    if (rights_load((const char *)rights_kz, rights_kz_len, model, &rights, &e) < 0 ||
        calsvc_open(store, (const char *)calendar_kz, calendar_kz_len, &cal, &e) < 0)
        abort();
    registry_set_rights(reg, rights);
    struct accounts_config ac;
    accounts_config_defaults(&ac);
    acct = accounts_new(reg, cal, &ac);
    workflow_new(reg, acct, cal);
    static struct notify_config nc;
    notify_config_defaults(&nc);
    notify_new(reg, acct, cal, &nc);
    return 0;
}

static void empty_repository(void)
{
    static const char *const tables[] = {
        "attrs", "search_text", "counts", "revisions", "record_data", "record_names", "records",
        "audit",    "tokens", "links",   "sessions",   "outbox",      "applications",
        "obligations", "calendar_years", "inbox", "users", "accounting_codes", "code_counters",
        "workflow_events", "notify_sent"};
    struct err e = ERR_INIT;
    struct store_conn *c = store_begin_write(store, &e);
    if (!c)
        abort();
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "DELETE FROM %s", tables[i]);
        if (store_exec(c, sql, &e, 0) < 0)
            abort();
    }
    if (store_commit(c, &e) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    FILE *in = fmemopen((void *)data, size, "r");
    if (!in)
        return 0;
    struct err e = ERR_INIT;
    int rc = dump_import(reg, in, &e);
    fclose(in);
    if (rc == 0)
        empty_repository();
    else if (registry_is_empty(reg, &e) != 1)
        abort(); /* a refused import must leave nothing behind */
    return 0;
}
