"""Hostile input: every request below gets a clear 4xx problem answer and
leaves the repository unchanged (the export is byte-identical); a flood of
sign-ins from many addresses leaves reads as fast as they were."""
import http.client
import json
import multiprocessing
import threading
import time
import urllib.parse

from harness import Server, assert_problem, run

SRV = None
TOK = None
OBJ = None


def post_raw(path, body: bytes, ctype='application/json', method='POST', headers=None):
    h = {'Content-Type': ctype}
    h.update(headers or {})
    return SRV.request(method, path, body=body, headers=h, token=TOK)


def test_malformed_and_truncated_json():
    for body in [b'{', b'{"kind":', b'{"kind":"organization",}', b'nul', b'',
                 b'{"a":1}{"b":2}', b'\xef\xbb\xbf{}', b'{"kind":"organization" "x":1}']:
        assert_problem(post_raw('/api/v1/organizations', body), 400)


def test_wrong_json_shapes():
    for body in [b'[]', b'"text"', b'42', b'null']:
        assert_problem(post_raw('/api/v1/organizations', body), 422)
    assert_problem(post_raw('/api/v1/organizations', b'{"kind":"organization","kind":"x"}'), 400)


def test_deep_nesting():
    deep = b'{"name":' + b'[' * 10000 + b']' * 10000 + b'}'
    assert_problem(post_raw('/api/v1/organizations', deep), 400)
    deep_obj = b'{"a":' * 10000 + b'1' + b'}' * 10000
    assert_problem(post_raw('/api/v1/organizations', deep_obj), 400)


def test_invalid_utf8_and_nul_bytes():
    assert_problem(post_raw('/api/v1/organizations', b'{"kind":"organization","name":{"ru":"\xc3\x28"}}'), 400)
    assert_problem(post_raw('/api/v1/organizations', b'{"kind":"organization","name":{"ru":"a\\u0000b"}}'), 400)
    assert_problem(post_raw('/api/v1/organizations', b'{"kind":"organization"\x00}'), 400)
    assert_problem(SRV.get('/api/v1/objects?q=%C3%28'), 400)
    assert_problem(SRV.get('/api/v1/objects?q=a%00b'), 400)
    assert_problem(SRV.get('/api/v1/objects/%C3%28'), 400)


def test_body_over_the_limit():
    big = b'{"kind":"organization","short_name":"' + b'x' * (2 * 1024 * 1024) + b'"}'
    raw = (b'POST /api/v1/organizations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
           b'Authorization: Bearer ' + TOK.encode() + b'\r\nContent-Length: %d\r\n'
           b'Connection: close\r\n\r\n' % len(big)) + big
    answer = SRV.raw(raw)
    assert answer.startswith(b'HTTP/1.1 413'), answer[:200]
    assert b'application/problem+json' in answer
    # chunked, without Content-Length
    raw = (b'POST /api/v1/organizations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
           b'Authorization: Bearer ' + TOK.encode() + b'\r\nTransfer-Encoding: chunked\r\n'
           b'Connection: close\r\n\r\n')
    chunk = b'x' * 65536
    for _ in range(40):
        raw += b'%x\r\n' % len(chunk) + chunk + b'\r\n'
    raw += b'0\r\n\r\n'
    answer = SRV.raw(raw)
    assert answer.startswith(b'HTTP/1.1 413'), answer[:200]


def test_sql_and_path_tricks_in_ids():
    for rid in ["x' OR '1'='1", '1;DROP TABLE records', '../../etc/passwd', '..', '.',
                'a b', '*', 'x"y', 'a/b', '%00']:
        r = SRV.get('/api/v1/objects/' + urllib.parse.quote(rid, safe=''))
        assert r.status in (400, 404), (rid, r)
        assert r.header('Content-Type').startswith('application/problem+json')
    r = SRV.request('DELETE', '/api/v1/objects/' + urllib.parse.quote("x' OR 1=1 --", safe=''), token=TOK)
    assert r.status in (400, 404), r
    assert_problem(SRV.get('/api/v1/../etc/passwd'), 400)
    assert SRV.get('/api/v1/objects/' + OBJ['id']).status == 200


def test_sql_tricks_in_filters_and_cursors():
    cases = [
        ('filter', "stage:creation' OR 1=1 --", 422),
        ('filter', "stage') OR 1=1 --:x", 422),
        ('sort', 'name; DROP TABLE records', 422),
        ('sort', 'name,(SELECT 1)', 422),
        ('owner', "x' OR '1'='1", 400),
        ('kind', "information_system' --", 422),
        ('cursor', "' OR 1=1 --", 400),
        ('cursor', 'eyJzIjoibmFtZSIsImsiOiInIE9SIDE9MSIsInIiOi0xfQ', 400),
        ('limit', '1; DROP TABLE records', 400),
        ('limit', '-1', 400),
    ]
    for key, value, status in cases:
        r = SRV.get('/api/v1/objects?' + urllib.parse.urlencode({key: value}))
        assert_problem(r, status, key)
    # repeated q parameters cannot overflow the word limit together
    many = '&'.join('q=' + urllib.parse.quote(' '.join('w%d' % i for i in range(10))) for _ in range(5))
    assert_problem(SRV.get('/api/v1/objects?' + many), 400, 'q')
    # a search full of FTS syntax is only words
    r = SRV.get('/api/v1/objects?' + urllib.parse.urlencode({'q': '"* OR NEAR( ) AND -x ^'}))
    assert r.status == 200, r


def test_bad_patch_inputs():
    path = '/api/v1/objects/' + OBJ['id']
    rev = {'If-Match': f'"{OBJ["revision"]}"'}
    assert_problem(post_raw(path, b'{"stage":', method='PATCH', headers=rev), 400)
    assert_problem(post_raw(path, b'[1]', method='PATCH', headers=rev), 422)
    assert_problem(post_raw(path, b'{"kind":"internet_resource"}', method='PATCH', headers=rev), 422, 'kind')
    assert_problem(post_raw(path, b'{"stage":"x"}', method='PATCH', headers={'If-Match': '"0"'}), 400)
    assert_problem(post_raw(path, b'{"stage":"x"}', method='PATCH',
                            headers={'If-Match': '"99999999999999999999999"'}), 400)


def test_oversized_headers_and_garbage_requests():
    big = b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * 100000 + b'\r\n\r\n'
    answer = SRV.raw(big)
    assert answer == b'' or answer.split(b' ')[1][:1] == b'4', answer[:100]
    for junk in [b'\x00\x01\x02\r\n\r\n', b'GET\r\n\r\n', b'GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n',
                 b'GET /healthz HTTP/9.9\r\n\r\n']:
        answer = SRV.raw(junk)
        status = answer.split(b'\r\n')[0]
        # MHD itself answers 400, or 505 for an unsupported HTTP version
        assert answer == b'' or status.split(b' ')[1][:1] == b'4' or b' 505 ' in status, answer[:100]
    assert SRV.get('/healthz').status == 200


def p99(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def list_latencies(srv, n):
    """Milliseconds of n plain list reads, one after the other."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = srv.get('/api/v1/objects?limit=20')
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status == 200, r
    return out


def flood(port, i, stop, counts):
    """One address's sign-ins with wrong passwords, each for another
    e-mail address (no per-address lockout spares the hashing), one at a
    time until stop; after a 503 it waits the Retry-After it was told."""
    k = 0
    while not stop.is_set():
        k += 1
        body = json.dumps({'email': f'flood-{i}-{k}@gov.kz', 'password': 'Wrong-Passw0rd!'})
        try:
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60,
                                              source_address=(f'127.0.0.{i + 2}', 0))
            conn.request('POST', '/api/v1/session', body=body,
                         headers={'Content-Type': 'application/json'})
            r = conn.getresponse()
            r.read()
            conn.close()
        except OSError:
            continue
        if r.status == 503 and (not r.getheader('Retry-After') or
                                r.getheader('Content-Type') != 'application/problem+json'):
            counts['bad 503'] = counts.get('bad 503', 0) + 1
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.status == 503:
            stop.wait(float(r.getheader('Retry-After') or 1))


def flood_process(port, n, stop, out):
    """n flooding addresses in their own process (the Python lock of this
    one is then left to the reads being measured)."""
    counts = {}
    threads = [threading.Thread(target=flood, args=(port, i, stop, counts)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(counts)


def test_sign_in_flood_leaves_reads_alone():
    """48 addresses send wrong passwords, one request at a time each.
    Argon2id runs on a small bounded pool off the connection threads (at
    low priority), a full pool answers 503 at once and a global limit caps
    attempts from all addresses together: a plain list's p99 stays near its
    p99 without the flood. Before, the hashes ran on the connection threads
    and the list's p99 went from ~10 ms to 4.2-4.6 s.
    The bound, 3 x the quiet p99 + 75 ms, is robust on a busy 2-core host:
    the flood's own process takes most of a core, the scheduler's slices
    are some ms, and the quiet p99 itself moves between 3 and 100 ms with
    the other tenants' load (measured at load 3-7.5: 13-81 ms under the
    flood); it is still ~50 times below what the flood did before."""
    with Server(demo=True) as srv:
        list_latencies(srv, 20)  # warm the caches
        quiet = list_latencies(srv, 200)
        ctx = multiprocessing.get_context('fork')
        stop, out = ctx.Event(), ctx.Queue()
        proc = ctx.Process(target=flood_process, args=(srv.port, 48, stop, out))
        proc.start()
        try:
            time.sleep(1.0)
            loud = list_latencies(srv, 200)
        finally:
            stop.set()
            counts = out.get(timeout=120)
            proc.join(timeout=30)
        base, under = p99(quiet), p99(loud)
        print(f'# list p99 {base:.1f} ms quiet, {under:.1f} ms under the flood; answers {counts}')
        assert under <= 3 * base + 75, (base, under, counts)
        assert counts.get(401, 0) > 0, counts  # the flood did reach the hashing
        assert counts.get(503, 0) > 0 and 'bad 503' not in counts, counts  # and was cut short
        # the flood over, a real user signs in
        time.sleep(1.5)
        email = srv.user('owner-viewer', 'org-nit')
        r = srv.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'})
        assert r.status == 200, r


def test_global_sign_in_limit():
    """Sign-ins from all addresses together pass a global limit before any
    hashing (here 12 a minute: bursts of 2): the third sign-in within 10 s,
    each from another address and each under its own lockout, is a 503
    with Retry-After, and so is a right password then."""
    with Server(demo=True, extra=['--logins-per-minute', '12']) as srv:
        email = srv.user('owner-viewer', 'org-nit')
        answers = [srv.request('POST', '/api/v1/session',
                               {'email': f'someone-{i}@gov.kz', 'password': 'Wrong-Passw0rd!'},
                               source=f'127.0.7.{i + 1}') for i in range(3)]
        assert [r.status for r in answers] == [401, 401, 503], answers
        doc = assert_problem(answers[2], 503)
        assert doc['type'].endswith(':busy') and 1 <= int(answers[2].header('Retry-After')) <= 10, doc
        r = srv.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'},
                        source='127.0.7.9')
        assert_problem(r, 503)
        time.sleep(int(r.header('Retry-After')) + 0.5)
        r = srv.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'},
                        source='127.0.7.9')
        assert r.status == 200, r


def main():
    global SRV, TOK, OBJ
    with Server(demo=True) as srv:
        SRV = srv
        TOK = srv.token()
        OBJ = srv.get('/api/v1/objects?limit=1').json()['items'][0]
        # the token's first use records last_used_at; do it before the snapshot
        srv.request('POST', '/api/v1/organizations', b'{}', token=TOK,
                    headers={'Content-Type': 'application/json'})
        before = srv.export()
        tests = [test_malformed_and_truncated_json, test_wrong_json_shapes, test_deep_nesting,
                 test_invalid_utf8_and_nul_bytes, test_body_over_the_limit,
                 test_sql_and_path_tricks_in_ids, test_sql_tricks_in_filters_and_cursors,
                 test_bad_patch_inputs, test_oversized_headers_and_garbage_requests]

        def test_repository_unchanged():
            assert srv.export() == before, 'hostile requests changed the repository'

        run(tests + [test_repository_unchanged, test_sign_in_flood_leaves_reads_alone,
                     test_global_sign_in_limit])


if __name__ == '__main__':
    main()
