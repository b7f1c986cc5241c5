"""The demo's data folder, made once per binary and copied to each test
server that asks for the demo on SQLite: loading the demo takes a
sanitized binary 3–4 s, copying its 4 MB a few milliseconds, and some
forty servers of `make check` start with it.

The template is what `archportal serve --demo` leaves after a clean stop
(the database checkpointed, the documents' files), made by the binary
under test; a stamp of the binary (size, modification time) says which.
One process makes it while the others wait on a lock; the copy is made
under the same lock, so that nobody copies a template half made.

  python3 tests/demo_template.py BIN DEST   # fills the empty folder DEST
"""
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def _stamp(binary):
    st = os.stat(binary)
    return f'{os.path.realpath(binary)} {st.st_size} {st.st_mtime_ns}\n'


def _home(binary):
    root = os.environ.get('ARCHPORTAL_DEMO_TEMPLATE_DIR') or tempfile.gettempdir()
    key = os.path.realpath(binary).replace('/', '_')
    return os.path.join(root, 'archportal-demo-template' + key)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _make(binary, where):
    """Runs the demo's server in `where` until it is healthy, then stops it."""
    port = _free_port()
    log = os.path.join(os.path.dirname(where), os.path.basename(where) + '.log')
    with open(log, 'wb') as out:
        proc = subprocess.Popen([binary, 'serve', '--data', where, '--listen', f'127.0.0.1:{port}',
                                 '--quiet', '--scan-every-s', '0', '--demo'], stdout=out, stderr=out)
        try:
            deadline = time.time() + 120
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f'the demo server exited with {proc.returncode}: '
                                       + open(log, errors='replace').read()[-2000:])
                if time.time() > deadline:
                    raise RuntimeError('the demo server did not become healthy')
                try:
                    with urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=5) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=60)
    if rc != 0:
        raise RuntimeError(f'the demo server stopped with {rc}: ' + open(log, errors='replace').read()[-2000:])
    os.unlink(log)


def fill(binary, dest):
    """Copies the demo's data folder made by `binary` into the folder dest
    (made if missing; it must hold no database yet)."""
    home = _home(binary)
    stamp = _stamp(binary)
    with open(home + '.lock', 'a+') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(os.path.join(home, 'STAMP')) as f:
                fresh = f.read() == stamp
        except OSError:
            fresh = False
        if not fresh:
            shutil.rmtree(home, ignore_errors=True)
            work = tempfile.mkdtemp(prefix=os.path.basename(home) + '.new-', dir=os.path.dirname(home))
            try:
                _make(binary, work)
                with open(os.path.join(work, 'STAMP'), 'w') as f:
                    f.write(stamp)
                os.rename(work, home)
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
        os.makedirs(dest, exist_ok=True)
        for name in os.listdir(home):
            if name == 'STAMP':
                continue
            src, dst = os.path.join(home, name), os.path.join(dest, name)
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: demo_template.py BIN DEST')
    fill(sys.argv[1], sys.argv[2])
