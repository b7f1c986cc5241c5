"""End-to-end tests of the portal's languages (issue 14 item 9): problem
details in the reader's language, sorting by the language's alphabet,
messages in the recipient's language, and what the pages say about
languages and times."""
import re
from datetime import datetime, timedelta

from harness import Server, assert_problem, multipart, run, valid_bin

SRV = None
TOK = None


def make_org(serial, name):
    body = {'kind': 'organization', 'name': name, 'bin': valid_bin(serial),
            'org_type': 'central_state_body', 'region': 'astana'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=TOK)
    assert r.status == 201, r
    return r.json()


def count_orgs():
    return SRV.get('/api/v1/organizations?limit=1', token=TOK).json()['total']


def test_problem_detail_in_accept_language():
    # REQ: X-I18N-01
    org = make_org(1, {'kk': 'Тіл министрлігі', 'ru': 'Министерство языка', 'en': 'Ministry of Language'})
    path = f'/api/v1/organizations/{org["id"]}'
    before = SRV.get(path, token=TOK).json()
    patch = {'region': 'astana', 'shoe_size': 42}
    want = {
        'kk': "'shoe_size' — 'organization' өрісі емес",
        'ru': "'shoe_size' — не поле 'organization'",
        'en': "'shoe_size' is not a field of 'organization'",
    }
    for header, lang in [('kk', 'kk'), ('ru-RU,ru;q=0.9', 'ru'), ('kk;q=0.1, ru;q=0.5', 'ru'),
                         ('de', 'en'), (None, 'en')]:
        headers = {'If-Match': '"1"'}
        if header:
            headers['Accept-Language'] = header
        r = SRV.request('PATCH', path, patch, token=TOK, headers=headers)
        doc = assert_problem(r, 422, 'shoe_size')
        assert r.header('Content-Language') == lang, (header, r.headers)
        assert doc['detail'] == want[lang], (header, doc)
    # a validation problem keeps its field path in front of the translation
    r = SRV.request('POST', '/api/v1/organizations',
                    {'kind': 'organization', 'name': {'kk': 'x'}, 'bin': '123',
                     'org_type': 'central_state_body', 'region': 'astana'},
                    token=TOK, headers={'Accept-Language': 'kk'})
    doc = assert_problem(r, 422, 'bin')
    assert doc['detail'] == 'bin: жарамды БСН емес (бақылау цифры бар 12 цифр)', doc
    r = SRV.request('POST', '/api/v1/organizations',
                    {'kind': 'organization', 'name': {'kk': 'x'}, 'bin': '123',
                     'org_type': 'central_state_body', 'region': 'astana'},
                    token=TOK, headers={'Accept-Language': 'ru'})
    assert assert_problem(r, 422, 'bin')['detail'] == \
        'bin: некорректный БИН (12 цифр с контрольной цифрой)'
    # every problem of an input at once, each said in the reader's language
    r = SRV.request('POST', '/api/v1/organizations',
                    {'kind': 'organization', 'name': {'kk': 'x'}, 'bin': '123',
                     'org_type': 'nowhere', 'region': 'astana'},
                    token=TOK, headers={'Accept-Language': 'ru'})
    doc = assert_problem(r, 422)
    details = {e['field']: e['detail'] for e in doc['errors']}
    assert details['bin'] == 'bin: некорректный БИН (12 цифр с контрольной цифрой)', doc
    assert details['org_type'] == 'org_type: не значение org_type', doc
    assert all('msgid' not in e and 'args' not in e for e in doc['errors']), doc
    # errors of the HTTP layer itself, and no route
    r = SRV.request('GET', '/api/v1/nowhere', headers={'Accept-Language': 'kk'})
    assert assert_problem(r, 404)['detail'] == "'nowhere' жинағы жоқ"
    r = SRV.request('DELETE', '/api/v1/model', headers={'Accept-Language': 'ru'})
    assert assert_problem(r, 405)['detail'].startswith('метод DELETE здесь не разрешён'), r
    # nothing changed
    after = SRV.get(path, token=TOK).json()
    assert after == before
    assert count_orgs() == 1


SORT_NAMES = [  # (kk, ru, en) of each record
    ('Ғалым', 'Әлем', 'Ärger'), ('Гүл', 'Банк', 'zebra'), ('Дом', 'Apple', 'apple'),
    ('Үй', 'Уют', 'Home'), ('Ұл', 'Сын', 'Son'),
]


def test_list_sorts_names_by_the_language_alphabet():
    # REQ: X-I18N-01
    made = []
    for i, (kk, ru, en) in enumerate(SORT_NAMES):
        made.append(make_org(10 + i, {'kk': kk, 'ru': ru, 'en': en})['id'])
    r1, r2, r3, r4, r5 = made

    def order(query, headers=None):
        ids, cursor = [], None
        while True:  # two a page: the cursor keeps the language's order
            q = query + '&limit=2' + (f'&cursor={cursor}' if cursor else '')
            r = SRV.get('/api/v1/organizations?' + q, token=TOK, headers=headers)
            assert r.status == 200, r
            ids += [it['id'] for it in r.json()['items'] if it['id'] in made]
            cursor = r.json()['next_cursor']
            if not cursor:
                return ids
    assert order('sort=name&lang=kk') == [r2, r1, r3, r5, r4]
    assert order('sort=name&lang=ru') == [r1, r2, r5, r4, r3]
    assert order('sort=name&lang=en') == [r3, r1, r4, r5, r2]
    assert order('sort=-name&lang=kk') == [r4, r5, r3, r1, r2]
    # Accept-Language when there is no ?lang=; ?lang= wins
    assert order('sort=name', {'Accept-Language': 'kk'}) == [r2, r1, r3, r5, r4]
    assert order('sort=name&lang=en', {'Accept-Language': 'kk'}) == [r3, r1, r4, r5, r2]
    # neither: the folded name's byte order, as before
    assert order('sort=name') == [r3, r2, r5, r4, r1]
    # a cursor of one alphabet is refused in another
    r = SRV.get('/api/v1/organizations?sort=name&lang=kk&limit=1', token=TOK)
    cursor = r.json()['next_cursor']
    r = SRV.get(f'/api/v1/organizations?sort=name&lang=ru&limit=1&cursor={cursor}', token=TOK,
                headers={'Accept-Language': 'kk'})
    assert assert_problem(r, 400, 'cursor')['detail'] == 'курсор басқа сұрыптау тәртібіне жатады'
    r = SRV.get('/api/v1/organizations?lang=de', token=TOK, headers={'Accept-Language': 'ru'})
    assert assert_problem(r, 400, 'lang')['detail'] == "'lang' — kk, ru или en"


def test_pages_mark_other_languages_and_show_local_times():
    # REQ: X-I18N-01
    org = make_org(30, {'ru': 'Только по-русски'})
    made = datetime.fromisoformat(org['created_at'].replace('Z', '+00:00'))
    local = (made + timedelta(hours=5)).strftime('%Y-%m-%d %H:%M')  # Asia/Almaty, UTC+5
    kk = SRV.get(f'/kk/organizations/{org["id"]}', headers={'Accept': 'text/html'})
    assert kk.status == 200, kk
    body = kk.body.decode()
    # the Russian name on the Kazakh page says its language; on the Russian page it need not
    assert '<h1><span lang="ru">Только по-русски</span></h1>' in body, body[:3000]
    ru = SRV.get(f'/ru/organizations/{org["id"]}', headers={'Accept': 'text/html'}).body.decode()
    assert '<h1>Только по-русски</h1>' in ru
    # the dashboards' table of organisations too
    body_obj = {'kind': 'information_system', 'owner': org['id'], 'name': {'ru': 'Система'},
                'stage': 'creation'}
    assert SRV.request('POST', '/api/v1/objects', body_obj, token=TOK).status == 201
    admin = SRV.user('admin')
    r = SRV.request('POST', '/api/v1/session', {'email': admin, 'password': 'Corr3ct-Horse-Battery'})
    cookie = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)
    dash = SRV.get('/kk/dashboards', headers={'Accept': 'text/html',
                                              'Cookie': f'ap_session={cookie}'}).body.decode()
    assert re.search(r'<a class="usa-link" href="[^"]*" lang="ru">Только по-русски</a>', dash), \
        re.findall(r'<th scope="row">.*?</th>', dash)[:10]
    # the history's times are Almaty's, not UTC
    assert local in body and ' UTC' not in body, (local, re.findall(r'\d{4}-\d\d-\d\d \d\d:\d\d[^<]*', body))


def test_workspace_marks_names_in_other_languages():
    # REQ: X-I18N-01
    org = make_org(31, {'kk': 'Жұмыс ұйымы', 'ru': 'Рабочая организация'})
    email = SRV.user('owner-editor', org['id'])
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'})
    assert r.status == 200, r
    cookie = {'Cookie': 'ap_session=' + re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1),
              'Accept': 'text/html'}
    tok = SRV.token('owner-editor', org['id'])
    for name in [{'ru': 'Система только по-русски'}, {'kk': 'Қазақша жүйе', 'ru': 'Система по-казахски'}]:
        body = {'kind': 'information_system', 'owner': org['id'], 'name': name, 'stage': 'creation'}
        assert SRV.request('POST', '/api/v1/objects', body, token=tok).status == 201
    page = SRV.get('/kk/workspace', headers=cookie).body.decode()
    assert re.search(r'<a class="usa-link" href="/kk/objects/[^"]+" lang="ru">Система только по-русски</a>', page), page[:3000]
    assert re.search(r'<a class="usa-link" href="/kk/objects/[^"]+">Қазақша жүйе</a>', page), page[:3000]


def test_card_upload_refusal_in_the_page_language():
    # REQ: X-I18N-01
    org = make_org(32, {'kk': 'Жүктеу ұйымы'})
    email = SRV.user('owner-editor', org['id'])
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'})
    cookie = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)
    csrf = r.json()['csrf_token']
    body = {'kind': 'information_system', 'owner': org['id'], 'name': {'kk': 'Жүйе'}, 'stage': 'creation'}
    rec = SRV.request('POST', '/api/v1/objects', body, token=SRV.token('owner-editor', org['id'])).json()
    for lang, want in [('kk', 'файл бос'), ('ru', 'файл пуст'), ('en', 'the file is empty')]:
        form, ctype = multipart([('_csrf', csrf), ('type', 'technical_specification')],
                                [('file', 'empty.pdf', b'')])
        r = SRV.request('POST', f'/{lang}/objects/{rec["id"]}/documents', form,
                        headers={'Content-Type': ctype, 'Cookie': f'ap_session={cookie}',
                                 'Origin': f'http://127.0.0.1:{SRV.port}', 'Host': f'127.0.0.1:{SRV.port}'})
        assert r.status == 422, r
        assert want in r.body.decode(), (lang, r.body.decode()[-3000:])
    docs = SRV.get(f'/api/v1/objects/{rec["id"]}/documents', token=TOK).json()['items']
    assert all(not d.get('files') and not d.get('documents') for d in docs if d['type'] == 'technical_specification'), docs


def main():
    global SRV, TOK
    with Server() as srv:
        SRV = srv
        TOK = srv.token()
        run([test_problem_detail_in_accept_language,
             test_list_sorts_names_by_the_language_alphabet,
             test_pages_mark_other_languages_and_show_local_times,
             test_workspace_marks_names_in_other_languages,
             test_card_upload_refusal_in_the_page_language])


if __name__ == '__main__':
    main()
