"""End-to-end tests of traceability walks (issue 15 item 4):
GET /api/v1/{collection}/{id}/trace walks the relations graph from a record
to a depth, out of it, into it or both, filtered by relation types; cycles
end; only what the caller may read is listed or crossed; ?at= walks the
graph as it was at an instant; bad parameters answer 400."""
import importlib.util
import json
import os
import tempfile

from harness import COMPLETE, Server, assert_problem, place_documents, run, valid_bin

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    'make_documents', os.path.join(HERE, '..', 'fixtures', 'make-documents.py'))
FX_MOD = importlib.util.module_from_spec(spec)
spec.loader.exec_module(FX_MOD)

SRV = None
ADMIN = OWNER = STRANGER = VERIFIER = None
ORG = OTHER = None
G = {}  # the graph, made once


def make_org(n):
    body = {'name': {'ru': f'Ведомство трассировки {n}'}, 'bin': valid_bin(8700 + n),
            'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def system(owner, token, name):
    body = {'kind': 'information_system', 'owner': owner, 'name': {'ru': name}, 'stage': 'creation'}
    body.update(COMPLETE)
    r = SRV.request('POST', '/api/v1/objects', body, token=token)
    assert r.status == 201, r
    return r.json()['id']


def register(rid, token):
    place_documents(SRV, rid, token)
    r = SRV.request('POST', f'/api/v1/objects/{rid}/submit', token=token)
    assert r.status == 200, r
    r = SRV.request('POST', f'/api/v1/objects/{rid}/verify', {'decision': 'accept'}, token=VERIFIER)
    assert r.status == 200, r
    return rid


def relate(source, target, token, type_='exchanges_data_with'):
    body = {'type': type_, 'source': source, 'target': target}
    if type_ == 'exchanges_data_with':
        body['data_carried'] = 'ИИН'
    r = SRV.request('POST', '/api/v1/relations', body, token=token)
    assert r.status == 201, r
    return r.json()['id']


def trace(rid, query='', token=None):
    r = SRV.get(f'/api/v1/objects/{rid}/trace{query}', token=token or ADMIN)
    assert r.status == 200, (query, r)
    return r.json()


def depths(t):
    return {n['id']: n['depth'] for n in t['nodes']}


def setup():
    # a cycle a -> b -> c -> a, and a runs on the data centre dc
    a, b, c = (system(ORG, OWNER, f'Система {x}') for x in 'ABC')
    r = SRV.request('POST', '/api/v1/objects', {
        'kind': 'ict_infrastructure_object', 'owner': ORG, 'stage': 'industrial_operation',
        'name': {'ru': 'ЦОД трассировки'}, 'infrastructure_type': 'data_center'}, token=OWNER)
    assert r.status == 201, r
    dc = r.json()['id']
    G.update(a=a, b=b, c=c, dc=dc, ab=relate(a, b, OWNER), bc=relate(b, c, OWNER),
             ca=relate(c, a, OWNER), adc=relate(a, dc, OWNER, 'runs_on'))


def test_depth_and_direction():
    a, b, c, dc = G['a'], G['b'], G['c'], G['dc']
    one = trace(a, '?direction=out&depth=1')
    assert depths(one) == {a: 0, b: 1, dc: 1}, one
    assert sorted(e['id'] for e in one['edges']) == sorted([G['ab'], G['adc']]), one
    assert one['truncated'] is False
    node = next(n for n in one['nodes'] if n['id'] == b)
    assert node['kind'] == 'information_system' and node['name'] == {'ru': 'Система B'}, node
    edge = next(e for e in one['edges'] if e['id'] == G['ab'])
    assert edge == {'id': G['ab'], 'type': 'exchanges_data_with', 'source': a, 'target': b}, edge
    assert depths(trace(a, '?direction=out&depth=2')) == {a: 0, b: 1, dc: 1, c: 2}
    # into a: c at one step, b at two; the data centre only leads nowhere
    assert depths(trace(a, '?direction=in&depth=2')) == {a: 0, c: 1, b: 2}
    assert depths(trace(dc, '?direction=out')) == {dc: 0}
    assert depths(trace(dc, '?direction=in&depth=1')) == {dc: 0, a: 1}
    both = trace(b, '?depth=1')
    assert depths(both) == {b: 0, a: 1, c: 1}, both


def test_cycles_end_and_types_filter():
    a, b, c, dc = G['a'], G['b'], G['c'], G['dc']
    full = trace(a)  # both directions, the deepest walk
    assert depths(full) == {a: 0, b: 1, c: 1, dc: 1}, full
    ids = [e['id'] for e in full['edges']]
    assert sorted(ids) == sorted([G['ab'], G['bc'], G['ca'], G['adc']]) and len(set(ids)) == len(ids), full
    out = trace(a, '?direction=out&depth=10')
    assert depths(out) == {a: 0, b: 1, dc: 1, c: 2} and len(out['edges']) == 4, out
    runs = trace(a, '?types=runs_on')
    assert depths(runs) == {a: 0, dc: 1} and [e['id'] for e in runs['edges']] == [G['adc']], runs
    ex = trace(a, '?types=exchanges_data_with&direction=out')
    assert depths(ex) == {a: 0, b: 1, c: 2}, ex
    both = trace(a, '?types=runs_on,exchanges_data_with&direction=out')
    assert depths(both) == depths(out)


def test_each_type_its_way():
    # down a chain: exchanges followed only out of what is met, runs_on only into it
    a, b, c, dc = G['a'], G['b'], G['c'], G['dc']
    down = trace(a, '?types=exchanges_data_with:out,runs_on:out')
    assert depths(down) == {a: 0, b: 1, dc: 1, c: 2}, down
    # exchanges only inward: c sends to a, b to c; the data centre is not reached
    up = trace(a, '?types=exchanges_data_with:in,runs_on:in')
    assert depths(up) == {a: 0, c: 1, b: 2}, up
    # from the data centre: into it along runs_on, then out of a along exchanges
    mixed = trace(dc, '?types=runs_on:in,exchanges_data_with:out&depth=2')
    assert depths(mixed) == {dc: 0, a: 1, b: 2}, mixed
    # a way within the walk's direction: in-only types under direction=out lead nowhere
    assert depths(trace(a, '?direction=out&types=exchanges_data_with:in')) == {a: 0}
    # a type without a way: both, as before
    assert depths(trace(a, '?types=exchanges_data_with,runs_on:out')) == depths(trace(a))


def test_visibility():
    # REQ: ROL-05
    # a published system of ORG -> a draft of OTHER -> a published system of OTHER
    pub = register(system(ORG, OWNER, 'Опубликованная трассировки'), OWNER)
    hidden = system(OTHER, STRANGER, 'Черновик трассировки')
    beyond = register(system(OTHER, STRANGER, 'За черновиком'), STRANGER)
    near = register(system(ORG, OWNER, 'Соседняя опубликованная'), OWNER)
    to_hidden, from_hidden = relate(pub, hidden, ADMIN), relate(hidden, beyond, STRANGER)
    to_near = relate(pub, near, OWNER)
    for token in (None, OWNER):
        r = SRV.get(f'/api/v1/objects/{pub}/trace', token=token)
        assert r.status == 200, r
        body = r.body.decode()
        assert depths(r.json()) == {pub: 0, near: 1}, (token, r.json())
        assert [e['id'] for e in r.json()['edges']] == [to_near]
        for x in (hidden, beyond, to_hidden, from_hidden, 'Черновик'):
            assert x not in body, (token, x)
    # its organisation's editor sees the draft and goes through it
    seen = trace(pub, token=STRANGER)
    assert depths(seen) == {pub: 0, hidden: 1, near: 1, beyond: 2}, seen
    # a draft of another organisation does not exist for the public: as a start either
    a = SRV.get(f'/api/v1/objects/{hidden}/trace')
    b = SRV.get('/api/v1/objects/01a00000-0000-7000-8000-00000000beef/trace')
    assert_problem(a, 404)
    assert a.status == b.status and a.body == b.body


def test_trace_page():
    """The card links to the trace page, which lists, without JavaScript,
    what the record leads to and comes from, step by step, each linked."""
    a, b, c, dc = G['a'], G['b'], G['c'], G['dc']
    admin = SRV.session('admin')
    card = SRV.get(f'/ru/objects/{a}', headers={'Cookie': admin, 'Accept': 'text/html'}).body.decode()
    assert f'href="/ru/objects/{a}/trace"' in card
    r = SRV.get(f'/ru/objects/{a}/trace', headers={'Cookie': admin, 'Accept': 'text/html'})
    assert r.status == 200, r
    body = r.body.decode()
    out = body[body.index('id="leads-to"'):]
    out, inn = out[:out.index('</section>')], body[body.index('id="comes-from"'):]
    inn = inn[:inn.index('</section>')]
    # out of a: b and the data centre at step 1, c at step 2
    assert out.index('Шаг 1') < out.index(f'href="/ru/objects/{b}"') < out.index('Шаг 2')
    assert out.index('Шаг 1') < out.index(f'href="/ru/objects/{dc}"') < out.index('Шаг 2')
    assert out.index('Шаг 2') < out.index(f'href="/ru/objects/{c}"'), out
    assert 'Шаг 3' not in out
    # into a: c, then b
    assert inn.index('Шаг 1') < inn.index(f'href="/ru/objects/{c}"') < inn.index('Шаг 2') < inn.index(f'href="/ru/objects/{b}"')
    assert dc not in inn
    en = SRV.get(f'/en/objects/{dc}/trace', headers={'Accept': 'text/html'})
    assert en.status == 404, en  # a draft's trace is not for the public
    ghost = SRV.get('/en/objects/01a00000-0000-7000-8000-00000000beef/trace', headers={'Accept': 'text/html'})
    assert ghost.status == 404
    kk = SRV.get(f'/kk/objects/{dc}/trace', headers={'Cookie': admin, 'Accept': 'text/html'}).body.decode()
    assert 'Байланыстар тізбегі' in kk and 'Жазбалар жоқ.' in kk  # nothing leads out of the centre


def model_copy():
    """The shipped model, its rule over relations made an error, with a trial
    rule over relations into a record, at least two of them."""
    with open(os.path.join(os.environ['ARCHPORTAL_SOURCE'], 'model/egov-kz.json'), encoding='utf-8') as f:
        m = json.load(f)
    m['rules']['system_runs_on_infrastructure']['severity'] = 'error'
    m['rules']['trial_hosts_two'] = {
        'label': {'kk': 'Кемінде екі жүйе', 'ru': 'Размещает не меньше двух систем',
                  'en': 'Hosts at least two systems'},
        'layer': 'infrastructure', 'kinds': ['ict_infrastructure_object'],
        'when': {'stage': ['industrial_operation']},
        'relations': [{'type': 'runs_on', 'direction': 'in', 'min': 2}], 'severity': 'error'}
    fd, path = tempfile.mkstemp(suffix='.json')
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        json.dump(m, f, ensure_ascii=False)
    return path


def rule_gaps(rid):
    r = SRV.get(f'/api/v1/objects/{rid}/workflow', token=OWNER)
    assert r.status == 200, r
    return {g['rule']: g for g in r.json()['gaps']['rules']}


def report(rule):
    r = SRV.get('/api/v1/rules', token=VERIFIER)
    assert r.status == 200, r
    return next(i for i in r.json()['items'] if i['rule'] == rule)


def test_relation_rules_in_gaps_and_report():
    body = {'kind': 'information_system', 'owner': ORG, 'name': {'ru': 'Система в эксплуатации'},
            'stage': 'industrial_operation'}
    body.update(COMPLETE)
    r = SRV.request('POST', '/api/v1/objects', body, token=OWNER)
    assert r.status == 201, r
    sys_ = r.json()['id']
    r = SRV.request('POST', '/api/v1/objects', {
        'kind': 'ict_infrastructure_object', 'owner': ORG, 'stage': 'industrial_operation',
        'name': {'ru': 'ЦОД правил'}, 'infrastructure_type': 'data_center'}, token=OWNER)
    assert r.status == 201, r
    dc = r.json()['id']
    # out of the record: a system in operation runs on some infrastructure
    gap = rule_gaps(sys_)['system_runs_on_infrastructure']
    assert gap['relation'] == 'runs_on' and gap['direction'] == 'out' and 'field' not in gap, gap
    assert gap['label']['en'] == 'An information system in operation runs on some ICT infrastructure object'
    mine = report('system_runs_on_infrastructure')
    broken = [v for v in mine['violators'] if v['id'] == sys_]
    assert broken and broken[0]['relation'] == 'runs_on' and broken[0]['direction'] == 'out', mine
    # the card leads to adding the relation; the report's page names it
    admin = SRV.session('admin')
    card = SRV.get(f'/ru/objects/{sys_}', headers={'Cookie': admin, 'Accept': 'text/html'})
    assert card.status == 200, card
    assert f'href="/ru/objects/{sys_}?rel=runs_on:out#relation-add"' in card.body.decode()
    page = SRV.get('/ru/rules', headers={'Cookie': admin, 'Accept': 'text/html'}).body.decode()
    section = page[page.index('id="rule-system_runs_on_infrastructure"'):]
    section = section[:section.index('</section>')]
    assert f'href="/ru/objects/{sys_}"' in section and 'Размещается на' in section, section[:3000]
    # into the record, at least two: one is not enough
    assert rule_gaps(dc)['trial_hosts_two']['direction'] == 'in'
    relate(sys_, dc, OWNER, 'runs_on')
    assert 'system_runs_on_infrastructure' not in rule_gaps(sys_)
    assert dc in [v['id'] for v in report('trial_hosts_two')['violators']]
    assert 'trial_hosts_two' in rule_gaps(dc)
    other = system(ORG, OWNER, 'Вторая система на ЦОД')
    relate(other, dc, OWNER, 'runs_on')
    assert 'trial_hosts_two' not in rule_gaps(dc)
    hosts = report('trial_hosts_two')
    assert dc not in [v['id'] for v in hosts['violators']] and hosts['compliant'] >= 1, hosts
    assert sys_ not in [v['id'] for v in report('system_runs_on_infrastructure')['violators']]
    # the served model says the rule's relations
    rules = SRV.get('/api/v1/model').json()['rules']
    assert rules['trial_hosts_two']['relations'] == [{'type': 'runs_on', 'direction': 'in', 'min': 2}]


def test_walk_as_of():
    """?at=<RFC 3339> walks the relations and records as they were then:
    a relation retired since is crossed, one made since is not, names are
    those of then; before the start existed there is nothing to walk; the
    page says which instant it shows. REQ: ARC-12"""
    import time
    x = system(ORG, OWNER, 'Система до перемен')
    y, z = system(ORG, OWNER, 'Прежний партнёр'), system(ORG, OWNER, 'Новый партнёр')
    xy = relate(x, y, OWNER)
    then = SRV.get(f'/api/v1/relations/{xy}', token=OWNER).json()['updated_at']
    time.sleep(0.05)
    r = SRV.request('DELETE', f'/api/v1/relations/{xy}', headers={'If-Match': '"1"'}, token=OWNER)
    assert r.status in (200, 204), r
    xz = relate(x, z, OWNER)
    r = SRV.request('PATCH', f'/api/v1/objects/{x}', {'name': {'ru': 'Система после перемен'}},
                    headers={'If-Match': '"1"'}, token=OWNER)
    assert r.status == 200, r
    now = trace(x)
    assert depths(now) == {x: 0, z: 1} and [e['id'] for e in now['edges']] == [xz], now
    old = trace(x, f'?at={then}')
    assert depths(old) == {x: 0, y: 1} and [e['id'] for e in old['edges']] == [xy], old
    assert old['at'] == then and 'at' not in now
    assert old['nodes'][0]['name'] == {'ru': 'Система до перемен'}, old
    assert old['nodes'][1]['name'] == {'ru': 'Прежний партнёр'} and old['nodes'][1]['kind'] == 'information_system'
    # the same instant in another zone's notation
    plus6 = then[:11] + '%02d' % ((int(then[11:13]) + 6) % 24) + then[13:23] + '%2B06:00'
    if int(then[11:13]) < 18:
        assert depths(trace(x, f'?at={plus6}')) == depths(old)
    # the walk in from y then: x; now: nothing
    assert depths(trace(y, f'?at={then}&direction=in')) == {y: 0, x: 1}
    assert depths(trace(y, '?direction=in')) == {y: 0}
    # before x existed: no such record then
    assert_problem(SRV.get(f'/api/v1/objects/{x}/trace?at=2020-01-01T00:00:00Z', token=ADMIN), 404)
    for bad in ('yesterday', '2026-13-01T00:00:00Z', ''):
        assert_problem(SRV.get(f'/api/v1/objects/{x}/trace?at={bad}', token=ADMIN), 400, 'at')
    # a draft then is as hidden from the public as it is now
    r = SRV.get(f'/api/v1/objects/{x}/trace?at={then}')
    assert_problem(r, 404)
    admin = SRV.session('admin')
    page = SRV.get(f'/ru/objects/{x}/trace?at={then}', headers={'Cookie': admin, 'Accept': 'text/html'})
    assert page.status == 200, page
    body = page.body.decode()
    assert 'По состоянию на' in body and f'href="/ru/objects/{y}"' in body, body
    assert f'href="/ru/objects/{z}"' not in body and 'Система до перемен' in body
    assert f'href="/ru/objects/{x}/trace"' in body  # back to now
    bad = SRV.get(f'/ru/objects/{x}/trace?at=never', headers={'Cookie': admin, 'Accept': 'text/html'})
    assert bad.status == 400, bad


def test_bad_parameters():
    a = G['a']
    for query, field in (('?depth=0', 'depth'), ('?depth=11', 'depth'), ('?depth=two', 'depth'),
                         ('?depth=', 'depth'), ('?direction=up', 'direction'),
                         ('?types=nosuch', 'types'), ('?types=runs_on,', 'types'),
                         ('?types=runs_on:up', 'types'), ('?types=nosuch:out', 'types'),
                         ('?types=information_system', 'types'), ('?type=runs_on', None),
                         ('?limit=5', None)):
        assert_problem(SRV.get(f'/api/v1/objects/{a}/trace{query}', token=ADMIN), 400, field)
    assert_problem(SRV.get(f'/api/v1/relations/{G["ab"]}/trace', token=ADMIN), 400)
    assert_problem(SRV.get('/api/v1/nosuch/x/trace', token=ADMIN), 404)


def main():
    global SRV, ADMIN, OWNER, STRANGER, VERIFIER, ORG, OTHER
    fx_dir = os.environ.get('DOC_FIXTURES') or os.path.join(tempfile.gettempdir(), 'archportal-fixtures')
    os.makedirs(fx_dir, exist_ok=True)
    FX_MOD.make_all(fx_dir)
    path = model_copy()
    with Server(extra=['--model', path]) as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG, OTHER = make_org(1), make_org(2)
        OWNER = srv.token('owner-editor', ORG)
        STRANGER = srv.token('owner-editor', OTHER)
        VERIFIER = srv.token('integrator-verifier', make_org(3))
        setup()
        run([test_depth_and_direction, test_cycles_end_and_types_filter, test_each_type_its_way,
             test_visibility,
             test_relation_rules_in_gaps_and_report, test_trace_page, test_walk_as_of,
             test_bad_parameters])
    os.unlink(path)


if __name__ == '__main__':
    main()
