"""End-to-end tests of the web forms and workspaces (issue 5): the create and
edit forms generated from the metamodel (a control per field type), the
registry's validation errors shown beside their fields with the input kept,
text shown as text, a stale revision, submission with gaps, the owner's
workspace (objects, deadlines, inbox) and the integrator's (the queue, the
verification form that returns with a remark per field or registers)."""
import html
import os
import re
import sqlite3
import urllib.parse

from harness import COMPLETE, Server, place_documents, run, valid_bin

SRV = None
ADMIN = None
ORG = ORG2 = None
OWNER = OTHER = VERIFIER = VIEWER = None  # (cookie, csrf)
PASSWORD = 'Corr3ct-Horse-Battery'
SCRIPT = '<script>alert("x")</script>'


def make_org(n, name):
    body = {'name': {'ru': name}, 'bin': valid_bin(8300 + n), 'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def sign_in(role, org=None):
    email = SRV.user(role, org)
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': PASSWORD})
    assert r.status == 200, r
    cookie = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)
    return cookie, r.json()['csrf_token']


def page(path, who=None):
    headers = {'Cookie': f'ap_session={who[0]}'} if who else {}
    return SRV.request('GET', path, headers=headers)


def post(path, fields, who=None, csrf=True):
    """POSTs a form; fields is a list of (name, value) pairs."""
    pairs = list(fields)
    headers = {'Content-Type': 'application/x-www-form-urlencoded',
               'Origin': f'http://127.0.0.1:{SRV.port}'}
    if who:
        headers['Cookie'] = f'ap_session={who[0]}'
        if csrf:
            pairs.insert(0, ('_csrf', who[1]))
    return SRV.request('POST', path, urllib.parse.urlencode(pairs), headers=headers)


def text(r):
    return r.body.decode()


def api_get(rec_id):
    r = SRV.get(f'/api/v1/objects/{rec_id}', token=ADMIN)
    assert r.status == 200, r
    return r.json()


def created_id(r):
    assert r.status == 303, (r, text(r)[:3000])
    m = re.match(r'^/ru/objects/([^/?]+)\?done=created$', r.header('Location'))
    assert m, r.header('Location')
    return m.group(1)


def is_form(name, **over):
    """The fields of an information system's create form, complete."""
    f = {'name.ru': name, 'name.kk': '', 'name.en': '', 'short_name': 'СО',
         'purpose.ru': 'Учёт обращений граждан', 'functions': 'Приём обращений\r\nУчёт ответов\r\n',
         'stored_data': 'ФИО заявителей', 'class': 'second', 'stage': 'creation',
         'creation_phase': 'software_development',
         'placement': 'icp_eg', 'funding_source': 'state_investment_project',
         'creation_phase': 'software_development',  # Order 129 §9
         'legal_basis': 'Приказ № 1', 'contacts': 'Отдел цифровизации',
         'source_code_transferred._present': '1', 'commissioning_date': '2024-03-01',
         # Appendix 1 items 5 and 14, needed at creation: a row, an object
         'procurement_contracts[0].contract_number': '45-ГЗ',
         'procurement_contracts[0].contract_date': '2025-03-14',
         'procurement_contracts[0].supplier_name': 'ТОО Пример',
         'general_data.summary': 'Учёт обращений граждан'}
    f.update(over)
    return [(k, v) for k, v in f.items() if v is not None]


def test_anonymous_and_other_organisations():
    r = page('/ru/objects/new?kind=information_system')
    assert r.status == 303 and r.header('Location') == \
        '/ru/signin?next=' + urllib.parse.quote('/ru/objects/new?kind=information_system', safe=''), r
    r = post('/ru/objects/new?kind=information_system', is_form('Аноним'))
    assert r.status == 303 and r.header('Location') == '/ru/signin?next=%2Fru%2Fworkspace', r
    for path in ('/kk/workspace', '/en/verification'):
        r = page(path)
        assert r.status == 303 and r.header('Location').startswith(path[:3] + '/signin?next='), r
    rid = created_id(post('/ru/objects/new?kind=information_system', is_form('Чужая система'), OWNER))
    # another organisation's editor sees neither the draft nor its form
    r = page(f'/ru/objects/{rid}/edit', OTHER)
    assert r.status in (403, 404) and 'portal-record-form' not in text(r), r
    r = post(f'/ru/objects/{rid}/edit', is_form('Захват') + [('revision', '1')], OTHER)
    assert r.status in (403, 404), r
    assert api_get(rid)['name']['ru'] == 'Чужая система'
    # a viewer of the owner's organisation reads but may not edit or create
    assert page(f'/ru/objects/{rid}/edit', VIEWER).status == 403
    ws = text(page('/ru/workspace', VIEWER))
    assert 'Чужая система' in ws and f'/objects/{rid}/edit' not in ws
    assert f'/objects/{rid}/edit' in text(page('/ru/workspace', OWNER))
    assert page('/ru/objects/new?kind=information_system', VIEWER).status == 403
    assert page('/ru/objects/new', VIEWER).status == 403
    # only verifiers reach the queue
    assert page('/ru/verification', OWNER).status == 403
    assert page(f'/ru/objects/{rid}/verify', OWNER).status == 403
    r = post(f'/ru/objects/{rid}/verify', [('revision', '1'), ('decision', 'accept')], OWNER)
    assert r.status == 403
    # a form without the session's CSRF token changes nothing
    r = post('/ru/objects/new?kind=information_system', is_form('Без токена'), OWNER, csrf=False)
    assert r.status == 403, r


def test_kind_chooser_and_controls_per_type():
    r = page('/ru/objects/new', OWNER)
    assert r.status == 200, r
    body = text(r)
    assert 'href="/ru/objects/new?kind=information_system"' in body
    assert 'href="/ru/objects/new?kind=internet_resource"' in body
    r = page('/kk/objects/new?kind=information_system', OWNER)
    assert r.status == 200, r
    body = text(r)
    # i18n: three inputs in a fieldset with a legend; required marked
    assert re.search(r'<fieldset class="usa-fieldset" id="f-name"[^>]*>\s*<legend class="usa-legend">[^<]+'
                     r'<abbr[^>]*>\*</abbr>', body), body
    for lang in ('kk', 'ru', 'en'):
        assert f'name="purpose.{lang}"' in body and f'id="f-purpose-{lang}"' in body
    assert re.search(r'<textarea [^>]*id="f-stored_data"', body)            # text
    assert re.search(r'<textarea [^>]*id="f-functions"', body)              # list, one per line
    assert re.search(r'<input [^>]*id="f-commissioning_date"[^>]*type="date"', body)
    assert re.search(r'<input type="hidden" name="source_code_transferred._present" value="1">\s*'
                     r'<div class="usa-checkbox">\s*<input [^>]*id="f-source_code_transferred"'
                     r'[^>]*type="checkbox"', body)                         # bool + companion
    assert re.search(r'<select [^>]*id="f-class"', body)                    # enum
    assert 'type="checkbox" name="operation_measures"' in body               # list of enums
    assert re.search(r'<input [^>]*id="f-short_name"[^>]*type="text"', body)  # string
    # read-only fields are not editable
    for ro in ('status', 'review', 'accounting_code'):
        assert f'name="{ro}"' not in body
    # enum options carry the metamodel's labels in the page's language
    m = re.search(r'<select [^>]*id="f-stage".*?</select>', body, re.S).group(0)
    assert '<option value="creation">' in m and 'Құру' in m, m
    r = page('/en/objects/new?kind=internet_resource', OWNER)
    assert re.search(r'<input [^>]*id="f-url"[^>]*type="url"', text(r))
    r = page('/en/objects/new?kind=ict_service', OWNER)
    body = text(r)
    m = re.search(r'<select [^>]*id="f-provider".*?</select>', body, re.S).group(0)
    assert f'<option value="{ORG2}">' in m and 'Поставщик услуг' in m, m
    assert 'name="provider._q"' in body and 'name="_find" value="provider"' in body
    r = page('/en/objects/new?kind=no_such_kind', OWNER)
    assert r.status == 404


def test_create_with_every_field_type():
    # REQ: X-I18N-01
    # REQ: REG-11
    fields = is_form('Система обращений', **{'name.en': 'Appeals system'}) + [
        ('source_code_transferred', 'true'),
        ('operation_measures', 'commissioning_act'), ('operation_measures', 'certificate'),
        ('warranty_end', '2026-01-31')]
    model = SRV.get('/api/v1/model').json()
    measures = [v['id'] for v in model['enums']['operation_measure']['values']]
    fields = [(k, v) for k, v in fields if k != 'operation_measures'] + \
        [('operation_measures', measures[0]), ('operation_measures', measures[1])]
    rid = created_id(post('/ru/objects/new?kind=information_system', fields, OWNER))
    rec = api_get(rid)
    assert rec['owner'] == ORG and rec['kind'] == 'information_system'
    assert rec['name'] == {'ru': 'Система обращений', 'en': 'Appeals system'}
    assert rec['purpose'] == {'ru': 'Учёт обращений граждан'}
    assert rec['functions'] == ['Приём обращений', 'Учёт ответов']
    assert rec['source_code_transferred'] is True
    # the warranty ends 12 months after commissioning: derived, whatever is sent
    assert rec['commissioning_date'] == '2024-03-01' and rec['warranty_end'] == '2025-03-01'
    assert rec['operation_measures'] == measures[:2]
    assert rec['class'] == 'second' and rec['status'] == 'draft'
    # the edit form shows the stored values; unticking the box sends "off"
    r = page(f'/ru/objects/{rid}/edit', OWNER)
    assert r.status == 200, r
    body = text(r)
    assert 'value="Appeals system"' in body and 'Приём обращений\nУчёт ответов</textarea>' in body
    assert re.search(r'id="f-source_code_transferred"[^>]*value="true" checked', body)
    assert 'id="f-warranty_end"' not in body  # nobody types it
    rev = re.search(r'name="revision" value="(\d+)"', body).group(1)
    edit = [(k, v) for k, v in fields if k not in ('source_code_transferred', 'warranty_end')]
    r = post(f'/ru/objects/{rid}/edit', edit + [('revision', rev)], OWNER)
    assert r.status == 303 and r.header('Location') == f'/ru/objects/{rid}?done=saved', r
    rec = api_get(rid)
    assert rec['source_code_transferred'] is False and rec['warranty_end'] == '2025-03-01'
    # a url and a reference
    r = post('/en/objects/new?kind=internet_resource',
             [('name.ru', 'Сайт'), ('url', 'https://example.gov.kz/'), ('stage', 'creation')], OWNER)
    assert api_get(created_id_lang(r, 'en'))['url'] == 'https://example.gov.kz/'
    r = post('/en/objects/new?kind=ict_service',
             [('name.ru', 'Облако'), ('service_type', first_enum('ict_service_type')),
              ('provider', ORG2), ('in_trusted_register._present', '1'), ('stage', 'creation')], OWNER)
    rec = api_get(created_id_lang(r, 'en'))
    assert rec['provider'] == ORG2 and rec['in_trusted_register'] is False


def test_structured_data_without_javascript():
    # REQ: REG-07
    # Appendix 1's data items as rows and groups of inputs: no script needed,
    # empty rows left out, errors named by row and column, the input kept
    body = text(page('/ru/objects/new?kind=information_system', OWNER))
    rows = re.search(r'<fieldset class="usa-fieldset portal-rows" id="f-procurement_contracts".*?'
                     r'</fieldset>\s*</fieldset>', body, re.S).group(0)
    for i in (0, 1):  # two empty rows on a new form
        assert f'name="procurement_contracts[{i}].contract_number"' in rows, rows
    assert 'name="procurement_contracts[2].contract_number"' not in rows
    assert re.search(r'<input [^>]*id="f-procurement_contracts-0-contract_date" name="procurement_contracts\[0\]'
                     r'\.contract_date" type="date"', rows), rows
    assert 'Заключённые договоры о государственных закупках' in rows
    assert 'По одной строке на каждый договор о государственных закупках' in rows  # the model's help
    assert re.search(r'<fieldset class="usa-fieldset portal-object" id="f-general_data"', body)
    assert 'name="general_data.developer"' in body and 'name="source_code.location"' in body
    m = re.search(r'<select [^>]*name="costs\[0\]\.purpose".*?</select>', body, re.S).group(0)
    assert '<option value="operation">' in m, m
    fields = is_form('Система с данными', stage='industrial_operation', supplier='ТОО Пример',
                     **{'procurement_contracts[0].supplier_bin': valid_bin(8399),
                        'procurement_contracts[0].amount': '125 000 000'})
    fields += [('procurement_contracts[1].contract_number', ''), ('procurement_contracts[1].supplier_name', ''),
               ('procurement_contracts[2].contract_number', '7-ГЗ'),
               ('procurement_contracts[2].contract_date', '2025-09-01'),
               ('procurement_contracts[2].supplier_name', 'ТОО Сопровождение'),
               ('installations[0].place', 'ЦОД ЭП'), ('installations[0].count', 'два'),
               ('deployment[0].organization', 'Министерство'), ('deployment[0].users', '120'),
               ('costs[0].year', '2025'), ('costs[0].purpose', 'creation'), ('costs[0].amount', '125000000.50'),
               ('automation[0].function', 'Приём обращений'), ('automation[0].level', 'full'),
               ('source_code.location', 'Репозиторий оператора'),
               ('classifiers[0].title', 'КАТО'), ('classifiers[1].title', '')]
    r = post('/ru/objects/new?kind=information_system', fields, OWNER)
    assert r.status == 422, r
    body = text(r)
    # a malformed amount comes first, in row 1 of the contracts
    assert 'href="#f-procurement_contracts"' in body, body[:4000]
    assert 'Строка 1, Сумма договора, тенге' in body, body[:4000]
    assert 'value="125 000 000"' in body and 'value="два"' in body and 'value="7-ГЗ"' in body
    fields = [(k, '125000000' if k == 'procurement_contracts[0].amount' else v) for k, v in fields]
    r = post('/ru/objects/new?kind=information_system', fields, OWNER)
    assert r.status == 422 and 'href="#f-installations"' in text(r), r
    assert 'Строка 1, Количество инсталляций' in text(r)
    fields = [(k, '2' if k == 'installations[0].count' else v) for k, v in fields]
    rid = created_id(post('/ru/objects/new?kind=information_system', fields, OWNER))
    rec = api_get(rid)
    assert rec['procurement_contracts'] == [
        {'contract_number': '45-ГЗ', 'contract_date': '2025-03-14', 'supplier_bin': valid_bin(8399),
         'supplier_name': 'ТОО Пример', 'amount': '125000000'},
        {'contract_number': '7-ГЗ', 'contract_date': '2025-09-01', 'supplier_name': 'ТОО Сопровождение'}], rec
    assert rec['installations'] == [{'place': 'ЦОД ЭП', 'count': 2}]
    assert rec['costs'] == [{'year': 2025, 'purpose': 'creation', 'amount': '125000000.5'}]
    assert rec['deployment'] == [{'organization': 'Министерство', 'users': 120}]
    assert rec['general_data'] == {'summary': 'Учёт обращений граждан'}
    assert rec['source_code'] == {'location': 'Репозиторий оператора'}
    assert rec['classifiers'] == [{'title': 'КАТО'}]
    gaps = SRV.get(f'/api/v1/objects/{rid}/workflow', token=ADMIN).json()['gaps']['fields']
    assert [g['field'] for g in gaps] == [], gaps
    # found by a contract's supplier
    assert rid in search('Сопровождение')
    # the edit form: the stored rows, then two empty ones
    body = text(page(f'/ru/objects/{rid}/edit', OWNER))
    assert 'name="procurement_contracts[0].contract_number" type="text" value="45-ГЗ"' in body
    assert 'name="procurement_contracts[1].contract_number" type="text" value="7-ГЗ"' in body
    assert 'name="procurement_contracts[3].contract_number" type="text" value=""' in body
    assert 'name="procurement_contracts[4].contract_number"' not in body
    # a row emptied is removed
    rev = re.search(r'name="revision" value="(\d+)"', body).group(1)
    edit = [(k, '' if k.startswith('procurement_contracts[2]') else v) for k, v in fields]
    r = post(f'/ru/objects/{rid}/edit', edit + [('revision', rev)], OWNER)
    assert r.status == 303, r
    assert [c['contract_number'] for c in api_get(rid)['procurement_contracts']] == ['45-ГЗ']
    # the card shows each item's parts under their labels
    card = text(page(f'/ru/objects/{rid}', OWNER))
    assert re.search(r'<dl class="portal-card-parts"><dt>Номер договора</dt><dd>45-ГЗ</dd>', card), card
    assert '<dt>Количество инсталляций</dt><dd>2</dd>' in card
    assert '<dt>Назначение</dt><dd>Создание</dd>' in card
    # and its documents, items 6 and 7 one slot per document
    assert 'id="doc-user_manual"' in card and '6.1. Руководство пользователя' in card
    assert '7.3. Пояснительная записка (ГОСТ 19.404-79)' in card
    assert 'id="doc-operational_documents"' not in card
    # the supplier of a removed contract no longer finds it
    assert rid not in search('Сопровождение')


def search(word):
    found = SRV.get('/api/v1/objects?q=' + urllib.parse.quote(word), token=ADMIN).json()
    return [i['id'] for i in found['items']]


def first_enum(enum_id):
    return SRV.get('/api/v1/model').json()['enums'][enum_id]['values'][0]['id']


def created_id_lang(r, lang):
    assert r.status == 303, (r, text(r)[:2000])
    m = re.match(rf'^/{lang}/objects/([^/?]+)\?done=created$', r.header('Location'))
    assert m, r.header('Location')
    return m.group(1)


def test_reference_search_keeps_the_input():
    r = post('/ru/objects/new?kind=ict_service',
             [('name.ru', 'Облако с поиском'), ('provider._q', 'Поставщик'), ('_find', 'provider'),
              ('stage', 'creation')], OWNER)
    assert r.status == 200, r
    body = text(r)
    assert 'value="Облако с поиском"' in body
    m = re.search(r'<select [^>]*id="f-provider".*?</select>', body, re.S).group(0)
    assert f'value="{ORG2}"' in m and f'value="{ORG}"' not in m, m
    # nothing was created
    lst = SRV.get('/api/v1/objects?q=' + urllib.parse.quote('Облако с поиском'), token=ADMIN).json()
    assert lst['total'] == 0, lst


def test_validation_errors_beside_fields_with_input_kept():
    n_before = SRV.get('/api/v1/objects?limit=1', token=ADMIN).json()['total']
    fields = is_form('Ошибочная система', commissioning_date='2024-13-45',
                     short_name=SCRIPT, stored_data=SCRIPT + '\nвторая строка')
    r = post('/ru/objects/new?kind=information_system', fields, OWNER)
    assert r.status == 422, r
    body = text(r)
    # the summary links to the field; the message sits in the field's group
    assert 'href="#f-commissioning_date"' in body
    grp = re.search(r'<div class="usa-form-group usa-form-group--error">(.*?)</div>', body, re.S).group(1)
    assert 'id="f-commissioning_date"' in grp and 'usa-error-message' in grp, grp
    assert 'aria-describedby="f-commissioning_date-error"' in grp
    assert body.count('usa-form-group--error') == 1
    # the input stays, a script as text
    assert 'value="2024-13-45"' in body and 'value="Ошибочная система"' in body
    assert html.escape(SCRIPT) in body and SCRIPT not in body
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\nвторая строка</textarea>' in body
    assert SRV.get('/api/v1/objects?limit=1', token=ADMIN).json()['total'] == n_before
    # a required field left empty
    r = post('/ru/objects/new?kind=information_system', is_form('', stage=''), OWNER)
    assert r.status == 422 and 'href="#f-name"' in text(r) or 'href="#f-stage"' in text(r), text(r)[:3000]


def test_every_problem_shown_at_once():
    fields = is_form('', stage='flying', commissioning_date='2024-13-45')
    r = post('/ru/objects/new?kind=information_system', fields, OWNER)
    assert r.status == 422, r
    body = text(r)
    assert 'Ошибок в форме: 3' in body, body[:4000]
    summary = re.search(r'id="form-errors-h">.*?</ul>', body, re.S).group(0)
    assert re.findall(r'href="#f-([a-z_]+)"', summary) == ['name', 'stage', 'commissioning_date']
    assert body.count('usa-form-group--error') == 3
    for name in ('name', 'stage', 'commissioning_date'):
        assert f'id="f-{name}-error"' in body, name
    assert 'value="2024-13-45"' in body  # the input stays


def test_help_texts_and_fields_needed_at_the_stage():
    # help texts from the model in the page's language, describing their control
    for lang, words in (('kk', 'сыныптау кезінде'), ('ru', 'при его классификации'),
                        ('en', 'when it was classified')):
        body = text(page(f'/{lang}/objects/new?kind=information_system', OWNER))
        assert f'<span class="usa-hint" id="f-class-help">' in body and words in body, lang
        assert re.search(r'<select[^>]*id="f-class"[^>]*aria-describedby="f-class-help"', body), lang
    # needed to submit: the supplier from the pilot stage on, by the stage chosen
    rid = created_id(post('/ru/objects/new?kind=information_system', is_form('Стадии'), OWNER))

    def marked(field):
        body = text(page(f'/ru/objects/{rid}/edit', OWNER))
        label = re.search(r'<label class="usa-label" for="f-' + field + r'">(.*?)</label>', body, re.S)
        return 'нужно для отправки' in label.group(1)
    assert not marked('supplier') and not marked('termination_date')
    assert marked('legal_basis')  # needed at every stage
    rev = api_get(rid)['revision']
    r = post(f'/ru/objects/{rid}/edit', is_form('Стадии', stage='pilot_operation')
             + [('revision', str(rev))], OWNER)
    assert r.status == 303, (r, text(r)[:2000])
    assert marked('supplier') and not marked('termination_date')


def test_text_fields_keep_a_script_as_text():
    fields = is_form(SCRIPT, short_name=SCRIPT, stored_data=SCRIPT, legal_basis=SCRIPT,
                     contacts=SCRIPT, supplier=SCRIPT, functions=SCRIPT,
                     **{'purpose.kk': SCRIPT, 'purpose.en': SCRIPT, 'name.kk': SCRIPT})
    rid = created_id(post('/ru/objects/new?kind=information_system', fields, OWNER))
    rec = api_get(rid)
    assert rec['short_name'] == SCRIPT and rec['name']['kk'] == SCRIPT and rec['functions'] == [SCRIPT]
    body = text(page(f'/ru/objects/{rid}/edit', OWNER))
    assert SCRIPT not in body and body.count(html.escape(SCRIPT)) >= 10, body.count(html.escape(SCRIPT))
    ws = text(page('/ru/workspace', OWNER))
    assert SCRIPT not in ws and html.escape(SCRIPT) in ws


def test_stale_revision_is_a_conflict_with_input_kept():
    rid = created_id(post('/ru/objects/new?kind=information_system', is_form('Версия 1'), OWNER))
    rec = api_get(rid)
    # someone else saves first
    r = SRV.request('PATCH', f'/api/v1/objects/{rid}', {'short_name': 'Другой'}, token=ADMIN,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    r = post(f'/ru/objects/{rid}/edit', is_form('Моя правка') + [('revision', str(rec['revision']))], OWNER)
    assert r.status == 409, r
    body = text(r)
    assert 'value="Моя правка"' in body and 'usa-alert--warning' in body
    assert f'name="revision" value="{rec["revision"] + 1}"' in body
    assert api_get(rid)['name']['ru'] == 'Версия 1'
    # saving again is a deliberate choice
    r = post(f'/ru/objects/{rid}/edit', is_form('Моя правка') + [('revision', str(rec['revision'] + 1))], OWNER)
    assert r.status == 303, r
    assert api_get(rid)['name']['ru'] == 'Моя правка'


def submit(rid, who=None, place=True):
    """Submits through the form; with place, after the documents due are placed."""
    if place:
        place_documents(SRV, rid, ADMIN)
    body = text(page(f'/ru/objects/{rid}/edit', who or OWNER))
    assert 'action="/ru/objects/%s/submit"' % rid in body, 'no submit button'
    rev = re.search(r'name="revision" value="(\d+)"', body).group(1)
    return post(f'/ru/objects/{rid}/submit', [('revision', rev)], who or OWNER)


def test_submit_shows_gaps_then_goes():
    # REQ: REG-03
    rid = created_id(post('/ru/objects/new?kind=information_system',
                          is_form('Неполная', legal_basis='', stored_data=''), OWNER))
    r = submit(rid, place=False)
    assert r.status == 422, r
    body = text(r)
    assert f'href="/ru/objects/{rid}/edit#f-legal_basis"' in body
    assert f'href="/ru/objects/{rid}/edit#f-stored_data"' in body
    assert api_get(rid)['status'] == 'draft'
    rev = api_get(rid)['revision']
    r = post(f'/ru/objects/{rid}/edit', is_form('Неполная') + [('revision', str(rev))], OWNER)
    assert r.status == 303, r
    # the data are complete; the documents due at the stage are not (002 §12):
    # each links to its slot on the card, as the card's own list does
    r = submit(rid, place=False)
    assert r.status == 422, r
    body = text(r)
    assert 'edit#f-' not in body
    for doc_type in ('technical_specification', 'contract'):
        assert f'href="/ru/objects/{rid}#doc-{doc_type}"' in body, doc_type
        assert f'href="/ru/objects/{rid}#doc-{doc_type}"' in text(page(f'/ru/objects/{rid}', OWNER))
    assert api_get(rid)['status'] == 'draft'
    r = submit(rid)
    assert r.status == 303 and r.header('Location') == f'/ru/objects/{rid}?done=submitted', r
    assert api_get(rid)['status'] == 'submitted'
    # under verification: no submit button, edits refused
    body = text(page(f'/ru/objects/{rid}/edit', OWNER))
    assert '/submit"' not in body
    rev = api_get(rid)['revision']
    r = post(f'/ru/objects/{rid}/edit', is_form('Правка на проверке') + [('revision', str(rev))], OWNER)
    assert r.status == 409 and api_get(rid)['name']['ru'] == 'Неполная', r


def db():
    return sqlite3.connect(os.path.join(SRV.data, 'archportal.db'), timeout=30)


def test_queue_order_and_overdue_then_return_and_verify():
    # REQ: REG-04
    # REQ: REG-05
    a = created_id(post('/ru/objects/new?kind=information_system', is_form('Очередь А'), OWNER))
    b = created_id(post('/ru/objects/new?kind=information_system', is_form('Очередь Б'), OWNER))
    assert submit(a).status == 303 and submit(b).status == 303
    # b's deadline passed: it comes first, marked overdue
    with db() as c:
        n = c.execute("UPDATE obligations SET due_at = '2020-01-01T00:00:00.000Z' "
                      "WHERE subject = ? AND done_at IS NULL", (f'objects/{b}',)).rowcount
    assert n >= 1
    r = page('/ru/verification', VERIFIER)
    assert r.status == 200, r
    body = text(r)
    ia, ib = body.index('Очередь А'), body.index('Очередь Б')
    assert ib < ia, 'the overdue record comes first'
    row_b = body[body.rindex('<tr', 0, ib):body.index('</tr>', ib)]
    row_a = body[body.rindex('<tr', 0, ia):body.index('</tr>', ia)]
    assert 'portal-overdue' in row_b and '2020-01-01' in row_b
    assert 'portal-overdue' not in row_a
    assert f'href="/ru/objects/{b}/verify"' in row_b
    # the verification form: a remark box per field that has a value
    body = text(page(f'/ru/objects/{b}/verify', VERIFIER))
    for f in ('name', 'functions', 'legal_basis', 'class'):
        assert f'name="remark.{f}"' in body, f
    assert 'name="remark.warranty_end"' not in body and 'name="remark"' in body
    rev = re.search(r'name="revision" value="(\d+)"', body).group(1)
    # a return without remarks is refused
    r = post(f'/ru/objects/{b}/verify', [('revision', rev), ('decision', 'return')], VERIFIER)
    assert r.status == 422 and api_get(b)['status'] == 'submitted', r
    remark = 'Уточните функции <b>системы</b>'
    r = post(f'/ru/objects/{b}/verify', [('revision', rev), ('decision', 'return'),
                                          ('remark.functions', remark), ('remark.class', '')], VERIFIER)
    assert r.status == 303 and r.header('Location') == '/ru/verification?done=returned', r
    assert api_get(b)['status'] == 'returned'
    # the owner sees the remark beside the field's name, as text
    body = text(page(f'/ru/objects/{b}/edit', OWNER))
    assert 'Замечания проверяющего' in body and html.escape(remark) in body and remark not in body
    assert re.search(r'href="#f-functions"><strong>Функции[^<]*</strong></a>: '
                     + re.escape(html.escape(remark)), body), body
    # … and in the field's own group, which it describes
    grp = re.search(r'<div class="usa-form-group">\s*<div class="usa-alert[^"]*portal-field-remark" '
                    r'id="f-functions-remark">(.*?)</textarea>', body, re.S)
    assert grp and html.escape(remark) in grp.group(1), body
    assert 'aria-describedby="f-functions-hint f-functions-remark"' in grp.group(1), grp.group(1)
    # … and in the workspace: the object, its deadline, the message
    ws = text(page('/ru/workspace', OWNER))
    assert 'Очередь Б' in ws and 'Возвращ' in ws
    assert 'Обязательство' in ws
    assert 'Входящие сообщения' in ws and 'portal-inbox__item--unread' in ws
    # resubmitted, then verified: the accounting code appears
    assert submit(b).status == 303
    rev = api_get(b)['revision']
    r = post(f'/ru/objects/{b}/verify', [('revision', str(rev)), ('decision', 'accept')], VERIFIER)
    assert r.status == 303 and r.header('Location') == f'/ru/verification?record={b}&done=verified', r
    rec = api_get(b)
    assert rec['status'] == 'registered' and re.match(r'^IS-\d{4}-\d{6}$', rec['accounting_code']), rec
    ws = text(page('/ru/workspace', OWNER))
    assert rec['accounting_code'] in ws
    assert 'Очередь Б' not in text(page('/ru/verification', VERIFIER))
    # a registered record awaits no decision: no form, and a late decision is refused
    r = page(f'/ru/objects/{b}/verify', VERIFIER)
    assert r.status == 409 and 'Этот объект не ожидает проверки.' in text(r), r
    r = post(f'/ru/objects/{b}/verify', [('revision', str(rec['revision'])), ('decision', 'accept')], VERIFIER)
    assert r.status == 409 and api_get(b)['revision'] == rec['revision'], r


def test_workspace_deadlines_overdue_and_inbox():
    # REQ: X-POL-01
    rid = created_id(post('/ru/objects/new?kind=information_system', is_form('Просрочка'), OWNER))
    assert submit(rid).status == 303
    rev = api_get(rid)['revision']
    r = post(f'/ru/objects/{rid}/verify', [('revision', str(rev)), ('decision', 'return'),
                                            ('remark', 'Общее замечание')], VERIFIER)
    assert r.status == 303, r
    with db() as c:
        c.execute("UPDATE obligations SET due_at = '2021-02-03T00:00:00.000Z' "
                  "WHERE subject = ? AND done_at IS NULL", (f'objects/{rid}',))
    body = text(page('/en/workspace', OWNER))
    assert 'href="/en/objects/new"' in body
    # the object with its status and completeness
    row = body[body.rindex('<tr', 0, body.index('Просрочка')):]
    row = row[:row.index('</tr>')]
    assert 'Returned' in row and '%' in row, row
    # the overdue obligation, highlighted
    i = body.index('2021-02-03')
    orow = body[body.rindex('<tr', 0, i):body.index('</tr>', i)]
    assert 'portal-overdue' in orow and 'overdue' in orow and 'Просрочка' in orow, orow
    assert 'Overdue obligations: ' in body
    # the inbox: mark a message read
    m = re.search(r'action="(/en/workspace/inbox/(\d+)/read)"', body)
    assert m, 'an unread message'
    unread = body.count('portal-inbox__item--unread')
    r = post(m.group(1), [], OWNER)
    assert r.status == 303 and r.header('Location') == '/en/workspace#inbox', r
    assert text(page('/en/workspace', OWNER)).count('portal-inbox__item--unread') == unread - 1
    # another user's message is not theirs to mark
    assert post(m.group(1), [], OTHER).status == 404


def test_server_stops_cleanly():
    # under the sanitizers, a leak or a memory error fails the server's exit
    assert SRV.stop() == 0
    log = open(SRV.log_path, errors='replace').read()
    assert 'Sanitizer' not in log and 'runtime error' not in log, log[-3000:]


def main():
    global SRV, ADMIN, ORG, ORG2, OWNER, OTHER, VERIFIER, VIEWER
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство форм')
        ORG2 = make_org(2, 'Поставщик услуг')
        OWNER = sign_in('owner-editor', ORG)
        VIEWER = sign_in('owner-viewer', ORG)
        OTHER = sign_in('owner-editor', ORG2)
        VERIFIER = sign_in('integrator-verifier')
        run([test_anonymous_and_other_organisations, test_kind_chooser_and_controls_per_type,
             test_create_with_every_field_type, test_structured_data_without_javascript,
             test_reference_search_keeps_the_input,
             test_validation_errors_beside_fields_with_input_kept, test_every_problem_shown_at_once,
             test_help_texts_and_fields_needed_at_the_stage,
             test_text_fields_keep_a_script_as_text,
             test_stale_revision_is_a_conflict_with_input_kept, test_submit_shows_gaps_then_goes,
             test_queue_order_and_overdue_then_return_and_verify,
             test_workspace_deadlines_overdue_and_inbox, test_server_stops_cleanly])


if __name__ == '__main__':
    main()
