"""End-to-end tests of duplication and reuse (issue 16 item 2): systems of
different state bodies that automate the same function or write the same
data type (structural pairs, as the model's "duplicates" section declares
them), systems described alike in any of the three languages (textual pairs,
TF-IDF cosine over the portal's word index), the reuse suggestion in the
reader's language, only records the reader may read, the similar records of
an object not created yet (API and the no-JS create form), and bad input."""
import html
import re
import urllib.parse

from harness import Server, assert_problem, run, valid_bin

SRV = None
ADMIN = ARCH = OWNER = OTHER_OWNER = THIRD_OWNER = None
ORG = OTHER = THIRD = INTEGRATOR = None
PASSWORD = 'Corr3ct-Horse-Battery'
W = {}


def make_org(n, name):
    body = {'name': {'ru': name}, 'bin': valid_bin(9400 + n), 'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def create(coll, body, token, status=201):
    r = SRV.request('POST', f'/api/v1/{coll}', body, token=token)
    assert r.status == status, (coll, body, r)
    return r.json()


def relate(rtype, source, target, token, **attrs):
    return create('relations', {'type': rtype, 'source': source, 'target': target, **attrs}, token)


def system(key, org, token, name, purpose=None):
    body = {'kind': 'information_system', 'owner': org, 'stage': 'creation', 'name': name}
    if purpose:
        body['purpose'] = purpose
    W[key] = create('objects', body, token)
    return W[key]


def setup():
    W['domain'] = create('domains', {'name': {'ru': 'Социальная защита'}}, ARCH)
    W['function'] = create('functions', {'name': {'ru': 'Назначение пособий'}, 'owner': ORG,
                                         'domain': W['domain']['id']}, ARCH)
    W['subject'] = create('master_data', {'kind': 'data_subject', 'name': {'ru': 'Гражданин'},
                                          'domain': W['domain']['id']}, ARCH)
    W['type'] = create('master_data', {'kind': 'data_type', 'name': {'ru': 'Сведения о доходах'},
                                       'base': W['subject']['id'], 'domain': W['domain']['id']},
                       ARCH)
    system('a', ORG, OWNER, {'ru': 'АИС «Социальные выплаты»', 'en': 'Social payments system'},
           {'ru': 'Учёт получателей пособий по уходу за ребёнком'})
    system('b', OTHER, OTHER_OWNER, {'ru': 'Система расчёта компенсаций'})
    system('c', THIRD, THIRD_OWNER, {'ru': 'Реестр доходов граждан'})
    system('d', OTHER, OTHER_OWNER, {'ru': 'Портал отчётности'})
    # alike in words (kk/ru/en alike): another body's copy of system a
    system('e', OTHER, OTHER_OWNER, {'ru': 'Социальные выплаты — АИС учёта',
                                       'en': 'Social payments system'},
           {'ru': 'Учёт получателей пособий по уходу за ребёнком'})
    system('f', THIRD, THIRD_OWNER, {'ru': 'Геоинформационная система недр'})
    relate('automates', W['a']['id'], W['function']['id'], ARCH)
    relate('automates', W['b']['id'], W['function']['id'], ARCH)
    relate('accesses', W['a']['id'], W['type']['id'], ARCH, access='write')
    relate('accesses', W['c']['id'], W['type']['id'], ARCH, access='read_write')
    relate('accesses', W['d']['id'], W['type']['id'], ARCH, access='read')  # reads only


def dups(query='', token=None, lang='ru'):
    r = SRV.request('GET', '/api/v1/duplicates' + query, token=token or ARCH,
                    headers={'Accept-Language': lang})
    assert r.status == 200, r
    return r.json()


def pair_of(out, x, y):
    want = {W[x]['id'], W[y]['id']}
    for p in out['items']:
        if {p['a']['id'], p['b']['id']} == want:
            return p
    return None


def ids_in(out):
    return {i for p in out['items'] for i in (p['a']['id'], p['b']['id'])}


def test_structural_pairs_with_reason_and_suggestion():
    # REQ: ARC-13, MON-03
    out = dups()
    ab = pair_of(out, 'a', 'b')
    assert ab, out
    assert [(s['relation'], s['record']['id']) for s in ab['shared']] == \
        [('automates', W['function']['id'])], ab
    assert ab['a']['owner'] != ab['b']['owner']
    # the suggestion in the reader's language names both bodies, the record
    # to reuse and the shared function
    s = ab['suggestion']
    assert 'Министерство здравоохранения' in s and 'Министерство труда' in s, s
    assert 'АИС «Социальные выплаты»' in s and 'Назначение пособий' in s, s
    assert 'может использовать' in s, s
    en = pair_of(dups(lang='en'), 'a', 'b')['suggestion']
    assert 'could use' in en and 'Social payments system' in en, en
    # writing the same data type: a pair; reading it only: none
    ac = pair_of(out, 'a', 'c')
    assert ac and ac['shared'][0]['relation'] == 'accesses', ac
    assert ac['shared'][0]['record']['id'] == W['type']['id']
    assert pair_of(out, 'a', 'd') is None and pair_of(out, 'c', 'd') is None, out
    # ranked: the pairs sharing a record come before the pairs alike in words only
    ranks = [len(p['shared']) for p in out['items']]
    assert ranks == sorted(ranks, reverse=True), ranks


def test_textual_pairs():
    # REQ: ARC-13, MON-03
    out = dups()
    ae = pair_of(out, 'a', 'e')
    assert ae and ae['shared'] == [] and ae['text_score'] >= 0.6, ae
    assert 'описанный сходно' in ae['suggestion'], ae
    assert pair_of(out, 'a', 'f') is None and pair_of(out, 'e', 'f') is None, out
    # the threshold: at 1 only identical word sets would pair
    assert pair_of(dups('?min=1'), 'a', 'e') is None
    # one kind only, and a limit
    assert pair_of(dups('?kind=information_system'), 'a', 'e')
    assert dups('?kind=ict_service')['items'] == []
    two = dups('?limit=1')
    assert two['count'] == 1 and two['truncated'] is True and two['text_complete'] is True, two


def test_records_the_reader_may_not_read_are_in_no_pair():
    # REQ: ARC-17
    # another body's editor: the drafts of the first body and of the third
    # do not exist for it, so neither do their pairs
    out = dups(token=OTHER_OWNER)
    seen = ids_in(out)
    assert W['a']['id'] not in seen and W['c']['id'] not in seen, out
    assert pair_of(out, 'a', 'b') is None and pair_of(out, 'a', 'e') is None, out
    # the public sees none of these drafts
    r = SRV.request('GET', '/api/v1/duplicates')
    assert r.status == 200, r
    assert not ids_in(r.json()) & {W[k]['id'] for k in 'abcdef'}, r.json()
    # the same for the similar records of a new object
    out = similar('?name=' + urllib.parse.quote('Социальные выплаты'), token=OTHER_OWNER)
    got = [i['record']['id'] for i in out['items']]
    assert W['e']['id'] in got and W['a']['id'] not in got, out


def similar(query, token=None):
    r = SRV.get('/api/v1/similar' + query, token=token or ARCH)
    assert r.status == 200, r
    return r.json()


def test_similar_for_a_new_object():
    # REQ: ARC-13, SVC-02
    q = urllib.parse.urlencode({'kind': 'information_system', 'name': 'Социальные выплаты',
                                'text': 'учёт получателей пособий'})
    out = similar('?' + q)
    got = [i['record']['id'] for i in out['items']]
    assert got[:2] == sorted(got[:2]) or set(got[:2]) == {W['a']['id'], W['e']['id']}, out
    assert set(got[:2]) == {W['a']['id'], W['e']['id']}, out
    first = out['items'][0]
    assert 0.3 <= first['score'] <= 1 and 'выплаты' in first['words'], first
    assert W['f']['id'] not in got, out
    # English words find the same records (the name in every language is indexed)
    out = similar('?name=' + urllib.parse.quote('social payments'))
    assert {W['a']['id'], W['e']['id']} <= {i['record']['id'] for i in out['items']}, out
    # nothing alike: nothing
    assert similar('?name=' + urllib.parse.quote('квантовый телескоп'))['items'] == []


def test_a_name_finds_the_long_record_that_holds_it():
    # REQ: ARC-13, MON-03
    # a state body types only a name: the recorded system whose name it is
    # is offered although its record says much more (its cosine with three
    # words is low); words most records hold do not make a record alike
    long = create('objects', {
        'kind': 'information_system', 'owner': THIRD, 'stage': 'creation',
        'name': {'ru': 'Реестр земельных участков'},
        'purpose': {'ru': 'Ведение кадастра, учёт прав на недвижимость, регистрация сделок, '
                          'оценка стоимости, выдача справок, межевание, геодезия, картография, '
                          'арбитраж споров, архивирование планов, налоговые расчёты, '
                          'интеграция с банками, нотариусами, акиматами и судами'},
        'functions': ['Приём заявлений', 'Проверка документов', 'Выдача выписок',
                      'Расчёт платежей', 'Ведение архива планов']}, THIRD_OWNER)
    q = urllib.parse.urlencode({'kind': 'information_system', 'name': 'Реестр земельных участков'})
    r = SRV.request('GET', f'/api/v1/similar?{q}', token=ARCH)
    assert r.status == 200, r
    assert long['id'] in [i['record']['id'] for i in r.json()['items']], r.json()


def test_bad_input():
    # REQ: ARC-13
    for q, field in [('?min=0.1', 'min'), ('?min=0.4', 'min'), ('?min=2', 'min'), ('?min=abc', 'min'),
                     ('?min=0.5e1', 'min'), ('?limit=0', 'limit'), ('?limit=501', 'limit'),
                     ('?limit=x', 'limit'), ('?kind=organization', 'kind'),
                     ('?kind=nothing', 'kind')]:
        assert_problem(SRV.get('/api/v1/duplicates' + q, token=ARCH), 400, field)
    assert_problem(SRV.get('/api/v1/duplicates?colour=red', token=ARCH), 400, 'colour')
    assert_problem(SRV.get('/api/v1/similar?kind=information_system', token=ARCH), 400, 'name')
    assert_problem(SRV.get('/api/v1/similar?name=x&kind=domain', token=ARCH), 400, 'kind')
    assert_problem(SRV.get('/api/v1/similar?name=' + 'a' * 1200, token=ARCH), 400, 'name')
    # translated
    r = SRV.request('GET', '/api/v1/duplicates?min=7', token=ARCH,
                    headers={'Accept-Language': 'kk'})
    assert r.status == 400 and "'min' 0.5-тен 1-ге дейінгі сан" in r.json()['detail'], r
    assert_problem(SRV.get('/api/v1/similar?name=x&min=0.2', token=ARCH), 400, 'min')
    assert similar('?name=x&min=0.3')['min'] == 0.3


def sign_in(role, org):
    email = SRV.user(role, org)
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': PASSWORD})
    assert r.status == 200, r
    cookie = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)
    return cookie, r.json()['csrf_token']


def post_form(path, fields, who):
    pairs = [('_csrf', who[1])] + list(fields)
    headers = {'Content-Type': 'application/x-www-form-urlencoded',
               'Origin': f'http://127.0.0.1:{SRV.port}', 'Cookie': f'ap_session={who[0]}'}
    return SRV.request('POST', path, urllib.parse.urlencode(pairs), headers=headers)


def test_duplicates_page():
    # REQ: ARC-13, MON-03
    # the integrator's page of the pairs: each with its reason (the shared
    # function) and the suggestion of reuse, in the page's language; a
    # state body's editor sees only the pairs of records it may read
    arch = sign_in('integrator-architect', INTEGRATOR)
    r = SRV.request('GET', '/ru/duplicates', headers={'Cookie': f'ap_session={arch[0]}'})
    body = html.unescape(r.body.decode())
    assert r.status == 200, r
    assert 'АИС «Социальные выплаты»' in body and 'Назначение пособий' in body, body[:3000]
    assert 'может использовать' in body and f'/ru/objects/{W["b"]["id"]}"' in body
    r = SRV.request('GET', '/kk/duplicates?kind=information_system&min=0.9',
                    headers={'Cookie': f'ap_session={arch[0]}'})
    assert r.status == 200 and 'selected' in r.body.decode(), r
    other = sign_in('owner-editor', OTHER)
    r = SRV.request('GET', '/ru/duplicates', headers={'Cookie': f'ap_session={other[0]}'})
    assert r.status == 200 and W['a']['id'] not in r.body.decode(), 'a draft of another body'
    r = SRV.request('GET', '/en/duplicates?min=0.2', headers={'Cookie': f'ap_session={arch[0]}'})
    assert r.status == 400 and 'from 0.5 to 1' in r.body.decode(), r
    r = SRV.request('GET', '/en/duplicates?kind=domain', headers={'Cookie': f'ap_session={arch[0]}'})
    assert r.status == 400, r


def test_new_object_form_shows_similar_objects():
    # REQ: SVC-02, ARC-13
    who = sign_in('owner-editor', OTHER)
    r = SRV.request('GET', '/ru/objects/new?kind=information_system',
                    headers={'Cookie': f'ap_session={who[0]}'})
    body = html.unescape(r.body.decode())
    assert r.status == 200 and 'Проверить похожие объекты' in body, body[:2000]
    assert 'name="_similar"' in body
    fields = [('name.ru', 'Социальные выплаты'), ('purpose.ru', 'учёт получателей пособий'),
              ('stage', 'creation'), ('_similar', '1')]
    r = post_form('/ru/objects/new?kind=information_system', fields, who)
    body = html.unescape(r.body.decode())
    assert r.status == 200, (r, body[:2000])
    assert 'Уже учтённые похожие объекты' in body
    # its own body's copy, linked to its card; the other body's draft is not
    # for this editor to see
    assert f'/ru/objects/{W["e"]["id"]}"' in body and 'Социальные выплаты — АИС учёта' in body, body
    assert W['a']['id'] not in body
    assert re.search(r'сходство \d+%', body), body
    # the fields are kept, nothing was created
    assert 'value="Социальные выплаты"' in body and 'учёт получателей пособий' in body
    # in Kazakh and English alike
    r = post_form('/kk/objects/new?kind=information_system', fields, who)
    assert 'Бұрын тіркелген ұқсас объектілер' in html.unescape(r.body.decode())
    r = post_form('/en/objects/new?kind=information_system',
                  [('name.ru', 'квантовый телескоп'), ('_similar', '1')], who)
    assert 'No similar objects are recorded.' in r.body.decode()
    r = post_form('/en/objects/new?kind=information_system', [('_similar', '1')], who)
    assert 'Fill in the name to check for similar objects.' in r.body.decode()


def test_architectural_control_of_an_assessment():
    # REQ: MON-03
    # an assessment of a project at any stage attaches the duplication
    # findings about the project's objects: system a of the body's project
    # automates the function system b of another body automates, and system
    # e of another body is described alike; each with the suggestion of
    # reuse; only what the reader may read
    p = create('projects', {'kind': 'ict_project', 'owner': ORG, 'name': {'ru': 'Развитие АИС'},
                            'project_type': 'develop_object', 'stage': 'investment',
                            'funding_source': 'own_funds', 'objects': [W['a']['id']]}, OWNER)
    crit = create('criteria', {'kind': 'assessment_criterion', 'name': {'ru': 'Архитектурный контроль'},
                               'stage': 'investment', 'requirement': 'required'}, ARCH)
    asm = create('assessments', {'kind': 'compliance_assessment', 'owner': ORG,
                                 'name': {'ru': 'Оценка на этапе инвестиций'}, 'project': p['id'],
                                 'stage': 'investment',
                                 'answers': [{'criterion': crit['id'], 'result': 'met'}]}, ARCH)
    r = SRV.get(f'/api/v1/duplicates?about={asm["id"]}', token=ARCH, headers={'Accept-Language': 'ru'})
    assert r.status == 200, r
    items = r.json()['items']
    assert [i['record']['id'] for i in items] == [W['a']['id']], items
    likes = {l['other']['id']: l for l in items[0]['likes']}
    assert likes[W['b']['id']]['shared'] == [
        {'relation': 'automates', 'record': {'id': W['function']['id'], 'kind': 'state_function',
                                             'collection': 'functions',
                                             'name': W['function']['name']}}], likes[W['b']['id']]
    assert 'может использовать' in likes[W['b']['id']]['suggestion'], likes[W['b']['id']]
    assert likes[W['e']['id']]['text_score'] >= 0.6 and not likes[W['e']['id']]['shared']
    assert W['a']['id'] not in likes and W['f']['id'] not in likes, likes.keys()
    # the structural one first
    assert items[0]['likes'][0]['other']['id'] == W['b']['id'], items[0]['likes']
    # the body reads its own system, not the other bodies' drafts
    r = SRV.get(f'/api/v1/duplicates?about={asm["id"]}', token=OWNER)
    assert r.status == 200 and r.json()['items'][0]['likes'] == [], r.json()
    # an object's own findings; a record of no kind controlled: none
    r = SRV.get(f'/api/v1/duplicates?about={W["b"]["id"]}', token=ARCH)
    assert [l['other']['id'] for l in r.json()['items'][0]['likes']] == [W['a']['id']], r.json()
    assert SRV.get(f'/api/v1/duplicates?about={W["domain"]["id"]}', token=ARCH).json() == {'items': []}
    assert SRV.get('/api/v1/duplicates?about=nothing', token=ARCH).status == 404
    # the assessment's card shows them in its section
    arch = sign_in('integrator-architect', INTEGRATOR)
    r = SRV.request('GET', f'/ru/assessments/{asm["id"]}', headers={'Cookie': f'ap_session={arch[0]}'})
    body = html.unescape(r.body.decode())
    section = body[body.index('id="control"'):]
    section = section[:section.index('</section>')]
    assert f'/ru/objects/{W["b"]["id"]}"' in section and f'/ru/objects/{W["e"]["id"]}"' in section
    assert 'Назначение пособий' in section and 'может использовать' in section, section


def main():
    global SRV, ADMIN, ARCH, OWNER, OTHER_OWNER, THIRD_OWNER, ORG, OTHER, THIRD, INTEGRATOR
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        OTHER = make_org(2, 'Министерство здравоохранения')
        THIRD = make_org(3, 'Министерство финансов')
        INTEGRATOR = make_org(4, 'Сервисный интегратор')
        ARCH = srv.token('integrator-architect', INTEGRATOR)
        OWNER = srv.token('owner-editor', ORG)
        OTHER_OWNER = srv.token('owner-editor', OTHER)
        THIRD_OWNER = srv.token('owner-editor', THIRD)
        setup()
        run([test_structural_pairs_with_reason_and_suggestion, test_textual_pairs,
             test_records_the_reader_may_not_read_are_in_no_pair, test_similar_for_a_new_object,
             test_a_name_finds_the_long_record_that_holds_it, test_bad_input, test_duplicates_page, test_new_object_form_shows_similar_objects,
             test_architectural_control_of_an_assessment])


if __name__ == '__main__':
    main()
