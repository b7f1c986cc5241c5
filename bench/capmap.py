#!/usr/bin/env python3
"""Measures the capability map and a matrix (issue 15, lane capmap) at the
national scale the issue names: DOMAINS domains with about 67 capabilities
each on three levels (2,010 for 30), three state functions and three public
services under each leaf capability, SYSTEMS information systems (nine in
ten registered) automating them. The dataset is an archportal export written
with bench/gen.py's Writer, loaded by `archportal import`; `archportal
serve` answers; this script asks one URL after another over one keep-alive
connection, as the admin, and prints p50/p95/p99/max timed by the client
from sending the request to reading the whole answer, then the server's
peak RSS (VmHWM).

usage: bench/capmap.py [--bin build/archportal] [--domains 30] [--systems 2000]
                       [--requests 100] [--out bench/out/capmap]
Target (issue 15): the capability map's p99 <= 50 ms for 2,000 capabilities."""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen import PREFIXES, YEAR, Writer, bin_for, dump, name  # noqa: E402

STAGES = ['creation', 'pilot_operation', 'industrial_operation', 'development', 'termination']


def dataset(path, domains, n_systems, seed):
    rng = random.Random(seed)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(dump({'format': 'archportal-export', 'version': 2}) + '\n')
        w = Writer(f)
        orgs = max(10, domains * 2)
        for i in range(orgs):
            w.record('organizations', 'organization', f'org-{i}', {
                'name': {'kk': f'Орган {i}', 'ru': f'Орган {i}', 'en': f'Body {i}'},
                'bin': bin_for(i), 'org_type': 'central_state_body'})
        leaves, codes, n_rel = [], [], 0
        for d in range(domains):
            w.record('domains', 'domain', f'dom-{d}', {'name': name(rng, d)})
            n = 0
            for a in range(5):
                l1 = f'cap-{d}-{n}'
                n += 1
                w.record('capabilities', 'capability', l1, {'name': name(rng, n), 'domain': f'dom-{d}'})
                for b in range(4):
                    l2 = f'cap-{d}-{n}'
                    n += 1
                    w.record('capabilities', 'capability', l2, {'name': name(rng, n), 'parent': l1})
                    for c in range(3 if (a * 4 + b) < 2 else 2):
                        l3 = f'cap-{d}-{n}'
                        n += 1
                        w.record('capabilities', 'capability', l3, {'name': name(rng, n), 'parent': l2})
                        leaves.append((d, l3))
        functions = []
        for i, (d, cap) in enumerate(leaves):
            for k in range(3):
                owner = f'org-{(d * 2 + k % 2) % orgs}'
                fid, sid = f'fn-{i}-{k}', f'svc-{i}-{k}'
                w.record('functions', 'state_function', fid, {'owner': owner, 'name': name(rng, i),
                                                              'domain': f'dom-{d}'})
                w.record('services', 'public_service', sid, {
                    'owner': owner, 'name': name(rng, i), 'function': fid, 'recipient': 'g2c',
                    'maturity': 'interactive'})
                for leaf in (fid, sid):
                    w.record('relations', 'groups', f'rel-{n_rel}', {'source': cap, 'target': leaf})
                    n_rel += 1
                functions.append((d, fid, sid))
        for s in range(n_systems):
            body = {'owner': f'org-{rng.randrange(orgs)}', 'name': name(rng, s),
                    'stage': rng.choice(STAGES), 'class': 'second', 'placement': 'icp_eg',
                    'funding_source': 'own_funds'}
            if s % 10 == 9:
                body['status'] = 'draft'
            else:
                code = f'{PREFIXES["information_system"]}-{YEAR}-{len(codes) + 1:06d}'
                body.update(status='registered', accounting_code=code)
                codes.append((f'is-{s}', 'information_system', code))
            w.record('objects', 'information_system', f'is-{s}', body)
        for d, fid, sid in functions:
            for leaf in (fid, sid):
                for s in rng.sample(range(n_systems), rng.choice((1, 1, 2))):
                    w.record('relations', 'automates', f'rel-{n_rel}', {
                        'source': f'is-{s}', 'target': leaf,
                        'automation_level': rng.choice(('full', 'partial'))})
                    n_rel += 1
        w.finish(codes)
    return len(leaves)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def measure(port, paths, token, label, times_each=1, cookie=None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    headers = {'Cookie': f'ap_session={cookie}'} if cookie else {'Authorization': f'Bearer {token}'}
    times, size = [], 0
    for _ in range(times_each):
        for p in paths:
            t0 = time.perf_counter()
            conn.request('GET', p, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            times.append((time.perf_counter() - t0) * 1000)
            assert resp.status == 200, (p, resp.status, body[:300])
            size = max(size, len(body))
    conn.close()
    print(f'{label}: {len(times)} requests, largest answer {size // 1024} KiB; latency ms '
          f'p50 {pct(times, 50):.2f} p95 {pct(times, 95):.2f} p99 {pct(times, 99):.2f} '
          f'max {max(times):.2f}')
    return pct(times, 99)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', default=os.path.join(HERE, '..', 'build', 'archportal'))
    ap.add_argument('--domains', type=int, default=30)
    ap.add_argument('--systems', type=int, default=2000)
    ap.add_argument('--requests', type=int, default=100)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', default=os.path.join(HERE, 'out', 'capmap'))
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    path, data = os.path.join(a.out, 'dataset.jsonl'), os.path.join(a.out, 'data')
    dataset(path, a.domains, a.systems, a.seed)
    subprocess.run([a.bin, 'import', path, '--data', data], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([a.bin, 'user', 'create', '--email', 'capmap@bench.gov.kz', '--role', 'admin',
                    '--name', 'Capmap Bench', '--data', data], input=b'Wrk-Load-Tester-7x\n',
                   check=True, stdout=subprocess.DEVNULL)
    token = subprocess.run([a.bin, 'token', 'create', '--name', 'capmap', '--user',
                            'capmap@bench.gov.kz', '--data', data], check=True,
                           capture_output=True).stdout.decode().strip()
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
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
        conn.request('GET', '/api/v1/capabilities/map', headers={'Authorization': f'Bearer {token}'})
        n_caps = len(json.loads(conn.getresponse().read())['items'])
        conn.close()
        print(f'registry: {a.domains} domains, {n_caps} capabilities, {a.systems} systems ({a.bin})')
        whole = ['/api/v1/capabilities/map']
        measure(port, whole, token, 'warm-up', 5)
        p99 = measure(port, whole, token, 'map, whole, measure=systems', a.requests)
        measure(port, ['/api/v1/capabilities/map?measure=stages'], token, 'map, whole, measure=stages',
                a.requests)
        measure(port, ['/api/v1/capabilities/map?measure=completeness'], token,
                'map, whole, measure=completeness', max(1, a.requests // 10))
        measure(port, [f'/api/v1/capabilities/map?domain=dom-{d}' for d in range(a.domains)], token,
                'map, one domain each', max(1, a.requests // a.domains))
        # a measure of the model's: one walk a tile (the dataset has no master
        # data: what the walks cost, not what they count)
        measure(port, ['/api/v1/capabilities/map?measure=digitisation'], token,
                'map, whole, measure=digitisation', max(1, a.requests // 10))
        measure(port, [f'/api/v1/capabilities/map?domain=dom-{d}&measure=digitisation'
                       for d in range(a.domains)], token, 'map, one domain each, measure=digitisation',
                max(1, a.requests // a.domains))
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
        conn.request('POST', '/api/v1/session', body=json.dumps(
            {'email': 'capmap@bench.gov.kz', 'password': 'Wrk-Load-Tester-7x'}),
            headers={'Content-Type': 'application/json'})
        resp = conn.getresponse()
        resp.read()
        cookie = re.match(r'ap_session=([^;]*)', resp.getheader('Set-Cookie')).group(1)
        conn.close()
        page = measure(port, ['/ru/capabilities/map?measure=stages'], token, 'map page, whole (ru)',
                       a.requests, cookie)
        measure(port, ['/api/v1/capabilities/matrix/bodies'], token, 'matrix capability x body',
                max(1, a.requests // 5))
        measure(port, ['/api/v1/functions/matrix/systems?domain=dom-0'], token,
                'matrix function x system, one domain', max(1, a.requests // 5))
        status = open(f'/proc/{srv.pid}/status').read()
        print('peak RSS:', re.search(r'VmHWM:\s*(.*)', status).group(1))
        print(f'target p99 <= 50 ms: {"PASS" if p99 <= 50 else "FAIL"} (API p99 {p99:.2f} ms, '
              f'page p99 {page:.2f} ms)')
    finally:
        srv.terminate()
        srv.wait()


if __name__ == '__main__':
    main()
