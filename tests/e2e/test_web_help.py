"""End-to-end tests of the help pages (issue 14 item 11): a page per topic
in kk/ru/en, reached from the footer of every page and from the home page;
the legal acts linked in the reader's language; the contacts from the
registry; the API description's link answers."""
import json
import re

from harness import Server, run

SRV = None
TOPICS = ['about', 'state-body', 'integrator', 'authorized-body', 'operator', 'citizen', 'legal',
          'contacts', 'accessibility', 'privacy', 'api']
ACTS = ['Z1500000418', 'V1900019249', 'V2400035162', 'V1600013282', 'V1900019104']


def html(path, status=200):
    r = SRV.get(path, headers={'Accept': 'text/html'})
    assert r.status == status, (path, r)
    return r.body.decode()


def title(page):
    return re.search(r'<h1[^>]*>(.*?)</h1>', page, re.S).group(1)


def test_every_topic_in_three_languages():
    # REQ: X-I18N-01
    titles = {}
    for lang in ('kk', 'ru', 'en'):
        index = html(f'/{lang}/help')
        assert f'<html lang="{lang}"' in index
        for t in TOPICS:
            assert f'href="/{lang}/help/{t}"' in index, (lang, t)
            page = html(f'/{lang}/help/{t}')
            # the side navigation marks where the reader is
            assert re.search(rf'href="/{lang}/help/{t}" class="usa-current" aria-current="page"', page), t
            assert '{{' not in page and '<p></p>' not in page, t
            titles[(lang, t)] = title(page)
    for t in TOPICS:
        assert len({titles[(lang, t)] for lang in ('kk', 'ru', 'en')}) == 3, t
    # the plain page for citizens uses the Order's terms in Kazakh
    assert 'Архитектуралық портал деген не' in html('/kk/help/about')
    assert 'сәулет' not in html('/kk/help/integrator').lower()
    html('/en/help/nothing', 404)
    html('/en/help/..%2Fadmin', 404)


def test_help_is_linked_from_every_page_and_the_home_page():
    for lang in ('kk', 'ru', 'en'):
        for path in (f'/{lang}', f'/{lang}/registry', f'/{lang}/apply', f'/{lang}/help/api'):
            footer = html(path).split('<footer', 1)[1]
            for t in ('', '/about', '/legal', '/contacts', '/accessibility', '/privacy', '/api'):
                assert f'href="/{lang}/help{t}"' in footer, (path, t)
        home = html(f'/{lang}').split('<footer', 1)[0]
        assert f'href="/{lang}/help/about"' in home and f'href="/{lang}/help"' in home
        # the application form links the privacy statement next to the consent
        assert f'href="/{lang}/help/privacy"' in html(f'/{lang}/apply').split('<footer', 1)[0]


def test_legal_acts_linked_in_the_readers_language():
    for lang, site in (('kk', 'kaz'), ('ru', 'rus'), ('en', 'eng')):
        page = html(f'/{lang}/help/legal')
        for act in ACTS:
            assert f'href="https://adilet.zan.kz/{site}/docs/{act}"' in page, (lang, act)
    page = html('/ru/help/legal')
    for words in ('193/НҚ', '611/НҚ', '№ 129', '174/RD', '«Об информатизации»'):
        assert words in page, words


def test_contacts_name_the_service_integrator_from_the_registry():
    page = html('/ru/help/contacts')
    org = SRV.get('/api/v1/organizations/org-nit').json()
    assert org['name']['ru'].replace('"', '&quot;') in page
    assert 'href="/ru/organizations/org-nit"' in page and f'href="{org["website"]}"' in page


def test_api_page_links_what_the_api_serves():
    page = html('/en/help/api')
    assert 'described in OpenAPI 3.1 at /api/v1/openapi.json' in page
    assert 'href="/en/api-reference"' in page and SRV.get('/en/api-reference').status == 200
    for path in ('/api/v1/model', '/api/v1/rights', '/api/v1/openapi.json'):
        assert f'href="{path}"' in page
        r = SRV.get(path)
        assert r.status == 200 and isinstance(json.loads(r.body), dict), path


def test_privacy_statement_says_what_how_long():
    page = html('/en/help/privacy')
    for words in ('account application', 'consent with its time and the version of its text',
                  '30 minutes', '12 hours', '72 hours', 'not deleted', 'The public sees no personal data'):
        assert words in page, words


def main():
    global SRV
    with Server(demo=True) as srv:
        SRV = srv
        run([test_every_topic_in_three_languages, test_help_is_linked_from_every_page_and_the_home_page,
             test_legal_acts_linked_in_the_readers_language,
             test_contacts_name_the_service_integrator_from_the_registry,
             test_api_page_links_what_the_api_serves, test_privacy_statement_says_what_how_long])


if __name__ == '__main__':
    main()
