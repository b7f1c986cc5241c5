"""End-to-end tests of accounts: the application → grant → activation →
sign-in flow, rights (the whole matrix), restricted fields, deadlines,
policies, the calendar API, and the attacks of issue 3."""
import json
import os
import re
import sqlite3
import statistics
import tempfile
import time

from harness import Server, assert_problem, cli, place_documents, run, valid_bin
from smtpd import SMTPServer

SRV = None
SMTP = None
ADMIN = None
INTEGRATOR = None
PASSWORD = 'Жаңа-Пароль-2026!'

CONSENT = 'pd-consent-2026-12'  # the version of the consent text in force
FORM = {
    'organization_name': 'ГУ «Аппарат акима города Тест»',
    'structural_unit': 'Отдел цифровизации',
    'last_name': 'Серікбаев',
    'first_name': 'Асқар',
    'patronymic': 'Маратұлы',
    'position': 'Главный специалист',
    'phone': '+7 (7172) 55-00-00',
    'email': 'a.serikbayev@test-akimat.gov.kz',
    'access_purpose': 'Учёт информационных систем акимата',
    'personal_data_consent': CONSENT,
}


def org_body(n, **extra):
    body = {'name': {'ru': f'Тестовая организация {n}', 'kk': f'Сынақ ұйымы {n}'},
            'bin': valid_bin(7000 + n), 'org_type': 'local_executive_body'}
    body.update(extra)
    return body


def make_org(n, **extra):
    r = SRV.request('POST', '/api/v1/organizations', org_body(n, **extra), token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def is_body(owner, name='Тестовая система'):
    return {'kind': 'information_system', 'owner': owner, 'name': {'ru': name},
            'class': 'second', 'stage': 'creation'}


def make_is(owner):
    r = SRV.request('POST', '/api/v1/objects', is_body(owner), token=ADMIN)
    assert r.status == 201, r
    return r.json()


def cookie_of(resp):
    sc = resp.header('Set-Cookie') or ''
    m = re.match(r'ap_session=([^;]*)', sc)
    return m.group(1) if m else None


def login(email, password, cookie=None):
    headers = {'Cookie': f'ap_session={cookie}'} if cookie else {}
    return SRV.request('POST', '/api/v1/session', {'email': email, 'password': password},
                       headers=headers)


def as_session(cookie, csrf=None):
    h = {'Cookie': f'ap_session={cookie}'}
    if csrf:
        h['X-CSRF-Token'] = csrf
    return h


def settled_export():
    """The export once the sender has passed over the outbox (it changes
    the outbox's rows as it sends)."""
    deadline = time.time() + 20
    while any(m['sent_at'] is None for m in SRV.get('/api/v1/outbox', token=ADMIN).json()['items']):
        assert time.time() < deadline, 'the outbox was not sent'
        time.sleep(0.1)
    return SRV.export()


LINK_RE = re.compile(r'/(?:activate|reset)\?s=([A-Za-z0-9_-]{43})')


def link_secrets(email, n=1):
    """The secrets of the links mailed to email (the SMTP server's copy:
    the portal keeps none), once n have arrived, oldest first."""
    mails = SMTP.wait_for(lambda m: email in m.to and LINK_RE.search(m.body()), n=n)
    return [LINK_RE.search(m.body()).group(1) for m in mails]


def activation_secret(email):
    return link_secrets(email)[-1]


def test_application_grant_activation_and_own_writes():
    # REQ: ACC-01
    # REQ: ACC-02
    # REQ: ACC-03
    r = SRV.request('POST', '/api/v1/account-applications', FORM)
    assert r.status == 201, r
    app = r.json()
    assert app['status'] == 'pending' and app['due_at'] > app['submitted_at']
    # the public cannot read applications
    assert_problem(SRV.get('/api/v1/account-applications'), 401)
    pending = SRV.get('/api/v1/account-applications', token=INTEGRATOR).json()['items']
    mine = [a for a in pending if a['id'] == app['id']]
    assert mine and mine[0]['due_at'] == app['due_at'] and mine[0]['overdue'] is False
    assert mine[0]['form']['email'] == FORM['email']
    # the deadline is an obligation of the integrator
    obs = SRV.get('/api/v1/obligations?role=integrator-verifier', token=INTEGRATOR).json()['items']
    assert any(o['subject'] == f'account-applications/{app["id"]}' and o['policy'] == 'account_decision'
               and o['policy_value'] == 1 for o in obs), obs
    org = make_org(1)
    g = SRV.request('POST', f'/api/v1/account-applications/{app["id"]}/grant',
                    {'organization': org, 'roles': ['owner-editor']}, token=INTEGRATOR)
    assert g.status == 200 and g.json()['status'] == 'granted', g
    again = SRV.request('POST', f'/api/v1/account-applications/{app["id"]}/grant',
                        {'organization': org}, token=INTEGRATOR)
    assert_problem(again, 409)
    done = SRV.get('/api/v1/obligations?state=done', token=INTEGRATOR).json()['items']
    assert any(o['subject'] == f'account-applications/{app["id"]}' and o['outcome'] == 'granted'
               for o in done)
    # invited: no sign-in before activation
    assert_problem(login(FORM['email'], PASSWORD), 401)
    secret = activation_secret(FORM['email'])
    assert_problem(SRV.request('POST', '/api/v1/activation', {'token': secret, 'password': 'short'}),
                   422, 'password')
    a = SRV.request('POST', '/api/v1/activation', {'token': secret, 'password': PASSWORD})
    assert a.status == 204, a
    # a reused link fails
    assert_problem(SRV.request('POST', '/api/v1/activation', {'token': secret, 'password': PASSWORD + 'x'}), 410)
    r = login(FORM['email'].upper(), PASSWORD)
    assert r.status == 200, r
    cookie, csrf = cookie_of(r), r.json()['csrf_token']
    sc = r.header('Set-Cookie')
    assert 'HttpOnly' in sc and 'SameSite=Strict' in sc, sc
    me = SRV.get('/api/v1/me', headers=as_session(cookie)).json()
    assert me['user']['org'] == org and me['user']['roles'] == ['owner-editor'] and me['csrf_token'] == csrf
    # creates an object of its own organisation
    c = SRV.request('POST', '/api/v1/objects', is_body(org, 'Своя система'), headers=as_session(cookie, csrf))
    assert c.status == 201, c
    # the same write without the CSRF token fails
    assert_problem(SRV.request('POST', '/api/v1/objects', is_body(org), headers=as_session(cookie)), 403,
                   'X-CSRF-Token')
    # another organisation's object (a draft: as missing, test_visibility.py)
    # refused and nothing changes (IDOR)
    other = make_is(make_org(2))
    p = SRV.request('PATCH', f'/api/v1/objects/{other["id"]}', {'supplier': 'взлом'},
                    headers=dict(as_session(cookie, csrf), **{'If-Match': '"1"'}))
    assert_problem(p, 404)
    assert SRV.get(f'/api/v1/objects/{other["id"]}', token=ADMIN).json()['revision'] == 1
    # nor can it move its own object to another organisation, or create one there
    mine = c.json()
    p = SRV.request('PATCH', f'/api/v1/objects/{mine["id"]}', {'owner': other['owner']},
                    headers=dict(as_session(cookie, csrf), **{'If-Match': '"1"'}))
    assert_problem(p, 403)
    assert_problem(SRV.request('POST', '/api/v1/objects', is_body(other['owner']),
                               headers=as_session(cookie, csrf)), 403)
    assert_problem(SRV.request('DELETE', f'/api/v1/objects/{other["id"]}',
                               headers=dict(as_session(cookie, csrf), **{'If-Match': '*'})), 404)
    # nor grant itself a role
    uid = me['user']['id']
    r = SRV.request('PATCH', f'/api/v1/users/{uid}', {'roles': ['admin']},
                    headers=dict(as_session(cookie, csrf), **{'Content-Type': 'application/merge-patch+json'}))
    assert_problem(r, 403)
    assert SRV.get(f'/api/v1/users/{uid}', token=ADMIN).json()['roles'] == ['owner-editor']
    # sign-out everywhere ends the session
    assert SRV.request('DELETE', '/api/v1/session?everywhere=true', headers=as_session(cookie, csrf)).status == 204
    assert_problem(SRV.request('POST', '/api/v1/objects', is_body(org), headers=as_session(cookie, csrf)), 401)


def test_refusal_needs_a_reason_and_is_sent():
    # REQ: ACC-02
    form = dict(FORM, email='refused@test.gov.kz')
    app = SRV.request('POST', '/api/v1/account-applications', form).json()
    url = f'/api/v1/account-applications/{app["id"]}/refuse'
    assert_problem(SRV.request('POST', url, {}, token=INTEGRATOR), 422, 'reason')
    owner = SRV.token('owner-editor', 'org-nit')
    assert_problem(SRV.request('POST', url, {'reason': 'нет'}, token=owner), 403)
    r = SRV.request('POST', url, {'reason': 'Организация не является госорганом'}, token=INTEGRATOR)
    assert r.status == 200 and r.json()['status'] == 'refused', r
    box = SRV.get('/api/v1/outbox', token=INTEGRATOR).json()['items']
    assert any(m['recipient'] == form['email'] and 'госорганом' in m['body'] for m in box)


def test_brute_force_locks_without_enumeration():
    email = SRV.user('owner-viewer', 'org-nit')
    answers = [login(email, 'wrong-password-%d' % i) for i in range(5)]
    unknown = [login('nobody-%d@gov.kz' % i, 'wrong-password') for i in range(2)]
    for r in answers + unknown:
        doc = assert_problem(r, 401)
        assert doc['type'].endswith(':invalid-credentials') and doc['detail'] == 'wrong e-mail or password'
    # locked now, even with the right password
    r = login(email, 'Corr3ct-Horse-Battery')
    assert_problem(r, 429)
    assert int(r.header('Retry-After')) > 0
    # an unknown address is locked the same way after the same failures
    ghost = 'ghost@gov.kz'
    for _ in range(5):
        assert_problem(login(ghost, 'x' * 12), 401)
    assert_problem(login(ghost, 'x' * 12), 429)


def test_session_fixation_and_token_lifecycle():
    email = SRV.user('owner-editor', 'org-nit')
    planted = 'A' * 43
    r = login(email, 'Corr3ct-Horse-Battery', cookie=planted)
    assert r.status == 200, r
    cookie, csrf = cookie_of(r), r.json()['csrf_token']
    assert cookie and cookie != planted
    assert_problem(SRV.request('DELETE', '/api/v1/session', headers=as_session(planted, csrf)), 401)
    # a second sign-in rotates the session: the first one ends
    r2 = login(email, 'Corr3ct-Horse-Battery', cookie=cookie)
    cookie2 = cookie_of(r2)
    assert cookie2 != cookie
    assert SRV.get('/api/v1/me', headers=as_session(cookie)).status == 401
    csrf2 = r2.json()['csrf_token']
    t = SRV.request('POST', '/api/v1/me/tokens', {'name': 'ci', 'scopes': ['read']},
                    headers=as_session(cookie2, csrf2))
    assert t.status == 201, t
    ro = t.json()['token']
    assert SRV.get('/api/v1/me', token=ro).json()['read_only'] is True
    assert_problem(SRV.request('POST', '/api/v1/objects', is_body('org-nit'), token=ro), 403)
    t = SRV.request('POST', '/api/v1/me/tokens', {'name': 'rw'}, headers=as_session(cookie2, csrf2)).json()
    assert SRV.request('POST', '/api/v1/objects', is_body('org-nit'), token=t['token']).status == 201
    listed = SRV.get('/api/v1/me/tokens', headers=as_session(cookie2)).json()['items']
    assert {x['name'] for x in listed} == {'ci', 'rw'} and all('token' not in x for x in listed)
    assert any(x['last_used_at'] for x in listed if x['name'] == 'rw')
    d = SRV.request('DELETE', f'/api/v1/me/tokens/{t["id"]}', headers=as_session(cookie2, csrf2))
    assert d.status == 204, d
    assert_problem(SRV.request('POST', '/api/v1/objects', is_body('org-nit'), token=t['token']), 401)


def test_application_consent_reference_and_organisation():
    """The applicant's consent to the processing of personal data is
    required and recorded with its time and the text's version; each
    application gets the next reference number; the organisation is one
    picked from the registry (its name taken from there) or one named, with
    a valid BIN."""
    # REQ: ACC-01
    base = dict(FORM, email='consent@test.gov.kz')
    before = SRV.get('/api/v1/account-applications?status=all', token=INTEGRATOR).json()['items']
    no_consent = {k: v for k, v in base.items() if k != 'personal_data_consent'}
    for bad in [no_consent, dict(base, personal_data_consent=''), dict(base, personal_data_consent=False),
                dict(base, personal_data_consent=True), dict(base, personal_data_consent='pd-consent-1999')]:
        assert_problem(SRV.request('POST', '/api/v1/account-applications', bad, source='127.0.2.1'),
                       422, 'personal_data_consent')
    # neither an unknown organisation, nor a record that is not one, nor a bad BIN
    obj = SRV.get('/api/v1/objects?limit=1').json()['items'][0]['id']
    for org in ['org-nowhere', obj, '../x', '']:
        r = SRV.request('POST', '/api/v1/account-applications',
                        dict({k: v for k, v in base.items() if k != 'organization_name'}, organization=org),
                        source='127.0.2.2')
        assert_problem(r, 422, 'organization_name' if org == '' else 'organization')
    assert_problem(SRV.request('POST', '/api/v1/account-applications',
                               dict(base, organization_bin='123456789012'), source='127.0.2.3'),
                   422, 'organization_bin')
    after = SRV.get('/api/v1/account-applications?status=all', token=INTEGRATOR).json()['items']
    assert len(after) == len(before)
    # picked from the registry: its name comes from there
    t0 = time.time()
    picked = SRV.request('POST', '/api/v1/account-applications',
                         dict({k: v for k, v in base.items() if k != 'organization_name'},
                              organization='org-nit'), source='127.0.2.4')
    assert picked.status == 201, picked
    named = SRV.request('POST', '/api/v1/account-applications',
                        dict(base, email='consent2@test.gov.kz', organization_bin=valid_bin(8200)),
                        source='127.0.2.5')
    assert named.status == 201, named
    a, b = picked.json(), named.json()
    # the year is Almaty's (UTC+5): the UTC year, or the next one in the night of 31 December
    year = int(a['submitted_at'][:4])
    assert re.fullmatch(r'A-\d{4}-\d{6}', a['ref']) and int(a['ref'][2:6]) in (year, year + 1), a
    assert int(b['ref'][-6:]) == int(a['ref'][-6:]) + 1, (a, b)
    got = SRV.get(f'/api/v1/account-applications/{a["id"]}', token=INTEGRATOR).json()
    assert got['ref'] == a['ref'] and got['form']['organization'] == 'org-nit'
    assert 'Национальные информационные технологии' in got['form']['organization_name'], got
    assert 'personal_data_consent' not in got['form']
    assert got['consent']['version'] == CONSENT and got['consent']['at'] == got['submitted_at']
    at = time.mktime(time.strptime(got['consent']['at'][:19], '%Y-%m-%dT%H:%M:%S')) - time.timezone
    assert abs(at - t0) < 60
    got = SRV.get(f'/api/v1/account-applications/{b["id"]}', token=INTEGRATOR).json()
    assert got['form']['organization_bin'] == valid_bin(8200) and 'organization' not in got['form']
    # the reference number and the consent go into export and come back
    lines = [json.loads(x)['application'] for x in SRV.export().decode().splitlines()
             if x.startswith('{"application"')]
    mine = [x for x in lines if x['id'] == a['id']][0]
    assert mine['ref'] == a['ref'] and mine['consent_version'] == CONSENT


def test_hostile_applications():
    # REQ: ACC-01
    for field in ('organization_name', 'last_name', 'email', 'phone', 'access_purpose'):
        bad = dict(FORM)
        del bad[field]
        assert_problem(SRV.request('POST', '/api/v1/account-applications', bad), 422, field)
    assert_problem(SRV.request('POST', '/api/v1/account-applications', dict(FORM, email='not-mail')), 422, 'email')
    assert_problem(SRV.request('POST', '/api/v1/account-applications', dict(FORM, phone='call me')), 422, 'phone')
    # every problem at once, the first also as before
    r = SRV.request('POST', '/api/v1/account-applications',
                    dict(FORM, email='not-mail', phone='call me', last_name=''))
    assert_problem(r, 422, 'last_name')
    assert [x['field'] for x in r.json()['errors']] == ['last_name', 'phone', 'email'], r.json()
    assert_problem(SRV.request('POST', '/api/v1/account-applications', dict(FORM, last_name='x' * 5000)), 422,
                   'last_name')
    assert_problem(SRV.request('POST', '/api/v1/account-applications', dict(FORM, admin=True)), 422, 'admin')
    assert_problem(SRV.request('POST', '/api/v1/account-applications', dict(FORM, position=7)), 422, 'position')
    assert_problem(SRV.request('POST', '/api/v1/account-applications', '{"email":',
                               headers={'Content-Type': 'application/json'}), 400)
    # oversized: a field over its limit, and a body over the server's limit
    big = SRV.request('POST', '/api/v1/account-applications', dict(FORM, access_purpose='я' * 100_000))
    assert_problem(big, 422, 'access_purpose')
    huge = SRV.raw(b'POST /api/v1/account-applications HTTP/1.1\r\nHost: x\r\n'
                   b'Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n' + b'{' * 65536)
    assert huge.startswith(b'HTTP/1.1 413'), huge[:100]
    # HTML and script are kept as text, never interpreted
    script = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    r = SRV.request('POST', '/api/v1/account-applications',
                    dict(FORM, email='xss@test.gov.kz', structural_unit=script, access_purpose=script))
    assert r.status == 201, r
    got = SRV.get(f'/api/v1/account-applications/{r.json()["id"]}', token=INTEGRATOR)
    assert got.header('Content-Type').startswith('application/json')
    assert got.json()['form']['structural_unit'] == script
    # rate-limited per address
    statuses = [SRV.request('POST', '/api/v1/account-applications',
                            dict(FORM, email=f'flood{i}@test.gov.kz')).status for i in range(8)]
    assert 429 in statuses and statuses[-1] == 429, statuses


def test_restricted_fields_are_hidden_from_the_public():
    org = make_org(3, email='it@org3.gov.kz', phone='+7 7172 00 00 03')
    assert 'email' not in SRV.get(f'/api/v1/organizations/{org}').json()
    assert SRV.get(f'/api/v1/organizations/{org}', token=ADMIN).json()['email'] == 'it@org3.gov.kz'
    own = SRV.token('owner-viewer', org)
    assert SRV.get(f'/api/v1/organizations/{org}', token=own).json()['phone'] == '+7 7172 00 00 03'
    stranger = SRV.token('owner-editor', 'org-nit')
    assert 'phone' not in SRV.get(f'/api/v1/organizations/{org}', token=stranger).json()
    page = SRV.get('/api/v1/organizations?limit=500').json()['items']
    mine = [o for o in page if o['id'] == org]
    assert mine and 'email' not in mine[0] and not any('email' in o for o in page)
    hist = SRV.get(f'/api/v1/organizations/{org}/history').json()['items']
    assert not any(c['field'] in ('email', 'phone') for h in hist for c in h['changes']), hist
    assert SRV.get(f'/api/v1/organizations/{org}/history', token=ADMIN).text if False else True


ACTIONS = ('create', 'update', 'retire', 'read-restricted', 'read-unpublished', 'submit', 'verify')
COMPLETE = {'purpose': {'ru': 'Назначение'}, 'functions': ['Функция'], 'class': 'third', 'placement': 'other',
            'funding_source': 'own_funds', 'placement_exception': 'platform_inexpedient',
            'stored_data': 'Данные', 'legal_basis': 'Приказ',
            'contacts': '8 700 000 00 00',
            'creation_phase': 'software_development',  # Order 129 §9
            'procurement_contracts': [{'contract_number': '1', 'contract_date': '2025-01-10',
                                       'supplier_name': 'ТОО Поставщик'}],
            'general_data': {'developer': 'ТОО Поставщик'}}


def attempt(tok, action, kind_collection, own_org, target_org):
    """Tries one record action; returns True when it was allowed."""
    if kind_collection == 'organizations':
        if action == 'create':
            r = SRV.request('POST', '/api/v1/organizations', org_body(attempt.n), token=tok)
            attempt.n += 1
            return r.status == 201
        rid = target_org
        if action == 'read-restricted':
            return 'email' in SRV.get(f'/api/v1/organizations/{rid}', token=tok).json()
        if action == 'update':
            cur = SRV.get(f'/api/v1/organizations/{rid}', token=ADMIN).json()
            r = SRV.request('PATCH', f'/api/v1/organizations/{rid}', {'phone': f'+7 700 {attempt.n:07d}'},
                            headers={'If-Match': f'"{cur["revision"]}"'}, token=tok)
            attempt.n += 1
            return r.status == 200
        return None  # retiring organisations, workflows: not for organisations
    if action == 'create':
        r = SRV.request('POST', '/api/v1/objects', is_body(target_org), token=tok)
        return r.status == 201
    obj = SRV.request('POST', '/api/v1/objects', dict(is_body(target_org), **COMPLETE), token=ADMIN).json()
    if action in ('submit', 'verify'):
        place_documents(SRV, obj['id'], ADMIN)
    if action == 'read-unpublished':
        return SRV.get(f'/api/v1/objects/{obj["id"]}', token=tok).status == 200
    if action == 'submit':
        return SRV.request('POST', f'/api/v1/objects/{obj["id"]}/submit', token=tok).status == 200
    if action == 'verify':
        assert SRV.request('POST', f'/api/v1/objects/{obj["id"]}/submit', token=ADMIN).status == 200
        r = SRV.request('POST', f'/api/v1/objects/{obj["id"]}/verify', {'decision': 'accept'}, token=tok)
        return r.status == 200
    if action == 'read-restricted':
        return 'contacts' in SRV.get(f'/api/v1/objects/{obj["id"]}', token=tok).json()
    if action == 'update':
        r = SRV.request('PATCH', f'/api/v1/objects/{obj["id"]}', {'supplier': 'ТОО'},
                        headers={'If-Match': '"1"'}, token=tok)
        return r.status == 200
    r = SRV.request('DELETE', f'/api/v1/objects/{obj["id"]}', headers={'If-Match': '*'}, token=tok)
    return r.status == 204


attempt.n = 100


def test_rights_matrix():
    # REQ: ROL-01
    # REQ: ROL-02
    # REQ: ROL-03
    # REQ: ROL-04
    # REQ: ROL-05
    rights = SRV.get('/api/v1/rights').json()
    matrix = {(m['role'], m['action'], m['kind']): m for m in rights['matrix']}
    home, away = make_org(10, email='a@10.gov.kz'), make_org(11, email='b@11.gov.kz')
    checked = 0
    for role in rights['roles']:
        tok = SRV.token(role, home)
        for action in ACTIONS:
            for coll, kind in (('objects', 'information_system'), ('organizations', 'organization')):
                for own in (True, False):
                    got = attempt(tok, action, coll, home, home if own else away)
                    if got is None:
                        continue
                    m = matrix.get((role, action, kind))
                    want = bool(m and (m['own'] if own else m['other']))
                    if action == 'create' and coll == 'organizations':
                        want = bool(m and m['other'])  # a new organisation is nobody's yet
                    assert got == want, f'{role} {action} {kind} own={own}: got {got}, matrix says {want}'
                    checked += 1
        # system actions
        sys_checks = {
            'applications-decide': SRV.get('/api/v1/account-applications', token=tok).status == 200,
            'users-manage': SRV.get('/api/v1/users', token=tok).status == 200,
            'calendar-edit': SRV.request('PUT', '/api/v1/calendar/2099', {'entries': []}, token=tok).status == 200,
            'metrics-read': SRV.get('/metrics', token=tok).status == 200,
        }
        for action, got in sys_checks.items():
            m = matrix.get((role, action, None))
            assert got == bool(m), f'{role} {action}: got {got}, matrix says {bool(m)}'
            checked += 1
        obs = SRV.get('/api/v1/obligations?state=all', token=tok)
        m = matrix.get((role, 'obligations-read', None))
        assert (obs.status == 200) == bool(m), (role, obs)
        if m and not m['other']:
            assert_problem(SRV.get(f'/api/v1/obligations?org={away}', token=tok), 403)
    assert checked >= len(rights['roles']) * 21
    # the facts the rules fix, whatever the file says
    assert not matrix.get(('owner-editor', 'update', 'information_system'), {}).get('other')
    assert not matrix.get(('owner-viewer', 'create', 'information_system'))
    assert not matrix.get(('integrator-verifier', 'users-manage', None))
    assert not matrix.get(('owner-editor', 'verify', 'information_system'))
    assert not matrix.get(('owner-editor', 'submit', 'information_system'), {}).get('other')
    # the public writes nothing
    assert_problem(SRV.request('POST', '/api/v1/objects', is_body(home)), 401)


def test_rights_changes_are_audited_and_end_sessions():
    email = SRV.user('owner-viewer', 'org-nit')
    r = login(email, 'Corr3ct-Horse-Battery')
    cookie = cookie_of(r)
    uid = r.json()['user']['id']
    p = SRV.request('PATCH', f'/api/v1/users/{uid}', {'roles': ['owner-editor']}, token=ADMIN,
                    headers={'Content-Type': 'application/merge-patch+json'})
    assert p.status == 200 and p.json()['roles'] == ['owner-editor'], p
    assert SRV.get('/api/v1/me', headers=as_session(cookie)).status == 401
    export = SRV.export().decode().splitlines()
    audits = [json.loads(line)['audit'] for line in export if line.startswith('{"audit"')]
    assert any(a['action'] == 'user-rights' and a['record_id'] == uid for a in audits)


def test_verifiers_grant_owner_roles_only():
    """A verifier deciding an application gives owner roles only; the roles
    of the integrator, the authorized body, the operator and administrators
    come from an administrator, and that grant is audited."""
    # REQ: ROL-02
    # REQ: X-AUD-01
    org = make_org(30)
    for n, role in enumerate(['approver', 'operator', 'integrator-verifier', 'integrator-architect',
                              'admin']):
        form = dict(FORM, email=f'escalate-{n}@test.gov.kz', requested_role=role)
        app = SRV.request('POST', '/api/v1/account-applications', form, source=f'127.0.1.{n + 1}').json()
        url = f'/api/v1/account-applications/{app["id"]}/grant'
        before = settled_export()
        # the role named in the body, or the one the applicant asked for
        for body in [{'organization': org, 'roles': [role]},
                     {'organization': org, 'roles': ['owner-editor', role]},
                     {'organization': org},
                     {'new_organization': org_body(40 + n), 'roles': [role]}]:
            assert_problem(SRV.request('POST', url, body, token=INTEGRATOR), 403, 'roles')
        assert settled_export() == before
        # users-manage is not the verifier's either
        assert_problem(SRV.request('POST', '/api/v1/users',
                                   {'email': f'direct-{n}@test.gov.kz', 'org': org, 'roles': [role],
                                    'last_name': 'Прямой'}, token=INTEGRATOR), 403)
        # an administrator may, audited
        g = SRV.request('POST', url, {'organization': org}, token=ADMIN)
        assert g.status == 200, g
        audits = [json.loads(line)['audit'] for line in SRV.export().decode().splitlines()
                  if line.startswith('{"audit"')]
        assert any(a['action'] == 'application-grant' and a['record_id'] == app['id']
                   and a['after']['roles'] == [role] for a in audits), audits[-3:]
    # owner roles stay the verifier's to give
    app = SRV.request('POST', '/api/v1/account-applications',
                      dict(FORM, email='owner-ok@test.gov.kz', requested_role='owner-viewer'),
                      source='127.0.1.9').json()
    g = SRV.request('POST', f'/api/v1/account-applications/{app["id"]}/grant', {'organization': org},
                    token=INTEGRATOR)
    assert g.status == 200, g
    # and a verifier may not raise a user's roles afterwards either
    uid = g.json()['user_id']
    assert_problem(SRV.request('PATCH', f'/api/v1/users/{uid}', {'roles': ['approver']}, token=INTEGRATOR,
                               headers={'Content-Type': 'application/merge-patch+json'}), 403)


def stored_links(dump_lines):
    return [line for line in dump_lines if LINK_RE.search(line)]


def test_no_usable_secret_in_stored_mail():
    """Activation and reset links are minted as their message is sent: the
    outbox, GET /outbox and an export hold the message with "{link}" in its
    place, before and after sending; what is in them activates nothing,
    while the mail itself carries a working link."""
    form = dict(FORM, email='no-secret@test.gov.kz')
    app = SRV.request('POST', '/api/v1/account-applications', form, source='127.0.2.1').json()
    org = make_org(50)
    g = SRV.request('POST', f'/api/v1/account-applications/{app["id"]}/grant', {'organization': org},
                    token=INTEGRATOR)
    assert g.status == 200, g
    secret = activation_secret(form['email'])
    settled_export()  # the sender has recorded what it sent
    box = SRV.get('/api/v1/outbox', token=ADMIN).json()['items']
    mine = [m for m in box if m['recipient'] == form['email'] and m['template'] == 'activate']
    assert mine and mine[0]['sent_at'], mine
    assert '{link}' in mine[0]['body'] and secret not in mine[0]['body'], mine[0]
    assert not any(LINK_RE.search(m['body']) for m in box), [m['body'] for m in box]
    dump = SRV.export().decode()
    assert secret not in dump and not stored_links(dump.splitlines())
    # whatever an administrator can read activates nothing
    for m in box:
        for token in re.findall(r'[A-Za-z0-9_-]{43}', m['body']):
            assert_problem(SRV.request('POST', '/api/v1/activation', {'token': token, 'password': PASSWORD}),
                           404)
    # the mailed one does
    r = SRV.request('POST', '/api/v1/activation', {'token': secret, 'password': PASSWORD})
    assert r.status == 204, r
    # a reset: the same, and the new password revokes the user's API tokens
    cookie = cookie_of(login(form['email'], PASSWORD))
    csrf = SRV.get('/api/v1/me', headers=as_session(cookie)).json()['csrf_token']
    tok = SRV.request('POST', '/api/v1/me/tokens', {'name': 'before reset'},
                      headers=as_session(cookie, csrf)).json()['token']
    assert SRV.get('/api/v1/me', token=tok).status == 200
    r = SRV.request('POST', '/api/v1/password-reset', {'email': form['email']}, source='127.0.2.2')
    assert r.status == 202, r
    reset = SMTP.wait_for(lambda m: form['email'] in m.to and '/reset?s=' in m.body())[-1].body()
    # one language, the user's (none known: the portal's, Kazakh), with the page's link
    assert 'API токендерін кері қайтарады' in reset and 'API-токены' not in reset, reset
    assert '/kk/reset?s=' in reset, reset
    secret = LINK_RE.search(reset).group(1)
    dump = SRV.export().decode()
    assert secret not in dump and not stored_links(dump.splitlines())
    assert not any(LINK_RE.search(m['body']) for m in SRV.get('/api/v1/outbox', token=ADMIN).json()['items'])
    r = SRV.request('POST', '/api/v1/activation', {'token': secret, 'password': PASSWORD + '-2'})
    assert r.status == 204, r
    assert_problem(SRV.get('/api/v1/me', token=tok), 401)
    assert_problem(SRV.get('/api/v1/me', headers=as_session(cookie)), 401)
    assert login(form['email'], PASSWORD + '-2').status == 200


def test_reset_answer_takes_the_same_time():
    """A reset request for a known address and for an unknown one do the
    same work (one stored message; the sender finds the account later).
    40 pairs of requests, each pair back to back in alternating order (the
    host's load weighs on both alike), on a server of its own with no
    sender (whose passes would weigh on some requests): the median of the
    pairs' differences is within 15 % of the median request. Before, a
    known address cost a link and a message more: +0.3 ms on a median of
    0.5-0.7 ms (45-60 %); now 0-1 %."""
    with Server(demo=True) as srv:
        known = srv.user('owner-viewer', 'org-nit')

        def timed(email, ip):
            t0 = time.perf_counter()
            r = srv.request('POST', '/api/v1/password-reset', {'email': email}, source=ip)
            took = (time.perf_counter() - t0) * 1000
            assert r.status == 202 and r.json() == {'status': 'if the address is known, a link was sent'}, r
            return took

        diffs, times = [], []
        for i in range(40):
            if i % 2:
                k = timed(known, f'127.0.3.{2 * i + 1}')
                u = timed(f'nobody-{i}@test.gov.kz', f'127.0.3.{2 * i + 2}')
            else:
                u = timed(f'nobody-{i}@test.gov.kz', f'127.0.3.{2 * i + 2}')
                k = timed(known, f'127.0.3.{2 * i + 1}')
            diffs.append(k - u)
            times += [k, u]
        d, m = statistics.median(diffs), statistics.median(times)
        print(f'# reset: median {m:.2f} ms, known - unknown {d:+.3f} ms (median of pairs)')
        assert abs(d) <= 0.15 * m, (d, m)
        # the messages wait for a sender, with no link in them
        box = srv.get('/api/v1/outbox', token=srv.token('admin')).json()['items']
        assert len([b for b in box if b['template'] == 'reset']) == 80
        assert all(b['body'].count('{link}') == 1 and not LINK_RE.search(b['body'])
                   for b in box if b['template'] == 'reset')


def test_reset_mail_goes_to_known_addresses_only():
    known = SRV.user('owner-viewer', 'org-nit')
    for n, email in enumerate([known, 'nobody-at-all@test.gov.kz']):
        r = SRV.request('POST', '/api/v1/password-reset', {'email': email}, source=f'127.0.3.{n + 100}')
        assert r.status == 202, r
    SMTP.wait_for(lambda mail: known in mail.to and '/reset?s=' in mail.body())
    settled_export()
    assert not SMTP.to('nobody-at-all@test.gov.kz')
    box = SRV.get('/api/v1/outbox', token=ADMIN).json()['items']
    ghost = [b for b in box if b['recipient'] == 'nobody-at-all@test.gov.kz']
    assert len(ghost) == 1 and ghost[0]['sent_at'] and ghost[0]['last_error'].startswith('not sent'), ghost


def test_account_fields_are_one_line():
    """The application's one-line fields, a user's names and a token's name
    refuse line breaks, tabs and C0/C1 controls; the purpose (a text)
    keeps its line breaks."""
    email = SRV.user('owner-editor', 'org-nit')
    cookie = cookie_of(login(email, 'Corr3ct-Horse-Battery'))
    csrf = SRV.get('/api/v1/me', headers=as_session(cookie)).json()['csrf_token']
    before = settled_export()
    for n, bad in enumerate(['Имя\u0085', 'Имя\u2028X', 'Имя\x1b[31m']):
        r = SRV.request('POST', '/api/v1/account-applications', dict(FORM, last_name=bad),
                        source=f'127.0.6.{n + 1}')
        assert_problem(r, 422, 'last_name')
    for bad in ['Имя\tX', 'Имя\u0085', 'Имя\rX']:
        assert_problem(SRV.request('POST', '/api/v1/users',
                                   {'email': 'one-line@test.gov.kz', 'org': 'org-nit',
                                    'roles': ['owner-viewer'], 'last_name': bad}, token=ADMIN),
                       422, 'last_name')
    for bad in ['ci\nX-Injected: 1', 'ci\t', 'ci\u009b']:
        assert_problem(SRV.request('POST', '/api/v1/me/tokens', {'name': bad},
                                   headers=as_session(cookie, csrf)), 422, 'name')
    assert settled_export() == before
    ok = SRV.request('POST', '/api/v1/account-applications',
                     dict(FORM, email='lines@test.gov.kz', access_purpose='Учёт\r\nсистем'),
                     source='127.0.6.9')
    assert ok.status == 201, ok

def test_architecture_approval_before_2025():
    # REQ: X-POL-01
    # The Rules of Order 193/НҚ in the wording of Order 464/НҚ (in force 1 January 2023), §12:
    # 10 working days; before 2023 the seeds do not say, so nothing is in force.
    p = SRV.get('/api/v1/policies?at=2024-06-03T12:00:00%2B05:00').json()['policies']['architecture_approval']
    assert p['in_force'] == 10, p
    assert [v['from'] for v in p['values']] == ['2023-01-01', '2025-01-08'], p
    assert '464' in p['values'][0]['source'] and 'seed 000' in p['values'][0]['source'], p
    early = SRV.get('/api/v1/policies?at=2022-06-01T12:00:00%2B05:00').json()['policies']
    assert early['architecture_approval']['in_force'] is None, early


def test_calendar_transfers_and_year_status():
    # REQ: X-CAL-01
    y = SRV.get('/api/v1/calendar/2024').json()
    assert y['transfers'] == 'loaded', y
    days = {d['date']: d for d in y['days']}
    assert days['2024-05-08']['type'] == 'day_off' and '17.04.2024' in days['2024-05-08']['source'], days
    assert days['2024-05-04']['type'] == 'working_day' and days['2024-05-04']['source'], days
    # every moved day of the loaded years names its act
    for year in range(2020, 2026):
        y = SRV.get(f'/api/v1/calendar/{year}').json()
        assert y['transfers'] == 'loaded', (year, y['transfers'])
        moved = [d for d in y['days'] if d['origin'] == 'entry' and d['type'] != 'holiday']
        assert moved and all(d.get('source') for d in moved), (year, moved)
    # the First President's day: a day off in 2020 (Tuesday), not in 2022 (Thursday)
    assert any(d['date'] == '2020-12-01' and d['type'] == 'holiday'
               for d in SRV.get('/api/v1/calendar/2020').json()['days'])
    assert not any(d['date'] == '2022-12-01' for d in SRV.get('/api/v1/calendar/2022').json()['days'])
    # a deadline across May 2024: from Friday 3 May, Saturday 4 and Monday 6 May
    r = SRV.get('/api/v1/calendar/add?at=2024-05-03T10:00:00%2B05:00&days=2').json()
    assert r['due'] == '2024-05-06T18:59:59.999Z' and r['incomplete_years'] == [], r
    r = SRV.get('/api/v1/calendar/between?from=2024-05-05T10:00:00%2B05:00&to=2024-05-09T10:00:00%2B05:00').json()
    assert r == {'working_days': 1, 'incomplete_years': []}, r
    # a year whose transfers are not established says so, and so do the spans touching it
    y = SRV.get('/api/v1/calendar/2027').json()
    assert y['transfers'] == 'unknown' and set(y['transfers_text']) == {'kk', 'ru', 'en'}, y
    assert 'not loaded' in y['transfers_text']['en'] and y['transfers_note'], y
    r = SRV.get('/api/v1/calendar/add?at=2026-12-30T10:00:00%2B05:00&days=5').json()
    assert r['incomplete_years'] == [2026, 2027], r
    r = SRV.get('/api/v1/calendar/between?from=2025-12-01T00:00:00Z&to=2026-01-31T00:00:00Z').json()
    assert r['incomplete_years'] == [2026], r
    # an administrator sets a year's entries, their acts and its status: stored, audited
    body = {'transfers': 'loaded', 'note': 'checked against the order',
            'entries': [{'date': '2098-01-04', 'type': 'working_day', 'source': 'Order 1 of 01.12.2097'},
                        {'date': '2098-01-06', 'type': 'day_off', 'source': 'Order 1 of 01.12.2097'}]}
    assert_problem(SRV.request('PUT', '/api/v1/calendar/2098', {**body, 'transfers': 'maybe'}, token=ADMIN),
                   422, 'transfers')
    assert_problem(SRV.request('PUT', '/api/v1/calendar/2098', {**body, 'sources': 1}, token=ADMIN), 422, 'sources')
    r = SRV.request('PUT', '/api/v1/calendar/2098', body, token=ADMIN)
    assert r.status == 200, r
    for y in (r.json(), SRV.get('/api/v1/calendar/2098').json()):
        assert y['transfers'] == 'loaded' and y['transfers_note'] == 'checked against the order', y
        assert y['entries'] == body['entries'], y
        assert [d.get('source') for d in y['days'] if d['date'] == '2098-01-06'] == ['Order 1 of 01.12.2097'], y
    # Friday 3 January: the next working day is Saturday 4 (Monday 6 is off, Tuesday 7 Christmas)
    r = SRV.get('/api/v1/calendar/add?at=2098-01-03T10:00:00%2B05:00&days=2').json()
    assert r['due'] == '2098-01-08T18:59:59.999Z' and r['incomplete_years'] == [], r
    audits = [json.loads(line)['audit'] for line in SRV.export().decode().splitlines()
              if line.startswith('{"audit"')]
    mine = [a for a in audits if a['action'] == 'calendar-set' and a['record_id'] == '2098']
    assert mine, audits[-3:]
    after = mine[-1]['after']
    assert after['transfers'] == 'loaded' and after['entries'][1]['source'] == 'Order 1 of 01.12.2097', after


def test_policies_and_calendar_api():
    # REQ: X-POL-01
    # REQ: X-CAL-01
    before = SRV.get('/api/v1/policies?at=2025-01-07T12:00:00%2B05:00').json()['policies']
    after = SRV.get('/api/v1/policies?at=2025-01-08T00:00:00%2B05:00').json()['policies']
    assert (before['account_decision']['in_force'], after['account_decision']['in_force']) == (2, 1)
    assert (before['verification']['in_force'], after['verification']['in_force']) == (5, 2)
    assert (before['owner_update']['in_force'], after['owner_update']['in_force']) == (10, 5)
    assert after['architecture_approval']['in_force'] == 10
    r = SRV.get('/api/v1/calendar/add?at=2026-03-20T10:00:00%2B05:00&days=1').json()
    assert r['due'] == '2026-03-26T18:59:59.999Z', r  # Nauryz 21-23 and the moved 24-25 March
    r = SRV.get('/api/v1/calendar/between?from=2026-12-14T09:00:00Z&to=2026-12-21T09:00:00Z').json()
    assert r['working_days'] == 4, r  # 15, 17, 18, 21 December: the 16th is Independence Day
    y = SRV.get('/api/v1/calendar/2026').json()
    assert any(d['date'] == '2026-08-31' and d.get('moved_from') == '2026-08-30' for d in y['days'])
    owner = SRV.token('owner-editor', 'org-nit')
    entries = [{'date': '2026-12-18', 'type': 'day_off', 'name': {'ru': 'Перенос', 'en': 'Moved day off'}}]
    assert_problem(SRV.request('PUT', '/api/v1/calendar/2026', {'entries': entries}, token=owner), 403)
    assert_problem(SRV.request('PUT', '/api/v1/calendar/2026', {'entries': [{'date': '2025-01-01', 'type': 'day_off'}]},
                               token=ADMIN), 422)
    # a holiday's name is one line
    for bad in ['Перенос\r\nX-Injected: 1', 'Перенос\t', 'Moved\u0085']:
        broken = [dict(entries[0], name={'ru': bad})]
        assert_problem(SRV.request('PUT', '/api/v1/calendar/2026', {'entries': broken}, token=ADMIN), 422)
    r = SRV.request('PUT', '/api/v1/calendar/2026', {'entries': entries}, token=ADMIN)
    assert r.status == 200, r
    r = SRV.get('/api/v1/calendar/between?from=2026-12-14T09:00:00Z&to=2026-12-21T09:00:00Z').json()
    assert r['working_days'] == 3, r
    assert_problem(SRV.get('/api/v1/calendar/3000'), 404)
    assert_problem(SRV.get('/api/v1/calendar/add?at=yesterday&days=1'), 400, 'at')


def import_lines(lines):
    """Imports these export lines into a fresh repository; returns the CLI result
    and the repository's export afterwards."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'dump.jsonl')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(''.join(line + '\n' for line in lines))
        r = cli(os.path.join(d, 'data'), 'import', path, check=False)
        after = cli(os.path.join(d, 'data'), 'export').stdout.decode().splitlines()
        return r, after


def test_export_and_import_carry_accounts():
    # REQ: X-AUD-01
    # REQ: ACC-03
    # a scan far ahead: the pending applications' deadlines are missed by then, so the
    # integrator's digest is made and remembered (notify_sent)
    scanned = cli(SRV.data, 'notify', 'scan', '--at', '2099-06-01T10:00:00+05:00').stdout.decode()
    assert int(re.search(r'digests (\d+)', scanned).group(1)) >= 1, scanned
    first = SRV.export()
    kinds = {next(iter(json.loads(line))) for line in first.decode().splitlines()[1:]}
    assert {'record', 'user', 'token', 'link', 'outbox', 'inbox', 'notify_sent', 'obligation', 'application',
            'calendar_year', 'audit'} <= kinds, kinds
    assert b'"session"' not in first
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, 'data')
        path = os.path.join(d, 'dump.jsonl')
        with open(path, 'wb') as f:
            f.write(first)
        SRV.copy_blobs(data)
        cli(data, 'import', path)
        assert cli(data, 'export').stdout == first
        assert cli(data, 'check').returncode == 0
        with Server(data_dir=data) as copy:
            # the same people sign in with the same passwords and tokens
            r = copy.request('POST', '/api/v1/session', {'email': FORM['email'], 'password': PASSWORD})
            assert r.status == 200, r
            assert copy.get('/api/v1/me', token=ADMIN).status == 200
            # the edited calendar year, the applications and the obligations came along
            r = copy.get('/api/v1/calendar/between?from=2026-12-14T09:00:00Z&to=2026-12-21T09:00:00Z').json()
            assert r['working_days'] == 3, r
            mine = copy.get('/api/v1/account-applications?status=granted', token=INTEGRATOR).json()['items']
            assert any(a['form']['email'] == FORM['email'] for a in mine), mine
            assert (copy.get('/api/v1/obligations?state=done', token=INTEGRATOR).json() ==
                    SRV.get('/api/v1/obligations?state=done', token=INTEGRATOR).json())
        # `check` sees account rows changed behind the portal's back
        db = sqlite3.connect(os.path.join(data, 'archportal.db'))
        db.execute("UPDATE users SET roles = 'owner-editor root' WHERE email = ?", (FORM['email'],))
        db.execute("UPDATE obligations SET due_at = 'soon' WHERE rowid = 1")
        db.commit()
        db.close()
        r = cli(data, 'check', check=False)
        assert r.returncode == 1, r.stdout
        assert b'not all known roles' in r.stdout and b"'due_at' is not an RFC 3339" in r.stdout, r.stdout
    # bad account lines are refused with their reason, and nothing is kept
    lines = first.decode().splitlines()
    head = [line for line in lines if next(iter(json.loads(line))) in ('format', 'record')]
    user = next(json.loads(line) for line in lines if line.startswith('{"user"'))

    def refused(extra, words):
        r, after = import_lines(head + [json.dumps(x, ensure_ascii=False) for x in extra])
        assert r.returncode == 1, (extra, r.stdout)
        assert words.encode() in r.stderr, (words, r.stderr)
        assert len(after) == 1, after  # only the format line: nothing was imported

    def with_user(**changes):
        return {'user': dict(user['user'], **changes)}

    refused([with_user(org='no-such-org')], "organization 'no-such-org' does not exist")
    refused([with_user(roles='owner-editor root')], 'not all known roles')
    refused([with_user(email='Not-Lower@x.kz')], 'lower case')
    refused([with_user(status='active', password_hash=None)], 'without a password')
    refused([with_user(created_at='yesterday')], 'RFC 3339')
    refused([with_user(is_admin=True)], "'is_admin' is not a field")
    refused([{'user': {k: v for k, v in user['user'].items() if k != 'email'}}], "needs 'email'")
    refused([{'token': {'id': 't1', 'name': 'n', 'hash': 'h', 'role': '', 'user_id': 'ghost',
                        'scopes': 'read', 'created_at': '2026-01-01T00:00:00.000Z'}}], 'token refused')
    refused([user, {'token': {'id': 't1', 'name': 'n', 'hash': 'h', 'role': '', 'user_id': user['user']['id'],
                              'scopes': 'admin', 'created_at': '2026-01-01T00:00:00.000Z'}}], 'scopes')
    refused([{'calendar_year': {'year': 2026, 'entries': [{'date': '2027-01-01', 'type': 'day_off'}],
                                'updated_at': '2026-01-01T00:00:00.000Z', 'updated_by': 'x'}}],
            'calendar year 2026')
    refused([{'obligation': {'id': 'o1', 'policy': 'no_such_policy', 'policy_value': 1, 'subject': 's',
                             'debtor_role': 'integrator-verifier', 'started_at': '2026-01-01T00:00:00.000Z',
                             'due_at': '2026-01-02T00:00:00.000Z'}}], 'not in the metamodel')
    refused([{'application': {'id': 'a1', 'submitted_at': '2026-01-01T00:00:00.000Z', 'ip': '1.2.3.4',
                              'data': {}, 'status': 'pending', 'obligation_id': 'gone'}}],
            "obligation 'gone' does not exist")
    refused([{'session': {'hash': 'x'}}], "unknown entry 'session'")
    refused([{'inbox': {'id': 1, 'user_id': 'ghost', 'created_at': '2026-01-01T00:00:00.000Z', 'template': 't',
                        'subject': 's', 'body': 'b'}}], 'inbox refused')
    refused([{'outbox': {'id': 1, 'created_at': '2026-01-01T00:00:00.000Z', 'recipient': 'a@b.kz', 'template': 't',
                         'subject': 's', 'body': 'b', 'attempts': -1}}], 'negative attempts')
    refused([{'outbox': {'id': 1, 'created_at': '2026-01-01T00:00:00.000Z', 'recipient': 'a@b.kz', 'template': 't',
                         'subject': 's', 'body': 'b', 'next_attempt_at': 'soon'}}], 'RFC 3339')


def main():
    global SRV, ADMIN, INTEGRATOR, SMTP
    with SMTPServer() as smtp, Server(demo=True, extra=['--smtp', f'smtp://127.0.0.1:{smtp.port}',
                                                         '--mail-from', 'portal@e2e.gov.kz',
                                                         '--scan-every-s', '0']) as srv:
        SMTP = smtp
        SRV = srv
        ADMIN = srv.token('admin')
        INTEGRATOR = srv.token('integrator-verifier', 'org-nit')
        run([test_application_grant_activation_and_own_writes, test_refusal_needs_a_reason_and_is_sent,
             test_brute_force_locks_without_enumeration, test_session_fixation_and_token_lifecycle,
             test_restricted_fields_are_hidden_from_the_public, test_rights_matrix,
             test_rights_changes_are_audited_and_end_sessions, test_verifiers_grant_owner_roles_only,
             test_no_usable_secret_in_stored_mail, test_reset_answer_takes_the_same_time,
             test_reset_mail_goes_to_known_addresses_only, test_account_fields_are_one_line,
             test_policies_and_calendar_api, test_architecture_approval_before_2025,
             test_calendar_transfers_and_year_status,
             test_hostile_applications, test_application_consent_reference_and_organisation,
             test_export_and_import_carry_accounts])


if __name__ == '__main__':
    main()
