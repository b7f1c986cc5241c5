#!/usr/bin/env python3
"""The architecture in the ArchiMate exchange format at national scale
(issue 18), against a server started on the dataset of bench/gen.py:

  interchange.py BASE OUT TOKEN SERVER_PID

1. The whole architecture exported: GET /api/v1/archimate (every mapped
   record and relation the reader may read, the organisations, the
   property definitions and a diagram per domain), fetched by curl into
   /dev/null (C, reading the socket only: the client keeps nothing, so what
   is timed is the server writing and sending the file); the server's own
   time from its access log beside the client's. Then fetched again,
   untimed, into a file: counted, and kept for the steps below. The server's resident memory just before (VmRSS)
   and its peak after (VmHWM): the growth the export costs.
2. The same file parsed by `xmllint --noout` (libxml2's own parser, which
   the import uses), timed in the same run: the reference of the import's
   speed. The file is kept as OUT/architecture.xml for the import, which
   run.sh times once the server is stopped (`interchange.py --import BIN
   DATA OUT`): `archportal archimate import --dry-run` of the whole file on
   the bench's data, every concept resolved, compared and (a dry run)
   rolled back; its rate against xmllint's on the same file.

Prints BENCH lines ("BENCH <name> key=value ...")."""
import argparse
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from national import log_size, rss, server_ms  # noqa: E402


def vmrss(pid):
    with open(f'/proc/{pid}/status', encoding='utf-8') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def import_file(binary, data, out):
    """The kept file imported with a dry run by the command line (the server
    stopped: nothing else runs), against xmllint on the same file."""
    path = os.path.join(out, 'architecture.xml')
    size = os.path.getsize(path)
    t0 = time.perf_counter()
    p = subprocess.run(['xmllint', '--noout', path], capture_output=True)
    xs = time.perf_counter() - t0
    report = os.path.join(out, 'archimate-import.json')
    with open(report, 'wb') as f:
        t0 = time.perf_counter()
        q = subprocess.run([binary, 'archimate', 'import', '--dry-run', '--data', data, path],
                           stdout=f, stderr=subprocess.PIPE)
        s = time.perf_counter() - t0
    counts = {}
    try:
        with open(report, encoding='utf-8') as f:
            head = f.read(1 << 16)
        m = re.search(r'"counts":\s*\{([^}]*)\}', head)
        if m:
            counts = {k: int(v) for k, v in re.findall(r'"(\w+)":\s*(\d+)', m.group(1))}
    except OSError:
        pass
    concepts = counts.get('elements', 0) + counts.get('relationships', 0)
    ratio = (size / s) / (size / xs) if s and xs else 0
    print(f'BENCH archimate_import status={q.returncode} s={s:.2f} bytes={size} '
          f'concepts={concepts} unchanged={counts.get("unchanged", 0)} '
          f'refused={counts.get("refused", 0)} mb_per_s={size / 1e6 / s if s else 0:.1f} '
          f'xmllint_s={xs:.2f} ratio={ratio:.2f}', flush=True)
    if q.returncode != 0:
        print(q.stderr.decode(errors='replace')[-2000:], file=sys.stderr)
    os.unlink(report)
    os.unlink(path)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == '--import':
        import_file(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser()
    for name in ('base', 'out', 'token', 'pid'):
        ap.add_argument(name)
    a = ap.parse_args()
    log = os.path.join(a.out, 'server.log')
    auth = ['-H', f'Authorization: Bearer {a.token}']
    # the peak so far is another phase's: reset it (Linux: "5" to
    # clear_refs), so that the peak after is this export's
    try:
        with open(f'/proc/{a.pid}/clear_refs', 'w', encoding='ascii') as f:
            f.write('5')
    except OSError:
        pass
    before = vmrss(a.pid)
    at = log_size(log)
    # timed: curl (C, reading the socket only, not the bottleneck) throws
    # the bytes away
    w = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w',
                        '%{http_code} %{size_download} %{time_total}', *auth,
                        f'{a.base}/api/v1/archimate'], capture_output=True, text=True)
    status, size, total = w.stdout.split()
    ms, size = float(total) * 1000, int(size)
    time.sleep(0.2)
    srv = server_ms(log, at, 1)
    hwm = rss(a.pid)
    # the same file again, untimed, kept for xmllint and the import, and
    # its concepts counted
    path = os.path.join(a.out, 'architecture.xml')
    subprocess.run(['curl', '-s', '-o', path, *auth, f'{a.base}/api/v1/archimate'], check=True)
    elements = relationships = 0
    with open(path, 'rb') as f:
        for line in f:
            elements += line.count(b'<element ')
            relationships += line.count(b'<relationship ')
    print(f'BENCH archimate_export status={status} bytes={size} elements={elements} '
          f'relationships={relationships} client_ms={ms:.0f} '
          f'server_ms={srv[0] if srv else float("nan"):.0f} rss_before_kb={before} '
          f'hwm_after_kb={hwm} growth_kb={hwm - before}', flush=True)
    t0 = time.perf_counter()
    p = subprocess.run(['xmllint', '--noout', path], capture_output=True)
    xs = time.perf_counter() - t0
    print(f'BENCH archimate_xmllint status={p.returncode} s={xs:.2f} '
          f'mb_per_s={size / 1e6 / xs if xs else 0:.1f}', flush=True)


if __name__ == '__main__':
    main()
