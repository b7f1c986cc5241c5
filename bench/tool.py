#!/usr/bin/env python3
"""Helpers for bench/run.sh (standard library only).

  tool.py urls OUTDIR [--objects N] [--orgs N]
      writes the request sets, deterministically:
        OUTDIR/paths-get.txt     1000 sample object paths (GET one object)
        OUTDIR/urls-list.txt     >= 300 distinct filtered-list URLs
        OUTDIR/urls-search.txt   >= 300 distinct full-text search URLs
  tool.py cold BASE URLFILE TSV
      asks every URL of URLFILE exactly once, in order, over one keep-alive
      connection; measures each request on the client (send -> last byte);
      writes "ms<TAB>status<TAB>total<TAB>url" lines to TSV and prints one
      "BENCH n=.. errors=.. p50_ms=.. p99_ms=.. max_ms=.." line.
  tool.py curlcfg BASE PATHS WWW OUT
      writes a curl config fetching each path of PATHS from BASE into WWW.
  tool.py fsync DIR SECONDS
      appends 4 KiB blocks to a scratch file in DIR, each followed by
      fdatasync, for SECONDS; prints "BENCH syncs_per_s=..": the disk's
      durable-commit ceiling for one writer (context for the creates figure).
  tool.py report RESULTS OUT_MD
      turns the key=value RESULTS file into the results table (Markdown),
      prints it and writes it to OUT_MD.
"""
import http.client
import json
import os
import random
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402  (the dataset's vocabulary and enums)

N_LIST = 320
N_SEARCH = 320
N_SAMPLE = 1000
SORTS = ['-updated_at', 'name', '-created_at', 'updated_at', 'id']
ENUM_FILTERS = {
    'stage': gen.STAGES,
    'class': gen.CLASSES,
    'placement': gen.PLACEMENTS,
    'funding_source': gen.FUNDING,
    'source_code_transferred': ['true', 'false'],
}


def q(s):
    return urllib.parse.quote(s, safe='-_.~')


def list_url(rng, n_orgs):
    """A filtered list as a portal page would ask it: 1-3 enum filters
    (sometimes two values of one field), sometimes a kind, an owner, a sort."""
    parts = []
    for field in rng.sample(sorted(ENUM_FILTERS), rng.randint(1, 3)):
        values = ENUM_FILTERS[field]
        k = 2 if len(values) > 2 and rng.random() < 0.15 else 1
        for v in rng.sample(values, k):
            parts.append(f'filter={field}:{v}')
    if rng.random() < 0.4:
        parts.append('kind=' + rng.choice(gen.KINDS))
    if rng.random() < 0.2:
        parts.append(f'owner=org-{rng.randrange(n_orgs)}')
    if rng.random() < 0.6:
        parts.append('sort=' + rng.choice(SORTS))
    parts.append('limit=50')
    return '/api/v1/objects?' + '&'.join(parts)


def search_words(rng):
    """1-2 words of one language (kk, ru or en), sometimes a word prefix."""
    lang = rng.randrange(3)
    words = []
    for entry in rng.sample(gen.WORDS, rng.choice([1, 1, 2])):
        w = entry[lang]
        if rng.random() < 0.3:  # a prefix, as typed into a search box
            first = w.split(' ')[0]
            w = first[:max(3, min(len(first) - 1, rng.randint(3, 6)))]
        words.append(w)
    return ' '.join(words)


def search_url(rng, n_orgs):
    parts = ['q=' + q(search_words(rng))]
    r = rng.random()
    if r < 0.25:
        field = rng.choice(sorted(ENUM_FILTERS))
        parts.append(f'filter={field}:{rng.choice(ENUM_FILTERS[field])}')
    elif r < 0.35:
        parts.append('kind=' + rng.choice(gen.KINDS))
    if rng.random() < 0.2:
        parts.append('sort=' + rng.choice(SORTS))
    parts.append('limit=50')
    return '/api/v1/objects?' + '&'.join(parts)


def distinct(make, n):
    seen, out = set(), []
    while len(out) < n:
        u = make()
        if u not in seen:
            seen.add(u)
            out.append(u)
    return out


def write_lines(path, lines):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(l + '\n' for l in lines))


def cmd_urls(argv):
    import argparse
    ap = argparse.ArgumentParser(prog='tool.py urls')
    ap.add_argument('outdir')
    ap.add_argument('--objects', type=int, default=100000)
    ap.add_argument('--orgs', type=int, default=1000)
    a = ap.parse_args(argv)
    rng = random.Random(20240601)
    # public reads: gen.py leaves every tenth object a draft, which the public cannot see
    public = [i for i in range(a.objects) if i % 10 != 9]
    sample = rng.sample(public, min(N_SAMPLE, len(public)))
    write_lines(os.path.join(a.outdir, 'paths-get.txt'),
                [f'/api/v1/objects/obj-{i}' for i in sample])
    write_lines(os.path.join(a.outdir, 'urls-list.txt'),
                distinct(lambda: list_url(rng, a.orgs), N_LIST))
    write_lines(os.path.join(a.outdir, 'urls-search.txt'),
                distinct(lambda: search_url(rng, a.orgs), N_SEARCH))


def cmd_curlcfg(argv):
    base, paths, www, out = argv
    with open(paths, encoding='utf-8') as f, open(out, 'w', encoding='utf-8') as o:
        for p in f.read().split():
            o.write(f'url = "{base}{p}"\noutput = "{www}{p}"\n')


def percentile(sorted_vals, p):
    """Nearest-rank percentile (the value below which p% of samples lie)."""
    if not sorted_vals:
        return float('nan')
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def cmd_cold(argv):
    base, urlfile, tsv = argv
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    conn.connect()
    with open(urlfile, encoding='utf-8') as f:
        urls = f.read().split()
    lat, errors = [], 0
    with open(tsv, 'w', encoding='utf-8') as out:
        for url in urls:
            t0 = time.perf_counter_ns()
            conn.request('GET', url)
            r = conn.getresponse()
            body = r.read()
            ms = (time.perf_counter_ns() - t0) / 1e6
            total = ''
            if r.status == 200:
                total = json.loads(body).get('total', '')
            else:
                errors += 1
            lat.append(ms)
            out.write(f'{ms:.3f}\t{r.status}\t{total}\t{url}\n')
    conn.close()
    lat.sort()
    print(f'BENCH n={len(lat)} errors={errors} p50_ms={percentile(lat, 50):.3f} '
          f'p99_ms={percentile(lat, 99):.3f} max_ms={lat[-1]:.3f}')


def cmd_fsync(argv):
    d, secs = argv[0], float(argv[1])
    path = os.path.join(d, 'fsync-probe.tmp')
    block = b'\0' * 4096
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < secs:
            os.write(fd, block)
            os.fdatasync(fd)
            n += 1
        rate = n / (time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    print(f'BENCH syncs_per_s={rate:.0f}')


def fnum(v, digits=1):
    try:
        return f'{float(v):,.{digits}f}'
    except (TypeError, ValueError):
        return 'n/a'


def verdict(value, target, higher_is_better):
    try:
        v = float(value)
    except (TypeError, ValueError):
        return '**FAIL** (not measured)'
    ok = v >= target if higher_is_better else v <= target
    return 'PASS' if ok else '**FAIL**'


def cmd_report(argv):
    res_path, md_path = argv
    r = {}
    with open(res_path, encoding='utf-8') as f:
        for line in f:
            if '=' in line:
                k, v = line.rstrip('\n').split('=', 1)
                r[k] = v
    g = r.get
    rows = []

    def row(name, value, target='', result='info'):
        rows.append((name, value, target, result))

    def ratio_of(run):
        try:
            return float(g(f'{run}_server_rps')) / float(g(f'{run}_nginx_rps'))
        except (TypeError, ValueError, ZeroDivisionError):
            return None
    # get1: one URL, a request wrk formats once (the figure of record);
    # get: rotating over 1,000 objects with a Lua hook, where the client
    # limits both servers (its CPU share says so)
    for run, how in (('get1', 'one URL'), ('get', 'rotating over 1,000, client-bound')):
        for who, label in (('server', 'archportal'), ('nginx', 'nginx static file')):
            row(f'GET one object ({how}), {label} (req/s)',
                fnum(g(f'{run}_{who}_rps'), 0) +
                f" (p99 {fnum(g(f'{run}_{who}_p99_ms'), 2)} ms, errors "
                f"{g(f'{run}_{who}_errors', '?')}, client CPU {g(f'{run}_{who}_client_cpu_pct', '?')} %)")
    ratio = ratio_of('get1')
    row('GET one object, ratio archportal / nginx, one URL (figure of record)', fnum(ratio, 3),
        '≥ 0.25', verdict(ratio, 0.25, True))
    row('GET one object, ratio archportal / nginx, rotating (client-bound)',
        fnum(ratio_of('get'), 3))
    for kind, label in (('list', 'Filtered list'), ('search', 'Full-text search')):
        n = g(f'{kind}_n', '?')
        row(f'{label}, cold p50 / p99 / max (ms), {n} distinct URLs once each',
            f"{fnum(g(f'{kind}_cold_p50_ms'), 2)} / **{fnum(g(f'{kind}_cold_p99_ms'), 2)}** / "
            f"{fnum(g(f'{kind}_cold_max_ms'), 2)} (errors {g(f'{kind}_cold_errors', '?')})",
            'p99 ≤ 20 ms', verdict(g(f'{kind}_cold_p99_ms'), 20, False))
        row(f'{label}, warm p50 / p99 (ms), wrk -t1 -c4',
            f"{fnum(g(f'{kind}_warm_p50_ms'), 2)} / **{fnum(g(f'{kind}_warm_p99_ms'), 2)}** "
            f"({fnum(g(f'{kind}_warm_rps'), 0)} req/s, errors {g(f'{kind}_warm_errors', '?')})",
            'p99 ≤ 20 ms', verdict(g(f'{kind}_warm_p99_ms'), 20, False))
    row('Durable creates (201/s), wrk -t2 -c4',
        fnum(g('create_rps'), 0) + f" ({g('create_ok', '?')} created, p99 "
        f"{fnum(g('create_p99_ms'), 2)} ms, max {fnum(g('create_max_ms'), 0)} ms)",
        '≥ 1000/s', verdict(g('create_rps'), 1000, True))
    row('Create responses other than 201 (socket errors/timeouts)',
        f"{g('create_non201', 'n/a')} ({g('create_socket_errors', '?')})", '0',
        verdict(g('create_non201'), 0, False))
    row('Disk: 4 KiB appends + fdatasync per second, one writer (context for creates)',
        fnum(g('disk_syncs_per_s'), 0))
    rss = None
    try:
        rss = float(g('rss_kb')) / 1024
    except (TypeError, ValueError):
        pass
    # the national architecture (bench/national.py)
    for name, label, target in (
            ('walk_domain', "A domain's full traceability walk (from its root capability, depth 10: "
             'capabilities, functions, services, processes and systems along groups/automates/'
             'supports both ways, then out to the data they access and the infrastructure they '
             'run on)', True),
            ('walk_full', 'Walk from the same starts along every relation type both ways (leaves '
             'the domain through shared data and data centres; cut at 5,000 nodes; no target: not '
             "a domain's walk)", False)):
        row(f'{label}: p50 / p99 / max (ms), client; server p99 (ms)',
            f"{fnum(g(f'{name}_p50_ms'), 2)} / **{fnum(g(f'{name}_p99_ms'), 2)}** / "
            f"{fnum(g(f'{name}_max_ms'), 2)}; server {fnum(g(f'{name}_server_p99_ms'), 2)} "
            f"({g(f'{name}_n', '?')} walks, nodes median {g(f'{name}_nodes_median', '?')}, "
            f"max {g(f'{name}_nodes_max', '?')}, {g(f'{name}_truncated', '?')} cut, "
            f"errors {g(f'{name}_errors', '?')})",
            'p99 ≤ 20 ms' if target else '', verdict(g(f'{name}_p99_ms'), 20, False) if target else 'info')
    row("A domain's walk as of an instant (?at=), p50 / max (ms)",
        f"{fnum(g('walk_domain_at_p50_ms'), 1)} / {fnum(g('walk_domain_at_max_ms'), 1)} "
        f"({g('walk_domain_at_n', '?')} walks, errors {g('walk_domain_at_errors', '?')})")
    row('Data type three levels deep / plain object, GET rate (wrk -t1 -c4, best of 2)',
        f"{fnum(g('inherit_warm_inherit_rps'), 0)} / {fnum(g('inherit_warm_plain_rps'), 0)} req/s = "
        f"**{fnum(g('inherit_warm_ratio'), 2)}** (wrk's CPU {g('inherit_warm_client_cpu_pct', '?')} %)",
        '≥ 0.5', verdict(g('inherit_warm_ratio'), 0.5, True))
    row('The same, cold (distinct records, each once): plain / type mean (ms)',
        f"{fnum(g('inherit_cold_plain_ms'), 3)} / {fnum(g('inherit_cold_inherit_ms'), 3)} = "
        f"**{fnum(g('inherit_cold_ratio'), 2)}** ({g('inherit_cold_n', '?')} each)",
        '≥ 0.5', verdict(g('inherit_cold_ratio'), 0.5, True))
    row(f"The capability map page `{g('capmap_path', '?')}` (2,000 capabilities, signed in, "
        'default measure): p50 / p99 (ms)',
        f"{fnum(g('capmap_p50_ms'), 2)} / {fnum(g('capmap_p99_ms'), 2)} (server p50 / p99 "
        f"{fnum(g('capmap_server_p50_ms'), 2)} / {fnum(g('capmap_server_p99_ms'), 2)}, "
        f"{g('capmap_bytes', '?')} bytes, load {g('capmap_load', '?')})",
        'p99 ≤ 50 ms', verdict(g('capmap_p99_ms'), 50, False))
    row(f"One domain's capability map `{g('capmap_domain_path', '?')}`: p50 / p99 (ms)",
        f"{fnum(g('capmap_domain_p50_ms'), 2)} / {fnum(g('capmap_domain_p99_ms'), 2)} (server "
        f"p50 / p99 {fnum(g('capmap_domain_server_p50_ms'), 2)} / "
        f"{fnum(g('capmap_domain_server_p99_ms'), 2)}, {g('capmap_domain_bytes', '?')} bytes, "
        f"load {g('capmap_domain_load', '?')})",
        'p99 ≤ 50 ms', verdict(g('capmap_domain_p99_ms'), 50, False))
    row("The same domain's map as of an instant (`&at=`): p50 / p99 (ms)",
        f"{fnum(g('capmap_domain_at_p50_ms'), 2)} / {fnum(g('capmap_domain_at_p99_ms'), 2)} (server "
        f"p50 / p99 {fnum(g('capmap_domain_at_server_p50_ms'), 2)} / "
        f"{fnum(g('capmap_domain_at_server_p99_ms'), 2)}, errors {g('capmap_domain_at_errors', '?')})")
    row(f"All the model's rules ({g('rules_scratch_rules', '?')}) judged from scratch over "
        f"{g('rules_scratch_records', '?')} records: the first report after the start (s), server's log",
        f"{fnum(float(g('rules_scratch_server_ms', 'nan')) / 1000, 2)} (client "
        f"{fnum(float(g('rules_scratch_client_ms', 'nan')) / 1000, 2)}; CPU of its two threads "
        f"{fnum(float(g('rules_scratch_cpu_ms', 'nan')) / 1000, 2)} s)",
        '≤ 1 s', verdict(float(g('rules_scratch_server_ms', 'nan')) / 1000, 1, False))
    row("The report of all rules from the kept judgements (GET /api/v1/rules): p50 / p99 (ms)",
        f"{fnum(g('rules_report_p50_ms'), 1)} / **{fnum(g('rules_report_p99_ms'), 1)}** (server "
        f"p99 {fnum(g('rules_report_server_p99_ms'), 1)}, errors {g('rules_report_errors', '?')})",
        'p99 ≤ 1 s', verdict(g('rules_report_p99_ms'), 1000, False)
        if g('rules_report_errors') == '0' else '**FAIL** (errors)')
    row("Rules re-judged after one write (a function's legal basis, which no rule reads; a data "
        "type's and a data subject's attributes, which the rules, the measure and the types below "
        'read), timed in the server: p50 / p99 (ms)',
        f"{fnum(g('rules_after_write_p50_ms'), 2)} / **{fnum(g('rules_after_write_p99_ms'), 2)}** "
        f"({g('rules_after_write_n', '?')} writes, records judged median "
        f"{g('rules_after_write_judged_p50', '?')}, max {g('rules_after_write_judged_max', '?')}, "
        f"load {g('rules_after_write_load', '?')})",
        'p99 ≤ 10 ms', verdict(g('rules_after_write_p99_ms'), 10, False)
        if g('rules_after_write_errors') == '0' else '**FAIL** (errors)')
    row(f"An architecture version of the whole dataset ({g('versions_elements', '?')} records "
        'frozen): assembled (ms), client',
        f"{fnum(g('versions_snapshot_ms'), 0)} / {fnum(g('versions_snapshot2_ms'), 0)} "
        f"(status {g('versions_status', '?')})", '≤ 5 s',
        verdict(float(g('versions_snapshot_ms', 'nan')) / 1000, 5, False))
    row('Two versions compared element by element and field by field (ms), client',
        f"{fnum(g('versions_compare_ms'), 0)} ({g('versions_changed', '?')} changed, status "
        f"{g('versions_compare_status', '?')})", '≤ 2 s',
        verdict(float(g('versions_compare_ms', 'nan')) / 1000, 2, False)
        if g('versions_compare_status') == '200' else '**FAIL** (errors)')
    row('Duplicate pairs across all objects (structural and textual), GET /api/v1/duplicates: '
        'cold; then p50 / max of 5 (ms), client',
        f"{fnum(g('dups_cold_client_ms'), 0)}; {fnum(g('dups_all_p50_ms'), 0)} / "
        f"**{fnum(g('dups_all_max_ms'), 0)}** (server max {fnum(g('dups_all_server_max_ms'), 0)}, "
        f"{g('dups_cold_structural', '?')} structural of {g('dups_cold_items', '?')} listed, "
        f"load {g('dups_all_load', '?')})",
        '≤ 1 s', verdict(float(g('dups_all_max_ms', 'nan')) / 1000, 1, False)
        if g('dups_all_errors') == '0' and g('dups_cold_status') == '200' else '**FAIL** (errors)')
    row('Similar objects of one new object, GET /api/v1/similar: p50 / p99 (ms)',
        f"{fnum(g('dups_similar_p50_ms'), 2)} / **{fnum(g('dups_similar_p99_ms'), 2)}** (server "
        f"p99 {fnum(g('dups_similar_server_p99_ms'), 2)}, {g('dups_similar_with_results', '?')} of "
        f"{g('dups_similar_n', '?')} with results, load {g('dups_similar_load', '?')})",
        'p99 ≤ 20 ms', verdict(g('dups_similar_p99_ms'), 20, False)
        if g('dups_similar_errors') == '0' else '**FAIL** (errors)')
    row(f"The ICT projects' risk levels judged whole ({g('risk_whole_records', '?')} projects: the "
        'first GET /api/v1/scores/project_risk after the start), server\'s log (ms)',
        f"{fnum(g('risk_whole_server_ms'), 0)} (client {fnum(g('risk_whole_client_ms'), 0)}, "
        f"status {g('risk_whole_status', '?')})")
    row('The risk levels after a write (a PATCH, then the roll-up brought up to date): p50 / max (ms)',
        f"{fnum(g('risk_after_write_p50_ms'), 1)} / {fnum(g('risk_after_write_max_ms'), 1)} "
        f"({g('risk_after_write_n', '?')} writes, errors {g('risk_after_write_errors', '?')})")
    row('The risk roll-up page, signed in (/ru/scores/project_risk): p50 / p99 (ms)',
        f"{fnum(g('risk_page_p50_ms'), 2)} / **{fnum(g('risk_page_p99_ms'), 2)}** (server "
        f"p99 {fnum(g('risk_page_server_p99_ms'), 2)}, {g('risk_page_bytes', '?')} bytes, load "
        f"{g('risk_page_load', '?')})",
        'p99 ≤ 50 ms', verdict(g('risk_page_p99_ms'), 50, False)
        if g('risk_page_errors') == '0' else '**FAIL** (errors)')
    row("A project's card with its risk level explained (100 projects): p50 / p99 (ms)",
        f"{fnum(g('risk_card_p50_ms'), 2)} / {fnum(g('risk_card_p99_ms'), 2)} (server p99 "
        f"{fnum(g('risk_card_server_p99_ms'), 2)}, errors {g('risk_card_errors', '?')})")
    row('The transparency page: the public list of projects with totals, conclusion and risk level '
        '(/ru/projects, anonymous): p50 / p99 (ms)',
        f"{fnum(g('transparency_p50_ms'), 2)} / **{fnum(g('transparency_p99_ms'), 2)}** (server "
        f"p99 {fnum(g('transparency_server_p99_ms'), 2)}, {g('transparency_bytes', '?')} bytes)",
        'p99 ≤ 20 ms', verdict(g('transparency_p99_ms'), 20, False)
        if g('transparency_errors') == '0' else '**FAIL** (errors)')
    try:
        worst = max(float(g('period_report_create_ms')), float(g('period_report_submit_ms'))) / 1000
    except (TypeError, ValueError):
        worst = None
    try:
        ax = float(g('archimate_export_client_ms')) / 1000
        growth = float(g('archimate_export_growth_kb')) / 1024
    except (TypeError, ValueError):
        ax = growth = None
    row('The whole architecture exported as ArchiMate 3.1 (elements, relationships, organisations, '
        'a diagram per domain): time (s) / server memory growth (MB)',
        f"{fnum(ax, 2) if ax is not None else '?'} / {fnum(growth, 1) if growth is not None else '?'} "
        f"({g('archimate_export_elements', '?')} elements, {g('archimate_export_relationships', '?')} "
        f"relationships, {g('archimate_export_bytes', '?')} bytes; server {g('archimate_export_server_ms', '?')} ms; "
        f"xmllint parses it in {g('archimate_xmllint_s', '?')} s)",
        '≤ 5 s, ≤ 100 MB',
        'PASS' if ax is not None and growth is not None and ax <= 5 and growth <= 100
        and g('archimate_export_status') == '200' else '**FAIL**')
    try:
        ratio = float(g('archimate_import_ratio'))
    except (TypeError, ValueError):
        ratio = None
    row('The same file imported again with a dry run (every concept resolved against the '
        'portal and compared): time (s) and its rate against xmllint --noout on the same file',
        f"{g('archimate_import_s', '?')} s, {g('archimate_import_mb_per_s', '?')} MB/s for "
        f"{g('archimate_import_concepts', '?')} concepts ({g('archimate_import_unchanged', '?')} "
        f"unchanged, {g('archimate_import_refused', '?')} refused); xmllint "
        f"{g('archimate_import_xmllint_s', '?')} s: **{fnum(ratio, 2) if ratio is not None else '?'}×**",
        '≥ 0.25×',
        'PASS' if ratio is not None and ratio >= 0.25 and g('archimate_import_status') == '0'
        and g('archimate_import_refused') == '0' else '**FAIL**')
    row("The period report: a year's report made and submitted, every body counted (s)",
        f"{fnum(worst, 2) if worst is not None else '?'} (made {g('period_report_create_ms', '?')} ms, "
        f"submitted {g('period_report_submit_ms', '?')} ms; server {g('period_report_server_create_ms', '?')} / "
        f"{g('period_report_server_submit_ms', '?')} ms; {g('period_report_bodies', '?')} bodies, "
        f"{g('period_report_projects', '?')} projects)",
        '≤ 2 s', verdict(worst, 2, False)
        if g('period_report_status') == '201' and g('period_report_submit_status') == '200'
        else '**FAIL** (errors)')
    try:
        row('Server VmHWM after the risk levels (MB)', fnum(float(g('risk_rss_kb')) / 1024, 1))
    except (TypeError, ValueError):
        pass
    try:
        row('Server VmHWM after the rules (MB)', fnum(float(g('rules_after_write_rss_kb')) / 1024, 1))
    except (TypeError, ValueError):
        pass
    row('Peak RSS of the server, VmHWM (MB), the whole dataset', fnum(rss, 1), '≤ 150 MB',
        verdict(rss, 150, False))
    try:
        row('Server VmHWM after signing in for the capability map slot (MB): the password hash '
            '(Argon2id) takes 64 MiB for a moment', fnum(float(g('rss_after_signin_kb')) / 1024, 1))
    except (TypeError, ValueError):
        pass
    try:
        row('Server RSS at the end: anonymous / file-backed (MB)',
            f"{float(g('rss_anon_kb')) / 1024:,.1f} / {float(g('rss_file_kb')) / 1024:,.1f}")
    except (TypeError, ValueError):
        pass
    steps = g('rss_steps', '').split()
    if steps:
        row('Server VmHWM after each phase (MB)', ', '.join(
            f"{k} {float(v) / 1024:,.0f}" for k, v in (x.split(':') for x in steps)))
    # k. PostgreSQL, one node and two behind nginx (bench/cluster.sh)
    if g('k_dataset'):
        def kratio(a, b):
            try:
                return float(g(a)) / float(g(b))
            except (TypeError, ValueError, ZeroDivisionError):
                return None
        row('PostgreSQL (phase k): its dataset (gen.py) and settings',
            f"{g('k_dataset')}; {g('k_pg_settings', '?')}")
        row('PostgreSQL: import of that dataset / into SQLite (s)',
            f"{fnum(g('k_pg_import_s'), 1)} / {fnum(g('k_sqlite_import_s'), 1)} (one round trip a "
            'statement on PostgreSQL)')
        for who, label in (('sqlite', 'the SQLite node'), ('pg', 'a PostgreSQL node alone'),
                           ('pg2', 'two PostgreSQL nodes behind nginx')):
            row(f'PostgreSQL: GET one object (one URL, wrk -t2 -c32), {label} (req/s)',
                fnum(g(f'k_get_{who}_rps'), 0) +
                f" (p99 {fnum(g(f'k_get_{who}_p99_ms'), 2)} ms, errors {g(f'k_get_{who}_errors', '?')}, "
                f"client CPU {g(f'k_get_{who}_client_cpu_pct', '?')} %)")
        ratio = kratio('k_get_pg_rps', 'k_get_sqlite_rps')
        row('PostgreSQL: GET one object, a PostgreSQL node / the SQLite node', fnum(ratio, 2),
            '≥ 0.5', verdict(ratio, 0.5, True))
        for who, label in (('sqlite', 'the SQLite node'), ('pg', 'a PostgreSQL node alone'),
                           ('pg2', 'two PostgreSQL nodes behind nginx')):
            target = who != 'sqlite'
            ok = verdict(g(f'k_create_{who}_rps'), 1000, True) if target else 'info'
            if target and g(f'k_create_{who}_non201') not in ('0', None):
                ok = '**FAIL** (non-201)'
            row(f'PostgreSQL: durable creates (201/s, wrk -t2 -c4), {label}',
                fnum(g(f'k_create_{who}_rps'), 0) + f" (non-201 {g(f'k_create_{who}_non201', '?')}, "
                f"p99 {fnum(g(f'k_create_{who}_p99_ms'), 2)} ms)", '≥ 1000/s' if target else '', ok)
            if g(f'k_create_{who}_node_ms') is not None:
                row(f'PostgreSQL: where a create\'s time went, {label}: CPU (ms) of the node / '
                    'of PostgreSQL\'s processes; the node\'s write lock held (ms); wrk\'s CPU '
                    '(share of one core)',
                    f"{g(f'k_create_{who}_node_ms')} / {g(f'k_create_{who}_pg_ms')}; "
                    f"{g(f'k_create_{who}_lock_ms')}; {g(f'k_create_{who}_wrk_pct')} %", '', 'info')
        for when, label in (('idle', 'idle'), ('load', 'during the creates through nginx')):
            p99 = g(f'k_visible_{when}_p99_ms')
            ok = verdict(p99, 200, False) if g(f'k_visible_{when}_errors') == '0' else '**FAIL** (errors)'
            row(f'PostgreSQL: a write on one node found by a search on the other, {label}: '
                'p50 / p99 / max (ms)',
                f"{fnum(g(f'k_visible_{when}_p50_ms'), 1)} / **{fnum(p99, 1)}** / "
                f"{fnum(g(f'k_visible_{when}_max_ms'), 1)} ({g(f'k_visible_{when}_n', '?')} writes, "
                f"errors {g(f'k_visible_{when}_errors', '?')})", 'p99 ≤ 200 ms', ok)
        try:
            a_mb, b_mb = float(g('k_rss_a_kb')) / 1024, float(g('k_rss_b_kb')) / 1024
            row('PostgreSQL: peak RSS of each node, VmHWM (MB), A / B (SQLite node on the same data)',
                f"{a_mb:,.1f} / {b_mb:,.1f} ({float(g('k_rss_sqlite_kb')) / 1024:,.1f})", '≤ 150 MB',
                verdict(max(a_mb, b_mb), 150, False))
        except (TypeError, ValueError):
            row('PostgreSQL: peak RSS of each node', 'n/a', '≤ 150 MB', '**FAIL** (not measured)')
        row(f"Documents: a {g('k_doc_mb', '?')} MB file downloaded from a node (file, sendfile) / "
            'read from PostgreSQL in 1 MB bytea chunks at once (COPY) / one query a chunk / cat (MB/s)',
            f"{fnum(g('k_doc_file_http_mb_s'), 0)} / {fnum(g('k_doc_chunks_copy_mb_s'), 0)} / "
            f"{fnum(g('k_doc_chunks_each_mb_s'), 0)} / {fnum(g('k_doc_cat_mb_s'), 0)}")
    row('Database size after import (MB)', fnum(float(g('db_bytes', 'nan')) / 1e6, 1))
    row('Database size at the end (MB)', fnum(float(g('db_end_bytes', 'nan')) / 1e6, 1))
    row('Import time (s)', fnum(g('import_s'), 1))
    row(f"Slow-query log lines (queries ≥ {g('slow_ms', '?')} ms)", g('slow_queries', 'n/a'))

    lines = [f"Benchmark of archportal ({g('binary', '?')}), {g('date', '?')}, {g('cpus', '?')} CPUs "
             f"(client and server share them), dataset {g('dataset', '?')}, "
             f"server threads {g('threads', '?')}, load average at the "
             f"start {g('load', '?')}.", '',
             '| Figure | Value | Target | Result |', '|---|---|---|---|']
    for name, value, target, result in rows:
        lines.append(f'| {name} | {value} | {target} | {result} |')
    fails = sum(1 for x in rows if 'FAIL' in x[3])
    lines += ['', f"{fails} target(s) missed." if fails else 'All targets met.',
              f"Run time {g('elapsed_s', '?')} s.", '']
    # The slowest cold requests, to show which query shapes cost most.
    for kind in ('list', 'search'):
        tsv = os.path.join(os.path.dirname(os.path.abspath(res_path)), f'cold-{kind}.tsv')
        if not os.path.exists(tsv):
            continue
        with open(tsv, encoding='utf-8') as f:
            rows_ = [l.rstrip('\n').split('\t') for l in f if l.strip()]
        rows_.sort(key=lambda x: -float(x[0]))
        lines += [f'Slowest cold {kind} requests (ms, matches, URL):', '']
        for ms, status, total, url in rows_[:5]:
            lines.append(f'- {float(ms):.1f} ms, {total or status}: '
                         f'`{urllib.parse.unquote(url)}`')
        lines.append('')
    text = '\n'.join(lines)
    with open(md_path, 'w', encoding='utf-8') as f:
        f.write(text)
    sys.stdout.write(text)


def cmd_cpu(argv):
    """cpu OUT CMD...: runs CMD with its output in OUT, then appends the CPU
    it used as a share of one core over its run (client_cpu_pct): how close
    the load generator came to being the bottleneck."""
    out, cmd = argv[0], argv[1:]
    start = time.monotonic()
    with open(out, 'wb') as f:
        pid = os.fork()
        if pid == 0:
            os.dup2(f.fileno(), 1)
            os.execvp(cmd[0], cmd)
        _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - start
    with open(out, 'a', encoding='utf-8') as f:
        f.write(f'BENCH client_cpu_pct={100 * (ru.ru_utime + ru.ru_stime) / wall:.0f}\n')
    sys.exit(os.waitstatus_to_exitcode(status))


def main():
    cmds = {'urls': cmd_urls, 'cold': cmd_cold, 'curlcfg': cmd_curlcfg, 'fsync': cmd_fsync,
            'report': cmd_report, 'cpu': cmd_cpu}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == '__main__':
    main()
