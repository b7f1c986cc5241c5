"""End-to-end tests of the ICT projects' risk level (issue 17 item 4, MON-07)
and their public transparency (item 9, X-TRN-01):
the model's score `project_risk` works out each of the Rules' five risk
categories from the data — work behind schedule from planned against
projected or actual dates (or today), recommendations past their deadline,
spending over plan, indicators short of their target at the
post-investment stage, the last issued conclusion — and maps each to a
level 1..5 by dated thresholds; a project's level is its highest factor's,
a state body's its riskiest project's. Each reader counts only what they
may read. Bad requests are refused in the reader's language. Anyone reads
the projects' list with their stage, planned and spent totals (sums the
portal keeps), last conclusion and risk level, the day of the last change
flagged when older than a quarter, as a page and as CSV; the indicators
with baseline, target and actual values; the records as JSON."""
import datetime
import os
import sqlite3
import time
import urllib.parse

import harness
from harness import Server, assert_problem, run

SRV = None
ADMIN = ARCH = OWNER = ORG = OTHER = OTHER_OWNER = None
TODAY = datetime.date.fromisoformat(harness.local_today())  # the portal judges by the day in Kazakhstan
YEAR = TODAY.year


def make_org(n, name):
    return harness.make_org(SRV, ADMIN, 9700 + n, name)


def create(coll, body, token, status=201):
    return harness.create(SRV, coll, body, token, status)


def patch(coll, rec, changes, token):
    r = SRV.request('PATCH', f'/api/v1/{coll}/{rec["id"]}', changes, token=token,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    return r.json()


def day(delta):
    return (TODAY + datetime.timedelta(days=delta)).isoformat()


def project(name, owner, token, **more):
    return create('projects', {'kind': 'ict_project', 'name': {'ru': name}, 'owner': owner,
                               'project_type': 'create_object', 'stage': 'planning',
                               'funding_source': 'own_funds', **more}, token)


def risk(pid, token=None):
    r = SRV.get(f'/api/v1/scores/project_risk/{pid}', token=token)
    assert r.status == 200, r
    item = r.json()['item']
    return item, {f['factor']: f for f in item['factors']}


def test_schedule_and_budget():
    # REQ: MON-07
    # 45 days late against the plan (projected end), 30 % over the plan
    # (the years with spending only): medium and moderately high, and the
    # project takes the higher; finishing on time and to budget is low
    p = project('Проект с отставанием', ORG, OWNER,
                stages=[{'stage': 'planning', 'planned_start': f'{YEAR - 1}-01-10',
                         'planned_end': f'{YEAR - 1}-03-01', 'actual_start': f'{YEAR - 1}-01-10',
                         'actual_end': f'{YEAR - 1}-03-01'},
                        {'stage': 'investment', 'planned_start': f'{YEAR - 1}-03-02',
                         'planned_end': day(30), 'projected_end': day(75)}],
                budget=[{'year': YEAR - 1, 'planned': '1000000', 'actual': '1300000'},
                        {'year': YEAR + 1, 'planned': '500000'}])
    item, f = risk(p['id'])
    assert f['schedule']['value'] == 45 and f['schedule']['level'] == 3, f['schedule']
    assert f['schedule']['due'] == day(30) and f['schedule']['done_field'] == 'projected_end'
    assert f['schedule']['item'] == 1, f['schedule']  # the investment stage
    assert f['budget']['value'] == 30 and f['budget']['level'] == 4, f['budget']
    assert f['budget']['planned'] == 1000000 and f['budget']['actual'] == 1300000
    assert (item['level'], item['value']) == (4, 'moderately_high'), item
    assert f['indicators'] == {'factor': 'indicators', 'applies': False}, f['indicators']
    assert f['compliance']['value'] is None and 'level' not in f['compliance']
    # a stage whose planned end has passed with neither a projected nor an
    # actual end is late by today
    p = patch('projects', p, {'stages': [{'stage': 'planning', 'planned_start': day(-100),
                                          'planned_end': day(-10)}],
                              'budget': [{'year': YEAR - 1, 'planned': '100', 'actual': '99'}]}, OWNER)
    item, f = risk(p['id'])
    assert (f['schedule']['value'], f['schedule']['done_field']) == (10, 'today'), f['schedule']
    assert f['budget']['value'] == 0 and f['budget']['level'] == 1
    assert item['level'] == 2, item


def test_indicators_at_post_investment():
    # REQ: MON-07
    # an indicator from 10 to 50 that reached 30 falls half short: counted
    # only once the project is at the post-investment stage
    goal = create('goals', {'kind': 'goal', 'owner': ORG, 'name': {'ru': 'Услуги онлайн'}}, ARCH)
    ind = create('indicators', {'kind': 'indicator', 'owner': ORG, 'name': {'ru': 'Доля услуг онлайн'},
                                'goal': goal['id'], 'unit': '%', 'baseline': '10', 'target_value': '50',
                                'actual': [{'period': str(YEAR - 1), 'value': '20'},
                                           {'period': str(YEAR), 'value': '30'}]}, ARCH)
    p = project('Проект с индикатором', ORG, OWNER, indicators=[ind['id']])
    assert risk(p['id'])[1]['indicators'] == {'factor': 'indicators', 'applies': False}
    p = patch('projects', p, {'stage': 'post_investment'}, OWNER)
    item, f = risk(p['id'], token=OWNER)
    assert f['indicators']['value'] == 50 and f['indicators']['level'] == 4, f['indicators']
    assert f['indicators']['record']['id'] == ind['id'], f['indicators']
    assert item['level'] == 4
    # the goals and indicators projects report against are public
    assert risk(p['id'])[1]['indicators']['value'] == 50


def issue_assessment(pid, results):
    crits = [create('criteria', {'kind': 'assessment_criterion', 'name': {'ru': f'Критерий {i}'},
                                 'stage': 'planning', 'requirement': req}, ARCH)
             for i, (req, _) in enumerate(results)]
    a = create('assessments', {'kind': 'compliance_assessment', 'owner': ORG,
                               'name': {'ru': 'Оценка'}, 'project': pid, 'stage': 'planning',
                               'answers': [{'criterion': c['id'], 'result': res}
                                           for c, (_, res) in zip(crits, results)]}, ARCH)
    return a


def test_the_last_issued_conclusion():
    # REQ: MON-07
    # a draft conclusion does not count; issued, "does not comply" is high
    p = project('Проект с оценкой', ORG, OWNER)
    a = issue_assessment(p['id'], [('required', 'not_met')])
    assert risk(p['id'], token=ARCH)[1]['compliance']['value'] is None
    r = SRV.request('POST', f'/api/v1/assessments/{a["id"]}/submit', None, token=ARCH,
                    headers={'If-Match': f'"{a["revision"]}"'})
    assert r.status == 200, r
    item, f = risk(p['id'])
    assert (f['compliance']['value'], f['compliance']['level']) == ('does_not_comply', 5), f
    assert f['compliance']['record']['id'] == a['id'] and f['compliance']['on'] == TODAY.isoformat()
    assert (item['level'], item['value']) == (5, 'high')


def db_path():
    return os.path.join(SRV.data, 'archportal.db')


def test_overdue_recommendations():
    # REQ: MON-07
    # a recommendation sent to the body counts once its deadline has passed
    # (its obligation, in working days), and no longer once carried out;
    # the public, who may not read an open recommendation, counts none
    p = project('Проект с рекомендацией', ORG, OWNER)
    rec = create('recommendations', {'kind': 'recommendation', 'owner': ORG, 'project': p['id'],
                                     'name': {'ru': 'Доработать ТС'}}, ARCH)
    r = SRV.request('POST', f'/api/v1/recommendations/{rec["id"]}/submit', None, token=ARCH,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    rec = r.json()
    assert risk(p['id'], token=ARCH)[1]['recommendations']['value'] == 0  # due in 20 working days
    # the deadline is moved to a few seconds from now (the server stopped to
    # move it): not overdue yet; once the time has come, overdue, with no
    # write in between
    SRV.stop()
    due = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4))
    due = due.strftime('%Y-%m-%dT%H:%M:%S.000Z')
    with sqlite3.connect(db_path()) as db:
        n = db.execute("UPDATE obligations SET due_at = ? WHERE subject = ? AND done_at IS NULL",
                       (due, f'recommendations/{rec["id"]}')).rowcount
    assert n == 1
    SRV.start()
    assert risk(p['id'], token=ARCH)[1]['recommendations']['value'] == 0
    while datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z') <= due:
        time.sleep(0.2)
    time.sleep(0.2)
    item, f = risk(p['id'], token=ARCH)
    assert f['recommendations']['value'] == 1 and f['recommendations']['level'] == 2, f
    assert f['recommendations']['records'] == [{'id': rec['id'], 'due': due}], f
    assert risk(p['id'], token=OWNER)[1]['recommendations']['value'] == 1
    assert risk(p['id'])[1]['recommendations']['value'] == 0  # the public
    # carried out: no longer counted
    rec = SRV.request('PATCH', f'/api/v1/recommendations/{rec["id"]}', {'report': {'ru': 'Сделано'}},
                      token=OWNER, headers={'If-Match': f'"{rec["revision"]}"'}).json()
    r = SRV.request('POST', f'/api/v1/recommendations/{rec["id"]}/submit', None, token=OWNER,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    assert risk(p['id'], token=ARCH)[1]['recommendations']['value'] == 0


def test_roll_up_by_state_body():
    # REQ: MON-07
    # per body: its projects, those assessed, a count per level and the
    # level of its riskiest project; the riskiest body first; ?owner= and
    # ?level= narrow the list
    q = project('Проект другого органа', OTHER, OTHER_OWNER)
    r = SRV.get('/api/v1/scores/project_risk')
    assert r.status == 200, r
    d = r.json()
    assert [s['value'] for s in d['scale']] == ['low', 'moderately_low', 'medium',
                                                'moderately_high', 'high']
    assert d['judged_on'] == TODAY.isoformat()
    by = {g['owner']: g for g in d['by']}
    mine = [i for i in d['items'] if i['owner'] == ORG]
    assert by[ORG]['records'] == len(mine) and by[ORG]['level'] == max(i['level'] or 0 for i in mine)
    assert sum(by[ORG]['levels']) == by[ORG]['assessed']
    # nothing late, over plan or overdue: low
    assert (by[OTHER]['records'], by[OTHER]['level'], by[OTHER]['value']) == (1, 1, 'low'), by[OTHER]
    assert d['by'][0]['owner'] == ORG, d['by']
    assert d['totals']['records'] == len(d['items'])
    only = SRV.get(f'/api/v1/scores/project_risk?owner={OTHER}').json()
    assert [i['id'] for i in only['items']] == [q['id']] and len(only['by']) == 1
    high = SRV.get('/api/v1/scores/project_risk?level=high').json()['items']
    assert high and all(i['value'] == 'high' for i in high)


def test_bad_requests():
    # bad input: a clear error in the reader's language
    r = SRV.request('GET', '/api/v1/scores/no_such_score', headers={'Accept-Language': 'ru'})
    assert_problem(r, 404)
    assert 'оценки' in r.json()['detail'], r.json()
    r = SRV.request('GET', '/api/v1/scores/project_risk?level=extreme', headers={'Accept-Language': 'kk'})
    assert_problem(r, 400, 'level')
    assert_problem(SRV.get('/api/v1/scores/project_risk?owner=a%20b'), 400, 'owner')
    assert_problem(SRV.get('/api/v1/scores/project_risk?x=1'), 400)
    r = SRV.get(f'/api/v1/scores/project_risk/{ORG}')  # not a project
    assert_problem(r, 404)
    r = SRV.get('/api/v1/scores')
    assert [s['id'] for s in r.json()['items']] == ['project_risk'], r


def test_pages():
    # REQ: MON-07
    # the roll-up page and a project's card explain the levels, in kk/ru/en
    p = project('Проект для страницы', ORG, OWNER,
                stages=[{'stage': 'planning', 'planned_start': day(-40), 'planned_end': day(-35)}])
    words = {'kk': 'Тәуекел деңгейі', 'ru': 'Уровень риска', 'en': 'risk level'}
    for lang in ('kk', 'ru', 'en'):
        r = SRV.get(f'/{lang}/scores/project_risk')
        assert r.status == 200, r
        assert words[lang].lower() in r.body.decode().lower() and p['id'] in r.body.decode(), lang
        r = SRV.get(f'/{lang}/projects/{p["id"]}')
        assert r.status == 200 and 'id="score-project_risk"' in r.body.decode(), lang
    r = SRV.get(f'/en/projects/{p["id"]}')
    assert 'Planned end' in r.body.decode() and day(-35) in r.body.decode(), r.body.decode()[:200]
    csv = SRV.get(f'/en/scores/project_risk/rows.csv?owner={ORG}')
    assert csv.status == 200 and p['id'] in csv.body.decode() and q_lines(csv.body.decode()) >= 2
    assert SRV.get('/en/scores/project_risk?level=nope').status == 400
    assert SRV.get('/en/scores/nothing').status == 404


def test_transparency():
    # REQ: X-TRN-01
    # the public list of projects: progress (stage), spending against the
    # plan (totals the portal sums at each write), the last conclusion and
    # the risk level; not updated for a quarter: flagged; the same as CSV
    # and, for programs, as JSON
    goal = create('goals', {'kind': 'goal', 'owner': ORG, 'name': {'ru': 'Цифровые услуги'}}, ARCH)
    ind = create('indicators', {'kind': 'indicator', 'owner': ORG, 'name': {'ru': 'Услуги онлайн, %'},
                                'goal': goal['id'], 'unit': '%', 'baseline': '20',
                                'target_value': '80', 'actual': [{'period': str(YEAR), 'value': '65'}]},
                 ARCH)
    p = project('Открытый проект', ORG, OWNER, goals=[goal['id']], indicators=[ind['id']],
                budget=[{'year': YEAR - 1, 'planned': '1000.50', 'actual': '900.25'},
                        {'year': YEAR, 'planned': '2000'}])
    assert (p['budget_planned'], p['budget_spent']) == ('3000.5', '900.25'), p
    # a total a client sends is not taken: the portal works it out
    p = patch('projects', p, {'budget_planned': '1', 'budget': [{'year': YEAR - 1, 'planned': '10'}]},
              OWNER)
    assert p['budget_planned'] == '10' and 'budget_spent' not in p, p
    issue_assessment(p['id'], [('recommended', 'not_met')])
    a = SRV.get(f'/api/v1/assessments?filter=project:{p["id"]}', token=ARCH).json()['items'][0]
    r = SRV.request('POST', f'/api/v1/assessments/{a["id"]}/submit', None, token=ARCH,
                    headers={'If-Match': f'"{a["revision"]}"'})
    assert r.status == 200, r
    page = SRV.get('/en/projects?q=' + urllib.parse.quote('Открытый')).body.decode()
    for text in ('Planned in total, tenge', 'Spent in total, tenge',
                 'ICT project risk level', 'Partially complies', 'Medium'):
        assert text in page, text
    assert 'not updated' not in page
    csv = SRV.get('/ru/projects.csv').body.decode()
    line = [ln for ln in csv.splitlines() if p['id'] in ln][0]
    assert ',10,' in line and 'Частично соответствует' in line and 'Средний' in line, line
    # the public reads the project, its goal and its indicator's values
    assert SRV.get(f'/api/v1/projects/{p["id"]}').json()['budget_planned'] == '10'
    i = SRV.get(f'/api/v1/indicators/{ind["id"]}')
    assert i.status == 200 and (i.json()['baseline'], i.json()['target_value']) == ('20', '80'), i
    assert i.json()['actual'] == [{'period': str(YEAR), 'value': '65'}]
    assert SRV.get(f'/api/v1/goals/{goal["id"]}').status == 200
    # four months without a change: flagged on the list
    SRV.stop()
    old = '2026-01-01T00:00:00.000Z' if TODAY.isoformat() > '2026-05-02' else '2020-01-01T00:00:00.000Z'
    with sqlite3.connect(db_path()) as db:
        db.execute("UPDATE record_data SET data = json_set(data, '$.updated_at', ?) WHERE rid = "
                   "(SELECT rid FROM records WHERE id = ?)", (old, p['id']))
        db.execute("UPDATE records SET updated_at = ? WHERE id = ?", (old, p['id']))
    SRV.start()
    page = SRV.get('/en/projects?q=' + urllib.parse.quote('Открытый')).body.decode()
    assert 'not updated for over 3 months' in page, page[page.find('<table'):][:3000]


def test_kept_answers_follow_the_writes():
    # REQ: MON-07
    # the answer kept between writes is brought up to date with the records
    # each write names: after all the writes above (projects, indicators,
    # assessments, recommendations and their deadlines), the same as a
    # judging from scratch (after a restart), for each reader
    readers = [None, OWNER, ARCH]
    kept = [SRV.get('/api/v1/scores/project_risk', token=t).json() for t in readers]
    # one more write of each kind, read between them
    p = project('Проект для проверки', ORG, OWNER,
                stages=[{'stage': 'planning', 'planned_start': day(-50), 'planned_end': day(-20)}])
    SRV.get('/api/v1/scores/project_risk', token=ARCH)
    rec = create('recommendations', {'kind': 'recommendation', 'owner': ORG, 'project': p['id'],
                                     'name': {'ru': 'Ещё одна рекомендация'}}, ARCH)
    SRV.get('/api/v1/scores/project_risk', token=ARCH)
    r = SRV.request('POST', f'/api/v1/recommendations/{rec["id"]}/submit', None, token=ARCH,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    kept = [SRV.get('/api/v1/scores/project_risk', token=t).json() for t in readers]
    SRV.stop()
    SRV.start()
    fresh = [SRV.get('/api/v1/scores/project_risk', token=t).json() for t in readers]
    for k, f in zip(kept, fresh):
        assert k == f, [(a['id'], a['level'], b['level']) for a, b in zip(k['items'], f['items']) if a != b]


def q_lines(text):
    return len([ln for ln in text.splitlines() if ln.strip()])


def main():
    global SRV, ADMIN, ARCH, OWNER, ORG, OTHER, OTHER_OWNER
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        OTHER = make_org(2, 'Министерство цифрового развития')
        integrator = make_org(3, 'Сервисный интегратор')
        ARCH = srv.token('integrator-architect', integrator)
        OWNER = srv.token('owner-editor', ORG)
        OTHER_OWNER = srv.token('owner-editor', OTHER)
        run([test_schedule_and_budget, test_indicators_at_post_investment,
             test_the_last_issued_conclusion, test_overdue_recommendations,
             test_roll_up_by_state_body, test_bad_requests, test_pages, test_transparency,
             test_kept_answers_follow_the_writes])


if __name__ == '__main__':
    main()
