"""End-to-end tests of the spreadsheet round trip of every collection
(issue 18 item 3, X-INT-01): a kind's template (its records as they would
import again, a sheet of the columns and the values each takes) goes
through LibreOffice Calc (headless) and back unchanged; rows edited and
added in a file LibreOffice writes are imported with a dry run, then for
real; the result file marks each row created, changed, unchanged or
refused with the reason; a file that is not a workbook, a zip bomb and a
formula are refused and change nothing."""
import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
import xml.etree.ElementTree as ET

import harness
from harness import Server, run

SRV = None
ADMIN = ARCH = OWNER = ORG = INTEGRATOR = None
W = {}
NS = {'s': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}
XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
WORK = tempfile.mkdtemp(prefix='archportal-rows-')


def col_index(ref):
    letters = re.match(r'[A-Z]+', ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(data, sheet=1):
    """The rows of a workbook's sheet as lists of text (inline, shared or
    numbers), whoever wrote it."""
    z = zipfile.ZipFile(io.BytesIO(data))
    shared = []
    if 'xl/sharedStrings.xml' in z.namelist():
        for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall('s:si', NS):
            shared.append(''.join(t.text or '' for t in si.iter('{%s}t' % NS['s'])))
    root = ET.fromstring(z.read(f'xl/worksheets/sheet{sheet}.xml'))
    rows = []
    for r in root.iter('{%s}row' % NS['s']):
        cells = {}
        for c in r.findall('s:c', NS):
            t = c.get('t')
            if t == 'inlineStr':
                v = ''.join(x.text or '' for x in c.iter('{%s}t' % NS['s']))
            elif t == 's':
                v = shared[int(c.find('s:v', NS).text)]
            else:
                v = c.find('s:v', NS)
                v = v.text if v is not None else ''
                if re.fullmatch(r'-?\d+\.0', v or ''):
                    v = v[:-2]
            cells[col_index(c.get('r'))] = v
        width = max(cells) + 1 if cells else 0
        row = [cells.get(i, '') for i in range(width)]
        while len(rows) < int(r.get('r')) - 1:
            rows.append([])
        rows.append(row)
    return rows


def soffice(src, fmt):
    """src converted by LibreOffice (headless, a private profile) to fmt."""
    out = os.path.join(WORK, 'out-' + fmt.split(':')[0])
    infilter = ['--infilter=CSV:44,34,76,1'] if src.endswith('.csv') else []
    subprocess.run(['soffice', f'-env:UserInstallation=file://{WORK}/profile', '--headless',
                    '--norestore', *infilter, '--convert-to', fmt, '--outdir', out, src],
                   check=True, capture_output=True, timeout=180)
    path = os.path.join(out, os.path.splitext(os.path.basename(src))[0] + '.' + fmt.split(':')[0])
    with open(path, 'rb') as f:
        return f.read()


def through_libreoffice(data, name):
    src = os.path.join(WORK, name + '.xlsx')
    with open(src, 'wb') as f:
        f.write(data)
    return soffice(src, 'xlsx')


def make_org(n, name):
    return harness.make_org(SRV, ADMIN, 9990 + n, name)


def create(coll, body, token, status=201):
    return harness.create(SRV, coll, body, token, status)


def template(coll, kind=None, lang='ru', token=None):
    q = f'?lang={lang}' + (f'&kind={kind}' if kind else '')
    r = SRV.get(f'/api/v1/{coll}/import/template{q}', token=token or ARCH)
    assert r.status == 200, r
    assert r.header('Content-Type') == XLSX
    return r.body


def post(coll, data, query='', token=None, ctype=XLSX, lang='ru'):
    return SRV.request('POST', f'/api/v1/{coll}/import{query}', body=data, token=token or ARCH,
                       headers={'Content-Type': ctype, 'Accept-Language': lang})


def setup():
    W['dom'] = create('domains', {'name': {'ru': 'Образование'}}, ARCH)
    W['cap1'] = create('capabilities', {'name': {'ru': 'Прием в школы', 'en': 'School admission'},
                                        'domain': W['dom']['id'],
                                        'description': {'ru': 'Зачисление детей'}}, ARCH)
    W['cap2'] = create('capabilities', {'name': {'ru': 'Учет учеников'}, 'parent': W['cap1']['id'],
                                        'domain': W['dom']['id']}, ARCH)


def test_the_template_holds_the_records_and_the_columns():
    # REQ: X-INT-01
    rows = read_xlsx(template('capabilities'))
    head = rows[0]
    assert head[0] == 'Идентификатор' and 'Наименование (ru)' in head and 'Домен' in head, head
    ids = {r[0] for r in rows[1:]}
    assert {W['cap1']['id'], W['cap2']['id']} <= ids
    cap2 = next(r for r in rows if r and r[0] == W['cap2']['id'])
    assert cap2[head.index('Вышестоящая возможность')] == W['cap1']['id']
    columns = read_xlsx(template('capabilities', lang='kk'), sheet=2)
    assert columns[0][0] == 'Баған', columns[0]  # the columns' sheet in Kazakh
    # a kind of a collection of several is asked by name
    r = SRV.get('/api/v1/master_data/import/template', token=ARCH)
    assert r.status == 400, r
    read_xlsx(template('master_data', kind='data_subject', lang='en'))
    assert SRV.get('/api/v1/capabilities/import/template', token=OWNER).status == 403


def test_a_template_through_libreoffice_imports_unchanged():
    # REQ: X-INT-01
    again = through_libreoffice(template('capabilities'), 'capabilities')
    r = post('capabilities', again, '?dry_run=true')
    assert r.status == 200, r
    rep = r.json()
    assert rep['format'] == 'xlsx'
    assert rep['counts']['unchanged'] == rep['counts']['rows'] >= 2, rep['counts']


def test_edit_add_and_result_file():
    # REQ: X-INT-01
    rows = read_xlsx(through_libreoffice(template('capabilities'), 'edit'))
    head = rows[0]
    name_ru = head.index('Наименование (ru)')
    body = [r + [''] * (len(head) - len(r)) for r in rows[1:] if r]
    for r in body:
        if r[0] == W['cap2']['id']:
            r[name_ru] = 'Учет учащихся'
    new = [''] * len(head)
    new[name_ru] = 'Выдача аттестатов'
    new[head.index('Домен')] = W['dom']['id']
    bad = [''] * len(head)
    bad[name_ru] = 'Без домена'
    bad[head.index('Домен')] = 'no-such-domain'
    path = os.path.join(WORK, 'edited.csv')
    with open(path, 'w', newline='', encoding='utf-8') as f:
        csv.writer(f).writerows([head] + body + [new, bad])
    edited = soffice(path, 'xlsx')  # a workbook as LibreOffice writes it
    before = SRV.get('/api/v1/capabilities?limit=1', token=ARCH).json()['total']
    r = post('capabilities', edited, '?dry_run=true&result=xlsx')
    assert r.status == 200 and r.header('X-Import-Written') == 'false', r
    result = read_xlsx(r.body)
    assert result[0][-2:] == ['Результат', 'Причина'], result[0]
    marks = {row[name_ru]: row[len(head)] for row in result[1:] if len(row) > len(head)}
    assert marks['Учет учащихся'] == 'изменена' and marks['Выдача аттестатов'] == 'создана', marks
    assert marks['Прием в школы'] == 'без изменений', marks
    assert marks['Без домена'] == 'отклонена', marks
    reason = next(row[len(head) + 1] for row in result[1:] if row[name_ru] == 'Без домена')
    assert 'no-such-domain' in reason, reason
    # a real run with a refused row writes nothing
    r = post('capabilities', edited)
    assert r.status == 422, r
    assert SRV.get('/api/v1/capabilities?limit=1', token=ARCH).json()['total'] == before
    # without the bad row it is written whole
    with open(path, 'w', newline='', encoding='utf-8') as f:
        csv.writer(f).writerows([head] + body + [new])
    r = post('capabilities', soffice(path, 'xlsx'))
    assert r.status == 200, r
    counts = r.json()['counts']
    assert counts['created'] == 1 and counts['changed'] == 1, counts
    assert SRV.get(f"/api/v1/capabilities/{W['cap2']['id']}", token=ARCH).json()['name'] == \
        {'ru': 'Учет учащихся'}


def test_every_collection_has_a_template():
    # REQ: X-INT-01
    m = SRV.get('/api/v1/model', token=ADMIN).json()
    for coll, c in m['collections'].items():
        kinds = [k for k, v in m['kinds'].items() if v.get('collection') == coll]
        for k in kinds:
            r = SRV.get(f'/api/v1/{coll}/import/template?kind={k}', token=ADMIN)
            assert r.status == 200, (coll, k, r)
            assert read_xlsx(r.body)[0][0], (coll, k)


def test_bad_workbooks_change_nothing():
    # REQ: X-INT-01
    before = SRV.get('/api/v1/capabilities?limit=1', token=ARCH).json()['total']
    r = post('capabilities', b'PK\x03\x04 this is not a workbook')
    assert r.status in (400, 415), r
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', '<Types/>')
        z.writestr('xl/worksheets/sheet1.xml', '<a>' + ' ' * (300 << 20) + '</a>')
    r = post('capabilities', bomb.getvalue())
    assert r.status == 400, r
    formula = ('Идентификатор,Наименование (ru),Домен\n'
               f',=HYPERLINK("http://evil"),{W["dom"]["id"]}\n').encode()
    r = post('capabilities', formula, ctype='text/csv')
    assert r.status == 422, r
    assert SRV.get('/api/v1/capabilities?limit=1', token=ARCH).json()['total'] == before


def test_the_list_page_offers_the_round_trip():
    # REQ: X-INT-01
    cookie = SRV.session('integrator-architect', INTEGRATOR)
    page = SRV.get('/kk/master_data', headers={'Cookie': cookie}).body.decode()
    assert 'name="kind"' in page and 'value="xlsx"' in page, page[-3000:]
    link = re.search(r'href="(/kk/master_data/import-template\?kind=data_subject)"', page)
    assert link, 'no template link'
    r = SRV.get(link.group(1).replace('&amp;', '&'), headers={'Cookie': cookie})
    assert r.status == 200 and r.header('Content-Type') == XLSX, r
    assert read_xlsx(r.body)[0][0] == 'Сәйкестендіргіш'
    # without rights: no form, no template
    owner = SRV.session('owner-viewer', ORG)
    assert 'import-template' not in SRV.get('/kk/master_data', headers={'Cookie': owner}).body.decode()
    assert SRV.get('/kk/master_data/import-template?kind=data_subject',
                   headers={'Cookie': owner}).status == 403


def main():
    global SRV, ADMIN, ARCH, OWNER, ORG, INTEGRATOR
    try:
        with Server() as srv:
            SRV = srv
            ADMIN = srv.token('admin')
            ORG = make_org(1, 'Министерство просвещения')
            INTEGRATOR = make_org(2, 'Сервисный интегратор')
            ARCH = srv.token('integrator-architect', INTEGRATOR)
            OWNER = srv.token('owner-editor', ORG)
            setup()
            run([test_the_template_holds_the_records_and_the_columns,
                 test_a_template_through_libreoffice_imports_unchanged, test_edit_add_and_result_file,
                 test_every_collection_has_a_template, test_bad_workbooks_change_nothing,
                 test_the_list_page_offers_the_round_trip])
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == '__main__':
    main()
