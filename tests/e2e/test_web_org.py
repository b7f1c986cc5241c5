"""End-to-end tests of the organisation's part of its card (issue 14 item
5): its objects with completeness and status, its open and overdue
deadlines, the map of its objects' relations and the link to the registry
filtered by it — each only as far as the visitor may read."""
import re

from harness import COMPLETE, Server, cli, place_documents, run, valid_bin

SRV = None
ADMIN = OWNER = VERIFIER = None
ORG = OTHER = None
OWNER_EMAIL = STRANGER_EMAIL = None
PASSWORD = 'Corr3ct-Horse-Battery'
W = {}


def make_org(n):
    body = {'name': {'ru': f'Ведомство карточки {n}', 'kk': f'Карточка ведомствосы {n}'},
            'bin': valid_bin(8700 + n), 'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def draft(owner, token, name):
    body = {'kind': 'information_system', 'owner': owner, 'name': {'ru': name}, 'stage': 'creation'}
    body.update(COMPLETE)
    r = SRV.request('POST', '/api/v1/objects', body, token=token)
    assert r.status == 201, r
    return r.json()


def submit(rec, token):
    place_documents(SRV, rec['id'], token)
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=token)
    assert r.status == 200, r


def verify(rec, decision):
    body = {'decision': decision}
    if decision == 'return':
        body['remarks'] = [{'text': 'Уточните назначение'}]
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify', body, token=VERIFIER)
    assert r.status == 200, r


def relate(source, target, token):
    r = SRV.request('POST', '/api/v1/relations', {'type': 'exchanges_data_with', 'source': source,
                                                  'target': target, 'data_carried': 'Сведения'},
                    token=token)
    assert r.status == 201, r


def token_of(email):
    return cli(SRV.data, 'token', 'create', '--name', 'e2e', '--user', email).stdout.decode().strip()


def sign_in(email):
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': PASSWORD})
    assert r.status in (200, 201), r
    return re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)


def card(org, cookie=None, lang='ru'):
    headers = {'Accept': 'text/html'}
    if cookie:
        headers['Cookie'] = f'ap_session={cookie}'
    r = SRV.get(f'/{lang}/organizations/{org}', headers=headers)
    assert r.status == 200, r
    return r.body.decode()


def section(html, sid):
    m = re.search(rf'<section[^>]*id="{sid}".*?</section>', html, re.S)
    return m.group(0) if m else ''


def setup():
    global ORG, OTHER, OWNER, VERIFIER, OWNER_EMAIL, STRANGER_EMAIL
    ORG, OTHER = make_org(1), make_org(2)
    OWNER_EMAIL = SRV.user('owner-editor', ORG)
    OWNER = token_of(OWNER_EMAIL)
    STRANGER_EMAIL = SRV.user('owner-editor', OTHER)
    other_token = SRV.token('owner-editor', OTHER)
    VERIFIER = SRV.token('integrator-verifier', OTHER)
    W['published'] = draft(ORG, OWNER, 'Опубликованная система учёта')
    W['draft'] = draft(ORG, OWNER, 'Черновая система учёта')
    W['returned'] = draft(ORG, OWNER, 'Возвращённая система учёта')
    W['theirs'] = draft(OTHER, other_token, 'Соседняя система учёта')
    for k in ('published', 'theirs'):
        submit(W[k], OWNER if k == 'published' else other_token)
        verify(W[k], 'accept')
    submit(W['returned'], OWNER)
    verify(W['returned'], 'return')
    relate(W['published']['id'], W['theirs']['id'], OWNER)
    relate(W['published']['id'], W['draft']['id'], OWNER)


def test_the_public_sees_only_published_objects():
    # REQ: ROL-05
    html = card(ORG)
    objects = section(html, 'org-objects')
    assert 'Опубликованная система учёта' in objects, objects
    # neither in the list, nor on the map, nor anywhere on the page
    for hidden in ('Черновая система учёта', 'Возвращённая система учёта', W['draft']['id'],
                   W['returned']['id']):
        assert hidden not in html, hidden
    assert f'href="/ru/registry?owner={ORG}"' in objects
    # deadlines are the organisation's and the authorities' to read
    assert 'id="org-deadlines"' not in html
    # the map: its published object and the other organisation's, labelled
    graph = section(html, 'org-map')
    assert 'Опубликованная система учёта' in graph and 'Соседняя система учёта' in graph, graph[:500]
    assert '<svg' in graph
    # another organisation's staff reads what the public reads
    assert 'Черновая система учёта' not in card(ORG, sign_in(STRANGER_EMAIL))
    assert 'id="org-deadlines"' not in card(ORG, sign_in(STRANGER_EMAIL))


def test_the_state_body_sees_its_objects_and_deadlines():
    # REQ: ROL-04
    html = card(ORG, sign_in(OWNER_EMAIL))
    objects = section(html, 'org-objects')
    for name in ('Опубликованная система учёта', 'Черновая система учёта', 'Возвращённая система учёта'):
        assert name in objects, name
    assert 'Objects: 3' in card(ORG, sign_in(OWNER_EMAIL), 'en')
    # each row: status and completeness; the published one has its code
    row = re.search(r'<tr>(?:(?!</tr>).)*Опубликованная система учёта.*?</tr>', objects, re.S).group(0)
    code = SRV.get(f'/api/v1/objects/{W["published"]["id"]}', token=OWNER).json()['accounting_code']
    assert code in row and '%' in row, row
    draft_row = re.search(r'<tr>(?:(?!</tr>).)*Черновая система учёта.*?</tr>', objects, re.S).group(0)
    assert draft_row != row
    deadlines = section(html, 'org-deadlines')
    assert deadlines, 'the owner reads its deadlines'
    assert 'Возвращённая система учёта' in deadlines and f'href="/ru/objects/{W["returned"]["id"]}"' in deadlines
    m = re.search(r'Открытых: (\d+); просроченных: (\d+)', deadlines)
    api = SRV.get(f'/api/v1/obligations?org={ORG}&state=open', token=OWNER).json()['items']
    assert m and int(m.group(1)) == len(api) >= 1, (m and m.group(0), api)
    # the map now holds the draft too
    assert 'Черновая система учёта' in section(html, 'org-map')


def test_other_kinds_have_no_such_section():
    r = SRV.get(f'/ru/objects/{W["published"]["id"]}', headers={'Accept': 'text/html'})
    assert r.status == 200 and 'id="org-objects"' not in r.body.decode()


def main():
    global SRV, ADMIN
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        setup()
        run([test_the_public_sees_only_published_objects,
             test_the_state_body_sees_its_objects_and_deadlines, test_other_kinds_have_no_such_section])


if __name__ == '__main__':
    main()
