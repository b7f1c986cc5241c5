"""End-to-end tests of the period report on the implementation of the
architecture (issue 17 item 5, MON-06, MON-08): the service integrator
makes the report for a quarter, half-year or year that has ended; it counts,
per state body and for the whole country, the ICT projects and their
budgets, the compliance conclusions issued in the period, the
recommendations and their execution, the projects at risk and the
discrepancies not corrected; it is counted again at each edit of the draft
and once more when submitted to the authorized body, then frozen; the
authorized body receives it (or returns it with remarks) within a deadline
in working days; received, every signed-in user reads it, each body's row
being its scorecard."""
import datetime
import os
import sqlite3

import harness
from harness import Server, assert_problem, run

SRV = None
ADMIN = ARCH = APPROVER = OWNER = OTHER_OWNER = None
ORG = OTHER = INTEGRATOR = None
W = {}
TODAY = datetime.date.fromisoformat(harness.local_today())


def make_org(n, name):
    return harness.make_org(SRV, ADMIN, 9900 + n, name)


def create(coll, body, token, status=201, lang='en'):
    r = SRV.request('POST', f'/api/v1/{coll}', body, token=token,
                    headers={'Accept-Language': lang})
    assert r.status == status, (coll, body, r)
    return r


def send(rec, coll, what, token, body=None):
    return SRV.request('POST', f'/api/v1/{coll}/{rec["id"]}/{what}', body, token=token,
                       headers={'If-Match': f'"{rec["revision"]}"'})


def last_quarter():
    """The last quarter that has ended: its first and last days."""
    q0 = (TODAY.month - 1) // 3 * 3 + 1  # this quarter's first month
    end = datetime.date(TODAY.year, q0, 1) - datetime.timedelta(days=1)
    start = datetime.date(end.year, end.month - 2, 1)
    return start, end


def project(name, owner, token, budget):
    body = {'kind': 'ict_project', 'name': {'ru': name}, 'owner': owner,
            'project_type': 'create_object', 'stage': 'planning',
            'funding_source': 'state_investment_project', 'budget': budget}
    return create('projects', body, token).json()


def issue(rec):
    r = send(rec, 'assessments', 'submit', ARCH)
    assert r.status == 200, r
    return r.json()


def backdate(rid, field, day):
    """Sets a stamped date of a record to a day of the past period: the
    server stopped, the stored record changed in place (a stamp cannot be
    written through the API, and the period reported on has ended)."""
    SRV.stop()
    with sqlite3.connect(os.path.join(SRV.data, 'archportal.db')) as db:
        n = db.execute("UPDATE record_data SET data = json_set(data, ?, ?) "
                       "WHERE rid = (SELECT rid FROM records WHERE id = ?)",
                       (f'$.{field}', day, rid)).rowcount
    assert n == 1
    SRV.start()


def reports_total():
    return SRV.get('/api/v1/implementation_reports?limit=1', token=ARCH).json()['total']


def test_setup_a_quarter_of_monitoring():
    # two bodies' projects, assessed in the quarter that ended (one with a
    # recommended criterion not met: partially complies, a recommendation
    # carried out and confirmed), and one assessment issued since
    a1 = project('Проект А1', ORG, OWNER, [{'year': 2025, 'planned': '100000000', 'actual': '30000000'}])
    a2 = project('Проект А2', ORG, OWNER, [{'year': 2026, 'planned': '50000000.5'}])
    b1 = project('Проект Б1', OTHER, OTHER_OWNER,
                 [{'year': 2025, 'planned': '200000000', 'actual': '250000000'}])
    req = create('criteria', {'kind': 'assessment_criterion', 'name': {'ru': 'ТС по архитектуре'},
                              'stage': 'planning', 'requirement': 'required'}, ARCH).json()
    rec = create('criteria', {'kind': 'assessment_criterion', 'name': {'ru': 'Расчет стоимости'},
                              'stage': 'planning', 'requirement': 'recommended'}, ARCH).json()

    def assess(p, owner, answers):
        return issue(create('assessments', {
            'kind': 'compliance_assessment', 'owner': owner, 'name': {'ru': 'Оценка'},
            'project': p['id'], 'stage': 'planning',
            'answers': [{'criterion': c['id'], 'result': res} for c, res in answers]}, ARCH).json())

    x = assess(a1, ORG, [(req, 'met'), (rec, 'not_met')])
    y = assess(b1, OTHER, [(req, 'met'), (rec, 'met')])
    z = assess(a2, ORG, [(req, 'not_met')])  # issued today: after the period
    assert (x['conclusion'], y['conclusion'], z['conclusion']) == (
        'partially_complies', 'fully_complies', 'does_not_comply')
    made = SRV.get(f'/api/v1/recommendations?filter=assessment:{x["id"]}', token=ARCH).json()['items']
    assert len(made) == 1, made
    r = send(made[0], 'recommendations', 'submit', ARCH)
    assert r.status == 200, r
    r = send(r.json(), 'recommendations', 'submit', OWNER)
    assert r.status == 200 and r.json()['status'] == 'carried_out', r
    r = send(r.json(), 'recommendations', 'verify', ARCH, {'decision': 'accept'})
    assert r.status == 200 and r.json()['status'] == 'confirmed', r
    start, end = last_quarter()
    mid = (start + datetime.timedelta(days=40)).isoformat()
    backdate(x['id'], 'issued_on', mid)
    backdate(y['id'], 'issued_on', start.isoformat())
    backdate(made[0]['id'], 'confirmed_on', end.isoformat())
    W.update(a1=a1, a2=a2, b1=b1, start=start, end=end)


def report_body(start, end, kind='quarter'):
    return {'kind': 'implementation_report', 'owner': INTEGRATOR, 'period_type': kind,
            'period_start': start.isoformat(), 'period_end': end.isoformat(),
            'name': {'ru': f'Отчет о реализации архитектуры за {start:%m.%Y}–{end:%m.%Y}'}}


def rows(rep):
    return {r.get('body', ''): r for r in rep['results']}


def risky(token, owner, factor=None, at_least=4):
    """How many of owner's projects the risk score puts at the level (or
    the factor's level) given or above, as the reader sees them."""
    items = SRV.get('/api/v1/scores/project_risk', token=token).json()['items']
    n = 0
    for i in items:
        if owner and i['owner'] != owner:
            continue
        lv = i['level'] if factor is None else next(
            (f.get('level', 0) for f in i['factors'] if f['factor'] == factor), 0)
        n += lv >= at_least
    return n


def test_the_report_counts_by_body_and_for_the_country():
    # REQ: MON-06
    # REQ: MON-08
    rep = create('implementation_reports', report_body(W['start'], W['end']), ARCH).json()
    assert rep['status'] == 'draft' and rep['tallied_at'], rep
    got = rows(rep)
    assert [r.get('body') for r in rep['results']][-1] is None  # the country's row last
    mine, other, all_ = got[ORG], got[OTHER], got['']
    assert (mine['projects'], mine['budget_planned'], mine['budget_spent']) == (
        2, '150000000.5', '30000000'), mine
    assert (other['projects'], other['budget_planned'], other['budget_spent']) == (
        1, '200000000', '250000000'), other
    # conclusions issued in the quarter only (the one issued today is not)
    assert (mine['assessments'], mine['partially_complies'], mine['does_not_comply'],
            mine['fully_complies']) == (1, 1, 0, 0), mine
    assert (other['assessments'], other['fully_complies']) == (1, 1), other
    # the recommendation made of the unmet criterion, confirmed in the quarter
    assert (mine['recommendations'], mine['recommendations_confirmed'],
            mine['recommendations_done_share']) == (1, 1, '100'), mine
    assert 'recommendations_done_share' not in other  # nothing to share out
    assert all_['projects'] == 3 and all_['budget_planned'] == '350000000.5', all_
    assert all_['budget_spent'] == '280000000' and all_['assessments'] == 2, all_
    # risks as the scores count them for the same reader
    for owner, row in ((ORG, mine), (OTHER, other), (None, all_)):
        assert row['projects_at_risk'] == risky(ARCH, owner), (owner, row)
        assert row['indicators_short'] == risky(ARCH, owner, 'indicators', 2), (owner, row)
    assert other['projects_at_risk'] >= 1  # spent 25 % over plan
    W['report'] = rep


def test_a_report_for_a_period_not_ended_is_refused():
    # REQ: MON-06
    n = reports_total()
    body = report_body(W['start'], TODAY)
    r = create('implementation_reports', body, ARCH, status=422, lang='ru')
    doc = assert_problem(r, 422, 'period_end')
    assert 'раньше сегодняшнего дня' in doc['detail'], doc
    body = report_body(W['start'], TODAY + datetime.timedelta(days=30))
    assert_problem(create('implementation_reports', body, ARCH, status=422, lang='kk'), 422,
                   'period_end')
    body = report_body(W['end'], W['start'])
    assert_problem(create('implementation_reports', body, ARCH, status=422), 422, 'period_start')
    # a state body does not make the report; nor does the authorized body
    assert create('implementation_reports', report_body(W['start'], W['end']), OWNER,
                  status=403).status == 403
    assert create('implementation_reports', report_body(W['start'], W['end']), APPROVER,
                  status=403).status == 403
    assert reports_total() == n


def duties(rep):
    t = SRV.get(f'/api/v1/implementation_reports/{rep["id"]}/workflow', token=ARCH).json()
    return [(o['policy'], o['policy_value'], o['debtor_org'] or o['debtor_role'])
            for o in t['obligations'] if not o['done_at']]


def test_submitted_frozen_and_received():
    # REQ: MON-06
    rep = W['report']
    # a draft is the integrator's and the authorized body's only
    assert SRV.get(f'/api/v1/implementation_reports/{rep["id"]}').status == 404
    assert SRV.get(f'/api/v1/implementation_reports/{rep["id"]}', token=OWNER).status == 404
    assert SRV.get(f'/api/v1/implementation_reports/{rep["id"]}', token=APPROVER).status == 200
    # an edit of the draft counts again: a project made since is in it
    W['a3'] = project('Проект А3', ORG, OWNER, [])
    r = SRV.request('PATCH', f'/api/v1/implementation_reports/{rep["id"]}',
                    {'summary': {'ru': 'Реализация идет по плану'}}, token=ARCH,
                    headers={'If-Match': f'"{rep["revision"]}"'})
    assert r.status == 200, r
    rep = r.json()
    assert rows(rep)[ORG]['projects'] == 3 and rows(rep)['']['projects'] == 4, rep['results']
    assert send(rep, 'implementation_reports', 'submit', OWNER).status in (403, 404)
    assert send(rep, 'implementation_reports', 'submit', APPROVER).status == 403
    r = send(rep, 'implementation_reports', 'submit', ARCH)
    assert r.status == 200, r
    sub = r.json()
    assert sub['status'] == 'submitted' and sub['submitted_on'] == TODAY.isoformat(), sub
    assert sub['tallied_at'] >= rep['tallied_at']
    assert duties(sub) == [('report_receipt', 10, 'approver')], duties(sub)
    # frozen: what happens since does not change it, and it cannot be edited
    project('Проект А4', ORG, OWNER, [{'year': 2026, 'planned': '1'}])
    again = SRV.get(f'/api/v1/implementation_reports/{rep["id"]}', token=ARCH).json()
    assert (again['results'], again['tallied_at']) == (sub['results'], sub['tallied_at'])
    r = SRV.request('PATCH', f'/api/v1/implementation_reports/{rep["id"]}',
                    {'summary': {'ru': 'Другое'}}, token=ARCH,
                    headers={'If-Match': f'"{sub["revision"]}"'})
    assert_problem(r, 409)
    assert send(sub, 'implementation_reports', 'verify', ARCH, {'decision': 'accept'}).status == 403
    r = send(sub, 'implementation_reports', 'verify', APPROVER, {'decision': 'accept'})
    assert r.status == 200, r
    got = r.json()
    assert (got['status'], got['received_on']) == ('received', TODAY.isoformat()), got
    assert got['results'] == sub['results'] and duties(got) == []
    # received: every signed-in user reads it, the public does not
    assert SRV.get(f'/api/v1/implementation_reports/{rep["id"]}').status == 404
    r = SRV.get(f'/api/v1/implementation_reports/{rep["id"]}', token=OTHER_OWNER)
    assert r.status == 200 and r.json()['results'] == sub['results'], r
    W['received'] = got


def test_returned_with_remarks_counts_again():
    # REQ: MON-06
    start = datetime.date(W['end'].year if W['end'].month == 12 else W['end'].year - 1, 1, 1)
    end = datetime.date(start.year, 12, 31)
    rep = create('implementation_reports', report_body(start, end, 'year'), ARCH).json()
    sub = send(rep, 'implementation_reports', 'submit', ARCH).json()
    r = send(sub, 'implementation_reports', 'verify', APPROVER, {'decision': 'return'})
    assert_problem(r, 422)  # remarks are needed
    r = send(sub, 'implementation_reports', 'verify', APPROVER,
             {'decision': 'return', 'remarks': [{'text': 'Нет выводов мониторинга'}]})
    assert r.status == 200 and r.json()['status'] == 'returned', r
    ret = r.json()
    assert ret['results'] == sub['results']
    project('Проект Б2', OTHER, OTHER_OWNER, [])
    r = SRV.request('PATCH', f'/api/v1/implementation_reports/{rep["id"]}',
                    {'summary': {'ru': 'Выводы: сроки соблюдаются'}}, token=ARCH,
                    headers={'If-Match': f'"{ret["revision"]}"'})
    assert r.status == 200, r
    assert rows(r.json())[OTHER]['projects'] == rows(sub)[OTHER]['projects'] + 1
    r = send(r.json(), 'implementation_reports', 'submit', ARCH)
    assert r.status == 200 and r.json()['status'] == 'submitted', r


def test_the_card_and_downloads():
    # REQ: MON-06
    # REQ: MON-08
    # the received report's card shows each body's row (its scorecard) and
    # the country's; the table downloads as CSV and XLSX, the report as PDF,
    # for those who may read it only
    rep = W['received']
    cookie = {'Cookie': SRV.session('owner-viewer', OTHER)}
    for lang, country in (('kk', 'Бүкіл ел бойынша'), ('ru', 'По всей стране'),
                          ('en', 'The whole country')):
        r = SRV.get(f'/{lang}/implementation_reports/{rep["id"]}', headers=cookie)
        assert r.status == 200, r
        body = r.body.decode()
        table = body[body.index('id="tally"'):]
        table = table[:table.index('</section>')]
        assert country in table and 'Министерство здравоохранения' in table, table[:500]
        assert f'href="/{lang}/organizations/{OTHER}"' in table
        assert table.count('<tr') == len(rep['results']) + 1  # the header and a row each
    assert SRV.get(f'/en/implementation_reports/{rep["id"]}').status == 404  # the public
    # the body's scorecard: its row of each report the reader may read (the
    # year's report, submitted but not received, is not theirs to read)
    r = SRV.get(f'/ru/implementation_reports/scorecards/{OTHER}', headers=cookie)
    assert r.status == 200, r
    page = r.body.decode()
    assert page.count(f'href="/ru/implementation_reports/{rep["id"]}"') == 1, page[-3000:]
    assert page.count('<tr') == 2, 'the header and the one report readable'
    other = rows(rep)[OTHER]
    assert f'>{other["budget_spent"]}</td>' in page
    card = SRV.get(f'/ru/implementation_reports/{rep["id"]}', headers=cookie).body.decode()
    assert f'href="/ru/implementation_reports/scorecards/{OTHER}"' in card
    r = SRV.get(f'/en/implementation_reports/scorecards/{OTHER}')  # the public reads no report
    assert r.status == 200 and '<tbody>' not in r.body.decode(), r
    r = SRV.get(f'/ru/implementation_reports/{rep["id"]}/tally.csv', headers=cookie)
    assert r.status == 200 and r.header('Content-Type').startswith('text/csv'), r
    lines = r.body.decode('utf-8-sig').splitlines()
    assert lines[0].startswith('Государственный орган,ИКТ-проекты,'), lines[0]
    assert lines[-1].startswith('По всей стране,'), lines[-1]
    assert len(lines) == len(rep['results']) + 1
    r = SRV.get(f'/en/implementation_reports/{rep["id"]}/tally.xlsx', headers=cookie)
    assert r.status == 200 and 'spreadsheetml' in r.header('Content-Type'), r
    import io
    import zipfile
    z = zipfile.ZipFile(io.BytesIO(r.body))
    strings = z.read('xl/sharedStrings.xml').decode()
    sheet = z.read('xl/worksheets/sheet1.xml').decode()
    assert 'The whole country' in strings and 'Министерство здравоохранения' in strings
    total = rows(rep)['']
    assert f'<v>{total["projects"]}</v>' in sheet, sheet[:800]
    # the PDF: the report's name, its period and every row, in the reader's language
    r = SRV.get(f'/kk/implementation_reports/{rep["id"]}/tally.pdf', headers=cookie)
    assert r.status == 200 and r.header('Content-Type') == 'application/pdf', r
    assert r.body.startswith(b'%PDF-'), r.body[:20]
    import subprocess
    text = subprocess.run(['pdftotext', '-', '-'], input=r.body, capture_output=True,
                          check=True).stdout.decode()
    flat = ' '.join(text.split())
    assert 'Бүкіл ел бойынша' in flat and 'Отчет о реализации архитектуры' in flat, text[:800]
    assert W['start'].isoformat() in flat and 'Министерство здравоохранения' in flat, text[:800]
    assert SRV.get(f'/kk/implementation_reports/{rep["id"]}/tally.pdf').status == 404
    assert SRV.get(f'/en/implementation_reports/{rep["id"]}/tally.xlsx').status == 404
    assert SRV.get(f'/en/implementation_reports/{rep["id"]}/tally.csv').status == 404


def test_the_model_declares_the_tally():
    # REQ: MON-06
    k = SRV.get('/api/v1/model').json()['kinds']['implementation_report']
    t = k['tally']
    assert (t['into'], t['by'], t['period']) == ('results', 'body',
                                                {'from': 'period_start', 'to': 'period_end'})
    ops = {c['field']: next(iter(set(c) - {'field'})) for c in t['columns']}
    assert ops['projects'] == 'count' and ops['budget_planned'] == 'sum'
    assert ops['recommendations_overdue'] == 'overdue' and ops['projects_at_risk'] == 'score'
    assert ops['recommendations_done_share'] == 'percent'


def main():
    global SRV, ADMIN, ARCH, APPROVER, OWNER, OTHER_OWNER, ORG, OTHER, INTEGRATOR
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        OTHER = make_org(2, 'Министерство здравоохранения')
        INTEGRATOR = make_org(3, 'Сервисный интегратор')
        auth = make_org(4, 'Министерство цифрового развития')
        ARCH = srv.token('integrator-architect', INTEGRATOR)
        APPROVER = srv.token('approver', auth)
        OWNER = srv.token('owner-editor', ORG)
        OTHER_OWNER = srv.token('owner-editor', OTHER)
        run([test_setup_a_quarter_of_monitoring,
             test_the_report_counts_by_body_and_for_the_country,
             test_a_report_for_a_period_not_ended_is_refused,
             test_submitted_frozen_and_received,
             test_returned_with_remarks_counts_again,
             test_the_card_and_downloads,
             test_the_model_declares_the_tally])


if __name__ == '__main__':
    main()
