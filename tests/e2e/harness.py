"""Test harness for end-to-end tests: starts the real archportal binary on a
free loopback port with its own data directory, talks HTTP to it, and reports
results in TAP so that meson counts every test case."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import demo_template  # noqa: E402

BIN = os.environ.get('ARCHPORTAL', os.path.join(os.path.dirname(__file__), '../../build/archportal'))
SOURCE = os.environ.get('ARCHPORTAL_SOURCE', os.path.join(os.path.dirname(__file__), '../..'))


# On PostgreSQL (tests/pg/with-pg.sh sets ARCHPORTAL_TEST_PG and libpq's
# PGHOST, PGPORT, PGUSER), each data directory gets a database of its own.
PG = os.environ.get('ARCHPORTAL_TEST_PG') or None
_databases = {}


def database_args(data_dir):
    """["--database", URL] of data_dir's database on PostgreSQL (made at its
    first use), [] on SQLite."""
    if not PG:
        return []
    key = os.path.realpath(data_dir)
    if key not in _databases:
        name = 'e2e_' + uuid.uuid4().hex[:16]
        subprocess.run(['psql', PG, '-q', '-c', f'CREATE DATABASE {name} STRATEGY FILE_COPY'], check=True,
                       capture_output=True, timeout=60)
        _databases[key] = f'postgresql:///{name}'
    return ['--database', _databases[key]]


def set_database(data_dir, url):
    """Gives data_dir the database url on PostgreSQL (instead of a new one)."""
    _databases[os.path.realpath(data_dir)] = url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def cli(data_dir, *args, stdin=None, check=True):
    """Runs an archportal command; returns CompletedProcess."""
    proc = subprocess.run([BIN, *args, '--data', data_dir, *database_args(data_dir)], input=stdin,
                          capture_output=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f'archportal {" ".join(args)} failed ({proc.returncode}): '
                             f'{proc.stderr.decode(errors="replace")}')
    return proc


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f'<{self.status} {self.body[:300]!r}>'


class Server:
    """An archportal server on a free port with a fresh data directory."""

    def __init__(self, demo=False, data_dir=None, extra=(), env=None):
        self.own_dir = data_dir is None
        self.env = None if env is None else {**os.environ, **env}
        self.data = data_dir or tempfile.mkdtemp(prefix='archportal-e2e-')
        self.port = free_port()
        self.demo = demo
        self.extra = list(extra)
        self.proc = None
        self.log_path = os.path.join(self.data, 'server.log')

    def start(self):
        args = [BIN, 'serve', '--data', self.data, *database_args(self.data), '--listen',
                f'127.0.0.1:{self.port}', '--quiet', *self.extra]
        if self.demo:
            args.append('--demo')
            # on SQLite with the shipped model, a copy of the demo loaded
            # once (tests/demo_template.py); `--demo` then finds it loaded
            if not PG and '--model' not in self.extra and \
                    not os.path.exists(os.path.join(self.data, 'archportal.db')):
                demo_template.fill(BIN, self.data)
        self.log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f'server exited with {self.proc.returncode}: '
                                     f'{open(self.log_path, errors="replace").read()[-2000:]}')
            try:
                if self.get('/healthz').status == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError('server did not become healthy')

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, 'log', None):
            self.log.close()
            self.log = None
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def user(self, role='admin', org=None, password='Corr3ct-Horse-Battery'):
        """Creates an active user through the CLI; returns its e-mail."""
        email = f'{role}-{uuid.uuid4().hex[:10]}@e2e.gov.kz'
        args = ['user', 'create', '--email', email, '--role', role, '--name', 'Тестов Тест']
        if org:
            args += ['--org', org]
        cli(self.data, *args, stdin=(password + '\n').encode())
        return email

    def session(self, role='admin', org=None):
        """A signed-in session of a new user with this role: its Cookie header value."""
        email = self.user(role, org)
        r = self.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'})
        assert r.status in (200, 201), r
        return (r.header('Set-Cookie') or '').split(';')[0]

    def token(self, role='admin', org=None):
        """A personal token of a new user with this role (and organisation)."""
        email = self.user(role, org)
        return cli(self.data, 'token', 'create', '--name', 'e2e', '--user', email).stdout.decode().strip()

    def request(self, method, path, body=None, headers=None, token=None, timeout=30, source=None):
        """source: a loopback address to send from (127.0.0.2, …), to look
        like another client to per-address limits."""
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        hdrs = dict(headers or {})
        if token:
            hdrs['Authorization'] = f'Bearer {token}'
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            hdrs.setdefault('Content-Type', 'application/json')
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        return resp

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def raw(self, data: bytes, timeout=10) -> bytes:
        """Sends raw bytes and returns everything the server answers."""
        with socket.create_connection(('127.0.0.1', self.port), timeout=timeout) as s:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server answered early and closed: read what it said
            chunks = []
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
            except (socket.timeout, ConnectionResetError):
                pass
            return b''.join(chunks)

    def export(self):
        return cli(self.data, 'export').stdout

    def blob_files(self):
        """Every file in the blob store (stored and temporary)."""
        out = []
        for root, _, files in os.walk(os.path.join(self.data, 'blobs')):
            out += [os.path.join(root, f) for f in files]
        return sorted(out)

    def blobs_back_to(self, before, timeout=5.0):
        """Whether the blob store holds just `before` again: a refused
        upload's temporary file goes once the answer has been sent."""
        deadline = time.time() + timeout
        while self.blob_files() != before:
            if time.time() > deadline:
                return False
            time.sleep(0.05)
        return True

    def copy_blobs(self, data_dir):
        """Copies the documents' bytes into data_dir, as one does before
        importing an export (the export carries their rows, not the bytes)."""
        shutil.copytree(os.path.join(self.data, 'blobs', 'sha256'),
                        os.path.join(data_dir, 'blobs', 'sha256'), dirs_exist_ok=True)


# The fields an information system needs to be submitted (at the creation
# stage), filled.
COMPLETE = {
    'purpose': {'ru': 'Учёт обращений граждан'},
    'functions': ['Приём обращений'],
    'class': 'second',
    'placement': 'icp_eg',
    'funding_source': 'state_investment_project',
    'source_code_transferred': True,
    'stored_data': 'ФИО заявителей',
    'legal_basis': 'Приказ № 1',
    'contacts': 'Отдел цифровизации',
    'creation_phase': 'software_development',  # Order 129 §9
    # Appendix 1: contracts (item 5) and general data (item 14)
    'procurement_contracts': [{'contract_number': '№ 45-ГЗ', 'contract_date': '2025-03-14',
                               'supplier_bin': '240140090017', 'supplier_name': 'ТОО Пример',
                               'amount': '125000000'}],
    'general_data': {'developer': 'ТОО Пример', 'creation_started': '2025-04-01'},
}

# What Appendix 1 (item 15) needs besides, once the object is in operation.
OPERATION_DATA = {
    'installations': [{'place': 'ЦОД ЭП', 'address': 'Астана, пр. Мангилик Ел, 55/15', 'count': 1}],
    'deployment': [{'organization': 'Министерство', 'deployed_on': '2025-12-01', 'users': 120}],
    'costs': [{'year': 2025, 'purpose': 'creation', 'amount': '125000000'}],
}


def local_today():
    """Today in Kazakhstan (UTC+5 since 1 March 2024), the day the portal
    judges records by."""
    import datetime
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=5)).date().isoformat()


_FIXTURES = {}


def doc_fixture(name):
    """The bytes of a document fixture of tests/fixtures/make-documents.py
    (made once in DOC_FIXTURES, shared by the suites)."""
    if not _FIXTURES:
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            'make_documents', os.path.join(SOURCE, 'tests', 'fixtures', 'make-documents.py'))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        fx_dir = os.environ.get('DOC_FIXTURES') or os.path.join(tempfile.gettempdir(),
                                                                'archportal-fixtures')
        _FIXTURES.update(mod.make_all(fx_dir))
    with open(_FIXTURES[name], 'rb') as f:
        return f.read()


def place_documents(srv, rec_id, token, collection='objects', fixture='pdfa1b'):
    """Places a signed PDF/A-1b copy (the fixture) of every document due at
    the record's stage that has none yet: what submission needs besides the
    fields. Returns how many were placed."""
    r = srv.get(f'/api/v1/{collection}/{rec_id}/documents', token=token)
    assert r.status == 200, r
    placed = 0
    for item in r.json()['items']:
        if item['due'] and not item.get('signed'):
            body, ctype = multipart([('type', item['type'])],
                                    [('file', f'{item["type"]}.pdf', doc_fixture(fixture))])
            up = srv.request('POST', f'/api/v1/{collection}/{rec_id}/documents', body,
                             headers={'Content-Type': ctype}, token=token)
            assert up.status == 201, up
            placed += 1
    return placed


def multipart(fields=(), files=()):
    """A multipart/form-data body: fields (name, value), files (name, filename, bytes)."""
    boundary = 'ap' + uuid.uuid4().hex
    out = []
    for name, value in fields:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                   + value.encode() + b'\r\n')
    for name, filename, data in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                   f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                   .encode('utf-8') + data + b'\r\n')
    out.append(f'--{boundary}--\r\n'.encode())
    return b''.join(out), f'multipart/form-data; boundary={boundary}'


def valid_bin(serial: int) -> str:
    """A BIN with a valid check digit (same algorithm as the server)."""
    for s in range(serial, serial + 1000):
        digits = [int(c) for c in f'2401400{s:04d}'[:11]]
        c = sum(d * w for d, w in zip(digits, range(1, 12))) % 11
        if c == 10:
            c = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
        if c != 10:
            return ''.join(map(str, digits)) + str(c)
    raise AssertionError('no BIN')


def make_org(srv, admin, serial, name):
    """A central state body named `name` (Russian), made by an administrator's
    token; its id."""
    body = {'name': {'ru': name}, 'bin': valid_bin(serial), 'org_type': 'central_state_body'}
    r = srv.request('POST', '/api/v1/organizations', body, token=admin)
    assert r.status == 201, r
    return r.json()['id']


def create(srv, coll, body, token, status=201):
    """POSTs a record to a collection, expecting `status`; the answer's JSON."""
    r = srv.request('POST', f'/api/v1/{coll}', body, token=token)
    assert r.status == status, (coll, body, r)
    return r.json()


def assert_problem(resp, status, field=None):
    assert resp.status == status, f'expected {status}, got {resp}'
    assert resp.header('Content-Type').startswith('application/problem+json'), resp.headers
    doc = resp.json()
    assert doc['status'] == status and doc['type'].startswith('urn:archportal:problem:'), doc
    assert doc.get('detail'), doc
    if field is not None:
        assert doc.get('field') == field, f'expected field {field!r}, got {doc}'
    return doc


def run(tests):
    """Runs test functions, printing TAP. Exits non-zero on failure."""
    print(f'1..{len(tests)}', flush=True)
    failed = 0
    for i, t in enumerate(tests, 1):
        name = t.__name__
        try:
            t()
            print(f'ok {i} - {name}', flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported
            failed += 1
            print(f'not ok {i} - {name}', flush=True)
            for line in traceback.format_exc().splitlines():
                print(f'# {line}', flush=True)
    sys.exit(1 if failed else 0)
