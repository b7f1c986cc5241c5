#!/usr/bin/env python3
"""The ICT projects' risk levels at national scale (issue 17), against a
server that bench/run.sh has started on the dataset of bench/gen.py (5,000
projects, 50,000 criteria answered, 20,000 recommendations):

  risks.py BASE OUT TOKEN EMAIL PASSWORD SERVER_PID [--writes 10]

1. Every project judged whole: the first GET /api/v1/scores/project_risk
   of a reader class after the start; the server logs "scores:
   project_risk: N records judged in X ms" (the judging alone, timed
   inside the server) beside the client's time of the whole answer.
2. After a write: a PATCH of a project's roadmap item, then the roll-up
   (?owner=org-1&level=high, so that the answer is small: what is timed is
   bringing the judging up to date, not writing out every project), WRITES
   times: the kept
   judging is brought up to date with the records the write named.
3. The roll-up page (GET /ru/scores/project_risk, signed in: the
   integrator's view, with the open recommendations), 100 times after 5
   unmeasured, one at a time over one keep-alive connection, the server's
   own times from its access log beside the client's: the client is not
   the bottleneck when the two agree.
4. A project's card with its risk section (GET /ru/projects/prj-N), 100
   projects in turn, the same way.
5. The public list of projects (GET /ru/projects, anonymous: the
   transparency page, with each project's totals, last conclusion and risk
   level), 100 times after 5 unmeasured.
6. The period report (with --arch-token, an integrator-architect's): a
   year's implementation report made (POST: every project, assessment,
   recommendation and discrepancy counted by body, and the projects' risk
   levels) and submitted (counted once more, then frozen), each one
   request on its own: the client waits for one answer, the server's time
   from its access log beside it.

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
from national import log_size, pct, rss, server_ms, session, timed  # noqa: E402
from rules import request  # noqa: E402

PAGE = '/ru/scores/project_risk'


def judged_ms(log_path, offset):
    with open(log_path, encoding='utf-8', errors='replace') as f:
        f.seek(offset)
        m = re.findall(r'scores: project_risk: (\d+) records judged in (\d+) ms', f.read())
    return m[-1] if m else ('0', 'nan')


def pages(conn, log, label, paths, headers):
    for p in paths[:5]:
        timed(conn, p, headers)
    at = log_size(log)
    lat, bad, size = [], 0, 0
    for p in paths:
        ms, status, body = timed(conn, p, headers)
        lat.append(ms)
        bad += status != 200
        size = len(body)
    time.sleep(0.2)  # the access log is written after the answer
    srv = server_ms(log, at, len(paths))
    load = open('/proc/loadavg', encoding='utf-8').read().split()[0]
    print(f'BENCH {label} n={len(lat)} errors={bad} bytes={size} p50_ms={pct(lat, 50):.2f} '
          f'p99_ms={pct(lat, 99):.2f} server_p50_ms={pct(srv, 50):.2f} '
          f'server_p99_ms={pct(srv, 99):.2f} load={load}', flush=True)


def main():
    ap = argparse.ArgumentParser()
    for name in ('base', 'out', 'token', 'email', 'password', 'pid'):
        ap.add_argument(name)
    ap.add_argument('--writes', type=int, default=10)
    ap.add_argument('--arch-token')
    a = ap.parse_args()
    log = os.path.join(a.out, 'server.log')
    auth = {'Authorization': f'Bearer {a.token}'}
    u = urllib.parse.urlsplit(a.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)

    at = log_size(log)
    ms, status, _ = timed(conn, '/api/v1/scores/project_risk', auth)
    time.sleep(0.2)
    records, logged = judged_ms(log, at)
    print(f'BENCH risk_whole status={status} records={records} server_ms={logged} '
          f'client_ms={ms:.0f} rss_kb={rss(a.pid)}', flush=True)
    lat, bad = [], 0
    for n in range(a.writes):
        status, _, etag = request(conn, 'GET', f'/api/v1/projects/prj-{n}', auth)
        status, _, _ = request(conn, 'PATCH', f'/api/v1/projects/prj-{n}',
                               {**auth, 'If-Match': etag or '*'},
                               {'roadmap_item': f'bench write {n} at {time.time():.6f}'})
        ms, status2, _ = timed(conn, '/api/v1/scores/project_risk?owner=org-1&level=high', auth)
        if status != 200 or status2 != 200:
            bad += 1
            continue
        lat.append(ms)
    print(f'BENCH risk_after_write n={len(lat)} errors={bad} p50_ms={pct(lat, 50):.2f} '
          f'max_ms={max(lat, default=float("nan")):.2f} rss_kb={rss(a.pid)}', flush=True)
    conn.close()

    cookie = {'Cookie': session(a.base, a.email, a.password), 'Accept': 'text/html'}
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    pages(conn, log, 'risk_page', [PAGE] * 100, cookie)
    pages(conn, log, 'risk_card', [f'/ru/projects/prj-{i}' for i in range(100)], cookie)
    pages(conn, log, 'transparency', ['/ru/projects'] * 100, {'Accept': 'text/html'})
    print(f'BENCH risk_rss kb={rss(a.pid)}', flush=True)
    conn.close()
    if a.arch_token:
        period_report(a, log, u)


def period_report(a, log, u):
    """Makes a year's report and submits it, timing each write."""
    auth = {'Authorization': f'Bearer {a.arch_token}', 'Content-Type': 'application/json'}
    year = time.gmtime().tm_year - 1
    body = {'kind': 'implementation_report', 'owner': 'org-1', 'period_type': 'year',
            'period_start': f'{year}-01-01', 'period_end': f'{year}-12-31',
            'name': {'ru': f'Отчёт о реализации архитектуры за {year} год'}}
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    at = log_size(log)
    t0 = time.perf_counter()
    status, data, etag = request(conn, 'POST', '/api/v1/implementation_reports', auth, body)
    made = (time.perf_counter() - t0) * 1000
    rec = json.loads(data) if status == 201 else {}
    t0 = time.perf_counter()
    status2, _, _ = request(conn, 'POST', f'/api/v1/implementation_reports/{rec.get("id")}/submit',
                            {**auth, 'If-Match': etag or '*'}, None)
    sent = (time.perf_counter() - t0) * 1000
    time.sleep(0.2)
    srv = server_ms(log, at, 2)
    total = (rec.get('results') or [{}])[-1]
    print(f'BENCH period_report status={status} submit_status={status2} '
          f'bodies={max(len(rec.get("results") or []) - 1, 0)} projects={total.get("projects", 0)} '
          f'create_ms={made:.0f} submit_ms={sent:.0f} '
          f'server_create_ms={srv[0] if srv else float("nan"):.0f} '
          f'server_submit_ms={srv[1] if len(srv) > 1 else float("nan"):.0f} '
          f'rss_kb={rss(a.pid)}', flush=True)
    conn.close()


if __name__ == '__main__':
    main()
