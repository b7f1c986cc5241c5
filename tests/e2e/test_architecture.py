"""End-to-end tests of the activity layer of the e-government architecture
(issue 15): its kinds are model data served by the generic engine (API and
pages); records of a kind marked "read": "signed-in" exist only for
signed-in users (the public gets 404 and finds them in no list, total, facet
or search), but public services, which the public sees; the integrator's
architects keep the architecture, a state body's owner editors its own
functions, services and processes. The information-systems and
ICT-infrastructure layers: the open-source software list, the ICT guidelines
and the ICP EG architecture (its components and technical requirements),
public, kept by the integrator's architects and the operator; the gap lists
of every layer as the model's rules, by layer."""
import html
import re
import urllib.parse
from urllib.parse import quote

from harness import COMPLETE, Server, assert_problem, run, valid_bin

SRV = None
ADMIN = ARCH = OWNER = STRANGER = OPERATOR = APPROVER = None
ORG = OTHER = INTEGRATOR = OPERATOR_ORG = None
PUBLIC = None
GHOST = '01a00000-0000-7000-8000-00000000beef'
PASSWORD = 'Corr3ct-Horse-Battery'
W = {}
M = {}  # the map's own domain


def make_org(n, name):
    body = {'name': {'ru': name}, 'bin': valid_bin(9100 + n), 'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def create(coll, body, token, status=201):
    r = SRV.request('POST', f'/api/v1/{coll}', body, token=token)
    assert r.status == status, (coll, body, r)
    return r.json()


def relate(rtype, source, target, token, **attrs):
    return create('relations', {'type': rtype, 'source': source, 'target': target, **attrs}, token)


def listed(path, token):
    r = SRV.get(path, token=token)
    assert r.status == 200, (path, r)
    return r.json(), r.body.decode()


def ids(page):
    return [i['id'] for i in page['items']]


def sign_in(role, org=None):
    email = SRV.user(role, org)
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': PASSWORD})
    assert r.status == 200, r
    return re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1), r.json()['csrf_token']


def page(path, who=None):
    return SRV.request('GET', path, headers={'Cookie': f'ap_session={who[0]}'} if who else {})


def post(path, fields, who):
    pairs = [('_csrf', who[1])] + list(fields)
    return SRV.request('POST', path, urllib.parse.urlencode(pairs), headers={
        'Content-Type': 'application/x-www-form-urlencoded',
        'Origin': f'http://127.0.0.1:{SRV.port}', 'Cookie': f'ap_session={who[0]}'})


def text(r):
    return html.unescape(r.body.decode())


def setup():
    W['doc'] = create('planning_documents', {
        'name': {'ru': 'Карта цифровой трансформации Министерства труда'},
        'document_type': 'digital_roadmap', 'body': ORG, 'period': '2024–2026'}, ARCH)
    W['domain'] = create('domains', {
        'name': {'ru': 'Социальная защита'},
        'directions': ['Пенсионное обеспечение', 'Социальные выплаты']}, ARCH)
    W['function'] = create('functions', {
        'name': {'ru': 'Назначение пенсионных выплат соцзащитнаяфункция'}, 'owner': ORG,
        'domain': W['domain']['id'], 'legal_basis': 'Социальный кодекс, статья 209'}, OWNER)
    W['service'] = create('services', {
        'name': {'ru': 'Назначение пенсионных выплат по возрасту'}, 'owner': ORG,
        'function': W['function']['id'], 'recipient': 'g2c', 'maturity': 'transactional',
        'channels': ['egov_portal', 'egov_mobile', 'con'],
        'url': 'https://egov.kz/cms/ru/services/pension/pass_pension'}, OWNER)
    W['other_service'] = create('services', {
        'name': {'ru': 'Справка о пенсионных отчислениях'}, 'owner': ORG,
        'function': W['function']['id'], 'recipient': 'g2c', 'maturity': 'informational',
        'channels': ['egov_portal'], 'url': 'https://egov.kz/cms/ru/services/pension_contributions'},
        OWNER)
    W['top'] = create('capabilities', {'name': {'ru': 'Социальное обеспечение'},
                                        'domain': W['domain']['id']}, ARCH)
    W['cap'] = create('capabilities', {'name': {'ru': 'Пенсионное обеспечение'},
                                        'parent': W['top']['id'], 'domain': W['domain']['id']}, ARCH)
    W['part_org'] = relate('participates_in', ORG, W['domain']['id'], ARCH, role='Ведущий орган')
    W['part_other'] = relate('participates_in', OTHER, W['domain']['id'], ARCH)
    W['groups_f'] = relate('groups', W['cap']['id'], W['function']['id'], ARCH)
    W['groups_s'] = relate('groups', W['cap']['id'], W['service']['id'], ARCH)


def test_domains_and_participating_bodies():
    # REQ: ARC-02
    d = SRV.get(f'/api/v1/domains/{W["domain"]["id"]}', token=STRANGER).json()
    assert d['directions'] == ['Пенсионное обеспечение', 'Социальные выплаты'], d
    rels, _ = listed(f'/api/v1/domains/{W["domain"]["id"]}/relations', STRANGER)
    sources = sorted(i['source'] for i in rels['items'] if i['type'] == 'participates_in')
    assert sources == sorted([ORG, OTHER]), rels
    # many-to-many: a body takes part in several domains
    second = create('domains', {'name': {'ru': 'Цифровое развитие'}, 'directions': ['Цифровизация']},
                    ARCH)
    relate('participates_in', ORG, second['id'], ARCH)
    mine, _ = listed(f'/api/v1/organizations/{ORG}/relations?type=participates_in', STRANGER)
    assert {i['target'] for i in mine['items']} == {W['domain']['id'], second['id']}, mine
    # the integrator's architects keep domains, not the bodies' editors
    r = SRV.request('POST', '/api/v1/domains', {'name': {'ru': 'Свой домен'}}, token=OWNER)
    assert_problem(r, 403)
    # a relation only from an organisation to a domain
    r = SRV.request('POST', '/api/v1/relations', {'type': 'participates_in', 'source':
                    W['function']['id'], 'target': W['domain']['id']}, token=ARCH)
    assert_problem(r, 422, 'source')


def test_functions_services_and_capabilities():
    # REQ: ARC-03
    # REQ: X-SVC-01
    s = SRV.get(f'/api/v1/services/{W["service"]["id"]}').json()  # the public's catalogue
    assert s['maturity'] == 'transactional' and s['recipient'] == 'g2c', s
    assert s['channels'] == ['egov_portal', 'egov_mobile', 'con'] and s['owner'] == ORG, s
    assert s['url'] == 'https://egov.kz/cms/ru/services/pension/pass_pension', s
    f, _ = listed('/api/v1/services/facets?field=maturity', None)
    assert {v['value']: v['count'] for v in f['values']} == {'transactional': 1, 'informational': 1}, f
    f, _ = listed('/api/v1/services/facets?field=channels', None)
    assert {v['value']: v['count'] for v in f['values']}['egov_portal'] == 2, f
    g2c, _ = listed('/api/v1/services?filter=recipient:g2c&filter=maturity:transactional', None)
    assert ids(g2c) == [W['service']['id']], g2c
    for field, value in (('maturity', 'instant'), ('recipient', 'g2x')):
        r = SRV.request('POST', '/api/v1/services', {
            'name': {'ru': 'Плохая услуга'}, 'owner': ORG, 'function': W['function']['id'],
            'recipient': 'g2c', 'maturity': 'interactive', field: value}, token=OWNER)
        assert_problem(r, 422, field)
    r = SRV.request('POST', '/api/v1/services', {
        'name': {'ru': 'Плохая услуга'}, 'owner': ORG, 'function': W['function']['id'],
        'recipient': 'g2c', 'maturity': 'interactive', 'channels': ['fax']}, token=OWNER)
    assert_problem(r, 422, 'channels[0]')
    # a service arises from a function, not from a domain
    r = SRV.request('POST', '/api/v1/services', {
        'name': {'ru': 'Плохая услуга'}, 'owner': ORG, 'function': W['domain']['id'],
        'recipient': 'g2c', 'maturity': 'interactive'}, token=OWNER)
    assert_problem(r, 422, 'function')
    # capabilities: a hierarchy grouping functions and services
    cap = SRV.get(f'/api/v1/capabilities/{W["cap"]["id"]}', token=STRANGER).json()
    assert cap['parent'] == W['top']['id'], cap
    kids, _ = listed(f'/api/v1/capabilities?filter=parent:{W["top"]["id"]}', STRANGER)
    assert ids(kids) == [W['cap']['id']], kids
    grouped, _ = listed(f'/api/v1/capabilities/{W["cap"]["id"]}/relations?type=groups', STRANGER)
    assert {i['target'] for i in grouped['items']} == {W['function']['id'], W['service']['id']}
    r = SRV.request('POST', '/api/v1/capabilities', {'name': {'ru': 'Вне иерархии'},
                    'parent': W['function']['id']}, token=ARCH)
    assert_problem(r, 422, 'parent')


def test_goals_indicators_and_problems():
    # REQ: ARC-04
    goal = create('goals', {'kind': 'goal', 'name': {'ru': 'Повышение доступности пенсионных услуг'},
                            'owner': ORG, 'planning_document': W['doc']['id'],
                            'domain': W['domain']['id']}, ARCH)
    task = create('goals', {'kind': 'task', 'name': {'ru': 'Перевести назначение пенсий в проактивный формат'},
                            'owner': ORG, 'goal': goal['id']}, ARCH)
    ind = create('indicators', {
        'name': {'ru': 'Доля услуг, оказанных проактивно'}, 'owner': ORG, 'goal': task['id'],
        'planning_document': W['doc']['id'], 'unit': '%', 'baseline': '12', 'baseline_period': '2023',
        'target_value': '80.0', 'target_period': '2026',
        'actual': [{'period': '2024', 'value': '35.5'}, {'period': '2025', 'value': '51'}]}, ARCH)
    assert ind['target_value'] == '80' and ind['actual'][0] == {'period': '2024', 'value': '35.5'}, ind
    r = SRV.request('POST', '/api/v1/indicators', {
        'name': {'ru': 'Без значения'}, 'owner': ORG, 'goal': goal['id'], 'unit': '%',
        'actual': [{'period': '2024'}]}, token=ARCH)
    assert_problem(r, 422, 'actual[0].value')
    prob = create('problems', {
        'name': {'ru': 'Повторное представление справок'}, 'owner': ORG, 'problem_kind': 'shortcoming',
        'function': W['function']['id'], 'causes': ['Нет интеграции с ГБД ФЛ', 'Бумажный архив'],
        'solvable_by_reengineering': True, 'solvable_by_ict': True}, ARCH)
    assert prob['causes'] == ['Нет интеграции с ГБД ФЛ', 'Бумажный архив'], prob
    by_ict, _ = listed('/api/v1/problems?filter=solvable_by_ict:true', STRANGER)
    assert ids(by_ict) == [prob['id']], by_ict
    kinds, _ = listed('/api/v1/goals/facets?field=kind', STRANGER)
    assert {v['value']: v['count'] for v in kinds['values']} == {'goal': 1, 'task': 1}, kinds
    roadmap, _ = listed('/api/v1/planning_documents?filter=document_type:digital_roadmap', STRANGER)
    assert ids(roadmap) == [W['doc']['id']], roadmap


def test_processes_and_client_journeys():
    # REQ: ARC-05
    proc = create('processes', {
        'name': {'ru': 'Назначение пенсии по возрасту'}, 'owner': ORG, 'serves': W['service']['id'],
        'as_is': {'ru': 'Заявление и справки в отделении'},
        'to_be': {'ru': 'Проактивное назначение по данным ГБД ФЛ'},
        'reengineering_status': 'target_designed'}, OWNER)
    second = create('processes', {
        'name': {'ru': 'Выплата пенсии'}, 'owner': ORG, 'serves': W['function']['id'],
        'reengineering_status': 'not_started'}, OWNER)
    r = SRV.request('POST', '/api/v1/processes', {
        'name': {'ru': 'Без статуса'}, 'owner': ORG, 'serves': W['function']['id'],
        'reengineering_status': 'done'}, token=OWNER)
    assert_problem(r, 422, 'reengineering_status')
    reg, _ = listed('/api/v1/processes?filter=reengineering_status:target_designed', STRANGER)
    assert ids(reg) == [proc['id']], reg
    journey = create('journeys', {'name': {'ru': 'Выход на пенсию'}, 'life_situation': 'Выход на пенсию',
                                  'recipient': 'g2c'}, ARCH)
    relate('journey_step', journey['id'], second['id'], ARCH, order=2, body=ORG)
    relate('journey_step', journey['id'], proc['id'], ARCH, order=1, body=ORG,
           step_description={'ru': 'Уведомление о назначении'})
    steps, _ = listed(f'/api/v1/journeys/{journey["id"]}/relations?type=journey_step', STRANGER)
    by_order = sorted(steps['items'], key=lambda i: i['order'])
    assert [i['target'] for i in by_order] == [proc['id'], second['id']], steps
    r = SRV.request('POST', '/api/v1/relations', {'type': 'journey_step', 'source': journey['id'],
                    'target': proc['id'], 'order': 0}, token=ARCH)
    assert_problem(r, 422, 'order')
    # the registry's information systems automate services and support processes
    system = create('objects', {'kind': 'information_system', 'owner': ORG,
                                'name': {'ru': 'ИС Пенсионных выплат'}, 'stage': 'creation',
                                **COMPLETE}, OWNER)
    relate('automates', system['id'], W['service']['id'], OWNER, automation_level='full')
    relate('supports', system['id'], proc['id'], OWNER)
    out, _ = listed(f'/api/v1/objects/{system["id"]}/relations?direction=out', OWNER)
    assert {(i['type'], i['target']) for i in out['items']} == {
        ('automates', W['service']['id']), ('supports', proc['id'])}, out
    r = SRV.request('POST', '/api/v1/relations', {'type': 'supports', 'source': system['id'],
                    'target': W['service']['id']}, token=OWNER)
    assert_problem(r, 422, 'target')


def test_signed_in_kinds_do_not_exist_for_the_public():
    # REQ: ARC-03
    fid, name = W['function']['id'], 'соцзащитнаяфункция'
    for coll, rec in (('functions', W['function']), ('domains', W['domain']),
                      ('capabilities', W['cap']), ('planning_documents', W['doc'])):
        for suffix in ('', '/history', '/relations', f'?at={rec["created_at"]}'):
            a = SRV.get(f'/api/v1/{coll}/{rec["id"]}{suffix}')
            b = SRV.get(f'/api/v1/{coll}/{GHOST}{suffix}')
            assert_problem(a, 404)
            assert (a.status, a.body) == (b.status, b.body), (coll, suffix, a, b)
            assert SRV.get(f'/api/v1/{coll}/{rec["id"]}{suffix}', token=STRANGER).status == 200
        pub, body = listed(f'/api/v1/{coll}?limit=500', None)
        assert pub['total'] == 0 and pub['items'] == [] and rec['id'] not in body, (coll, pub)
        mem, _ = listed(f'/api/v1/{coll}?limit=500', STRANGER)
        assert rec['id'] in ids(mem) and mem['total'] == len(ids(mem)), (coll, mem)
        f, _ = listed(f'/api/v1/{coll}/facets?field=kind', None)
        assert f['values'] == [], (coll, f)
        f, _ = listed(f'/api/v1/{coll}/facets?field=kind', STRANGER)
        assert sum(v['count'] for v in f['values']) == mem['total'], (coll, f)
    # a filter on the kind does not reach past it: the goals' collection
    # shows the public its goals (X-TRN-01), never its tasks
    typed, _ = listed('/api/v1/goals?kind=task', None)
    assert typed['total'] == 0, typed
    f, _ = listed('/api/v1/goals/facets?field=kind', None)
    assert {v['value'] for v in f['values']} == {'goal'}, f
    facet, _ = listed(f'/api/v1/functions/facets?field=domain&filter=domain:{W["domain"]["id"]}', None)
    assert facet['values'] == [], facet
    found, _ = listed('/api/v1/functions?q=' + quote(name), None)
    assert found['total'] == 0, found
    found, _ = listed('/api/v1/functions?q=' + quote(name), STRANGER)
    assert ids(found) == [fid], found
    # relations with such an end: not for the public, in any list or count
    hidden = {W['part_org']['id'], W['part_other']['id'], W['groups_f']['id'], W['groups_s']['id']}
    pub, body = listed('/api/v1/relations?limit=500', None)
    assert not hidden & set(ids(pub)) and pub['total'] == len(ids(pub)), pub
    assert W['domain']['id'] not in body
    f, _ = listed('/api/v1/relations/facets?field=kind', None)
    assert sum(v['count'] for v in f['values']) == pub['total'], f
    assert not {'participates_in', 'groups'} & {v['value'] for v in f['values']}, f
    mem, _ = listed('/api/v1/relations?limit=500', STRANGER)
    assert hidden <= set(ids(mem)), mem
    org_rels, _ = listed(f'/api/v1/organizations/{ORG}/relations', None)
    assert not hidden & set(ids(org_rels)), org_rels
    svc_rels, _ = listed(f'/api/v1/services/{W["service"]["id"]}/relations', None)
    assert W['groups_s']['id'] not in ids(svc_rels), svc_rels
    for rid in hidden:
        assert_problem(SRV.get(f'/api/v1/relations/{rid}'), 404)
    # public services stay the public's catalogue
    svc, _ = listed('/api/v1/services', None)
    assert set(ids(svc)) == {W['service']['id'], W['other_service']['id']}, svc


def test_pages_list_facets_card_and_form():
    # REQ: ARC-03
    member = sign_in('owner-editor', OTHER)
    arch = sign_in('integrator-architect', INTEGRATOR)
    fid = W['function']['id']
    for lang, label in (('kk', 'Мемлекеттік функциялар'), ('ru', 'Государственные функции'),
                        ('en', 'State functions')):
        r = page(f'/{lang}/functions', member)
        assert r.status == 200, r
        body = text(r)
        assert f'<h1>{label}</h1>' in body and 'соцзащитнаяфункция' in body, lang
        r = page(f'/{lang}/functions/{fid}', member)
        assert r.status == 200 and 'Социальный кодекс, статья 209' in text(r), (lang, r)
    # the services list has its facets (maturity, recipient) for everyone
    body = text(page('/ru/services'))
    assert 'Уровень зрелости' in body and 'Транзакционная' in body, body[-3000:]
    assert 'Назначение пенсионных выплат по возрасту' in body
    assert page(f'/ru/services/{W["service"]["id"]}').status == 200
    # the public: no card, nothing in the list
    assert page(f'/ru/functions/{fid}').status == 404
    body = text(page('/ru/functions'))
    assert 'соцзащитнаяфункция' not in body
    assert page(f'/ru/domains/{W["domain"]["id"]}').status == 404
    # every collection of the layer has its form (with its kinds' fields) and card
    for coll, field, rec in (('domains', 'directions', W['domain']), ('functions', 'legal_basis', W['function']),
                             ('services', 'channels', W['service']), ('capabilities', 'parent', W['cap']),
                             ('planning_documents', 'document_type', W['doc']), ('goals', 'planning_document', None),
                             ('indicators', 'unit', None), ('problems', 'causes', None),
                             ('processes', 'reengineering_status', None), ('journeys', 'life_situation', None)):
        r = page(f'/en/{coll}/new' + ('?kind=goal' if coll == 'goals' else ''), arch)  # two kinds
        assert r.status == 200 and f'name="{field}' in text(r), (coll, r)
        if rec:
            assert page(f'/en/{coll}/{rec["id"]}', arch).status == 200, coll
    # an architect creates a capability through its form
    r = page('/ru/capabilities/new', arch)
    assert r.status == 200 and 'name="parent"' in text(r), r
    r = post('/ru/capabilities/new?kind=capability',
             [('name.ru', 'Назначение пенсий через форму'), ('parent', W['top']['id'])], arch)
    assert r.status == 303, (r, text(r)[-3000:])
    m = re.match(r'^/ru/capabilities/([^/?]+)\?done=created$', r.header('Location'))
    assert m, r
    assert SRV.get(f'/api/v1/capabilities/{m.group(1)}', token=STRANGER).json()['parent'] == W['top']['id']


def test_owner_editors_keep_only_their_own_functions():
    fid = W['function']['id']
    cur = SRV.get(f'/api/v1/functions/{fid}', token=STRANGER).json()
    r = SRV.request('PATCH', f'/api/v1/functions/{fid}', {'legal_basis': 'Чужая правка'},
                    token=STRANGER, headers={'If-Match': f'"{cur["revision"]}"'})
    assert_problem(r, 403)
    r = SRV.request('POST', '/api/v1/functions', {'name': {'ru': 'Чужая функция'}, 'owner': ORG,
                    'domain': W['domain']['id']}, token=STRANGER)
    assert_problem(r, 403)
    r = SRV.request('PATCH', f'/api/v1/services/{W["service"]["id"]}', {'maturity': 'interactive'},
                    token=STRANGER, headers={'If-Match': f'"{W["service"]["revision"]}"'})
    assert_problem(r, 403)
    assert SRV.get(f'/api/v1/functions/{fid}', token=STRANGER).json()['legal_basis'] == \
        'Социальный кодекс, статья 209'
    r = SRV.request('PATCH', f'/api/v1/functions/{fid}', {'legal_basis': 'Социальный кодекс, ст. 209'},
                    token=OWNER, headers={'If-Match': f'"{cur["revision"]}"'})
    assert r.status == 200, r
    cur = r.json()
    r = SRV.request('PATCH', f'/api/v1/functions/{fid}', {'legal_basis': 'Социальный кодекс РК, ст. 209'},
                    token=ARCH, headers={'If-Match': f'"{cur["revision"]}"'})
    assert r.status == 200, r
    # the public may not write, and answers as for a record that is not there
    r = SRV.request('PATCH', f'/api/v1/functions/{fid}', {'legal_basis': 'x'})
    assert r.status in (401, 404), r


def test_layer_lists_published_for_everyone():
    # REQ: ARC-10
    # REQ: ARC-16
    # REQ: SVC-03
    pg = create('open_source', {'kind': 'open_source_software', 'name': {'ru': 'PostgreSQL'},
                                'licence': 'PostgreSQL', 'repository': 'https://www.postgresql.org',
                                'versions': ['15', '16'], 'area': 'database'}, ARCH)
    guide = create('ict_guidelines', {
        'kind': 'ict_guideline', 'name': {'ru': 'Руководство по размещению объектов на ИКП ЭП'},
        'issuer': OPERATOR_ORG, 'approved_on': '2025-03-28', 'scope': ['information_system'],
        'document_url': 'https://nitec.kz'}, OPERATOR)
    env = create('icp_architecture', {
        'kind': 'icp_component', 'owner': OPERATOR_ORG, 'component_type': 'production_environment',
        'name': {'ru': 'Среда промышленной эксплуатации ИКП ЭП'}, 'agreed_on': '2025-03-14'}, OPERATOR)
    platform = create('icp_architecture', {
        'kind': 'icp_component', 'owner': OPERATOR_ORG, 'component_type': 'platform_service',
        'name': {'ru': 'Платформенные сервисы ИКП ЭП'}}, ARCH)
    req = create('icp_architecture', {
        'kind': 'icp_technical_requirement', 'owner': OPERATOR_ORG, 'code': 'ТТ-ИКП-01',
        'name': {'ru': 'Размещение в контейнерах'}, 'area': 'platform', 'component': env['id'],
        'text': {'ru': 'Объект поставляется в виде контейнерных образов OCI'},
        'applies_to': ['information_system', 'platform_software_product']}, OPERATOR)
    part = relate('icp_comprises', env['id'], platform['id'], OPERATOR)
    # the ICP EG parts once agreed (test_the_icp_architecture_is_agreed)
    for rec in (env, platform, req):
        agree(rec)
    # the public reads them, in lists, cards and relations
    for coll, rec in [('open_source', pg), ('ict_guidelines', guide), ('icp_architecture', env),
                      ('icp_architecture', req), ('relations', part)]:
        assert SRV.get(f'/api/v1/{coll}/{rec["id"]}').status == 200, (coll, rec)
    reqs = SRV.get('/api/v1/icp_architecture?kind=icp_technical_requirement&filter=area:platform').json()
    assert ids(reqs) == [req['id']], reqs
    assert ids(SRV.get('/api/v1/open_source?filter=area:database').json()) == [pg['id']]
    card = text(page(f'/ru/icp_architecture/{req["id"]}'))
    assert 'ТТ-ИКП-01' in card and 'Среда промышленной эксплуатации ИКП ЭП' in card
    assert 'Входит в архитектуру ИКП ЭП' in text(page(f'/ru/icp_architecture/{platform["id"]}'))
    # an owner says which open-source software its system uses, and which version
    system = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                                'name': {'ru': 'ИС «Социальный кошелёк»'}}, OWNER)
    relate('uses_open_source', system['id'], pg['id'], OWNER, version='16')
    used, _ = listed(f'/api/v1/open_source/{pg["id"]}/relations?direction=in', ARCH)
    assert [(i['source'], i['version']) for i in used['items']] == [(system['id'], '16')], used
    # who writes: the operator its own ICP EG architecture, not another's;
    # an owner none of the lists
    create('icp_architecture', {'kind': 'icp_component', 'owner': ORG, 'name': {'ru': 'Чужой'},
                                'component_type': 'security'}, OPERATOR, status=403)
    create('open_source', {'kind': 'open_source_software', 'name': {'ru': 'nginx'},
                           'licence': 'BSD-2-Clause', 'area': 'web_server'}, OWNER, status=403)
    create('icp_architecture', {'kind': 'icp_technical_requirement', 'owner': OPERATOR_ORG,
                                'code': 'X', 'area': 'data', 'name': {'ru': 'X'},
                                'text': {'ru': 'X'}}, OWNER, status=403)
    r = SRV.request('POST', '/api/v1/icp_architecture', {
        'kind': 'icp_component', 'owner': OPERATOR_ORG, 'name': {'ru': 'Без вида'}}, token=OPERATOR)
    assert_problem(r, 422, 'component_type')


def step(rec, what, token, status=200, **body):
    """POST …/submit or …/verify on a record of icp_architecture at its
    current revision; the record after it."""
    cur = SRV.get(f'/api/v1/icp_architecture/{rec["id"]}', token=ADMIN).json()
    r = SRV.request('POST', f'/api/v1/icp_architecture/{rec["id"]}/{what}', body or None,
                    token=token, headers={'If-Match': f'"{cur["revision"]}"'})
    assert r.status == status, (what, rec['id'], r)
    after = SRV.get(f'/api/v1/icp_architecture/{rec["id"]}', token=ADMIN).json()
    if status != 200:  # refused: nothing changed
        assert after == cur, (cur, after)
    return after


def agree(rec):
    step(rec, 'submit', OPERATOR)
    step(rec, 'verify', ARCH, decision='accept')
    return step(rec, 'verify', APPROVER, decision='accept')


def test_the_icp_architecture_is_agreed():
    # REQ: ARC-16
    # the operator forms a component of the ICP EG architecture; only once
    # the integrator and then the authorized body agree it does the public
    # see it
    comp = create('icp_architecture', {
        'kind': 'icp_component', 'owner': OPERATOR_ORG, 'component_type': 'security',
        'name': {'ru': 'Компонент информационной безопасности ИКП ЭП'}, 'agreed_on': '2020-01-01'},
        OPERATOR)
    cid = comp['id']
    assert comp['status'] == 'draft' and 'agreed_on' not in comp, comp
    hidden = lambda: (SRV.get(f'/api/v1/icp_architecture/{cid}').status == 404 and
                      cid not in ids(SRV.get('/api/v1/icp_architecture?limit=100').json()))
    assert hidden()
    for who in (ARCH, APPROVER):  # the bodies that agree it read it
        assert SRV.get(f'/api/v1/icp_architecture/{cid}', token=who).status == 200
    # wrong roles: only the operator submits; no one decides on a draft
    step(comp, 'submit', ARCH, 403)
    step(comp, 'submit', APPROVER, 403)
    step(comp, 'verify', OPERATOR, 403, decision='accept')
    step(comp, 'verify', ARCH, 409, decision='accept')
    assert step(comp, 'submit', OPERATOR)['status'] == 'submitted'
    # submitted: with the integrator, locked; not the authorized body's turn
    step(comp, 'submit', OPERATOR, 409)
    r = SRV.request('PATCH', f'/api/v1/icp_architecture/{cid}', {'version': '2026'}, token=OPERATOR,
                    headers={'If-Match': f'"{comp["revision"] + 1}"'})
    assert_problem(r, 409)
    step(comp, 'verify', APPROVER, 403, decision='accept')
    step(comp, 'verify', OPERATOR, 403, decision='accept')
    step(comp, 'verify', ARCH, 422, decision='return')  # a return needs reasoned remarks
    step(comp, 'verify', ARCH, 422, decision='return', remarks=[{'field': 'nope', 'text': 'x'}])
    step(comp, 'verify', ARCH, 422, decision='maybe')
    cur = step(comp, 'verify', ARCH, decision='return',
               remarks=[{'field': 'description', 'text': 'Опишите средства мониторинга событий.'}])
    assert cur['status'] == 'returned' and hidden(), cur
    # reworked and sent again; the integrator agrees, the authorized body returns
    r = SRV.request('PATCH', f'/api/v1/icp_architecture/{cid}',
                    {'description': {'ru': 'Мониторинг событий (SIEM) и управление уязвимостями'}},
                    token=OPERATOR, headers={'If-Match': f'"{cur["revision"]}"'})
    assert r.status == 200, r
    step(comp, 'submit', OPERATOR)
    assert step(comp, 'verify', ARCH, decision='accept')['status'] == 'integrator_agreed'
    assert hidden()
    step(comp, 'verify', ARCH, 403, decision='accept')  # the authorized body's turn now
    step(comp, 'verify', ARCH, 403, decision='return', remarks=[{'text': 'x'}])
    assert step(comp, 'verify', APPROVER, decision='return',
                remarks=[{'text': 'Согласуйте с требованиями к объектам первого класса.'}]
                )['status'] == 'returned'
    step(comp, 'submit', OPERATOR)
    step(comp, 'verify', ARCH, decision='accept')
    done = step(comp, 'verify', APPROVER, decision='accept')
    assert done['status'] == 'agreed' and re.fullmatch(r'\d{4}-\d{2}-\d{2}', done['agreed_on']), done
    assert SRV.get(f'/api/v1/icp_architecture/{cid}').status == 200
    assert cid in ids(SRV.get('/api/v1/icp_architecture?filter=status:agreed&limit=100').json())
    step(comp, 'verify', APPROVER, 409, decision='accept')  # nothing awaits a decision
    # every step is recorded, by whom; the public sees it from the agreement on
    tl = SRV.get(f'/api/v1/icp_architecture/{cid}/workflow', token=OPERATOR).json()
    assert [e['transition'] for e in tl['events']] == [
        'submit', 'return_integrator', 'submit', 'agree_integrator', 'return_authority', 'submit',
        'agree_integrator', 'agree_authority'], tl['events']
    assert tl['events'][1]['remarks'][0]['field'] == 'description'
    public = SRV.get(f'/api/v1/icp_architecture/{cid}/workflow').json()
    assert [e['transition'] for e in public['events']] == ['agree_authority'], public
    assert not public['events'][0]['actor'].startswith('usr'), public
    # a change of the agreed component is agreed again, by both, in turn
    r = SRV.request('PATCH', f'/api/v1/icp_architecture/{cid}', {'version': '2026'}, token=OPERATOR,
                    headers={'If-Match': f'"{done["revision"]}"'})
    assert r.status == 200 and r.json()['review'] == 'pending', r
    step(comp, 'verify', APPROVER, 403, decision='accept')
    assert step(comp, 'verify', ARCH, decision='accept')['review'] == 'integrator_agreed'
    after = step(comp, 'verify', APPROVER, decision='accept')
    assert after['status'] == 'agreed' and 'review' not in after, after
    # the agreement's steps are in the record's history (its audit)
    hist = SRV.get(f'/api/v1/icp_architecture/{cid}/history', token=ADMIN).json()
    assert [h['action'] for h in hist['items']] == [
        'create', 'submit', 'verify-return', 'update', 'submit', 'verify-accept', 'verify-return',
        'submit', 'verify-accept', 'verify-accept', 'update', 'verify-accept', 'verify-accept'], hist
    # the card: the approver is offered the agreement, the verify page says
    # which step it takes, and taking it there agrees the component
    other = create('icp_architecture', {
        'kind': 'icp_technical_requirement', 'owner': OPERATOR_ORG, 'code': 'ТТ-ИКП-09',
        'area': 'information_security', 'name': {'ru': 'Журналирование событий'},
        'text': {'ru': 'События безопасности передаются в SIEM оператора.'}, 'component': cid}, OPERATOR)
    step(other, 'submit', OPERATOR)
    step(other, 'verify', ARCH, decision='accept')
    who = sign_in('approver', INTEGRATOR)
    card = text(page(f'/ru/icp_architecture/{other["id"]}', who))
    assert 'На согласовании у уполномоченного органа' in card, card
    # its path, one step per body, the authorized body's the current one
    assert [x.strip() for x in re.findall(r'segment-label">([^<]*)', card)] == [
        'Черновик', 'На согласовании у сервисного интегратора',
        'На согласовании у уполномоченного органа', 'Согласовано'], card
    assert re.search(r'aria-current="step"><span class="usa-step-indicator__segment-label">'
                     r'На согласовании у уполномоченного органа', card), card
    assert f'/ru/icp_architecture/{other["id"]}/verify' in card, card
    form = text(page(f'/ru/icp_architecture/{other["id"]}/verify', who))
    assert 'Согласовать от уполномоченного органа' in form, form
    rev = SRV.get(f'/api/v1/icp_architecture/{other["id"]}', token=ADMIN).json()['revision']
    r = post(f'/ru/icp_architecture/{other["id"]}/verify',
             [('revision', str(rev)), ('decision', 'accept')], who)
    assert r.status == 303, r
    assert SRV.get(f'/api/v1/icp_architecture/{other["id"]}').json()['status'] == 'agreed'
    # the integrator's verifier, not its architects, has no part in it
    page_of_verifier = page(f'/ru/icp_architecture/{other["id"]}/verify', sign_in('integrator-verifier', INTEGRATOR))
    assert page_of_verifier.status in (403, 409), page_of_verifier


def vstep(rec, what, token, status=200, **body):
    """POST …/submit or …/verify on an ICP EG architecture version."""
    cur = SRV.get(f'/api/v1/icp_architecture_versions/{rec["id"]}', token=ADMIN).json()
    r = SRV.request('POST', f'/api/v1/icp_architecture_versions/{rec["id"]}/{what}', body or None,
                    token=token, headers={'If-Match': f'"{cur["revision"]}"'})
    assert r.status == status, (what, r)
    after = SRV.get(f'/api/v1/icp_architecture_versions/{rec["id"]}', token=ADMIN).json()
    if status != 200:
        assert after == cur, (cur, after)
    return after


def test_the_icp_architecture_versions_take_the_same_path():
    # REQ: ARC-16
    # the operator assembles a version of the ICP EG architecture (a frozen
    # snapshot of its components and requirements) and submits it; the
    # integrator agrees it or returns it with a remark on one of its
    # elements, then the authorized body, within 10 working days; once both
    # agreed the public reads and downloads it
    comp = create('icp_architecture', {'kind': 'icp_component', 'owner': OPERATOR_ORG,
                                       'component_type': 'security',
                                       'name': {'ru': 'Центр мониторинга безопасности ИКП'}}, OPERATOR)
    v = create('icp_architecture_versions', {'name': {'ru': 'Архитектура ИКП ЭП 2027'},
                                             'owner': OPERATOR_ORG}, OPERATOR)
    assert v['status'] == 'draft' and v['elements'] >= 1 and len(v['content_hash']) == 64, v
    create('icp_architecture_versions', {'name': {'ru': 'Чужая'}, 'owner': OPERATOR_ORG}, ARCH,
           status=403)
    vstep(v, 'submit', ARCH, status=403)
    v = vstep(v, 'submit', OPERATOR)
    assert v['status'] == 'submitted'
    # the authorized body cannot agree before the integrator
    vstep(v, 'verify', APPROVER, status=403, decision='accept')
    # the integrator returns it with a remark on one element it holds, not
    # on one it does not
    vstep(v, 'verify', ARCH, status=422, decision='return',
          remarks=[{'element': W.get('domain', {}).get('id', 'nope'), 'text': 'Не элемент ИКП'}])
    v = vstep(v, 'verify', ARCH, decision='return',
              remarks=[{'element': comp['id'], 'text': 'Укажите уровень защиты'}])
    assert v['status'] == 'returned', v
    v = vstep(v, 'submit', OPERATOR)
    v = vstep(v, 'verify', ARCH, decision='accept')
    assert v['status'] == 'integrator_agreed' and v['agreed_on'], v
    t = SRV.get(f'/api/v1/icp_architecture_versions/{v["id"]}/workflow', token=ADMIN).json()
    due = [o for o in t['obligations'] if o['done_at'] is None]
    assert [(o['policy'], o['policy_value'], o['debtor_role']) for o in due] == [
        ('architecture_approval', 10, 'approver')], due
    assert SRV.get(f'/api/v1/icp_architecture_versions/{v["id"]}').status == 404, 'not yet public'
    v = vstep(v, 'verify', APPROVER, decision='accept')
    assert v['status'] == 'agreed' and v['approved_on'], v
    # published: the public reads its elements as they were, and the version
    # stays as it was
    els = SRV.get(f'/api/v1/icp_architecture_versions/{v["id"]}/elements?collection=icp_architecture')
    assert els.status == 200 and els.json()['items'], els
    assert comp['id'] not in [i['id'] for i in els.json()['items']], 'a draft then stays hidden'
    full = SRV.get(f'/api/v1/icp_architecture_versions/{v["id"]}/elements?collection=icp_architecture',
                   token=ARCH).json()
    assert comp['id'] in [i['id'] for i in full['items']]
    r = SRV.request('PATCH', f'/api/v1/icp_architecture_versions/{v["id"]}', {'description': 'x'},
                    token=OPERATOR, headers={'If-Match': f'"{v["revision"]}"'})
    assert r.status == 409, r
    r = SRV.get(f'/ru/icp_architecture_versions/{v["id"]}/elements?collection=icp_architecture')
    assert r.status == 200, r
    assert SRV.get(f'/api/v1/icp_architecture_versions/{v["id"]}/content').status == 200


def test_the_card_of_a_system_shows_its_layers():
    # REQ: ARC-09
    # what a system automates, supports, runs on, uses (an ICT service and
    # open-source software): on its card, each under its relation's name
    system = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                                'name': {'ru': 'ИС «Единое окно соцзащиты»'}}, OWNER)
    infra = create('objects', {'kind': 'ict_infrastructure_object', 'owner': ORG, 'stage': 'creation',
                               'infrastructure_type': 'server_equipment',
                               'name': {'ru': 'Серверы министерства'}}, OWNER)
    service = create('objects', {'kind': 'ict_service', 'owner': OPERATOR_ORG, 'stage': 'creation',
                                 'service_type': 'platform_provision', 'provider': OPERATOR_ORG,
                                 'name': {'ru': 'Технологическая платформа ИКП ЭП'}}, OPERATOR)
    oss = create('open_source', {'kind': 'open_source_software', 'name': {'ru': 'Linux'},
                                 'licence': 'GPL-2.0-only', 'area': 'operating_system'}, ARCH)
    proc = create('processes', {'name': {'ru': 'Приём заявлений на пособие'}, 'owner': ORG,
                                'serves': W['function']['id'],
                                'reengineering_status': 'not_started'}, OWNER)
    relate('automates', system['id'], W['function']['id'], OWNER)
    relate('supports', system['id'], proc['id'], OWNER)
    relate('runs_on', system['id'], infra['id'], OWNER)
    relate('uses', system['id'], service['id'], ADMIN)  # the operator's draft: unseen by the owner
    relate('uses_open_source', system['id'], oss['id'], OWNER)
    card = text(page(f'/ru/objects/{system["id"]}', sign_in('integrator-architect', INTEGRATOR)))
    for label, name in [('Автоматизирует', 'соцзащитнаяфункция'), ('Поддерживает', 'Приём заявлений'),
                        ('Размещается на', 'Серверы министерства'),
                        ('Использует', 'Технологическая платформа ИКП ЭП'),
                        ('Использует открытое ПО', 'Linux')]:
        assert label in card and name in card, (label, name)


def test_gap_lists_of_the_activity_layer():
    # REQ: ARC-13
    # the report's gap lists: a function or service no system automates, one
    # no capability groups; a relation put in takes it off the list
    def violators(rule):
        items = SRV.get('/api/v1/rules', token=ARCH).json()['items']
        return {v['id'] for v in next(i for i in items if i['rule'] == rule)['violators']}
    assert W['other_service']['id'] in violators('function_in_capability')
    assert W['service']['id'] not in violators('function_in_capability')
    assert W['function']['id'] in violators('function_automated')
    assert W['other_service']['id'] in violators('function_automated')
    assert W['service']['id'] not in violators('function_automated')  # automated above
    system = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                                'name': {'ru': 'АИС «Пенсия»'}}, ADMIN)
    relate('automates', system['id'], W['function']['id'], ARCH)
    assert W['function']['id'] not in violators('function_automated')
    assert W['other_service']['id'] in violators('function_automated')
    # the public does not read the report
    assert_problem(SRV.get('/api/v1/rules'), 401)


def test_gap_lists_of_every_layer():
    # REQ: ARC-13
    def report(query):
        r = SRV.get('/api/v1/rules' + query, token=ARCH)
        assert r.status == 200, r
        return {i['rule']: i for i in r.json()['items']}

    def violators(rule):
        return {v['id']: v for v in report(f'?rule={rule}')[rule]['violators']}

    # a service automated by a system whose industrial operation has ended
    service = create('services', {
        'name': {'ru': 'Выдача справки о статусе безработного'}, 'owner': ORG,
        'function': W['function']['id'], 'recipient': 'g2c', 'maturity': 'transactional',
        'channels': ['egov_portal'], 'url': 'https://egov.kz/cms/ru/services/unemployed'}, OWNER)
    system = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'industrial_operation',
                                'name': {'ru': 'АИС «Занятость»'}}, OWNER)
    relate('automates', system['id'], service['id'], ARCH)
    assert service['id'] not in violators('service_system_terminated')
    r = SRV.request('PATCH', f'/api/v1/objects/{system["id"]}', {'stage': 'termination'},
                    token=OWNER, headers={'If-Match': '"1"'})
    assert r.status == 200, r
    gap = violators('service_system_terminated')[service['id']]
    assert (gap['relation'], gap['direction']) == ('automates', 'in'), gap
    # a system in operation that automates nothing (redundant), until it does
    idle = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'industrial_operation',
                              'name': {'ru': 'АИС без функций'}}, OWNER)
    assert idle['id'] in violators('system_automates_something')
    assert system['id'] not in violators('system_automates_something')  # terminated: not judged
    relate('automates', idle['id'], W['function']['id'], ARCH)
    assert idle['id'] not in violators('system_automates_something')
    # a system in operation on a data centre whose operation has ended
    dc = create('objects', {'kind': 'ict_infrastructure_object', 'owner': ORG,
                            'stage': 'industrial_operation', 'name': {'ru': 'ЦОД «Старый»'},
                            'infrastructure_type': 'data_center'}, OWNER)
    relate('runs_on', idle['id'], dc['id'], OWNER)
    assert idle['id'] not in violators('system_on_live_infrastructure')
    r = SRV.request('PATCH', f'/api/v1/objects/{dc["id"]}', {'stage': 'termination'},
                    token=OWNER, headers={'If-Match': '"1"'})
    assert r.status == 200, r
    gap = violators('system_on_live_infrastructure')[idle['id']]
    assert (gap['relation'], gap['direction']) == ('runs_on', 'out'), gap
    assert report('?layer=infrastructure')['system_on_live_infrastructure']['layer'] == 'infrastructure'
    # a capability with nothing under it, until a child or a function is put there
    cap = create('capabilities', {'name': {'ru': 'Содействие занятости'}}, ARCH)
    assert violators('capability_has_content')[cap['id']]['field'] == 'parent'
    # the card says so to the report's readers, with the layer; not to others
    card = text(page(f'/ru/capabilities/{cap["id"]}', sign_in('integrator-architect', INTEGRATOR)))
    checks = card[card.index('id="rule-checks"'):]
    checks = checks[:checks.index('</section>')]
    assert 'В функциональной возможности что-то есть' in checks and 'Деятельность' in checks, checks
    assert 'rule-checks' not in text(page(f'/ru/capabilities/{cap["id"]}', sign_in('owner-editor', ORG)))
    child = create('capabilities', {'name': {'ru': 'Профессиональное обучение'},
                                    'parent': cap['id']}, ARCH)
    empty = violators('capability_has_content')
    assert cap['id'] not in empty and child['id'] in empty, empty
    relate('groups', child['id'], W['function']['id'], ARCH)
    assert child['id'] not in violators('capability_has_content')
    card = text(page(f'/ru/capabilities/{child["id"]}', sign_in('integrator-architect', INTEGRATOR)))
    assert 'Запись соблюдает все применимые к ней правила модели.' in card
    # a process kept under the integrator's name rather than the body whose process it is
    r = SRV.request('POST', '/api/v1/organizations', {
        'name': {'ru': 'Сервисный интегратор «электронного правительства»'}, 'bin': valid_bin(9104),
        'org_type': 'service_integrator'}, token=ADMIN)
    assert r.status == 201, r
    proc = create('processes', {'name': {'ru': 'Учёт безработных'}, 'owner': r.json()['id'],
                                'serves': W['function']['id'],
                                'reengineering_status': 'not_started'}, ADMIN)
    assert violators('process_has_owner')[proc['id']]['field'] == 'owner'
    r = SRV.request('PATCH', f'/api/v1/processes/{proc["id"]}', {'owner': ORG}, token=ADMIN,
                    headers={'If-Match': '"1"'})
    assert r.status == 200, r
    assert proc['id'] not in violators('process_has_owner')
    # attributes without a source, the ones a type inherits too
    subject = create('master_data', {'kind': 'data_subject', 'name': {'ru': 'Безработный'},
                                     'attributes': [{'name': 'ИИН', 'source': system['id']}]}, ADMIN)
    dtype = create('master_data', {'kind': 'data_type', 'name': {'ru': 'Получатель пособия'},
                                   'base': subject['id'],
                                   'attributes': [{'name': 'Размер пособия', 'source': system['id']}]},
                   ADMIN)
    assert not {subject['id'], dtype['id']} & violators('attribute_has_source').keys()
    r = SRV.request('PATCH', f'/api/v1/master_data/{subject["id"]}', {'attributes': [
        {'name': 'ИИН', 'source': system['id']}, {'name': 'Стаж'}]}, token=ADMIN,
        headers={'If-Match': '"1"'})
    assert r.status == 200, r
    no_source = violators('attribute_has_source')
    assert {subject['id'], dtype['id']} <= no_source.keys(), no_source
    assert no_source[dtype['id']]['field'] == 'attributes'
    # each rule names its layer; the report and its page show one layer
    data = report('?layer=data')
    assert 'attribute_has_source' in data and all(i['layer'] == 'data' for i in data.values()), data
    assert 'function_automated' not in data
    assert report('')['system_runs_on_infrastructure']['layer'] == 'infrastructure'
    assert_problem(SRV.get('/api/v1/rules?layer=moon', token=ARCH), 400, 'layer')
    assert_problem(SRV.get('/api/v1/rules?rule=nope', token=ARCH), 400, 'rule')
    assert SRV.get('/api/v1/model').json()['rules']['capability_has_content']['layer'] == 'activity'
    rules_page = text(page('/ru/rules?layer=activity', sign_in('integrator-architect', INTEGRATOR)))
    assert 'В функциональной возможности что-то есть' in rules_page
    assert 'атрибута мастер-данных' not in rules_page
    assert re.search(r'aria-current="page">Деятельность<', rules_page), 'the current layer'
    assert 'Слои архитектуры' in rules_page
def view(rid, token, name='architecture'):
    r = SRV.get(f'/api/v1/domains/{rid}/views/{name}', token=token)
    assert r.status == 200, r
    v = r.json()
    return v, {s['name']: [i['id'] for i in s['items']] for s in v['sections']}


def test_the_domain_view():
    # REQ: ARC-02
    # the domain's view from the model: bodies, capabilities, functions, the
    # services and processes under them, the systems that automate them, and
    # the flows among those systems; every step only through what the reader
    # may read
    did = W['domain']['id']
    v, sec = view(did, OWNER)
    assert v['record']['directions'] == ['Пенсионное обеспечение', 'Социальные выплаты'], v
    assert sorted(sec['bodies']) == sorted([ORG, OTHER]), sec
    assert set(sec['capabilities']) == {W['top']['id'], W['cap']['id']}, sec
    assert sec['functions'] == [W['function']['id']], sec
    assert set(sec['services']) == {W['service']['id'], W['other_service']['id']}, sec
    procs = SRV.get('/api/v1/processes?limit=100', token=OWNER).json()['items']
    assert set(sec['processes']) == {p['id'] for p in procs}, sec  # of the function and a service
    systems = set(sec['systems'])
    assert len(systems) == 2 and not any(s['truncated'] for s in v['sections']), v
    a, b = sorted(systems)
    flow = relate('exchanges_data_with', a, b, OWNER, data_carried='Сведения о пенсионерах',
                  direction='source_to_target')
    v, sec = view(did, OWNER)
    flows = next(d for d in v['diagrams'] if d['name'] == 'flows')
    assert [(e['id'], e['source'], e['target'], e['data_carried']) for e in flows['edges']] == [
        (flow['id'], a, b, 'Сведения о пенсионерах')], flows
    assert set(flows['nodes']) == systems, flows
    # the systems are the body's drafts: another body's editor reads the domain
    # without them (and without the flow), the public not at all
    v, sec = view(did, STRANGER)
    assert sec['systems'] == [] and v['diagrams'][0]['edges'] == [], v
    assert sec['functions'] == [W['function']['id']], sec
    missing = SRV.get(f'/api/v1/domains/{did}/views/architecture')
    assert_problem(missing, 404)
    assert missing.body == SRV.get(f'/api/v1/domains/{GHOST}/views/architecture').body
    assert_problem(SRV.get(f'/api/v1/domains/{did}/views/nothing', token=OWNER), 404)
    assert_problem(SRV.get(f'/api/v1/relations/{flow["id"]}/views/architecture', token=OWNER), 400)
    assert_problem(SRV.get(f'/api/v1/domains/{did}/views/architecture?x=1', token=OWNER), 400)
    # REQ: ARC-07
    # its master data and their conceptual data model: the data relations among
    # them and the types' bases
    W['subject'] = create('master_data', {'kind': 'data_subject', 'domain': did,
                                          'name': {'ru': 'Пенсионер домена'}}, ADMIN)
    W['dtype'] = create('master_data', {'kind': 'data_type', 'domain': did,
                                        'base': W['subject']['id'],
                                        'name': {'ru': 'Получатель пенсии по возрасту'}}, ADMIN)
    W['dobject'] = create('master_data', {'kind': 'data_object', 'domain': did,
                                          'name': {'ru': 'Пенсионное дело домена'}}, ADMIN)
    elsewhere = create('master_data', {'kind': 'data_object', 'name': {'ru': 'Чужие данные'}}, ADMIN)
    W['data_rel'] = relate('data_relation', W['subject']['id'], W['dobject']['id'], ADMIN,
                           name={'ru': 'имеет дело'}, cardinality='one_to_many')
    relate('data_relation', W['dobject']['id'], elsewhere['id'], ADMIN, cardinality='one_to_one')
    for who in (OWNER, STRANGER):
        v, sec = view(did, who)
        assert set(sec['data']) == {W[k]['id'] for k in ('subject', 'dtype', 'dobject')}, sec
        model = next(d for d in v['diagrams'] if d['name'] == 'data_model')
        assert set(model['nodes']) == set(sec['data']), model
        assert sorted((e.get('id', ''), e.get('field', ''), e['source'], e['target'])
                      for e in model['edges']) == sorted([
            (W['data_rel']['id'], '', W['subject']['id'], W['dobject']['id']),
            ('', 'base', W['dtype']['id'], W['subject']['id'])]), model
        rel = next(e for e in model['edges'] if e.get('id') == W['data_rel']['id'])
        assert rel['name'] == {'ru': 'имеет дело'} and rel['cardinality'] == 'one_to_many', rel
    # a domain with nothing under it has empty sections
    v2 = create('domains', {'name': {'ru': 'Пустой домен'}}, ARCH)
    _, sec = view(v2['id'], OWNER)
    assert all(ids == [] for ids in sec.values()), sec


def test_the_domain_view_as_of():
    """?at=<RFC 3339> gives the domain's view as it was then: a function
    added since is not there, a system retired since is, a flow moved since
    joins the systems it joined then, each record with its state then and
    only as the reader may read it then and now; the page says which instant
    it shows and leads back to now."""
    # REQ: ARC-12
    import time
    dom = create('domains', {'name': {'ru': 'Домен до перемен'}}, ARCH)['id']
    f1 = create('functions', {'name': {'ru': 'Функция до перемен'}, 'owner': ORG, 'domain': dom},
                OWNER)['id']
    s1, s2, s3 = (create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                                      'name': {'ru': f'ИС домена {n}'}}, OWNER)['id'] for n in (1, 2, 3))
    relate('automates', s1, f1, OWNER)
    relate('automates', s2, f1, OWNER)
    flow = relate('exchanges_data_with', s1, s2, OWNER, data_carried='Сведения',
                  direction='source_to_target')
    then = flow['updated_at']
    time.sleep(0.05)
    f2 = create('functions', {'name': {'ru': 'Функция после перемен'}, 'owner': ORG, 'domain': dom},
                OWNER)['id']
    relate('automates', s3, f2, OWNER)
    for path, body in ((f'relations/{flow["id"]}', {'target': s3}),
                       (f'functions/{f1}', {'name': {'ru': 'Функция переименована'}})):
        r = SRV.request('PATCH', f'/api/v1/{path}', body, token=OWNER, headers={'If-Match': '"1"'})
        assert r.status == 200, r
    r = SRV.request('DELETE', f'/api/v1/objects/{s2}', token=OWNER, headers={'If-Match': '"1"'})
    assert r.status in (200, 204), r

    def edges(v):
        return [(e['id'], e['source'], e['target'])
                for e in next(d for d in v['diagrams'] if d['name'] == 'flows')['edges']]
    v, sec = view(dom, OWNER)
    assert sec['functions'] == [f1, f2] and set(sec['systems']) == {s1, s3}, sec
    assert edges(v) == [(flow['id'], s1, s3)] and 'at' not in v, v
    old, sec = view(dom, OWNER, f'architecture?at={then}')
    assert old['at'] == then and sec['functions'] == [f1] and set(sec['systems']) == {s1, s2}, old
    fn = next(s for s in old['sections'] if s['name'] == 'functions')['items'][0]
    assert fn['name'] == {'ru': 'Функция до перемен'}, fn
    assert edges(old) == [(flow['id'], s1, s2)], old
    flows = next(d for d in old['diagrams'] if d['name'] == 'flows')
    assert set(flows['nodes']) == {s1, s2} and flows['edges'][0]['data_carried'] == 'Сведения', flows
    # the systems were the body's drafts then as now: another body's editor
    # reads the view then without them, the public not at all
    _, sec = view(dom, STRANGER, f'architecture?at={then}')
    assert sec['systems'] == [] and sec['functions'] == [f1], sec
    public = SRV.get(f'/api/v1/domains/{dom}/views/architecture?at={then}')
    assert_problem(public, 404)
    assert public.body == SRV.get(f'/api/v1/domains/{GHOST}/views/architecture?at={then}').body
    # before the domain existed, a bad instant, and a domain retired since
    assert_problem(SRV.get(f'/api/v1/domains/{dom}/views/architecture?at=2020-01-01T00:00:00Z',
                           token=OWNER), 404)
    for bad in ('yesterday', '2026-13-01T00:00:00Z', ''):
        assert_problem(SRV.get(f'/api/v1/domains/{dom}/views/architecture?at={bad}', token=OWNER),
                       400, 'at')
    # the page: as it was then, and the way back to now
    owner = sign_in('owner-editor', ORG)
    r = page(f'/ru/domains/{dom}/view/architecture?at={then}', owner)
    assert r.status == 200, r
    body = text(r)
    assert 'По состоянию на' in body and f'href="/ru/objects/{s2}"' in body, body
    assert f'href="/ru/objects/{s3}"' not in body and 'Функция до перемен' in body, body
    assert f'href="/ru/domains/{dom}/view/architecture"' in body, body
    assert f'href="/ru/domains/{dom}/trace?at={then}"' in body, body
    assert 'По состоянию на' not in text(page(f'/ru/domains/{dom}/view/architecture', owner))
    assert page(f'/ru/domains/{dom}/view/architecture?at=never', owner).status == 400
    for path, rev, who in ((f'functions/{f1}', 2, ADMIN), (f'functions/{f2}', 1, ADMIN),
                           (f'domains/{dom}', 1, ADMIN)):
        r = SRV.request('DELETE', f'/api/v1/{path}', token=who, headers={'If-Match': f'"{rev}"'})
        assert r.status in (200, 204), r
    gone = SRV.get(f'/api/v1/domains/{dom}/history', token=OWNER).json()['items'][-1]['at']
    assert_problem(SRV.get(f'/api/v1/domains/{dom}/views/architecture?at={gone}', token=OWNER), 410)
    assert page(f'/ru/domains/{dom}/view/architecture?at={gone}', owner).status == 410
    _, sec = view(dom, OWNER, f'architecture?at={then}')
    assert sec['functions'] == [f1] and set(sec['systems']) == {s1, s2}, sec


def test_the_domain_page_catalogue_and_menu():
    # REQ: ARC-02
    # REQ: X-SVC-01
    did = W['domain']['id']
    owner = sign_in('owner-editor', ORG)
    member = sign_in('owner-editor', OTHER)
    heads = {'kk': 'Домен архитектурасы', 'ru': 'Архитектура домена', 'en': "The domain's architecture"}
    for lang, head in heads.items():
        r = page(f'/{lang}/domains/{did}/view/architecture', owner)
        assert r.status == 200, (lang, r)
        body = text(r)
        assert f'<h1>{head}: ' in body and 'Пенсионное обеспечение' in body, (lang, body[:3000])
        assert 'Назначение пенсионных выплат по возрасту' in body and 'ИС Пенсионных выплат' in body
        # the flows drawn, and said again in a table
        assert '<svg' in body and 'Сведения о пенсионерах' in body, lang
        # the card links to its view
        card = text(page(f'/{lang}/domains/{did}', owner))
        assert f'/{lang}/domains/{did}/view/architecture' in card, lang
    # REQ: ARC-07
    # the conceptual data model drawn among the domain's master data
    for lang, head in (('kk', 'Деректердің тұжырымдамалық моделі'),
                       ('ru', 'Концептуальная модель данных'),
                       ('en', 'Conceptual data model')):
        body = text(page(f'/{lang}/domains/{did}/view/architecture', owner))
        assert head in body and 'Мастер-' in body or 'Master data' in body, (lang, body[-3000:])
        for name in ('Пенсионер домена', 'Получатель пенсии по возрасту', 'Пенсионное дело домена',
                     'имеет дело'):
            assert name in body, (lang, name)
        assert 'Чужие данные' not in body, lang
    body = text(page(f'/ru/domains/{did}/view/architecture', member))
    assert 'ИС Пенсионных выплат' not in body and 'Сведения о пенсионерах' not in body
    assert 'Между этими записями нет связей.' in body and 'Назначение пенсионных выплат по возрасту' in body
    assert page(f'/ru/domains/{did}/view/architecture').status == 404
    assert page(f'/ru/domains/{did}/view/nothing', owner).status == 404
    # the trace page draws the walk beside its lists
    body = text(page(f'/ru/domains/{did}/trace', owner))
    assert '<svg' in body and 'Министерство здравоохранения' in body, body[:2000]
    # the e-services catalogue for the public: type, maturity, channels, owner, its own address
    body = text(page('/en/services'))
    for cell in ('G2C', 'Transactional', 'Informational', 'egov.kz',
                 'href="https://egov.kz/cms/ru/services/pension/pass_pension"',
                 'Министерство труда и социальной защиты населения'):
        assert cell in body, (cell, body[-4000:])
    body = text(page('/ru/services?filter=maturity:informational'))
    assert 'Справка о пенсионных отчислениях' in body and 'по возрасту' not in body
    # the menu's architecture page: from the model, as the visitor may read
    for lang in ('kk', 'ru', 'en'):
        body = text(page(f'/{lang}'))
        assert f'href="/{lang}/architecture"' in body and f'href="/{lang}/services"' in body, lang
    pub = text(page('/ru/architecture'))
    assert 'href="/ru/services"' in pub and 'href="/ru/domains"' not in pub, pub
    mine = text(page('/ru/architecture', member))
    assert 'href="/ru/domains"' in mine and 'href="/ru/functions"' in mine, mine
    assert 'href="/ru/objects"' not in mine and 'href="/ru/organizations"' not in mine
def map_setup():
    """A domain of its own: capability R over C and C2; C groups a function
    and its service of ORG, automated by X (being built) and Y (in
    operation); C2 groups OTHER's function, automated by OTHER's Z."""
    if 'R' in M:
        return
    M['D'] = create('domains', {'name': {'ru': 'Домен карты'}}, ARCH)['id']
    M['R'] = create('capabilities', {'name': {'ru': 'Карта: корень'}, 'domain': M['D']}, ARCH)['id']
    M['C'] = create('capabilities', {'name': {'ru': 'Карта: выплаты'}, 'parent': M['R']}, ARCH)['id']
    M['C2'] = create('capabilities', {'name': {'ru': 'Карта: здоровье'}, 'parent': M['R']}, ARCH)['id']
    M['F'] = create('functions', {'name': {'ru': 'Функция карты'}, 'owner': ORG, 'domain': M['D']},
                    OWNER)['id']
    M['S'] = create('services', {'name': {'ru': 'Услуга карты'}, 'owner': ORG, 'function': M['F'],
                                 'recipient': 'g2c', 'maturity': 'interactive'}, OWNER)['id']
    M['F3'] = create('functions', {'name': {'ru': 'Функция другого органа'}, 'owner': OTHER,
                                   'domain': M['D']}, STRANGER)['id']
    for cap, leaf in (('C', 'F'), ('C', 'S'), ('C2', 'F3')):
        relate('groups', M[cap], M[leaf], ARCH)
    M['X'] = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                                'name': {'ru': 'ИС карты X'}, **COMPLETE}, OWNER)['id']
    M['Y'] = create('objects', {'kind': 'information_system', 'owner': ORG,
                                'stage': 'industrial_operation', 'name': {'ru': 'ИС карты Y'}},
                    OWNER)['id']
    M['Z'] = create('objects', {'kind': 'information_system', 'owner': OTHER, 'stage': 'creation',
                                'name': {'ru': 'ИС карты Z'}}, STRANGER)['id']
    relate('automates', M['X'], M['F'], OWNER, automation_level='full')
    relate('automates', M['X'], M['S'], OWNER, automation_level='partial')
    relate('automates', M['Y'], M['S'], OWNER)
    relate('automates', M['Z'], M['F3'], STRANGER)
    # master data F accesses: of three attributes, one stored in Y (in operation)
    M['T'] = create('master_data', {'kind': 'data_object', 'name': {'ru': 'Данные карты'},
                                    'attributes': [{'name': 'a1', 'source': M['Y']},
                                                   {'name': 'a2', 'source': M['X']},
                                                   {'name': 'a3'}]}, ADMIN)['id']
    relate('accesses', M['F'], M['T'], ADMIN, access='read')


def capmap(query, token):
    r = SRV.get(f'/api/v1/capabilities/map{query}', token=token)
    assert r.status == 200, (query, r)
    return {i['id']: i for i in r.json()['items']}, r.json()


def test_capability_map():
    # REQ: ARC-03
    # the functional model as a map: capabilities by parent, the functions
    # and services each groups, measured over the systems automating them
    map_setup()
    items, whole = capmap(f'?domain={M["D"]}', ADMIN)
    assert list(items) == [M['R'], M['C'], M['C2']], whole  # tree order, children by name
    assert [items[k]['depth'] for k in ('R', 'C', 'C2') for k in [M[k]]] == [0, 1, 1]
    assert items[M['C']]['parent'] == M['R'] and items[M['R']]['parent'] is None
    assert {l['id'] for l in items[M['C']]['leaves']} == {M['F'], M['S']}, items[M['C']]
    # systems: distinct, through the subtree (X automates two leaves of C)
    assert whole['measure'] == 'systems' and whole['scale'] == 'count'
    assert [items[M[k]]['value'] for k in ('R', 'C', 'C2')] == [3, 2, 1], whole
    assert whole['max'] == 3
    # life-cycle stages: the share per stage group, the first coloured
    items, whole = capmap(f'?domain={M["D"]}&measure=stages', ADMIN)
    assert items[M['C']]['stages'] == {'operation': 50, 'development': 50, 'terminated': 0}, items
    assert items[M['C']]['value'] == 50 and whole['scale'] == 'percent'
    assert items[M['C2']]['stages']['development'] == 100 and items[M['C2']]['value'] == 0
    # completeness: the mean of the systems' own completeness scores
    items, _ = capmap(f'?domain={M["D"]}&measure=completeness', ADMIN)
    scores = [SRV.get(f'/api/v1/objects/{M[x]}/completeness', token=ADMIN).json()['score']
              for x in ('X', 'Y')]
    assert scores[0] != scores[1], scores
    assert abs(items[M['C']]['value'] - sum(scores) / 2) < 1e-9, (items[M['C']], scores)
    # every measure the model declares on capabilities is a measure of the map:
    # digitisation, the tile's own record's figures as its read says them
    for who in (ADMIN, STRANGER):
        items, whole = capmap(f'?domain={M["D"]}&measure=digitisation', who)
        assert whole['measure'] == 'digitisation' and whole['scale'] == 'percent', whole
        for k in ('R', 'C', 'C2'):
            got = SRV.get(f'/api/v1/capabilities/{M[k]}', token=who).json()['measures']['digitisation']
            tile = items[M[k]]
            assert (tile['items'], tile['done']) == (got['items'], got['done']), (k, tile, got)
            assert ('value' in tile) == (got['level'] is not None), (k, tile, got)
            if got['level'] is not None:
                assert abs(tile['value'] - 100 * got['level']) < 0.1, (k, tile, got)
    items, _ = capmap(f'?domain={M["D"]}&measure=digitisation', ADMIN)
    assert (items[M['C']]['items'], items[M['C']]['done']) == (3, 1), items[M['C']]
    assert abs(items[M['C']]['value'] - 100 / 3) < 1e-9, items
    # a capability's data is its sub-tree's: the root groups nothing itself
    # and has what its children's functions and services access
    assert (items[M['R']]['items'], items[M['R']]['done']) == (3, 1), items[M['R']]
    # the domain filter: a capability without one takes its parent's
    items, _ = capmap(f'?domain={W["domain"]["id"]}', ADMIN)
    assert not {M['R'], M['C'], M['C2']} & set(items) and W['cap']['id'] in items, items
    # rights: OTHER's editor reads its own draft system, not ORG's
    items, _ = capmap(f'?domain={M["D"]}', STRANGER)
    assert [items[M[k]]['value'] for k in ('R', 'C', 'C2')] == [1, 0, 1], items
    items, whole = capmap('', None)  # capabilities do not exist for the public
    assert items == {} and M['R'] not in SRV.get('/api/v1/capabilities/map').body.decode()
    # bad input: a clear problem
    assert_problem(SRV.get('/api/v1/capabilities/map?measure=colour', token=ADMIN), 400, 'measure')
    assert_problem(SRV.get('/api/v1/capabilities/map?domain=a%20b', token=ADMIN), 400, 'domain')
    assert_problem(SRV.get('/api/v1/capabilities/map?sort=name', token=ADMIN), 400, 'sort')
    assert_problem(SRV.get('/api/v1/functions/map', token=ADMIN), 404)
    assert_problem(SRV.get('/api/v1/nothing/map', token=ADMIN), 404)


def test_capability_map_page():
    # REQ: ARC-03
    map_setup()
    admin = sign_in('admin')
    for lang, measure in (('kk', 'Оның жүйелерінің өмірлік цикл кезеңдері'),
                          ('ru', 'Этапы жизненного цикла её систем'),
                          ('en', 'Life-cycle stages of its systems')):
        r = page(f'/{lang}/capabilities/map?measure=stages&domain={M["D"]}', admin)
        assert r.status == 200, (lang, r)
        body = text(r)
        assert f'<option value="stages" selected>{measure}</option>' in body, lang
        assert f'<option value="{M["D"]}" selected>Домен карты</option>' in body, lang
        for name in ('Карта: корень', 'Карта: выплаты', 'Карта: здоровье', 'Функция карты'):
            assert name in body, (lang, name)
        assert f'href="/{lang}/capabilities/{M["C"]}"' in body
        assert 'portal-heat-3' in body and '<caption>' in body and 'scope="row"' in body, lang
        # the table's figures: leaves, systems, the measure, a share per stage group
        assert re.search(r'Карта: выплаты</a></th><td>2</td><td>2</td><td>50 %</td>'
                         r'<td>50 %</td><td>50 %</td><td>0 %</td></tr>', body), (lang, body)
        assert re.search(r'Карта: здоровье</a></th><td>\d+</td><td>1</td><td>0 %</td>'
                         r'<td>0 %</td><td>100 %</td><td>0 %</td></tr>', body), (lang, body)
        assert W['cap']['id'] not in body  # another domain
    body = text(page(f'/en/capabilities/map?domain={M["D"]}', admin))
    assert '<option value="systems" selected>' in body and '>3</p>' in body, body
    # a measure of the model's: its label the model's, the tile's share in per cent
    for lang, label in (('kk', 'Мастер-деректерді цифрландыру деңгейі'),
                        ('ru', 'Уровень цифровизации мастер-данных'),
                        ('en', 'Digitisation level of master data')):
        body = text(page(f'/{lang}/capabilities/map?measure=digitisation&domain={M["D"]}', admin))
        assert f'<option value="digitisation" selected>{label}</option>' in body, (lang, body)
        assert '>33 %<' in body, (lang, body)
    # the list links to its map and matrix, a list without them to none
    body = text(page('/ru/capabilities', admin))
    assert 'href="/ru/capabilities/map"' in body and 'href="/ru/capabilities/matrix/bodies"' in body
    assert 'portal-views' not in text(page('/ru/domains', admin))
    assert page('/en/capabilities/map?measure=colour', admin).status == 400
    assert page('/en/functions/map', admin).status == 404


def test_capability_map_as_of():
    """?at= (API) or the form's date (page) draws the map as it was then: the
    capabilities there then with their names then, the relations live then,
    the systems in their stages then; measures of today only are refused;
    the rights as a GET ?at= of each record decides."""
    # REQ: ARC-12
    import time
    D = create('domains', {'name': {'ru': 'Домен прошлого'}}, ARCH)['id']
    R = create('capabilities', {'name': {'ru': 'Прошлое: корень'}, 'domain': D}, ARCH)['id']
    F = create('functions', {'name': {'ru': 'Функция прошлого'}, 'owner': ORG, 'domain': D}, OWNER)['id']
    relate('groups', R, F, ARCH)
    X = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                           'name': {'ru': 'ИС прошлого X'}}, OWNER)['id']
    ax = relate('automates', X, F, OWNER)
    then = ax['updated_at']
    time.sleep(0.05)
    # since: X in pilot operation, its automation ended, Y took over, a new
    # capability, the root renamed
    r = SRV.request('PATCH', f'/api/v1/objects/{X}', {'stage': 'pilot_operation'}, token=OWNER,
                    headers={'If-Match': '"1"'})
    assert r.status == 200, r
    r = SRV.request('DELETE', f'/api/v1/relations/{ax["id"]}', token=OWNER, headers={'If-Match': '"1"'})
    assert r.status in (200, 204), r
    Y = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'industrial_operation',
                           'name': {'ru': 'ИС прошлого Y'}}, OWNER)['id']
    relate('automates', Y, F, OWNER)
    N = create('capabilities', {'name': {'ru': 'Прошлое: новая'}, 'parent': R}, ARCH)['id']
    r = SRV.request('PATCH', f'/api/v1/capabilities/{R}', {'name': {'ru': 'Настоящее: корень'}},
                    token=ARCH, headers={'If-Match': '"1"'})
    assert r.status == 200, r
    now, whole = capmap(f'?domain={D}&measure=stages', ADMIN)
    assert list(now) == [R, N] and 'at' not in whole, whole
    assert now[R]['name'] == {'ru': 'Настоящее: корень'} and now[R]['systems'] == 1
    assert now[R]['stages']['operation'] == 100, now[R]
    old, whole = capmap(f'?domain={D}&measure=stages&at={then}', ADMIN)
    assert whole['at'] == then and list(old) == [R], whole
    assert old[R]['name'] == {'ru': 'Прошлое: корень'}, old[R]
    assert [l['id'] for l in old[R]['leaves']] == [F] and old[R]['systems'] == 1, old[R]
    assert old[R]['stages'] == {'operation': 0, 'development': 100, 'terminated': 0}, old[R]
    old, _ = capmap(f'?domain={D}&at={then}', ADMIN)
    assert old[R]['value'] == 1
    # another body's editor: X was ORG's draft then as now, so not counted
    old, _ = capmap(f'?domain={D}&at={then}', STRANGER)
    assert old[R]['systems'] == 0, old[R]
    # before the domain's capabilities existed: an empty map
    empty, _ = capmap(f'?domain={D}&at=2020-01-01T00:00:00Z', ADMIN)
    assert empty == {}, empty
    # a measure of today only, and a bad instant
    assert_problem(SRV.get(f'/api/v1/capabilities/map?measure=completeness&at={then}', token=ADMIN),
                   400, 'at')
    assert_problem(SRV.get('/api/v1/capabilities/map?at=yesterday', token=ADMIN), 400, 'at')
    # the page: the form's date, or ?at=, says which instant it shows
    admin = sign_in('admin')
    body = text(page(f'/ru/capabilities/map?domain={D}&at={then}', admin))
    assert 'По состоянию на' in body and 'Прошлое: корень' in body and 'Прошлое: новая' not in body, body
    assert 'href="/ru/capabilities/map"' in body and 'value="completeness"' not in body
    day = time.strftime('%Y-%m-%d', time.gmtime(time.time() + 86400 * 2))
    body = text(page(f'/en/capabilities/map?domain={D}&on={day}', admin))
    assert 'Настоящее: корень' in body and 'Прошлое: новая' in body and f'value="{day}"' in body
    # a date is the end of that day on the portal's calendar (UTC+5): the day
    # of the writes above shows them all, the day before shows nothing yet
    import calendar as pycal
    then_s = pycal.timegm(time.strptime(then[:19], '%Y-%m-%dT%H:%M:%S')) + 5 * 3600
    if 120 < then_s % 86400 < 86400 - 120:  # not at the edge of a local day
        today = time.strftime('%Y-%m-%d', time.gmtime(then_s))
        body = text(page(f'/en/capabilities/map?domain={D}&on={today}', admin))
        assert 'Настоящее: корень' in body and 'Прошлое: новая' in body, body
        eve = time.strftime('%Y-%m-%d', time.gmtime(then_s - 86400))
        body = text(page(f'/en/capabilities/map?domain={D}&on={eve}', admin))
        assert 'Прошлое: корень' not in body and 'Настоящее: корень' not in body, body
    assert page('/en/capabilities/map?on=31.12.2025', admin).status == 400
    r = page(f'/kk/capabilities/map?measure=digitisation&at={then}', admin)
    assert r.status == 400 and 'тек қазіргі күйінде' in text(r), r


def test_capability_map_of_many_tiles():
    # REQ: ARC-03
    # a map of more tiles than it lists the leaves of (300) gives each tile's
    # count of functions and services, not their names; a smaller one lists them
    map_setup()
    big = create('domains', {'name': {'ru': 'Большой домен'}}, ARCH)['id']
    root = create('capabilities', {'name': {'ru': 'Большая карта: корень'}, 'domain': big}, ARCH)['id']
    caps = [create('capabilities', {'name': {'ru': f'Большая карта {i:03}'}, 'parent': root},
                   ARCH)['id'] for i in range(300)]
    fn = create('functions', {'name': {'ru': 'Функция большой карты'}, 'owner': ORG, 'domain': big},
                OWNER)['id']
    relate('groups', caps[7], fn, ARCH)
    relate('automates', M['Y'], fn, OWNER)
    items, whole = capmap(f'?domain={big}', ADMIN)
    assert len(items) == 301 and whole['leaves_listed'] is False, whole['leaves_listed']
    assert not any('leaves' in i for i in items.values()), items[caps[7]]
    assert items[caps[7]]['leaf_count'] == 1 and items[caps[8]]['leaf_count'] == 0, items[caps[7]]
    assert items[caps[7]]['value'] == 1 and items[root]['value'] == 1, items[root]
    assert 'Функция большой карты' not in SRV.get(f'/api/v1/capabilities/map?domain={big}',
                                                  token=ADMIN).body.decode()
    items, whole = capmap(f'?domain={M["D"]}', ADMIN)
    assert whole['leaves_listed'] is True and items[M['C']]['leaf_count'] == 2, items[M['C']]
    assert {l['id'] for l in items[M['C']]['leaves']} == {M['F'], M['S']}, items[M['C']]
    admin = sign_in('admin')
    for lang, count, hint in (('kk', 'Функциялар мен қызметтер: 1', 'доменді таңдаңыз'),
                              ('ru', 'Функций и услуг: 1', 'выберите домен'),
                              ('en', 'Functions and services: 1', 'choose a domain')):
        body = text(page(f'/{lang}/capabilities/map?domain={big}', admin))
        assert count in body and hint in body and 'Функция большой карты' not in body, lang
        # the table: the tile's functions and services, its systems
        assert re.search(r'Большая карта 007</a></th><td>1</td><td>1</td>', body), lang
        small = text(page(f'/{lang}/capabilities/map?domain={M["D"]}', admin))
        assert 'Функция карты' in small and 'map-unlisted' not in small, lang


def test_matrices():
    # REQ: ARC-03
    map_setup()
    r = SRV.get(f'/api/v1/capabilities/matrix/bodies?domain={M["D"]}', token=ADMIN)
    assert r.status == 200, r
    rows = {row['id']: row['cells'] for row in r.json()['rows']}
    assert rows == {M['R']: {ORG: 2, OTHER: 1}, M['C']: {ORG: 2}, M['C2']: {OTHER: 1}}, rows
    assert {c['id'] for c in r.json()['columns']} == {ORG, OTHER}
    r = SRV.get(f'/api/v1/functions/matrix/systems?domain={M["D"]}', token=ADMIN)
    rows = {row['id']: row['cells'] for row in r.json()['rows']}
    assert rows == {M['F']: {M['X']: 'full'}, M['F3']: {M['Z']: ''}}, rows
    r = SRV.get(f'/api/v1/functions/matrix/systems?domain={M["D"]}', token=STRANGER)
    assert [c['id'] for c in r.json()['columns']] == [M['Z']], r.json()  # ORG's drafts unread
    assert_problem(SRV.get('/api/v1/functions/matrix/nothing', token=ADMIN), 404)
    assert_problem(SRV.get('/api/v1/functions/matrix/systems?measure=x', token=ADMIN), 400)
    # the pages: an accessible table and the same figures as CSV
    admin = sign_in('admin')
    r = page(f'/en/functions/matrix/systems?domain={M["D"]}', admin)
    body = text(r)
    assert r.status == 200 and '<caption id="matrix-caption">Functions and information systems' in body
    assert '<th scope="col"><a class="usa-link" href="/en/objects/' + M['X'] in body, body
    assert '<td>Full</td>' in body and 'scope="row"' in body
    r = page(f'/ru/functions/matrix/systems.csv?domain={M["D"]}&sep=semicolon', admin)
    assert r.status == 200 and r.header('Content-Type').startswith('text/csv'), r
    lines = r.body.decode('utf-8-sig').splitlines()
    assert lines[0] == 'Государственные функции;ИС карты X;ИС карты Z', lines
    assert sorted(lines[1:]) == ['Функция другого органа;;✓', 'Функция карты;Полная;'], lines
    r = page(f'/kk/capabilities/matrix/bodies?domain={M["D"]}', admin)
    assert r.status == 200 and '<td>2</td>' in text(r) and 'scope="col"' in text(r), r


def test_capability_map_target_and_difference():
    # REQ: ARC-11, ARC-12
    # the map as the target architecture (the as-is with the initiatives
    # applied, as the gap report derives it) and as the difference: Y is
    # decommissioned, C developed, C2 replaced
    map_setup()
    kind = {'owner': ORG, 'priority': 'high', 'status': 'planned'}
    retire = create('initiatives', {'name': {'ru': 'Вывод ИС карты Y'}, 'initiative_type': 'decommission',
                                    **kind}, ARCH)['id']
    develop = create('initiatives', {'name': {'ru': 'Развитие выплат'}, 'initiative_type': 'develop',
                                     **kind}, ARCH)['id']
    replace = create('initiatives', {'name': {'ru': 'Замена здоровья'}, 'initiative_type': 'replace',
                                     **kind}, ARCH)['id']
    relate('affects', retire, M['Y'], ARCH, role='changed')
    relate('affects', develop, M['C'], ARCH, role='changed')
    relate('affects', replace, M['C2'], ARCH, role='changed')
    admin = sign_in('admin')
    base = f'/ru/capabilities/map?domain={M["D"]}'
    # the as-is is as it was: X and Y under C, Z under C2
    body = text(page(base, admin))
    assert re.search(r'Карта: выплаты</a></th><td>2</td><td>2</td><td>2</td></tr>', body), body
    assert 'portal-map__change' not in body and '<option value="as_is" selected>' in body
    # the target: Y drops out of C's and R's systems, C2 is replaced (gone)
    body = text(page(base + '&view=target', admin))
    assert '<option value="target" selected>Целевая</option>' in body, body
    assert re.search(r'Карта: корень</a></th><td>0</td><td>1</td><td>1</td></tr>', body), body
    assert re.search(r'Карта: выплаты</a></th><td>2</td><td>1</td><td>1</td></tr>', body), body
    assert 'Карта: здоровье' not in body and 'href="/ru/gaps"' in body
    # the difference: each tile's change in words, the count before → after,
    # a legend of the changes, in each language
    for lang, kept, enhanced, replaced in (('kk', 'Сақталады', 'Жетілдіріледі', 'Ауыстырылады'),
                                           ('ru', 'Сохраняется', 'Развивается', 'Заменяется'),
                                           ('en', 'Kept', 'Enhanced', 'Replaced')):
        body = text(page(f'/{lang}/capabilities/map?domain={M["D"]}&view=difference', admin))
        for name, value, change in (('Карта: корень', '3 → 1', kept),
                                    ('Карта: выплаты', '2 → 1', enhanced),
                                    ('Карта: здоровье', '1 → —', replaced)):
            assert re.search(f'{name}</a></th><td>\\d+</td><td>\\d+</td><td>{value}</td>'
                             f'<td>{change}</td></tr>', body), (lang, name, body)
        assert f'<p class="portal-map__change portal-change-enhance">{enhanced}</p>' in body, lang
        assert 'id="map-changes"' in body and 'portal-change-remove' in body, lang
    # the life-cycle stages over the target: C's only system left is X (being built)
    body = text(page(base + '&view=target&measure=stages', admin))
    assert re.search(r'Карта: выплаты</a></th><td>2</td><td>1</td><td>0 %</td>'
                     r'<td>0 %</td><td>100 %</td><td>0 %</td></tr>', body), body
    # rights: OTHER's editor reads neither X nor Y, so Y's decommissioning
    # changes nothing they see; C2's replacement they do see
    other = sign_in('owner-editor', OTHER)
    body = text(page(base + '&view=difference', other))
    assert re.search(r'Карта: выплаты</a></th><td>\d+</td><td>0</td><td>0 → 0</td>'
                     r'<td>Развивается</td></tr>', body), body
    assert re.search(r'Карта: корень</a></th><td>\d+</td><td>0</td><td>1 → 0</td>', body), body
    # bad input: an unknown view; the target as of a day, or by the model's
    # measure over the capability's own record
    assert page(base + '&view=future', admin).status == 400
    r = page(base + '&view=target&on=2026-01-01', admin)
    assert r.status == 400 and 'оставьте дату пустой' in text(r), r
    assert page(base + '&view=difference&measure=digitisation', admin).status == 400
    # the same from the API: the difference's items with their effect and
    # the value before; an unknown view refused
    r = SRV.get(f'/api/v1/capabilities/map?domain={M["D"]}&view=difference', token=ADMIN)
    assert r.status == 200, r
    items = {i['id']: i for i in r.json()['items']}
    assert items[M['C']]['effect'] == 'enhance' and items[M['C2']]['effect'] == 'replace', items
    assert_problem(SRV.get(f'/api/v1/capabilities/map?view=future', token=ADMIN), 400)


def main():
    global SRV, ADMIN, ARCH, OWNER, STRANGER, ORG, OTHER, INTEGRATOR, OPERATOR, OPERATOR_ORG
    global APPROVER
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        OTHER = make_org(2, 'Министерство здравоохранения')
        INTEGRATOR = make_org(3, 'Сервисный интегратор')
        OPERATOR_ORG = make_org(5, 'Оператор ИКИ ЭП')
        ARCH = srv.token('integrator-architect', INTEGRATOR)
        OWNER = srv.token('owner-editor', ORG)
        STRANGER = srv.token('owner-editor', OTHER)
        OPERATOR = srv.token('operator', OPERATOR_ORG)
        APPROVER = srv.token('approver', make_org(6, 'Министерство цифрового развития'))
        setup()
        run([test_domains_and_participating_bodies, test_functions_services_and_capabilities,
             test_goals_indicators_and_problems, test_processes_and_client_journeys,
             test_signed_in_kinds_do_not_exist_for_the_public, test_pages_list_facets_card_and_form,
             test_owner_editors_keep_only_their_own_functions, test_gap_lists_of_the_activity_layer,
             # the domain's view counts what the tests above made in it
             test_the_domain_view, test_the_domain_page_catalogue_and_menu,
             test_the_domain_view_as_of,
             test_layer_lists_published_for_everyone, test_the_icp_architecture_is_agreed,
             test_the_icp_architecture_versions_take_the_same_path,
             test_the_card_of_a_system_shows_its_layers,
             test_gap_lists_of_every_layer, test_capability_map, test_capability_map_page,
             test_capability_map_as_of, test_matrices, test_capability_map_of_many_tiles,
             test_capability_map_target_and_difference])


if __name__ == '__main__':
    main()
