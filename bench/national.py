#!/usr/bin/env python3
"""The national architecture's figures (issue 15), against a server that
bench/run.sh has started on the dataset of bench/gen.py:

  national.py BASE OUT TOKEN EMAIL PASSWORD SERVER_PID [--part walks|capmap]
              [--domains 30] [--types 5000] [--objects 100000] [--seconds 5]

Part "walks" (1. and 2.), then part "capmap" (3.), which signs in: the
password's hash (Argon2id, libsodium's interactive limits) takes 64 MiB
for a moment, which the server's peak RSS then keeps, so run.sh runs it
after reading the peak RSS.

1. Walks (GET /api/v1/capabilities/{id}/trace), one at a time over one
   keep-alive connection, timed on the client from sending the request to
   reading the whole answer, with the server's own time from its access
   log ("ms") beside it, so that the client's share is seen:
   - a domain's walk: from each domain's root capability, both directions,
     depth 10, along the domain's relations (groups, automates, supports):
     the domain's functions, services, processes, capabilities and systems;
   - a full walk: the same starts along every relation type (past the
     domain into the systems' infrastructure and exchanges: cut at 5,000
     nodes, the most a walk returns);
   - the domain's walk as of an instant (?at=: now, so that it is the same
     graph, loaded from the revisions).
2. Inherited attributes: GET of a data type three levels below its data
   subject against a GET of a plain object, with wrk (best of two runs of
   each, alternating; wrk's CPU noted), then cold: distinct types and as
   many objects, each read once, alternating.
3. The capability map page, signed in, default measure (systems): the
   whole map (CAPMAP_PATH: 2,000 capabilities, 20,000 leaves) and one
   domain's map (CAPMAP_DOMAIN_PATH), each with the server's own times.

Prints BENCH lines ("BENCH <name> key=value ...") for run.sh."""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True

CAPMAP_PATH = '/ru/capabilities/map'  # the whole capability map page, default measure
CAPMAP_DOMAIN_PATH = '/ru/capabilities/map?domain=dom-1'  # one domain's map
# a domain's full traceability: its capabilities, functions, services,
# processes and systems (both ways: the relations stay in the domain), and
# out of its systems to the data they access and the infrastructure they run
# on (only out: a data type or a data centre is shared by several domains)
DOMAIN_TYPES = 'groups,automates,supports,accesses:out,runs_on:out'


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float('nan')
    return xs[max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))]


def server_ms(log_path, offset, n):
    """The server's own times ("ms") of the last n access-log lines after
    offset."""
    with open(log_path, encoding='utf-8', errors='replace') as f:
        f.seek(offset)
        times = [float(m.group(1)) for m in re.finditer(r'"event":"access".*?"ms":"([0-9.]+)"', f.read())]
    return times[-n:]


def log_size(log_path):
    return os.path.getsize(log_path)


def timed(conn, path, headers):
    t0 = time.perf_counter()
    conn.request('GET', path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    return (time.perf_counter() - t0) * 1000, r.status, body


def walks(base, log, label, paths, headers, warmup=True):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    if warmup:
        for p in paths[:5]:
            timed(conn, p, headers)
    at = log_size(log)
    lat, nodes, edges, cut, bad = [], [], [], 0, 0
    for p in paths:
        ms, status, body = timed(conn, p, headers)
        lat.append(ms)
        if status != 200:
            bad += 1
            continue
        doc = json.loads(body)
        nodes.append(len(doc['nodes']))
        edges.append(len(doc['edges']))
        cut += doc['truncated']
    conn.close()
    time.sleep(0.2)  # the access log is written after the answer
    srv = server_ms(log, at, len(paths))
    print(f'BENCH {label} n={len(lat)} errors={bad} p50_ms={pct(lat, 50):.2f} '
          f'p99_ms={pct(lat, 99):.2f} max_ms={max(lat):.2f} server_p50_ms={pct(srv, 50):.2f} '
          f'server_p99_ms={pct(srv, 99):.2f} nodes_median={pct(nodes, 50)} nodes_max={max(nodes, default=0)} '
          f'edges_median={pct(edges, 50)} truncated={cut}', flush=True)


def wrk(url, token, seconds):
    """Requests/s of wrk -t1 -c4 on one URL, and wrk's CPU share of one core."""
    t0 = time.monotonic()
    p = subprocess.Popen(['wrk', '-t1', '-c4', f'-d{seconds}s', '--timeout', '10s', '-H',
                          f'Authorization: Bearer {token}', url], stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    cpu = 100 * (ru.ru_utime + ru.ru_stime) / (time.monotonic() - t0)
    m = re.search(r'Requests/sec:\s*([0-9.]+)', out)
    if not m or re.search(r'Non-2xx or 3xx responses', out):
        raise SystemExit(f'wrk on {url}: {out}')
    return float(m.group(1)), cpu


def inherit(base, token, n_types, n_objects, seconds):
    deep = [f'dt-{i}' for i in range(2, n_types, 3)]  # level 3: dt-i -> dt-(i-1) -> dt-(i-2) -> a subject
    step = max(1, n_objects // 400)
    objs = [f'obj-{i}' for i in range(7, n_objects, step)]  # registered ones (i % 10 != 9)
    objs = [o for o in objs if int(o[4:]) % 10 != 9]
    headers = {'Authorization': f'Bearer {token}'}
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    _, status, body = timed(conn, f'/api/v1/master_data/{deep[0]}', headers)
    assert status == 200, body[:300]
    depth = len(json.loads(body).get('inherited', {}).get('attributes', []))
    plain, inh = [], []
    for _ in range(2):
        plain.append(wrk(f'{base}/api/v1/objects/{objs[0]}', token, seconds))
        inh.append(wrk(f'{base}/api/v1/master_data/{deep[0]}', token, seconds))
    best_p, best_i = max(plain), max(inh)
    print(f'BENCH inherit_warm plain_rps={best_p[0]:.0f} inherit_rps={best_i[0]:.0f} '
          f'ratio={best_i[0] / best_p[0]:.3f} client_cpu_pct={best_p[1]:.0f}/{best_i[1]:.0f} '
          f'bases={depth}', flush=True)
    conn.close()  # idle during wrk: the server may have closed it
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    n = min(300, len(deep) - 1, len(objs) - 1)
    spent = {'plain': 0.0, 'inherit': 0.0}
    for i in range(1, n + 1):
        for what, path in (('plain', f'/api/v1/objects/{objs[i]}'),
                           ('inherit', f'/api/v1/master_data/{deep[i]}')):
            ms, status, _ = timed(conn, path, headers)
            assert status == 200, (path, status)
            spent[what] += ms
    conn.close()
    print(f'BENCH inherit_cold n={n} plain_ms={spent["plain"] / n:.3f} '
          f'inherit_ms={spent["inherit"] / n:.3f} ratio={spent["plain"] / spent["inherit"]:.3f}',
          flush=True)


def session(base, email, password):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request('POST', '/api/v1/session', json.dumps({'email': email, 'password': password}),
                 {'Content-Type': 'application/json'})
    r = conn.getresponse()
    r.read()
    conn.close()
    if r.status not in (200, 201):
        raise SystemExit(f'sign-in: {r.status}')
    return (r.getheader('Set-Cookie') or '').split(';')[0]


def main():
    ap = argparse.ArgumentParser()
    for name in ('base', 'out', 'token', 'email', 'password', 'pid'):
        ap.add_argument(name)
    ap.add_argument('--domains', type=int, default=30)
    ap.add_argument('--types', type=int, default=5000)
    ap.add_argument('--objects', type=int, default=100000)
    ap.add_argument('--seconds', type=int, default=5)
    ap.add_argument('--part', choices=['walks', 'capmap'], default='walks')
    a = ap.parse_args()
    log = os.path.join(a.out, 'server.log')
    if a.part == 'capmap':
        cookie = {'Cookie': session(a.base, a.email, a.password), 'Accept': 'text/html'}
        walks_page(a.base, log, cookie, 'capmap', CAPMAP_PATH)
        walks_page(a.base, log, cookie, 'capmap_domain', CAPMAP_DOMAIN_PATH)
        now = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        walks_page(a.base, log, cookie, 'capmap_domain_at', f'{CAPMAP_DOMAIN_PATH}&at={now}')
        print(f'BENCH rss_after_signin kb={rss(a.pid)}', flush=True)
        return
    auth = {'Authorization': f'Bearer {a.token}'}
    roots = [f'cap-{d}' for d in range(a.domains)]  # each domain's first capability: its root
    rounds = max(1, 210 // len(roots))
    walks(a.base, log, 'walk_domain',
          [f'/api/v1/capabilities/{c}/trace?types={DOMAIN_TYPES}' for c in roots] * rounds, auth)
    walks(a.base, log, 'walk_full', [f'/api/v1/capabilities/{c}/trace' for c in roots] * 2, auth)
    now = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    walks(a.base, log, 'walk_domain_at',
          [f'/api/v1/capabilities/{c}/trace?types={DOMAIN_TYPES}&at={now}' for c in roots[:10]],
          auth, warmup=False)
    print(f'BENCH rss_after_walks kb={rss(a.pid)}', flush=True)
    inherit(a.base, a.token, a.types, a.objects, a.seconds)
    print(f'BENCH rss_after_national kb={rss(a.pid)}', flush=True)


def walks_page(base, log, headers, label, path):
    """A page 100 times (after 5 unmeasured), one at a time."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    for _ in range(5):
        timed(conn, path, headers)
    at = log_size(log)
    lat, bad, size = [], 0, 0
    for _ in range(100):
        ms, status, body = timed(conn, path, headers)
        lat.append(ms)
        bad += status != 200
        size = len(body)
    conn.close()
    time.sleep(0.2)
    srv = server_ms(log, at, 100)
    load = open('/proc/loadavg', encoding='utf-8').read().split()[0]
    print(f'BENCH {label} path={path} n=100 errors={bad} bytes={size} p50_ms={pct(lat, 50):.2f} '
          f'p99_ms={pct(lat, 99):.2f} server_p50_ms={pct(srv, 50):.2f} '
          f'server_p99_ms={pct(srv, 99):.2f} load={load}', flush=True)


def rss(pid):
    with open(f'/proc/{pid}/status', encoding='utf-8') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


if __name__ == '__main__':
    main()
