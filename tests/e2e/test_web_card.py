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
import urllib.parse

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


def post_form(path, fields, session):
    """A urlencoded POST from the portal's own page with the session."""
    import urllib.parse
    return SRV.request('POST', path, urllib.parse.urlencode(fields).encode(),
                       headers={'Content-Type': 'application/x-www-form-urlencoded',
                                'Cookie': f'ap_session={session[0]}',
                                'Origin': f'http://127.0.0.1:{SRV.port}',
                                'Host': f'127.0.0.1:{SRV.port}'})


def relations_api(rec_id):
    r = SRV.get(f'/api/v1/objects/{rec_id}/relations', token=ADMIN)
    assert r.status == 200, r
    return r.json()['items']


def make_dc(name, owner=None, token=None):
    r = SRV.request('POST', '/api/v1/objects', {
        'kind': 'ict_infrastructure_object', 'owner': owner or ORG, 'stage': 'industrial_operation',
        'name': {'ru': name, 'en': name}, 'infrastructure_type': 'data_center'}, token=token or OWNER)
    assert r.status == 201, r
    return r.json()


def test_relation_added_and_removed_without_javascript():
    # REQ: ROL-02
    rec = make_object('Система со связями', register=False)
    dc = make_dc('Связной ЦОД')
    own = text(page(f'/en/objects/{rec["id"]}', SESSION))
    add = own[own.index('id="relation-add"'):]
    # the types the model allows from and to an information system
    assert '<option value="runs_on:out">Runs on</option>' in add, add[:2000]
    assert '<option value="exchanges_data_with:in">Data-exchange partner of</option>' in add
    assert 'hosts' not in add.split('</select>')[0]  # a data centre hosts, a system does not
    # the search finds the data centre among the allowed kinds only
    found = text(page(f'/en/objects/{rec["id"]}?rel=runs_on:out&rel_q=%D0%A1%D0%B2%D1%8F%D0%B7%D0%BD%D0%BE%D0%B9', SESSION))
    form = found[found.index('portal-rel-create'):]
    form = form[:form.index('</form>')]
    assert f'value="{dc["id"]}"' in form and 'Связной ЦОД' in form, form
    assert f'value="{rec["id"]}"' not in form  # not itself
    # no token: refused, nothing stored
    r = post_form(f'/en/objects/{rec["id"]}/relations', {'rel': 'runs_on:out', 'other': dc['id']}, SESSION)
    assert r.status == 403 and relations_api(rec['id']) == [], r
    r = post_form(f'/en/objects/{rec["id"]}/relations',
                  {'_csrf': SESSION[1], 'rel': 'runs_on:out', 'other': dc['id']}, SESSION)
    assert r.status == 303, r
    assert r.header('Location') == f'/en/objects/{rec["id"]}?done=related#relations', r.header('Location')
    rels = relations_api(rec['id'])
    assert [(x['type'], x['target']) for x in rels] == [('runs_on', dc['id'])], rels
    after = text(page(f'/en/objects/{rec["id"]}?done=related', SESSION))
    assert 'The relation was added.' in after
    sect = section(after, 'relations-h')
    assert 'Связной ЦОД' in sect and f'?remove={rels[0]["id"]}#relation-remove' in sect, sect
    # a type the model does not allow from this kind is refused
    r = post_form(f'/en/objects/{rec["id"]}/relations',
                  {'_csrf': SESSION[1], 'rel': 'uses:in', 'other': dc['id']}, SESSION)
    assert r.status == 422 and 'Choose the type of the relation.' in text(r), r
    # an attribute at fault: the form says so, keeps the input, stores nothing
    peer = make_object('Система-партнёр', register=False)
    r = post_form(f'/en/objects/{rec["id"]}/relations',
                  {'_csrf': SESSION[1], 'rel': 'exchanges_data_with:out', 'other': peer['id'],
                   'rel_q': 'партнёр', 'attr.protocol': 'SOAP', 'attr.channel': 'pigeon'}, SESSION)
    assert r.status == 422, r
    body = text(r)
    # REQ: X-I18N-01
    assert 'The relation was not added: Channel: Choose one of the offered values.' in body, \
        body[body.index('relation-add'):][:1500]
    assert 'value="SOAP"' in body and 'name="attr.data_carried"' in body
    assert len(relations_api(rec['id'])) == 1
    r = post_form(f'/en/objects/{rec["id"]}/relations',
                  {'_csrf': SESSION[1], 'rel': 'exchanges_data_with:out', 'other': peer['id'],
                   'attr.data_carried': 'ИИН', 'attr.direction': 'bidirectional', 'attr.protocol': 'SOAP'}, SESSION)
    assert r.status == 303, r
    ex = [x for x in relations_api(rec['id']) if x['type'] == 'exchanges_data_with']
    assert ex and ex[0]['data_carried'] == 'ИИН' and ex[0]['protocol'] == 'SOAP', ex
    # REQ: ARC-17
    # the data types a flow carries: its own search box, then boxes to tick
    md = {}
    for n in ('Физическое лицо', 'Юридическое лицо', 'Адрес'):
        r = SRV.request('POST', '/api/v1/master_data', {'kind': 'data_subject', 'name': {'ru': n, 'en': n}},
                        token=ADMIN)
        assert r.status == 201, r
        md[n] = r.json()['id']
    peer2 = make_object('Второй партнёр', register=False)
    q = urllib.parse.urlencode({'rel': 'exchanges_data_with:out', 'rel_q': 'партнёр',
                                'attr.data_types._q': 'лицо'})
    found = text(page(f'/en/objects/{rec["id"]}?{q}', SESSION))
    assert 'name="attr.data_types._q"' in found and 'Find among: Data types' in found
    form = found[found.index('portal-rel-create'):]
    form = form[:form.index('</form>')]
    boxes = re.findall(r'type="checkbox" name="attr\.data_types" value="([^"]+)"', form)
    assert sorted(boxes) == sorted([md['Физическое лицо'], md['Юридическое лицо']]), form
    r = post_form(f'/en/objects/{rec["id"]}/relations',
                  [('_csrf', SESSION[1]), ('rel', 'exchanges_data_with:out'), ('other', peer2['id']),
                   ('attr.data_types', md['Физическое лицо']), ('attr.data_types', md['Адрес']),
                   ('attr.channel', 'egov_gateway')], SESSION)
    assert r.status == 303, (r, re.findall(r"usa-alert__text\">([^<]*)", text(r)))
    # the same flow again: said in the page's language, nothing stored
    r = post_form(f'/ru/objects/{rec["id"]}/relations',
                  [('_csrf', SESSION[1]), ('rel', 'exchanges_data_with:out'), ('other', peer2['id'])], SESSION)
    assert r.status == 422 and 'Связь не добавлена: Такая связь уже есть.' in text(r), r
    ex = [x for x in relations_api(rec['id']) if x['type'] == 'exchanges_data_with' and x.get('data_types')]
    assert len(ex) == 1 and sorted(ex[0]['data_types']) == sorted([md['Физическое лицо'], md['Адрес']]), ex
    # a box for something that is not master data: refused, the ticked boxes kept
    r = post_form(f'/en/objects/{rec["id"]}/relations',
                  [('_csrf', SESSION[1]), ('rel', 'exchanges_data_with:in'), ('other', peer2['id']), ('rel_q', 'партнёр'),
                   ('attr.data_types', md['Адрес']), ('attr.data_types', dc['id'])], SESSION)
    assert r.status == 422, r
    kept = text(r)
    assert 'The relation was not added: Data types: Choose an existing record of the right kind.' in kept, re.findall(r'usa-alert__text">([^<]*)', kept)
    assert re.search(r'name="attr\.data_types" value="%s" checked' % md['Адрес'], kept), kept[kept.index('portal-rel-create'):][:3000]
    assert len(relations_api(rec['id'])) == 3
    # removal: a confirmation, then the POST
    conf = text(page(f'/en/objects/{rec["id"]}?remove={rels[0]["id"]}', SESSION))
    box = conf[conf.index('id="relation-remove"'):]
    box = box[:box.index('</form>')]
    action = f'/en/objects/{rec["id"]}/relations/{rels[0]["id"]}/remove'
    assert 'Runs on: Связной ЦОД' in box and f'action="{action}"' in box, box
    r = post_form(action, {}, SESSION)
    assert r.status == 403 and len(relations_api(rec['id'])) == 3, r
    r = post_form(action, {'_csrf': SESSION[1]}, SESSION)
    assert r.status == 303 and r.header('Location').endswith('?done=unrelated#relations'), r
    assert [x['type'] for x in relations_api(rec['id'])] == ['exchanges_data_with'] * 2
    # the public sees no forms
    pub = text(page(f'/en/objects/{make_object("Публичная система")["id"]}'))
    assert 'relation-add' not in pub and '?remove=' not in pub


def test_relation_rights_as_the_api():
    # REQ: ROL-02
    # REQ: ROL-04
    org2 = make_org(2)
    owner2 = SRV.token('owner-editor', org2)
    session2 = sign_in(SRV.user('owner-editor', org2, PASSWORD))
    mine = make_object('Система первого ведомства')
    dc = make_dc('ЦОД первого ведомства')
    r = SRV.request('POST', '/api/v1/relations', {'type': 'runs_on', 'source': mine['id'], 'target': dc['id']},
                    token=OWNER)
    assert r.status == 201, r
    rel = r.json()
    # the other organisation's draft is not found; its registered object is
    hidden = make_dc('Секретный ЦОД второго', owner=org2, token=owner2)
    shown = make_object('Открытая система второго', owner=org2)
    draft = make_object('Черновик для поиска', register=False)
    found = text(page(f'/en/objects/{draft["id"]}?rel=runs_on:out&rel_q=%D0%A6%D0%9E%D0%94', SESSION))
    assert 'ЦОД первого ведомства' in found, found[found.index('relation-add'):][:3000]
    assert hidden['id'] not in found and 'Секретный' not in found, found[found.index('relation-add'):][:3000]
    found = text(page(f'/en/objects/{draft["id"]}?rel=exchanges_data_with:out&rel_q=%D0%9E%D1%82%D0%BA%D1%80%D1%8B%D1%82%D0%B0%D1%8F', SESSION))
    assert f'value="{shown["id"]}"' in found, found[found.index('relation-add'):][:2000]
    # the other organisation's owner may not add from, nor remove, the first one's relations
    other = text(page(f'/en/objects/{mine["id"]}', session2))
    assert 'value="runs_on:out"' not in other and '?remove=' not in other
    for fields in ({'rel': 'runs_on:out', 'other': dc['id']},
                   {'rel': 'exchanges_data_with:out', 'other': shown['id'], 'attr.data_carried': 'x'}):
        r = post_form(f'/en/objects/{mine["id"]}/relations', {'_csrf': session2[1], **fields}, session2)
        assert r.status == 403 and 'You may not add this relation.' in text(r), r
    r = post_form(f'/en/objects/{mine["id"]}/relations/{rel["id"]}/remove', {'_csrf': session2[1]}, session2)
    assert r.status == 404, r  # its end, a draft, is not theirs to see: nor the relation
    assert [x['id'] for x in relations_api(mine['id'])] == [rel['id']]
    # nor relate a record it may not read: the first one's draft
    r = post_form(f'/en/objects/{shown["id"]}/relations',
                  {'_csrf': session2[1], 'rel': 'exchanges_data_with:out', 'other': draft['id'],
                   'attr.data_carried': 'x'}, session2)
    assert r.status == 422 and relations_api(draft['id']) == [], r


def test_missing_relation_links_to_its_form():
    # REQ: REG-04
    body = {'kind': 'information_system', 'owner': ORG, 'name': {'ru': 'Система без ЦОД'},
            'stage': 'industrial_operation', 'commissioning_date': '2025-01-10'}
    body.update(COMPLETE)
    r = SRV.request('POST', '/api/v1/objects', body, token=OWNER)
    assert r.status == 201, r
    rec = r.json()
    own = text(page(f'/en/objects/{rec["id"]}', SESSION))
    link = f'href="/en/objects/{rec["id"]}?rel=runs_on:out#relation-add"'
    assert link in own, own[own.index('usa-summary-box'):][:3000]
    form = text(page(f'/en/objects/{rec["id"]}?rel=runs_on:out', SESSION))
    assert '<option value="runs_on:out" selected>' in form


def test_a_new_kind_gets_a_card_without_code():
    # A copy of the model with one more kind, collection and relation type
    # (labels only): its records get a working card, its relation a form.
    import json
    from harness import SOURCE
    model = json.load(open(os.path.join(SOURCE, 'model/egov-kz.json'), encoding='utf-8'))
    lab = lambda s: {'kk': s + ' (kk)', 'ru': s + ' (ru)', 'en': s}
    model['collections']['gadgets'] = {'label': lab('Gadgets'), 'type': 'records'}
    model['kinds']['test_gadget'] = {
        'label': lab('Gadget'), 'collection': 'gadgets', 'owned': True, 'named': True,
        'fields': [{'name': 'serial', 'type': 'string', 'label': lab('Serial number'), 'searchable': True},
                   {'name': 'direction', 'type': 'enum', 'label': lab('Way'), 'enum': 'exchange_direction'}]}
    model['relations']['feeds'] = {
        'label': lab('Feeds'), 'inverse': 'fed_by', 'inverse_label': lab('Fed by'),
        'source': ['test_gadget'], 'target': ['information_system'],
        'attributes': [{'name': 'rate', 'type': 'integer', 'label': lab('Rate'), 'required': True}]}
    d = tempfile.mkdtemp(prefix='archportal-model-')
    path = os.path.join(d, 'model.json')
    json.dump(model, open(path, 'w', encoding='utf-8'), ensure_ascii=False)
    global SRV
    main_srv = SRV
    try:
        with Server(extra=['--model', path]) as srv:
            SRV = srv
            admin = srv.token('admin')
            org = srv.request('POST', '/api/v1/organizations', {
                'name': {'ru': 'Ведомство гаджетов'}, 'bin': valid_bin(8499),
                'org_type': 'central_state_body', 'email': 'g@gov.kz'}, token=admin).json()['id']
            r = srv.request('POST', '/api/v1/gadgets', {'kind': 'test_gadget', 'owner': org,
                            'name': {'en': 'Blue gadget'}, 'serial': 'SN-42', 'direction': 'bidirectional'},
                            token=admin)
            assert r.status == 201, r
            g = r.json()
            r = srv.request('POST', '/api/v1/objects', {'kind': 'information_system', 'owner': org,
                            'name': {'en': 'Fed system'}, 'stage': 'creation'}, token=admin)
            assert r.status == 201, r
            target = r.json()
            session = sign_in(srv.user('admin', None, PASSWORD))
            for lang in ('kk', 'ru', 'en'):
                assert page(f'/{lang}/gadgets/{g["id"]}').status == 200
            body = text(page(f'/en/gadgets/{g["id"]}', session))
            general = section(body, 'general-h')
            assert '<dt>Serial number</dt>' in general and 'SN-42' in general, general
            assert '<dt>Way</dt>' in general and 'Both ways' in general, general
            assert 'Blue gadget' in body and '<p class="portal-card-kind">Gadget</p>' in body
            assert '<option value="feeds:out">Feeds</option>' in body
            found = text(page(f'/en/gadgets/{g["id"]}?rel=feeds:out&rel_q=Fed', session))
            assert f'value="{target["id"]}"' in found and 'name="attr.rate"' in found
            r = post_form(f'/en/gadgets/{g["id"]}/relations', {'_csrf': session[1], 'rel': 'feeds:out',
                          'other': target['id'], 'attr.rate': '7'}, session)
            assert r.status == 303, r
            r = srv.get(f'/api/v1/gadgets/{g["id"]}/relations', token=admin)
            assert [(x['type'], x['rate']) for x in r.json()['items']] == [('feeds', 7)], r
            # the system's card shows the inverse, linked to the gadget's card
            other = text(page(f'/en/objects/{target["id"]}', session))
            assert 'Fed by' in other and f'href="/en/gadgets/{g["id"]}"' in other
            assert page(f'/en/gadgets/{target["id"]}').status == 404
    finally:
        SRV = main_srv


def panel(body):
    """The control panel at the top of the card."""
    start = body.index('class="portal-card-panel"')
    return body[start:body.index('usa-summary-box', start)]


def test_card_is_the_owners_control_panel():
    # REQ: REG-03
    # REQ: REG-04
    # REQ: DOC-04
    rec = make_object('Система панели', register=False)
    own = text(page(f'/en/objects/{rec["id"]}', SESSION))
    top = panel(own)
    # where it is: the workflow's path, the current step marked
    segs = re.findall(r'<li class="usa-step-indicator__segment([^"]*)"[^>]*><span class="usa-step-indicator__segment-label">([^<]*)', top)
    assert [(c.strip(), l.strip()) for c, l in segs] == [
        ('usa-step-indicator__segment--current', 'Draft'), ('', 'Submitted for verification'),
        ('', 'Registered')], segs
    assert 'aria-current="step"' in top
    # the actions now, as buttons; no submit while something blocks it
    acts = re.findall(r'class="usa-button usa-button--outline" href="([^"]*)">([^<]*)</a>', top)
    assert [a[1] for a in acts] == ['Edit', 'Upload a document', 'Add a relation'], acts
    assert acts[0][0] == f'/en/objects/{rec["id"]}/edit'
    assert '/submit"' not in top
    # one list of what blocks submission: the submit check's own
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=OWNER)
    assert r.status == 422, r
    gaps = r.json().get('gaps') or r.json()
    n = sum(len(gaps.get(k, [])) for k in ('fields', 'documents', 'relations', 'rules'))
    box = own[own.index('usa-summary-box'):own.index('</ul>', own.index('id="blockers"'))]
    assert 'What keeps it from being sent for verification:' in box
    assert box.count('<li>') == n and n > 0, (n, box)
    # a document slot says why it is still missing
    with open(FX['docx'], 'rb') as f:
        body, ctype = multipart([('type', 'technical_specification')], [('file', 'ts.docx', f.read())])
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/documents', body,
                    headers={'Content-Type': ctype}, token=OWNER)
    assert r.status == 201, r
    docs = section(text(page(f'/en/objects/{rec["id"]}', SESSION)), 'documents-h')
    ts = docs[docs.index('id="doc-technical_specification"'):]
    ts = ts[:ts.index('</li>\n')]
    assert 'A DOCX draft is there; the signed copy as PDF/A-1 is what counts.' in ts, ts
    ct = docs[docs.index('id="doc-contract"'):]
    assert 'Nothing is placed yet' in ct[:ct.index('</li>\n')]
    # complete: the submit button, labelled by the model's transition
    place_documents(SRV, rec['id'], OWNER)
    top = panel(text(page(f'/en/objects/{rec["id"]}', SESSION)))
    m = re.search(r'<form method="post" action="([^"]*)">.*?name="revision" value="(\d+)".*?<button class="usa-button" type="submit">([^<]*)</button>', top, re.S)
    assert m and m.group(1) == f'/en/objects/{rec["id"]}/submit' and m.group(3) == 'Submit for verification', top
    r = post_form(m.group(1), {'_csrf': SESSION[1], 'revision': m.group(2)}, SESSION)
    assert r.status == 303, r
    top = panel(text(page(f'/en/objects/{rec["id"]}', SESSION)))
    segs = re.findall(r'<li class="usa-step-indicator__segment([^"]*)"', top)
    assert [c.strip() for c in segs] == ['usa-step-indicator__segment--complete',
                                         'usa-step-indicator__segment--current', ''], segs
    assert '>Edit<' not in top and '/submit"' not in top  # locked while it is verified
    # the verifier is offered the review
    vs = sign_in(SRV.user('integrator-verifier', None, PASSWORD))
    top = panel(text(page(f'/en/objects/{rec["id"]}', vs)))
    assert f'href="/en/objects/{rec["id"]}/verify">Review the record</a>' in top, top
    # the public sees no actions
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify', {'decision': 'accept'}, token=VERIFIER)
    assert r.status == 200, r
    top = panel(text(page(f'/en/objects/{rec["id"]}')))
    assert 'usa-button' not in top and 'segment--current" aria-current="step"><span class="usa-step-indicator__segment-label">Registered' in top, top


def test_review_screen():
    # REQ: REG-04
    # REQ: X-I18N-01
    vs = sign_in(SRV.user('integrator-verifier', None, PASSWORD))
    rec = make_object('Система на проверке', register=False)
    peer = make_object('Соседняя система')
    r = SRV.request('POST', '/api/v1/relations', {'type': 'exchanges_data_with', 'source': rec['id'],
                    'target': peer['id'], 'data_carried': 'ИИН'}, token=OWNER)
    assert r.status == 201, r
    place_documents(SRV, rec['id'], OWNER)
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=OWNER)
    assert r.status == 200, r
    url = f'/en/objects/{rec["id"]}/verify'
    body = text(page(url, vs))
    h2 = re.findall(r'<h2[^>]*>([^<]*)</h2>', body)
    assert h2 == ['The record in the three languages', 'Documents', 'What is still missing', 'Relations'], h2
    # the record in the three languages: a translation missing shows as such
    data = section(body, 'verify-data-h')
    purpose = data[data.index('<strong>Purpose</strong>'):]
    purpose = purpose[:purpose.index('</details>')]
    assert '<span lang="ru">Учёт обращений граждан</span>' in purpose, purpose
    assert purpose.count('Not given') == 2, purpose
    name = data[data.index('<strong>Name</strong>'):]
    assert '<span lang="en">Система на проверке</span>' in name[:name.index('</details>')]
    # a remark per field, revealed with a click: no visible box per field
    assert data.count('<details class="portal-remark-add"') == data.count('name="remark.') > 5
    assert ' open>' not in data
    docs = section(body, 'verify-docs-h')
    assert 'PDF/A-1B, checked on upload' in docs and 'Technical specification' in docs, docs
    assert 'Nothing: the record is complete.' in section(body, 'verify-gaps-h')
    assert 'Exchanges data with' in section(body, 'verify-rels-h') and 'Соседняя система' in body
    rev = re.search(r'name="revision" value="(\d+)"', body).group(1)
    # a stale revision while it awaits a decision: said so, the page again
    r = post_form(url, {'_csrf': vs[1], 'revision': str(int(rev) - 1), 'decision': 'accept'}, vs)
    assert r.status == 409 and 'changed the record while you reviewed it' in text(r), r
    # a remark kept open when the page comes back with an error
    r = post_form(url, {'_csrf': vs[1], 'revision': '1', 'decision': 'return', 'remark.purpose': 'Уточните'}, vs)
    assert r.status == 409 and '<details class="portal-remark-add" id="r-purpose-add" open>' in text(r), r
    # accepting shows the code just assigned
    r = post_form(url, {'_csrf': vs[1], 'revision': rev, 'decision': 'accept'}, vs)
    assert r.status == 303 and r.header('Location') == f'/en/verification?record={rec["id"]}&done=verified', r
    code = SRV.get(f'/api/v1/objects/{rec["id"]}', token=ADMIN).json()['accounting_code']
    q = text(page(r.header('Location'), vs))
    assert f'registered with the accounting code {code}.' in q and 'Система на проверке' in q, q
    # a record awaiting no review: said plainly, with its state
    r = page(url, vs)
    assert r.status == 409, r
    assert 'This object is not awaiting verification. Its status now: Registered' in text(r), text(r)
    r = post_form(url, {'_csrf': vs[1], 'revision': rev, 'decision': 'accept'}, vs)
    assert r.status == 409 and 'Its status now: Registered' in text(r), r
    # a change of the registered record: before and after per field
    cur = SRV.get(f'/api/v1/objects/{rec["id"]}', token=OWNER).json()
    r = SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}', {'legal_basis': 'Приказ № 3'},
                    token=OWNER, headers={'Content-Type': 'application/merge-patch+json',
                                          'If-Match': f'"{cur["revision"]}"'})
    assert r.status == 200 and r.json().get('review') == 'pending', r
    # the owner's card: registered, its changes under review
    top = panel(text(page(f'/en/objects/{rec["id"]}', SESSION)))
    assert '<span class="usa-tag">Changes under review</span>' in top, top
    assert 'segment--current" aria-current="step"><span class="usa-step-indicator__segment-label">Registered' in top
    body = text(page(url, vs))
    ch = section(body, 'verify-changes-h')
    rows = re.findall(r'<tr><th scope="row"[^>]*>([^<]*)</th><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td></tr>', ch)
    assert rows == [('Legal basis', 'Приказ № 1', 'Приказ № 3')], ch
    # the owner's queue entry goes once accepted; the code stays
    rev = re.search(r'name="revision" value="(\d+)"', body).group(1)
    r = post_form(url, {'_csrf': vs[1], 'revision': rev, 'decision': 'accept'}, vs)
    assert r.status == 303, r
    assert f'registered with the accounting code {code}.' in text(page(r.header('Location'), vs))


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
             test_markup_in_names_is_text, test_not_found,
             test_relation_added_and_removed_without_javascript, test_relation_rights_as_the_api,
             test_missing_relation_links_to_its_form, test_a_new_kind_gets_a_card_without_code,
             test_card_is_the_owners_control_panel, test_review_screen])


if __name__ == '__main__':
    main()
