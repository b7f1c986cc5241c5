#!/usr/bin/env python3
"""Measures traceability walks (GET /api/v1/objects/{id}/trace, issue 15
item 4) on a generated registry: bench/gen.py makes ORGS organisations,
OBJECTS objects and RELATIONS random relations between them (one connected
graph: a domain), `archportal import` loads it into a fresh data directory,
`archportal serve` answers, and this script fetches the full walk
(direction=both, depth=10, at most 5,000 nodes) from REQUESTS objects one
after another over one keep-alive connection, as the admin and as the
public. It prints the walk's size and the latency's p50/p95/p99/max, timed
by the client from sending the request to reading the whole answer.

usage: bench/trace.py [--bin build/archportal] [--objects 3000] [--relations 9000]
                      [--orgs 20] [--requests 200] [--out bench/out/trace]
Target (issue 15): p99 <= 20 ms for a domain's full walk."""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def measure(port, ids, token, label):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    headers = {'Authorization': f'Bearer {token}'} if token else {}
    times, nodes, edges, cut = [], [], [], 0
    for rid in ids:
        t0 = time.perf_counter()
        conn.request('GET', f'/api/v1/objects/{rid}/trace?direction=both&depth=10', headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status != 200:
            continue
        doc = json.loads(body)
        nodes.append(len(doc['nodes']))
        edges.append(len(doc['edges']))
        cut += doc['truncated']
    conn.close()
    print(f'{label}: {len(ids)} walks, nodes median {pct(nodes, 50) if nodes else 0} '
          f'(max {max(nodes, default=0)}), edges median {pct(edges, 50) if edges else 0}, '
          f'{cut} truncated, {len(ids) - len(nodes)} not 200; latency ms p50 {pct(times, 50):.2f} '
          f'p95 {pct(times, 95):.2f} p99 {pct(times, 99):.2f} max {max(times):.2f}')
    return pct(times, 99)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', default=os.path.join(HERE, '..', 'build', 'archportal'))
    ap.add_argument('--orgs', type=int, default=20)
    ap.add_argument('--objects', type=int, default=3000)
    ap.add_argument('--relations', type=int, default=9000)
    ap.add_argument('--requests', type=int, default=200)
    ap.add_argument('--out', default=os.path.join(HERE, 'out', 'trace'))
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    dataset, data = os.path.join(a.out, 'dataset.jsonl'), os.path.join(a.out, 'data')
    subprocess.run([sys.executable, os.path.join(HERE, 'gen.py'), dataset, '--orgs', str(a.orgs),
                    '--objects', str(a.objects), '--relations', str(a.relations)], check=True)
    subprocess.run([a.bin, 'import', dataset, '--data', data], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([a.bin, 'user', 'create', '--email', 'trace@bench.gov.kz', '--role', 'admin',
                    '--name', 'Trace Bench', '--data', data], input=b'Wrk-Load-Tester-7x\n',
                   check=True, stdout=subprocess.DEVNULL)
    token = subprocess.run([a.bin, 'token', 'create', '--name', 'trace', '--user',
                            'trace@bench.gov.kz', '--data', data], check=True,
                           capture_output=True).stdout.decode().strip()
    ids = []
    with open(dataset, encoding='utf-8') as f:
        for line in f:
            rec = json.loads(line).get('record')
            if rec and rec['collection'] == 'objects':
                ids.append(rec['id'])
    step = max(1, len(ids) // a.requests)
    ids = ids[::step][:a.requests]
    log = open(os.path.join(a.out, 'server.log'), 'w')
    srv = subprocess.Popen([a.bin, 'serve', '--data', data, '--listen', '127.0.0.1:0'], stderr=log)
    try:
        port = None
        for _ in range(600):
            m = re.search(r'"event":"listening".*?"port":"(\d+)"',
                          open(os.path.join(a.out, 'server.log')).read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.1)
        assert port, 'the server did not start; see server.log'
        print(f'registry: {a.orgs} organisations, {a.objects} objects, {a.relations} relations '
              f'({a.bin})')
        measure(port, ids[:20], token, 'warm-up (admin)')
        p99 = measure(port, ids, token, 'admin')
        measure(port, ids, None, 'public')
        print(f'target p99 <= 20 ms: {"PASS" if p99 <= 20 else "FAIL"} (admin p99 {p99:.2f} ms)')
    finally:
        srv.terminate()
        srv.wait()


if __name__ == '__main__':
    main()
