"""End-to-end test of the generic page engine: a throw-away kind and
collection added to a copy of the model (labels, an enum filterable field,
a needed field, help texts; no C) get a working, translated list with its
facet, a create form, an edit form and a CSV, through the server's
--model option; access stays as the rights say."""
import html
import json
import os
import re
import tempfile
import urllib.parse

from harness import SOURCE, Server, run, valid_bin

SRV = None
ADMIN = None  # (cookie, csrf) of an administrator's web session
OWNER = None
ORG = None
TOKEN = None
PASSWORD = 'Corr3ct-Horse-Battery'

L = lambda kk, ru, en: {'kk': kk, 'ru': ru, 'en': en}  # noqa: E731
COLL_LABEL = L('Сынақ құрылғылары', 'Пробные устройства', 'Trial gadgets')
KIND_LABEL = L('Сынақ құрылғысы', 'Пробное устройство', 'Trial gadget')
COLOUR = L('Түсі', 'Цвет', 'Colour')
SERIAL = L('Сериялық нөмірі', 'Серийный номер', 'Serial number')
HELP = L('Корпустағы түс', 'Цвет корпуса', 'The colour of the case')
RED = L('Қызыл', 'Красный', 'Red')
GREEN = L('Жасыл', 'Зелёный', 'Green')


def model_copy():
    """model/egov-kz.json with the throw-away enum, kind and collection."""
    with open(os.path.join(SOURCE, 'model/egov-kz.json'), encoding='utf-8') as f:
        m = json.load(f)
    m['enums']['trial_colour'] = {'label': COLOUR, 'values': [
        {'id': 'red', 'label': RED}, {'id': 'green', 'label': GREEN}]}
    m['kinds']['trial_gadget'] = {
        'label': KIND_LABEL, 'collection': 'trial_gadgets', 'owned': True, 'named': True,
        'fields': [
            {'name': 'colour', 'type': 'enum', 'enum': 'trial_colour', 'label': COLOUR,
             'help': HELP, 'filterable': True, 'required': True},
            {'name': 'serial', 'type': 'string', 'label': SERIAL, 'searchable': True,
             'needed': True}]}
    m['collections']['trial_gadgets'] = {'label': COLL_LABEL, 'type': 'records'}
    fd, path = tempfile.mkstemp(prefix='archportal-model-', suffix='.json')
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        json.dump(m, f, ensure_ascii=False)
    return path


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


def test_create_form_is_the_kinds_fields_translated():
    for lang in ('kk', 'ru', 'en'):
        r = page(f'/{lang}/trial_gadgets/new', ADMIN)  # one kind: no chooser
        assert r.status == 200, r
        body = text(r)
        for label in (KIND_LABEL, COLL_LABEL, COLOUR, SERIAL, HELP, RED, GREEN):
            assert label[lang] in body, (lang, label)
        assert f'action="/{lang}/trial_gadgets/new?kind=trial_gadget"' in body
        assert 'name="colour"' in body and 'name="serial"' in body


def test_create_reports_the_missing_field_then_creates():
    r = post('/ru/trial_gadgets/new?kind=trial_gadget',
             [('name.ru', 'Прибор один'), ('owner', ORG), ('colour', ''), ('serial', 'SN-1')], ADMIN)
    assert r.status == 422, r
    body = text(r)
    assert 'Прибор один' in body and 'SN-1' in body  # the input is kept
    assert re.search(r'id="f-colour-error"', body), body[-4000:]
    for name, colour in (('Прибор один', 'red'), ('Прибор два', 'green'), ('Прибор три', 'red')):
        r = post('/ru/trial_gadgets/new?kind=trial_gadget',
                 [('name.ru', name), ('owner', ORG), ('colour', colour), ('serial', 'SN-' + name)],
                 ADMIN)
        assert r.status == 303, (r, text(r)[-3000:])
        assert re.match(r'^/ru/trial_gadgets/[^/?]+\?done=created$', r.header('Location')), r
    items = SRV.get('/api/v1/trial_gadgets?limit=10', token=TOKEN).json()['items']
    assert sorted(i['colour'] for i in items) == ['green', 'red', 'red'], items


def test_list_facets_and_columns_from_the_model():
    for lang in ('kk', 'ru', 'en'):
        r = page(f'/{lang}/trial_gadgets')
        assert r.status == 200, r
        body = text(r)
        assert f'<h1>{COLL_LABEL[lang]}</h1>' in body
        # the facet of the enum field, with its labels and counts
        assert f'<legend class="usa-legend text-bold">{COLOUR[lang]}</legend>' in body, body
        assert re.search(re.escape(RED[lang]) + r' <span class="usa-tag portal-count">2</span>',
                         body), lang
        assert re.search(re.escape(GREEN[lang]) + r' <span class="usa-tag portal-count">1</span>',
                         body), lang
        assert 'Прибор один' in body and 'Прибор два' in body
    body = text(page('/ru/trial_gadgets?filter=colour:green'))
    assert 'Прибор два' in body and 'Прибор один' not in body
    assert '1–1 из 1' in body
    # searched by its searchable field
    body = text(page('/ru/trial_gadgets?q=' + urllib.parse.quote('SN-Прибор три')))
    assert 'Прибор три' in body and 'Прибор два' not in body
    # no workflow: no status column, and the CSV has the same columns
    r = page('/en/trial_gadgets.csv?sep=semicolon')
    assert r.status == 200, r
    lines = r.body.decode('utf-8-sig').split('\r\n')
    assert lines[0] == 'Name;Owner;Updated;Identifier', lines[0]
    assert len([x for x in lines[1:] if x]) == 3


def test_edit_form_saves():
    items = SRV.get('/api/v1/trial_gadgets?filter=colour:green', token=TOKEN).json()['items']
    rid = items[0]['id']
    r = page(f'/en/trial_gadgets/{rid}/edit', ADMIN)
    assert r.status == 200, r
    body = text(r)
    assert SERIAL['en'] in body and 'value="SN-Прибор два"' in body
    rev = re.search(r'name="revision" value="(\d+)"', body).group(1)
    r = post(f'/en/trial_gadgets/{rid}/edit', [('revision', rev), ('name.ru', 'Прибор два'),
                                               ('colour', 'red'), ('serial', 'SN-2b')], ADMIN)
    assert r.status == 303 and r.header('Location') == f'/en/trial_gadgets/{rid}?done=saved', r
    rec = SRV.get(f'/api/v1/trial_gadgets/{rid}', token=TOKEN).json()
    assert rec['colour'] == 'red' and rec['serial'] == 'SN-2b', rec
    # where the form leads, the card of the new kind, in each language
    for lang in ('kk', 'ru', 'en'):
        r = page(f'/{lang}/trial_gadgets/{rid}', ADMIN)
        assert r.status == 200 and 'SN-2b' in text(r), r


def test_access_stays_as_the_rights_say():
    # an owner's editor may create informatization objects, not these
    assert page('/ru/trial_gadgets/new', OWNER).status == 403
    rid = SRV.get('/api/v1/trial_gadgets', token=TOKEN).json()['items'][0]['id']
    assert page(f'/ru/trial_gadgets/{rid}/edit', OWNER).status == 403
    # a record of another collection is not found under this one
    assert page(f'/ru/objects/{rid}/edit', ADMIN).status == 404
    # anonymous: to the sign-in page
    r = page('/ru/trial_gadgets/new')
    assert r.status == 303 and '/ru/signin?next=' in r.header('Location'), r
    # the shipped collections keep their pages
    assert page('/ru/registry').status == 200 and page('/ru/objects').status == 200
    assert page('/ru/organizations').status == 200


def test_server_stops_cleanly():
    assert SRV.stop() == 0
    log = open(SRV.log_path, errors='replace').read()
    assert 'Sanitizer' not in log and 'runtime error' not in log, log[-3000:]


def main():
    global SRV, ADMIN, OWNER, ORG, TOKEN
    path = model_copy()
    try:
        with Server(extra=['--model', path]) as srv:
            SRV = srv
            TOKEN = srv.token('admin')
            r = srv.request('POST', '/api/v1/organizations', {
                'name': {'ru': 'Ведомство устройств'}, 'bin': valid_bin(8700),
                'org_type': 'central_state_body'}, token=TOKEN)
            assert r.status == 201, r
            ORG = r.json()['id']
            ADMIN = sign_in('admin')
            OWNER = sign_in('owner-editor', ORG)
            run([test_create_form_is_the_kinds_fields_translated,
                 test_create_reports_the_missing_field_then_creates,
                 test_list_facets_and_columns_from_the_model, test_edit_form_saves,
                 test_access_stays_as_the_rights_say, test_server_stops_cleanly])
    finally:
        os.unlink(path)


if __name__ == '__main__':
    main()
