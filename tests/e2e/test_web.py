"""End-to-end tests of the web pages' shared machinery over HTTP: the
language (URL, cookie, Accept-Language), the security headers, static
files (hashed names, caching, gzip), not-found answers for browsers and for
API clients, and escaping of what the visitor sends."""
import gzip
import re

from harness import Server, run

srv = None

CSP_PARTS = ["default-src 'self'", "script-src 'self'", "style-src 'self'",
             "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]


def check_security_headers(r):
    csp = r.header('Content-Security-Policy') or ''
    for part in CSP_PARTS:
        assert part in csp, (part, csp)
    assert 'unsafe-inline' not in csp and 'unsafe-eval' not in csp, csp
    assert r.header('X-Content-Type-Options') == 'nosniff', r.headers
    assert r.header('Referrer-Policy') == 'same-origin', r.headers
    assert r.header('X-Frame-Options') == 'DENY', r.headers


def test_root_goes_to_the_visitors_language():
    """Cookie first, then Accept-Language, then Kazakh."""
    # REQ: X-I18N-01
    r = srv.get('/')
    assert r.status == 303 and r.header('Location') == '/kk', r
    r = srv.get('/', headers={'Accept-Language': 'de, ru-RU;q=0.8, en;q=0.5'})
    assert r.header('Location') == '/ru', r.headers
    r = srv.get('/', headers={'Accept-Language': 'ru', 'Cookie': 'ap_lang=en'})
    assert r.header('Location') == '/en', r.headers
    r = srv.get('/', headers={'Cookie': 'ap_lang=xx', 'Accept-Language': 'en'})
    assert r.header('Location') == '/en', r.headers


def test_pages_in_three_languages_keep_the_choice():
    # REQ: X-I18N-01
    titles = {'kk': 'Тізілім', 'ru': 'Реестр', 'en': 'Registry'}
    for lang, word in titles.items():
        r = srv.get(f'/{lang}')
        assert r.status == 200, r
        body = r.body.decode()
        assert f'<html lang="{lang}"' in body
        assert word in body, (lang, word)
        assert r.header('Content-Language') == lang
        assert r.header('Content-Type') == 'text/html; charset=utf-8'
        assert f'ap_lang={lang};' in (r.header('Set-Cookie') or ''), r.headers
        check_security_headers(r)
        # the same page in the other languages, with the query kept
        r = srv.get(f'/{lang}?a=1')
        for other in titles:
            assert f'href="/{other}?a=1"' in r.body.decode(), other
    # a visitor already on that language gets no new cookie
    r = srv.get('/ru', headers={'Cookie': 'ap_lang=ru'})
    assert r.header('Set-Cookie') is None, r.headers


def test_hsts_only_under_tls():
    assert srv.get('/kk').header('Strict-Transport-Security') is None
    with Server(extra=['--secure-cookies']) as tls:
        r = tls.get('/kk')
        assert 'max-age=' in (r.header('Strict-Transport-Security') or ''), r.headers
        assert 'Secure' in r.header('Set-Cookie'), r.headers


def test_static_files_are_hashed_cached_and_compressed():
    page = srv.get('/en').body.decode()
    css = re.search(r'href="(/static/uswds\.[0-9a-f]{12}\.css)"', page).group(1)
    js = re.search(r'src="(/static/portal\.[0-9a-f]{12}\.js)"', page).group(1)
    r = srv.get(css)
    assert r.status == 200 and r.header('Content-Type') == 'text/css; charset=utf-8', r
    assert r.header('Cache-Control') == 'public, max-age=31536000, immutable'
    assert r.header('Content-Encoding') is None
    etag = r.header('ETag')
    assert etag and etag.startswith('"'), r.headers
    z = srv.get(css, headers={'Accept-Encoding': 'br, gzip;q=0.8'})
    assert z.header('Content-Encoding') == 'gzip' and z.header('Vary') == 'Accept-Encoding'
    assert gzip.decompress(z.body) == r.body
    assert len(z.body) < len(r.body) / 3
    assert srv.get(css, headers={'Accept-Encoding': 'gzip;q=0'}).header('Content-Encoding') is None
    assert srv.get(css, headers={'If-None-Match': etag}).status == 304
    # the stylesheet names its images by hashed URLs that are served
    img = re.search(rb'url\((/static/img-usa-icons-[^)]+\.svg)\)', r.body).group(1).decode()
    i = srv.get(img)
    assert i.status == 200 and i.header('Content-Type') == 'image/svg+xml', i
    assert srv.get(js).header('Content-Type') == 'text/javascript; charset=utf-8'
    for bad in ('/static/uswds.css', '/static/nope.0123456789ab.css', '/static/..%2Fmeson.build'):
        r = srv.get(bad)
        assert r.status in (400, 404), (bad, r)


def test_not_found_for_browsers_and_for_clients():
    r = srv.get('/ru/no/such/page', headers={'Accept': 'text/html,*/*'})
    assert r.status == 404 and r.header('Content-Type').startswith('text/html'), r
    assert 'Страница не найдена' in r.body.decode()
    check_security_headers(r)
    # without a language in the path: the visitor's language
    r = srv.get('/nowhere', headers={'Accept': 'text/html', 'Accept-Language': 'en'})
    assert r.status == 404 and 'Page not found' in r.body.decode(), r
    # API clients and the API's paths get problem documents
    r = srv.get('/nowhere')
    assert r.status == 404 and r.header('Content-Type') == 'application/problem+json', r
    r = srv.get('/api/v1/nowhere/x/y', headers={'Accept': 'text/html'})
    assert r.status == 404 and r.header('Content-Type') == 'application/problem+json', r
    # a trailing slash goes to the page without it
    r = srv.get('/en/', headers={'Accept': 'text/html'})
    assert r.status == 308 and r.header('Location') == '/en', r


def test_what_the_visitor_sends_is_shown_as_text():
    r = srv.get('/en?x=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&y=javascript:alert(1)')
    body = r.body.decode()
    assert r.status == 200
    assert '<script>alert' not in body and '"><script' not in body
    assert '%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E' in body, 'kept, percent-encoded'


def test_home_counts_match_the_registry():
    page = srv.get('/en').body.decode()
    total = srv.get('/api/v1/objects?limit=1').json()['total']
    assert f'Objects in the registry: {total}' in page, total
    facets = srv.get('/api/v1/objects/facets?field=kind').json()['values']
    for f in facets:
        if f['count']:
            assert f'href="/en/registry?kind={f["value"]}"' in page, f


def session_cookie(email, password='Corr3ct-Horse-Battery'):
    r = srv.request('POST', '/api/v1/session', {'email': email, 'password': password})
    assert r.status == 200, r
    return re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)


def test_dashboards_show_the_registry_figures():
    page = srv.get('/en/dashboards').body.decode()
    assert '<svg' in page and 'role="img"' in page and 'style=' not in page.split('<main')[1]
    # the table's row of a stage: the count of each kind at that stage
    kinds = [f['value'] for f in srv.get('/api/v1/objects/facets?field=kind').json()['values']]
    stages = srv.get('/api/v1/objects/facets?field=stage').json()['values']
    for st in stages:
        if not st['count']:
            continue
        row = re.search(r'href="/en/registry\?filter=stage:%s">[^<]*</a></th>(.*?)</tr>'
                        % st['value'], page).group(1)
        cells = [int(x) for x in re.findall(r'<td class="portal-num">(\d+)</td>', row)]
        assert cells[-1] == st['count'], (st, cells)
        for k in kinds:
            n = srv.get(f'/api/v1/objects?limit=1&kind={k}&filter=stage:{st["value"]}').json()['total']
            assert n in cells, (k, st['value'], n, cells)
    # completeness per organisation, as the API computes it
    org = srv.get('/api/v1/objects/facets?field=owner').json()['values'][0]['value']
    score = srv.get(f'/api/v1/organizations/{org}/completeness').json()['summary']['score']
    table = page.split('<caption>Completeness per organisation</caption>')[1]
    row = re.search(r'href="/en/registry\?owner=%s">.*?</tr>' % org, table, re.S).group(0)
    assert f'<td class="portal-num">{score}</td>' in row, (score, row)
    # deadlines are not for the public
    assert 'Overdue obligations' not in page


def test_dashboards_show_overdue_obligations_to_the_integrator():
    cookie = session_cookie(srv.user('integrator-verifier'))
    page = srv.get('/ru/dashboards', headers={'Cookie': f'ap_session={cookie}'}).body.decode()
    assert 'Просроченные обязательства по организациям' in page
    assert 'Просроченных обязательств</th>' in page


def test_home_leads_to_the_other_collections_the_visitor_may_read():
    # the public: the organisations and the e-services catalogue, not the
    # architecture's signed-in collections; a signed-in user: all of them
    public = srv.get('/en').body.decode()
    assert 'href="/en/organizations"' in public and 'href="/en/services"' in public
    assert 'href="/en/domains"' not in public and 'href="/en/capabilities"' not in public
    assert 'href="/en/objects"' not in public  # the registry has its own place
    cookie = session_cookie(srv.user('owner-viewer', 'org-mdai'))
    mine = srv.get('/ru', headers={'Cookie': f'ap_session={cookie}'}).body.decode()
    assert 'Также на портале' in mine
    for coll in ('domains', 'capabilities', 'functions', 'services', 'processes'):
        assert f'href="/ru/{coll}"' in mine, coll


def main():
    global srv
    with Server(demo=True) as s:
        srv = s
        run([test_root_goes_to_the_visitors_language,
             test_pages_in_three_languages_keep_the_choice,
             test_hsts_only_under_tls,
             test_static_files_are_hashed_cached_and_compressed,
             test_not_found_for_browsers_and_for_clients,
             test_what_the_visitor_sends_is_shown_as_text,
             test_home_counts_match_the_registry,
             test_dashboards_show_the_registry_figures,
             test_dashboards_show_overdue_obligations_to_the_integrator,
             test_home_leads_to_the_other_collections_the_visitor_may_read])


if __name__ == '__main__':
    main()
