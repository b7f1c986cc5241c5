"""End-to-end tests of notifications (issue 4, part 6): messages reach a real
SMTP server on loopback (smtpd.py) and each user's inbox — activation links,
decisions on applications, the workflow's returns and registrations — a
dead or refusing mail server loses nothing, reminders two working days
before a deadline and daily digests of missed ones go exactly once, subjects
in Kazakh decode, and nothing in the data can add a header."""
import email.utils
import json
import os
import re
import sqlite3
import tempfile
import time
import uuid
from datetime import datetime, timezone

from harness import COMPLETE, Server, assert_problem, cli, place_documents, run, valid_bin
from smtpd import SMTPServer, dead_port

SRV = None
SMTP = None
ADMIN = None
INTEGRATOR = None
VERIFIER_EMAIL = None
VERIFIER = None
MAIL_FROM = 'portal@e2e.gov.kz'
PASSWORD = 'Жаңа-Пароль-2026!'
HEADERS = {'Date', 'From', 'To', 'Subject', 'Message-ID', 'MIME-Version', 'Content-Type',
           'Content-Transfer-Encoding', 'Auto-Submitted'}
CONSENT = 'pd-consent-2026-12'  # the version of the consent text in force
FORM = {
    'organization_name': 'ГУ «Аппарат акима района Тест»',
    'structural_unit': 'Отдел цифровизации',
    'last_name': 'Нұрланов',
    'first_name': 'Ғалым',
    'position': 'Главный специалист',
    'phone': '+7 (7172) 55-00-01',
    'email': 'g.nurlanov@akimat-test.gov.kz',
    'access_purpose': 'Учёт информационных систем',
    'personal_data_consent': CONSENT,
}


def server_args(port, *more):
    return ['--smtp', f'smtp://127.0.0.1:{port}', '--mail-from', MAIL_FROM, '--scan-every-s', '0',
            *more]


def person(role, org, lang=None):
    """A new active user: (e-mail, personal token). With lang, they sign in
    once with it (Accept-Language), which makes it their messages'."""
    mail = SRV.user(role, org)
    tok = cli(SRV.data, 'token', 'create', '--name', 'e2e', '--user', mail).stdout.decode().strip()
    if lang:
        r = SRV.request('POST', '/api/v1/session', {'email': mail, 'password': 'Corr3ct-Horse-Battery'},
                        headers={'Accept-Language': lang})
        assert r.status == 200 and r.json()['user']['lang'] == lang, r
    return mail, tok


def make_org(n):
    body = {'name': {'ru': f'Ведомство уведомлений {n}', 'kk': f'Хабарлама ведомствосы {n}'},
            'bin': valid_bin(8600 + n), 'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def draft(org, token, name='Система обращений'):
    body = dict(COMPLETE, kind='information_system', owner=org, name={'ru': name}, stage='creation')
    r = SRV.request('POST', '/api/v1/objects', body, token=token)
    assert r.status == 201, r
    place_documents(SRV, r.json()['id'], token)  # ready to be submitted
    return r.json()


def outbox(srv=None, token=None):
    srv = srv or SRV
    r = srv.get('/api/v1/outbox', token=token or ADMIN)
    assert r.status == 200, r
    return r.json()['items']


def inbox(token, query=''):
    r = SRV.get('/api/v1/inbox' + query, token=token)
    assert r.status == 200, r
    return r.json()


def wait_until(pred, timeout=30, what='condition'):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f'timed out waiting for {what}')


def cal_add(at, days):
    r = SRV.get(f'/api/v1/calendar/add?at={at}&days={days}')
    assert r.status == 200, r
    return r.json()['due']


def scan(at):
    out = cli(SRV.data, 'notify', 'scan', '--at', at).stdout.decode()
    m = re.match(r'reminders (\d+), digests (\d+), messages (\d+)', out)
    assert m, out
    return tuple(int(x) for x in m.groups())


def db(data=None):
    return sqlite3.connect(os.path.join(data or SRV.data, 'archportal.db'), timeout=30)


def insert_obligation(policy, subject, org, role, started, due):
    oid = str(uuid.uuid4())
    with db() as c:
        c.execute('INSERT INTO obligations(id, policy, policy_value, subject, debtor_org, debtor_role, '
                  'started_at, due_at) VALUES (?, ?, 5, ?, ?, ?, ?, ?)',
                  (oid, policy, subject, org, role, started, due))
    return oid


def check_message(m, to):
    """What every message must look like on the wire."""
    assert m.mail_from == MAIL_FROM and m.to == [to], m
    assert not m.bare_lf, m.data
    head, _, body = m.data.partition(b'\r\n\r\n')
    assert b'\n' not in m.data.replace(b'\r\n', b''), 'a line ends without CR'
    lines = head.split(b'\r\n')
    names = {line.split(b':', 1)[0].decode() for line in lines if not line.startswith(b' ')}
    assert names == HEADERS, names
    for line in lines:
        assert len(line) <= 78 or line.startswith((b'To:', b'Message-ID:')), line
        assert all(32 <= b < 127 for b in line), line  # every header byte is ASCII
    p = m.parsed
    assert p['From'].addresses[0].addr_spec == MAIL_FROM and 'портал' in p['From'].addresses[0].display_name
    assert p['To'].addresses[0].addr_spec == to
    assert p.get_content_type() == 'text/plain' and p.get_content_charset() == 'utf-8'
    assert p['Content-Transfer-Encoding'] == 'base64' and p['MIME-Version'] == '1.0'
    assert p['Auto-Submitted'] == 'auto-generated'
    assert re.fullmatch(r'<archportal\.\d+\.\d+@e2e\.gov\.kz>', p['Message-ID']), p['Message-ID']
    sent = email.utils.parsedate_to_datetime(p['Date'])
    assert abs((datetime.now(timezone.utc) - sent).total_seconds()) < 600, p['Date']


def test_activation_link_arrives_by_email():
    # REQ: ACC-01
    # REQ: ACC-02
    # REQ: ACC-03
    # REQ: X-I18N-01
    # applied in Russian: the messages and the activation page are Russian
    app = SRV.request('POST', '/api/v1/account-applications', FORM,
                      headers={'Accept-Language': 'ru-RU,ru;q=0.9,en;q=0.5'}).json()
    org = make_org(1)
    got = SRV.get(f'/api/v1/account-applications/{app["id"]}', token=INTEGRATOR).json()
    assert got['form']['lang'] == 'ru', got
    g = SRV.request('POST', f'/api/v1/account-applications/{app["id"]}/grant',
                    {'organization': org, 'roles': ['owner-editor']}, token=INTEGRATOR)
    assert g.status == 200, g
    msgs = SMTP.wait_for(lambda m: FORM['email'] in m.to, n=3)
    for m in msgs:
        check_message(m, FORM['email'])
    act = [m for m in msgs if m.parsed['Subject'] == 'Активация учётной записи']
    granted = [m for m in msgs if m.parsed['Subject'] == 'Заявка одобрена']
    assert len(act) == 1 and len(granted) == 1, msgs
    # the applicant was told the reference number as the application came,
    # in the language they applied in
    received = [m for m in msgs if m.parsed['Subject'] == 'Заявка принята']
    assert len(received) == 1 and re.fullmatch(r'A-\d{4}-\d{6}', app['ref']), (msgs, app)
    assert app['ref'] in received[0].body() and app['due_at'][:10] in received[0].body()
    assert 'Application received' not in received[0].body()
    # labels in the recipient's language, never ids, and one language only
    body = granted[0].body()
    assert '«Ведомство уведомлений 1»' in body and 'Владелец (редактор)' in body, body
    assert org not in body and 'owner-editor' not in body and 'Organization' not in body, body
    assert 'Хабарлама' not in body and 'Ұйым' not in body, body
    secret = re.search(r'/ru/activate\?s=([A-Za-z0-9_-]{43})\n', act[0].body()).group(1)
    assert 'Задайте пароль' in act[0].body() and 'Set your password' not in act[0].body()
    r = SRV.request('POST', '/api/v1/activation', {'token': secret, 'password': PASSWORD})
    assert r.status == 204, r
    r = SRV.request('POST', '/api/v1/session', {'email': FORM['email'], 'password': PASSWORD})
    assert r.status == 200, r
    cookie = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1)
    box = SRV.get('/api/v1/inbox', headers={'Cookie': f'ap_session={cookie}'}).json()
    # the decision is in the inbox; the link only went by e-mail
    assert [i['template'] for i in box['items']] == ['application-granted'], box
    assert box['unread'] == 1 and secret not in json.dumps(box)
    # the relay has the messages; the sender records that a moment later
    def both_sent():
        sent = [o for o in outbox() if o['recipient'] == FORM['email'] and o['sent_at']
                and o['template'] != 'application-received']
        return sent if len(sent) == 2 else None
    rows = wait_until(both_sent, what='sent_at')
    assert all(o['attempts'] == 1 and o['last_error'] is None for o in rows), rows
    assert {o['template'] for o in rows} == {'activate', 'application-granted'}
    assert len({o['user_id'] for o in rows}) == 1 and rows[0]['user_id']
    # a refusal reaches the applicant, who has no account (a plain address)
    other = dict(FORM, email='refused@akimat-test.gov.kz')
    app = SRV.request('POST', '/api/v1/account-applications', other).json()
    r = SRV.request('POST', f'/api/v1/account-applications/{app["id"]}/refuse',
                    {'reason': 'Заявитель не является госорганом'}, token=INTEGRATOR)
    assert r.status == 200, r
    # no language said: the portal's, kk
    m = SMTP.wait_for(lambda m: other['email'] in m.to and m.parsed['Subject'] == 'Өтінім қабылданбады')[0]
    check_message(m, other['email'])
    assert 'не является госорганом' in m.body()
    row = wait_until(lambda: next((o for o in outbox() if o['recipient'] == other['email'] and o['sent_at']
                                   and o['template'] == 'application-refused'),
                                  None), what='sent_at')
    assert row['user_id'] is None


def test_workflow_messages_reach_the_owner_editors():
    # REQ: REG-03
    # REQ: REG-04
    # REQ: X-I18N-01
    org = make_org(2)
    ed1, tok1 = person('owner-editor', org)
    ed2, tok2 = person('owner-editor', org, 'en')
    viewer, vtok = person('owner-viewer', org)
    rec = draft(org, tok1, 'Сервис «Әкімдік-Онлайн»')
    assert SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=tok1).status == 200
    remark = 'Уточните назначение системы'
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify',
                    {'decision': 'return', 'remarks': [{'field': 'purpose', 'text': remark}]}, token=VERIFIER)
    assert r.status == 200, r
    msgs = SMTP.wait_for(lambda m: remark in m.body(), n=2)
    assert sorted(m.to[0] for m in msgs) == sorted([ed1, ed2]), msgs
    # each in their own language, the remark under its field's label
    want = {ed1: ('Ескертулермен қайтарылды: «Сервис «Әкімдік-Онлайн»»', 'Мақсаты: ' + remark),
            ed2: ('Returned with remarks: «Сервис «Әкімдік-Онлайн»»', 'Purpose: ' + remark)}
    for m in msgs:
        check_message(m, m.to[0])
        subject, line = want[m.to[0]]
        assert m.parsed['Subject'] == subject, m.parsed['Subject']
        assert rec['id'] in m.body() and line in m.body() and 'purpose:' not in m.body(), m.body()
    # the editors' inboxes hold it, unread; the viewer's does not
    box = inbox(tok1)
    mine = [i for i in box['items'] if i['subject_ref'] == rec['id']]
    assert len(mine) == 1 and mine[0]['template'] == 'record-returned' and mine[0]['read_at'] is None
    assert remark in mine[0]['body'] and box['unread'] >= 1
    assert inbox(vtok)['items'] == []
    assert [i['id'] for i in inbox(tok1, '?unread=1')['items']].count(mine[0]['id']) == 1
    # reading: own messages only
    assert_problem(SRV.request('POST', f'/api/v1/inbox/{mine[0]["id"]}/read', token=tok2), 404)
    assert_problem(SRV.request('POST', '/api/v1/inbox/abc/read', token=tok1), 404)
    assert_problem(SRV.request('POST', f'/api/v1/inbox/{mine[0]["id"]}/read'), 401)
    r = SRV.request('POST', f'/api/v1/inbox/{mine[0]["id"]}/read', token=tok1)
    assert r.status == 200 and r.json()['read_at'], r
    first_read = r.json()['read_at']
    again = SRV.request('POST', f'/api/v1/inbox/{mine[0]["id"]}/read', token=tok1).json()
    assert again['read_at'] == first_read
    assert inbox(tok1)['unread'] == box['unread'] - 1
    assert mine[0]['id'] not in [i['id'] for i in inbox(tok1, '?unread=1')['items']]
    # the second editor's copy is still unread
    assert any(i['subject_ref'] == rec['id'] for i in inbox(tok2, '?unread=true')['items'])
    # resubmitted and registered: the code reaches both editors
    rec = SRV.get(f'/api/v1/objects/{rec["id"]}', token=tok1).json()
    r = SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}', {'purpose': {'ru': 'Приём обращений'}},
                    token=tok1, headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    assert SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=tok1).status == 200
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify', {'decision': 'accept'}, token=VERIFIER)
    assert r.status == 200, r
    code = r.json()['accounting_code']
    msgs = SMTP.wait_for(lambda m: code in m.parsed['Subject'], n=2)
    assert sorted(m.to[0] for m in msgs) == sorted([ed1, ed2])
    subjects = {m.to[0]: m.parsed['Subject'] for m in msgs}
    assert subjects == {ed1: f'Есепке алынды: «Сервис «Әкімдік-Онлайн»» {code}',
                        ed2: f'Registered: «Сервис «Әкімдік-Онлайн»» {code}'}, subjects
    assert all(code in m.body() for m in msgs)
    assert 'Accounting code: ' + code in next(m for m in msgs if m.to[0] == ed2).body()
    assert any(i['template'] == 'record-accepted' and i['subject_ref'] == rec['id']
               for i in inbox(tok2)['items'])
    assert not SMTP.to(viewer)


def test_inbox_api_refuses_bad_requests():
    _, tok = person('owner-viewer', 'org-nit')
    assert_problem(SRV.get('/api/v1/inbox'), 401)
    assert_problem(SRV.get('/api/v1/inbox?limit=0', token=tok), 400, 'limit')
    assert_problem(SRV.get('/api/v1/inbox?limit=501', token=tok), 400, 'limit')
    assert_problem(SRV.get('/api/v1/inbox?unread=maybe', token=tok), 400, 'unread')
    assert_problem(SRV.get('/api/v1/inbox?before=-1', token=tok), 400, 'before')
    assert_problem(SRV.get('/api/v1/inbox?sort=x', token=tok), 400, 'sort')
    assert_problem(SRV.request('POST', '/api/v1/inbox/99999999/read', token=tok), 404)
    assert SRV.get('/api/v1/inbox?limit=1&before=5', token=tok).json() == {'items': [], 'unread': 0}


def test_reminder_two_working_days_before_and_once():
    # REQ: REG-05
    # REQ: X-CAL-01
    # REQ: X-POL-01
    org = make_org(3)
    ed, tok = person('owner-editor', org, 'ru')
    viewer, _ = person('owner-viewer', org)
    rec = draft(org, tok, 'Реестр пособий')
    # started Wednesday 18 March 2026: five working days skip Nauryz (21-23 March) and the days
    # off it moved to 24 and 25 March
    started = '2026-03-18T05:00:00.000Z'
    due = cal_add(started, 5)
    assert due == '2026-03-30T18:59:59.999Z', due
    oid = insert_obligation('owner_update', f'objects/{rec["id"]}', org, None, started, due)
    # one that starts on the day of a scan is not reminded that day
    fresh_start = '2026-03-26T04:00:00.000Z'
    fresh = insert_obligation('owner_update', f'objects/{rec["id"]}', org, None, fresh_start,
                              cal_add(fresh_start, 1))
    # one owed by a role goes to the users holding the role
    by_role = insert_obligation('verification', f'objects/{rec["id"]}', None, 'integrator-verifier',
                                started, due)

    def reminded(ref):
        return [i for i in inbox(tok)['items'] if i['template'] == 'reminder' and i['subject_ref'] == ref]
    # Friday 20 March: without the holidays the deadline would be two working days away
    assert scan('2026-03-20T10:00:00+05:00')[0] == 0
    # 25 March is a day off: 26 and 27 are the next two working days, the deadline is the 30th
    assert scan('2026-03-25T10:00:00+05:00')[0] == 0
    assert not reminded(oid)
    # Thursday 26 March: the 27th and the 30th are the two working days left
    assert scan('2026-03-26T10:00:00+05:00')[0] == 2
    assert len(reminded(oid)) == 1 and not reminded(fresh)
    m = SMTP.wait_for(lambda m: ed in m.to and 'Реестр пособий' in m.parsed['Subject'])[0]
    check_message(m, ed)
    assert m.parsed['Subject'] == 'Срок приближается: «Реестр пособий»', m.parsed['Subject']
    assert '2026-03-30' in m.body() and 'Актуализация данных владельцем' in m.body(), m.body()
    assert 'owner_update' not in m.body() and 'Deadline' not in m.body(), m.body()
    SMTP.wait_for(lambda m: VERIFIER_EMAIL in m.to and 'Реестр пособий' in m.parsed['Subject'])
    # scanned again, the same day and the next: nothing more about it; the fresh one now
    assert scan('2026-03-26T15:00:00+05:00')[0] == 0
    assert scan('2026-03-27T09:00:00+05:00')[0] == 1
    assert len(reminded(oid)) == 1 and len(reminded(fresh)) == 1
    time.sleep(2)  # the sender polls every second: anything extra would have gone by now
    about = [m for m in SMTP.to(ed) if 'Реестр пособий' in m.parsed['Subject']]
    assert len(about) == 2, about  # the first obligation's reminder and the fresh one's
    assert not [m for m in SMTP.to(viewer) if 'Реестр пособий' in m.parsed['Subject']]
    assert len([m for m in SMTP.to(VERIFIER_EMAIL) if 'Реестр пособий' in m.parsed['Subject']]) == 1
    with db() as c:
        kinds = c.execute("SELECT ref FROM notify_sent WHERE kind = 'reminder'").fetchall()
    assert {oid, fresh, by_role} <= {k[0] for k in kinds}


def test_daily_digest_once_per_local_date():
    # REQ: REG-03
    # REQ: REG-05
    # REQ: X-CAL-01
    org = make_org(4)
    ed, tok = person('owner-editor', org, 'en')
    rec = draft(org, tok, 'Система закупок')
    started = '2026-02-02T05:00:00.000Z'
    due = cal_add(started, 2)
    assert due == '2026-02-04T18:59:59.999Z', due
    insert_obligation('owner_update', f'objects/{rec["id"]}', org, None, started, due)
    insert_obligation('verification', f'objects/{rec["id"]}', None, 'integrator-verifier', started, due)
    # before nine in the morning, local time: no digest yet
    assert scan('2026-02-05T08:59:00+05:00')[1] == 0
    reminders, digests, messages = scan('2026-02-05T09:00:00+05:00')
    assert digests >= 2 and messages >= 2, (reminders, digests, messages)
    title = 'Missed deadlines: 2026-02-05'
    m = SMTP.wait_for(lambda m: ed in m.to and m.parsed['Subject'].startswith(title))[0]
    check_message(m, ed)
    assert m.parsed['Subject'] == title + ' (1)' and '«Система закупок»' in m.body() and '2026-02-04' in m.body()
    assert "Owner's update of the data" in m.body() and 'owner_update' not in m.body(), m.body()
    title_kk = 'Мерзімі өткен міндеттемелер: 2026-02-05'
    v = SMTP.wait_for(lambda m: VERIFIER_EMAIL in m.to and m.parsed['Subject'].startswith(title_kk))[0]
    assert v.body().count('«Система закупок»') == 2, v.body()  # the organisation's and the role's
    # who owes each: the organisation's name and the role's label, not their ids
    assert '«Хабарлама ведомствосы 4»' in v.body() and org not in v.body(), v.body()
    assert 'Сервистік интегратор (тексеруші)' in v.body() and 'integrator-verifier' not in v.body(), \
        v.body()
    assert any(i['template'] == 'digest' for i in inbox(tok)['items'])
    # later the same day: nothing; the next day: again, once
    assert scan('2026-02-05T18:00:00+05:00')[1] == 0
    assert scan('2026-02-06T09:30:00+05:00')[1] >= 2
    assert scan('2026-02-06T10:30:00+05:00')[1] == 0
    time.sleep(2)
    digests_to_ed = [m for m in SMTP.to(ed) if 'Missed deadlines' in m.parsed['Subject']]
    assert sorted(m.parsed['Subject'][-14:] for m in digests_to_ed) == ['2026-02-05 (1)', '2026-02-06 (1)'], \
        digests_to_ed


def test_no_header_injection_and_kazakh_subjects():
    # REQ: X-I18N-01
    evil = 'evil@evil.kz'
    r = SRV.request('POST', '/api/v1/users', {'email': f'x@e2e.gov.kz\r\nBcc: {evil}', 'org': 'org-nit',
                                              'roles': ['owner-viewer'], 'last_name': 'А', 'first_name': 'Б'},
                    token=ADMIN)
    assert_problem(r, 422, 'email')
    assert_problem(SRV.request('POST', '/api/v1/account-applications',
                               dict(FORM, email=f'a@b.kz\nBcc: {evil}')), 422, 'email')
    # a record's name holds no line break (refused), and a subject made of
    # one that looks like headers stays one line of the subject
    org = make_org(5)
    ed, tok = person('owner-editor', org)
    body = dict(COMPLETE, kind='information_system', owner=org, stage='creation',
                name={'ru': f'Имя\r\nBcc: {evil}\r\nX-Injected: yes'})
    assert_problem(SRV.request('POST', '/api/v1/objects', body, token=tok), 422, 'name.ru')
    rec = draft(org, tok, f'Имя Bcc: {evil} X-Injected: yes')
    assert SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=tok).status == 200
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify',
                    {'decision': 'return', 'remarks': [{'text': 'Имя с переводом строки'}]}, token=VERIFIER)
    assert r.status == 200, r
    m = SMTP.wait_for(lambda m: ed in m.to)[0]
    check_message(m, ed)
    assert m.parsed['Subject'].endswith(f'«Имя Bcc: {evil} X-Injected: yes»'), m.parsed['Subject']
    # rows changed behind the portal's back cannot add headers either: they are not sent
    kazakh = 'Әкімдікке хабарлама: ә ғ қ ң ө ұ ү һ і — Ә Ғ Қ Ң Ө Ұ Ү Һ І'
    long_subject = 'Ақпараттандыру объектісінің есептік коды берілді ' * 8
    now = datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')
    rows = [(f'victim1@e2e.gov.kz\r\nBcc: {evil}', 'Тақырып', 'мәтін'),
            ('victim2@e2e.gov.kz', f'Тақырып\r\nBcc: {evil}\r\nX-Injected: yes', 'мәтін'),
            ('victim3@e2e.gov.kz', 'Тақырып\u2028X-Injected: yes', 'мәтін'),
            ('kazakh@e2e.gov.kz', kazakh, 'Сәлем!\n.\nБір нүкте жолда жалғыз тұр.\r\n..екі нүкте\n'),
            ('long@e2e.gov.kz', long_subject.strip(), 'ұзын тақырып')]
    ids = []
    with db() as c:
        for to, subject, body in rows:
            cur = c.execute('INSERT INTO outbox(created_at, recipient, template, subject, body, next_attempt_at) '
                            'VALUES (?, ?, ?, ?, ?, ?)', (now, to, 'test', subject, body, now))
            ids.append(cur.lastrowid)
    k = SMTP.wait_for(lambda m: 'kazakh@e2e.gov.kz' in m.to)[0]
    check_message(k, 'kazakh@e2e.gov.kz')
    assert k.parsed['Subject'] == kazakh
    assert k.body() == 'Сәлем!\n.\nБір нүкте жолда жалғыз тұр.\n..екі нүкте\n', k.body()
    long = SMTP.wait_for(lambda m: 'long@e2e.gov.kz' in m.to)[0]
    check_message(long, 'long@e2e.gov.kz')
    assert long.parsed['Subject'] == long_subject.strip()

    def tried():
        got = {o['id']: o for o in outbox() if o['id'] in ids[:3]}
        return got if len(got) == 3 and all(o['attempts'] >= 1 for o in got.values()) else None
    bad = wait_until(tried, what='the injected rows to be tried')
    for o in bad.values():
        assert o['sent_at'] is None and o['last_error'].startswith('not sendable'), o
        assert o['next_attempt_at'] > o['created_at']
    assert not SMTP.to(evil) and not any(t.startswith('victim') for m in SMTP.messages for t in m.to)
    for m in SMTP.messages:
        assert 'Bcc' not in m.parsed and 'X-Injected' not in m.parsed, m.data[:400]
    assert not any(line.upper().startswith('RCPT TO:<' + evil.upper()) for line in SMTP.log)
    # never dropped: the broken rows stay in the outbox for an administrator to mend
    with db() as c:
        c.execute('DELETE FROM outbox WHERE id IN (?, ?, ?)', tuple(ids[:3]))


def test_dead_server_then_refusing_then_working():
    port = dead_port()
    with Server(demo=True, extra=server_args(port, '--smtp-backoff-s', '1')) as srv:
        admin = srv.token('admin')
        to = 'late@e2e.gov.kz'
        r = srv.request('POST', '/api/v1/users', {'email': to, 'org': 'org-nit', 'roles': ['owner-viewer'],
                                                  'last_name': 'Кеш', 'first_name': 'Қалды'}, token=admin)
        assert r.status == 201, r

        def row():
            return next(o for o in outbox(srv, admin) if o['recipient'] == to)
        got = wait_until(lambda: row()['attempts'] >= 2 and row(), what='two failed tries')
        assert got['sent_at'] is None and got['next_attempt_at'] > got['created_at']
        assert re.search(r'connect|refused', got['last_error'], re.I), got
        with SMTPServer(port) as smtp:
            smtp.refuse(-1)
            got = wait_until(lambda: '451' in (row()['last_error'] or '') and row(), what='a 451')
            assert got['sent_at'] is None and not smtp.messages
            tries = got['attempts']
            smtp.refuse(0)
            m = smtp.wait_for(lambda m: to in m.to, timeout=60)[0]
            check_message(m, to)
            assert '/activate?s=' in m.body()
            done = wait_until(lambda: row()['sent_at'] and row(), what='sent_at')
            assert done['attempts'] == tries + 1, done
            time.sleep(2)
            assert len(smtp.to(to)) == 1  # once, not once per try
        assert srv.stop() == 0


def test_cli_sends_once_for_cron():
    with Server(demo=True, extra=['--scan-every-s', '0']) as srv:  # no --smtp: messages wait
        admin = srv.token('admin')
        to = 'cron@e2e.gov.kz'
        r = srv.request('POST', '/api/v1/users', {'email': to, 'org': 'org-nit', 'roles': ['owner-viewer'],
                                                  'last_name': 'Крон', 'first_name': 'Жоб'}, token=admin)
        assert r.status == 201, r
        time.sleep(1.2)
        row = next(o for o in outbox(srv, admin) if o['recipient'] == to)
        assert row['attempts'] == 0 and row['sent_at'] is None
        assert cli(srv.data, 'notify', 'send', check=False).returncode == 2  # needs --smtp
        out = cli(srv.data, 'notify', 'send', '--smtp', f'smtp://127.0.0.1:{dead_port()}',
                  '--mail-from', MAIL_FROM).stdout.decode()
        assert out.startswith('sent 0, failed 1'), out
        row = next(o for o in outbox(srv, admin) if o['recipient'] == to)
        assert row['attempts'] == 1 and row['last_error'] and row['sent_at'] is None
        # the default back-off is a minute: not due yet
        with SMTPServer() as smtp:
            url = f'smtp://127.0.0.1:{smtp.port}'
            out = cli(srv.data, 'notify', 'send', '--smtp', url, '--mail-from', MAIL_FROM).stdout.decode()
            assert out.startswith('sent 0, failed 0, waiting 1'), out
            with db(srv.data) as c:
                c.execute('UPDATE outbox SET next_attempt_at = created_at WHERE recipient = ?', (to,))
            out = cli(srv.data, 'notify', 'send', '--smtp', url, '--mail-from', MAIL_FROM).stdout.decode()
            assert out.startswith('sent 1, failed 0, waiting 0'), out
            check_message(smtp.wait_for(lambda m: to in m.to)[0], to)
            assert cli(srv.data, 'notify', 'send', '--smtp', 'http://example.com', check=False).returncode == 1
            assert cli(srv.data, 'notify', 'send', '--smtp', url, '--mail-from', 'a\r\nb@c.kz',
                       check=False).returncode == 1
        assert cli(srv.data, 'notify', 'scan', '--at', 'yesterday', check=False).returncode == 1


def test_stops_in_the_middle_of_a_transfer():
    with SMTPServer() as stalled:
        stalled.stall = True
        srv = Server(demo=True, extra=server_args(stalled.port)).start()
        try:
            admin = srv.token('admin')
            r = srv.request('POST', '/api/v1/users', {'email': 'stuck@e2e.gov.kz', 'org': 'org-nit',
                                                      'roles': ['owner-viewer'], 'last_name': 'Т',
                                                      'first_name': 'Т'}, token=admin)
            assert r.status == 201, r
            time.sleep(1.5)  # the sender is now waiting for a greeting that never comes
            t0 = time.time()
            assert srv.stop() == 0
            assert time.time() - t0 < 10, 'the stop waited for the SMTP timeout'
            with db(srv.data) as c:
                sent, = c.execute("SELECT sent_at FROM outbox WHERE recipient = 'stuck@e2e.gov.kz'").fetchone()
            assert sent is None  # still waiting, not lost
        finally:
            srv.cleanup()


def test_export_import_carries_the_notifications():
    # REQ: X-AUD-01
    first = SRV.export()
    lines = first.decode().splitlines()
    kinds = {next(iter(json.loads(line))) for line in lines[1:]}
    assert {'outbox', 'inbox', 'notify_sent'} <= kinds, kinds
    sent = [json.loads(line)['outbox'] for line in lines if line.startswith('{"outbox"')]
    assert any(o.get('attempts', 0) >= 1 and o.get('sent_at') for o in sent)
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, 'data')
        path = os.path.join(d, 'dump.jsonl')
        with open(path, 'wb') as f:
            f.write(first)
        SRV.copy_blobs(data)
        cli(data, 'import', path)
        assert cli(data, 'export').stdout == first
        assert cli(data, 'check').returncode == 0
        with db(data) as c:
            c.execute("UPDATE notify_sent SET day = 'someday' WHERE (kind, ref, day) = "
                      "(SELECT kind, ref, day FROM notify_sent WHERE kind = 'digest' LIMIT 1)")
            c.execute("UPDATE outbox SET attempts = -1 WHERE id = 1")
        r = cli(data, 'check', check=False)
        assert r.returncode == 1 and b"is not a date" in r.stdout and b'negative attempts' in r.stdout, r.stdout
    # everything else is sound: the bad line is the import's only problem
    audit_at = next(i for i, line in enumerate(lines) if line.startswith('{"audit"'))
    for bad, words in (({'notify_sent': {'kind': 'bogus', 'ref': 'x', 'day': '', 'sent_at': '2026-01-01T00:00:00.000Z',
                                         'messages': 0}}, 'not reminder or digest'),
                       ({'inbox': {'id': 1, 'user_id': 'ghost', 'created_at': '2026-01-01T00:00:00.000Z',
                                   'template': 't', 'subject': 's', 'body': 'b'}}, 'inbox')):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'dump.jsonl')
            with open(path, 'w', encoding='utf-8') as f:
                f.write(''.join(line + '\n' for line in lines[:audit_at] + [json.dumps(bad)] + lines[audit_at:]))
            SRV.copy_blobs(os.path.join(d, 'data'))
            r = cli(os.path.join(d, 'data'), 'import', path, check=False)
            assert r.returncode == 1 and words.encode() in r.stderr, (bad, r.stderr)


def main():
    global SRV, SMTP, ADMIN, INTEGRATOR, VERIFIER, VERIFIER_EMAIL
    with SMTPServer() as smtp, Server(demo=True, extra=server_args(smtp.port)) as srv:
        SRV, SMTP = srv, smtp
        ADMIN = srv.token('admin')
        INTEGRATOR = srv.token('integrator-verifier', 'org-nit')
        VERIFIER_EMAIL, VERIFIER = person('integrator-verifier', 'org-nit')
        run([test_activation_link_arrives_by_email, test_workflow_messages_reach_the_owner_editors,
             test_inbox_api_refuses_bad_requests, test_reminder_two_working_days_before_and_once,
             test_daily_digest_once_per_local_date, test_no_header_injection_and_kazakh_subjects,
             test_dead_server_then_refusing_then_working, test_cli_sends_once_for_cron,
             test_stops_in_the_middle_of_a_transfer, test_export_import_carries_the_notifications])


if __name__ == '__main__':
    main()
