"""End-to-end tests of the register of trusted software and electronic
industry products (issue 16 item 2, seed 004 §14.3, §20, §26, §32): its
entries loaded from the keeper's CSV or XLSX through the model-driven import
(a dry run, a real run in one write, the report of created / changed /
unchanged / refused rows with their lines and reasons in the reader's
language), re-imports that update instead of duplicating, all or nothing,
rights, bad files, search, the register's entries beside the similar objects
(API and the new-object form) and never in duplicate pairs, and the rule that
an object built or bought outside the register records its ground."""
import html
import io
import json
import os
import re
import shutil
import tempfile
import urllib.parse
import zipfile

from harness import SOURCE, Server, assert_problem, cli, multipart, run, valid_bin

SRV = None
ADMIN = OWNER = ARCH = ORG = None
PASSWORD = 'Corr3ct-Horse-Battery'
FIXTURE = os.path.join(SOURCE, 'tests', 'fixtures', 'trusted', 'register.csv')
URL = '/api/v1/trusted_register/import'


def fixture():
    with open(FIXTURE, 'rb') as f:
        return f.read()


def post(data, query='', token=None, ctype='text/csv', lang='en'):
    headers = {'Content-Type': ctype, 'Accept-Language': lang}
    return SRV.request('POST', URL + query, data, headers=headers, token=token or ADMIN)


def entries(query=''):
    r = SRV.get('/api/v1/trusted_register' + query)
    assert r.status == 200, r
    return r.json()


def by_key():
    return {e['register_number']: e for e in entries('?limit=500')['items']}


def xlsx(rows, shared=True):
    """A minimal XLSX workbook (one sheet) made here: strings as shared
    strings (or inline), numbers as numbers (dates as day serials)."""
    strings, cells_xml = [], []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            ref = chr(ord('A') + c) + str(r)
            if v is None:
                continue
            if isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif shared:
                strings.append(v)
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                esc = html.escape(v, quote=False)
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{esc}</t></is></c>')
        cells_xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
    rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml',
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
                   'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                   'sheet.main+xml"/></Types>')
        z.writestr('xl/workbook.xml', f'<?xml version="1.0" encoding="UTF-8"?><workbook '
                   f'xmlns="{ns}" xmlns:r="{rel}"><sheets><sheet name="Реестр" sheetId="1" '
                   f'r:id="rId1"/></sheets></workbook>')
        z.writestr('xl/_rels/workbook.xml.rels', '<?xml version="1.0" encoding="UTF-8"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'relationships"><Relationship Id="rId1" Type="' + rel + '/worksheet" '
                   'Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr('xl/worksheets/sheet1.xml', f'<?xml version="1.0" encoding="UTF-8"?>'
                   f'<worksheet xmlns="{ns}"><sheetData>{"".join(cells_xml)}</sheetData>'
                   f'</worksheet>')
        if strings:
            si = ''.join(f'<si><t xml:space="preserve">{html.escape(s, quote=False)}</t></si>'
                         for s in strings)
            z.writestr('xl/sharedStrings.xml', f'<?xml version="1.0" encoding="UTF-8"?>'
                       f'<sst xmlns="{ns}" count="{len(strings)}">{si}</sst>')
    return buf.getvalue()


XLSX_ROWS = [
    ['Register number', 'Name', 'Атауы', 'Product type', 'Vendor', 'Functionality',
     'Inclusion date', 'Valid until'],
    ['ДПО-2025-0310', 'Geographic information system QGeo', 'QGeo геоақпараттық жүйесі',
     'Software', 'QGeo LLP', 'Cadastral maps and spatial analysis', 45366, '2028-03-15'],
    ['ЭП-2025-0042', 'Smart card reader KZ-Reader', 'KZ-Reader смарт-карта оқу құрылғысы',
     'Электрондық өнеркәсіп өнімі', 'Kazakhstan Electronics LLP', 'Reads ID cards',
     45700, None],
]


def test_model_serves_the_import_declaration():
    # REQ: SVC-02
    m = SRV.get('/api/v1/model').json()
    imp = m['kinds']['trusted_product']['import']
    assert imp['key'] == 'register_number', imp
    assert 'номер в реестре' in imp['columns']['register_number'], imp  # folded headers
    assert m['duplicates']['register'] == {'kinds': ['trusted_product']}, m['duplicates']
    assert 'trusted_product' not in m['duplicates']['kinds']


def test_dry_run_reports_and_writes_nothing():
    # REQ: SVC-02
    r = post(fixture(), '?dry_run=true')
    assert r.status == 200, r
    rep = r.json()
    assert rep['dry_run'] is True and rep['written'] is False and rep['format'] == 'csv', rep
    assert rep['counts'] == {'rows': 3, 'created': 3, 'changed': 0, 'unchanged': 0,
                             'refused': 0}, rep['counts']
    assert [x['line'] for x in rep['rows']] == [2, 3, 5]  # a quoted line break: row 3 is 2 lines
    assert {c['target'] for c in rep['columns']} >= {'register_number', 'name.ru', 'name.kk',
                                                     'vendor', 'inclusion_date'}
    assert rep['ignored'] == ['Примечание'], rep['ignored']
    assert entries()['total'] == 0


def test_real_run_then_reimport_updates_instead_of_duplicating():
    # REQ: SVC-02
    r = post(fixture())
    assert r.status == 200, r
    rep = r.json()
    assert rep['written'] is True and rep['counts']['created'] == 3, rep
    got = by_key()
    assert set(got) == {'ДПО-2024-0001', 'ДПО-2024-0002', 'ЭП-2023-0107'}, got
    doc = got['ДПО-2024-0001']
    assert doc['inclusion_date'] == '2024-03-15' and doc['valid_until'] == '2027-03-15', doc
    assert doc['product_type'] == 'software' and doc['name']['kk'].startswith('«Documentolog»')
    assert got['ЭП-2023-0107']['product_type'] == 'electronic_industry_product'
    shield = got['ДПО-2024-0002']
    assert shield['name']['ru'] == 'Антивирус "Казахстанский щит"', shield
    assert shield['functionality']['ru'] == ('Защита рабочих станций от вредоносного '
                                             'программного обеспечения'), shield
    # the same file again: every row unchanged, nothing new
    rep = post(fixture()).json()
    assert rep['counts']['unchanged'] == 3 and rep['counts']['created'] == 0, rep
    # a new edition: one date moved, one entry added, tab-separated this time
    text = fixture().decode('utf-8-sig').replace('15.03.2027', '15.03.2028')
    text += 'ДПО-2025-0009;Платформа видеосвязи «Сұхбат»;«Сұхбат» бейнебайланыс платформасы;;' \
            'Программное обеспечение;ТОО «Sukhbat»;;Видеоконференции;Video conferencing;' \
            '2025-01-10;;\n'
    tsv = text.replace(';', '\t').encode()
    rep = post(tsv, lang='ru').json()
    assert rep['counts'] == {'rows': 4, 'created': 1, 'changed': 1, 'unchanged': 2,
                             'refused': 0}, rep
    changed = [x for x in rep['rows'] if x['result'] == 'changed']
    assert changed[0]['key'] == 'ДПО-2024-0001' and changed[0]['fields'] == ['valid_until']
    assert changed[0]['id'] == doc['id']
    got = by_key()
    assert len(got) == 4 and got['ДПО-2024-0001']['valid_until'] == '2028-03-15'
    assert got['ДПО-2024-0001']['revision'] == doc['revision'] + 1
    # each write is a revision of its own, audited (an update of the date)
    h = SRV.get(f'/api/v1/trusted_register/{doc["id"]}/history', token=ADMIN).json()
    assert [i['action'] for i in h['items']] == ['create', 'update'], h
    assert h['items'][1]['changes'] == [{'field': 'valid_until', 'before': '2027-03-15',
                                         'after': '2028-03-15'}], h['items'][1]


def test_xlsx_dry_run_and_real_run():
    # REQ: SVC-02
    data = xlsx(XLSX_ROWS)
    xtype = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
    rep = post(data, '?dry_run=true', ctype=xtype).json()
    assert rep['format'] == 'xlsx' and rep['counts']['created'] == 2, rep
    assert 'ДПО-2025-0310' not in by_key()
    # as a multipart upload, with inline strings this time
    body, ctype = multipart(files=[('file', 'register.xlsx', xlsx(XLSX_ROWS, shared=False))])
    r = post(body, ctype=ctype)
    assert r.status == 200 and r.json()['counts']['created'] == 2, r
    got = by_key()
    geo = got['ДПО-2025-0310']
    assert geo['inclusion_date'] == '2024-03-15', geo  # the day serial 45366
    assert geo['valid_until'] == '2028-03-15' and geo['name']['kk'] == 'QGeo геоақпараттық жүйесі'
    assert got['ЭП-2025-0042']['product_type'] == 'electronic_industry_product'
    assert 'valid_until' not in got['ЭП-2025-0042']
    # the shared-strings edition is the same: unchanged
    rep = post(data, ctype=xtype).json()
    assert rep['counts']['unchanged'] == 2, rep


def test_refused_rows_refuse_the_whole_file():
    # REQ: SVC-02
    before = by_key()
    text = ('Номер в реестре,Наименование,Вид продукции,Производитель,Дата включения\n'
            'ДПО-2026-0001,Новая система,Программное обеспечение,ТОО «Альфа»,2026-02-01\n'
            'ДПО-2026-0002,Система с плохой датой,Программное обеспечение,ТОО «Бета»,31.02.2026\n'
            'ДПО-2026-0003,Неизвестный вид,Облачный сервис,ТОО «Гамма»,2026-02-01\n'
            'ДПО-2026-0001,Повтор,Программное обеспечение,ТОО «Альфа»,2026-02-01\n'
            ',Без номера,Программное обеспечение,ТОО «Дельта»,2026-02-01\n'
            'ДПО-2026-0006,Без производителя,Программное обеспечение,,2026-02-01\n'
            'ДПО-2024-0001,"Documentolog, новая редакция",Программное обеспечение,'
            'ТОО «Documentolog»,2024-03-15\n')
    r = post(text.encode(), lang='ru')
    doc = assert_problem(r, 422, 'file')
    assert 'ничего не загружено' in doc['detail'], doc
    rep = doc['report']
    assert rep['written'] is False and rep['counts']['refused'] == 5, rep['counts']
    assert rep['counts']['created'] == 1 and rep['counts']['changed'] == 1, rep['counts']
    why = {x['line']: x for x in rep['rows'] if x['result'] == 'refused'}
    assert set(why) == {3, 4, 5, 6, 7}, why
    assert why[3]['errors'][0]['field'] == 'inclusion_date' and 'не дата' in \
        why[3]['errors'][0]['detail'], why[3]
    assert why[4]['errors'][0]['type'] == 'bad-enum' and 'Облачный сервис' in \
        why[4]['errors'][0]['detail'], why[4]
    assert why[5]['errors'][0]['type'] == 'duplicate-key' and 'строке 2' in \
        why[5]['errors'][0]['detail'], why[5]
    assert why[6]['errors'][0]['type'] == 'required', why[6]
    assert why[7]['errors'][0]['field'] == 'vendor', why[7]
    # nothing was written, not even the good rows
    assert by_key() == before
    # the dry run says the same, with 200
    r = post(text.encode(), '?dry_run=true')
    assert r.status == 200 and r.json()['counts']['refused'] == 5, r
    assert by_key() == before


def test_rights():
    # REQ: SVC-02
    assert_problem(post(fixture(), token=OWNER), 403)
    r = SRV.request('POST', URL, fixture(), headers={'Content-Type': 'text/csv'})
    assert_problem(r, 401)
    # the public reads the register
    items = entries()['items']
    assert items
    r = SRV.get(f'/api/v1/trusted_register/{items[0]["id"]}')
    assert r.status == 200, r
    # an owner's editor cannot write an entry through the generic API either
    body = {'kind': 'trusted_product', 'name': {'ru': 'x'}, 'register_number': 'X-1',
            'product_type': 'software', 'vendor': 'x', 'inclusion_date': '2025-01-01'}
    assert_problem(SRV.request('POST', '/api/v1/trusted_register', body, token=OWNER), 403)
    # the integrator's architects keep it: they import (a dry run here) and
    # write entries
    r = post(fixture(), token=ARCH, query='?dry_run=true')
    assert r.status == 200, r
    r = SRV.request('POST', '/api/v1/trusted_register', {**body, 'register_number': 'ARCH-1'},
                    token=ARCH)
    assert r.status == 201, r


def test_bad_files_change_nothing():
    # REQ: SVC-02
    before = by_key()
    assert_problem(post(b'%PDF-1.4\n\x00\x01\x02binary', ctype='application/pdf'), 415, 'file')
    assert_problem(post(b'\xff\xfe\x00b\x00a\x00d', ctype='application/octet-stream'), 415)
    assert_problem(post(b'{"a": 1}', ctype='application/json'), 415, 'file')
    # a list of another kind: none of its headers is the register's
    r = post('licence;area;repository\nPostgreSQL;database;https://postgresql.org\n'.encode())
    assert 'none of the columns' in assert_problem(r, 400, 'file')['detail']
    # the register's columns but no key
    r = post('Наименование;Производитель\nX;Y\n'.encode(), lang='ru')
    assert 'нет столбца для ключа' in assert_problem(r, 400, 'file')['detail']
    assert_problem(post('Номер в реестре;Наименование\n"ДПО-1;открыто\n'.encode()), 400, 'file')
    assert_problem(post(b''), 400, 'file')
    assert_problem(post(b'PK\x03\x04' + b'\x00' * 64, ctype='application/octet-stream'), 400,
                   'file')
    # over the file's cap, and over the body's (refused before it is read)
    assert_problem(post(b'x' * (16 * 1024 * 1024 + 1000)), 413, 'file')
    head = (f'POST {URL} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN}\r\n'
            f'Content-Type: text/csv\r\nContent-Length: {17 * 1024 * 1024}\r\n\r\n')
    assert SRV.raw(head.encode()).startswith(b'HTTP/1.1 413'), 'a declared length over the cap'
    # a workbook whose sheet unpacks to 40 MB of blanks: a zip bomb by its ratio
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('xl/workbook.xml', '<workbook/>')
        z.writestr('xl/worksheets/sheet1.xml', ' ' * (40 << 20))
    r = post(bomb.getvalue(), ctype='application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.sheet')
    assert 'zip bomb' in assert_problem(r, 400, 'file')['detail']
    # a zip that is no workbook (an OpenDocument text, say)
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, 'w') as z:
        z.writestr('mimetype', 'application/vnd.oasis.opendocument.text')
    assert_problem(post(odt.getvalue(), ctype='application/octet-stream'), 415, 'file')
    assert_problem(post(fixture(), '?dry_run=maybe'), 400, 'dry_run')
    assert_problem(post(fixture(), '?kind=organization'), 404, 'kind')
    r = SRV.request('POST', '/api/v1/objects/import', fixture(),
                    headers={'Content-Type': 'text/csv'}, token=ADMIN)
    assert_problem(r, 400, 'kind')
    assert by_key() == before


def test_search_finds_an_entry():
    # REQ: SVC-02
    found = entries('?q=' + urllib.parse.quote('антивирус'))['items']
    assert [e['register_number'] for e in found] == ['ДПО-2024-0002'], found
    # by its functionality, in another language
    found = entries('?q=' + urllib.parse.quote('malware'))['items']
    assert [e['register_number'] for e in found] == ['ДПО-2024-0002'], found
    found = entries('?filter=product_type:electronic_industry_product')['items']
    assert {e['register_number'] for e in found} == {'ЭП-2023-0107', 'ЭП-2025-0042'}


def test_similar_lists_register_entries_apart():
    # REQ: SVC-02
    sys_a = SRV.request('POST', '/api/v1/objects', {
        'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
        'name': {'ru': 'Система электронного документооборота министерства'}},
        token=OWNER).json()
    q = urllib.parse.quote('Система электронного документооборота')
    out = SRV.get('/api/v1/similar?name=' + q, token=OWNER).json()
    reg = [x['record'] for x in out['register']]
    assert reg and reg[0]['kind'] == 'trusted_product' and reg[0]['collection'] == \
        'trusted_register', out
    assert 'Documentolog' in json.dumps(reg[0], ensure_ascii=False)
    assert all(x['record']['kind'] != 'trusted_product' for x in out['items']), out
    assert sys_a['id'] in {x['record']['id'] for x in out['items']}, out
    # a register entry is never one of a duplicate pair
    pairs = SRV.get('/api/v1/duplicates?min=0.5', token=ARCH).json()['items']
    assert all(p[s]['kind'] != 'trusted_product' for p in pairs for s in ('a', 'b')), pairs
    assert_problem(SRV.get('/api/v1/duplicates?kind=trusted_product', token=ARCH), 400, 'kind')


def sign_in(role, org=None):
    email = SRV.user(role, org)
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': PASSWORD})
    assert r.status == 200, r
    cookie = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)
    return cookie, r.json()['csrf_token']


def test_new_object_form_lists_register_entries():
    # REQ: SVC-02
    who = sign_in('owner-editor', ORG)
    fields = [('_csrf', who[1]), ('name.ru', 'Антивирус рабочих станций'),
              ('stage', 'creation'), ('_similar', '1')]
    headers = {'Content-Type': 'application/x-www-form-urlencoded',
               'Origin': f'http://127.0.0.1:{SRV.port}', 'Cookie': f'ap_session={who[0]}'}
    r = SRV.request('POST', '/ru/objects/new?kind=information_system',
                    urllib.parse.urlencode(fields), headers=headers)
    body = html.unescape(r.body.decode())
    assert r.status == 200, (r, body[:2000])
    section = body[body.index('Похожие записи Реестра доверенного программного обеспечения'):]
    shield = by_key()['ДПО-2024-0002']
    assert f'/ru/trusted_register/{shield["id"]}"' in section, section[:2000]
    assert 'Антивирус "Казахстанский щит"' in section
    # nothing was created
    assert SRV.get('/api/v1/objects?q=' + urllib.parse.quote('станций'),
                   token=OWNER).json()['total'] == 0
    fields[1] = ('name.ru', 'квантовый телескоп')
    r = SRV.request('POST', '/en/objects/new?kind=information_system',
                    urllib.parse.urlencode(fields), headers=headers)
    assert 'The register of trusted software holds no similar entry.' in r.body.decode()


def upload_form(path, who, fields, data):
    """The list page's upload form, sent as a browser sends it (_csrf first)."""
    body, ctype = multipart([('_csrf', who[1])] + fields, [('file', 'register.csv', data)])
    headers = {'Content-Type': ctype, 'Origin': f'http://127.0.0.1:{SRV.port}',
               'Cookie': f'ap_session={who[0]}'}
    return SRV.request('POST', path, body, headers=headers)


def test_list_page_upload_form():
    # REQ: SVC-02
    admin = sign_in('admin')
    owner = sign_in('owner-editor', ORG)
    page = SRV.get('/ru/trusted_register', headers={'Cookie': f'ap_session={admin[0]}'})
    body = html.unescape(page.body.decode())
    assert page.status == 200 and 'Загрузка записей из файла' in body, body[:1500]
    assert 'action="/ru/trusted_register/import"' in body and 'enctype="multipart/form-data"' in body
    for who in (owner, None):
        headers = {'Cookie': f'ap_session={who[0]}'} if who else {}
        assert 'trusted_register/import' not in SRV.get('/ru/trusted_register',
                                                        headers=headers).body.decode()
    assert upload_form('/ru/trusted_register/import', owner, [], fixture()).status == 403
    before = by_key()
    edition = fixture().decode('utf-8-sig').replace('2024-05-02', '2024-05-03').encode()
    r = upload_form('/ru/trusted_register/import', admin, [('dry_run', '1')], edition)
    text = html.unescape(r.body.decode())
    assert r.status == 200 and 'Проверка: ничего не записано' in text, text[:3000]
    assert 'будет изменена' in text and 'Дата включения в Реестр' in text, text[:3000]
    assert 'Столбцы файла, которые не загружаются: Примечание' in text, text[:3000]
    assert by_key() == before
    # the report as CSV
    r = upload_form('/en/trusted_register/import', admin, [('dry_run', '1'), ('report', 'csv')],
                    edition)
    assert r.status == 200 and r.header('Content-Type').startswith('text/csv'), r
    lines = r.body.decode('utf-8-sig').splitlines()
    assert lines[0] == 'Line,Key,Result,Details,id', lines
    assert any(',would be changed,Inclusion date,' in x for x in lines), lines
    # the real run, then a refused file
    r = upload_form('/kk/trusted_register/import', admin, [], edition)
    assert r.status == 200 and 'Файл жүктелді' in html.unescape(r.body.decode()), r
    assert by_key()['ДПО-2024-0002']['inclusion_date'] == '2024-05-03'
    bad = 'Номер в реестре;Наименование\nX-1;\n'.encode()
    r = upload_form('/ru/trusted_register/import', admin, [], bad)
    assert r.status == 422 and 'Ничего не записано' in html.unescape(r.body.decode()), r
    # a file of no format: the error page in the visitor's language
    r = upload_form('/ru/trusted_register/import', admin, [], b'\x00\x01\x02')
    assert r.status == 415, r


def violators():
    r = SRV.get('/api/v1/rules?rule=trusted_register_consulted', token=ARCH)
    assert r.status == 200, r
    item = [i for i in r.json()['items'] if i['rule'] == 'trusted_register_consulted'][0]
    return {v['id'] for v in item['violators']}


def test_object_outside_the_register_records_its_ground():
    # REQ: SVC-02
    def system(name, **more):
        body = {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                'name': {'ru': name}, **more}
        r = SRV.request('POST', '/api/v1/objects', body, token=OWNER)
        assert r.status == 201, r
        return r.json()
    bare = system('Система без основания')
    grounded = system('Собственная разработка', trusted_ground='no_similar_in_register',
                      trusted_ground_comment='В Реестре нет системы учёта субсидий')
    bought = system('Купленная СЭД')
    entry = by_key()['ДПО-2024-0001']
    r = SRV.request('POST', '/api/v1/relations', {'type': 'uses_trusted_product',
                                                  'source': bought['id'],
                                                  'target': entry['id']}, token=OWNER)
    assert r.status == 201, r
    bad = violators()
    assert bare['id'] in bad and grounded['id'] not in bad and bought['id'] not in bad, bad
    # recording the ground puts it right
    r = SRV.request('PATCH', f'/api/v1/objects/{bare["id"]}',
                    {'trusted_ground': 'development_of_existing'},
                    headers={'If-Match': f'"{bare["revision"]}"'}, token=OWNER)
    assert r.status == 200, r
    assert bare['id'] not in violators()
    assert_problem(SRV.request('PATCH', f'/api/v1/objects/{grounded["id"]}',
                               {'trusted_ground': 'because'},
                               headers={'If-Match': f'"{grounded["revision"]}"'}, token=OWNER),
                   422, 'trusted_ground')


def test_cli_import():
    # REQ: SVC-02
    data = tempfile.mkdtemp(prefix='ap-trusted-')
    try:
        cli(data, 'migrate')
        out = cli(data, 'rows', 'import', '--kind', 'trusted_product', '--dry-run', FIXTURE)
        rep = json.loads(out.stdout)
        assert rep['dry_run'] and rep['counts']['created'] == 3, rep
        out = cli(data, 'rows', 'import', '--kind', 'trusted_product', FIXTURE)
        assert json.loads(out.stdout)['written'] is True
        out = cli(data, 'rows', 'import', '--kind', 'trusted_product', FIXTURE)
        assert json.loads(out.stdout)['counts']['unchanged'] == 3
        bad = os.path.join(data, 'bad.csv')
        with open(bad, 'w') as f:
            f.write('Номер в реестре;Наименование;Вид продукции;Производитель;Дата включения\n'
                    'X-1;Имя;Программное обеспечение;ТОО;не дата\n')
        p = cli(data, 'rows', 'import', '--kind', 'trusted_product', bad, check=False)
        assert p.returncode == 1 and b'nothing was imported' in p.stderr, p
        assert json.loads(p.stdout)['rows'][0]['errors'][0]['field'] == 'inclusion_date'
        # every kind imports its own columns: the register's file names none of an organisation's
        p = cli(data, 'rows', 'import', '--kind', 'organization', FIXTURE, check=False)
        assert p.returncode == 1 and b'names none of the columns' in p.stderr, p
        assert cli(data, 'check').returncode == 0
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main():
    global SRV, ADMIN, OWNER, ARCH, ORG
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        r = srv.request('POST', '/api/v1/organizations',
                        {'name': {'ru': 'Министерство цифрового развития'},
                         'bin': valid_bin(9701), 'org_type': 'central_state_body'}, token=ADMIN)
        assert r.status == 201, r
        ORG = r.json()['id']
        OWNER = srv.token('owner-editor', ORG)
        ARCH = srv.token('integrator-architect', ORG)
        run([test_model_serves_the_import_declaration, test_dry_run_reports_and_writes_nothing,
             test_real_run_then_reimport_updates_instead_of_duplicating,
             test_xlsx_dry_run_and_real_run, test_refused_rows_refuse_the_whole_file, test_rights,
             test_bad_files_change_nothing, test_search_finds_an_entry,
             test_similar_lists_register_entries_apart,
             test_new_object_form_lists_register_entries, test_list_page_upload_form,
             test_object_outside_the_register_records_its_ground, test_cli_import])


if __name__ == '__main__':
    main()
