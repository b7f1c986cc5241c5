#!/usr/bin/env python3
"""Inherited attributes' read cost (issue 15, REQ ARC-06): the rate of
GET /api/v1/master_data/{id} of a data type three levels below a data
subject (its inherited items computed at read time from three bases)
against the rate of GET /api/v1/objects/{id} of a plain informatization
object, on one server, with wrk.

  python3 bench/inherit.py [ARCHPORTAL] [SECONDS]

ARCHPORTAL defaults to build/archportal (a release build: `make`), SECONDS
to 5 per run. Each URL is measured twice, alternating, with
`wrk -t1 -c4 -d<SECONDS>s` and the same admin token; the best run of each
counts. Prints "BENCH plain_rps=.. inherit_rps=.. ratio=.." and whether the
ratio meets the issue's target (>= 0.5). The server keeps a computed
answer until the next write (a repeated URL is then served from it), so a
cold figure follows: COLD distinct types (each three levels deep) and as
many plain objects, each read once, alternating, over one keep-alive
connection; "BENCH cold ..." gives the mean latencies and their ratio
(plain / inherit: the rate ratio). Works in a temporary data directory that
it removes.
"""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TARGET = 0.5
COLD = 300
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def call(port, token, method, path, body=None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    conn.request(method, path, json.dumps(body) if body is not None else None,
                 {'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status >= 300:
        raise SystemExit(f'{method} {path}: {r.status} {data[:300]!r}')
    return json.loads(data) if data else None


def chain(port, token, obj, tag):
    """A data subject and three data types below it; the deepest type's id."""
    base = call(port, token, 'POST', '/api/v1/master_data',
                {'kind': 'data_subject', 'name': {'ru': f'Субъект {tag}'},
                 'attributes': [{'name': f'subject_{i}', 'source': obj} for i in range(8)]})['id']
    for level in range(3):
        base = call(port, token, 'POST', '/api/v1/master_data',
                    {'kind': 'data_type', 'name': {'ru': f'Тип {tag}.{level}'}, 'base': base,
                     'attributes': [{'name': f'type{level}_{i}'} for i in range(4)]})['id']
    return base


def cold(port, token, plain_paths, inherit_paths):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    spent = {'plain': 0.0, 'inherit': 0.0}
    for p, q in zip(plain_paths, inherit_paths):
        for what, path in (('plain', p), ('inherit', q)):
            t0 = time.perf_counter()
            conn.request('GET', path, headers={'Authorization': f'Bearer {token}'})
            r = conn.getresponse()
            r.read()
            spent[what] += time.perf_counter() - t0
            assert r.status == 200, (path, r.status)
    conn.close()
    return {k: v / len(plain_paths) * 1000 for k, v in spent.items()}


def wrk(port, token, path, seconds):
    out = subprocess.run(['wrk', '-t1', '-c4', f'-d{seconds}s', '-H', f'Authorization: Bearer {token}',
                          f'http://127.0.0.1:{port}{path}'], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r'Requests/sec:\s*([0-9.]+)', out)
    bad = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if not m or bad:
        raise SystemExit(f'wrk on {path}: {out}')
    return float(m.group(1))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', 'build', 'archportal')
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    data = tempfile.mkdtemp(prefix='archportal-inherit-')
    server = None
    try:
        subprocess.run([binary, 'user', 'create', '--email', 'bench@bench.gov.kz', '--role', 'admin',
                        '--name', 'Bench Admin', '--data', data], input=b'Wrk-Load-Tester-7x\n',
                       check=True, stdout=subprocess.DEVNULL)
        token = subprocess.run([binary, 'token', 'create', '--name', 'bench', '--user',
                                'bench@bench.gov.kz', '--data', data], check=True,
                               capture_output=True, text=True).stdout.strip()
        port = free_port()
        server = subprocess.Popen([binary, 'serve', '--data', data, '--listen', f'127.0.0.1:{port}',
                                   '--quiet'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        org = call(port, token, 'POST', '/api/v1/organizations',
                   {'kind': 'organization', 'name': {'ru': 'Министерство'}, 'bin': '000140000002',
                    'org_type': 'central_state_body'})['id']
        obj = call(port, token, 'POST', '/api/v1/objects',
                   {'kind': 'information_system', 'owner': org, 'name': {'ru': 'Система'},
                    'stage': 'creation'})['id']
        base = chain(port, token, obj, 0)
        rec = call(port, token, 'GET', f'/api/v1/master_data/{base}')
        assert len(rec['inherited']['attributes']) == 3, rec
        plain, inherit = [], []
        for _ in range(2):
            plain.append(wrk(port, token, f'/api/v1/objects/{obj}', seconds))
            inherit.append(wrk(port, token, f'/api/v1/master_data/{base}', seconds))
        ratio = max(inherit) / max(plain)
        print(f'BENCH plain_rps={max(plain):.0f} inherit_rps={max(inherit):.0f} ratio={ratio:.2f} '
              f'runs_plain={[round(x) for x in plain]} runs_inherit={[round(x) for x in inherit]}')
        print(f'target ratio >= {TARGET}: {"PASS" if ratio >= TARGET else "FAIL"}')
        objs = [call(port, token, 'POST', '/api/v1/objects',
                     {'kind': 'information_system', 'owner': org, 'name': {'ru': f'Система {i}'},
                      'stage': 'creation'})['id'] for i in range(COLD)]
        types = [chain(port, token, obj, i + 1) for i in range(COLD)]
        ms = cold(port, token, [f'/api/v1/objects/{o}' for o in objs],
                  [f'/api/v1/master_data/{t}' for t in types])
        print(f'BENCH cold n={COLD} plain_ms={ms["plain"]:.3f} inherit_ms={ms["inherit"]:.3f} '
              f'ratio={ms["plain"] / ms["inherit"]:.2f}')
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == '__main__':
    main()
