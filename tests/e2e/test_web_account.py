"""End-to-end tests of the account pages: sign-in (and its lockout),
sign-out, the application form, the one-time links that set a password,
the reset request, personal tokens and the integrator's decisions — plain
HTML forms driven over HTTP as a browser without JavaScript sends them."""
import re
import urllib.parse

import subprocess
import threading
import time

from harness import BIN, Server, run, valid_bin
from smtpd import SMTPServer

SRV = None
INTEGRATOR = None  # an API token, to look at the applications
SMTP = None  # the mail server: where the one-time links are
PASSWORD = 'Corr3ct-Horse-Battery'
NEW_PASSWORD = 'Жаңа-Пароль-2026!'
SCRIPT = '<script>alert(1)</script>"\'>'

CONSENT = 'pd-consent-2026-12'  # the version of the consent text in force
FORM = {
    'organization_name': 'ГУ «Аппарат акима города Тест»',
    'structural_unit': 'Отдел цифровизации',
    'last_name': 'Серікбаев',
    'first_name': 'Асқар',
    'patronymic': 'Маратұлы',
    'position': 'Главный специалист',
    'phone': '+7 (7172) 55-00-00',
    'email': 'web.applicant@test-akimat.gov.kz',
    'access_purpose': 'Учёт информационных систем акимата',
    'organization': 'new',
    'organization_bin': valid_bin(8100),
    'requested_role': 'owner-editor',
    'personal_data_consent': CONSENT,
}


def stored(form):
    """The application as the portal stores it from the web form: the
    consent apart, and no organisation id when a new one is asked for."""
    return {k: v for k, v in form.items() if k != 'personal_data_consent'
            and not (k == 'organization' and v == 'new')}


class Browser:
    """A visitor with a cookie jar who sends forms like a browser does."""

    def __init__(self):
        self.cookies = {}

    def request(self, method, path, form=None, origin=None, headers=None, source=None):
        h = {'Accept': 'text/html'}
        if self.cookies:
            h['Cookie'] = '; '.join(f'{k}={v}' for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h['Content-Type'] = 'application/x-www-form-urlencoded'
            h['Origin'] = origin or f'http://127.0.0.1:{SRV.port}'
        h.update(headers or {})
        r = SRV.request(method, path, body=body, headers=h, source=source)
        for k, v in r.headers:
            if k.lower() == 'set-cookie':
                m = re.match(r'([^=]+)=([^;]*)', v)
                if 'Max-Age=0' in v:
                    self.cookies.pop(m.group(1), None)
                else:
                    self.cookies[m.group(1)] = m.group(2)
        return r

    def get(self, path):
        return self.request('GET', path)

    def post(self, path, form, with_csrf=True, **kw):
        form = dict(form)
        if with_csrf:
            form['_csrf'] = self.csrf
        return self.request('POST', path, form=form, **kw)

    @property
    def csrf(self):
        """The CSRF token the pages put into their forms."""
        page = self.get('/en/signin').body.decode()
        return re.search(r'name="_csrf" value="([^"]*)"', page).group(1)

    def signin(self, email, password=PASSWORD, next_=None):
        form = {'email': email, 'password': password}
        if next_ is not None:
            form['next'] = next_
        return self.post('/en/signin', form)


def text(r):
    return r.body.decode()


def location(r):
    return r.header('Location')


def outbox_link(email, kind, lang):
    """The path of the newest link of this kind mailed to email (the mail
    server's copy: the portal's outbox keeps none), which opens in lang,
    the user's language, with no path of its own."""
    pat = re.compile(r'https?://[^/\s]+/%s(/%s\?s=[A-Za-z0-9_-]{43})\n' % (lang, kind))
    mails = SMTP.wait_for(lambda m: email in m.to and pat.search(m.body()))
    return pat.search(mails[-1].body()).group(1)


def my_tokens(b):
    r = SRV.get('/api/v1/me/tokens', headers={'Cookie': f'ap_session={b.cookies["ap_session"]}'})
    assert r.status == 200, r
    return r.json()['items']


def applications(status='all'):
    r = SRV.get(f'/api/v1/account-applications?status={status}', token=INTEGRATOR)
    assert r.status == 200, r
    return r.json()['items']


def test_signin_success_and_failure():
    email = SRV.user('owner-viewer', 'org-nit')
    b = Browser()
    page = b.get('/ru/signin')
    assert page.status == 200 and 'href="/ru/forgot"' in text(page) and 'href="/ru/apply"' in text(page)
    r = b.signin(email, 'not-the-password')
    assert r.status == 401, r
    html = text(r)
    assert 'The e-mail or the password is wrong.' in html
    assert '<div class="usa-alert usa-alert--error" role="alert"' in html and 'href="#signin-email"' in html
    assert f'value="{email}"' in html  # the e-mail is kept, the password is not
    assert 'not-the-password' not in html
    assert 'ap_session' not in b.cookies
    # an unknown address gets the very same answer (no enumeration)
    other = Browser().signin('nobody@e2e.gov.kz', 'not-the-password')
    assert other.status == 401 and 'The e-mail or the password is wrong.' in text(other)
    # blank fields are shown at the fields
    r = b.signin('', '')
    assert r.status == 422 and text(r).count('usa-form-group--error') == 2, r
    r = b.signin(email, next_='/en/registry?q=x')
    assert r.status == 303 and location(r) == '/en/registry?q=x', r
    sc = r.header('Set-Cookie')
    assert 'ap_session=' in sc and 'HttpOnly' in sc and 'SameSite=Strict' in sc and 'Path=/' in sc, sc
    assert b.get('/en/tokens').status == 200
    r = Browser().signin(email)
    assert r.status == 303 and location(r) == '/en/workspace', r


def test_lockout_message():
    email = SRV.user('owner-viewer', 'org-nit')
    b = Browser()
    for i in range(5):
        assert b.signin(email, f'wrong-{i}').status == 401
    r = b.signin(email)  # the right password, during the lockout
    assert r.status == 429, r
    assert int(r.header('Retry-After')) > 0
    assert re.search(r'Too many failed sign-in attempts\. Try again in \d+ min\.', text(r)), text(r)
    assert 'ap_session' not in b.cookies
    r = Browser().request('POST', '/ru/signin', form={'email': email, 'password': PASSWORD})
    assert r.status == 429 and 'Слишком много неудачных попыток входа' in text(r)


def test_busy_sign_in_is_a_page():
    """Sign-ins beyond what the hashing pool holds are answered at once
    with a 503 page in the visitor's language (not a JSON problem), with
    Retry-After."""
    answers = []

    def one(i):
        h = {'Accept': 'text/html', 'Content-Type': 'application/x-www-form-urlencoded',
             'Origin': f'http://127.0.0.1:{SRV.port}'}
        body = urllib.parse.urlencode({'email': f'busy-{i}@test.gov.kz', 'password': 'Wrong-Passw0rd!'})
        answers.append(SRV.request('POST', '/ru/signin', body=body, headers=h, source=f'127.0.5.{i + 1}'))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    busy = [r for r in answers if r.status == 503]
    assert busy and len(answers) == 32, [r.status for r in answers]
    r = busy[0]
    assert r.header('Content-Type').startswith('text/html') and r.header('Retry-After') == '1', r.headers
    assert 'Портал перегружен' in text(r), text(r)


def test_next_cannot_leave_the_portal():
    email = SRV.user('owner-viewer', 'org-nit')
    for bad in ['https://evil.example/', '//evil.example/x', '/\\evil.example', '/en//evil.example',
                'javascript:alert(1)', '/xx/registry', '/en\r\nSet-Cookie: x=1', ' /en/registry', '/english']:
        r = Browser().signin(email, next_=bad)
        assert r.status == 303 and location(r) == '/en/workspace', (bad, r.headers)
    page = Browser().get('/en/signin?next=%2F%2Fevil.example')
    assert 'name="next" value=""' in text(page)
    page = Browser().get('/en/signin?next=%2Fen%2Ftokens')
    assert 'name="next" value="/en/tokens"' in text(page)


def test_signout():
    email = SRV.user('owner-viewer', 'org-nit')
    b = Browser()
    assert b.signin(email).status == 303
    cookie = b.cookies['ap_session']
    r = b.post('/en/signout', {})
    assert r.status == 303 and location(r) == '/en', r
    assert 'Max-Age=0' in r.header('Set-Cookie') and 'ap_session' not in b.cookies
    assert 'action="/en/signout"' not in text(b.get('/en'))
    # the old session is over on the server too
    old = SRV.get('/en/tokens', headers={'Accept': 'text/html', 'Cookie': f'ap_session={cookie}'})
    assert old.status == 303 and location(old).startswith('/en/signin?next='), old
    assert SRV.get('/api/v1/me/tokens', headers={'Cookie': f'ap_session={cookie}'}).status == 401


def test_csrf_and_origin():
    email = SRV.user('owner-editor', 'org-nit')
    b = Browser()
    assert b.signin(email).status == 303
    before = my_tokens(b)
    # without the token
    r = b.post('/en/tokens', {'name': 'csrf', 'scope': 'read'}, with_csrf=False)
    assert r.status == 403, r
    # with a wrong one
    r = b.request('POST', '/en/tokens', form={'name': 'csrf', 'scope': 'read', '_csrf': 'x' * 44})
    assert r.status == 403, r
    # from another site, even with the token
    r = b.post('/en/tokens', {'name': 'csrf', 'scope': 'read'}, origin='https://evil.example')
    assert r.status == 403, r
    r = b.post('/en/tokens', {'name': 'csrf', 'scope': 'read'}, headers={'Sec-Fetch-Site': 'cross-site'})
    assert r.status == 403, r
    # sign-out without the token does not end the session
    assert b.post('/en/signout', {}, with_csrf=False).status == 403
    assert my_tokens(b) == before
    # an anonymous form from another site changes nothing either
    n = len(applications())
    r = Browser().request('POST', '/en/apply', form=dict(FORM, email='csrf@test.gov.kz'),
                          origin='https://evil.example')
    assert r.status == 403 and len(applications()) == n, r


def test_apply_and_its_errors():
    # REQ: ACC-01
    b = Browser()
    page = b.get('/kk/apply')
    assert page.status == 200
    for name in FORM:
        assert f'name="{name}"' in text(page), name
    # blank required fields and a bad phone: errors at the fields, input kept
    r = b.request('POST', '/ru/apply', form=dict(FORM, last_name='', position=' ', phone='abc'))
    assert r.status == 422, r
    html = text(r)
    assert 'href="#apply-last_name"' in html and 'href="#apply-position"' in html
    assert html.count('Заполните это поле.') >= 2 and FORM['organization_name'].replace('«', '«') in html
    r = b.request('POST', '/ru/apply', form=dict(FORM, phone='abc'))
    assert r.status == 422 and 'href="#apply-phone"' in text(r) and 'value="abc"' in text(r), r
    # every problem at once: the e-mail and the phone both marked
    r = b.request('POST', '/ru/apply', form=dict(FORM, email='not-mail', phone='abc'))
    assert r.status == 422 and 'href="#apply-email"' in text(r) and 'href="#apply-phone"' in text(r), r
    n = len(applications())
    assert n == len(applications('all'))
    r = b.request('POST', '/ru/apply', form=FORM)
    assert r.status == 303 and re.fullmatch(r'/ru/apply\?done=sent&ref=A-\d{4}-\d{6}', location(r)), r
    done = b.get(location(r))
    assert done.status == 200 and 'Заявка принята' in text(done)
    mine = [a for a in applications() if a['form']['email'] == FORM['email']]
    # the page's language is the applicant's (their messages' and activation link's)
    assert len(mine) == 1 and mine[0]['status'] == 'pending' and \
        mine[0]['form'] == dict(stored(FORM), lang='ru'), mine


def decider():
    email = SRV.user('integrator-verifier', 'org-nit')
    b = Browser()
    assert b.signin(email).status == 303
    return b


def app_section(html, app_id):
    """The part of the applications page about one application."""
    return html.split(f'aria-labelledby="app-{app_id}"', 1)[1].split('</section>', 1)[0]


def test_apply_organisation_access_and_consent():
    """The applicant finds the organisation in the registry (or asks for a
    new one with its BIN), chooses the access from the roles the
    integrator gives, and must consent to the processing of personal data;
    every missing choice is reported at once. The reference number is
    shown; deciding, the integrator finds the organisation preselected."""
    # REQ: ACC-01
    # REQ: ACC-02
    n = len(applications('all'))
    bare = {k: v for k, v in FORM.items()
            if k not in ('organization', 'requested_role', 'personal_data_consent')}
    r = Browser().request('POST', '/en/apply', form=dict(bare, email='choices@test.gov.kz'))
    assert r.status == 422, r
    html = text(r)
    for link in ('#apply-org_q', '#apply-role-owner-editor', '#apply-personal_data_consent'):
        assert f'href="{link}"' in html, link
    assert 'without it the application cannot be considered' in html
    # the access offered is what the integrator gives, labelled from the rights file
    assert 'value="owner-editor"' in html and 'value="owner-viewer"' in html
    assert 'value="admin"' not in html and 'value="approver"' not in html
    for bad in [dict(FORM, personal_data_consent=''), dict(FORM, personal_data_consent='pd-consent-1999'),
                dict(FORM, requested_role='admin'), dict(FORM, organization_bin='123456789012'),
                dict(FORM, organization='org-nowhere')]:
        r = Browser().request('POST', '/en/apply', form=dict(bad, email='choices@test.gov.kz'))
        assert r.status == 422, (bad, r)
    assert 'href="#apply-organization_bin"' in text(Browser().request(
        'POST', '/en/apply', form=dict(FORM, email='choices@test.gov.kz', organization_bin='1')))
    assert len(applications('all')) == n
    # the search button finds by words and keeps what was typed; GET finds by BIN too
    orgs = SRV.get('/api/v1/organizations?limit=50').json()['items']
    nit = [o for o in orgs if o['id'] == 'org-nit'][0]
    other = [o for o in orgs if o['id'] != 'org-nit' and o.get('bin')][0]
    r = Browser().request('POST', '/ru/apply', form=dict(bare, _find='1', org_q='Национальные информационные'))
    assert r.status == 200 and 'value="org-nit"' in text(r) and 'value="Серікбаев"' in text(r), r
    assert 'error-summary' not in text(r)  # a search reports no errors
    page = text(Browser().get('/kk/apply?org_q=' + nit['bin']))
    assert 'value="org-nit"' in page and f'БСН {nit["bin"]}' in page
    assert 'ничего' not in page and 'ештеңе табылмады' in text(Browser().get('/kk/apply?org_q=zzzqqq'))
    # a BIN the registry does not know is offered for the new organisation
    page = text(Browser().get('/en/apply?org_q=' + valid_bin(8900)))
    assert f'id="apply-organization_bin" name="organization_bin" type="text" value="{valid_bin(8900)}"' in page
    # picked: sent, and the reference number shown
    b = Browser()
    r = b.request('POST', '/en/apply', form=dict(bare, email='picked@test.gov.kz', organization='org-nit',
                                                 requested_role='owner-viewer',
                                                 personal_data_consent=CONSENT),
                  source='127.0.3.1')
    assert r.status == 303, r
    ref = location(r).split('ref=')[1]
    done = text(b.get(location(r)))
    assert ref in done and 'reference number' in done
    assert 'ref=<' not in done and '<b>' not in text(b.get('/en/apply?done=sent&ref=<b>x</b>'))
    picked = [a for a in applications() if a['form']['email'] == 'picked@test.gov.kz'][0]
    assert picked['ref'] == ref and picked['form']['requested_role'] == 'owner-viewer'
    assert picked['consent']['version'] == CONSENT
    # a new one whose BIN is that of an organisation in the registry
    r = Browser().request('POST', '/en/apply', form=dict(FORM, email='bymatch@test.gov.kz',
                                                         organization_bin=other['bin']),
                          source='127.0.3.2')
    assert r.status == 303, r
    bybin = [a for a in applications() if a['form']['email'] == 'bymatch@test.gov.kz'][0]
    # and one the registry does not know
    unknown = [a for a in applications() if a['form']['email'] == FORM['email']]
    html = text(decider().get('/en/applications'))
    mine = app_section(html, picked['id'])
    assert '<option value="org-nit" selected>' in mine and 'chose it from the registry' in mine
    assert ref in mine and 'Owner (viewer)' in mine and CONSENT in mine
    mine = app_section(html, bybin['id'])
    assert f'<option value="{other["id"]}" selected>' in mine and 'its BIN is the one' in mine
    if unknown:
        mine = app_section(html, unknown[0]['id'])
        assert ' selected>' not in mine and 'not in the registry' in mine
        assert 'href="/en/organizations/new"' in mine


def test_applications_grant_refuse_and_rights():
    # REQ: ACC-02
    form = dict(FORM, email='web.refused@test.gov.kz', last_name='Отказов')
    assert Browser().request('POST', '/en/apply', form=form).status == 303
    app = [a for a in applications() if a['form']['email'] == form['email']][0]
    # the public is sent to sign in; others may not
    r = Browser().get('/en/applications')
    assert r.status == 303 and location(r) == '/en/signin?next=%2Fen%2Fapplications', r
    other = Browser()
    assert other.signin(SRV.user('owner-editor', 'org-nit')).status == 303
    assert other.get('/en/applications').status == 403
    assert other.post(f'/en/applications/{app["id"]}/refuse', {'reason': 'нет'}).status == 403
    assert other.post(f'/en/applications/{app["id"]}/grant', {'organization': 'org-nit'}).status == 403
    assert applications('pending') and app['id'] in [a['id'] for a in applications('pending')]
    b = decider()
    page = b.get('/en/applications')
    assert page.status == 200 and 'Отказов Асқар Маратұлы' in text(page), page
    # a refusal needs a reason
    r = b.post(f'/en/applications/{app["id"]}/refuse', {'reason': '  '})
    assert r.status == 422 and f'href="#refuse-{app["id"]}-reason"' in text(r), r
    r = b.post(f'/en/applications/{app["id"]}/grant', {'organization': ''})
    assert r.status == 422 and f'href="#grant-{app["id"]}-organization"' in text(r), r
    assert app['id'] in [a['id'] for a in applications('pending')]
    r = b.post(f'/en/applications/{app["id"]}/refuse', {'reason': 'Организация не найдена'})
    assert r.status == 303 and location(r) == '/en/applications?done=refused', r
    got = [a for a in applications() if a['id'] == app['id']][0]
    assert got['status'] == 'refused' and got['reason'] == 'Организация не найдена'
    assert 'The application was refused' in text(b.get(location(r)))
    # decided once only
    assert b.post(f'/en/applications/{app["id"]}/grant', {'organization': 'org-nit'}).status == 409


def test_activation_via_the_new_link():
    # REQ: ACC-02
    # REQ: ACC-03
    app = [a for a in applications('pending') if a['form']['email'] == FORM['email']][0]
    b = decider()
    page = text(b.get('/ru/applications'))
    assert 'value="org-nit"' in page
    r = b.post(f'/ru/applications/{app["id"]}/grant', {'organization': 'org-nit'})
    assert r.status == 303 and location(r) == '/ru/applications?done=granted', r
    assert [a for a in applications() if a['id'] == app['id']][0]['status'] == 'granted'
    # applied in Russian: the link opens the Russian page, whatever the browser says
    link = outbox_link(FORM['email'], 'activate', 'ru')
    v = Browser()
    page = v.request('GET', '/ru' + link, headers={'Accept-Language': 'en'})
    assert page.status == 200 and 'Активация учётной записи' in text(page)
    secret = link.split('s=')[1]
    assert f'name="s" value="{secret}"' in text(page)
    # a weak password, then two different ones: shown at the field, nothing set
    r = v.request('POST', '/ru/activate', form={'s': secret, 'password': 'short', 'password2': 'short'})
    assert r.status == 422 and 'href="#link-password"' in text(r) and 'Пароль слишком простой' in text(r), r
    r = v.request('POST', '/ru/activate', form={'s': secret, 'password': NEW_PASSWORD, 'password2': 'x'})
    assert r.status == 422 and 'href="#link-password2"' in text(r), r
    r = v.request('POST', '/ru/activate', form={'s': secret, 'password': NEW_PASSWORD, 'password2': NEW_PASSWORD})
    assert r.status == 303 and location(r) == '/ru/signin?done=password', r
    assert 'Пароль установлен' in text(v.get(location(r)))
    assert v.signin(FORM['email'], NEW_PASSWORD).status == 303
    # the link is spent
    r = Browser().get('/en' + link)
    assert r.status == 200  # the form is shown; using it says why it cannot be used
    r = Browser().request('POST', '/en/activate', form={'s': secret, 'password': NEW_PASSWORD + 'x',
                                                         'password2': NEW_PASSWORD + 'x'})
    assert r.status == 410 and 'This link has already been used' in text(r), r
    r = Browser().request('POST', '/en/activate', form={'s': 'A' * 43, 'password': NEW_PASSWORD,
                                                         'password2': NEW_PASSWORD})
    assert r.status == 404 and 'This link is not known' in text(r), r


def test_reset_flow():
    email = SRV.user('owner-viewer', 'org-nit')
    b = Browser()
    assert b.get('/en/forgot').status == 200
    known = b.request('POST', '/en/forgot', form={'email': email})
    unknown = b.request('POST', '/en/forgot', form={'email': 'nobody-here@e2e.gov.kz'})
    assert known.status == unknown.status == 303, (known, unknown)
    assert location(known) == location(unknown) == '/en/forgot?done=sent'
    assert 'a link to set a new password was sent' in text(b.get('/en/forgot?done=sent'))
    link = outbox_link(email, 'reset', 'kk')  # a user of no known language: the portal's
    assert link.startswith('/reset?s=')
    page = b.get('/en' + link)
    assert page.status == 200 and 'Set a new password' in text(page)
    secret = link.split('s=')[1]
    r = b.request('POST', '/en/reset', form={'s': secret, 'password': NEW_PASSWORD, 'password2': NEW_PASSWORD})
    assert r.status == 303 and location(r) == '/en/signin?done=password', r
    assert Browser().signin(email, PASSWORD).status == 401
    assert Browser().signin(email, NEW_PASSWORD).status == 303


def test_tokens_create_and_revoke():
    email = SRV.user('owner-editor', 'org-nit')
    r = Browser().get('/kk/tokens')
    assert r.status == 303 and location(r) == '/kk/signin?next=%2Fkk%2Ftokens', r
    b = Browser()
    assert b.signin(email, next_='/kk/tokens').status == 303
    assert b.get('/kk/tokens').status == 200
    r = b.post('/en/tokens', {'name': '', 'scope': 'read'})
    assert r.status == 422 and 'href="#token-name"' in text(r), r
    r = b.post('/en/tokens', {'name': 'no scope'})
    assert r.status == 422 and 'href="#token-scope-read"' in text(r), r
    assert my_tokens(b) == []
    r = b.post('/en/tokens', {'name': 'Деплой', 'scope': 'read'})
    assert r.status == 200, r
    secret = re.search(r'id="new-token">(apt_[A-Za-z0-9_-]{43})<', text(r)).group(1)
    assert 'no-store' in ','.join(v for k, v in r.headers if k.lower() == 'cache-control')
    assert SRV.get('/api/v1/me', token=secret).status == 200
    # the secret is shown once: not on the list
    listing = text(b.get('/en/tokens'))
    assert secret not in listing and 'Деплой' in listing
    tok = my_tokens(b)
    assert len(tok) == 1 and tok[0]['scopes'] == ['read']
    r = b.post(f'/en/tokens/{tok[0]["id"]}/revoke', {})
    assert r.status == 303 and location(r) == '/en/tokens?done=revoked', r
    assert SRV.get('/api/v1/me', token=secret).status == 401
    assert 'The token was revoked' in text(b.get(location(r)))
    # another user cannot revoke it (nor see it)
    other = Browser()
    assert other.signin(SRV.user('owner-editor', 'org-nit')).status == 303
    assert other.post(f'/en/tokens/{tok[0]["id"]}/revoke', {}).status in (403, 404)


def test_scripts_are_shown_as_text():
    def inert(r):
        html = text(r)
        assert '<script>alert(1)' not in html, html
        assert '&lt;script&gt;alert(1)&lt;/script&gt;' in html, html
    r = Browser().signin(SCRIPT, SCRIPT)
    assert r.status == 401
    inert(r)
    r = Browser().request('POST', '/en/apply', form={k: SCRIPT for k in FORM})
    assert r.status == 422
    inert(r)
    # every text field shows it back as text; the choices (organisation,
    # access, consent) are not shown back, as none matches
    assert text(r).count('&lt;script&gt;alert(1)&lt;/script&gt;') == len(FORM) - 3
    b = Browser()
    assert b.signin(SRV.user('owner-editor', 'org-nit')).status == 303
    r = b.post('/en/tokens', {'name': SCRIPT * 30, 'scope': 'read'})
    assert r.status == 422
    inert(r)
    d = decider()
    assert Browser().request('POST', '/en/apply', form=dict(FORM, email='xss@test.gov.kz',
                                                            last_name=SCRIPT, access_purpose=SCRIPT)).status == 303
    page = d.get('/en/applications')
    inert(page)
    r = Browser().get('/en/activate?s=' + urllib.parse.quote(SCRIPT))
    inert(r)
    r = Browser().request('POST', '/en/signin', form={'email': SCRIPT, 'password': 'x', 'next': SCRIPT})
    inert(r)
    r = d.post(f'/en/applications/{applications("pending")[0]["id"]}/refuse', {'reason': SCRIPT * 300})
    assert r.status == 422
    inert(r)


class LoggingServer(Server):
    """A server that keeps its access log (the harness's is --quiet)."""

    def start(self):
        args = [BIN, 'serve', '--data', self.data, '--listen', f'127.0.0.1:{self.port}']
        self.log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.get('/healthz').status == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError('server did not become healthy')


def test_link_secrets_stay_out_of_the_access_log():
    secret = 'S3cretInTheQuery' + 'x' * 27
    with LoggingServer() as srv:
        for path in ['/activate?s=', '/en/activate?s=', '/ru/reset?s=']:
            r = srv.get(path + secret, headers={'Accept': 'text/html'})
            assert r.status in (200, 303), r
            if r.status == 200:
                assert 'same-origin' == r.header('Referrer-Policy')
        r = srv.request('POST', '/en/activate', body=f's={secret}&password=x&password2=x',
                        headers={'Content-Type': 'application/x-www-form-urlencoded'})
        assert r.status == 404, r  # an unknown link
        srv.stop()
        log = open(srv.log_path, errors='replace').read()
    assert '"path":"/en/activate"' in log and '"path":"/activate"' in log, log[-2000:]
    assert 'S3cretInTheQuery' not in log


def main():
    global SRV, INTEGRATOR, SMTP
    with SMTPServer() as smtp, Server(demo=True, extra=['--smtp', f'smtp://127.0.0.1:{smtp.port}',
                                                         '--mail-from', 'portal@e2e.gov.kz',
                                                         '--scan-every-s', '0']) as srv:
        SMTP = smtp
        SRV = srv
        INTEGRATOR = srv.token('integrator-verifier', 'org-nit')
        run([test_signin_success_and_failure, test_lockout_message, test_busy_sign_in_is_a_page,
             test_next_cannot_leave_the_portal,
             test_signout, test_csrf_and_origin, test_apply_and_its_errors,
             test_apply_organisation_access_and_consent,
             test_applications_grant_refuse_and_rights, test_activation_via_the_new_link, test_reset_flow,
             test_tokens_create_and_revoke, test_scripts_are_shown_as_text,
             test_link_secrets_stay_out_of_the_access_log])


if __name__ == '__main__':
    main()
