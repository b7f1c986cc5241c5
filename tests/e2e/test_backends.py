"""A repository moved between the backends, both ways (issue 19): the demo
made on SQLite is exported, imported into PostgreSQL, checked, exported
again (the same file, byte for byte), imported back into SQLite (the same
again), and served from PostgreSQL with its records, search and documents.
And a running portal backed up while it is written to, on each backend, and
restored into an empty folder (and database): every record, document and
audit entry it had is there, and the copy checks clean.
Runs under tests/pg/with-pg.sh (ARCHPORTAL_TEST_PG)."""
import os
import shutil
import subprocess
import tempfile
import threading
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


def new_database():
    name = 'bk_' + os.urandom(6).hex()
    subprocess.run(['psql', PG, '-q', '-c', f'CREATE DATABASE {name}'], check=True,
                   capture_output=True, timeout=60)
    return f'postgresql:///{name}'


def backup_and_restore(tmp, on_pg):
    src, bk, dst = (os.path.join(tmp, x) for x in ('src', 'backup', 'restored'))
    os.makedirs(src)
    src_db = new_database() if on_pg else None
    db = lambda url: ['--database', url] if url else []  # noqa: E731
    if on_pg:
        set_database(src, src_db)
    else:
        harness.PG = None
    try:
        with Server(demo=True, data_dir=src) as srv:
            before = subprocess.run([BIN, 'export', '--data', src, *db(src_db)],
                                    capture_output=True, check=True, timeout=120).stdout
            token = srv.token('admin')
            org = srv.get('/api/v1/organizations?limit=1').json()['items'][0]['id']
            stop, made = threading.Event(), []

            def writer():  # the portal is written to while it is copied
                while not stop.is_set():
                    r = srv.request('POST', '/api/v1/objects',
                                    {'kind': 'information_system', 'owner': org,
                                     'stage': 'creation',
                                     'name': {'ru': f'Во время копии {len(made)}'}}, token=token)
                    assert r.status == 201, r
                    made.append(r.json()['id'])
            t = threading.Thread(target=writer)
            t.start()
            try:
                out = subprocess.run([BIN, 'backup', bk, '--data', src, *db(src_db)],
                                     capture_output=True, timeout=120)
            finally:
                stop.set()
                t.join()
            assert out.returncode == 0, out.stderr.decode()
            assert made, 'no write went on during the backup'
            doc = srv.get('/api/v1/objects/obj-egov-portal/documents', token=token).json()
            url = next(d['signed']['content_url'] for d in doc['items'] if d.get('signed'))
            content = srv.get(url, token=token).body
            assert content.startswith(b'%PDF'), content[:20]
    finally:
        harness.PG = PG
    dst_db = new_database() if on_pg else None
    # into a folder used before: refused, nothing changed
    used = subprocess.run([BIN, 'restore', bk, '--data', src, *db(dst_db)], capture_output=True,
                          timeout=120)
    assert used.returncode != 0 and b'empty folder' in used.stderr, used.stderr
    out = subprocess.run([BIN, 'restore', bk, '--data', dst, *db(dst_db)], capture_output=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()
    assert b'ok: audit chain' in out.stdout, out.stdout
    after = subprocess.run([BIN, 'export', '--data', dst, *db(dst_db)], capture_output=True,
                           check=True, timeout=120).stdout
    # every line the portal had before the backup began (records, their
    # revisions, documents, audit entries, accounts) is in the copy as it was
    missing = set(before.splitlines()) - set(after.splitlines())
    assert not missing, sorted(missing)[:5]
    if on_pg:
        set_database(dst, dst_db)
    else:
        harness.PG = None
    try:
        with Server(data_dir=dst) as srv:
            token = srv.token('admin')
            got = srv.get(url, token=token)
            assert got.status == 200 and got.body == content, got
    finally:
        harness.PG = PG


def test_a_running_portal_is_backed_up_and_restored_on_both_backends():
    assert PG, 'run under tests/pg/with-pg.sh'
    for on_pg in (False, True):
        tmp = tempfile.mkdtemp(prefix='archportal-backup-')
        try:
            backup_and_restore(tmp, on_pg)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    run([test_a_repository_moves_between_the_backends_both_ways,
         test_a_running_portal_is_backed_up_and_restored_on_both_backends])
