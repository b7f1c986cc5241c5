"""End-to-end tests of the portal's languages (issue 14 item 9): problem
details in the reader's language, sorting by the language's alphabet,
messages in the recipient's language, and what the pages say about
languages and times."""
from harness import Server, assert_problem, run, valid_bin

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
        'bin: не корректный БИН (12 цифр с контрольной цифрой)'
    # errors of the HTTP layer itself, and no route
    r = SRV.request('GET', '/api/v1/nowhere', headers={'Accept-Language': 'kk'})
    assert assert_problem(r, 404)['detail'] == "'nowhere' жинағы жоқ"
    r = SRV.request('DELETE', '/api/v1/model', headers={'Accept-Language': 'ru'})
    assert assert_problem(r, 405)['detail'].startswith('метод DELETE здесь не разрешён'), r
    # nothing changed
    after = SRV.get(path, token=TOK).json()
    assert after == before
    assert count_orgs() == 1


def main():
    global SRV, TOK
    with Server() as srv:
        SRV = srv
        TOK = srv.token()
        run([test_problem_detail_in_accept_language])


if __name__ == '__main__':
    main()
