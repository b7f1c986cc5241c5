"""End-to-end tests of the card page /{lang}/objects/{id} (issue 5): every
section renders, restricted fields only for the owner, the upload form
without JavaScript (multipart POST with the _csrf field first, refused
without it, a refused file's problems shown next to its type), names with
markup shown as text in the page and inside the relations' SVG, and 404s
for what does not exist or may not be seen."""
import html
import importlib.util
import os
import re
import tempfile
import time
import uuid

from harness import COMPLETE, Server, multipart, place_documents, run, valid_bin

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    'make_documents', os.path.join(HERE, '..', 'fixtures', 'make-documents.py'))
FX_MOD = importlib.util.module_from_spec(spec)
spec.loader.exec_module(FX_MOD)

SRV = None
ADMIN = VERIFIER = OWNER = None
ORG = None
SESSION = None  # (cookie, csrf) of the owner's editor
FX = {}
EVIL = '<script>alert(1)</script>'
PASSWORD = 'Corr3ct-Horse-Battery'


def make_org(n):
    body = {'name': {'ru': f'Ведомство {n}'}, 'bin': valid_bin(8400 + n),
            'org_type': 'central_state_body', 'email': f'office{n}@gov.kz'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def make_object(name, register=True, owner=None):
    body = {'kind': 'information_system', 'owner': owner or ORG, 'name': {'ru': name, 'en': name},
            'stage': 'creation'}
    body.update(COMPLETE)
    r = SRV.request('POST', '/api/v1/objects', body, token=OWNER if owner is None else ADMIN)
    assert r.status == 201, r
    rec = r.json()
    if register:
        place_documents(SRV, rec['id'], OWNER if owner is None else ADMIN)
        r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=OWNER if owner is None else ADMIN)
        assert r.status == 200, r
        r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify', {'decision': 'accept'},
                        token=VERIFIER)
        assert r.status == 200, r
        rec = r.json()
    return rec


def sign_in(email):
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': PASSWORD})
    assert r.status in (200, 201), r
    m = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie') or '')
    assert m, r.headers
    return m.group(1), r.json()['csrf_token']


def page(path, session=None):
    headers = {'Accept': 'text/html'}
    if session:
        headers['Cookie'] = f'ap_session={session[0]}'
    return SRV.get(path, headers=headers)


def text(resp):
    return resp.body.decode('utf-8')


def post_upload(rec_id, fields, file_name='pdfa1b', session=None, lang='en'):
    with open(FX[file_name], 'rb') as f:
        data = f.read()
    body, ctype = multipart(fields, [('file', os.path.basename(FX[file_name]), data)])
    s = session or SESSION
    return SRV.request('POST', f'/{lang}/objects/{rec_id}/documents', body,
                       headers={'Content-Type': ctype, 'Cookie': f'ap_session={s[0]}',
                                'Origin': f'http://127.0.0.1:{SRV.port}',
                                'Host': f'127.0.0.1:{SRV.port}'})


def checklist(rec_id):
    r = SRV.get(f'/api/v1/objects/{rec_id}/documents', token=OWNER)
    assert r.status == 200, r
    return {i['type']: i for i in r.json()['items']}




def section(body, heading_id):
    """The HTML of the <section> labelled by heading_id."""
    start = body.index(f'aria-labelledby="{heading_id}"')
    return body[start:body.index('</section>', start)]


def test_every_section_renders():
    # REQ: X-I18N-01
    # REQ: REG-06
    # REQ: DOC-04
    rec = make_object('Система карточки')
    dc = SRV.request('POST', '/api/v1/objects', {
        'kind': 'ict_infrastructure_object', 'owner': ORG, 'stage': 'industrial_operation',
        'name': {'ru': 'ЦОД карточки', 'en': 'Card data centre'}, 'infrastructure_type': 'data_center'},
        token=OWNER)
    assert dc.status == 201, dc
    r = SRV.request('POST', '/api/v1/relations',
                    {'type': 'runs_on', 'source': rec['id'], 'target': dc.json()['id']}, token=OWNER)
    assert r.status == 201, r
    r = SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}', {'legal_basis': 'Приказ № 2'},
                    token=OWNER, headers={'Content-Type': 'application/merge-patch+json',
                                          'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    for lang in ('kk', 'ru', 'en'):
        r = page(f'/{lang}/objects/{rec["id"]}')
        assert r.status == 200, r
        assert r.header('Content-Type').startswith('text/html')
        assert 'upload.' in text(r) and 'card.' in text(r)
    body = text(page(f'/en/objects/{rec["id"]}'))
    # headings in order: one h1, then the sections' h2
    heads = re.findall(r'<h([1-6])\b', body[body.index('<main'):])
    assert heads[0] == '1' and heads.count('1') == 1, heads
    assert all(int(b) - int(a) <= 1 for a, b in zip(heads, heads[1:])), heads
    h2 = re.findall(r'<h2[^>]*>([^<]*)</h2>', body)
    assert h2 == ['Summary', 'General data', 'Documents', 'Relations', 'Registration', 'History'], h2
    # the summary box: status, code, stage, completeness, deadlines
    box = body[body.index('usa-summary-box'):body.index('</dl>', body.index('usa-summary-box'))]
    assert 'Registered' in box and rec['accounting_code'] in box, box
    assert 'Completeness' in box and re.search(r'\d+ %', box) and 'Open deadlines' in box, box
    assert 'Creation' in box or 'creation' in box.lower(), box
    # general data: labels of the metamodel, enum labels, lists, references
    general = section(body, 'general-h')
    assert '<dt>Purpose</dt>' in general and 'Учёт обращений граждан' in general
    assert '<dt>Object class</dt>' in general and 'Second class' in general, general
    assert '<li>Приём обращений</li>' in general, general
    assert f'href="/en/organizations/{ORG}"' in general and 'Ведомство 1' in general
    # documents: the checklist with its states
    docs = section(body, 'documents-h')
    # (registered, so what was due is there: registration needs it, 002 §12)
    assert 'Technical specification' in docs and 'Present' in docs and 'Not due at this stage' in docs
    assert 'Missing' not in docs
    assert '<form' not in docs  # the public may not upload
    # relations: the list and the picture with a link to the other card
    # the data centre is a draft: the public does not see it through the relation
    assert 'Card data centre' not in body and 'No relations are recorded.' in section(body, 'relations-h')
    rels = section(text(page(f'/en/objects/{rec["id"]}', SESSION)), 'relations-h')
    assert 'Runs on' in rels and 'Card data centre' in rels, rels
    svg = rels[rels.index('<svg'):rels.index('</svg>')]
    assert f'/en/objects/{dc.json()["id"]}' in svg and 'Card data centre' in svg
    assert '<?xml' not in body and '<!DOCTYPE svg' not in body
    # the data centre's card shows the inverse relation
    other = text(page(f'/en/objects/{dc.json()["id"]}', SESSION))
    assert 'Runs' in section(other, 'relations-h') and 'Система карточки' in other
    # registration: the timeline with its steps and deadline
    tl = section(body, 'timeline-h')
    assert 'Submitted for verification' in tl and rec['accounting_code'] in tl, tl
    assert 'Deadlines' in tl
    assert 'Portal user' in tl and not re.search(r'user:[A-Za-z0-9_-]', body)  # the public is not told who
    # history: revisions, newest first, with before and after; the public
    # sees them from the registration on (test_visibility.py), the owner all
    hist = section(body, 'history-h')
    revs = [int(x) for x in re.findall(r'Revision (\d+):', hist)]
    assert revs == [4, 3], revs
    assert 'Приказ № 1</td><td data-label="After">Приказ № 2' in hist, hist
    hist = section(text(page(f'/en/objects/{rec["id"]}', SESSION)), 'history-h')
    revs = [int(x) for x in re.findall(r'Revision (\d+):', hist)]
    assert revs == sorted(revs, reverse=True) and len(revs) >= 4, revs
    # the organisation's card
    r = page(f'/ru/organizations/{ORG}')
    assert r.status == 200 and 'Ведомство 1' in text(r), r
    assert 'usa-summary-box' not in text(r)  # no workflow, no documents: nothing to sum up
    h2 = re.findall(r'<h2[^>]*>([^<]*)</h2>', text(r))
    # the state body's view: its objects (page-org.c, test_web_org.py)
    assert h2 == ['Общие сведения', 'Её объекты информатизации', 'Связи', 'История изменений'], h2


def test_remarks_and_deadlines_in_the_timeline():
    # REQ: REG-04
    # REQ: REG-05
    rec = make_object('Возвращённая система', register=False)
    place_documents(SRV, rec['id'], OWNER)
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=OWNER)
    assert r.status == 200, r
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify',
                    {'decision': 'return', 'remarks': [{'field': 'purpose', 'text': 'Уточните <назначение>'},
                                                       {'text': 'Приложите договор'}]},
                    token=VERIFIER)
    assert r.status == 200, r
    body = text(page(f'/en/objects/{rec["id"]}', SESSION))
    tl = section(body, 'timeline-h')
    assert '<li>Purpose: Уточните &lt;назначение&gt;</li>' in tl, tl
    assert '<li>Приложите договор</li>' in tl, tl
    box = body[body.index('usa-summary-box'):body.index('</dl>', body.index('usa-summary-box'))]
    m = re.search(r'Open deadlines</dt><dd>(\d+)', box)
    assert m and int(m.group(1)) >= 1, box
    assert 'Overdue' not in tl
    assert re.search(r'due \d{4}-\d\d-\d\d', tl), tl


def test_restricted_fields_only_for_the_owner():
    # REQ: REG-01
    rec = make_object('Система с контактами')
    public = text(page(f'/en/objects/{rec["id"]}'))
    assert COMPLETE['contacts'] not in public
    assert 'Contact data are shown only' in public
    own = text(page(f'/en/objects/{rec["id"]}', SESSION))
    assert COMPLETE['contacts'] in section(own, 'general-h')
    assert 'Contact data are shown only' not in own
    # the organisation's e-mail too
    assert 'office1@gov.kz' not in text(page(f'/en/organizations/{ORG}'))
    assert 'office1@gov.kz' in text(page(f'/en/organizations/{ORG}', SESSION))
    # and in the history
    assert COMPLETE['contacts'] not in section(public, 'history-h')


def test_upload_without_javascript():
    # REQ: DOC-01
    rec = make_object('Система для загрузки')
    own = text(page(f'/en/objects/{rec["id"]}', SESSION))
    docs = section(own, 'documents-h')
    # Appendix 1's 15 items, 6 and 7 one slot per document
    assert docs.count('enctype="multipart/form-data"') == 18, docs.count('enctype')
    form = docs[docs.index('id="doc-technical_specification"'):]
    form = form[:form.index('</form>')]
    assert form.index('name="_csrf"') < form.index('name="file"')
    assert f'action="/en/objects/{rec["id"]}/documents"' in form
    r = post_upload(rec['id'], [('_csrf', SESSION[1]), ('type', 'technical_specification')])
    assert r.status == 303, r
    loc = r.header('Location')
    assert loc.startswith(f'/en/objects/{rec["id"]}?uploaded='), loc
    after = page(loc.split('#')[0], SESSION)
    assert after.status == 200
    body = text(after)
    assert 'The document has been placed on the portal.' in body
    item = section(body, 'documents-h')
    item = item[item.index('id="doc-technical_specification"'):]
    item = item[:item.index('</li>\n')]
    m = re.search(r'href="(/api/v1/documents/[^"]+/content)">pdfa1b.pdf</a>', item)
    assert m and 'Present' in item, item
    assert checklist(rec['id'])['technical_specification']['state'] == 'present'
    # the link downloads with the session cookie
    d = SRV.get(m.group(1), headers={'Cookie': f'ap_session={SESSION[0]}'})
    assert d.status == 200 and d.body.startswith(b'%PDF'), d
    # in Kazakh, the redirect stays in Kazakh
    r = post_upload(rec['id'], [('_csrf', SESSION[1]), ('type', 'contract')], lang='kk')
    assert r.status == 303 and r.header('Location').startswith('/kk/objects/'), r


def test_upload_without_or_with_a_wrong_token_stores_nothing():
    rec = make_object('Система без токена', register=False)
    before = SRV.blob_files()
    for fields in ([('type', 'technical_specification')],
                   [('_csrf', 'x' * len(SESSION[1])), ('type', 'technical_specification')],
                   [('_csrf', ''), ('type', 'technical_specification')],
                   [('type', 'technical_specification'), ('_csrf', SESSION[1])]):
        r = post_upload(rec['id'], fields)
        assert r.status == 403, (fields, r)
        assert SRV.blobs_back_to(before), fields
    assert checklist(rec['id'])['technical_specification']['state'] == 'missing'
    # a form from another site is refused too
    with open(FX['pdfa1b'], 'rb') as f:
        body, ctype = multipart([('_csrf', SESSION[1]), ('type', 'contract')], [('file', 'a.pdf', f.read())])
    r = SRV.request('POST', f'/en/objects/{rec["id"]}/documents', body,
                    headers={'Content-Type': ctype, 'Cookie': f'ap_session={SESSION[0]}',
                             'Origin': 'https://evil.example'})
    assert r.status == 403 and SRV.blobs_back_to(before), r
    # the public may not upload at all
    r = SRV.request('POST', f'/en/objects/{rec["id"]}/documents', body, headers={'Content-Type': ctype})
    assert r.status == 403 and SRV.blobs_back_to(before), r


def test_refused_file_shows_its_problems():
    # REQ: DOC-01
    rec = make_object('Система с плохим файлом', register=False)
    before = SRV.blob_files()
    r = post_upload(rec['id'], [('_csrf', SESSION[1]), ('type', 'technical_specification')],
                    file_name='text-as-pdf')
    assert r.status == 422, r
    body = text(r)
    assert 'The file was not accepted' in body
    item = section(body, 'documents-h')
    item = item[item.index('id="doc-technical_specification"'):]
    item = item[:item.index('</form>')]
    assert 'usa-form-group--error' in body and 'id="problems-technical_specification"' in item, item
    problems = re.findall(r'<li>([^<]+)</li>', item[item.index('problems-technical_specification'):])
    assert problems, item
    assert SRV.blobs_back_to(before)
    assert checklist(rec['id'])['technical_specification']['state'] == 'missing'


def test_refused_pdfa_problems_in_the_pages_language():
    # REQ: DOC-01
    # REQ: X-I18N-01
    # the file of issue 13: it claims PDF/A-1b; the page names each defect
    # in its own language (the API's English details never reach it)
    rec = make_object('Система с ложным PDF/A', register=False)
    before = SRV.blob_files()
    want = {
        'ru': ['PDF содержит JavaScript', 'при открытии, закрытии',
               'запускает программу', 'нет условия вывода PDF/A', 'не встроенный в файл'],
        'kk': ['құрамында JavaScript бар', 'ашқанда, жапқанда',
               'бағдарламаны іске қосатын', 'шығару шарты жоқ', 'ендірілмеген қаріпті'],
        'en': ['contains JavaScript', 'on opening, closing', 'starts a program',
               'no PDF/A output intent', 'not embedded in it'],
    }
    for lang, phrases in want.items():
        r = post_upload(rec['id'], [('_csrf', SESSION[1]), ('type', 'technical_specification')],
                        file_name='pdfa-liar', lang=lang)
        assert r.status == 422, r
        item = section(text(r), 'documents-h')
        item = item[item.index('id="problems-technical_specification"'):]
        problems = [html.unescape(p) for p in re.findall(r'<li>([^<]+)</li>', item[:item.index('</ul>')])]
        assert len(problems) == len(phrases), (lang, problems)
        for phrase in phrases:
            assert any(phrase in p for p in problems), (lang, phrase, problems)
        assert not any('declares PDF/A-1 but' in p for p in problems), problems
    assert SRV.blobs_back_to(before)
    assert checklist(rec['id'])['technical_specification']['state'] == 'missing'


def test_markup_in_names_is_text():
    evil = make_object(EVIL)
    rec = make_object('Система рядом со злой')
    r = SRV.request('POST', '/api/v1/relations',
                    {'type': 'exchanges_data_with', 'source': rec['id'], 'target': evil['id'], 'data_carried': 'ИИН'},
                    token=OWNER)
    assert r.status == 201, r
    for path in (f'/en/objects/{evil["id"]}', f'/en/objects/{rec["id"]}'):
        body = text(page(path))
        assert EVIL not in body and '<script>alert' not in body, path
        assert html.escape(EVIL) in body or '&lt;script&gt;alert(1)&lt;/script&gt;' in body, path
        rels = section(body, 'relations-h')
        svg = rels[rels.index('<svg'):rels.index('</svg>')]
        assert '&lt;script&gt;alert(1)&lt;/script&gt;' in svg, svg
        assert '<script' not in svg.lower() and 'javascript:' not in svg.lower()
        # nothing in the SVG may carry script or style
        assert not re.search(r'\son\w+=|\sstyle=|<foreignObject', svg, re.I), svg
    # a name with quotes, ampersands and Graphviz escapes
    odd = make_object('A "quoted" & \\N <b>name</b>')
    r = SRV.request('POST', '/api/v1/relations',
                    {'type': 'exchanges_data_with', 'source': rec['id'], 'target': odd['id'], 'data_carried': 'ИИН'},
                    token=OWNER)
    assert r.status == 201, r
    body = text(page(f'/en/objects/{rec["id"]}'))
    svg = body[body.index('<svg'):body.index('</svg>')]
    assert '<b>' not in svg and '&lt;b&gt;name&lt;/b&gt;' in svg, svg
    assert '\\N' in svg  # Graphviz's \N (the node's name) stays literal


def test_not_found():
    for path in ('/en/objects/obj-no-such-thing', '/ru/organizations/org-nope',
                 '/en/objects/bad%20id', '/kk/objects/' + 'x' * 300):
        r = page(path)
        assert r.status == 404, (path, r)
        assert r.header('Content-Type').startswith('text/html')
    # a draft is not on the portal for the public (nor for other organisations)
    rec = make_object('Черновик', register=False)
    assert page(f'/en/objects/{rec["id"]}').status == 404
    assert page(f'/en/objects/{rec["id"]}', SESSION).status == 200
    # an organisation's id under objects is not an object's card
    assert page(f'/en/objects/{ORG}').status == 404


def main():
    global SRV, ADMIN, VERIFIER, OWNER, ORG, SESSION
    fx_dir = os.environ.get('DOC_FIXTURES') or os.path.join(tempfile.gettempdir(), 'archportal-fixtures')
    os.makedirs(fx_dir, exist_ok=True)
    FX.update(FX_MOD.make_all(fx_dir))
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        VERIFIER = srv.token('integrator-verifier')
        ORG = make_org(1)
        OWNER = srv.token('owner-editor', ORG)
        SESSION = sign_in(srv.user('owner-editor', ORG, PASSWORD))
        run([test_every_section_renders, test_remarks_and_deadlines_in_the_timeline,
             test_restricted_fields_only_for_the_owner,
             test_upload_without_javascript, test_upload_without_or_with_a_wrong_token_stores_nothing,
             test_refused_file_shows_its_problems, test_refused_pdfa_problems_in_the_pages_language,
             test_markup_in_names_is_text, test_not_found])


if __name__ == '__main__':
    main()
