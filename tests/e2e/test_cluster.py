"""Two portal nodes on one PostgreSQL database (issue 19): what one writes the
other serves within a second — the record, its lists and facets, its words,
its page — both ways; accounting codes assigned on both at once are never the
same; sign-in failures on both count towards one lockout; a node killed in the middle of writes loses nothing it acknowledged
while the other serves on; PostgreSQL stopped under load gives 503s, never a
hang or a crash, and both nodes recover by themselves when it is back; a node
refuses a database of a newer schema. Runs under tests/pg/with-pg.sh. The
nodes share one data folder (the documents' files, as on a shared mount)."""
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import PG, Server, place_documents, run, set_database, valid_bin

A = B = None
ADMIN = ORG = OWNER = VERIFIER = None
DATA = None
URL = None
PGBIN = '/usr/lib/postgresql/15/bin'


def node(name):
    """A node on the shared database and folder, its log apart."""
    srv = Server(data_dir=DATA)
    srv.log_path = os.path.join(DATA, f'{name}.log')
    return srv.start()


def seen_within(check, what, limit=1.0):
    """Polls check() until it holds; fails when that takes more than limit
    seconds. Returns the seconds it took."""
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > limit:
            raise AssertionError(f'{what}: not seen within {limit} s')
        time.sleep(0.01)
    return time.monotonic() - t0


def ids(resp):
    assert resp.status == 200, resp
    return [x['id'] for x in resp.json()['items']]


def facet(srv, field, owner):
    f = srv.get(f'/api/v1/objects/facets?field={field}&owner={owner}', token=ADMIN).json()
    return {v['value']: v['count'] for v in f['values']}


def test_a_write_on_one_node_is_seen_on_the_other_within_a_second():
    body = {'kind': 'information_system', 'owner': ORG, 'stage': 'pilot_operation',
            'name': {'ru': 'Узловая система Жолаушы'}}
    r = A.request('POST', '/api/v1/objects', body, token=ADMIN)
    assert r.status == 201, r
    rid = rec_id = r.json()['id']
    word = urllib.parse.quote('жолаушы')
    seen_within(lambda: B.get(f'/api/v1/objects/{rid}', token=ADMIN).status == 200, 'the record')
    seen_within(lambda: rid in ids(B.get(f'/api/v1/objects?filter=stage:pilot_operation&owner={ORG}',
                                         token=ADMIN)), 'the list (memory index)')
    seen_within(lambda: rid in ids(B.get(f'/api/v1/objects?q={word}', token=ADMIN)),
                'the search (word index)')
    seen_within(lambda: facet(B, 'stage', ORG).get('pilot_operation') == 1, 'the facets')
    # the other way: changed on B, seen on A (whose read of the record
    # before, which a node keeps until it applies the next write, goes)
    rec = B.get(f'/api/v1/objects/{rid}', token=ADMIN).json()
    assert A.get(f'/api/v1/objects/{rid}', token=ADMIN).json()['revision'] == rec['revision']
    r = B.request('PATCH', f'/api/v1/objects/{rid}', {'stage': 'industrial_operation'},
                  token=ADMIN, headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    seen_within(lambda: A.get(f'/api/v1/objects/{rid}', token=ADMIN).json()['revision'] ==
                rec['revision'] + 1, 'the change (record)')
    seen_within(lambda: rid in ids(A.get(f'/api/v1/objects?filter=stage:industrial_operation&owner={ORG}',
                                         token=ADMIN)), 'the change (list)')
    seen_within(lambda: facet(A, 'stage', ORG) == {'industrial_operation': 1}, 'the change (facets)')
    # a public record's page, made on A, on B's pages
    org = A.request('POST', '/api/v1/organizations',
                    {'name': {'ru': 'Ведомство узлов Қосқанат'}, 'bin': valid_bin(9301),
                     'org_type': 'central_state_body'}, token=ADMIN)
    assert org.status == 201, org
    seen_within(lambda: 'Ведомство узлов Қосқанат' in B.get(
        '/ru/organizations?q=' + urllib.parse.quote('қосқанат')).body.decode(), 'the page')
    # retired on A: gone from B's lists and words
    assert A.request('DELETE', f'/api/v1/objects/{rec_id}', headers={'If-Match': '*'},
                     token=ADMIN).status == 204
    seen_within(lambda: rid not in ids(B.get(f'/api/v1/objects?q={word}', token=ADMIN)),
                'the retirement')
    seen_within(lambda: B.get(f'/api/v1/objects/{rid}', token=ADMIN).status == 410,
                'the retirement (record)')
    assert facet(B, 'stage', ORG) == {}, facet(B, 'stage', ORG)


def submitted_record(n):
    body = {'kind': 'information_system', 'owner': ORG, 'name': {'ru': f'Система кода {n}'},
            'stage': 'creation', 'purpose': {'ru': 'Учёт обращений граждан'},
            'functions': ['Приём обращений'], 'class': 'second', 'placement': 'icp_eg',
            'funding_source': 'state_investment_project', 'source_code_transferred': True,
            'stored_data': 'ФИО заявителей', 'legal_basis': 'Приказ № 1',
            'contacts': 'Отдел цифровизации', 'creation_phase': 'software_development',
            'procurement_contracts': [{'contract_number': '12-ГЗ', 'contract_date': '2025-02-03',
                                       'supplier_name': 'ТОО «Разработчик»'}],
            'general_data': {'summary': 'Система обращений'}}
    r = A.request('POST', '/api/v1/objects', body, token=OWNER)
    assert r.status == 201, r
    rec = r.json()
    place_documents(A, rec['id'], OWNER)
    r = (A if n % 2 else B).request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=OWNER)
    assert r.status == 200, r
    return rec['id']


def test_codes_assigned_on_both_nodes_at_once_are_never_the_same():
    # REQ: REG-03
    recs = [submitted_record(n) for n in range(8)]
    results = []

    def accept(srv, rid):
        results.append((rid, srv.request('POST', f'/api/v1/objects/{rid}/verify',
                                         {'decision': 'accept'}, token=VERIFIER)))
    # each record accepted on both nodes at once: one of the two wins
    threads = [threading.Thread(target=accept, args=(srv, rid)) for rid in recs for srv in (A, B)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [(rid, r.json()['accounting_code']) for rid, r in results if r.status == 200]
    assert sorted(r.status for _, r in results) == [200] * 8 + [409] * 8, \
        [(r.status, r.body[:200]) for _, r in results]
    assert sorted(rid for rid, _ in won) == sorted(recs)
    codes = [code for _, code in won]
    assert len(set(codes)) == 8, codes
    # each node shows each record with the code it got
    for rid, code in won:
        for srv in (A, B):
            assert srv.get(f'/api/v1/objects/{rid}', token=ADMIN).json()['accounting_code'] == code


def test_sign_in_failures_count_on_every_node():
    email = A.user('owner-editor', ORG)
    for i in range(5):  # the lockout's free failures, spread over the two nodes
        r = (A, B)[i % 2].request('POST', '/api/v1/session',
                                  {'email': email, 'password': 'Wrong-Horse-Battery'})
        assert r.status == 401, r
    for srv in (B, A):  # locked on both, though each saw only two or three
        r = srv.request('POST', '/api/v1/session',
                        {'email': email, 'password': 'Corr3ct-Horse-Battery'})
        assert r.status == 429 and r.json()['type'].endswith(':locked'), r


def test_a_node_killed_in_the_middle_of_writes_loses_nothing_acknowledged():
    global A
    acked, stop = [], threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            n += 1
            try:
                r = A.request('POST', '/api/v1/objects',
                              {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                               'name': {'ru': f'Запись до сбоя {n}'}}, token=ADMIN, timeout=5)
            except OSError:
                return  # the node is gone
            if r.status == 201:
                acked.append(r.json()['id'])
    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.8)
    A.proc.send_signal(signal.SIGKILL)
    A.proc.wait()
    stop.set()
    t.join()
    assert len(acked) >= 5, acked
    # B has every acknowledged write, and serves on
    missing = [rid for rid in acked if B.get(f'/api/v1/objects/{rid}', token=ADMIN).status != 200]
    assert not missing, missing
    listed = set(ids(B.get(f'/api/v1/objects?owner={ORG}&filter=stage:creation&limit=500', token=ADMIN)))
    assert set(acked) <= listed
    A.stop()
    A = node('a2')  # started again: it builds its memory from the database
    listed = set(ids(A.get(f'/api/v1/objects?owner={ORG}&filter=stage:creation&limit=500', token=ADMIN)))
    assert set(acked) <= listed


def pg_ctl(*args):
    data = os.path.join(os.environ['ARCHPORTAL_TEST_PG_DIR'], 'data')
    as_user = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'] \
        if os.getuid() == 0 else []
    subprocess.run([*as_user, f'{PGBIN}/pg_ctl', '-D', data, *args], check=True,
                   capture_output=True, timeout=60)


def test_postgresql_stopped_under_load_gives_503_and_the_nodes_recover():
    data = os.path.join(os.environ['ARCHPORTAL_TEST_PG_DIR'], 'data')
    with open(os.path.join(data, 'postmaster.opts')) as f:
        opts = shlex.split(f.read())[1:]  # as it was started: the same port and socket
    i = opts.index('-D')
    opts = opts[:i] + opts[i + 2:]
    rid = ids(B.get(f'/api/v1/objects?owner={ORG}&limit=1', token=ADMIN))[0]
    pg_ctl('-m', 'fast', '-w', 'stop')
    try:
        for srv in (A, B):
            t0 = time.monotonic()
            r = srv.get(f'/api/v1/objects/{rid}', token=ADMIN, timeout=20)
            assert time.monotonic() - t0 < 10, 'no answer within 10 s'
            assert r.status == 503, r
            assert r.header('Content-Type').startswith('application/problem+json'), r.headers
            r = srv.request('POST', '/api/v1/objects',
                            {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                             'name': {'ru': 'Запись без базы'}}, token=ADMIN, timeout=20)
            assert r.status == 503, r
            assert srv.get('/healthz').status in (200, 503)
    finally:
        pg_ctl('-w', '-t', '60', '-l', os.path.join(os.environ['ARCHPORTAL_TEST_PG_DIR'],
                                                    'server.log'), '-o', shlex.join(opts), 'start')
    for srv in (A, B):
        seen_within(lambda: srv.get(f'/api/v1/objects/{rid}', token=ADMIN).status == 200,
                    'reads again', limit=10)
    r = A.request('POST', '/api/v1/objects',
                  {'kind': 'information_system', 'owner': ORG, 'stage': 'development',
                   'name': {'ru': 'Запись после возвращения базы'}}, token=ADMIN)
    assert r.status == 201, r
    new = r.json()['id']
    # B's feed listens again: the write reaches its memory
    seen_within(lambda: new in ids(B.get(f'/api/v1/objects?owner={ORG}&filter=stage:development',
                                         token=ADMIN)), 'the feed after the restart', limit=3)


def test_a_node_refuses_a_database_of_a_newer_schema():
    psql = ['psql', URL, '-q', '-v', 'ON_ERROR_STOP=1', '-c']
    subprocess.run([*psql, "INSERT INTO schema_migrations(version, applied_at) "
                           "VALUES (999, '2030-01-01T00:00:00Z')"], check=True, capture_output=True)
    try:
        srv = Server(data_dir=DATA)
        srv.log_path = os.path.join(DATA, 'newer.log')
        try:
            srv.start()
        except AssertionError as e:
            assert 'use a newer archportal' in str(e), e
        else:
            srv.stop()
            raise AssertionError('a node started on a newer schema')
    finally:
        subprocess.run([*psql, 'DELETE FROM schema_migrations WHERE version = 999'], check=True,
                       capture_output=True)


def main():
    global A, B, ADMIN, ORG, OWNER, VERIFIER, DATA, URL
    assert PG, 'run under tests/pg/with-pg.sh'
    DATA = tempfile.mkdtemp(prefix='archportal-cluster-')
    name = 'cluster_' + os.urandom(6).hex()
    subprocess.run(['psql', PG, '-q', '-c', f'CREATE DATABASE {name}'], check=True,
                   capture_output=True, timeout=60)
    URL = f'postgresql:///{name}'
    set_database(DATA, URL)
    A = node('a')
    B = node('b')
    try:
        ADMIN = A.token('admin')
        r = A.request('POST', '/api/v1/organizations',
                      {'name': {'ru': 'Ведомство кластера'}, 'bin': valid_bin(9300),
                       'org_type': 'central_state_body'}, token=ADMIN)
        assert r.status == 201, r
        ORG = r.json()['id']
        OWNER = A.token('owner-editor', ORG)
        r = A.request('POST', '/api/v1/organizations',
                      {'name': {'ru': 'Интегратор кластера'}, 'bin': valid_bin(9302),
                       'org_type': 'central_state_body'}, token=ADMIN)
        VERIFIER = A.token('integrator-verifier', r.json()['id'])
        run([test_a_write_on_one_node_is_seen_on_the_other_within_a_second,
             test_codes_assigned_on_both_nodes_at_once_are_never_the_same,
             test_sign_in_failures_count_on_every_node,
             test_a_node_killed_in_the_middle_of_writes_loses_nothing_acknowledged,
             test_postgresql_stopped_under_load_gives_503_and_the_nodes_recover,
             test_a_node_refuses_a_database_of_a_newer_schema])
    finally:
        A.stop()
        B.stop()
        if os.environ.get("KEEP"):
            print("# kept", DATA)
        else:
            harness.shutil.rmtree(DATA, ignore_errors=True)


if __name__ == '__main__':
    main()
