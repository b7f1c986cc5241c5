/* The PostgreSQL schema as numbered migrations, as migrations-sqlite.h is
 * SQLite's: migration i (1-based) is pg_migrations[i-1], a list of
 * statements run in order; applied ones are recorded in schema_migrations. Never edit an applied migration: add a
 * new one.
 *
 * Migration 1 is the schema SQLite reached by its migration 12, in
 * PostgreSQL's types (timestamps stay RFC 3339 text, as the code writes
 * and compares them), and the few SQLite functions the shared SQL calls,
 * defined with SQLite's meaning (json_each of an array's texts,
 * json_extract and json_type by an SQLite path, json_valid, instr). A row
 * id given by the database comes from a sequence (pg_serials). The
 * documents' full-text index is a tsvector of the terms the store's
 * tokenizer split (driver-pg.c), and the collection as one more term. */
#ifndef AP_MIGRATIONS_PG_H
#define AP_MIGRATIONS_PG_H

#include <stddef.h>

/* Migration 1's statements, in order. */
static const char *const pg_migration_1[] = {
    /* 1: the schema of SQLite's migrations 1-12 */
    /* functions of SQLite's the shared SQL uses */
    "CREATE FUNCTION json_each(t text) RETURNS TABLE(value text) LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT x FROM json_array_elements_text(t::json) AS j(x) $$",
    /* STORE_SQL_JSON_INTS: the integers of a JSON array */
    "CREATE FUNCTION ap_ints(t text) RETURNS TABLE(value bigint) LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT CAST(x AS bigint) FROM json_array_elements_text(t::json) "
    "AS j(x) $$",
    "CREATE FUNCTION ap_path(p text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "  SELECT coalesce(array_agg(coalesce(m[1], m[2]) ORDER BY n), '{}') "
    "  FROM regexp_matches(p, '\\.([^.\\[]+)|\\[([0-9]+)\\]', 'g') WITH ORDINALITY AS r(m, n) $$",
    "CREATE FUNCTION json_extract(t text, p text) RETURNS text LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT CASE WHEN jsonb_typeof(t::jsonb #> ap_path(p)) = 'null' "
    "  THEN NULL ELSE t::jsonb #>> ap_path(p) END $$",
    "CREATE FUNCTION json_type(t text, p text) RETURNS text LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT CASE jsonb_typeof(v) WHEN 'string' THEN 'text' "
    "  WHEN 'number' THEN CASE WHEN v::text ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END "
    "  WHEN 'boolean' THEN v::text ELSE jsonb_typeof(v) END "
    "  FROM (SELECT t::jsonb #> ap_path(p) AS v) AS x $$",
    "CREATE FUNCTION json_type(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "$$ SELECT json_type(t, '$') $$",
    "CREATE FUNCTION json_valid(t text) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$ "
    "BEGIN PERFORM t::jsonb; RETURN 1; EXCEPTION WHEN others THEN RETURN 0; END $$",
    "CREATE FUNCTION instr(t text, s text) RETURNS integer LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT strpos(t, s) $$",
    /* the checks' (store.h) */
    "CREATE FUNCTION ap_not_date(t text) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$ "
    "BEGIN IF t IS NULL THEN RETURN NULL; END IF; "
    "RETURN CASE WHEN t ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND to_char(t::date, 'YYYY-MM-DD') = t "
    "THEN 0 ELSE 1 END; EXCEPTION WHEN others THEN RETURN 1; END $$",
    "CREATE FUNCTION ap_not_hex(t text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "$$ SELECT CASE WHEN t ~ '[^0-9a-f]' THEN 1 ELSE 0 END $$",
    /* ap_words(body, words): every term of words begins a term of body
     * (SQLite's is the full-text tokenizer's; here letters, digits and '_'
     * make a term, as that tokenizer has it for the portal's texts) */
    "CREATE FUNCTION ap_terms(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "$$ SELECT array_remove(regexp_split_to_array(lower(t), '[^[:alnum:]_]+'), '') $$",
    /* a term begins a term of the body when " term" is in " t1 t2 …" */
    "CREATE FUNCTION ap_words(body text, words text) RETURNS boolean LANGUAGE plpgsql "
    "IMMUTABLE PARALLEL SAFE AS $$ DECLARE hay text; w text; BEGIN "
    "IF body IS NULL OR words IS NULL THEN RETURN false; END IF; "
    "hay := ' ' || array_to_string(ap_terms(body), ' '); "
    "FOREACH w IN ARRAY ap_terms(words) LOOP "
    "  IF strpos(hay, ' ' || w) = 0 THEN RETURN false; END IF; "
    "END LOOP; RETURN true; END $$",
    "CREATE TABLE records ("
    "  rid BIGSERIAL PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  collection TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  owner TEXT,"
    "  revision BIGINT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  retired BIGINT NOT NULL DEFAULT 0,"
    "  sort_name TEXT NOT NULL DEFAULT '',"
    "  sort_kk TEXT, sort_ru TEXT, sort_en TEXT"
    ")",
    "CREATE TABLE record_data ("
    "  rid BIGINT PRIMARY KEY REFERENCES records(rid),"
    "  data TEXT NOT NULL"
    ")",
    "CREATE TABLE record_names ("
    "  rid BIGINT PRIMARY KEY REFERENCES records(rid),"
    "  name TEXT"
    ")",
    "CREATE INDEX records_list ON records(collection, retired, sort_name COLLATE \"C\", rid)",
    "CREATE INDEX records_updated ON records(collection, retired, updated_at COLLATE \"C\", rid)",
    "CREATE INDEX records_created ON records(collection, retired, created_at COLLATE \"C\", rid)",
    "CREATE INDEX records_ids ON records(collection, retired, id COLLATE \"C\", rid)",
    "CREATE INDEX records_kind ON records(collection, retired, kind, rid)",
    "CREATE INDEX records_owner ON records(owner, retired)",
    "CREATE INDEX records_list_kk ON records(collection, retired, sort_kk COLLATE \"C\", rid)",
    "CREATE INDEX records_list_ru ON records(collection, retired, sort_ru COLLATE \"C\", rid)",
    "CREATE INDEX records_list_en ON records(collection, retired, sort_en COLLATE \"C\", rid)",
    "CREATE TABLE revisions ("
    "  rid BIGINT NOT NULL REFERENCES records(rid),"
    "  revision BIGINT NOT NULL,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  PRIMARY KEY (rid, revision)"
    ")",
    "CREATE TABLE attrs ("
    "  field TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  rid BIGINT NOT NULL REFERENCES records(rid),"
    "  PRIMARY KEY (field, value, rid)"
    ")",
    "CREATE INDEX attrs_rid ON attrs(rid)",
    "CREATE TABLE counts ("
    "  collection TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  n BIGINT NOT NULL,"
    "  PRIMARY KEY (collection, kind)"
    ")",
    "CREATE TABLE search_text ("
    "  rid BIGINT PRIMARY KEY REFERENCES records(rid),"
    "  coll TEXT NOT NULL,"
    "  body TEXT NOT NULL"
    ")",
    "CREATE TABLE audit ("
    "  seq BIGINT PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  collection TEXT NOT NULL,"
    "  record_id TEXT NOT NULL,"
    "  revision BIGINT,"
    "  before TEXT,"
    "  after TEXT,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL"
    ")",
    "CREATE INDEX audit_record ON audit(record_id, revision)",
    "CREATE TABLE users ("
    "  id TEXT PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE,"
    "  org TEXT NOT NULL,"
    "  roles TEXT NOT NULL,"
    "  last_name TEXT NOT NULL,"
    "  first_name TEXT NOT NULL,"
    "  patronymic TEXT,"
    "  position TEXT,"
    "  phone TEXT,"
    "  structural_unit TEXT,"
    "  password_hash TEXT,"
    "  status TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  lang TEXT"
    ")",
    "CREATE INDEX users_org ON users(org)",
    "CREATE TABLE tokens ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  last_used_at TEXT,"
    "  revoked_at TEXT,"
    "  user_id TEXT REFERENCES users(id),"
    "  scopes TEXT NOT NULL DEFAULT 'read write'"
    ")",
    "CREATE INDEX tokens_user ON tokens(user_id)",
    "CREATE TABLE sessions ("
    "  hash TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id),"
    "  csrf TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  seen_at TEXT NOT NULL,"
    "  expires_at TEXT NOT NULL"
    ")",
    "CREATE INDEX sessions_user ON sessions(user_id)",
    "CREATE TABLE links ("
    "  hash TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id),"
    "  purpose TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  expires_at TEXT NOT NULL,"
    "  used_at TEXT"
    ")",
    "CREATE TABLE outbox ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  created_at TEXT NOT NULL,"
    "  recipient TEXT NOT NULL,"
    "  template TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  sent_at TEXT,"
    "  user_id TEXT REFERENCES users(id),"
    "  attempts BIGINT NOT NULL DEFAULT 0,"
    "  next_attempt_at TEXT,"
    "  last_error TEXT,"
    "  link TEXT,"
    "  link_hash TEXT"
    ")",
    "CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE sent_at IS NULL",
    "CREATE TABLE applications ("
    "  id TEXT PRIMARY KEY,"
    "  submitted_at TEXT NOT NULL,"
    "  ip TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  decided_at TEXT,"
    "  decided_by TEXT,"
    "  reason TEXT,"
    "  user_id TEXT,"
    "  org TEXT,"
    "  obligation_id TEXT NOT NULL,"
    "  ref TEXT,"
    "  consent_version TEXT,"
    "  consent_at TEXT"
    ")",
    "CREATE INDEX applications_status ON applications(status, submitted_at)",
    "CREATE UNIQUE INDEX applications_ref ON applications(ref)",
    "CREATE TABLE obligations ("
    "  id TEXT PRIMARY KEY,"
    "  policy TEXT NOT NULL,"
    "  policy_value BIGINT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  debtor_org TEXT,"
    "  debtor_role TEXT,"
    "  started_at TEXT NOT NULL,"
    "  due_at TEXT NOT NULL,"
    "  done_at TEXT,"
    "  outcome TEXT"
    ")",
    "CREATE INDEX obligations_org ON obligations(debtor_org, done_at, due_at)",
    "CREATE INDEX obligations_role ON obligations(debtor_role, done_at, due_at)",
    "CREATE INDEX obligations_subject ON obligations(subject)",
    "CREATE INDEX obligations_open ON obligations(due_at) WHERE done_at IS NULL",
    "CREATE TABLE calendar_years ("
    "  year BIGINT PRIMARY KEY,"
    "  entries TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  updated_by TEXT NOT NULL"
    ")",
    "CREATE TABLE accounting_codes ("
    "  code TEXT PRIMARY KEY,"
    "  record_id TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL,"
    "  assigned_at TEXT NOT NULL,"
    "  assigned_by TEXT NOT NULL"
    ")",
    "CREATE TABLE code_counters ("
    "  prefix TEXT NOT NULL,"
    "  year BIGINT NOT NULL,"
    "  next BIGINT NOT NULL,"
    "  PRIMARY KEY (prefix, year)"
    ")",
    "CREATE TABLE workflow_events ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  record_id TEXT NOT NULL,"
    "  revision BIGINT NOT NULL,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  transition TEXT NOT NULL,"
    "  from_status TEXT NOT NULL,"
    "  to_status TEXT NOT NULL,"
    "  review TEXT,"
    "  remarks TEXT,"
    "  code TEXT"
    ")",
    "CREATE INDEX workflow_events_record ON workflow_events(record_id, id)",
    "CREATE TABLE documents ("
    "  n BIGSERIAL PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  record_id TEXT NOT NULL,"
    "  doc_type TEXT NOT NULL,"
    "  version BIGINT NOT NULL,"
    "  variant TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size BIGINT NOT NULL,"
    "  file_name TEXT NOT NULL,"
    "  media_type TEXT NOT NULL,"
    "  pages BIGINT,"
    "  pdfa TEXT,"
    "  restricted_ground TEXT,"
    "  restricted_until TEXT,"
    "  uploaded_at TEXT NOT NULL,"
    "  uploaded_by TEXT NOT NULL,"
    "  UNIQUE (record_id, doc_type, version)"
    ")",
    "CREATE INDEX documents_sha ON documents(sha256)",
    "CREATE TABLE document_text ("
    "  doc_id TEXT PRIMARY KEY REFERENCES documents(id),"
    "  body TEXT NOT NULL"
    ")",
    /* a document's row n: its collection's term and its text's terms */
    "CREATE TABLE doc_fts ("
    "  n BIGINT PRIMARY KEY,"
    "  rid BIGINT NOT NULL,"
    "  terms tsvector NOT NULL"
    ")",
    "CREATE INDEX doc_fts_terms ON doc_fts USING gin(terms)",
    "CREATE TABLE inclusion_requests ("
    "  id TEXT PRIMARY KEY,"
    "  record_id TEXT NOT NULL,"
    "  protocol_doc TEXT NOT NULL REFERENCES documents(id),"
    "  note TEXT,"
    "  requested_at TEXT NOT NULL,"
    "  requested_by TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  decided_at TEXT,"
    "  decided_by TEXT,"
    "  reason TEXT"
    ")",
    "CREATE INDEX inclusion_requests_record ON inclusion_requests(record_id, requested_at)",
    "CREATE INDEX inclusion_requests_status ON inclusion_requests(status, requested_at)",
    "CREATE TABLE inbox ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id),"
    "  created_at TEXT NOT NULL,"
    "  template TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  subject_ref TEXT,"
    "  read_at TEXT"
    ")",
    "CREATE INDEX inbox_user ON inbox(user_id, id)",
    "CREATE INDEX inbox_unread ON inbox(user_id) WHERE read_at IS NULL",
    "CREATE TABLE notify_sent ("
    "  kind TEXT NOT NULL,"
    "  ref TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  sent_at TEXT NOT NULL,"
    "  messages BIGINT NOT NULL,"
    "  PRIMARY KEY (kind, ref, day)"
    ")",
    "CREATE TABLE rule_figures ("
    "  day TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  grp TEXT NOT NULL,"
    "  applicable BIGINT NOT NULL,"
    "  compliant BIGINT NOT NULL,"
    "  PRIMARY KEY (rule, grp, day)"
    ")",
    "CREATE INDEX rule_figures_day ON rule_figures(day)",
    NULL,
};

/* Migration 2 (issue 19): the change feed. Each write of the registry
 * adds what it changed in the nodes' memory indexes (its staged changes
 * and the ids the rules and scores judge again), in the order of the
 * commits (writes take the write lock first, driver-pg.c); every node
 * applies the others' (registry/feed.c). Rows older than a day go; the
 * last seq gone is kept, so that a node that fell behind knows it. */
static const char *const pg_migration_2[] = {
    "CREATE TABLE changes ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  body TEXT NOT NULL"
    ")",
    "CREATE INDEX changes_at ON changes(at)",
    "CREATE TABLE changes_pruned ("
    "  one INTEGER PRIMARY KEY CHECK (one = 1),"
    "  upto BIGINT NOT NULL"
    ")",
    "INSERT INTO changes_pruned VALUES (1, 0)",
    NULL,
};

/* Migration 3 (issue 19): what the nodes share besides the records. A
 * job one node at a time runs (the day's scan) holds a lease, which another
 * may take once it has run out (store_lease); the sign-in failures of an
 * e-mail ("e:…") or an address ("i:…") are counted for every node
 * (account/session.c). */
static const char *const pg_migration_3[] = {
    "CREATE TABLE leases ("
    "  job TEXT PRIMARY KEY,"
    "  node TEXT NOT NULL,"
    "  until_ms BIGINT NOT NULL"
    ")",
    "CREATE TABLE login_failures ("
    "  key TEXT PRIMARY KEY,"
    "  failures BIGINT NOT NULL,"
    "  last_ms BIGINT NOT NULL"
    ")",
    "CREATE INDEX login_failures_last ON login_failures(last_ms)",
    NULL,
};

/* The migrations, each a NULL-ended list of statements run in order. */
static const char *const *const pg_migrations[] = {
    pg_migration_1,
    pg_migration_2,
    pg_migration_3,
};

/* The columns whose ids the database gives (a sequence each): an import
 * that wrote ids of its own moves the sequences past them (pg_after_import). */
static const char *const pg_serials[][2] = {
    {"records", "rid"}, {"outbox", "id"}, {"workflow_events", "id"}, {"documents", "n"},
    {"inbox", "id"}, {"changes", "seq"},
};

#define PG_N_MIGRATIONS (sizeof pg_migrations / sizeof pg_migrations[0])

#endif
