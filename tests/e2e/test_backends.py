"""A repository moved between the backends, both ways (issue 19): the demo
made on SQLite is exported, imported into PostgreSQL, checked, exported
again (the same file, byte for byte), imported back into SQLite (the same
again), and served from PostgreSQL with its records, search and documents.
Runs under tests/pg/with-pg.sh (ARCHPORTAL_TEST_PG)."""
import os
import shutil
import subprocess
import tempfile
import urllib.parse

import harness
from harness import BIN, PG, Server, run, set_database


def demo_export(tmp):
    """The demo's export file, made on SQLite, and its data folder."""
    data = os.path.join(tmp, 'sqlite')
    os.makedirs(data)
    harness.PG = None  # this one on SQLite
    try:
        with Server(demo=True, data_dir=data):
            pass
    finally:
        harness.PG = PG
    out = subprocess.run([BIN, 'export', '--data', data], capture_output=True, check=True,
                         timeout=120).stdout
    return out, data


def move(dump, blobs_from, data, database=None):
    """Imports dump into a new data folder (the documents' files copied first,
    as the README says) on SQLite or on the database given; its export."""
    shutil.copytree(os.path.join(blobs_from, 'blobs'), os.path.join(data, 'blobs'))
    db = ['--database', database] if database else []
    subprocess.run([BIN, 'import', '-', '--data', data, *db], input=dump, capture_output=True,
                   check=True, timeout=120)
    check = subprocess.run([BIN, 'check', '--data', data, *db], capture_output=True, timeout=120)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    return subprocess.run([BIN, 'export', '--data', data, *db], capture_output=True, check=True,
                          timeout=120).stdout


def test_a_repository_moves_between_the_backends_both_ways():
    assert PG, 'run under tests/pg/with-pg.sh'
    tmp = tempfile.mkdtemp(prefix='archportal-backends-')
    try:
        dump, sqlite_data = demo_export(tmp)
        name = 'moved_' + os.urandom(6).hex()
        subprocess.run(['psql', PG, '-q', '-c', f'CREATE DATABASE {name} STRATEGY FILE_COPY'],
                       check=True, capture_output=True, timeout=60)
        url = f'postgresql:///{name}'
        on_pg = move(dump, sqlite_data, os.path.join(tmp, 'pg'), url)
        assert on_pg == dump, 'SQLite -> PostgreSQL changed the export'
        back = move(on_pg, sqlite_data, os.path.join(tmp, 'back'))
        assert back == dump, 'PostgreSQL -> SQLite changed the export'
        # the moved repository serves from PostgreSQL: a record, a search, a document
        set_database(os.path.join(tmp, 'pg'), url)
        with Server(data_dir=os.path.join(tmp, 'pg')) as srv:
            health = srv.get('/healthz').json()
            assert health == {'status': 'ok', 'database': 'postgresql'}, health
            r = srv.get('/api/v1/objects/obj-egov-portal')
            assert r.status == 200, r
            found = srv.get('/api/v1/objects?limit=50&q=' + urllib.parse.quote('портал')).json()
            assert 'obj-egov-portal' in [x['id'] for x in found['items']], found
            docs = srv.get('/api/v1/objects/obj-egov-portal/documents')
            assert docs.status == 200, docs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    run([test_a_repository_moves_between_the_backends_both_ways])
