/* pgtest: a database of its own for a unit test on the PostgreSQL of
 * tests/pg/with-pg.sh, which sets ARCHPORTAL_TEST_PG (a URL of its base
 * database) and libpq's PGHOST, PGPORT and PGUSER. Without it the tests
 * run on SQLite. Header-only: each test program includes it once. */
#ifndef AP_PGTEST_H
#define AP_PGTEST_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The base URL, or NULL when the tests run on SQLite. */
static const char *pgtest_base(void)
{
    const char *b = getenv("ARCHPORTAL_TEST_PG");
    return b && *b ? b : NULL;
}

/* Runs one statement on the base database; 0 or -1 (the error on stderr). */
static int pgtest_admin(const char *sql)
{
    PGconn *c = PQconnectdb(pgtest_base());
    int rc = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
        PQclear(r);
    }
    if (rc < 0)
        fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
    PQfinish(c);
    return rc;
}

/* Makes a fresh database named after prefix, the process and a counter
 * (into db) and its URL (into url); -1 when it cannot. */
static int pgtest_create(const char *prefix, char *db, size_t dn, char *url, size_t un)
{
    static int n;
    snprintf(db, dn, "%s_%d_%d", prefix, (int)getpid(), ++n);
    char sql[160];
    /* FILE_COPY: twice as fast as the default WAL_LOG for a small template */
    snprintf(sql, sizeof sql, "CREATE DATABASE %s STRATEGY FILE_COPY", db);
    snprintf(url, un, "postgresql:///%s", db);
    return pgtest_admin(sql);
}

/* Drops a database made by pgtest_create, ending its connections. */
static int pgtest_drop(const char *db)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    return pgtest_admin(sql);
}

#endif
