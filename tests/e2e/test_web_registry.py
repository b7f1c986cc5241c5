"""End-to-end tests of the registry page (/{lang}/registry) and its CSV
download (/{lang}/registry.csv): facets and counts as the API gives them,
links that filter, sort and page, the CSV's quoting and formula guard, the
friendly 400 page for bad parameters, no restricted field and no draft for
the public, and names shown as text."""
import csv
import html
import io
import re
import urllib.parse

from harness import COMPLETE, OPERATION_DATA, Server, place_documents, run, valid_bin

SRV = None
ADMIN = None
OWNER = None
VERIFIER = None
ORG = None
SECRET = 'SECRET-CONTACT-4242'
SCRIPT_NAME = '<script>alert(1)</script>'
FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'
QUOTED_NAME = 'Система "Учёт", версия 2'
DRAFT_NAME = 'Черновик невидимка'
FACETS = ['kind', 'stage', 'status', 'class', 'placement', 'owner']


def make_org(n):
    body = {'name': {'ru': f'Ведомство регистра {n}'}, 'bin': valid_bin(8600 + n),
            'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def registered(name, **fields):
    body = {'kind': 'information_system', 'owner': ORG, 'name': {'ru': name}, 'stage': 'creation',
            **COMPLETE, 'contacts': SECRET}
    body.update(fields)
    r = SRV.request('POST', '/api/v1/objects', body, token=OWNER)
    assert r.status == 201, r
    rec = r.json()
    place_documents(SRV, rec['id'], OWNER)
    gaps = SRV.get(f'/api/v1/objects/{rec["id"]}/workflow', token=OWNER).json()['gaps']
    if gaps['relations']:  # where it runs, from the pilot stage on: a draft server room
        infra = SRV.request('POST', '/api/v1/objects', {
            'kind': 'ict_infrastructure_object', 'owner': ORG, 'name': {'ru': 'Серверная ' + name},
            'stage': 'industrial_operation', 'infrastructure_type': 'server_equipment'}, token=OWNER)
        assert infra.status == 201, infra
        r = SRV.request('POST', '/api/v1/relations', {'type': 'runs_on', 'source': rec['id'],
                                                      'target': infra.json()['id']}, token=OWNER)
        assert r.status == 201, r
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=OWNER)
    assert r.status == 200, r
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify', {'decision': 'accept'},
                    token=VERIFIER)
    assert r.status == 200 and r.json()['status'] == 'registered', r
    return r.json()


def page(path):
    r = SRV.get(path, headers={'Accept': 'text/html'})
    assert r.status == 200, r
    assert r.header('Content-Type').startswith('text/html'), r.headers
    return r.body.decode()


def api(params, lang='ru'):
    """The API's list; "name" in the alphabet of lang, as the /ru pages sort."""
    r = SRV.get('/api/v1/objects?' + urllib.parse.urlencode(params + [('lang', lang)]))
    assert r.status == 200, r
    return r.json()


def api_facet(params, field):
    r = SRV.get('/api/v1/objects/facets?' + urllib.parse.urlencode(params + [('field', field)]))
    assert r.status == 200, r
    return {v['value']: v['count'] for v in r.json()['values'] if v['count'] > 0}


CHECKBOX = re.compile(r'<input class="usa-checkbox__input" id="f-([a-z_]+)-\d+" type="checkbox" '
                      r'name="([a-z]+)" value="([^"]*)"( checked)?>\s*<label[^>]*>.*?'
                      r'<span class="usa-tag portal-count">(\d+)</span>', re.S)


def page_facets(body):
    """{field: {value: (count, checked)}} of the page's checkboxes."""
    out = {}
    for field, name, value, checked, count in CHECKBOX.findall(body):
        value = html.unescape(value)
        if name == 'filter':
            assert value.startswith(field + ':'), value
            value = value.split(':', 1)[1]
        else:
            assert name == field, (name, field)
        out.setdefault(field, {})[value] = (int(count), bool(checked))
    return out


def total_of(body):
    m = re.search(r'<h2 id="results-h">Найдено записей: (\d+)</h2>', body)
    assert m, body[:3000]
    return int(m.group(1))


def row_links(body):
    return [(html.unescape(h), html.unescape(n)) for h, n in
            re.findall(r'<th scope="row"><a class="usa-link" href="([^"]*)"(?: lang="[a-z]+")?>([^<]*)</a></th>',
                       body)]


def link(body, text):
    m = re.search(r'<a class="usa-pagination__link[^"]*" href="([^"]*)"[^>]*>'
                  r'<span class="usa-pagination__link-text">' + re.escape(text), body)
    return html.unescape(m.group(1)) if m else None


def without(params, field):
    """params without the selections of field (as the page counts a facet)."""
    out = []
    for k, v in params:
        f = k if k in ('kind', 'owner') else (v.split(':', 1)[0] if k == 'filter' else None)
        if f != field:
            out.append((k, v))
    return out


def check_facets(params):
    path = '/ru/registry?' + urllib.parse.urlencode(params)
    body = page(path)
    assert total_of(body) == api(params)['total'], path
    shown = page_facets(body)
    for field in FACETS:
        want = api_facet(without(params, field), field)
        got = {v: c for v, (c, _) in shown.get(field, {}).items() if c > 0}
        if field == 'owner':  # the ten largest (and the ticked ones)
            assert len(got) <= 10 + len([1 for k, _ in params if k == 'owner']), got
            for v, c in got.items():
                assert want[v] == c, (field, v, c, want)
            top = sorted(want.values(), reverse=True)[:10]
            assert sorted(got.values(), reverse=True)[:len(top)] == top, (got, want)
        else:
            assert got == want, (path, field, got, want)
    for k, v in params:
        if k in ('kind', 'owner'):
            assert shown[k][v][1], (k, v)
        elif k == 'filter':
            f, val = v.split(':', 1)
            assert shown[f][val][1], (f, val)
    return body


def test_facets_and_counts_match_the_api():
    """REQ: REG-01, X-I18N-01"""
    body = check_facets([])
    facets = page_facets(body)
    assert set(facets) >= {'kind', 'stage', 'status', 'class', 'owner'}, facets.keys()
    # the owner facet names organisations, not ids
    assert 'Ведомство регистра 1' in body and f'>{ORG} <' not in body
    # labels from the metamodel in the page's language
    assert 'Промышленная эксплуатация' in body and 'Учтён' in body
    en = page('/en/registry')
    assert 'Registration status' in en and 'Registered' in en
    check_facets([('filter', 'stage:creation')])
    check_facets([('filter', 'stage:creation'), ('filter', 'stage:industrial_operation'),
                  ('kind', 'information_system')])
    check_facets([('owner', ORG), ('filter', 'class:second')])
    check_facets([('q', 'система')])


def test_filter_sort_and_paging_links():
    """REQ: REG-01"""
    params = [('filter', 'status:registered'), ('sort', '-name'), ('limit', '5')]
    body = page('/ru/registry?' + urllib.parse.urlencode(params))
    # every page of the page's links, in order, equals the API's pages
    want, cursor = [], None
    while True:
        a = api(params + ([('cursor', cursor)] if cursor else []))
        want += [it['id'] for it in a['items']]
        cursor = a['next_cursor']
        if not cursor:
            break
    got, pages, path = [], 0, None
    while True:
        rows = row_links(body)
        assert 0 < len(rows) <= 5, rows
        got += [h.rsplit('/', 1)[1] for h, _ in rows]
        assert all(h.startswith('/ru/objects/') for h, _ in rows)
        pages += 1
        # "N–M of T", and a previous page that shows the rows before
        first_row = (pages - 1) * 5 + 1
        assert f'{first_row}–{first_row + len(rows) - 1} из {len(want)}' in body, body
        prev = link(body, 'Предыдущая страница')
        if pages > 1:
            assert prev and 'cursor=' not in prev and 'sort=-name' in prev, prev
            assert (f'at={first_row - 6}' in prev) == (pages > 2), prev
            back = row_links(page(prev))
            assert [h.rsplit('/', 1)[1] for h, _ in back] == got[-len(rows) - 5:-len(rows)], prev
        else:
            assert prev is None
        path = link(body, 'Следующая страница')
        if not path:
            break
        assert path.startswith('/ru/registry?') and 'cursor=' in path, path
        assert f'at={first_row + len(rows) - 1}' in path, path
        body = page(path)
    assert got == want and pages == -(-len(want) // 5), (got, want)
    # the sort select keeps the order; the query string holds every state
    assert '<option value="-name" selected>' in page('/ru/registry?sort=-name')
    body = page('/ru/registry?q=%D1%81%D0%B8%D1%81%D1%82%D0%B5%D0%BC%D0%B0&filter=stage:creation')
    assert 'value="система"' in body
    # a selected filter can be removed by its link
    m = re.search(r'<a class="usa-tag portal-active__item" href="([^"]*)">Этап жизненного цикла: '
                  r'Создание', body)
    assert m, body
    rest = html.unescape(m.group(1))
    assert 'stage' not in rest and 'q=' in rest, rest
    assert total_of(page(rest)) == api([('q', 'система')])['total']
    # a name links to the object's card
    names = dict((n, h) for h, n in row_links(page('/ru/registry?limit=200')))
    assert names[QUOTED_NAME].startswith('/ru/objects/')


def csv_rows(path, delimiter=','):
    r = SRV.get(path)
    assert r.status == 200, r
    assert r.header('Content-Type').startswith('text/csv; charset=utf-8'), r.headers
    cd = r.header('Content-Disposition')
    assert cd.startswith('attachment; filename="registry-') and cd.endswith('.csv'), cd
    assert r.body.startswith(b'\xef\xbb\xbf'), r.body[:10]
    text = r.body[3:].decode('utf-8')
    assert '\r\n' in text
    return list(csv.reader(io.StringIO(text, newline=''), delimiter=delimiter))


def test_csv_download():
    """REQ: X-INT-01"""
    body = page('/ru/registry?filter=status:registered&limit=5&sort=name')
    m = re.search(r'<a class="usa-link" href="([^"]*)" download>Скачать этот список', body)
    assert m, body
    url = html.unescape(m.group(1))
    assert url.startswith('/ru/registry.csv?') and 'limit' not in url, url
    rows = csv_rows(url)
    assert rows[0] == ['Наименование', 'Вид', 'Учётный код', 'Этап жизненного цикла',
                       'Статус учёта', 'Владелец', 'Изменён', 'Идентификатор'], rows[0]
    want = api([('filter', 'status:registered'), ('sort', 'name'), ('limit', '500')])
    assert [r[7] for r in rows[1:]] == [it['id'] for it in want['items']]
    assert len(rows) - 1 == want['total']
    by_id = {r[7]: r for r in rows[1:]}
    names = {r[0] for r in rows[1:]}
    # a comma and quotes survive RFC 4180 quoting
    assert QUOTED_NAME in names, names
    # a formula is neutralised by an apostrophe
    assert "'" + FORMULA_NAME in names and FORMULA_NAME not in names, names
    assert SCRIPT_NAME in names
    mine = [r for r in rows[1:] if r[5] == 'Ведомство регистра 1']
    assert mine and all(r[1] == 'Информационная система государственного органа' and
                        re.match(r'IS-20\d\d-\d{6}$', r[2]) and r[4] == 'Учтён' for r in mine), mine
    assert all(re.match(r'\d{4}-\d\d-\d\d$', r[6]) for r in rows[1:])
    assert by_id
    # English headers in English
    en = csv_rows('/en/registry.csv?kind=information_system')
    assert en[0][0] == 'Name' and en[0][4] == 'Registration status', en[0]
    assert len(en) - 1 == api([('kind', 'information_system')])['total']
    # the injection guard on every dangerous first character
    r = SRV.get('/ru/registry.csv?q=' + urllib.parse.quote('HYPERLINK'))
    assert b'"\'=HYPERLINK(""http://evil.example"",""x"")"' in r.body, r.body
    # the semicolon separator Excel expects under kk/ru settings: the same
    # cells, offered by a link beside the comma one
    m = re.search(r'<a class="usa-link" href="([^"]*)" download id="csv-semicolon">', body)
    assert m, body
    semi = html.unescape(m.group(1))
    assert semi == url + '&sep=semicolon', (semi, url)
    assert csv_rows(semi, ';') == rows
    raw = SRV.get(semi).body.decode('utf-8-sig')
    assert raw.split('\r\n')[0].count(';') == 7 and '"Система ""Учёт"", версия 2"' in raw
    # a name with a semicolon is quoted in it, not in the comma file
    semi_name = 'Система; с точкой с запятой'
    registered(semi_name)
    q = '&q=' + urllib.parse.quote('точкой')
    assert f'"{semi_name}"' in SRV.get(semi + q).body.decode()
    assert f',{semi_name},' not in SRV.get(url + q).body.decode()
    assert f'{semi_name},' in SRV.get(url + q).body.decode()
    r = SRV.get('/ru/registry.csv?sep=tab', headers={'Accept': 'text/html'})
    assert r.status == 400 and 'sep' in r.body.decode(), r


def test_bad_parameters_give_a_friendly_400_page():
    for path in ['/ru/registry?filter=nonsense:1', '/ru/registry?filter=stage:nonsense',
                 '/ru/registry?cursor=not-a-cursor', '/ru/registry?foo=bar',
                 '/ru/registry?limit=0', '/ru/registry?sort=contacts', '/ru/registry?owner=..%2F',
                 '/ru/registry?filter=nocolon', '/kk/registry.csv?filter=nonsense:1',
                 '/en/registry.csv?cursor=eyJ4IjoxfQ', '/ru/registry?at=-5', '/ru/registry?at=x',
                 '/en/registry?at=100001', '/kk/objects?filter=nonsense:1']:
        r = SRV.get(path, headers={'Accept': 'text/html'})
        assert r.status == 400, (path, r)
        assert r.header('Content-Type').startswith('text/html'), (path, r.headers)
        body = r.body.decode()
        assert 'usa-alert--error' in body and 'problem' not in body, body
        assert '<html lang="' + path[1:3] + '"' in body
    body = SRV.get('/ru/registry?filter=nonsense:1').body.decode()
    assert 'Реестр не может использовать эту часть адреса: filter' in body, body
    # a cursor of another sort order is refused too
    a = api([('limit', '2'), ('sort', 'name')])
    r = SRV.get('/ru/registry?limit=2&sort=-updated_at&cursor=' + a['next_cursor'])
    assert r.status == 400, r


def test_no_restricted_field_and_no_draft_for_the_public():
    for path in ['/ru/registry?limit=500', '/ru/registry?q=' + urllib.parse.quote('система'),
                 '/ru/registry.csv', f'/en/registry.csv?owner={ORG}']:
        body = SRV.get(path).body.decode('utf-8-sig')
        assert SECRET not in body and 'Отдел цифровизации' not in body, path
        assert DRAFT_NAME not in body, path
    # the draft exists (the API shows it to its owner)
    r = SRV.get('/api/v1/objects?' + urllib.parse.urlencode({'q': 'невидимка', 'owner': ORG}), token=OWNER)
    assert r.json()['total'] == 1, r


def test_csv_walks_every_page_for_a_signed_in_owner():
    """The CSV follows the list's cursor past one step (500 rows); a signed-in
    owner's page and CSV hold its drafts, as the API shows them to it."""
    org = make_org(3)
    email = SRV.user('owner-editor', org)
    token = SRV.token('owner-editor', org)
    for i in range(520):
        r = SRV.request('POST', '/api/v1/objects',
                        {'kind': 'information_system', 'owner': org, 'name': {'ru': f'Сайт {i:04d}'},
                         'stage': 'creation'}, token=token)
        assert r.status == 201, r
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'})
    assert r.status in (200, 201), r
    cookie = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)
    h = {'Cookie': f'ap_session={cookie}'}
    r = SRV.get(f'/ru/registry.csv?owner={org}&sort=-name', headers=h)
    assert r.status == 200, r
    rows = list(csv.reader(io.StringIO(r.body[3:].decode(), newline='')))[1:]
    assert [x[0] for x in rows] == [f'Сайт {i:04d}' for i in reversed(range(520))], rows[:3]
    assert all(x[4] == 'Черновик' for x in rows), rows[0]
    assert len({x[7] for x in rows}) == 520
    body = SRV.get(f'/ru/registry?owner={org}', headers=h).body.decode()
    assert total_of(body) == 520 and 'Сайт 0000' in body
    # the public sees none of them
    r = SRV.get(f'/ru/registry.csv?owner={org}')
    assert r.body[3:].decode().count('\r\n') == 1, r.body[:300]


def test_names_are_shown_as_text():
    body = page('/ru/registry?q=alert')
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in body, body
    assert '<script>alert(1)' not in body
    body = page('/ru/registry?q=' + urllib.parse.quote('"><script>alert(2)</script>'))
    assert '<script>alert(2)' not in body and '&lt;script&gt;alert(2)' in body


def test_names_sort_by_the_page_language():
    """Each language's page lists names in its alphabet, as the API does
    with ?lang= (REQ X-I18N-01): Kazakh Ғ after Г, Қ after К, Ү and Ұ after
    У; Russian with Ё as Е; Cyrillic before Latin in both."""
    params = [('filter', 'status:registered'), ('limit', '100')]
    orders = {}
    for lang in ['kk', 'ru', 'en']:
        body = page(f'/{lang}/registry?' + urllib.parse.urlencode(params))
        got = [h.rsplit('/', 1)[1] for h, _ in row_links(body)]
        want = [it['id'] for it in api(params, lang)['items']]
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        assert got == want, (lang, len(got), len(want), at, got[at:at + 3], want[at:at + 3])
        orders[lang] = got
    # the demo's names are in three languages: the three orders differ
    assert orders['kk'] != orders['ru'] != orders['en'], orders
    # a name shown in another language than the page's says which (REQ X-I18N-01)
    body = page('/kk/registry?' + urllib.parse.urlencode(params))
    assert re.search(r'<a class="usa-link" href="[^"]*" lang="ru">' + re.escape(html.escape(QUOTED_NAME)), body) or \
        re.search(r'<a class="usa-link" href="[^"]*" lang="ru">Система', body), body[:2000]


def test_xlsx_download():
    """REQ: X-INT-01"""
    # the same list as an Excel workbook, with the page's filters: the
    # header row then a row per record, the same cells as the CSV
    import zipfile
    from xml.etree import ElementTree as ET
    body = page('/ru/registry?filter=status:registered&limit=5&sort=name')
    m = re.search(r'<a class="usa-link" href="([^"]*)" download id="xlsx-download">', body)
    assert m, body
    url = html.unescape(m.group(1))
    assert url.startswith('/ru/registry.xlsx?') and 'limit' not in url, url
    r = SRV.get(url)
    assert r.status == 200 and 'spreadsheetml' in r.header('Content-Type'), r
    assert 'filename="registry-' in r.header('Content-Disposition') and r.header('Content-Disposition').endswith('.xlsx'), r.headers
    z = zipfile.ZipFile(io.BytesIO(r.body))
    ns = {'s': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}
    # constant memory: the strings inline in the sheet (no shared table)
    shared = ([''.join(t.text or '' for t in si.iter('{%s}t' % ns['s']))
               for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall('s:si', ns)]
              if 'xl/sharedStrings.xml' in z.namelist() else [])
    sheet = ET.fromstring(z.read('xl/worksheets/sheet1.xml'))
    rows = []
    for row in sheet.findall('.//s:sheetData/s:row', ns):
        cells = {}
        for c in row.findall('s:c', ns):
            col = re.match(r'[A-Z]+', c.get('r')).group(0)
            v = c.findtext('s:v', namespaces=ns)
            inline = c.find('s:is', ns)
            cells[col] = (shared[int(v)] if c.get('t') == 's' else
                          ''.join(t.text or '' for t in inline.iter('{%s}t' % ns['s'])) if inline is not None
                          else v)
        rows.append([cells.get(chr(ord('A') + i), '') for i in range(8)])
    assert rows[0] == csv_rows(url.replace('.xlsx', '.csv'))[0], rows[0]
    want = api([('filter', 'status:registered'), ('sort', 'name'), ('limit', '500')])
    assert [r[7] for r in rows[1:]] == [it['id'] for it in want['items']]
    # the public reads no draft there either
    assert all(r[4] == 'Учтён' for r in rows[1:]), rows[1:3]
    assert SRV.get('/ru/objects.xlsx').status == 200
    assert SRV.get('/ru/nothing.xlsx').status == 404


def main():
    global SRV, ADMIN, OWNER, VERIFIER, ORG
    with Server(demo=True) as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1)
        OWNER = srv.token('owner-editor', ORG)
        VERIFIER = srv.token('integrator-verifier', make_org(2))
        registered(SCRIPT_NAME)
        registered(FORMULA_NAME, stage='industrial_operation', supplier='ТОО Поставщик',
                   commissioning_date='2020-01-01', **OPERATION_DATA)
        registered(QUOTED_NAME)
        r = SRV.request('POST', '/api/v1/objects',
                        {'kind': 'information_system', 'owner': ORG, 'name': {'ru': DRAFT_NAME},
                         'stage': 'creation', 'contacts': SECRET}, token=OWNER)
        assert r.status == 201, r
        run([test_facets_and_counts_match_the_api, test_filter_sort_and_paging_links,
             test_csv_download, test_xlsx_download, test_bad_parameters_give_a_friendly_400_page,
             test_no_restricted_field_and_no_draft_for_the_public,
             test_csv_walks_every_page_for_a_signed_in_owner, test_names_are_shown_as_text,
             test_names_sort_by_the_page_language])


if __name__ == '__main__':
    main()
