"""End-to-end tests of the architecture's analyses (issue 16): the rules of
the data layer's principles (master data kept by one body, digitised) and a
first-class object off the ICP EG without its ground, as rules of the model
judged by the one engine; the report by state body and by domain, with each
rule's trend from the figures the portal records once a day, and as CSV."""
import csv
import html
import io
import zipfile
import re
from urllib.parse import quote

from harness import Server, assert_problem, cli, run, valid_bin

SRV = None
ADMIN = ARCH = OWNER = OTHER_OWNER = APPROVER = None
ORG = OTHER = INTEGRATOR = None
PASSWORD = 'Corr3ct-Horse-Battery'
W = {}


def make_org(n, name):
    body = {'name': {'ru': name}, 'bin': valid_bin(9300 + n), 'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def create(coll, body, token, status=201):
    r = SRV.request('POST', f'/api/v1/{coll}', body, token=token)
    assert r.status == status, (coll, body, r)
    return r.json()


def relate(rtype, source, target, token, **attrs):
    return create('relations', {'type': rtype, 'source': source, 'target': target, **attrs}, token)


def patch(coll, rec, body, token):
    r = SRV.request('PATCH', f'/api/v1/{coll}/{rec["id"]}', body, token=token,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    return r.json()


def report(query=''):
    r = SRV.get('/api/v1/rules' + query, token=ARCH)
    assert r.status == 200, r
    return {i['rule']: i for i in r.json()['items']}


def violators(rule):
    return {v['id'] for v in report(f'?rule={rule}')[rule]['violators']}


def sign_in(role, org=None):
    email = SRV.user(role, org)
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': PASSWORD})
    assert r.status == 200, r
    return re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)


def page(path, cookie):
    return SRV.request('GET', path, headers={'Cookie': f'ap_session={cookie}'})


def setup():
    W['domain'] = create('domains', {'name': {'ru': 'Социальная защита'}}, ARCH)
    W['other_domain'] = create('domains', {'name': {'ru': 'Здравоохранение'}}, ARCH)
    W['function'] = create('functions', {'name': {'ru': 'Назначение пособий'}, 'owner': ORG,
                                         'domain': W['domain']['id']}, OWNER)
    W['system'] = create('objects', {'kind': 'information_system', 'owner': ORG,
                                     'stage': 'industrial_operation',
                                     'name': {'ru': 'АИС «Пособия»'}}, OWNER)
    W['other_system'] = create('objects', {'kind': 'information_system', 'owner': OTHER,
                                           'stage': 'creation', 'name': {'ru': 'АИС «Дубль»'}},
                               OTHER_OWNER)
    relate('automates', W['system']['id'], W['function']['id'], ARCH)


def test_master_data_kept_by_one_body():
    # REQ: ARC-17
    # master data written by the functions and systems of two bodies break
    # §24's no-duplication principle; read by the other, they do not
    subject = create('master_data', {'kind': 'data_subject', 'name': {'ru': 'Получатель пособия'},
                                     'domain': W['domain']['id'],
                                     'attributes': [{'name': 'ИИН', 'source': W['system']['id']}]},
                     ARCH)
    W['subject'] = subject
    relate('accesses', W['system']['id'], subject['id'], ARCH, access='write')
    relate('accesses', W['function']['id'], subject['id'], ARCH, access='read_write')
    assert subject['id'] not in violators('master_data_one_keeper')  # one body: the ministry
    dup = relate('accesses', W['other_system']['id'], subject['id'], ARCH, access='read')
    assert subject['id'] not in violators('master_data_one_keeper')  # the other only reads
    r = SRV.request('PATCH', f'/api/v1/relations/{dup["id"]}', {'access': 'write'}, token=ARCH,
                    headers={'If-Match': '"1"'})
    assert r.status == 200, r
    rule = report('?rule=master_data_one_keeper')['master_data_one_keeper']
    gap = {v['id']: v for v in rule['violators']}[subject['id']]
    assert (gap['relation'], gap['direction']) == ('accesses', 'in'), gap
    assert rule['requirement'] == 'ARC-17' and rule['layer'] == 'data', rule


def test_master_data_digitised():
    # REQ: ARC-17
    # an attribute whose source is not in operation or development is not
    # digitised: the subject and the type that inherits it break the rule
    # until the source goes into operation
    dtype = create('master_data', {'kind': 'data_type', 'name': {'ru': 'Многодетная мать'},
                                   'base': W['subject']['id'], 'domain': W['domain']['id'],
                                   'attributes': [{'name': 'Число детей',
                                                   'source': W['system']['id']}]}, ARCH)
    assert not {W['subject']['id'], dtype['id']} & violators('master_data_digitised')
    subject = SRV.get(f'/api/v1/master_data/{W["subject"]["id"]}', token=ARCH).json()
    patch('master_data', subject, {'attributes': [
        {'name': 'ИИН', 'source': W['system']['id']},
        {'name': 'Адрес', 'source': W['other_system']['id']}]}, ARCH)  # a system being built
    assert {W['subject']['id'], dtype['id']} <= violators('master_data_digitised')
    other = SRV.get(f'/api/v1/objects/{W["other_system"]["id"]}', token=OTHER_OWNER).json()
    patch('objects', other, {'stage': 'development'}, OTHER_OWNER)
    assert not {W['subject']['id'], dtype['id']} & violators('master_data_digitised')


def test_first_class_off_the_platform_names_its_ground():
    # REQ: REG-08
    obj = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                             'class': 'first', 'placement': 'other',
                             'name': {'ru': 'АИС вне платформы'}}, OWNER)
    assert obj['id'] in violators('first_class_off_platform_ground')
    patch('objects', obj, {'placement_exception': 'platform_inexpedient'}, OWNER)
    assert obj['id'] not in violators('first_class_off_platform_ground')
    on = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                            'class': 'first', 'placement': 'icp_eg',
                            'name': {'ru': 'АИС на платформе'}}, OWNER)
    assert on['id'] not in violators('first_class_off_platform_ground')


def test_report_by_body_and_by_domain():
    # REQ: ARC-13
    # by state body: the owner of each record; by domain: the records the
    # domain's view reaches (its functions, their systems, its master data)
    rule = report('?rule=system_automates_something&by=owner')['system_automates_something']
    by = {g['id']: g for g in rule['by']}
    # the ministry's system automates its function; the other body's does not
    assert by[ORG]['compliant'] >= 1 and by[ORG]['name']['ru'].startswith('Министерство труда')
    assert by[OTHER]['applicable'] == by[OTHER]['compliant'] + 1, by[OTHER]
    assert sum(g['applicable'] for g in rule['by']) == rule['applicable'], rule
    rule = report('?rule=master_data_one_keeper&by=domain')['master_data_one_keeper']
    by = {g['id']: g for g in rule['by']}
    assert by[W['domain']['id']]['applicable'] >= 2, by  # the subject and its type
    assert by[W['domain']['id']]['compliant'] < by[W['domain']['id']]['applicable'], by
    assert W['other_domain']['id'] not in by, by  # nothing of it is judged by the rule
    rule = report('?rule=system_automates_something&by=domain')['system_automates_something']
    by = {g['id']: g for g in rule['by']}
    assert by[W['domain']['id']]['applicable'] == by[W['domain']['id']]['compliant'] >= 1, by
    assert by[None]['applicable'] >= 1, by  # the idle system is in no domain
    assert_problem(SRV.get('/api/v1/rules?by=colour', token=ARCH), 400, 'by')
    assert_problem(SRV.get('/api/v1/rules?by=capability', token=ARCH), 400, 'by')
    assert SRV.get('/api/v1/model').json()['rule_report']['by'] == [
        {'kind': 'domain', 'view': 'architecture'}]


def test_trend_recorded_once_a_day():
    # REQ: ARC-13
    # the background scan records each rule's figures once a local day, from
    # 20:00; the report shows them oldest first, a second scan the same day
    # adds none
    for at, records in (('2026-11-02T19:59:00+05:00', False), ('2026-11-02T20:00:00+05:00', True),
                        ('2026-11-03T21:00:00+05:00', True), ('2026-11-03T23:00:00+05:00', False)):
        out = cli(SRV.data, 'notify', 'scan', '--at', at).stdout.decode()
        assert ("the rules' figures of the day" in out) == records, (at, out)
    rule = report('?rule=system_automates_something')['system_automates_something']
    trend = rule['trend']
    # (a scan of the server itself may add today's, after these)
    assert [t['day'] for t in trend][:2] == ['2026-11-02', '2026-11-03'], trend
    assert trend[1]['applicable'] == rule['applicable'], (trend, rule)  # nothing changed since
    assert all(0 <= t['compliant'] <= t['applicable'] for t in trend), trend
    # each state body's and each domain's own trend, recorded with them
    for by in ('owner', 'domain'):
        grouped = report(f'?rule=system_automates_something&by={by}')['system_automates_something']
        named = [g for g in grouped['by'] if g.get('id')]
        assert named, grouped
        for g in named:
            days = [t['day'] for t in g.get('trend', [])]
            assert days[:2] == ['2026-11-02', '2026-11-03'], (by, g)
            assert all(0 <= t['compliant'] <= t['applicable'] for t in g['trend']), g
    r = page('/ru/rules?rule=system_automates_something&by=owner', sign_in('integrator-architect', INTEGRATOR))
    assert r.status == 200 and re.search(r'2026-11-02: \d+ %', html.unescape(r.body.decode())), r
    # export, import and check carry the figures
    dump = SRV.export()
    assert b'"rule_figure"' in dump, 'the figures are in the export'


def test_report_page_and_csv():
    # REQ: ARC-13
    who = sign_in('integrator-architect', INTEGRATOR)
    body = html.unescape(page('/ru/rules?layer=data&by=domain', who).body.decode())
    assert 'Социальная защита' in body and 'По группам' in body, 'the groups'
    assert re.search(r'aria-current="page">Домены<', body), 'the current grouping'
    assert 'Динамика' in body and '2026-11-02' in body, 'the trend'
    # one rule's page lists more of its records than the page of all rules
    body = html.unescape(page('/ru/rules?rule=master_data_one_keeper', who).body.decode())
    assert 'Мастер-данные ведёт только один' in body and 'Каждый атрибут мастер-данных оцифрован' not in body
    r = page('/ru/rules.csv?layer=data&by=domain', who)
    assert r.status == 200 and r.header('Content-Type').startswith('text/csv'), r
    rows = list(csv.reader(io.StringIO(r.body.decode('utf-8-sig'))))
    assert rows[0][:2] == ['Правило', 'Идентификатор'], rows[0]
    keeper = [x for x in rows if x[1] == 'master_data_one_keeper']
    assert any(x[5] == 'Социальная защита' and int(x[8]) >= 1 for x in keeper), keeper
    assert page('/en/rules-broken.csv?rule=nope', who).status == 400
    r = page('/en/rules-broken.csv?rule=master_data_one_keeper&sep=semicolon', who)
    rows = list(csv.reader(io.StringIO(r.body.decode('utf-8-sig')), delimiter=';'))
    assert rows[0][0] == 'Rule', rows[0]
    assert any(x[3] == W['subject']['id'] for x in rows), rows
    # the same as workbooks
    r = page('/ru/rules.xlsx?layer=data&by=domain', who)
    assert r.status == 200 and r.header('Content-Type').startswith(
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'), r
    sheet = zipfile.ZipFile(io.BytesIO(r.body)).read('xl/worksheets/sheet1.xml').decode()
    assert 'Правило' in sheet and 'master_data_one_keeper' in sheet and 'Социальная защита' in sheet
    r = page('/en/rules-broken.xlsx?rule=master_data_one_keeper', who)
    assert r.status == 200 and W['subject']['id'] in zipfile.ZipFile(io.BytesIO(r.body)).read(
        'xl/worksheets/sheet1.xml').decode()
    assert page('/ru/rules.csv?sep=tab', who).status == 400
    assert page('/ru/rules.csv?by=colour', who).status == 400
    # for holders of rules-report only, like the API
    assert page('/ru/rules.csv', sign_in('owner-editor', ORG)).status == 403


def test_kept_judgements_follow_writes():
    # REQ: ARC-13
    # the report answers from the judgements it keeps (re-judging only what
    # each write can change); grouped, it judges every record again: after
    # the writes of the tests above both agree on every rule, count and
    # breaking record
    kept = report()
    judged = report('?by=owner')
    assert kept.keys() == judged.keys()
    for rule, k in kept.items():
        j = judged[rule]
        assert (k['applicable'], k['compliant']) == (j['applicable'], j['compliant']), (rule, k, j)
        assert [v['id'] for v in k['violators']] == [v['id'] for v in j['violators']], rule
        assert [v.get('field') or v.get('relation') for v in k['violators']] == \
            [v.get('field') or v.get('relation') for v in j['violators']], rule
    # one write: the records it can change are judged again, not all
    SRV.request('PATCH', f'/api/v1/objects/{W["system"]["id"]}', {'stage': 'termination'},
                token=OWNER, headers={'If-Match': '"1"'})
    r = SRV.get('/api/v1/rules', token=ARCH).json()
    assert 1 <= r['evaluation']['judged'] <= 20, r['evaluation']
    # the function the system automated is now automated by a terminated one
    assert W['function']['id'] in violators('service_system_terminated')
    assert W['function']['id'] in {v['id'] for v in
                                   report('?by=owner')['service_system_terminated']['violators']}
    # a write of what no rule, measure or inheritance reads (a description)
    # judges that record alone; one of what they read (an attribute's
    # storage source) the types below it too, which the count shows
    subject = SRV.get(f'/api/v1/master_data/{W["subject"]["id"]}', token=ARCH).json()
    subject = patch('master_data', subject, {'description': 'Лицо, которому назначено пособие'},
                    ARCH)
    r = SRV.get('/api/v1/rules', token=ARCH).json()
    assert r['evaluation']['judged'] == 1, r['evaluation']
    attrs = subject['attributes']
    patch('master_data', subject, {'attributes': [{'name': attrs[0]['name']}] + attrs[1:]}, ARCH)
    r = SRV.get('/api/v1/rules', token=ARCH).json()
    assert r['evaluation']['judged'] >= 2, r['evaluation']
    assert W['subject']['id'] in violators('attribute_has_source')
    kept, judged = report(), report('?by=owner')
    for rule, k in kept.items():
        assert [v['id'] for v in k['violators']] == \
            [v['id'] for v in judged[rule]['violators']], rule


def test_judged_from_scratch_after_a_restart():
    # REQ: ARC-13
    # a restarted server judges every record from scratch (the records' text
    # read in row order, the records to judge told by the filter index):
    # it agrees with the records judged one by one, and a retired record
    # that broke a rule is judged no more
    gone = create('objects', {'kind': 'information_system', 'owner': ORG,
                              'stage': 'industrial_operation', 'name': {'ru': 'АИС «Снята»'}}, OWNER)
    assert gone['id'] in violators('system_runs_on_infrastructure')
    r = SRV.request('DELETE', f'/api/v1/objects/{gone["id"]}', token=ADMIN, headers={'If-Match': '*'})
    assert r.status in (200, 204), r
    before = report('?by=owner')
    SRV.stop()
    SRV.start()
    kept, judged = report(), report('?by=owner')
    assert sum(k['applicable'] for k in kept.values()) >= 10
    for rule, k in kept.items():
        assert (k['applicable'], k['compliant']) == \
            (judged[rule]['applicable'], judged[rule]['compliant']) == \
            (before[rule]['applicable'], before[rule]['compliant']), rule
        ids = [v['id'] for v in k['violators']]
        assert ids == [v['id'] for v in judged[rule]['violators']], rule
        assert gone['id'] not in ids, rule


def initiative(name, itype, **more):
    return create('initiatives', {'name': {'ru': name}, 'owner': ORG, 'initiative_type': itype,
                                  'priority': 'high', 'status': 'planned',
                                  'domain': W['domain']['id'], **more}, ARCH)


def gaps(query='', token=None):
    r = SRV.get('/api/v1/gaps' + query, token=token or ARCH)
    assert r.status == 200, r
    return r.json()


def test_initiatives_and_the_gap_report():
    # REQ: ARC-11, ARC-12
    # the target is the as-is with the initiatives applied: a replaced
    # system and what replaces it, a developed function, a decommissioned
    # system (removal wins over another initiative's development), nothing
    # from a cancelled initiative
    old = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'industrial_operation',
                             'name': {'ru': 'АИС «Старые пособия»'}}, OWNER)
    new = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                             'name': {'ru': 'АИС «Новые пособия»'}}, OWNER)
    gone = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'industrial_operation',
                              'name': {'ru': 'АИС «Архив пособий»'}}, OWNER)
    W['old'], W['new'] = old, new
    replace = initiative('Замена АИС пособий', 'replace', estimate=1500000000,
                         starts_on='2027-01-01', ends_on='2027-12-31')
    relate('affects', replace['id'], old['id'], ARCH, role='changed')
    relate('affects', replace['id'], new['id'], ARCH, role='result')
    develop = initiative('Развитие функции назначения пособий', 'develop')
    relate('affects', develop['id'], W['function']['id'], ARCH, role='changed')
    relate('affects', develop['id'], gone['id'], ARCH, role='changed')
    retire = initiative('Вывод архива из эксплуатации', 'decommission')
    relate('affects', retire['id'], gone['id'], ARCH, role='changed')
    dropped = initiative('Отменённая миграция', 'migrate_to_icp', status='cancelled')
    relate('affects', dropped['id'], W['system']['id'], ARCH, role='changed')
    g = gaps()
    rows = {r['element']['id']: r for r in g['items']}
    assert rows[old['id']]['effect'] == 'replace', rows[old['id']]
    assert [x['id'] for x in rows[old['id']]['replaced_by']] == [new['id']]
    assert rows[new['id']]['effect'] == 'new'
    assert rows[W['function']['id']]['effect'] == 'enhance'
    assert rows[gone['id']]['effect'] == 'remove'
    assert {x['id'] for x in rows[gone['id']]['initiatives']} == {develop['id'], retire['id']}
    assert W['system']['id'] not in rows, 'a cancelled initiative changes nothing'
    assert [r['effect'] for r in g['items']][:1] == ['remove'], 'the most changed first'
    assert g['counts'] == {'remove': 1, 'replace': 1, 'enhance': 1, 'new': 1}, g['counts']
    # narrowed: one collection, one change, one domain's initiatives
    assert {r['element']['id'] for r in gaps('?collection=functions')['items']} == {W['function']['id']}
    assert [r['element']['id'] for r in gaps('?effect=replace')['items']] == [old['id']]
    assert gaps(f'?domain={W["other_domain"]["id"]}')['items'] == []
    assert_problem(SRV.get('/api/v1/gaps?collection=nope', token=ARCH), 400, 'collection')
    assert_problem(SRV.get('/api/v1/gaps?effect=keep', token=ARCH), 400, 'effect')
    assert_problem(SRV.get('/api/v1/gaps?domain=%00', token=ARCH), 400, 'domain')
    assert_problem(SRV.get('/api/v1/gaps?colour=red', token=ARCH), 400)
    # initiatives are read when signed in: the public learns nothing of them
    r = SRV.get('/api/v1/gaps')
    assert r.status == 200 and r.json()['items'] == [], r
    # an initiative's elements are of the kinds the model allows, its type one of the nine
    r = SRV.request('POST', '/api/v1/relations', {'type': 'affects', 'source': replace['id'],
                                                  'target': ORG, 'role': 'changed'}, token=ARCH)
    assert r.status == 422, r
    r = SRV.request('POST', '/api/v1/relations', {'type': 'affects', 'source': replace['id'],
                                                  'target': old['id'], 'role': 'maybe'}, token=ARCH)
    assert r.status == 422, r
    r = SRV.request('POST', '/api/v1/initiatives', {'name': {'ru': 'Без типа'}, 'owner': ORG,
                                                    'priority': 'low', 'status': 'planned',
                                                    'initiative_type': 'rebuild'}, token=ARCH)
    assert r.status == 422, r
    assert len(gaps()['items']) == 4, 'nothing changed by the refused writes'
    # REQ: ARC-13
    # a component whose operation has ended, no initiative addressing it
    # (§16: components with no recommendation); a cancelled one does not count
    ended = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'termination',
                               'name': {'ru': 'АИС «Выведенная»'}}, OWNER)
    assert ended['id'] in violators('terminated_component_addressed')
    relate('affects', dropped['id'], ended['id'], ARCH, role='changed')
    assert ended['id'] in violators('terminated_component_addressed')
    relate('affects', retire['id'], ended['id'], ARCH, role='changed')
    assert ended['id'] not in violators('terminated_component_addressed')
    r = SRV.request('PATCH', f'/api/v1/initiatives/{retire["id"]}', {'status': 'cancelled'},
                    token=ARCH, headers={'If-Match': f'"{retire["revision"]}"'})
    assert r.status == 200, r
    assert ended['id'] in violators('terminated_component_addressed'), 'the initiative was cancelled'
    r = SRV.request('PATCH', f'/api/v1/initiatives/{retire["id"]}', {'status': 'planned'},
                    token=ARCH, headers={'If-Match': f'"{r.json()["revision"]}"'})
    assert r.status == 200, r


def test_gap_report_page_and_csv():
    # REQ: ARC-12
    who = sign_in('owner-editor', ORG)
    body = html.unescape(page('/ru/gaps', who).body.decode())
    assert 'Целевая архитектура: отчёт о разрывах' in body
    assert 'АИС «Старые пособия»' in body and 'Заменяется' in body and 'АИС «Новые пособия»' in body
    assert 'Выводится: 2' in body and 'Учтено инициатив: 3.' in body, 'counts; the cancelled left out'
    body = html.unescape(page('/ru/gaps?collection=objects&effect=replace', who).body.decode())
    assert 'АИС «Старые пособия»' in body and 'Назначение пособий</a>' not in body
    r = page('/ru/gaps.csv?effect=replace', who)
    assert r.status == 200 and r.header('Content-Type').startswith('text/csv'), r
    rows = list(csv.reader(io.StringIO(r.body.decode('utf-8-sig'))))
    assert rows[0][:4] == ['Элемент', 'Идентификатор', 'Вид', 'Изменение'], rows[0]
    assert rows[1][1] == W['old']['id'] and rows[1][3] == 'Заменяется', rows
    assert rows[1][6] == 'АИС «Новые пособия»', rows
    assert page('/ru/gaps?effect=keep', who).status == 400
    assert SRV.request('GET', '/ru/gaps').status == 401


def version(rec_id, token=None):
    r = SRV.get(f'/api/v1/architecture_versions/{rec_id}', token=token or ARCH)
    assert r.status == 200, r
    return r.json()


def step(rec, what, token, body=None):
    return SRV.request('POST', f'/api/v1/architecture_versions/{rec["id"]}/{what}', body,
                       token=token, headers={'If-Match': f'"{rec["revision"]}"'})


def test_versions_approval_and_publication():
    # REQ: ARC-15
    # the integrator assembles a version (a frozen, content-addressed
    # snapshot), submits it; the authorized body refuses with a comment on
    # one element, the integrator reworks and resubmits, the body approves
    # within 10 working days, and the public reads and downloads it
    v1 = create('architecture_versions', {'name': {'ru': 'Архитектура ЭП 2027, проект'},
                                          'owner': INTEGRATOR}, ARCH)
    assert v1['status'] == 'draft' and v1['elements'] > 10 and len(v1['content_hash']) == 64, v1
    same = create('architecture_versions', {'name': {'ru': 'Та же архитектура'},
                                            'owner': INTEGRATOR}, ARCH)
    assert same['content_hash'] == v1['content_hash'], 'the same content, the same address'
    assert same['taken_at'] > v1['taken_at']
    # the architecture changes: a later version differs element by element
    fn = SRV.get(f'/api/v1/functions/{W["function"]["id"]}', token=ARCH).json()
    patch('functions', fn, {'legal_basis': 'Социальный кодекс, статья 100'}, OWNER)
    extra = create('capabilities', {'name': {'ru': 'Адресная социальная помощь'},
                                    'domain': W['domain']['id']}, ARCH)
    v2 = create('architecture_versions', {'name': {'ru': 'Архитектура ЭП 2027'},
                                          'owner': INTEGRATOR}, ARCH)
    assert v2['content_hash'] != v1['content_hash'] and v2['elements'] == v1['elements'] + 1
    d = SRV.get(f'/api/v1/architecture_versions/{v1["id"]}/compare/{v2["id"]}', token=ARCH).json()
    assert [a['id'] for a in d['added']] == [extra['id']], d['added']
    changed = {c['id']: c for c in d['changed']}
    assert W['function']['id'] in changed, d['changed']
    assert {f['field']: f['to'] for f in changed[W['function']['id']]['fields']} == {
        'legal_basis': 'Социальный кодекс, статья 100'}, changed
    assert d['counts'] == {'added': 1, 'changed': len(d['changed']), 'removed': 0}, d['counts']
    back = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/compare/{v1["id"]}', token=ARCH).json()
    assert [a['id'] for a in back['removed']] == [extra['id']]
    assert SRV.get(f'/api/v1/architecture_versions/{v1["id"]}/compare/{W["function"]["id"]}',
                   token=ARCH).status == 404
    # submitted once, decided by the authorized body only
    assert step(v2, 'submit', OWNER).status == 404  # a draft does not exist for a state body
    assert_problem(step(v2, 'submit', APPROVER), 403)
    r = step(v2, 'submit', ARCH)
    assert r.status == 200 and r.json()['status'] == 'submitted', r
    v2 = r.json()
    assert_problem(step(v2, 'submit', ARCH), 409)
    assert_problem(patch_raw('architecture_versions', v2, {'description': 'x'}, ARCH), 409, 'status')
    t = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/workflow', token=ARCH).json()
    due_ob = [o for o in t['obligations'] if o['done_at'] is None]
    assert [(o['policy'], o['policy_value'], o['debtor_role']) for o in due_ob] == [
        ('architecture_approval', 10, 'approver')], due_ob
    due = SRV.get('/api/v1/calendar/add?at=' + due_ob[0]['started_at'] + '&days=10').json()['due']
    assert due_ob[0]['due_at'] == due, (due_ob, due)
    assert_problem(step(v2, 'verify', ARCH, {'decision': 'accept'}), 403)
    # a comment on an element the version does not hold is refused, nothing changes
    later = create('capabilities', {'name': {'ru': 'Созданная после версии'}}, ARCH)
    r = step(v2, 'verify', APPROVER, {'decision': 'return', 'remarks': [
        {'element': later['id'], 'text': 'Нет в версии'}]})
    assert_problem(r, 422, 'remarks[0]')
    assert version(v2['id'])['status'] == 'submitted'
    r = step(v2, 'verify', APPROVER, {'decision': 'return', 'remarks': [
        {'element': extra['id'], 'text': 'Возможность дублирует «Социальное обеспечение»'}]})
    assert r.status == 200 and r.json()['status'] == 'returned', r
    v2 = r.json()
    events = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/workflow', token=ARCH).json()['events']
    assert events[-1]['remarks'] == [{'element': extra['id'],
                                      'text': 'Возможность дублирует «Социальное обеспечение»'}]
    # rework: the capability goes, the version is assembled again and resubmitted
    r = SRV.request('DELETE', f'/api/v1/capabilities/{extra["id"]}', token=ADMIN,
                    headers={'If-Match': '*'})
    assert r.status in (200, 204), r
    v2 = patch('architecture_versions', v2, {'description': {'ru': 'Доработана по замечаниям'}}, ARCH)
    assert v2['elements'] == v1['elements'] + 1 and v2['taken_at'] > v1['taken_at']  # 'later' came
    v2 = step(v2, 'submit', ARCH).json()
    r = step(v2, 'verify', APPROVER, {'decision': 'accept'})
    assert r.status == 200 and r.json()['status'] == 'approved' and r.json()['approved_on'], r
    v2 = r.json()
    assert_problem(patch_raw('architecture_versions', v2, {'description': 'x'}, ARCH), 409, 'status')
    W['published'] = v2
    # the public reads the published version and downloads it; not the drafts
    assert SRV.get(f'/api/v1/architecture_versions/{v2["id"]}').status == 200
    assert SRV.get(f'/api/v1/architecture_versions/{v1["id"]}').status == 404
    assert SRV.get(f'/api/v1/architecture_versions/{v1["id"]}/content').status == 404
    r = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/content')
    assert r.status == 200 and 'attachment' in r.header('Content-Disposition'), r
    doc = r.json()
    assert doc['version']['hash'] == v2['content_hash']
    ids = [x['id'] for x in doc['records']]
    assert SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/content').body == r.body, 'stable'
    assert W['function']['id'] in ids and extra['id'] not in ids and later['id'] in ids
    drafts = [x['id'] for x in doc['records'] if x.get('status') == 'draft']
    assert not drafts, 'records unpublished then stay with those who work on them'
    full = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/content', token=ARCH).json()
    assert len(full['records']) == v2['elements'] >= len(doc['records'])


def test_published_architecture_pages():
    # REQ: ARC-15
    # the public reads the approved architecture from its published
    # versions: their elements as they were, each element's fields and
    # relations then, the comparison of two published versions; what was
    # unpublished then (a draft object) stays with those who work on it,
    # and the working architecture itself is not public
    v2 = W['published']
    fn = W['function']['id']
    assert SRV.get(f'/api/v1/functions/{fn}').status == 404, 'the working architecture'
    r = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/elements?collection=functions&q=' + quote('ПОСОБ'))
    assert r.status == 200, r
    d = r.json()
    assert d['version']['hash'] == v2['content_hash'] and d['collection'] == 'functions', d
    assert [i['id'] for i in d['items']] == [fn] and d['total'] == 1, d
    assert 'functions' in d['collections'] and 'relations' not in d['collections'], d
    objs = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/elements?collection=objects').json()
    assert W['system']['id'] not in [i['id'] for i in objs['items']], 'a draft then is hidden'
    full = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/elements?collection=objects',
                   token=ARCH).json()
    assert W['system']['id'] in [i['id'] for i in full['items']]
    # one element as it was, its relations then: the draft system's link
    # does not show through to the public
    e = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/elements/{fn}').json()
    assert e['record']['legal_basis'] == 'Социальный кодекс, статья 100', e
    seen = {(x['type'], x['direction'], x['other']['id']) for x in e['relations']}
    automated = ('automates', 'in', W['system']['id'])
    assert automated not in seen and ('affects', 'in') in {x[:2] for x in seen}, seen
    e = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/elements/{fn}', token=ARCH).json()
    assert automated in {(x['type'], x['direction'], x['other']['id']) for x in e['relations']}
    assert SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/elements/{W["system"]["id"]}'
                   ).status == 404
    # the pages
    r = SRV.get(f'/ru/architecture_versions/{v2["id"]}/elements/{fn}')
    assert r.status == 200 and 'Социальный кодекс, статья 100' in html.unescape(r.body.decode()), r
    # its owner, outside the version, is named as it is now
    assert 'Министерство труда и социальной защиты населения' in html.unescape(r.body.decode())
    assert 'АИС «Пособия»' not in html.unescape(r.body.decode())
    r = page(f'/ru/architecture_versions/{v2["id"]}/elements/{fn}', sign_in('integrator-architect', INTEGRATOR))
    assert r.status == 200 and 'АИС «Пособия»' in html.unescape(r.body.decode()), r
    r = SRV.get(f'/kk/architecture_versions/{v2["id"]}/elements?collection=functions')
    assert r.status == 200 and 'Назначение пособий' in html.unescape(r.body.decode()) and f'/elements/{fn}' in html.unescape(r.body.decode()), r
    # bad input: clear errors
    assert_problem(SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/elements?collection=nope'),
                   400, 'collection')
    assert_problem(SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/elements?limit=0'), 400, 'limit')
    assert SRV.get(f'/ru/architecture_versions/{v2["id"]}/elements?page=0').status == 400
    # a later published version; the public compares the two
    hidden = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                                'name': {'ru': 'АИС «Черновик»'}}, OWNER)
    cap = create('capabilities', {'name': {'ru': 'Проактивные услуги'}}, ARCH)
    v3 = create('architecture_versions', {'name': {'ru': 'Архитектура ЭП 2028'},
                                          'owner': INTEGRATOR}, ARCH)
    v3 = step(v3, 'submit', ARCH).json()
    v3 = step(v3, 'verify', APPROVER, {'decision': 'accept'}).json()
    assert v3['status'] == 'approved', v3
    d = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/compare/{v3["id"]}').json()
    assert [a['id'] for a in d['added']] == [cap['id']], d['added']
    d = SRV.get(f'/api/v1/architecture_versions/{v2["id"]}/compare/{v3["id"]}', token=ARCH).json()
    assert {a['id'] for a in d['added']} == {cap['id'], hidden['id']}, d['added']
    r = SRV.get(f'/en/architecture_versions/{v2["id"]}/compare?with={v3["id"]}')
    assert r.status == 200 and 'Проактивные услуги' in html.unescape(r.body.decode()) and 'АИС «Черновик»' not in html.unescape(r.body.decode()), r
    assert SRV.get(f'/en/architecture_versions/{v2["id"]}/compare?with=../x').status == 400
    # the architecture page leads everyone to the version in force
    r = SRV.get('/ru/architecture')
    assert r.status == 200, r
    m = re.search(r'href="/ru/architecture_versions/([^/"]+)/elements"', html.unescape(r.body.decode()))
    assert m and m.group(1) == v3['id'], (v2['id'], v3['id'], re.findall(r'architecture_versions/([^/"]+)/elements', r.body.decode()))
    assert f'/ru/architecture_versions/{v2["id"]}/elements' in html.unescape(r.body.decode()), 'earlier ones stay'


def revisions(source):
    r = SRV.get(f'/api/v1/revision_list?filter=about:{source}&limit=50', token=ARCH)
    assert r.status == 200, r
    return r.json()['items']


def test_revision_triggers():
    # REQ: ARC-14
    # events that call for revising the architecture become items of the
    # integrator's revision list (the model's triggers), with their reason
    # and source, one open item per source and reason, closed when addressed
    org = SRV.get(f'/api/v1/organizations/{OTHER}', token=ADMIN).json()
    org = patch('organizations', org, {'website': 'https://www.gov.kz/memleket/entities/dsm'}, ADMIN)
    assert revisions(OTHER) == [], 'a change that is no reorganisation'
    org = patch('organizations', org, {'name': {'ru': 'Министерство здравоохранения и спорта'}}, ADMIN)
    items = revisions(OTHER)
    assert [(i['reason'], i['status'], i['name']['ru']) for i in items] == [
        ('reorganisation', 'open', 'Министерство здравоохранения и спорта')], items
    org = patch('organizations', org, {'org_type': 'local_executive_body'}, ADMIN)
    assert len(revisions(OTHER)) == 1, 'one open item per source and reason'
    item = SRV.get(f'/api/v1/revision_list/{items[0]["id"]}', token=ARCH).json()
    patch('revision_list', item, {'status': 'closed', 'closed_on': '2026-12-06'}, ARCH)
    org = patch('organizations', org, {'name': {'ru': 'Министерство здравоохранения'}}, ADMIN)
    assert sorted(i['status'] for i in revisions(OTHER)) == ['closed', 'open']
    # a new planning document; a process re-engineered (not a mere edit of its as-is)
    doc = create('planning_documents', {'name': {'ru': 'Концепция цифровой трансформации 2030'},
                                        'document_type': 'digital_roadmap', 'body': ORG}, ARCH)
    assert [i['reason'] for i in revisions(doc['id'])] == ['planning_document']
    proc = create('processes', {'name': {'ru': 'Назначение пособия по уходу'}, 'owner': ORG,
                                'serves': W['function']['id'],
                                'reengineering_status': 'not_started'}, OWNER)
    proc = patch('processes', proc, {'as_is': {'ru': 'Заявление в ЦОН, проверка вручную'}}, OWNER)
    assert revisions(proc['id']) == []
    patch('processes', proc, {'reengineering_status': 'in_progress'}, OWNER)
    assert [i['reason'] for i in revisions(proc['id'])] == ['reengineering']
    # the integrator's own findings are added by its architects; the list is not public
    own = create('revision_list', {'kind': 'revision_item', 'name': {'ru': 'Дублирование НСИ'},
                                   'reason': 'integrator_finding', 'status': 'open'}, ARCH)
    assert own['reason'] == 'integrator_finding'
    create('revision_list', {'kind': 'revision_item', 'name': {'ru': 'x'}, 'reason': 'whim',
                             'status': 'open'}, ARCH, status=422)
    r = SRV.get('/api/v1/revision_list')
    assert r.status == 200 and r.json()['items'] == [], r


def patch_raw(coll, rec, body, token):
    return SRV.request('PATCH', f'/api/v1/{coll}/{rec["id"]}', body, token=token,
                       headers={'If-Match': f'"{rec["revision"]}"'})


def main():
    global SRV, ADMIN, ARCH, OWNER, OTHER_OWNER, ORG, OTHER, INTEGRATOR, APPROVER
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        OTHER = make_org(2, 'Министерство здравоохранения')
        INTEGRATOR = make_org(3, 'Сервисный интегратор')
        ARCH = srv.token('integrator-architect', INTEGRATOR)
        OWNER = srv.token('owner-editor', ORG)
        OTHER_OWNER = srv.token('owner-editor', OTHER)
        APPROVER = srv.token('approver', make_org(6, 'Министерство цифрового развития'))
        setup()
        run([test_master_data_kept_by_one_body, test_master_data_digitised,
             test_first_class_off_the_platform_names_its_ground, test_report_by_body_and_by_domain,
             test_trend_recorded_once_a_day, test_report_page_and_csv,
             test_kept_judgements_follow_writes, test_judged_from_scratch_after_a_restart,
             test_initiatives_and_the_gap_report,
             test_gap_report_page_and_csv, test_versions_approval_and_publication,
             test_published_architecture_pages,
             test_revision_triggers])


if __name__ == '__main__':
    main()
