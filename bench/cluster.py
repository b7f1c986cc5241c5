#!/usr/bin/env python3
"""Figures of the portal on several nodes (issue 19), for bench/cluster.sh.

  cluster.py visible A B TOKEN N [--after S]
      N creates, alternately on node A and node B, each named with a word
      of its own; after each one's 201, the other node searches for that
      word (its word index, in memory, fed by the change feed: one kept
      connection, no pause) until it finds the record: the time from the
      create's answer to that find is how long a write takes to be seen on
      the other node.
      --after S waits S seconds first (to measure during another load).
      Prints "BENCH visible n= p50_ms= p99_ms= max_ms= errors=".

  cluster.py chunks A TOKEN PGDIR PGPORT WORK
      A 50 MB document (bench/upload.py's DOCX) uploaded to node A and
      downloaded back (the node sends the file: sendfile), read by cat, and
      the same bytes read from PostgreSQL as 1 MB bytea chunks: all at once
      (COPY ... TO STDOUT, binary: the best case of chunks) and one query a
      chunk (what a download streaming from chunks would send). Prints
      "BENCH chunks mb= file_http_mb_s= cat_mb_s= chunks_copy_mb_s=
      chunks_each_mb_s=".
"""
import http.client
import json
import os
import random
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PGBIN = os.environ.get('PGBIN', '/usr/lib/postgresql/15/bin')


def conn_of(base):
    u = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def pct(sorted_vals, p):
    if not sorted_vals:
        return float('nan')
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def visible(argv):
    a, b, token, n = argv[0], argv[1], argv[2], int(argv[3])
    if '--after' in argv:
        time.sleep(float(argv[argv.index('--after') + 1]))
    auth = {'Authorization': f'Bearer {token}'}
    nodes = [(conn_of(a), conn_of(b)), (conn_of(b), conn_of(a))]
    rng = random.Random(n)
    times, errors = [], 0
    for i in range(n):
        writer, reader = nodes[i % 2]
        word = ''.join(rng.choice('bcdfghjklmnpqrstvwxz') for _ in range(12))  # in no other name
        body = {'kind': 'information_system', 'owner': 'org-1', 'stage': 'creation',
                'name': {'ru': f'Видимость {word}', 'kk': f'Көріну {word}', 'en': f'Visibility {word}'}}
        writer.request('POST', '/api/v1/objects', json.dumps(body),
                       {**auth, 'Content-Type': 'application/json'})
        r = writer.getresponse()
        r.read()
        t0 = time.perf_counter()
        if r.status != 201:
            errors += 1
            continue
        # the other node's word index (memory, fed by the change feed)
        # finds it: not only the database, which has it at the commit
        while True:
            reader.request('GET', f'/api/v1/objects?q={word}&limit=1', headers=auth)
            rr = reader.getresponse()
            got = rr.read()
            if rr.status == 200 and json.loads(got)['items']:
                times.append((time.perf_counter() - t0) * 1000)
                break
            if rr.status != 200 or time.perf_counter() - t0 > 10:
                errors += 1
                break
        time.sleep(0.01)
    times.sort()
    print(f'BENCH visible n={len(times)} p50_ms={pct(times, 50):.1f} p99_ms={pct(times, 99):.1f} '
          f'max_ms={(times[-1] if times else float("nan")):.1f} errors={errors}')


def timed(args, **kw):
    t0 = time.perf_counter()
    subprocess.run(args, check=True, **kw)
    return time.perf_counter() - t0


def chunks(argv):
    base, token, pgdir, pgport, work = argv
    from upload import SIZE_MB, make_big_docx  # noqa: E402 (a bench module)
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'make_documents', os.path.join(HERE, '..', 'tests', 'fixtures', 'make-documents.py'))
    fx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fx)
    fixtures = fx.make_all(os.path.join(HERE, 'out', 'doc-fixtures'))
    big = os.path.join(pgdir, 'bench-document.docx')  # where the database's server may read it
    make_big_docx(fixtures['docx'], big, SIZE_MB)
    os.chmod(big, 0o644)
    size = os.path.getsize(big)
    mb = size / 1e6
    auth = {'Authorization': f'Bearer {token}'}
    c = conn_of(base)
    c.request('POST', '/api/v1/objects',
              json.dumps({'kind': 'information_system', 'owner': 'org-1', 'stage': 'creation',
                          'name': {'ru': 'Документы', 'kk': 'Құжаттар', 'en': 'Documents'}}),
              {**auth, 'Content-Type': 'application/json'})
    r = c.getresponse()
    rec = json.loads(r.read())
    assert r.status == 201, rec
    up = subprocess.run(['curl', '-sf', '-H', f'Authorization: Bearer {token}', '-F', 'type=contract',
                         '-F', f'file=@{big}', f'{base}/api/v1/objects/{rec["id"]}/documents'],
                        check=True, stdout=subprocess.PIPE)
    doc = json.loads(up.stdout)
    assert doc['size'] == size, doc
    url = base + doc['content_url']
    get = ['curl', '-sf', '-H', f'Authorization: Bearer {token}', '-o', '/dev/null', url]
    timed(get)  # the file into the page cache, as a database's pages would be
    http_s = min(timed(get) for _ in range(3))
    cat_s = min(timed(['cat', big], stdout=subprocess.DEVNULL) for _ in range(3))
    psql = [os.path.join(PGBIN, 'psql'), '-h', pgdir, '-p', pgport, '-U', 'postgres', '-X', '-q',
            '-v', 'ON_ERROR_STOP=1', 'archportal']
    n_chunks = (size + (1 << 20) - 1) >> 20
    subprocess.run(psql + ['-c', 'DROP TABLE IF EXISTS bench_chunks',
                           '-c', 'CREATE TABLE bench_chunks (n integer PRIMARY KEY, data bytea NOT NULL)',
                           '-c', f"INSERT INTO bench_chunks SELECT n, pg_read_binary_file('{big}', "
                                 f"n::bigint << 20, 1 << 20) FROM generate_series(0, {n_chunks - 1}) n",
                           '-c', 'VACUUM ANALYZE bench_chunks'], check=True)
    total = subprocess.run(psql + ['-At', '-c', 'SELECT sum(length(data)) FROM bench_chunks'],
                           check=True, stdout=subprocess.PIPE).stdout.decode().strip()
    assert int(total) == size, (total, size)
    copy_all = psql + ['-c', 'COPY (SELECT data FROM bench_chunks ORDER BY n) TO STDOUT (FORMAT binary)']
    timed(copy_all, stdout=subprocess.DEVNULL)
    copy_s = min(timed(copy_all, stdout=subprocess.DEVNULL) for _ in range(3))
    script = os.path.join(work, 'chunks.sql')
    with open(script, 'w') as f:
        for i in range(n_chunks):
            f.write(f'COPY (SELECT data FROM bench_chunks WHERE n = {i}) TO STDOUT (FORMAT binary);\n')
    each_s = min(timed(psql + ['-f', script], stdout=subprocess.DEVNULL) for _ in range(3))
    subprocess.run(psql + ['-c', 'DROP TABLE bench_chunks'], check=True)
    os.unlink(big)
    print(f'BENCH chunks mb={mb:.1f} file_http_mb_s={mb / http_s:.0f} cat_mb_s={mb / cat_s:.0f} '
          f'chunks_copy_mb_s={mb / copy_s:.0f} chunks_each_mb_s={mb / each_s:.0f}')


def main():
    cmds = {'visible': visible, 'chunks': chunks}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == '__main__':
    main()
