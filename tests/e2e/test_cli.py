"""End-to-end tests of the command line: export/import round trip, check,
tamper detection, token creation, and refusal of a bad metamodel."""
import json
import os
import socket
import time
import sqlite3
import subprocess
import tempfile

from harness import BIN, SOURCE, Server, cli, run, valid_bin


def test_export_import_export_is_identical():
    # REQ: REG-06
    with Server(demo=True) as srv:
        tok = srv.token()
        objs = srv.get('/api/v1/objects?limit=3').json()['items']
        r = srv.request('PATCH', f'/api/v1/objects/{objs[0]["id"]}', {'supplier': 'ТОО «Жаңа»'},
                        headers={'If-Match': f'"{objs[0]["revision"]}"'}, token=tok)
        assert r.status == 200, r
        assert srv.request('DELETE', f'/api/v1/objects/{objs[1]["id"]}', headers={'If-Match': '*'}, token=tok).status in (204, 409)
        first = srv.export()
        other = tempfile.mkdtemp(prefix='archportal-import-')
        srv.copy_blobs(os.path.join(other, 'data'))  # the demo's documents' bytes
    try:
        dump = os.path.join(other, 'dump.jsonl')
        with open(dump, 'wb') as f:
            f.write(first)
        cli(os.path.join(other, 'data'), 'import', dump)
        second = cli(os.path.join(other, 'data'), 'export').stdout
        assert first == second
        assert cli(os.path.join(other, 'data'), 'check').returncode == 0
        # a second import into the now non-empty repository is refused
        again = cli(os.path.join(other, 'data'), 'import', dump, check=False)
        assert again.returncode == 1 and b'empty' in again.stderr
    finally:
        shutil_rm(other)


def test_import_of_a_broken_file_keeps_nothing():
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, 'bad.jsonl')
        with open(bad, 'w') as f:
            f.write('{"format":"archportal-export","version":1}\n{"record":{"id":"a"}}\n')
        r = cli(os.path.join(d, 'data'), 'import', bad, check=False)
        assert r.returncode == 1 and b'line 2' in r.stderr, r.stderr
        out = cli(os.path.join(d, 'data'), 'export').stdout.decode().splitlines()
        assert len(out) == 1, out
        # an audit entry whose before/after is not an object is refused, not a crash
        with open(bad, 'w') as f:
            f.write('{"format":"archportal-export","version":1}\n'
                    '{"audit":{"seq":1,"at":"2026-01-01T00:00:00.000Z","actor":"a","action":"create",'
                    '"collection":"objects","record_id":"x","revision":1,"before":true,"after":null,'
                    '"prev_hash":"","hash":"h"}}\n')
        r = cli(os.path.join(d, 'data'), 'import', bad, check=False)
        assert r.returncode == 1 and b'before/after' in r.stderr, r.stderr


def test_check_reports_tampering():
    # REQ: X-AUD-01
    data = tempfile.mkdtemp(prefix='archportal-tamper-')
    with Server(demo=True, data_dir=data):
        pass
    ok = cli(data, 'check')
    assert b'ok' in ok.stdout
    db = sqlite3.connect(os.path.join(data, 'archportal.db'))
    db.execute("UPDATE audit SET after = replace(after, 'Портал', 'Партал') WHERE seq = "
               "(SELECT min(seq) FROM audit WHERE after LIKE '%Портал%')")
    db.execute("UPDATE record_data SET data = replace(data, '\"creation\"', '\"development\"') "
               "WHERE rid = (SELECT min(rid) FROM record_data WHERE data LIKE '%\"creation\"%')")
    # the name kept apart for the walks must stay the record's
    db.execute("UPDATE record_names SET name = '{\"en\":\"Not its name\"}' WHERE rid = "
               "(SELECT max(rid) FROM record_names WHERE name IS NOT NULL)")
    db.commit()
    db.close()
    bad = cli(data, 'check', check=False)
    assert bad.returncode == 1, bad
    text = bad.stdout.decode()
    assert 'altered' in text and 'differs from its last revision' in text, text
    assert 'its name in record_names is not the record' in text, text
    subprocess.run(['rm', '-rf', data], check=True)


def put_blob(data_dir, content: bytes) -> str:
    """Stores content in the document store the way an upload does."""
    import hashlib
    sha = hashlib.sha256(content).hexdigest()
    fan = os.path.join(data_dir, 'blobs', 'sha256', sha[:2])
    os.makedirs(fan, exist_ok=True)
    with open(os.path.join(fan, sha[2:]), 'wb') as f:
        f.write(content)
    return sha


def test_an_emptied_database_is_not_taken_for_a_new_portal():
    data = tempfile.mkdtemp(prefix='archportal-emptied-')
    with Server(demo=True, data_dir=data):
        pass
    assert cli(data, 'check').returncode == 0
    dump = cli(data, 'export').stdout
    db = os.path.join(data, 'archportal.db')
    for suffix in ('-wal', '-shm'):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    os.truncate(db, 0)
    # serve (with or without the demo) and check refuse, and write nothing
    for args in (['serve', '--listen', '127.0.0.1:1', '--demo'], ['serve', '--listen', '127.0.0.1:1'],
                 ['check'], ['export']):
        try:
            r = subprocess.run([BIN, *args, '--data', data], capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError(f'{args} started over the emptied database')
        assert r.returncode != 0, (args, r)
        err = r.stderr.decode()
        assert 'holds no portal' in err and 'used before' in err and 'backup' in err, (args, err)
        assert os.path.getsize(db) == 0, args
    # an export imported into it restores the portal
    path = os.path.join(data, 'dump.jsonl')
    with open(path, 'wb') as f:
        f.write(dump)
    cli(data, 'import', path)
    assert cli(data, 'export').stdout == dump and cli(data, 'check').returncode == 0
    shutil_rm(data)
    # a folder of an older version (no marker) with stored documents is refused too
    data = tempfile.mkdtemp(prefix='archportal-emptied-')
    put_blob(data, b'%PDF-1.4 an earlier upload')
    r = cli(data, 'check', check=False)
    assert r.returncode != 0 and 'blobs/ holds 1 stored document file' in r.stderr.decode(), r
    assert not os.path.exists(os.path.join(data, 'archportal.db')) or \
        os.path.getsize(os.path.join(data, 'archportal.db')) == 0
    shutil_rm(data)


def test_check_reports_stored_content_no_document_names():
    data = tempfile.mkdtemp(prefix='archportal-orphan-blob-')
    with Server(demo=True, data_dir=data):
        pass
    sha = put_blob(data, b'bytes left behind by a failed import')
    r = cli(data, 'check', check=False)
    assert r.returncode == 1, r
    assert f'stored content {sha}: no document refers to it' in r.stdout.decode(), r.stdout
    shutil_rm(data)


def shutil_rm(path):
    subprocess.run(['rm', '-rf', path], check=True)


def test_user_and_token_create_validate_their_input():
    with tempfile.TemporaryDirectory() as d:
        pw = b'Corr3ct-Horse-Battery\n'
        r = cli(d, 'user', 'create', '--email', 'x@gov.kz', '--role', 'emperor', stdin=pw, check=False)
        assert r.returncode == 1 and b'role' in r.stderr, r.stderr
        r = cli(d, 'user', 'create', '--email', 'x@gov.kz', '--role', 'admin', stdin=b'short\n',
                check=False)
        assert r.returncode == 1 and b'password' in r.stderr, r.stderr
        r = cli(d, 'user', 'create', '--email', 'x@gov.kz', '--role', 'admin', '--org', 'org-none',
                stdin=pw, check=False)
        assert r.returncode == 1 and b'org' in r.stderr, r.stderr
        cli(d, 'user', 'create', '--email', 'X@gov.kz', '--role', 'admin', stdin=pw)
        again = cli(d, 'user', 'create', '--email', 'x@GOV.kz', '--role', 'admin', stdin=pw, check=False)
        assert again.returncode == 1 and b'exists' in again.stderr, again.stderr
        r = cli(d, 'token', 'create', '--name', 'x', '--user', 'nobody@gov.kz', check=False)
        assert r.returncode == 1 and b'no user' in r.stderr, r.stderr
        tok = cli(d, 'token', 'create', '--name', 'ci', '--user', 'x@gov.kz').stdout.decode().strip()
        assert tok.startswith('apt_') and len(tok) == 47
        db = sqlite3.connect(os.path.join(d, 'archportal.db'))
        stored = [row[0] for row in db.execute('SELECT hash FROM tokens')]
        pw_hash = db.execute('SELECT password_hash FROM users').fetchone()[0]
        db.close()
        assert stored and tok not in stored[0], 'tokens are stored hashed'
        assert pw_hash.startswith('$argon2id$'), pw_hash


def test_calendar_show():
    # REQ: X-CAL-01
    with tempfile.TemporaryDirectory() as d:
        out = cli(d, 'calendar', 'show', '2026').stdout.decode()
        assert '2026-12-16' in out and '2026-03-24' in out and '2026-08-31' in out, out
        assert cli(d, 'calendar', 'show', '1999', check=False).returncode == 1


def test_calendar_show_states_transfers_and_their_acts():
    # REQ: X-CAL-01
    with tempfile.TemporaryDirectory() as d:
        out = cli(d, 'calendar', 'show', '2024').stdout.decode()
        assert 'transfers: loaded' in out, out
        lines = out.splitlines()
        i = next(k for k, line in enumerate(lines) if line.startswith('2024-05-08  day_off'))
        assert any('source: Order of the acting Minister of Labour' in line and '17.04.2024' in line
                   for line in lines[i + 1:i + 3]), lines[i:i + 3]
        assert any(line.startswith('2024-05-04  working_day') for line in lines), out
        out = cli(d, 'calendar', 'show', '2020').stdout.decode()
        assert '2020-12-01  holiday' in out, out  # the Day of the First President, a Tuesday
        out = cli(d, 'calendar', 'show', '2027').stdout.decode()
        assert 'transfers: unknown (The moved days off of this year are not loaded' in out, out
        # a year an administrator stored before statuses existed (a bare entries array) still loads
        db = sqlite3.connect(os.path.join(d, 'archportal.db'))
        db.execute("INSERT INTO calendar_years(year, entries, updated_at, updated_by) VALUES (2030, ?, "
                   "'2026-01-01T00:00:00.000Z', 'admin')",
                   (json.dumps([{'date': '2030-01-04', 'type': 'day_off', 'note': 'old row'}]),))
        db.commit()
        db.close()
        out = cli(d, 'calendar', 'show', '2030').stdout.decode()
        assert 'transfers: unknown' in out and '2030-01-04  day_off' in out and 'note: old row' in out, out
        assert cli(d, 'check').returncode == 0


def test_bad_model_stops_the_server_naming_the_key():
    with tempfile.TemporaryDirectory() as d:
        model = json.load(open(os.path.join(SOURCE, 'model/egov-kz.json'), encoding='utf-8'))
        model['kinds']['information_system'].setdefault('fields', []).append(
            {'name': 'colour', 'type': 'strnig', 'label': {'kk': 'т', 'ru': 'ц', 'en': 'c'}})
        path = os.path.join(d, 'bad.json')
        json.dump(model, open(path, 'w', encoding='utf-8'), ensure_ascii=False)
        r = subprocess.run([BIN, 'serve', '--data', os.path.join(d, 'data'), '--model', path,
                            '--listen', '127.0.0.1:1'], capture_output=True, timeout=30)
        assert r.returncode != 0
        err = r.stderr.decode()
        assert 'kinds.information_system' in err and 'strnig' in err, err


def test_unknown_command_and_options():
    r = subprocess.run([BIN, 'fly'], capture_output=True)
    assert r.returncode == 2 and b'unknown command' in r.stderr
    r = subprocess.run([BIN, 'serve', '--bogus'], capture_output=True)
    assert r.returncode == 2
    r = subprocess.run([BIN, 'serve', '--listen', 'nowhere'], capture_output=True)
    assert r.returncode == 2


def test_graceful_shutdown_closes_cleanly():
    srv = Server().start()
    try:
        assert srv.stop() == 0
        assert cli(srv.data, 'check').returncode == 0
        assert not os.path.exists(os.path.join(srv.data, 'archportal.db-wal')) or \
            os.path.getsize(os.path.join(srv.data, 'archportal.db-wal')) == 0
    finally:
        srv.cleanup()


def hold_connections(srv, n):
    """n keep-alive connections, each proven held by a served request. The
    server may still count a connection that was just closed (it releases
    it on its next turn), so a refused one is retried for a while."""
    deadline = time.time() + 10
    while True:
        conns, ok = [], True
        for _ in range(n):
            s = socket.create_connection(('127.0.0.1', srv.port))
            s.settimeout(10)
            conns.append(s)
            try:
                s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
                ok = s.recv(65536).startswith(b'HTTP/1.1 200')
            except OSError:
                ok = False
            if not ok:
                break
        if ok:
            return conns
        for s in conns:
            s.close()
        assert time.time() < deadline, f'the server did not hold {n} connections from one IP'
        time.sleep(0.2)


def assert_one_more_refused(srv, n, message):
    """With n connections held, one more is not served."""
    idle = hold_connections(srv, n)
    try:
        answer = srv.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
                         timeout=3)
        assert not answer.startswith(b'HTTP/1.1 200'), message
    finally:
        for s in idle:
            s.close()


def test_limits_are_configurable():
    srv = Server(extra=['--max-body', '2000', '--max-conns-per-ip', '3', '--timeout', '5']).start()
    try:
        tok = srv.token()
        big = b'{"kind":"organization","short_name":"' + b'x' * 3000 + b'"}'
        raw = (b'POST /api/v1/organizations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json'
               b'\r\nAuthorization: Bearer ' + tok.encode() + b'\r\nContent-Length: %d\r\n'
               b'Connection: close\r\n\r\n' % len(big)) + big
        assert srv.raw(raw).startswith(b'HTTP/1.1 413')
        assert_one_more_refused(srv, 3, 'a 4th connection from one IP was served')
        deadline = time.time() + 10  # until the server notices the closed ones
        while True:
            try:
                if srv.get('/healthz', timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.time() < deadline, 'the server did not serve again after the limit'
            time.sleep(0.2)
    finally:
        srv.cleanup()


def metric_values(srv, name, tok):
    """{labels: value} of one metric family in /metrics (read as tok: an
    administrator)."""
    out = {}
    for line in srv.get('/metrics', token=tok).body.decode().splitlines():
        if line.startswith(name + '{') or line.startswith(name + ' '):
            key, value = line.rsplit(' ', 1)
            out[key[len(name):]] = float(value)
    return out


def test_connections_are_spread_over_the_workers():
    # libmicrohttpd's own pool lets one thread take a burst of connections;
    # the server's acceptor gives each to the worker with the fewest.
    srv = Server(extra=['--threads', '4']).start()
    try:
        tok = srv.token('admin')
        idle = hold_connections(srv, 8)
        try:
            # each worker holds two of the eight, give or take the /metrics one
            deadline = time.time() + 10
            while True:
                open_by_worker = metric_values(srv, 'archportal_http_open_connections', tok)
                counts = sorted(open_by_worker.values())
                if len(counts) == 4 and sum(counts) >= 9:
                    break
                assert time.time() < deadline, open_by_worker
                time.sleep(0.1)
            assert counts[-1] - counts[0] <= 1, open_by_worker
        finally:
            for s in idle:
                s.close()
    finally:
        srv.cleanup()


def test_total_connection_limit():
    srv = Server(extra=['--max-conns', '3', '--threads', '2', '--timeout', '5']).start()
    try:
        assert_one_more_refused(srv, 3, 'a 4th connection was served')
    finally:
        srv.cleanup()


def test_writes_are_flushed_before_they_are_acknowledged():
    # REQ: X-AUD-01
    with Server(demo=True) as srv:
        tok = srv.token()
        before = metric_values(srv, 'archportal_db_syncs_total', tok)['']
        for i in range(3):
            r = srv.request('POST', '/api/v1/organizations',
                            {'kind': 'organization', 'bin': valid_bin(700 + i),
                             'name': {'kk': f'Сынақ {i}', 'ru': f'Тест {i}', 'en': f'Test {i}'},
                             'org_type': 'central_state_body', 'region': 'astana'},
                            token=tok)
            assert r.status == 201, r
        commits = metric_values(srv, 'archportal_db_commits_total', tok)['']
        syncs = metric_values(srv, 'archportal_db_syncs_total', tok)['']
        # one request at a time: every commit had its own flush of the log
        assert syncs - before >= 3, (before, syncs)
        assert commits >= syncs - before


if __name__ == '__main__':
    run([test_connections_are_spread_over_the_workers, test_total_connection_limit,
         test_writes_are_flushed_before_they_are_acknowledged, test_limits_are_configurable, test_export_import_export_is_identical, test_import_of_a_broken_file_keeps_nothing,
         test_check_reports_tampering, test_user_and_token_create_validate_their_input, test_calendar_show,
         test_calendar_show_states_transfers_and_their_acts,
         test_bad_model_stops_the_server_naming_the_key, test_unknown_command_and_options,
         test_graceful_shutdown_closes_cleanly, test_an_emptied_database_is_not_taken_for_a_new_portal,
         test_check_reports_stored_content_no_document_names])
