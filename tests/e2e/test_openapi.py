"""End-to-end tests of the OpenAPI 3.1 description (issue 18 item 4,
X-INT-01): GET /api/v1/openapi.json describes every route of the API (the
generator refuses a route without a description), each collection's
records by a schema per kind from the metamodel; a real OpenAPI validator
from npm (@seriousme/openapi-schema-validator) accepts it; a sample answer
of every route, made on the demo data, validates against it (Ajv, JSON
Schema 2020-12); the reference page shows it in the reader's language."""
import json
import os
import subprocess
import tempfile
import urllib.parse

import harness
from harness import Server, run

SRV = None
ADMIN = VERIFIER = ARCH = None
DOC = {}
SAMPLES = []
CONSENT = 'pd-consent-2026-12'  # the version of the consent text in force
HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, '..', 'api', 'check-openapi.mjs')


def described(method, concrete):
    """The description's path for a concrete path of method."""
    parts = concrete.split('?')[0].strip('/').split('/')
    best = None
    for path, item in DOC['paths'].items():
        if method.lower() not in item:
            continue
        segs = path.strip('/').split('/')
        if len(segs) != len(parts):
            continue
        if all(s == p or (s.startswith('{') and s.endswith('}')) for s, p in zip(segs, parts)):
            literal = sum(1 for s in segs if not s.startswith('{'))
            if best is None or literal > best[0]:
                best = (literal, path)
    assert best, f'{method} {concrete} is not described'
    return best[1]


def call(method, path, body=None, token=None, headers=None, ctype=None):
    """Makes the request and keeps its answer as a sample."""
    hdrs = dict(headers or {})
    if ctype:
        hdrs['Content-Type'] = ctype
    r = SRV.request(method, path, body=body, token=token if token is not None else ADMIN,
                    headers=hdrs)
    t = r.header('Content-Type') or ''
    parsed = None
    if 'json' in t and r.body:
        parsed = json.loads(r.body)
    SAMPLES.append({'method': method, 'path': described(method, path), 'status': r.status,
                    'type': t if r.body else '', 'body': parsed, 'concrete': path})
    return r


def first_id(coll, **filters):
    q = '&'.join(f'filter={urllib.parse.quote(k)}:{urllib.parse.quote(v)}' for k, v in filters.items())
    r = SRV.get(f'/api/v1/{coll}?limit=1&{q}', token=ADMIN)
    items = r.json()['items']
    return items[0]['id'] if items else None


def sample_everything():
    call('GET', '/api/v1/model')
    call('GET', '/api/v1/openapi.json', token='')
    call('GET', '/api/v1/rules')
    call('GET', '/api/v1/policies')
    call('GET', '/api/v1/rights')
    call('GET', '/api/v1/gaps')
    call('GET', '/api/v1/duplicates')
    call('GET', '/api/v1/similar?kind=information_system&name=' +
         urllib.parse.quote('Информационная система'))
    score = call('GET', '/api/v1/scores').json()['items'][0]['id']
    call('GET', f'/api/v1/scores/{score}')
    project = first_id('projects')
    call('GET', f'/api/v1/scores/{score}/{project}')
    xml = call('GET', '/api/v1/archimate').body
    call('POST', '/api/v1/archimate?dry_run=true', body=xml, ctype='application/xml')
    year = call('GET', '/api/v1/calendar/2026').json()
    call('PUT', '/api/v1/calendar/2099', body={'entries': []})
    call('GET', '/api/v1/calendar/add?at=2026-03-02T09:00:00Z&days=10')
    call('GET', '/api/v1/calendar/between?from=2026-03-02T00:00:00Z&to=2026-03-31T00:00:00Z')
    # accounts
    email = SRV.user('owner-viewer', first_id('organizations'))
    login = call('POST', '/api/v1/session', body={'email': email, 'password': 'Corr3ct-Horse-Battery'},
                 token='')
    cookie = (login.header('Set-Cookie') or '').split(';')[0]
    call('DELETE', '/api/v1/session', token='', headers={
        'Cookie': cookie, 'X-CSRF-Token': login.json()['csrf_token'],
        'Origin': f'http://127.0.0.1:{SRV.port}'})
    call('POST', '/api/v1/activation', body={'token': 'x' * 43, 'password': 'Corr3ct-Horse-Battery'},
         token='')
    call('GET', '/api/v1/me')
    call('GET', '/api/v1/me/tokens')
    tok = call('POST', '/api/v1/me/tokens', body={'name': 'sample'}).json()
    call('DELETE', f"/api/v1/me/tokens/{tok['id']}")
    call('POST', '/api/v1/password-reset', body={'email': 'nobody@example.org'}, token='')
    users = call('GET', '/api/v1/users').json()
    user = call('POST', '/api/v1/users', body={'email': 'sample.user@example.gov.kz',
                                               'last_name': 'Пример', 'first_name': 'Асқар',
                                               'roles': ['owner-viewer'],
                                               'org': first_id('organizations')}).json()
    uid = user.get('id') or user.get('user', {}).get('id')
    call('GET', f'/api/v1/users/{uid}')
    call('PATCH', f'/api/v1/users/{uid}', body={'roles': ['owner-editor']})
    apps = []
    for n in range(2):
        a = call('POST', '/api/v1/account-applications', token='', body={
            'organization_name': 'ГУ «Аппарат акима города Пример»', 'structural_unit': 'Отдел',
            'last_name': 'Пример', 'first_name': 'Асқар', 'position': 'Главный специалист',
            'phone': '+7 (7172) 55-00-00', 'email': f'applicant{n}@example.gov.kz',
            'access_purpose': 'Учёт информационных систем', 'personal_data_consent': CONSENT})
        apps.append(a.json()['id'])
    call('GET', '/api/v1/account-applications', token=VERIFIER)
    call('GET', f'/api/v1/account-applications/{apps[0]}', token=VERIFIER)
    call('POST', f'/api/v1/account-applications/{apps[0]}/grant', token=VERIFIER,
         body={'organization': first_id('organizations'), 'roles': ['owner-editor']})
    call('POST', f'/api/v1/account-applications/{apps[1]}/refuse', token=VERIFIER,
         body={'reason': 'Организация не является госорганом'})
    inbox = call('GET', '/api/v1/inbox', token=VERIFIER).json()
    items = inbox.get('items') or []
    call('POST', f"/api/v1/inbox/{items[0]['id'] if items else 'none'}/read", token=VERIFIER)
    call('GET', '/api/v1/outbox')
    call('GET', '/api/v1/obligations')
    queue = call('GET', '/api/v1/verification-queue', token=VERIFIER).json()
    reqs = call('GET', '/api/v1/inclusion-requests').json()
    rid = (reqs.get('items') or [{'id': 'none'}])[0]['id']
    call('GET', f'/api/v1/inclusion-requests/{rid}')
    call('POST', f'/api/v1/inclusion-requests/{rid}/decision', body={'decision': 'refuse'})
    # records of collections
    obj = first_id('objects')
    docs = call('GET', f'/api/v1/objects/{obj}/documents').json()
    doc_id = None
    for d in docs.get('items', docs.get('documents', [])) if isinstance(docs, dict) else []:
        doc_id = doc_id or d.get('id') or (d.get('documents') or [{}])[0].get('id')
    if not doc_id:
        for coll_obj in SRV.get('/api/v1/objects?limit=50', token=ADMIN).json()['items']:
            lst = SRV.get(f"/api/v1/objects/{coll_obj['id']}/documents", token=ADMIN).json()
            text = json.dumps(lst)
            if '"doc_id"' in text or '"sha256"' in text:
                for part in text.split('"id": "')[1:]:
                    cand = part.split('"')[0]
                    if SRV.get(f'/api/v1/documents/{cand}', token=ADMIN).status == 200:
                        doc_id = cand
                        break
            if doc_id:
                break
    call('GET', f"/api/v1/documents/{doc_id or 'none'}")
    call('GET', f"/api/v1/documents/{doc_id or 'none'}/content")
    with open(os.path.join(os.environ['DOC_FIXTURES'], 'lo-pdfa1.pdf'), 'rb') as f:
        body, ctype = harness.multipart([('type', 'technical_specification')],
                                        [('file', 'specification.pdf', f.read())])
    call('POST', f'/api/v1/objects/{obj}/documents', body=body, ctype=ctype)
    call('GET', f'/api/v1/objects/{obj}/completeness')
    call('POST', f'/api/v1/objects/{obj}/inclusion-requests', body={})
    m = DOC['paths']
    for coll in ('capabilities', 'objects', 'relations', 'domains', 'functions'):
        call('GET', f'/api/v1/{coll}?limit=3')
        if coll != 'relations':
            call('GET', f'/api/v1/{coll}/facets?field=kind')
        rec = first_id(coll)
        call('GET', f'/api/v1/{coll}/{rec}')
        call('GET', f'/api/v1/{coll}/{rec}/history')
        call('GET', f'/api/v1/{coll}/{rec}/relations')
        if coll != 'relations':  # a trace starts from a record
            call('GET', f'/api/v1/{coll}/{rec}/trace')
        kind = {'objects': 'information_system', 'relations': 'groups'}.get(coll)
        call('GET', f'/api/v1/{coll}/import/template' + (f'?kind={kind}' if kind else ''))
    call('GET', '/api/v1/capabilities/map')
    matrix = [p for p in m if p.startswith('/api/v1/capabilities/matrix/')]
    mdesc = SRV.get('/api/v1/model', token=ADMIN).json()['collections']['capabilities']['matrices']
    call('GET', f"/api/v1/capabilities/matrix/{mdesc[0]['id']}")
    assert matrix
    dom = first_id('domains')
    call('GET', f'/api/v1/domains/{dom}/views/architecture')
    made = call('POST', '/api/v1/capabilities', body={'name': {'ru': 'Пример'}, 'domain': dom},
                token=ARCH).json()
    changed = call('PATCH', f"/api/v1/capabilities/{made['id']}", body={'name': {'en': 'Sample'}},
                   token=ARCH, headers={'If-Match': f'"{made["revision"]}"'}).json()
    call('DELETE', f"/api/v1/capabilities/{made['id']}",
         headers={'If-Match': f'"{changed["revision"]}"'})
    csv = 'Идентификатор,Наименование (ru),Домен\n,Из таблицы,' + dom + '\n'
    call('POST', '/api/v1/capabilities/import?dry_run=true', body=csv.encode(), ctype='text/csv',
         token=ARCH)
    call('GET', f'/api/v1/objects/{obj}/workflow')
    item = (queue.get('items') or [None])[0]
    if item:
        coll, iid = item['subject'].split('/')
        cur = SRV.get(f'/api/v1/{coll}/{iid}', token=ADMIN).json()
        call('POST', f'/api/v1/{coll}/{iid}/verify', token=VERIFIER,
             body={'decision': 'return', 'remarks': [{'text': 'Attach the technical specification'}]},
             headers={'If-Match': f'"{cur["revision"]}"'})
    draft = first_id('objects', status='draft') or obj
    cur = SRV.get(f'/api/v1/objects/{draft}', token=ADMIN).json()
    call('POST', f'/api/v1/objects/{draft}/submit', headers={'If-Match': f'"{cur["revision"]}"'})
    org = first_id('organizations')
    versions = [harness.create(SRV, 'architecture_versions',
                               {'name': {'ru': f'Версия {n}'}, 'owner': org}, ADMIN)
                for n in (1, 2)]
    v = versions[0]['id']
    call('GET', f'/api/v1/architecture_versions/{v}/content')
    els = call('GET', f'/api/v1/architecture_versions/{v}/elements').json()
    el = (els.get('items') or [{'id': 'none'}])[0]['id']
    call('GET', f'/api/v1/architecture_versions/{v}/elements/{el}')
    other = versions[-1]['id']
    call('GET', f'/api/v1/architecture_versions/{v}/compare/{other}')


def test_the_description_is_valid_and_complete():
    # REQ: X-INT-01
    r = SRV.get('/api/v1/openapi.json')
    assert r.status == 200 and r.header('Content-Type') == 'application/json', r
    DOC.update(r.json())
    assert DOC['openapi'] == '3.1.0'
    # each collection and each of its kinds described from the metamodel
    model = SRV.get('/api/v1/model', token=ADMIN).json()
    schemas = DOC['components']['schemas']
    for coll in model['collections']:
        assert f'{coll}.record' in schemas and f'{coll}.list' in schemas, coll
        assert f'/api/v1/{coll}' in DOC['paths'] and f'/api/v1/{coll}/{{id}}' in DOC['paths'], coll
    cap = schemas['capability']['properties']
    assert cap['domain']['anyOf'][0]['x-ref-kinds'] == ['domain']
    stage = schemas['information_system']['properties']['stage']['anyOf'][0]
    assert 'industrial_operation' in stage['enum']
    # the workflow's steps only where a kind has a workflow
    assert 'post' in DOC['paths']['/api/v1/objects/{id}/verify']
    assert '/api/v1/capabilities/{id}/verify' not in DOC['paths']
    decision = DOC['paths']['/api/v1/objects/{id}/verify']['post']['requestBody']
    assert decision['content']['application/json']['schema']['$ref'] == '#/components/schemas/Decision'
    problem = DOC['paths']['/api/v1/objects']['get']['responses']['default']['content']
    assert 'application/problem+json' in problem


def test_sample_answers_of_every_route_validate():
    # REQ: X-INT-01
    sample_everything()
    routes = {op['x-route'] for item in DOC['paths'].values() for op in item.values()}
    sampled = set()
    for s in SAMPLES:
        sampled.add(DOC['paths'][s['path']][s['method'].lower()]['x-route'])
    assert routes == sampled, f'routes without a sample: {sorted(routes - sampled)}'
    ok = {DOC['paths'][s['path']][s['method'].lower()]['x-route'] + ' ' + s['method']
          for s in SAMPLES if s['status'] < 400}
    failing = sorted({s['method'] + ' ' + s['concrete'] + ' ' + str(s['status']) + ' ' +
                      json.dumps(s['body'])[:200] for s in SAMPLES if s['status'] >= 400})
    # a success for most routes: the others answered a problem, itself checked
    assert len(ok) >= len(routes) - 6, failing  # activation, an empty inbox, inclusion requests
    with tempfile.TemporaryDirectory() as d:
        desc, samples = os.path.join(d, 'desc.json'), os.path.join(d, 'samples.json')
        with open(desc, 'w') as f:
            json.dump(DOC, f)
        with open(samples, 'w') as f:
            json.dump(SAMPLES, f)
        p = subprocess.run(['node', CHECKER, desc, samples], capture_output=True, text=True,
                           cwd=harness.SOURCE, timeout=300)
    assert p.returncode == 0, p.stdout[-6000:] + p.stderr[-2000:]
    print('# answered with a problem: ' + '; '.join(failing), flush=True)
    assert 'ok: the description is valid OpenAPI' in p.stdout, p.stdout


def test_the_reference_page():
    # REQ: X-INT-01
    for lang, heading in (('kk', 'API анықтамалығы'), ('ru', 'Справочник API'),
                          ('en', 'API reference')):
        r = SRV.get(f'/{lang}/api-reference')
        assert r.status == 200, r
        page = r.body.decode()
        assert f'<h1>{heading}</h1>' in page
        assert 'GET /api/v1/{collection}/{id}' in page and '/api/v1/openapi.json' in page
        assert '<script src="http' not in page and 'cdn' not in page.lower()
    page = SRV.get('/ru/api-reference').body.decode()
    assert 'Запросить сброс пароля' in page and 'industrial_operation' in page


def main():
    global SRV, ADMIN, VERIFIER, ARCH
    with Server(demo=True) as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        VERIFIER = srv.token('integrator-verifier')
        ARCH = srv.token('integrator-architect')
        run([test_the_description_is_valid_and_complete, test_sample_answers_of_every_route_validate,
             test_the_reference_page])


if __name__ == '__main__':
    main()
