#!/usr/bin/env python3
"""The registry page benchmark (issue 5): GET /ru/registry?limit=50 over the
benchmark dataset, against the API's list with the same parameters as the
reference, measured in the same run on the same connection.

  python3 bench/pages.py BASE OUTDIR [ROUNDS] [SERVER_PID]

Three shapes, each a set of distinct URLs asked round-robin ROUNDS times
(default 10), one request at a time over one keep-alive connection, page
and API alternating so that both see the same conditions:

  plain   /ru/registry?limit=50 (with each sort order of the page)
  filter  /ru/registry?filter=stage:S&limit=50 (each stage, and with a
          second filter)
  q       /ru/registry?q=W&limit=50 (Russian words of the dataset)

Latency is measured on the client (request sent -> last body byte). With
SERVER_PID, the server's CPU time per request (user + system, from
/proc/PID/stat) is measured too, in a pass of pages only and one of API
lists only: on a host that other work keeps busy, latency percentiles
include waiting for a core, CPU time does not. The
page renders 50 rows, six facets with counts (each counted without its own
selection), the organisations' names and the layout. Prints one
"BENCH shape=.. n=.. p50_ms=.. p99_ms=.. api_p50_ms=.. api_p99_ms=.." line
per shape and the table, also written to OUTDIR/pages.md. Target: page
p99 <= 15 ms.
"""
import http.client
import os
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402  (the dataset's vocabulary and enums)
from tool import percentile  # noqa: E402

TARGET_P99_MS = 15.0


def shapes():
    sorts = ['', '&sort=-updated_at', '&sort=-created_at']
    plain = ['limit=50' + s for s in sorts]
    filt = [f'filter=stage:{s}&limit=50' for s in gen.STAGES]
    filt += [f'filter=stage:{s}&filter=class:{c}&limit=50' for s in gen.STAGES[:3]
             for c in gen.CLASSES[:2]]
    words = [w[1].split(' ')[0] for w in gen.WORDS][:12]
    q = ['q=' + urllib.parse.quote(w) + '&limit=50' for w in words]
    return [('plain', plain), ('filter', filt), ('q', q)]


def timed_get(conn, url):
    t0 = time.perf_counter_ns()
    conn.request('GET', url, headers={'Accept': 'text/html'})
    r = conn.getresponse()
    body = r.read()
    ms = (time.perf_counter_ns() - t0) / 1e6
    return ms, r.status, len(body)


def cpu_ticks(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def cpu_ms_per_request(conn, pid, urls):
    t0 = cpu_ticks(pid)
    for url in urls:
        conn.request('GET', url)
        conn.getresponse().read()
    return (cpu_ticks(pid) - t0) * 1000 / os.sysconf('SC_CLK_TCK') / len(urls)


def main():
    base, out = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    pid = int(sys.argv[4]) if len(sys.argv) > 4 else None
    with open('/proc/loadavg') as f:
        load = ' '.join(f.read().split()[:3])
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    conn.connect()
    rows = []
    for name, queries in shapes():
        page, ref, errors, size = [], [], 0, 0
        for _ in range(rounds):
            for qs in queries:
                ms, st, n = timed_get(conn, '/ru/registry?' + qs)
                page.append(ms)
                size = max(size, n)
                errors += st != 200
                ms, st, _ = timed_get(conn, '/api/v1/objects?' + qs)
                ref.append(ms)
                errors += st != 200
        page.sort()
        ref.sort()
        cpu = cpu_api = float('nan')
        if pid:
            cpu = cpu_ms_per_request(conn, pid, ['/ru/registry?' + x for x in queries] * rounds)
            cpu_api = cpu_ms_per_request(conn, pid, ['/api/v1/objects?' + x for x in queries] * rounds)
        p50, p99 = percentile(page, 50), percentile(page, 99)
        a50, a99 = percentile(ref, 50), percentile(ref, 99)
        print(f'BENCH shape={name} n={len(page)} errors={errors} p50_ms={p50:.3f} '
              f'p99_ms={p99:.3f} max_ms={page[-1]:.3f} api_p50_ms={a50:.3f} '
              f'api_p99_ms={a99:.3f} page_kb={size / 1024:.0f} cpu_ms={cpu:.2f} '
              f'api_cpu_ms={cpu_api:.2f}', flush=True)
        rows.append((name, queries[0], len(queries), len(page), errors, p50, p99, page[-1], a50,
                     a99, size, cpu, cpu_api))
    conn.close()
    lines = [f'Load average at the start: {load} (other work on the host makes latencies wait '
             'for a core; the server CPU column does not).', '',
             '| Registry page (GET /ru/registry, 50 rows) | page p50 / p99 / max (ms) | '
             'API list, same parameters, p50 / p99 (ms) | page / API (p50) | server CPU per '
             'request, page / API (ms) | Target | Result |',
             '|---|---|---|---|---|---|---|']
    for name, example, nq, n, errors, p50, p99, mx, a50, a99, size, cpu, cpu_api in rows:
        lines.append(f'| {name}: {nq} URLs × {n // nq}, e.g. `?{urllib.parse.unquote(example)}`, '
                     f'{size / 1024:.0f} KB, errors {errors} | {p50:.2f} / **{p99:.2f}** / '
                     f'{mx:.2f} | {a50:.2f} / {a99:.2f} | {p50 / a50:.1f} | {cpu:.2f} / '
                     f'{cpu_api:.2f} | p99 ≤ '
                     f'{TARGET_P99_MS:g} ms | {"PASS" if p99 <= TARGET_P99_MS and not errors else "**FAIL**"} |')
    text = '\n'.join(lines) + '\n'
    with open(os.path.join(out, 'pages.md'), 'w', encoding='utf-8') as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == '__main__':
    main()
