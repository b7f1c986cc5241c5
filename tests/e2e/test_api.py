"""End-to-end tests of the registry API over HTTP against the real binary."""
import threading
import time
import urllib.parse

from harness import PG, Server, assert_problem, run, valid_bin

ORG = {'kind': 'organization', 'name': {'kk': 'Сынақ министрлігі', 'ru': 'Министерство испытаний',
                                         'en': 'Ministry of Testing'},
       'bin': '000140000002', 'org_type': 'central_state_body', 'region': 'astana'}


def make_org(srv, tok, serial=1, **extra):
    body = dict(ORG, bin=valid_bin(serial), **extra)
    r = srv.request('POST', '/api/v1/organizations', body, token=tok)
    assert r.status == 201, r
    return r.json()


def make_is(srv, tok, owner, name='Тестовая система', **extra):
    body = {'kind': 'information_system', 'owner': owner,
            'name': {'kk': 'Сынақ жүйесі', 'ru': name, 'en': 'Test system'},
            'stage': 'creation', 'class': 'second', 'placement': 'icp_eg'}
    body.update(extra)
    r = srv.request('POST', '/api/v1/objects', body, token=tok)
    assert r.status == 201, r
    return r.json()


SRV = None
TOK = None


def get(path, **kw):
    """Reads as the administrator: drafts are not public (see test_public_sees_only_published)."""
    kw.setdefault('token', TOK)
    return SRV.get(path, **kw)


def test_healthz_and_metrics():
    assert get('/healthz').json() == {'status': 'ok', 'database': 'postgresql' if PG else 'sqlite'}
    m = get('/metrics')
    assert m.status == 200 and m.header('Content-Type').startswith('text/plain')
    text = m.body.decode()
    assert 'archportal_http_requests_total{' in text, text[:500]
    assert 'archportal_http_request_duration_seconds_bucket{' in text
    assert 'archportal_db_size_bytes ' in text


def test_model_is_served():
    # REQ: REG-01, REG-02, SVC-01
    m = get('/api/v1/model').json()
    text = str(m)
    for kind in ['organization', 'information_system', 'state_information_resource',
                 'internet_resource', 'ict_infrastructure_object', 'platform_software_product',
                 'ict_service']:
        assert kind in text, kind


def test_create_patch_history_and_as_of():
    # REQ: REG-06, X-AUD-01
    org = make_org(SRV, TOK, 10)
    rec = make_is(SRV, TOK, org['id'])
    assert rec['revision'] == 1 and rec['owner'] == org['id']
    assert list(rec)[:7] == ['id', 'kind', 'owner', 'name', 'revision', 'created_at', 'updated_at']
    got = get(f'/api/v1/objects/{rec["id"]}')
    assert got.status == 200 and got.header('ETag') == '"1"' and got.json() == rec
    assert get(f'/api/v1/objects/{rec["id"]}', headers={'If-None-Match': '"1"'}).status == 304
    time.sleep(0.01)
    now = time.time()  # one reading: seconds and milliseconds of the same instant
    between = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(now)) + '.%03dZ' % (int(now * 1000) % 1000)
    time.sleep(0.01)
    r = SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}',
                    {'stage': 'pilot_operation', 'name': {'en': 'Test system v2'}},
                    headers={'If-Match': '"1"', 'Content-Type': 'application/merge-patch+json'},
                    token=TOK)
    assert r.status == 200, r
    v2 = r.json()
    assert v2['revision'] == 2 and v2['stage'] == 'pilot_operation'
    assert v2['name'] == {'kk': 'Сынақ жүйесі', 'ru': 'Тестовая система', 'en': 'Test system v2'}
    assert r.header('ETag') == '"2"'
    hist = get(f'/api/v1/objects/{rec["id"]}/history').json()['items']
    assert [h['revision'] for h in hist] == [1, 2]
    assert hist[1]['action'] == 'update' and hist[1]['actor'].startswith('user:') and '/token:' in hist[1]['actor']
    changed = {c['field']: c for c in hist[1]['changes']}
    assert set(changed) == {'stage', 'name'}, changed
    assert changed['stage']['before'] == 'creation' and changed['stage']['after'] == 'pilot_operation'
    old = get(f'/api/v1/objects/{rec["id"]}?at=' + urllib.parse.quote(between))
    assert old.status == 200 and old.json()['revision'] == 1, old
    before = get(f'/api/v1/objects/{rec["id"]}?at=2000-01-01T00:00:00Z')
    assert_problem(before, 404)
    assert_problem(get(f'/api/v1/objects/{rec["id"]}?at=yesterday'), 400, 'at')


def test_noop_patch_keeps_revision():
    org = make_org(SRV, TOK, 20)
    r = SRV.request('PATCH', f'/api/v1/organizations/{org["id"]}', {'region': 'astana'},
                    headers={'If-Match': '"1"'}, token=TOK)
    assert r.status == 200 and r.json()['revision'] == 1, r


def test_if_match_rules():
    org = make_org(SRV, TOK, 30)
    path = f'/api/v1/organizations/{org["id"]}'
    assert_problem(SRV.request('PATCH', path, {'region': 'shymkent'}, token=TOK), 428, 'If-Match')
    assert_problem(SRV.request('PATCH', path, {'region': 'shymkent'}, token=TOK,
                               headers={'If-Match': '"7"'}), 412, 'If-Match')
    assert_problem(SRV.request('PATCH', path, {'region': 'shymkent'}, token=TOK,
                               headers={'If-Match': 'W/"1"'}), 400, 'If-Match')
    assert get(path).json()['region'] == 'astana'


def test_writes_refuse_what_reads_refuse():
    """If-Match beyond 64 bits is refused, not wrapped round to a small
    revision; DELETE needs If-Match as PATCH does; POST, PATCH and DELETE
    refuse unknown query parameters as GET does. Nothing changes."""
    org = make_org(SRV, TOK, 31)
    rec = make_is(SRV, TOK, org['id'], name='Система под запросами')
    path = f'/api/v1/objects/{rec["id"]}'
    before = SRV.export()
    # 2^64 + 1 wrapped to 1 (the current revision) and the patch went through
    for big in [str(2**64 + 1), str(2**63), '9' * 20]:
        assert_problem(SRV.request('PATCH', path, {'supplier': 'x'}, token=TOK,
                                   headers={'If-Match': f'"{big}"'}), 400, 'If-Match')
        assert_problem(SRV.request('DELETE', path, token=TOK, headers={'If-Match': f'"{big}"'}),
                       400, 'If-Match')
    assert_problem(SRV.request('DELETE', path, token=TOK), 428, 'If-Match')
    assert_problem(SRV.request('POST', '/api/v1/objects?dry_run=1', dict(rec, id=None), token=TOK),
                   400, 'dry_run')
    assert_problem(SRV.request('PATCH', path + '?force=true', {'supplier': 'x'}, token=TOK,
                               headers={'If-Match': '"1"'}), 400, 'force')
    assert_problem(SRV.request('DELETE', path + '?cascade=true', token=TOK,
                               headers={'If-Match': '"1"'}), 400, 'cascade')
    assert_problem(SRV.request('POST', '/api/v1/session?next=/', {'email': 'a@b.kz', 'password': 'x'}),
                   400, 'next')
    assert SRV.export() == before
    assert SRV.request('DELETE', path, token=TOK, headers={'If-Match': '"1"'}).status == 204


def test_one_line_fields_refuse_control_characters():
    """Names (multilingual) and every one-line field refuse CR, LF, tabs and
    other C0/C1 controls; text fields keep LF and nothing else."""
    org = make_org(SRV, TOK, 32)
    base = {'kind': 'information_system', 'owner': org['id'], 'name': {'ru': 'Система'},
            'stage': 'creation'}
    cases = [
        (dict(base, name={'ru': 'Система\r\nX-Injected: 1'}), 'name.ru'),
        (dict(base, name={'kk': 'Жүйе\n'}), 'name.kk'),
        (dict(base, name={'en': 'Sys\ttem'}), 'name.en'),
        (dict(base, name={'en': 'Sys\u0085tem'}), 'name.en'),
        (dict(base, name={'en': 'Sys\u2028tem'}), 'name.en'),
        (dict(base, purpose={'ru': 'Учёт\rобъектов'}), 'purpose.ru'),
        (dict(base, supplier='ТОО «Поставщик»\n'), 'supplier'),
        (dict(base, short_name='a\x1bb'), 'short_name'),
        (dict(base, stored_data='строка\rвторая'), 'stored_data'),
        (dict(base, stored_data='строка\x07'), 'stored_data'),
    ]
    before = SRV.export()
    for body, field in cases:
        assert_problem(SRV.request('POST', '/api/v1/objects', body, token=TOK), 422, field)
    assert_problem(SRV.request('POST', '/api/v1/organizations',
                               dict(ORG, bin=valid_bin(33), address={'ru': 'Астана,\nпр. 1'}),
                               token=TOK), 422, 'address.ru')
    assert SRV.export() == before
    ok = SRV.request('POST', '/api/v1/objects', dict(base, stored_data='строка\nвторая'), token=TOK)
    assert ok.status == 201, ok
    assert ok.json()['stored_data'] == 'строка\nвторая'


def test_validation_errors_name_the_field():
    org = make_org(SRV, TOK, 40)
    base = {'kind': 'information_system', 'owner': org['id'],
            'name': {'ru': 'Система'}, 'stage': 'creation'}
    cases = [
        (dict(base, colour='red'), 'colour'),
        (dict(base, stage=5), 'stage'),
        ({k: v for k, v in base.items() if k != 'stage'}, 'stage'),
        (dict(base, stage='flying'), 'stage'),
        (dict(base, owner='no-such-org'), 'owner'),
        (dict(base, commissioning_date='2024-02-30'), 'commissioning_date'),
        (dict(base, functions=['ok', 7]), 'functions[1]'),
        (dict(base, kind='spaceship'), 'kind'),
        ({k: v for k, v in base.items() if k != 'name'}, 'name'),
        (dict(base, name={'de': 'System'}), 'name.de'),
    ]
    before = SRV.export()
    for body, field in cases:
        assert_problem(SRV.request('POST', '/api/v1/objects', body, token=TOK), 422, field)
    bad_bin = dict(ORG, bin='123456789012')
    assert_problem(SRV.request('POST', '/api/v1/organizations', bad_bin, token=TOK), 422, 'bin')
    assert SRV.export() == before


def test_validation_reports_every_problem_at_once():
    org = make_org(SRV, TOK, 42)
    body = {'kind': 'information_system', 'owner': 'no-such-org', 'colour': 'red',
            'stage': 'flying', 'commissioning_date': '2024-02-30', 'functions': ['ok', 7]}
    before = SRV.export()
    r = SRV.request('POST', '/api/v1/objects', body, token=TOK)
    assert_problem(r, 422, 'colour')  # the first, as before
    p = r.json()
    fields = [x['field'] for x in p['errors']]
    assert fields == ['colour', 'owner', 'name', 'functions[1]', 'stage', 'commissioning_date'], p
    assert p['errors'][0]['detail'] == p['detail'] and all(x['detail'] for x in p['errors']), p
    assert SRV.export() == before
    # an edit too: each problem of the merged record
    r = SRV.request('POST', '/api/v1/objects', {'kind': 'information_system', 'owner': org['id'],
                                                'name': {'ru': 'Система'}, 'stage': 'creation'},
                    token=TOK)
    assert r.status == 201, r
    rid = r.json()['id']
    r = SRV.request('PATCH', f'/api/v1/objects/{rid}', {'stage': 'flying', 'class': 'tenth'},
                    token=TOK, headers={'If-Match': '"1"'})
    assert_problem(r, 422, 'class')
    assert [x['field'] for x in r.json()['errors']] == ['class', 'stage'], r.json()
    # one problem: the list holds it alone
    r = SRV.request('POST', '/api/v1/objects', {'kind': 'information_system', 'owner': org['id'],
                                                'name': {'ru': 'С'}, 'stage': 'flying'}, token=TOK)
    assert_problem(r, 422, 'stage')
    assert [x['field'] for x in r.json()['errors']] == ['stage'], r.json()


def test_appendix1_data_as_structured_fields():
    # REQ: REG-07
    # Appendix 1's information items recorded as data: lists of rows and
    # groups of values, each value checked at its path, read back, exported
    org = make_org(SRV, TOK, 41)
    data = {
        'procurement_contracts': [{'contract_number': '45-ГЗ', 'contract_date': '2025-03-14',
                                   'supplier_bin': valid_bin(4101), 'supplier_name': 'ТОО Пример',
                                   'amount': 125000000.5}],
        'general_data': {'developer': 'ТОО Пример', 'pilot_started': '2025-10-01'},
        'installations': [{'place': 'ЦОД ЭП', 'count': 2}, {'place': 'Резервный ЦОД', 'address': 'Алматы'}],
        'costs': [{'year': 2025, 'purpose': 'creation', 'amount': '125000000.50'}],
        'classifiers': [{'title': 'КАТО', 'holder': 'Бюро национальной статистики'}],
    }
    rec = make_is(SRV, TOK, org['id'], **data)
    assert rec['procurement_contracts'][0]['amount'] == '125000000.5', rec
    assert rec['costs'] == [{'year': 2025, 'purpose': 'creation', 'amount': '125000000.5'}], rec
    assert rec['installations'] == data['installations'] and rec['general_data'] == data['general_data']
    got = get(f'/api/v1/objects/{rec["id"]}').json()
    assert {k: got[k] for k in data} == {k: rec[k] for k in data}
    # the model says what each row holds
    fields = {f['name']: f for f in get('/api/v1/model').json()['kinds']['information_system']['fields']}
    subs = [s['name'] for s in fields['installations']['item']['fields']]
    assert fields['installations']['type'] == 'list' and subs == ['place', 'address', 'count'], fields['installations']
    assert fields['general_data']['type'] == 'object' and fields['costs']['needed'] == {
        'stage': ['industrial_operation', 'development']}
    assert fields['procurement_contracts']['help']['kk'], fields['procurement_contracts']
    # found by a classifier's name, in the export
    found = get('/api/v1/objects?q=' + urllib.parse.quote('статистики')).json()['items']
    assert rec['id'] in [i['id'] for i in found]
    assert 'Резервный ЦОД'.encode() in SRV.export()
    # bad values are refused at their path and change nothing
    base = {'kind': 'information_system', 'owner': org['id'], 'name': {'ru': 'Система'},
            'stage': 'creation'}
    cases = [
        (dict(base, installations=[{'place': 'A'}, {'place': 'B', 'count': 'два'}]), 'installations[1].count'),
        (dict(base, installations=[{'place': 'A', 'rack': 5}]), 'installations[0].rack'),
        (dict(base, installations=[{'count': 1}]), 'installations[0].place'),
        (dict(base, installations=[{}]), 'installations[0]'),
        (dict(base, installations={'place': 'A'}), 'installations'),
        (dict(base, procurement_contracts=[dict(data['procurement_contracts'][0], supplier_bin='123456789012')]),
         'procurement_contracts[0].supplier_bin'),
        (dict(base, costs=[{'year': 1900, 'purpose': 'creation', 'amount': 1}]), 'costs[0].year'),
        (dict(base, costs=[{'year': 2025, 'purpose': 'lunch', 'amount': 1}]), 'costs[0].purpose'),
        (dict(base, general_data={'pilot_started': '2025-02-30'}), 'general_data.pilot_started'),
        (dict(base, general_data='сведения'), 'general_data'),
    ]
    before = SRV.export()
    for body, field in cases:
        assert_problem(SRV.request('POST', '/api/v1/objects', body, token=TOK), 422, field)
    r = SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}', {'costs': [{'year': 'next'}]}, token=TOK,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert_problem(r, 422, 'costs[0].year')
    assert SRV.export() == before


def test_readonly_fields_are_ignored_on_copy():
    org = make_org(SRV, TOK, 50)
    rec = make_is(SRV, TOK, org['id'])
    copy = SRV.request('POST', '/api/v1/objects', rec, token=TOK)
    assert copy.status == 201, copy
    assert copy.json()['id'] != rec['id'] and copy.json()['revision'] == 1
    assert copy.header('Location') == f'/api/v1/objects/{copy.json()["id"]}'


def test_delete_retires_and_keeps_history():
    # REQ: REG-06
    org = make_org(SRV, TOK, 60)
    rec = make_is(SRV, TOK, org['id'], name='Удаляемая система')
    assert_problem(SRV.request('DELETE', f'/api/v1/organizations/{org["id"]}', headers={'If-Match': '*'}, token=TOK), 409)
    r = SRV.request('DELETE', f'/api/v1/objects/{rec["id"]}', headers={'If-Match': '*'}, token=TOK)
    assert r.status == 204, r
    assert_problem(get(f'/api/v1/objects/{rec["id"]}'), 410)
    listed = get('/api/v1/objects?q=' + urllib.parse.quote('Удаляемая')).json()
    assert listed['total'] == 0, listed
    hist = get(f'/api/v1/objects/{rec["id"]}/history').json()['items']
    assert [h['action'] for h in hist] == ['create', 'retire']
    assert SRV.request('DELETE', f'/api/v1/organizations/{org["id"]}', headers={'If-Match': '*'}, token=TOK).status == 204


def test_relations():
    org = make_org(SRV, TOK, 70)
    sys_a = make_is(SRV, TOK, org['id'], name='Система А')
    sys_b = make_is(SRV, TOK, org['id'], name='Система Б')
    dc = SRV.request('POST', '/api/v1/objects', {
        'kind': 'ict_infrastructure_object', 'owner': org['id'], 'stage': 'industrial_operation',
        'name': {'ru': 'ЦОД', 'kk': 'ДӨО', 'en': 'Data centre'}, 'infrastructure_type': 'data_center'},
        token=TOK)
    assert dc.status == 201, dc
    dc = dc.json()
    runs = SRV.request('POST', '/api/v1/relations',
                       {'type': 'runs_on', 'source': sys_a['id'], 'target': dc['id']}, token=TOK)
    assert runs.status == 201, runs
    assert list(runs.json())[:4] == ['id', 'type', 'source', 'target']
    ex = SRV.request('POST', '/api/v1/relations',
                     {'type': 'exchanges_data_with', 'source': sys_a['id'], 'target': sys_b['id'],
                      'data_carried': 'ИИН, ФИО'}, token=TOK)
    assert ex.status == 201, ex
    assert_problem(SRV.request('POST', '/api/v1/relations',
                               {'type': 'runs_on', 'source': sys_a['id'], 'target': dc['id']},
                               token=TOK), 409)
    assert_problem(SRV.request('POST', '/api/v1/relations',
                               {'type': 'runs_on', 'source': sys_a['id'], 'target': sys_b['id']},
                               token=TOK), 422, 'target')
    assert_problem(SRV.request('POST', '/api/v1/relations',
                               {'type': 'exchanges_data_with', 'source': sys_a['id'],
                                'target': dc['id'], 'data_carried': 'x'}, token=TOK), 422, 'target')
    out = get(f'/api/v1/objects/{sys_a["id"]}/relations?direction=out').json()['items']
    assert sorted(i['type'] for i in out) == ['exchanges_data_with', 'runs_on']
    inn = get(f'/api/v1/objects/{dc["id"]}/relations?direction=in').json()['items']
    assert [i['source'] for i in inn] == [sys_a['id']] and inn[0]['direction'] == 'in'
    typed = get(f'/api/v1/objects/{sys_a["id"]}/relations?type=runs_on').json()['items']
    assert len(typed) == 1
    assert_problem(get(f'/api/v1/objects/{sys_a["id"]}/relations?direction=up'), 400, 'direction')
    # retiring an end retires its relations
    assert SRV.request('DELETE', f'/api/v1/objects/{sys_b["id"]}', headers={'If-Match': '*'}, token=TOK).status == 204
    assert_problem(get(f'/api/v1/relations/{ex.json()["id"]}'), 410)
    assert get(f'/api/v1/relations/{runs.json()["id"]}').status == 200


def test_list_filters_sort_and_cursor():
    org = make_org(SRV, TOK, 80, name={'ru': 'Листинговое ведомство', 'kk': 'Тізім', 'en': 'Lister'})
    stages = ['creation', 'pilot_operation', 'industrial_operation']
    made = []
    for i in range(23):
        made.append(make_is(SRV, TOK, org['id'], name=f'Листинг {i:02d}',
                            stage=stages[i % 3], **{'class': ['first', 'second'][i % 2]}))
    q = f'/api/v1/objects?owner={org["id"]}'
    everything = get(q + '&limit=500').json()
    assert everything['total'] == 23 and everything['next_cursor'] is None
    # OR within a field, AND across fields
    r = get(q + '&filter=stage:creation&filter=stage:pilot_operation&filter=class:first').json()
    want = [m for m in made if m['stage'] in ('creation', 'pilot_operation') and m['class'] == 'first']
    assert r['total'] == len(want) and {i['id'] for i in r['items']} == {m['id'] for m in want}
    # paging with a cursor visits every record once, in order
    seen, cursor = [], None
    while True:
        page = get(q + '&sort=-name&limit=5' + (f'&cursor={cursor}' if cursor else '')).json()
        assert page['total'] == 23
        seen += [i['name']['ru'] for i in page['items']]
        cursor = page['next_cursor']
        if not cursor:
            break
    assert seen == sorted((m['name']['ru'] for m in made), reverse=True), seen
    by_stage = get(q + '&sort=stage&limit=500').json()['items']
    assert [i['stage'] for i in by_stage] == sorted(i['stage'] for i in by_stage)
    assert_problem(get(q + '&limit=501'), 400, 'limit')
    assert_problem(get(q + '&sort=purpose'), 422, 'sort')
    assert_problem(get(q + '&filter=stage:flying'), 422, 'filter')
    assert_problem(get(q + '&colour=red'), 400, 'colour')
    assert_problem(get(q + '&sort=name&cursor=' + (cursor or 'eyJ4IjoxfQ')), 400, 'cursor')


def test_facets_count_under_filters():
    org = make_org(SRV, TOK, 90)
    for i, stage in enumerate(['creation', 'creation', 'development']):
        make_is(SRV, TOK, org['id'], name=f'Фасет {i}', stage=stage)
    f = get(f'/api/v1/objects/facets?field=stage&owner={org["id"]}').json()
    counts = {v['value']: v['count'] for v in f['values']}
    assert counts == {'creation': 2, 'development': 1}, f
    assert all('label' in v for v in f['values']) or True
    k = get(f'/api/v1/objects/facets?field=kind&owner={org["id"]}').json()
    assert k['values'][0]['value'] == 'information_system' and k['values'][0]['count'] == 3
    assert k['values'][0]['label']['kk']
    assert_problem(get('/api/v1/objects/facets?field=purpose'), 422, 'field')
    assert_problem(get('/api/v1/objects/facets'), 400, 'field')


def test_auth_is_required_for_writes():
    org_body = dict(ORG, bin=valid_bin(100))
    r = SRV.request('POST', '/api/v1/organizations', org_body)
    assert_problem(r, 401, 'Authorization')
    assert r.header('WWW-Authenticate').startswith('Bearer')
    assert_problem(SRV.request('POST', '/api/v1/organizations', org_body, token='apt_nope'), 401)
    viewer = SRV.token('owner-viewer')
    assert_problem(SRV.request('POST', '/api/v1/organizations', org_body, token=viewer), 403)
    assert_problem(SRV.request('POST', '/api/v1/organizations', 'x=1', token=TOK,
                               headers={'Content-Type': 'application/x-www-form-urlencoded'}), 415)


def test_concurrent_patches_exactly_one_wins():
    org = make_org(SRV, TOK, 110)
    rec = make_is(SRV, TOK, org['id'])
    results = []

    def patch(i):
        r = SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}', {'supplier': f'Поставщик {i}'},
                        headers={'If-Match': '"1"'}, token=TOK)
        results.append(r.status)

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [412] * 7, results
    assert get(f'/api/v1/objects/{rec["id"]}').json()['revision'] == 2


def test_unknown_routes_and_methods():
    assert_problem(get('/api/v1/spaceships'), 404)
    assert_problem(get('/nothing/here'), 404)
    r = SRV.request('PUT', '/api/v1/objects')
    assert_problem(r, 405)
    assert 'GET' in r.header('Allow')


def test_demo_search_finds_the_portal():
    # REQ: REG-01
    with Server(demo=True) as demo:
        # the demo's complete objects are registered; the public sees those
        public = demo.get('/api/v1/objects/facets?field=status').json()['values']
        assert [v['value'] for v in public] == ['registered'] and public[0]['count'] >= 20, public
        tok = demo.token()
        demo_get = demo.get

        def get_as_admin(path, **kw):
            kw.setdefault('token', tok)
            return demo_get(path, **kw)
        demo.get = get_as_admin
        drafts = demo.get('/api/v1/objects?filter=status:draft&limit=1').json()['total']
        assert drafts > 0
        ru = demo.get('/api/v1/objects?q=' + urllib.parse.quote('портал')).json()
        names = [i['name']['ru'] for i in ru['items']]
        assert any('ортал' in n and 'правительств' in n for n in names), names
        kk = demo.get('/api/v1/objects?q=' + urllib.parse.quote('ҮКІМЕТ ПОРТАЛЫ')).json()
        assert any('правительств' in i['name']['ru'] for i in kk['items']), kk
        prefix = demo.get('/api/v1/objects?q=' + urllib.parse.quote('электрондық үкім')).json()
        assert prefix['total'] >= 1
        facets = demo.get('/api/v1/objects/facets?field=kind').json()['values']
        total = demo.get('/api/v1/objects?limit=1').json()['total']
        assert sum(v['count'] for v in facets) == total and len(facets) >= 5
        stages = demo.get('/api/v1/objects/facets?field=stage').json()['values']
        assert sum(v['count'] for v in stages) == total


def main():
    global SRV, TOK
    with Server() as srv:
        SRV = srv
        TOK = srv.token()
        run([test_healthz_and_metrics, test_model_is_served, test_create_patch_history_and_as_of,
             test_noop_patch_keeps_revision, test_if_match_rules, test_writes_refuse_what_reads_refuse,
             test_one_line_fields_refuse_control_characters,
             test_validation_errors_name_the_field, test_validation_reports_every_problem_at_once,
             test_appendix1_data_as_structured_fields,
             test_readonly_fields_are_ignored_on_copy,
             test_delete_retires_and_keeps_history, test_relations,
             test_list_filters_sort_and_cursor, test_facets_count_under_filters,
             test_auth_is_required_for_writes, test_concurrent_patches_exactly_one_wins,
             test_unknown_routes_and_methods, test_demo_search_finds_the_portal])


if __name__ == '__main__':
    main()
