/* The SQLite schema as numbered migrations. Migration i (1-based) is
 * sqlite_migrations[i-1]; applied ones are recorded in schema_migrations.
 * Never edit an applied migration: add a new one. */
#ifndef AP_MIGRATIONS_SQLITE_H
#define AP_MIGRATIONS_SQLITE_H

#include <stddef.h>

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
    /* 2: accounts (users, sessions, one-time links, the outbox), account
     * applications, obligations with deadlines, calendar years, and tokens
     * that belong to users */
    "CREATE TABLE users ("
    "  id TEXT PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE," /* lower-cased; the login */
    "  org TEXT NOT NULL,"
    "  roles TEXT NOT NULL,"        /* space-separated role ids */
    "  last_name TEXT NOT NULL,"
    "  first_name TEXT NOT NULL,"
    "  patronymic TEXT,"
    "  position TEXT,"
    "  phone TEXT,"
    "  structural_unit TEXT,"
    "  password_hash TEXT,"
    "  status TEXT NOT NULL,"       /* invited | active | disabled */
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL"
    ") STRICT;"
    "CREATE INDEX users_org ON users(org);"
    "CREATE TABLE sessions ("
    "  hash TEXT PRIMARY KEY,"      /* SHA-256 of the cookie value */
    "  user_id TEXT NOT NULL REFERENCES users(id),"
    "  csrf TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  seen_at TEXT NOT NULL,"
    "  expires_at TEXT NOT NULL"   /* absolute expiry */
    ") STRICT;"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE links ("
    "  hash TEXT PRIMARY KEY,"      /* SHA-256 of the link's secret */
    "  user_id TEXT NOT NULL REFERENCES users(id),"
    "  purpose TEXT NOT NULL,"      /* activate | reset */
    "  created_at TEXT NOT NULL,"
    "  expires_at TEXT NOT NULL,"
    "  used_at TEXT"
    ") STRICT;"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  created_at TEXT NOT NULL,"
    "  recipient TEXT NOT NULL,"
    "  template TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  sent_at TEXT"
    ") STRICT;"
    "CREATE TABLE applications ("
    "  id TEXT PRIMARY KEY,"
    "  submitted_at TEXT NOT NULL,"
    "  ip TEXT NOT NULL,"
    "  data TEXT NOT NULL,"         /* the form, as JSON */
    "  status TEXT NOT NULL,"       /* pending | granted | refused */
    "  decided_at TEXT,"
    "  decided_by TEXT,"
    "  reason TEXT,"
    "  user_id TEXT,"
    "  org TEXT,"
    "  obligation_id TEXT NOT NULL"
    ") STRICT;"
    "CREATE INDEX applications_status ON applications(status, submitted_at);"
    "CREATE TABLE obligations ("
    "  id TEXT PRIMARY KEY,"
    "  policy TEXT NOT NULL,"       /* the model's policy id */
    "  policy_value INTEGER NOT NULL,"
    "  subject TEXT NOT NULL,"      /* what it is about, e.g. account-applications/<id> */
    "  debtor_org TEXT,"            /* who owes it: an organisation, */
    "  debtor_role TEXT,"           /* and/or a role */
    "  started_at TEXT NOT NULL,"
    "  due_at TEXT NOT NULL,"
    "  done_at TEXT,"
    "  outcome TEXT"
    ") STRICT;"
    "CREATE INDEX obligations_org ON obligations(debtor_org, done_at, due_at);"
    "CREATE INDEX obligations_role ON obligations(debtor_role, done_at, due_at);"
    "CREATE INDEX obligations_subject ON obligations(subject);"
    "CREATE TABLE calendar_years ("
    "  year INTEGER PRIMARY KEY,"
    "  entries TEXT NOT NULL,"      /* JSON: {transfers, note?, entries}, or (stored
                                     * before statuses) the entries array */
    "  updated_at TEXT NOT NULL,"
    "  updated_by TEXT NOT NULL"
    ") STRICT;"
    "ALTER TABLE tokens ADD COLUMN user_id TEXT REFERENCES users(id);"
    "ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write';"
    "CREATE INDEX tokens_user ON tokens(user_id);",
    /* 3: the registration workflow: every accounting code ever assigned
     * (never reused, retired records' too), the counters they come from,
     * and each record's workflow events with their remarks */
    "CREATE TABLE accounting_codes ("
    "  code TEXT PRIMARY KEY,"
    "  record_id TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL,"
    "  assigned_at TEXT NOT NULL,"
    "  assigned_by TEXT NOT NULL"
    ") STRICT;"
    "CREATE TABLE code_counters ("
    "  prefix TEXT NOT NULL,"
    "  year INTEGER NOT NULL,"
    "  next INTEGER NOT NULL,"
    "  PRIMARY KEY (prefix, year)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE workflow_events ("
    "  id INTEGER PRIMARY KEY,"
    "  record_id TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"  /* the record's revision it made */
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  transition TEXT NOT NULL,"
    "  from_status TEXT NOT NULL,"
    "  to_status TEXT NOT NULL,"
    "  review TEXT,"
    "  remarks TEXT,"               /* JSON array of {field?, text} */
    "  code TEXT"
    ") STRICT;"
    "CREATE INDEX workflow_events_record ON workflow_events(record_id, id);",
    /* 4: technical documentation: every version of every document placed
     * for a record (its bytes live in the content-addressed blob store),
     * the text extracted from it, and the full-text index of the text of
     * each type's newest signed copy and draft that is not restricted */
    "CREATE TABLE documents ("
    "  n INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  record_id TEXT NOT NULL,"
    "  doc_type TEXT NOT NULL,"       /* a type of the kind's document list */
    "  version INTEGER NOT NULL,"     /* 1, 2, … per (record, type) */
    "  variant TEXT NOT NULL,"        /* signed (PDF/A-1) | draft (DOCX) */
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  file_name TEXT NOT NULL,"
    "  media_type TEXT NOT NULL,"
    "  pages INTEGER,"
    "  pdfa TEXT,"                    /* e.g. 1B */
    "  restricted_ground TEXT,"
    "  restricted_until TEXT,"        /* YYYY-MM-DD, the last day */
    "  uploaded_at TEXT NOT NULL,"
    "  uploaded_by TEXT NOT NULL,"
    "  UNIQUE (record_id, doc_type, version)"
    ") STRICT;"
    "CREATE INDEX documents_sha ON documents(sha256);"
    "CREATE TABLE document_text ("
    "  doc_id TEXT PRIMARY KEY REFERENCES documents(id),"
    "  body TEXT NOT NULL"            /* folded for search */
    ") STRICT;"
    /* the same columns and tokenizer as fts: one query string serves both */
    "CREATE VIRTUAL TABLE doc_fts USING fts5(coll, body, rid UNINDEXED, detail = column,"
    "  columnsize = 0, tokenize = 'unicode61 remove_diacritics 0 tokenchars _',"
    "  prefix = '2 3');"
    /* requests to include a platform software product in the operator's
     * list, with the protocol attached, and the authorized body's decision */
    "CREATE TABLE inclusion_requests ("
    "  id TEXT PRIMARY KEY,"
    "  record_id TEXT NOT NULL,"
    "  protocol_doc TEXT NOT NULL REFERENCES documents(id),"
    "  note TEXT,"
    "  requested_at TEXT NOT NULL,"
    "  requested_by TEXT NOT NULL,"
    "  status TEXT NOT NULL,"         /* pending | accepted | refused */
    "  decided_at TEXT,"
    "  decided_by TEXT,"
    "  reason TEXT"
    ") STRICT;"
    "CREATE INDEX inclusion_requests_record ON inclusion_requests(record_id, requested_at);"
    "CREATE INDEX inclusion_requests_status ON inclusion_requests(status, requested_at);",
    /* 5: notifications: the outbox learns whom it is for (user_id, NULL
     * for a plain address such as an applicant's), how often sending was
     * tried, when to try next and why the last try failed; each user's
     * inbox; which reminders and digests went out (each goes once); open
     * obligations by deadline, for the reminders' scan */
    "ALTER TABLE outbox ADD COLUMN user_id TEXT REFERENCES users(id);"
    "ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;" /* NULL: at once */
    "ALTER TABLE outbox ADD COLUMN last_error TEXT;"
    "UPDATE outbox SET next_attempt_at = created_at WHERE sent_at IS NULL;"
    "CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE sent_at IS NULL;"
    "CREATE INDEX obligations_open ON obligations(due_at) WHERE done_at IS NULL;"
    "CREATE TABLE inbox ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id),"
    "  created_at TEXT NOT NULL,"
    "  template TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  subject_ref TEXT,"           /* a record id or an obligation id */
    "  read_at TEXT"
    ") STRICT;"
    "CREATE INDEX inbox_user ON inbox(user_id, id);"
    "CREATE INDEX inbox_unread ON inbox(user_id) WHERE read_at IS NULL;"
    "CREATE TABLE notify_sent ("
    "  kind TEXT NOT NULL,"         /* reminder | digest */
    "  ref TEXT NOT NULL,"          /* the obligation; the organisation or '*' (digest) */
    "  day TEXT NOT NULL,"          /* '' (reminder); the local date (digest) */
    "  sent_at TEXT NOT NULL,"
    "  messages INTEGER NOT NULL,"  /* how many messages it made */
    "  PRIMARY KEY (kind, ref, day)"
    ") STRICT, WITHOUT ROWID;",
    /* 6: each record's searchable text in a plain table instead of an FTS5
     * index, which cost about six pages on every write: the serving
     * process's word index (tidx) is built from it, and SQL tests a
     * record's text row by row (ap_words, STORE_SQL_TEXT_MATCH) */
    "CREATE TABLE search_text ("
    "  rid INTEGER PRIMARY KEY REFERENCES records(rid),"
    "  coll TEXT NOT NULL,"
    "  body TEXT NOT NULL"
    ") STRICT;"
    "INSERT INTO search_text(rid, coll, body) SELECT rowid, coll, body FROM fts;"
    "DROP TABLE fts;",
    /* 7: no usable secret in a stored message: an activation or reset
     * message keeps "{link}" where its link goes, and the sender mints the
     * link as it sends (link: the purpose; link_hash: the SHA-256 of the
     * secret it minted last, to spend it if it mints another). The links
     * already written into messages are cut out of them; those not sent
     * yet get a fresh link when they are. */
    "ALTER TABLE outbox ADD COLUMN link TEXT;"      /* activate | reset | NULL */
    "ALTER TABLE outbox ADD COLUMN link_hash TEXT;"
    "UPDATE outbox SET body = substr(body, 1, instr(body, 'Set your password:' || char(10)) + 18)"
    "  || '{link}' || char(10), link = CASE WHEN sent_at IS NULL THEN 'activate' END "
    "WHERE template = 'activate' AND instr(body, 'Set your password:' || char(10)) > 0;"
    "UPDATE outbox SET body = substr(body, 1, instr(body, 'Password reset:' || char(10)) + 15)"
    "  || '{link}' || char(10), link = CASE WHEN sent_at IS NULL THEN 'reset' END "
    "WHERE template = 'reset' AND instr(body, 'Password reset:' || char(10)) > 0;",
    /* 8: an account application's reference number, told to the applicant
     * ("A-<year>-<6 digits>", the digits counting every application ever
     * made), and the applicant's consent to the processing of personal
     * data: the version of the text agreed to and when. Those made before
     * get their numbers in the order they were made, and no consent. */
    "ALTER TABLE applications ADD COLUMN ref TEXT;"
    "ALTER TABLE applications ADD COLUMN consent_version TEXT;"
    "ALTER TABLE applications ADD COLUMN consent_at TEXT;"
    "UPDATE applications SET ref = 'A-' || substr(submitted_at, 1, 4) || '-' || "
    "  printf('%06d', (SELECT count(*) FROM applications b WHERE b.rowid <= applications.rowid));"
    "CREATE UNIQUE INDEX applications_ref ON applications(ref);",
    /* 9: a record's name in each language's alphabetical order
     * (util/collate.h): its collation key per language, indexed as
     * sort_name is, so that "Name A-Z" in Kazakh, Russian or English
     * walks an index. NULL: not yet computed; the registry fills the rows
     * that existed before (registry_fill_sort_keys) when it opens. */
    "ALTER TABLE records ADD COLUMN sort_kk TEXT;"
    "ALTER TABLE records ADD COLUMN sort_ru TEXT;"
    "ALTER TABLE records ADD COLUMN sort_en TEXT;"
    "CREATE INDEX records_list_kk ON records(collection, retired, sort_kk, rid);"
    "CREATE INDEX records_list_ru ON records(collection, retired, sort_ru, rid);"
    "CREATE INDEX records_list_en ON records(collection, retired, sort_en, rid);",
    /* 10: the language a user reads the portal's messages in ("kk", "ru",
     * "en"): the one they applied in, then the one they last signed in
     * with; NULL: the portal's own (kk) */
    "ALTER TABLE users ADD COLUMN lang TEXT;",
    /* 11: the rules' figures of each day (issue 16's trend): per rule, the
     * records it applied to and those that kept it, over the whole
     * registry (grp ''; a group's record id, e.g. a domain, is for
     * figures per group, which are not recorded yet) */
    "CREATE TABLE rule_figures ("
    "  day TEXT NOT NULL,"          /* the local date */
    "  rule TEXT NOT NULL,"
    "  grp TEXT NOT NULL,"
    "  applicable INTEGER NOT NULL,"
    "  compliant INTEGER NOT NULL,"
    "  PRIMARY KEY (rule, grp, day)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX rule_figures_day ON rule_figures(day);",
    /* 12: each record's name apart (its JSON, as in the record), so that a
     * walk naming thousands of records reads narrow rows, not the records */
    "CREATE TABLE record_names ("
    "  rid INTEGER PRIMARY KEY REFERENCES records(rid),"
    "  name TEXT"
    ") STRICT;"
    "INSERT INTO record_names(rid, name) SELECT rid, data -> '$.name' FROM record_data;",
};

#define SQLITE_N_MIGRATIONS (sizeof sqlite_migrations / sizeof sqlite_migrations[0])

#endif
