/* The SQLite schema as numbered migrations. Migration i (1-based) is
 * sqlite_migrations[i-1]; applied ones are recorded in schema_migrations.
 * Never edit an applied migration: add a new one. */
#ifndef AP_MIGRATIONS_SQLITE_H
#define AP_MIGRATIONS_SQLITE_H

static const char *const sqlite_migrations[] = {
    /* 1: records, revisions, filter index, live counts, full-text index, audit
     * chain, tokens */
    "CREATE TABLE records ("
    "  rid INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  collection TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  owner TEXT,"
    "  revision INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  retired INTEGER NOT NULL DEFAULT 0,"
    "  sort_name TEXT NOT NULL DEFAULT ''"
    ") STRICT;"
    /* the record's JSON apart, so that lists and counts scan narrow rows */
    "CREATE TABLE record_data ("
    "  rid INTEGER PRIMARY KEY REFERENCES records(rid),"
    "  data TEXT NOT NULL"
    ") STRICT;"
    "CREATE INDEX records_list ON records(collection, retired, sort_name, rid);"
    "CREATE INDEX records_updated ON records(collection, retired, updated_at, rid);"
    "CREATE INDEX records_created ON records(collection, retired, created_at, rid);"
    "CREATE INDEX records_ids ON records(collection, retired, id, rid);"
    "CREATE INDEX records_kind ON records(collection, retired, kind, rid);"
    "CREATE INDEX records_owner ON records(owner, retired);"
    "CREATE TABLE revisions ("
    "  rid INTEGER NOT NULL REFERENCES records(rid),"
    "  revision INTEGER NOT NULL,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  PRIMARY KEY (rid, revision)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE attrs ("
    "  field TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  rid INTEGER NOT NULL REFERENCES records(rid),"
    "  PRIMARY KEY (field, value, rid)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX attrs_rid ON attrs(rid);"
    "CREATE TABLE counts ("
    "  collection TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (collection, kind)"
    ") STRICT, WITHOUT ROWID;"
    /* detail=column: no word positions (queries are words and prefixes, never
     * phrases); columnsize=0: no per-document sizes (nothing is ranked) */
    "CREATE VIRTUAL TABLE fts USING fts5(coll, body, detail = column, columnsize = 0,"
    /* '_' joins a token, so that a collection id is one token in `coll` */
    "  tokenize = 'unicode61 remove_diacritics 0 tokenchars _', prefix = '2 3');"
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  collection TEXT NOT NULL,"
    "  record_id TEXT NOT NULL,"
    "  revision INTEGER,"
    "  before TEXT,"
    "  after TEXT,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL"
    ") STRICT;"
    "CREATE INDEX audit_record ON audit(record_id, revision);"
    "CREATE TABLE tokens ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  last_used_at TEXT,"
    "  revoked_at TEXT"
    ") STRICT;",
};

#define SQLITE_N_MIGRATIONS (sizeof sqlite_migrations / sizeof sqlite_migrations[0])

#endif
