"""End-to-end tests of inherited attributes of master data (issue 15,
REQ ARC-06): a data type reads its base's attributes, and its base's base's,
each saying where it comes from; a base's change shows at once; a base that
would make a cycle is refused; the card shows the inherited items with a link
to the base's card."""
import html

from harness import Server, assert_problem, run, valid_bin

SRV = None
TOK = None
COOKIE = None


def create(body, **kw):
    r = SRV.request('POST', '/api/v1/master_data', body, token=TOK, **kw)
    assert r.status == 201, r
    return r.json()


def master(kind, name, attrs, base=None):
    body = {'kind': kind, 'name': {'kk': name, 'ru': name, 'en': name},
            'attributes': [{'name': a} for a in attrs]}
    if base:
        body['base'] = base
    return create(body)['id']


def chain():
    """A subject and three types below it: pensioner < disabled pensioner < group I."""
    subj = master('data_subject', 'Individual', ['iin', 'surname'])
    t1 = master('data_type', 'Pensioner', ['pension_kind'], subj)
    t2 = master('data_type', 'Disabled pensioner', ['disability'], t1)
    t3 = master('data_type', 'Group I', ['group_since'], t2)
    return subj, t1, t2, t3


def provenance(rec):
    return [(b['from'], [i['name'] for i in b['items']]) for b in rec['inherited']['attributes']]


def test_inherited_at_depth_with_provenance():
    # REQ: ARC-06
    subj, t1, t2, t3 = chain()
    r = SRV.get(f'/api/v1/master_data/{t3}', token=TOK)
    assert r.status == 200, r
    rec = r.json()
    assert [i['name'] for i in rec['attributes']] == ['group_since']
    assert provenance(rec) == [(t2, ['disability']), (t1, ['pension_kind']),
                               (subj, ['iin', 'surname'])], rec
    # a subject inherits nothing, and says so by having no "inherited"
    assert 'inherited' not in SRV.get(f'/api/v1/master_data/{subj}', token=TOK).json()


def test_base_change_shows_at_once():
    # REQ: ARC-06
    subj, t1, t2, t3 = chain()
    etag = SRV.get(f'/api/v1/master_data/{t3}', token=TOK).header('ETag')
    r = SRV.request('PATCH', f'/api/v1/master_data/{subj}',
                    {'attributes': [{'name': 'iin'}, {'name': 'birth_date'}]},
                    headers={'If-Match': '"1"'}, token=TOK)
    assert r.status == 200, r
    # t3 itself did not change (same revision), its inherited items did:
    # no 304 for the old ETag
    r = SRV.get(f'/api/v1/master_data/{t3}', headers={'If-None-Match': etag}, token=TOK)
    assert r.status == 200, r
    assert provenance(r.json())[2] == (subj, ['iin', 'birth_date'])
    assert provenance(SRV.get(f'/api/v1/master_data/{t1}', token=TOK).json()) == [(subj, ['iin', 'birth_date'])]


def test_cycle_refused_and_nothing_changed():
    # REQ: ARC-06
    subj, t1, t2, t3 = chain()
    for base in (t3, t1):
        r = SRV.request('PATCH', f'/api/v1/master_data/{t1}', {'base': base},
                        headers={'If-Match': '"1"'}, token=TOK)
        doc = assert_problem(r, 422, 'base')
        assert doc['type'].endswith('inheritance-cycle'), doc
    rec = SRV.get(f'/api/v1/master_data/{t1}', token=TOK).json()
    assert rec['revision'] == 1 and rec['base'] == subj, rec
    assert provenance(SRV.get(f'/api/v1/master_data/{t3}', token=TOK).json())[-1][0] == subj


def test_card_shows_inherited_items_with_their_source():
    # REQ: ARC-06
    subj, t1, t2, t3 = chain()
    for lang, said in (('en', 'Inherited from:'), ('ru', 'Унаследовано от:'),
                       ('kk', 'Мұраға алынған көзі:')):
        r = SRV.get(f'/{lang}/master_data/{t3}', headers={'Accept': 'text/html', 'Cookie': COOKIE})
        assert r.status == 200, r
        body = r.body.decode('utf-8')
        assert body.count(said) == 3, body
        start = body.index(said)
        shown = body[start:]
        # nearest base first, each linked to its card, its items under it
        for base, name, item in ((t2, 'Disabled pensioner', 'disability'),
                                 (t1, 'Pensioner', 'pension_kind'), (subj, 'Individual', 'iin')):
            link = f'<a class="usa-link" href="/{lang}/master_data/{base}">{html.escape(name)}</a>'
            assert link in shown, (link, shown[:2000])
            assert shown.index(link) < shown.index(item)
            shown = shown[shown.index(item):]


def test_master_data_per_domain_for_signed_in_users():
    # REQ: ARC-06
    dom = SRV.request('POST', '/api/v1/domains', {'name': {'kk': 'Әлеуметтік', 'ru': 'Социальная',
                                                           'en': 'Social'}}, token=TOK)
    assert dom.status == 201, dom
    dom = dom.json()['id']
    subj = create({'kind': 'data_subject', 'domain': dom,
                   'name': {'kk': 'Тұлға', 'ru': 'Лицо', 'en': 'Person'},
                   'attributes': [{'name': 'iin'}]})['id']
    other = master('data_object', 'Parcel', ['cadastre'])
    r = SRV.get(f'/api/v1/master_data?filter=domain:{dom}', token=TOK)
    assert r.status == 200, r
    ids = [i['id'] for i in r.json()['items']]
    assert subj in ids and other not in ids, ids
    # the public: no such record, in no list, no page
    assert SRV.get(f'/api/v1/master_data/{subj}').status == 404
    r = SRV.get('/api/v1/master_data')
    assert r.status == 200 and r.json()['items'] == [], r
    assert SRV.get(f'/en/master_data/{subj}', headers={'Accept': 'text/html'}).status == 404
    # a domain that is not one is refused, naming the field
    r = SRV.request('POST', '/api/v1/master_data', {'kind': 'data_object', 'domain': other,
                                                    'name': {'kk': 'x', 'ru': 'x', 'en': 'x'}},
                    token=TOK)
    assert_problem(r, 422, 'domain')


def test_one_source_per_attribute():
    # REQ: ARC-06
    org = SRV.request('POST', '/api/v1/organizations', {
        'kind': 'organization', 'name': {'kk': 'Мин', 'ru': 'Мин', 'en': 'Min'},
        'bin': valid_bin(9300), 'org_type': 'central_state_body'}, token=TOK)
    assert org.status == 201, org
    systems = []
    for n in ('ГБД ФЛ', 'Other'):
        r = SRV.request('POST', '/api/v1/objects', {
            'kind': 'information_system', 'owner': org.json()['id'], 'stage': 'creation',
            'supplier': 'ТОО', 'name': {'kk': n, 'ru': n, 'en': n}}, token=TOK)
        assert r.status == 201, r
        systems.append(r.json()['id'])
    subj = create({'kind': 'data_subject', 'name': {'kk': 'ФЛ', 'ru': 'ФЛ', 'en': 'Person'},
                   'attributes': [{'name': 'iin', 'source': systems[0]}]})['id']
    t1 = master('data_type', 'Pensioner', ['pension_kind'], subj)
    r = SRV.request('PATCH', f'/api/v1/master_data/{t1}', {'attributes': [
        {'name': 'pension_kind'}, {'name': 'iin', 'source': systems[1]}]},
        headers={'If-Match': '"1"', 'Accept-Language': 'ru'}, token=TOK)
    doc = assert_problem(r, 422, 'attributes[1].source')
    assert doc['type'].endswith('inherited-item-conflict'), doc
    assert 'унаследован' in doc['detail'], doc
    rec = SRV.get(f'/api/v1/master_data/{t1}', token=TOK).json()
    assert rec['revision'] == 1 and [a['name'] for a in rec['attributes']] == ['pension_kind']


def make(coll, body):
    r = SRV.request('POST', f'/api/v1/{coll}', body, token=TOK)
    assert r.status == 201, r
    return r.json()['id']


def name(n):
    return {'kk': n, 'ru': n, 'en': n}


def digitisation(coll, rid):
    r = SRV.get(f'/api/v1/{coll}/{rid}', token=TOK)
    assert r.status == 200, r
    d = r.json()['measures']['digitisation']
    return d['items'], d['done'], d['level']


def test_digitisation_level():
    # REQ: ARC-06, ARC-17
    org = make('organizations', {'kind': 'organization', 'name': name('Мин цифр'),
                                 'bin': valid_bin(9310), 'org_type': 'central_state_body'})
    gbd = make('objects', {'kind': 'information_system', 'owner': org, 'supplier': 'ТОО',
                           'stage': 'industrial_operation', 'commissioning_date': '2019-01-10',
                           'name': name('ГБД ФЛ')})
    new = make('objects', {'kind': 'information_system', 'owner': org, 'supplier': 'ТОО',
                           'stage': 'creation', 'creation_phase': 'software_development',
                           'name': name('ИС в разработке')})
    dom = make('domains', {'name': name('Соцзащита')})
    subj = create({'kind': 'data_subject', 'domain': dom, 'name': name('ФЛ'), 'attributes': [
        {'name': 'iin', 'source': gbd}, {'name': 'surname', 'source': gbd},
        {'name': 'address'}]})['id']
    typ = create({'kind': 'data_type', 'domain': dom, 'base': subj, 'name': name('Пенсионер'),
                  'attributes': [{'name': 'pension', 'source': new}]})['id']
    # a type: its own and inherited attributes; stored in an object in
    # operation: iin and surname; address has no source, pension's is
    # still being created
    assert digitisation('master_data', typ) == (4, 2, 0.5)
    # a subject: its own and those of every type below it
    assert digitisation('master_data', subj) == (4, 2, 0.5)
    # a domain: its master data
    assert digitisation('domains', dom) == (4, 2, 0.5)
    # a function: the data it accesses; a capability: its functions'
    fn = make('functions', {'kind': 'state_function', 'owner': org, 'domain': dom,
                            'name': name('Назначение пенсии')})
    cap = make('capabilities', {'kind': 'capability', 'domain': dom, 'name': name('Пенсии')})
    assert digitisation('functions', fn) == (0, 0, None)
    make('relations', {'type': 'accesses', 'source': fn, 'target': typ, 'access': 'read'})
    make('relations', {'type': 'groups', 'source': cap, 'target': fn})
    assert digitisation('functions', fn) == (4, 2, 0.5)
    assert digitisation('capabilities', cap) == (4, 2, 0.5)
    # a source put right shows at once everywhere above
    r = SRV.request('PATCH', f'/api/v1/master_data/{typ}', {'attributes': [
        {'name': 'pension', 'source': gbd}]}, headers={'If-Match': '"1"'}, token=TOK)
    assert r.status == 200, r
    for coll, rid in (('master_data', typ), ('master_data', subj), ('domains', dom),
                      ('capabilities', cap)):
        assert digitisation(coll, rid) == (4, 3, 0.75), coll
    # the measure is computed: a client cannot set it
    r = SRV.request('PATCH', f'/api/v1/master_data/{subj}', {'measures': {}},
                    headers={'If-Match': '"1"'}, token=TOK)
    assert r.status in (200, 422), r
    assert digitisation('master_data', subj) == (4, 3, 0.75)
    # the card shows it, in the page's language
    for lang, said in (('en', '3 of 4 (75 %)'), ('ru', '3 из 4 (75 %)'), ('kk', '4 ішінен 3 (75 %)')):
        r = SRV.get(f'/{lang}/domains/{dom}', headers={'Accept': 'text/html', 'Cookie': COOKIE})
        assert r.status == 200 and said in r.body.decode(), (lang, r)


def test_data_catalogue():
    # REQ: ARC-06, ARC-07
    org = make('organizations', {'kind': 'organization', 'name': name('Мин кат'),
                                 'bin': valid_bin(9330), 'org_type': 'central_state_body'})
    gbd = make('objects', {'kind': 'information_system', 'owner': org, 'supplier': 'ТОО',
                           'stage': 'industrial_operation', 'commissioning_date': '2019-01-10',
                           'name': name('ГБД каталога')})
    kato = create({'kind': 'reference_data', 'name': name('КАТО каталога')})['id']
    subj = create({'kind': 'data_subject', 'name': name('Лицо каталога'), 'attributes': [
        {'name': 'ИИН каталога', 'source': gbd}, {'name': 'Адрес каталога', 'reference_data': kato}]})['id']
    typ = create({'kind': 'data_type', 'base': subj, 'name': name('Тип каталога'),
                  'attributes': [{'name': 'Стаж каталога'}]})['id']
    r = SRV.get('/ru/master_data/catalogue', headers={'Accept': 'text/html', 'Cookie': COOKIE})
    assert r.status == 200, r
    body = r.body.decode()
    entry = body[body.index(f'id="rec-{typ}"'):]
    entry = entry[:entry.index('</article>')]
    # the type: its own attribute, then those of its base, each with where it is
    # declared, its reference data and its source, linked; and its level
    assert entry.index('Стаж каталога') < entry.index('ИИН каталога') < entry.index('Адрес каталога')
    assert f'href="/ru/master_data/{subj}"' in entry and f'href="/ru/objects/{gbd}"' in entry
    assert f'href="/ru/master_data/{kato}"' in entry and 'Эта запись' in entry
    assert '1 из 3 (33 %)' in entry, entry
    # reference data are listed too; the list links to the catalogue
    assert f'href="/ru/master_data/{kato}"' in body[body.index('id="kind-reference_data"'):]
    r = SRV.get('/ru/master_data', headers={'Accept': 'text/html', 'Cookie': COOKIE})
    assert 'href="/ru/master_data/catalogue"' in r.body.decode()
    # not for the public; not for a collection whose kinds inherit nothing
    r = SRV.get('/ru/master_data/catalogue', headers={'Accept': 'text/html'})
    assert r.status == 200 and 'Лицо каталога' not in r.body.decode(), r
    assert SRV.get('/ru/domains/catalogue',
                   headers={'Accept': 'text/html', 'Cookie': COOKIE}).status == 404


def test_flows_carry_master_data_and_the_data_model():
    # REQ: ARC-07, ARC-08
    org = make('organizations', {'kind': 'organization', 'name': name('Мин'),
                                 'bin': valid_bin(9320), 'org_type': 'central_state_body'})
    a, b = (make('objects', {'kind': 'information_system', 'owner': org, 'supplier': 'ТОО',
                             'stage': 'creation', 'creation_phase': 'software_development',
                             'name': name(n)}) for n in ('ИС А', 'ИС Б'))
    person = create({'kind': 'data_subject', 'name': name('ФЛ'), 'attributes': [
        {'name': 'iin'}]})['id']
    addr = create({'kind': 'data_object', 'name': name('Адрес'), 'attributes': [
        {'name': 'rka'}]})['id']
    flow = {'type': 'exchanges_data_with', 'source': a, 'target': b, 'channel': 'egov_gateway'}
    # a flow names the data it carries, as master data
    r = SRV.request('POST', '/api/v1/relations', dict(flow, data_types=[person, org]), token=TOK)
    assert_problem(r, 422, 'data_types[1]')
    r = SRV.request('POST', '/api/v1/relations', dict(flow, channel='pigeon', data_types=[person]),
                    token=TOK)
    assert_problem(r, 422, 'channel')
    fid = make('relations', dict(flow, data_types=[person, addr]))
    rec = SRV.get(f'/api/v1/relations/{fid}', token=TOK).json()
    assert rec['data_types'] == [person, addr] and rec['channel'] == 'egov_gateway', rec
    # master data a flow carries stays while the flow names it
    r = SRV.request('DELETE', f'/api/v1/master_data/{addr}', headers={'If-Match': '"1"'},
                    token=TOK)
    assert r.status == 409, r
    r = SRV.get(f'/api/v1/relations?filter=channel:egov_gateway', token=TOK)
    assert fid in [i['id'] for i in r.json()['items']], r
    # the conceptual data model: named links between master data, with cardinality
    link = {'type': 'data_relation', 'source': person, 'target': addr,
            'name': name('зарегистрирован по адресу'), 'cardinality': 'many_to_one'}
    lid = make('relations', link)
    assert SRV.get(f'/api/v1/relations/{lid}', token=TOK).json()['name']['ru'] == \
        'зарегистрирован по адресу'
    r = SRV.request('POST', '/api/v1/relations', dict(link, cardinality='some'), token=TOK)
    assert_problem(r, 422, 'cardinality')
    r = SRV.request('POST', '/api/v1/relations', dict(link, source=a), token=TOK)
    assert r.status == 422, r


def test_digital_profile_and_data_passport():
    # REQ: ARC-07
    org = make('organizations', {'kind': 'organization', 'name': name('Мин проф'),
                                 'bin': valid_bin(9340), 'org_type': 'central_state_body'})
    gbd = make('objects', {'kind': 'information_system', 'owner': org, 'supplier': 'ТОО',
                           'stage': 'industrial_operation', 'commissioning_date': '2019-01-10',
                           'name': name('ГБД профиля')})
    subj = create({'kind': 'data_subject', 'name': name('Клиент профиля'), 'attributes': [
        {'name': 'ИИН профиля', 'source': gbd}, {'name': 'Адрес профиля'}]})['id']
    typ = create({'kind': 'data_type', 'base': subj, 'name': name('Пенсионер профиля'),
                  'attributes': [{'name': 'Пенсия профиля', 'source': gbd}]})['id']
    # a domain names its key clients
    dom = make('domains', {'name': name('Домен профиля'), 'key_clients': [subj]})
    card = SRV.get(f'/en/domains/{dom}', headers={'Accept': 'text/html', 'Cookie': COOKIE})
    assert f'href="/en/master_data/{subj}"' in card.body.decode()
    # the client's digital profile: what is held about it (its own attributes
    # and those of the types below it) and where, linked from its card
    card = SRV.get(f'/en/master_data/{subj}', headers={'Accept': 'text/html', 'Cookie': COOKIE})
    assert f'href="/en/master_data/{subj}/profile"' in card.body.decode()
    r = SRV.get(f'/en/master_data/{subj}/profile', headers={'Accept': 'text/html', 'Cookie': COOKIE})
    assert r.status == 200, r
    body = r.body.decode()
    stored = body[body.index(f'<a class="usa-link" href="/en/objects/{gbd}">'):]
    unstored = stored[stored.index('No storage source given'):]
    stored = stored[:stored.index('No storage source given')]
    assert 'ИИН профиля' in stored and 'Пенсия профиля' in stored and 'Адрес профиля' in unstored
    assert f'href="/en/master_data/{typ}"' in stored and '2 of 3 (67 %)' in body
    assert SRV.get(f'/en/master_data/{subj}/profile', headers={'Accept': 'text/html'}).status == 404
    # a data passport of a state information resource: its content is the
    # master data it names, with what they inherit
    res = make('objects', {'kind': 'state_information_resource', 'owner': org, 'supplier': 'ТОО',
                           'stage': 'industrial_operation', 'commissioning_date': '2019-01-10',
                           'name': name('Реестр профиля')})
    pas = {'kind': 'data_passport', 'owner': org, 'name': name('Паспорт реестра'), 'resource': res,
           'data_types': [typ], 'access_level': 'restricted', 'update_frequency': 'daily'}
    r = SRV.request('POST', '/api/v1/data_passports', dict(pas, resource=gbd), token=TOK)
    assert_problem(r, 422, 'resource')
    pid = make('data_passports', pas)
    assert digitisation('data_passports', pid) == (3, 2, 0.667)
    r = SRV.get(f'/ru/data_passports/{pid}/profile', headers={'Accept': 'text/html', 'Cookie': COOKIE})
    assert r.status == 200 and 'Пенсия профиля' in r.body.decode() and \
        'ИИН профиля' in r.body.decode(), r
    assert SRV.get(f'/ru/domains/{dom}/profile',
                   headers={'Accept': 'text/html', 'Cookie': COOKIE}).status == 404


def main():
    global SRV, TOK, COOKIE
    with Server() as srv:
        SRV = srv
        TOK = srv.token()
        COOKIE = srv.session()
        run([test_inherited_at_depth_with_provenance, test_base_change_shows_at_once,
             test_cycle_refused_and_nothing_changed,
             test_card_shows_inherited_items_with_their_source,
             test_master_data_per_domain_for_signed_in_users, test_one_source_per_attribute,
             test_digitisation_level, test_flows_carry_master_data_and_the_data_model,
             test_data_catalogue, test_digital_profile_and_data_passport])


if __name__ == '__main__':
    main()
