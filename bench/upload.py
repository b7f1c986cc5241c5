#!/usr/bin/env python3
"""Upload and download benchmark of technical documents (issue 4).

Starts the release build on a fresh data directory, uploads a 50 MB DOCX
(a LibreOffice document with a 50 MB stored media part: a valid package the
inspector accepts) through POST /api/v1/objects/{id}/documents, downloads
it back, and measures:

  - the server's peak RSS growth over the upload (the peak, reset just
    before with /proc/PID/clear_refs, minus the RSS before; target: under
    16 MB, the upload must stream to disk);
  - upload and download throughput in MB/s, against `cp` of the same file
    (page cache) and `cp` + fsync (what a durable upload must also do), in
    the same run.

Usage: python3 bench/upload.py [BINARY]   (default build/archportal)
Writes bench/out/upload.md and prints the table.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))
os.environ.setdefault('ARCHPORTAL_SOURCE', ROOT)
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'build', 'archportal')
os.environ['ARCHPORTAL'] = os.path.abspath(BIN)

from harness import Server, valid_bin  # noqa: E402

SIZE_MB = 50
OUT = os.path.join(ROOT, 'bench', 'out')


def status_kb(pid, key):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise KeyError(key)


def make_big_docx(base, dst, size_mb):
    """The LibreOffice DOCX plus one stored part of random bytes."""
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        info = zipfile.ZipInfo('word/media/payload.bin')
        info.compress_type = zipfile.ZIP_STORED
        with out.open(info, 'w', force_zip64=True) as w:
            for _ in range(size_mb):
                w.write(os.urandom(1 << 20))


def timed(args):
    t0 = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f'{args[0]} failed: {r.stderr.decode()[-500:]}')
    return dt, r.stdout


def main():
    spec_path = os.path.join(ROOT, 'tests', 'fixtures', 'make-documents.py')
    import importlib.util
    spec = importlib.util.spec_from_file_location('make_documents', spec_path)
    fx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fx)
    os.makedirs(OUT, exist_ok=True)
    fixtures = fx.make_all(os.path.join(OUT, 'doc-fixtures'))
    work = tempfile.mkdtemp(prefix='ap-upload-', dir=OUT)
    big = os.path.join(work, 'big.docx')
    make_big_docx(fixtures['docx'], big, SIZE_MB)
    size = os.path.getsize(big)
    mb = size / 1e6
    try:
        measure(big, size, mb, fixtures, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(big, size, mb, fixtures, work):
    with Server(extra=['--max-upload', str(size + (1 << 20))]) as srv:
        admin = srv.token('admin')
        org = srv.request('POST', '/api/v1/organizations',
                          {'name': {'ru': 'Ведомство'}, 'bin': valid_bin(9000),
                           'org_type': 'central_state_body'}, token=admin).json()['id']
        owner = srv.token('owner-editor', org)
        rec = srv.request('POST', '/api/v1/objects',
                          {'kind': 'information_system', 'owner': org,
                           'name': {'ru': 'Система'}, 'stage': 'creation'}, token=owner).json()
        url = f'http://127.0.0.1:{srv.port}/api/v1/objects/{rec["id"]}/documents'
        auth = ['-H', f'Authorization: Bearer {owner}']
        # warm up with a small upload, so the figure is the big file's own cost
        timed(['curl', '-sf', *auth, '-F', 'type=contract', '-F',
               f'file=@{fixtures["docx"]}', url])
        pid = srv.proc.pid
        # reset the peak to the current RSS (proc(5), clear_refs "5"), so
        # that VmHWM afterwards is the peak of the upload itself
        with open(f'/proc/{pid}/clear_refs', 'w') as f:
            f.write('5')
        hwm0, rss0 = status_kb(pid, 'VmHWM'), status_kb(pid, 'VmRSS')
        up_s, body = timed(['curl', '-sf', *auth, '-F', 'type=technical_specification', '-F',
                            f'file=@{big}', url])
        hwm1 = status_kb(pid, 'VmHWM')
        doc = json.loads(body)
        assert doc['size'] == size, doc
        down = os.path.join(work, 'down.docx')
        dl_url = f'http://127.0.0.1:{srv.port}{doc["content_url"]}'
        down_s, _ = timed(['curl', '-sf', *auth, '-o', down, dl_url])
        assert os.path.getsize(down) == size
        rss1 = status_kb(pid, 'VmRSS')
    copy = os.path.join(work, 'copy.docx')
    cp_s, _ = timed(['cp', big, copy])
    os.unlink(copy)
    cps_s, _ = timed(['sh', '-c', f'cp "{big}" "{copy}" && sync "{copy}"'])
    growth_mb = (hwm1 - rss0) / 1024
    rows = [
        ('file', f'{mb:.1f} MB DOCX (LibreOffice document + stored random part)', ''),
        ('peak RSS growth during the upload', f'{growth_mb:.1f} MB (RSS before {rss0 / 1024:.1f} MB, peak during '
                                              f'{hwm1 / 1024:.1f} MB, after {rss1 / 1024:.1f} MB)',
         'PASS' if growth_mb < 16 else 'FAIL (target < 16 MB)'),
        ('upload (stream, hash, fsync, inspect in a child, index)', f'{mb / up_s:.0f} MB/s ({up_s:.2f} s)', ''),
        ('download (sendfile)', f'{mb / down_s:.0f} MB/s ({down_s:.2f} s)', ''),
        ('cp (page cache)', f'{mb / cp_s:.0f} MB/s ({cp_s:.2f} s)', ''),
        ('cp + fsync', f'{mb / cps_s:.0f} MB/s ({cps_s:.2f} s)', ''),
        ('upload / cp+fsync', f'{cps_s / up_s:.2f}', ''),
        ('download / cp', f'{cp_s / down_s:.2f}', ''),
    ]
    lines = ['| figure | value | target |', '|---|---|---|']
    lines += [f'| {a} | {b} | {c} |' for a, b, c in rows]
    text = '\n'.join(lines) + '\n'
    with open(os.path.join(OUT, 'upload.md'), 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
