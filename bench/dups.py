#!/usr/bin/env python3
"""Duplication and reuse at national scale (issue 16 item 2), against a
server started on the dataset of bench/gen.py:

  dups.py BASE OUT TOKEN SERVER_PID [--similar 200]

1. Duplicate pairs across all objects: GET /api/v1/duplicates (the
   structural pairs of every shared relation type and the textual pairs of
   the model's threshold over every object of the section's kinds), once
   cold and then 5 times, client time and the server's own (its access log
   in OUT/server.log).
2. The similar records of one new object: GET /api/v1/similar?name=&text=
   for names made from the stored objects' words (each one's words shuffled,
   its number dropped, a purpose added), one at a time after 5 unmeasured;
   p50 and p99, client and server.

Prints BENCH lines ("BENCH <name> key=value ...") with the load average and
the server's RSS."""
import argparse
import http.client
import json
import os
import random
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from national import log_size, pct, rss, server_ms, timed  # noqa: E402


def load():
    return open('/proc/loadavg', encoding='utf-8').read().split()[0]


def names(conn, auth, n):
    """Names like the stored objects': their words shuffled, numbers out."""
    ms, status, body = timed(conn, f'/api/v1/objects?limit={min(n, 200)}', auth)
    items = json.loads(body)['items'] if status == 200 else []
    rnd = random.Random(16)
    out = []
    for i in range(n):
        rec = items[i % len(items)] if items else {'name': {'ru': 'информационная система'}}
        name = rec.get('name')
        text = name.get('ru') or name.get('kk') or name.get('en') if isinstance(name, dict) else name
        words = [w for w in (text or '').split() if not w.isdigit()]
        rnd.shuffle(words)
        out.append(' '.join(words) or 'информационная система')
    return out


def main():
    ap = argparse.ArgumentParser()
    for name in ('base', 'out', 'token', 'pid'):
        ap.add_argument(name)
    ap.add_argument('--similar', type=int, default=200)
    a = ap.parse_args()
    log = os.path.join(a.out, 'server.log')
    auth = {'Authorization': f'Bearer {a.token}'}
    u = urllib.parse.urlsplit(a.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)

    at = log_size(log)
    ms, status, body = timed(conn, '/api/v1/duplicates?limit=100', auth)
    out = json.loads(body) if status == 200 else {}
    time.sleep(0.2)
    srv = server_ms(log, at, 1)
    structural = sum(1 for p in out.get('items', []) if p.get('shared'))
    print(f'BENCH dups_cold status={status} client_ms={ms:.0f} '
          f'server_ms={srv[-1] if srv else "nan"} items={len(out.get("items", []))} '
          f'structural={structural} truncated={out.get("truncated")} load={load()} '
          f'rss_kb={rss(a.pid)}', flush=True)
    at = log_size(log)
    lat, bad = [], 0
    for _ in range(5):
        ms, status, _ = timed(conn, '/api/v1/duplicates?limit=100', auth)
        lat.append(ms)
        bad += status != 200
    time.sleep(0.2)
    srv = server_ms(log, at, 5)
    print(f'BENCH dups_all n=5 errors={bad} p50_ms={pct(lat, 50):.0f} max_ms={max(lat):.0f} '
          f'server_p50_ms={pct(srv, 50):.0f} server_max_ms={max(srv, default=float("nan")):.0f} '
          f'load={load()} rss_kb={rss(a.pid)}', flush=True)

    queries = names(conn, auth, a.similar + 5)
    paths = ['/api/v1/similar?' + urllib.parse.urlencode(
        {'name': q, 'text': 'автоматизация государственных функций'}) for q in queries]
    for p in paths[:5]:
        timed(conn, p, auth)
    at = log_size(log)
    lat, bad, found = [], 0, 0
    for p in paths[5:]:
        ms, status, body = timed(conn, p, auth)
        lat.append(ms)
        bad += status != 200
        found += bool(status == 200 and json.loads(body)['items'])
    time.sleep(0.2)
    srv = server_ms(log, at, len(lat))
    conn.close()
    print(f'BENCH dups_similar n={len(lat)} errors={bad} with_results={found} '
          f'p50_ms={pct(lat, 50):.2f} p99_ms={pct(lat, 99):.2f} '
          f'server_p50_ms={pct(srv, 50):.2f} server_p99_ms={pct(srv, 99):.2f} '
          f'load={load()} rss_kb={rss(a.pid)}', flush=True)


if __name__ == '__main__':
    main()
