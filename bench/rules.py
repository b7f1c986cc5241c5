#!/usr/bin/env python3
"""The model's rules at national scale (issue 16), against a server that
bench/run.sh has started on the dataset of bench/gen.py:

  rules.py BASE OUT TOKEN SERVER_PID [--writes 100]

1. All rules judged from scratch: the first report after the start judges
   every record of the rules' kinds (the server logs "rules: N records
   judged by R rules in X ms", and the CPU its two threads took: how fast
   the host ran the same work); its client time and the logged times.
2. The report of all rules answered from the kept judgements
   (GET /api/v1/rules), 20 times after 2 unmeasured, one at a time, with
   the server's own times from its access log beside the client's.
3. One write, then the report: a PATCH, in turn, of a function's legal
   basis (no rule reads it: the function alone is judged again), a data
   type's attributes and a data subject's attributes (the first
   attribute's storage source taken away, or given back: what the rules,
   the digitisation measure and the types below it read, so the types
   above and below are judged again), then GET /api/v1/rules, whose
   "evaluation" says how many records the server judged again for that
   write and in how many ms (the re-evaluation, timed inside the server:
   the client's share does not enter it).
   A hundred writes: the p99 is then the second slowest, not the slowest
   (30 made it the maximum: one pause of the machine decided it).

4. Architecture versions (issue 16): one assembled (POST
   /api/v1/architecture_versions: the whole dataset frozen), a write, a
   second one, then the two compared (GET …/{a}/compare/{b}), each timed
   on the client (one request each: the server's log time beside it).

Prints BENCH lines ("BENCH <name> key=value ...") for run.sh."""
import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from national import log_size, pct, rss, server_ms, timed  # noqa: E402


def request(conn, method, path, headers, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={**headers, 'Content-Type': 'application/json'})
    r = conn.getresponse()
    return r.status, r.read(), r.getheader('ETag')


def build_ms(log_path, offset):
    """(records, rules, ms, CPU ms of the judging threads together) of the
    last judging of everything the server logged after offset."""
    with open(log_path, encoding='utf-8', errors='replace') as f:
        f.seek(offset)
        m = re.findall(r'rules: (\d+) records judged by (\d+) rules in (\d+) ms'
                       r'(?: \(\d+ and \d+ by two threads, CPU (\d+) \+ (\d+) ms\))?', f.read())
    if not m:
        return ('0', '0', 'nan', 'nan')
    records, rules, ms, cpu_a, cpu_b = m[-1]
    return (records, rules, ms, str(int(cpu_a) + int(cpu_b)) if cpu_a else 'nan')


def main():
    ap = argparse.ArgumentParser()
    for name in ('base', 'out', 'token', 'pid'):
        ap.add_argument(name)
    ap.add_argument("--writes", type=int, default=100)
    a = ap.parse_args()
    log = os.path.join(a.out, 'server.log')
    auth = {'Authorization': f'Bearer {a.token}'}
    u = urllib.parse.urlsplit(a.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)

    at = log_size(log)
    ms, status, body = timed(conn, '/api/v1/rules', auth)
    time.sleep(0.2)
    records, rules, logged, cpu = build_ms(log, at)
    n_rules = len(json.loads(body)['items']) if status == 200 else 0
    print(f'BENCH rules_scratch status={status} client_ms={ms:.0f} server_ms={logged} '
          f'cpu_ms={cpu} records={records} rules={rules} reported={n_rules} rss_kb={rss(a.pid)}',
          flush=True)

    for _ in range(2):
        timed(conn, '/api/v1/rules', auth)
    at = log_size(log)
    lat, bad = [], 0
    for _ in range(20):
        ms, status, _ = timed(conn, '/api/v1/rules', auth)
        lat.append(ms)
        bad += status != 200
    time.sleep(0.2)
    srv = server_ms(log, at, 20)
    print(f'BENCH rules_report n=20 errors={bad} p50_ms={pct(lat, 50):.2f} p99_ms={pct(lat, 99):.2f} '
          f'server_p50_ms={pct(srv, 50):.2f} server_p99_ms={pct(srv, 99):.2f}', flush=True)

    targets = [('functions', f'fn-{i}', 'legal_basis') for i in range(a.writes // 3 + 1)]
    targets += [('master_data', f'dt-{3 * i + 2}', 'attributes') for i in range(a.writes // 3 + 1)]
    targets += [('master_data', f'md-{i}', 'attributes') for i in range(a.writes // 3 + 1)]
    order = [targets[(i % 3) * (a.writes // 3 + 1) + i // 3] for i in range(a.writes)]
    judged, spent, bad = [], [], 0
    for n, (coll, rid, field) in enumerate(order):
        status, body, etag = request(conn, 'GET', f'/api/v1/{coll}/{rid}', auth)
        value = f'bench write {n} at {time.time():.6f}'
        if field == 'attributes':  # the first attribute's storage source, away or back
            attrs = json.loads(body).get('attributes') or [{'name': 'bench'}] if status == 200 else []
            first = dict(attrs[0]) if attrs else {'name': 'bench'}
            if first.pop('source', None) is None:
                first['source'] = 'obj-1'
            value = [first] + attrs[1:]
        status, _, _ = request(conn, 'PATCH', f'/api/v1/{coll}/{rid}',
                               {**auth, 'If-Match': etag or '*'}, {field: value})
        if status != 200:
            bad += 1
            continue
        status, body, _ = request(conn, 'GET', '/api/v1/rules', auth)
        ev = json.loads(body).get('evaluation', {}) if status == 200 else {}
        if 'ms' not in ev:
            bad += 1
            continue
        judged.append(ev['judged'])
        spent.append(ev['ms'])
    versions = []
    for n in range(2):
        t0 = time.perf_counter()
        status, body, _ = request(conn, 'POST', '/api/v1/architecture_versions', auth,
                                  {'name': {'en': f'bench version {n}'}, 'owner': 'org-1'})
        versions.append(((time.perf_counter() - t0) * 1000, status, json.loads(body)))
        if n == 0:
            status, _, etag = request(conn, 'GET', '/api/v1/functions/fn-1', auth)
            request(conn, 'PATCH', '/api/v1/functions/fn-1', {**auth, 'If-Match': etag or '*'},
                    {'legal_basis': f'bench version write at {time.time():.6f}'})
    ids = [v[2].get('id') for v in versions]
    t0 = time.perf_counter()
    status, body, _ = request(conn, 'GET', f'/api/v1/architecture_versions/{ids[0]}/compare/{ids[1]}',
                              auth)
    compare_ms = (time.perf_counter() - t0) * 1000
    counts = json.loads(body).get('counts', {}) if status == 200 else {}
    print(f'BENCH versions snapshot_ms={versions[0][0]:.0f} snapshot2_ms={versions[1][0]:.0f} '
          f'elements={versions[0][2].get("elements")} status={versions[0][1]},{versions[1][1]} '
          f'compare_ms={compare_ms:.0f} compare_status={status} changed={counts.get("changed")}',
          flush=True)
    conn.close()
    load = open('/proc/loadavg', encoding='utf-8').read().split()[0]
    print(f'BENCH rules_after_write n={len(spent)} errors={bad} p50_ms={pct(spent, 50):.2f} '
          f'p99_ms={pct(spent, 99):.2f} max_ms={max(spent, default=float("nan")):.2f} '
          f'judged_p50={pct(judged, 50)} judged_max={max(judged, default=0)} load={load} '
          f'rss_kb={rss(a.pid)}', flush=True)


if __name__ == '__main__':
    main()
