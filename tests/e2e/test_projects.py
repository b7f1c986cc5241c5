"""End-to-end tests of ICT projects (issue 17 item 1, MON-01, ARC-18): a
state body records its project — what it creates or develops, its funding
by year (planned and spent), the objects it touches, the initiative it
implements, its planning documents, goals and indicators, its stages'
planned, projected and actual dates — and the dependencies between
projects; the model's checks refuse spending in a year that has not begun
and actual dates out of order or in the future, in the reader's language,
changing nothing; the public reads projects; a body writes only its own."""
import datetime
import re
import urllib.parse

import harness
from harness import Server, assert_problem, run, valid_bin

SRV = None
ADMIN = ARCH = OWNER = OTHER_OWNER = ORG = OTHER = None
W = {}
TODAY = datetime.date.fromisoformat(harness.local_today())  # the portal judges by the day in Kazakhstan
YEAR = TODAY.year


def make_org(n, name):
    body = {'name': {'ru': name}, 'bin': valid_bin(9500 + n), 'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def create(coll, body, token, status=201, lang='en'):
    r = SRV.request('POST', f'/api/v1/{coll}', body, token=token,
                    headers={'Accept-Language': lang})
    assert r.status == status, (coll, body, r)
    return r


def project(name, owner, **more):
    body = {'kind': 'ict_project', 'name': {'ru': name}, 'owner': owner,
            'project_type': 'create_object',
            'stage': 'planning', 'funding_source': 'state_investment_project', **more}
    return body


def count():
    r = SRV.get('/api/v1/projects?limit=1')
    assert r.status == 200, r
    return r.json()['total']


def test_a_body_records_its_project():
    # REQ: MON-01
    system = create('objects', {'kind': 'information_system', 'owner': ORG,
                                'stage': 'creation', 'name': {'ru': 'ИС «Соцкарта»'}}, OWNER).json()
    goal = create('goals', {'kind': 'goal', 'name': {'ru': 'Цифровые социальные услуги'}, 'owner': ORG},
                  ARCH).json()
    body = project('Создание ИС «Соцкарта»', ORG, objects=[system['id']], goals=[goal['id']],
                   roadmap_item='3.2 Социальная карта',
                   budget=[{'year': YEAR - 1, 'planned': '120000000', 'actual': '95000000.50'},
                           {'year': YEAR + 1, 'planned': '80000000'}],
                   stages=[{'stage': 'planning', 'planned_start': f'{YEAR - 1}-01-15',
                            'planned_end': f'{YEAR - 1}-06-30',
                            'actual_start': f'{YEAR - 1}-02-01',
                            'actual_end': f'{YEAR - 1}-07-20'},
                           {'stage': 'investment', 'planned_start': f'{YEAR}-01-10',
                            'planned_end': f'{YEAR + 1}-12-20',
                            'projected_end': f'{YEAR + 2}-03-01'}])
    rec = create('projects', body, OWNER).json()
    W['project'] = rec
    assert rec['kind'] == 'ict_project' and rec['owner'] == ORG, rec
    assert rec['objects'] == [system['id']] and rec['goals'] == [goal['id']], rec
    assert [b['year'] for b in rec['budget']] == [YEAR - 1, YEAR + 1], rec
    # the public reads it (progress and spending are published, X-TRN-01's ground)
    r = SRV.get(f'/api/v1/projects/{rec["id"]}')
    assert r.status == 200 and r.json()['budget'][0]['actual'] == rec['budget'][0]['actual'], r
    # its page, in the three languages, from the one engine
    for lang, word in (('kk', 'Жылдар бойынша бюджет'), ('ru', 'Бюджет по годам'),
                       ('en', 'Budget by year')):
        r = SRV.get(f'/{lang}/projects/{rec["id"]}')
        assert r.status == 200 and word in r.body.decode(), (lang, r)
    r = SRV.get('/ru/projects')
    assert r.status == 200 and 'Создание ИС «Соцкарта»' in r.body.decode(), r


def test_bad_dates_and_spending_are_refused():
    # spending in a year that has not begun, an actual end before the
    # actual start, an actual date in the future: refused with the value at
    # fault, in the reader's language, and nothing is written
    before = count()
    r = create('projects', project('Будущие расходы', ORG,
                                   budget=[{'year': YEAR + 1, 'planned': '1000',
                                            'actual': '500'}]), OWNER, status=422)
    doc = assert_problem(r, 422, 'budget[0].year')
    assert 'this year' in doc['detail'], doc
    r = create('projects', project('Конец раньше начала', ORG,
                                   stages=[{'stage': 'planning', 'actual_start': f'{YEAR - 1}-05-01',
                                            'actual_end': f'{YEAR - 1}-04-30'}]),
               OWNER, status=422, lang='ru')
    doc = assert_problem(r, 422, 'stages[0].actual_end')
    assert 'не может быть раньше' in doc['detail'], doc
    tomorrow = (TODAY + datetime.timedelta(days=2)).isoformat()
    r = create('projects', project('Факт в будущем', ORG,
                                   stages=[{'stage': 'planning', 'actual_start': tomorrow}]),
               OWNER, status=422, lang='kk')
    doc = assert_problem(r, 422, 'stages[0].actual_start')
    assert 'бүгін' in doc['detail'], doc
    # a planned end before the planned start, on a change: the record stays
    rec = W['project']
    stages = [dict(rec['stages'][1], planned_end=f'{YEAR - 2}-01-01')] + rec['stages'][:1]
    r = SRV.request('PATCH', f'/api/v1/projects/{rec["id"]}', {'stages': stages}, token=OWNER,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert_problem(r, 422, 'stages[0].planned_end')
    assert SRV.get(f'/api/v1/projects/{rec["id"]}').json()['revision'] == rec['revision']
    # spending of this year and last year's dates are right
    ok = create('projects', project('Расходы этого года', ORG,
                                    budget=[{'year': YEAR, 'planned': '10', 'actual': '10'}]),
                OWNER).json()
    assert ok['budget'][0]['year'] == YEAR
    assert count() == before + 1


def test_dependencies_between_projects():
    # REQ: ARC-18
    # a body's project may depend on another body's: the relation is kept
    # and read from both ends
    other = create('projects', project('Платформа идентификации', OTHER,
                                       project_type='develop_platform_product'),
                   OTHER_OWNER).json()
    r = create('relations', {'type': 'depends_on', 'source': W['project']['id'],
                             'target': other['id']}, OWNER)
    rel = r.json()
    # classified from their bodies and domains (the model's "derive"):
    # another body's project, no shared domain: inter-agency, whatever the
    # writer says
    assert rel['scope'] == 'inter_agency', rel
    mine = create('projects', project('Развитие ИС «Соцкарта»', ORG,
                                      project_type='develop_object'), OWNER).json()
    same_body = create('relations', {'type': 'depends_on', 'source': mine['id'],
                                     'target': W['project']['id'], 'scope': 'inter_agency'},
                       OWNER).json()
    assert same_body['scope'] == 'intra_agency', same_body
    # both bodies' projects put in one domain: the dependency becomes
    # sectoral at once (written again by the portal in the same write)
    domain = create('domains', {'name': {'ru': 'Социальная защита'}}, ARCH).json()
    for rec, token in ((W['project'], OWNER), (other, OTHER_OWNER)):
        cur = SRV.get(f'/api/v1/projects/{rec["id"]}').json()
        r = SRV.request('PATCH', f'/api/v1/projects/{rec["id"]}', {'domain': domain['id']},
                        token=token, headers={'If-Match': f'"{cur["revision"]}"'})
        assert r.status == 200, r
    now = SRV.get(f'/api/v1/relations/{rel["id"]}').json()
    assert now['scope'] == 'sectoral' and now['revision'] == rel['revision'] + 1, now
    assert SRV.get(f'/api/v1/relations/{same_body["id"]}').json()['scope'] == 'intra_agency'
    r = SRV.get('/api/v1/relations?filter=scope:sectoral&kind=depends_on')
    assert r.status == 200 and [i['id'] for i in r.json()['items']] == [rel['id']], r
    for end in (W['project']['id'], other['id']):  # from both ends, by anyone
        r = SRV.get(f'/api/v1/projects/{end}/relations?type=depends_on')
        assert r.status == 200 and rel['id'] in [i['id'] for i in r.json()['items']], r
    # the portfolio's dependencies as a graph and a table, by kind and by
    # body (the projects' network), in each language
    for lang in ('kk', 'ru', 'en'):
        page = SRV.get(f'/{lang}/projects/network/dependencies')
        assert page.status == 200, page
        text = page.body.decode()
        assert '<svg' in text and text.count('<tr>') == 3, text[text.find('<main'):][:2000]
    text = SRV.get('/en/projects/network/dependencies?scope=sectoral').body.decode()
    assert 'Sectoral: 1' in text and 'Intra-agency: 1' in text and text.count('<tr>') == 2, text
    text = SRV.get(f'/en/projects/network/dependencies?owner={OTHER}').body.decode()
    assert text.count('<tr>') == 2 and 'Платформа идентификации' in text, text  # its one link
    assert SRV.get('/en/projects/network/dependencies?scope=galactic').status == 400
    assert SRV.get('/en/projects/network/nothing').status == 404
    # a body does not write another body's project
    r = SRV.request('PATCH', f'/api/v1/projects/{other["id"]}', {'roadmap_item': 'x'},
                    token=OWNER, headers={'If-Match': f'"{other["revision"]}"'})
    assert r.status in (403, 404), r
    r = create('projects', project('Чужой проект', OTHER), OWNER, status=403)


def criterion(name, stage, requirement):
    return create('criteria', {'kind': 'assessment_criterion', 'name': {'ru': name},
                               'stage': stage, 'requirement': requirement}, ARCH).json()


def test_a_compliance_assessment_and_its_conclusion():
    # REQ: MON-02
    # REQ: MON-04
    # the integrator assesses a project at a stage against criteria that
    # are records (required or recommended); the conclusion is worked out
    # from the results: a recommended criterion not met, partially; a
    # required one, does not comply; all met, fully. A criterion of another
    # stage is refused; an issued conclusion cannot change; a draft is the
    # integrator's and the body's, issued it is everyone's
    spec = criterion('ТС соответствует утвержденной архитектуре', 'planning', 'required')
    cost = criterion('Расчет стоимости по методике', 'planning', 'recommended')
    buy = criterion('Закупки соответствуют спецификации', 'investment', 'required')
    pid = W['project']['id']
    body = {'kind': 'compliance_assessment', 'owner': ORG, 'name': {'ru': 'Оценка на этапе планирования'},
            'project': pid, 'stage': 'planning',
            'answers': [{'criterion': spec['id'], 'result': 'met'},
                        {'criterion': cost['id'], 'result': 'not_met',
                         'comment': 'Нормы затрат не указаны'}]}
    rec = create('assessments', body, ARCH).json()
    assert rec['conclusion'] == 'partially_complies' and rec['status'] == 'draft', rec
    assert SRV.get(f'/api/v1/assessments/{rec["id"]}').status == 404  # a draft: not public
    assert SRV.get(f'/api/v1/assessments/{rec["id"]}', token=OWNER).status == 200
    # a criterion of the investment stage in a planning assessment: refused
    bad = dict(body, answers=body['answers'] + [{'criterion': buy['id'], 'result': 'met'}])
    r = create('assessments', bad, ARCH, status=422, lang='ru')
    assert_problem(r, 422, 'answers[2].criterion')
    cur = rec
    for answers, conclusion in (([('met', spec), ('not_met', cost)], 'partially_complies'),
                                ([('not_met', spec), ('met', cost)], 'does_not_comply'),
                                ([('met', spec), ('not_applicable', cost)], 'fully_complies')):
        r = SRV.request('PATCH', f'/api/v1/assessments/{cur["id"]}',
                        {'answers': [{'criterion': c['id'], 'result': res} for res, c in answers]},
                        token=ARCH, headers={'If-Match': f'"{cur["revision"]}"'})
        assert r.status == 200, r
        cur = r.json()
        assert cur['conclusion'] == conclusion, (answers, cur)
    # issued: published, dated, locked
    r = SRV.request('POST', f'/api/v1/assessments/{cur["id"]}/submit', None, token=OWNER,
                    headers={'If-Match': f'"{cur["revision"]}"'})
    assert r.status in (403, 404), r  # the body does not issue it
    r = SRV.request('POST', f'/api/v1/assessments/{cur["id"]}/submit', None, token=ARCH,
                    headers={'If-Match': f'"{cur["revision"]}"'})
    assert r.status == 200, r
    issued = r.json()
    assert issued['status'] == 'issued' and issued['issued_on'] == TODAY.isoformat(), issued
    pub = SRV.get(f'/api/v1/assessments/{cur["id"]}')
    assert pub.status == 200 and pub.json()['conclusion'] == 'fully_complies', pub
    r = SRV.request('PATCH', f'/api/v1/assessments/{cur["id"]}', {'remarks': {'ru': 'Исправлено'}},
                    token=ARCH, headers={'If-Match': f'"{issued["revision"]}"'})
    assert_problem(r, 409)
    # the list by conclusion
    r = SRV.get('/api/v1/assessments?filter=conclusion:fully_complies')
    assert [i['id'] for i in r.json()['items']] == [cur['id']], r


def rstep(rec, what, token, body=None):
    return SRV.request('POST', f'/api/v1/recommendations/{rec["id"]}/{what}', body, token=token,
                       headers={'If-Match': f'"{rec["revision"]}"'})


def open_obligations(rec):
    t = SRV.get(f'/api/v1/recommendations/{rec["id"]}/workflow', token=ARCH).json()
    return [(o['policy'], o['policy_value'], o['debtor_org'] or o['debtor_role'])
            for o in t['obligations'] if not o['done_at']]


def test_a_recommendation_carried_out_and_confirmed():
    # REQ: MON-05
    # a recommendation for rework: sent to the body (its deadline opens, in
    # working days from a dated policy), reported carried out by the body
    # (the integrator's confirmation is due), returned with remarks (the
    # body's deadline opens again), carried out again and confirmed; the
    # body cannot confirm it, and the public reads it once confirmed
    cost = [c for c in SRV.get('/api/v1/criteria?limit=50').json()['items']
            if c['requirement'] == 'recommended'][0]
    rec = create('recommendations', {'kind': 'recommendation', 'owner': ORG,
                                     'name': {'ru': 'Указать нормы затрат в расчете стоимости'},
                                     'project': W['project']['id'], 'criterion': cost['id']},
                 ARCH).json()
    assert rec['status'] == 'draft', rec
    assert SRV.get(f'/api/v1/recommendations/{rec["id"]}').status == 404
    r = rstep(rec, 'submit', ARCH)
    assert r.status == 200 and r.json()['status'] == 'open', r
    rec = r.json()
    assert open_obligations(rec) == [('recommendation_rework', 20, ORG)], open_obligations(rec)
    rec = SRV.request('PATCH', f'/api/v1/recommendations/{rec["id"]}',
                      {'report': {'ru': 'Нормы затрат указаны по методике'}}, token=OWNER,
                      headers={'If-Match': f'"{rec["revision"]}"'}).json()
    r = rstep(rec, 'submit', OWNER)
    assert r.status == 200 and r.json()['status'] == 'carried_out', r
    rec = r.json()
    assert open_obligations(rec) == [('recommendation_confirmation', 5, 'integrator-architect')]
    assert rstep(rec, 'verify', OWNER, {'decision': 'accept'}).status in (403, 404)
    r = rstep(rec, 'verify', ARCH, {'decision': 'return',
                                      'remarks': [{'text': 'Нет ссылки на методику'}]})
    assert r.status == 200 and r.json()['status'] == 'open', r
    rec = r.json()
    assert open_obligations(rec) == [('recommendation_rework', 20, ORG)]
    rec = rstep(rec, 'submit', OWNER).json()
    r = rstep(rec, 'verify', ARCH, {'decision': 'accept'})
    assert r.status == 200, r
    done = r.json()
    assert (done['status'], done['confirmed_on']) == ('confirmed', TODAY.isoformat()), done
    assert open_obligations(done) == []
    assert SRV.get(f'/api/v1/recommendations/{rec["id"]}').status == 200


def test_an_issued_assessment_makes_its_recommendations():
    # REQ: MON-05
    # each criterion an issued assessment found not met becomes a draft
    # recommendation to the body, named after the criterion, for the
    # integrator to word and send; criteria met make none; once only
    crits = {c['requirement']: c for c in SRV.get('/api/v1/criteria?limit=50').json()['items']
             if c['stage'] == 'planning'}
    rec = create('assessments', {'kind': 'compliance_assessment', 'owner': ORG,
                                 'name': {'ru': 'Повторная оценка на этапе планирования'},
                                 'project': W['project']['id'], 'stage': 'planning',
                                 'answers': [{'criterion': crits['required']['id'], 'result': 'not_met'},
                                             {'criterion': crits['recommended']['id'], 'result': 'met'}]},
                 ARCH).json()
    mine = f'/api/v1/recommendations?filter=assessment:{rec["id"]}&limit=50'
    assert SRV.get(mine, token=ARCH).json()['total'] == 0  # a draft assessment makes none
    r = SRV.request('POST', f'/api/v1/assessments/{rec["id"]}/submit', None, token=ARCH,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200 and r.json()['conclusion'] == 'does_not_comply', r
    made = SRV.get(mine, token=ARCH).json()['items']
    assert [(m['criterion'], m['status'], m['owner'], m['project']) for m in made] == [
        (crits['required']['id'], 'draft', ORG, W['project']['id'])], made
    assert made[0]['name'] == crits['required']['name'], made


def test_a_cost_calculation():
    # REQ: SVC-04
    # the authorized body keeps the norms as dated editions; a body
    # calculates a project's cost by an edition's norms (quantity × norm ×
    # coefficient, summed by the portal), kept with that edition; a norm of
    # another edition is refused; the assessment cites it as evidence
    approver = SRV.token('approver')
    ed = create('cost_norms', {'kind': 'cost_norm_edition', 'name': {'ru': 'Нормативы 2025'},
                               'basis': 'Приказ 140/НҚ', 'valid_from': '2025-01-01'}, approver).json()
    old = create('cost_norms', {'kind': 'cost_norm_edition', 'name': {'ru': 'Нормативы 2023'},
                                'basis': 'Приказ 140/НҚ', 'valid_from': '2023-01-01',
                                'valid_until': '2024-12-31'}, approver).json()
    bad = create('cost_norms', {'kind': 'cost_norm_edition', 'name': {'ru': 'x'}, 'basis': 'x',
                                'valid_from': '2025-01-01', 'valid_until': '2024-01-01'}, approver,
                 status=422, lang='ru')
    assert_problem(bad, 422, 'valid_until')

    def norm(edition, code, rate, coefficient='1'):
        return create('cost_norms', {'kind': 'cost_norm', 'name': {'ru': f'Статья {code}'},
                                     'edition': edition['id'], 'code': code, 'unit': 'чел.-день',
                                     'rate': rate, 'coefficient': coefficient}, approver).json()
    dev, test, stale = norm(ed, '2.1', '58000', '1.15'), norm(ed, '2.2', '52000.5'), norm(old, '2.1', '40000')
    create('cost_norms', {'kind': 'cost_norm', 'name': {'ru': 'x'}, 'edition': ed['id'], 'code': '9',
                          'unit': 'x', 'rate': '1', 'coefficient': '1'}, OWNER, status=403)
    calc = {'kind': 'cost_calculation', 'owner': ORG, 'name': {'ru': 'Расчёт стоимости создания ИС'},
            'project': W['project']['id'], 'purpose': 'create_object', 'edition': ed['id'],
            'total': '1',
            'lines': [{'norm': dev['id'], 'quantity': '100'}, {'norm': test['id'], 'quantity': '10.5'}]}
    rec = create('cost_calculations', calc, OWNER).json()
    # 100 × 58000 × 1.15 + 10.5 × 52000.5 × 1
    assert rec['total'] == '7216005.25', rec
    r = create('cost_calculations', dict(calc, lines=calc['lines'] + [{'norm': stale['id'], 'quantity': '1'}]),
               OWNER, status=422, lang='ru')
    assert_problem(r, 422, 'lines[2].norm')
    # the norm changes later: the calculation keeps its total until it is
    # written again, by the edition it names
    cur = SRV.get(f'/api/v1/cost_norms/{test["id"]}').json()
    r = SRV.request('PATCH', f'/api/v1/cost_norms/{test["id"]}', {'rate': '60000'}, token=approver,
                    headers={'If-Match': f'"{cur["revision"]}"'})
    assert r.status == 200, r
    assert SRV.get(f'/api/v1/cost_calculations/{rec["id"]}').json()['total'] == '7216005.25'
    # the public reads it; the planning assessment cites it as evidence
    assert SRV.get(f'/api/v1/cost_calculations/{rec["id"]}').status == 200
    crit = criterion('Расчёт стоимости по методике', 'planning', 'recommended')
    a = create('assessments', {'kind': 'compliance_assessment', 'owner': ORG, 'name': {'ru': 'Оценка расчёта'},
                               'project': W['project']['id'], 'stage': 'planning',
                               'answers': [{'criterion': crit['id'], 'result': 'met',
                                            'evidence': rec['id']}]}, ARCH).json()
    assert a['answers'][0]['evidence'] == rec['id'], a
    page = SRV.get(f'/en/cost_calculations/{rec["id"]}').body.decode()
    assert '7216005.25' in page and 'Total cost, tenge' in page


def test_an_acquisition_by_donation():
    # REQ: LC-05
    # a state legal entity asks to acquire an object by donation; the
    # integrator evaluates it (architecture, technical and legal
    # requirements, data management, similar software in the register)
    # while the request is locked for the body; the authorized body gives
    # its conclusion on economic feasibility; each step has its deadline in
    # working days, and a step is refused until its part is filled in
    approver = SRV.token('approver')
    body = {'kind': 'acquisition_request', 'owner': ORG, 'name': {'ru': 'Дарение ИС «Электронная очередь»'},
            'way': 'donation', 'donor': 'ТОО «Разработчик»',
            'description': {'ru': 'Система электронной очереди с исходными кодами'},
            'use': {'ru': 'Запись на приём в центрах занятости'}, 'operation_costs': '12000000'}
    # the reviewers' findings are theirs alone to write, even in the body's
    # draft: refused with the field, nothing made
    n = SRV.get('/api/v1/acquisitions?limit=1', token=ARCH).json()['total']
    r = create('acquisitions', dict(body, economically_feasible=True), OWNER, status=403, lang='ru')
    assert_problem(r, 403, 'economically_feasible')
    assert 'только роли approver' in r.json()['detail'], r.json()
    assert SRV.get('/api/v1/acquisitions?limit=1', token=ARCH).json()['total'] == n
    rec = create('acquisitions', body, OWNER).json()
    assert rec['status'] == 'draft' and SRV.get(f'/api/v1/acquisitions/{rec["id"]}').status == 404

    def send(method, suffix, token, payload):
        # the request at its current revision; its new state kept when taken
        nonlocal rec
        r = SRV.request(method, f'/api/v1/acquisitions/{rec["id"]}{suffix}', payload, token=token,
                        headers={'If-Match': f'"{rec["revision"]}"'})
        if r.status == 200:
            rec = r.json()
        return r

    def step(what, token, payload=None):
        return send('POST', f'/{what}', token, payload)

    def edit(changes, token):
        return send('PATCH', '', token, changes)

    def duties():
        t = SRV.get(f'/api/v1/acquisitions/{rec["id"]}/workflow', token=ARCH).json()
        return [(o['policy'], o['policy_value'], o['debtor_role']) for o in t['obligations']
                if not o['done_at']]
    assert_problem(edit({'evaluation': {'ru': 'Соответствует'}}, OWNER), 403, 'evaluation')
    assert 'evaluation' not in rec
    assert step('submit', OWNER).status == 200 and rec['status'] == 'with_integrator', rec
    assert duties() == [('acquisition_evaluation', 10, 'integrator-architect')], duties()
    # locked for the body, open to the integrator's architects
    assert_problem(edit({'donor': 'Другой'}, OWNER), 409)
    r = step('verify', ARCH, {'decision': 'accept'})
    assert_problem(r, 422)  # the evaluation is not written yet
    assert edit({'architecture_compliance': 'meets', 'technical_legal': 'meets',
                 'data_management': 'partly_meets', 'similar_in_register': False,
                 'evaluation': {'ru': 'Соответствует архитектуре; аналогов в реестре нет'}},
                ARCH).status == 200
    assert step('verify', OWNER, {'decision': 'accept'}).status in (403, 404)
    assert step('verify', ARCH, {'decision': 'accept'}).status == 200
    assert rec['status'] == 'with_authority' and duties() == [('acquisition_conclusion', 10, 'approver')]
    assert_problem(edit({'evaluation': {'ru': 'x'}}, ARCH), 409)  # now the authorized body's
    # the authorized body returns it with reasons; the body reworks and
    # sends it again; the conclusion is given
    assert step('verify', approver, {'decision': 'return',
                                     'remarks': [{'text': 'Уточните затраты на эксплуатацию'}]}).status == 200
    assert rec['status'] == 'returned' and duties() == []
    assert edit({'operation_costs': '9500000'}, OWNER).status == 200
    # the integrator's evaluation kept as written: the body may not change it
    assert_problem(edit({'similar_in_register': True}, OWNER), 403, 'similar_in_register')
    assert rec['similar_in_register'] is False
    # the body's edit form offers none of the reviewers' fields, and saving
    # it keeps the evaluation as the integrator wrote it
    email = SRV.user('owner-editor', ORG)
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'})
    cookie, csrf = re.match(r'ap_session=([^;]*)', r.header('Set-Cookie')).group(1), r.json()['csrf_token']
    page = SRV.request('GET', f'/ru/acquisitions/{rec["id"]}/edit',
                       headers={'Cookie': f'ap_session={cookie}'}).body.decode()
    assert 'name="donor"' in page and 'name="evaluation.ru"' not in page
    assert 'name="economically_feasible"' not in page and 'name="similar_in_register"' not in page
    fields = [('_csrf', csrf), ('name.ru', rec['name']['ru']), ('way', 'donation'),
              ('donor', 'ТОО «Разработчик»'), ('description.ru', rec['description']['ru']),
              ('use.ru', rec['use']['ru']), ('operation_costs', '9000000'),
              ('revision', str(rec['revision']))]
    r = SRV.request('POST', f'/ru/acquisitions/{rec["id"]}/edit', urllib.parse.urlencode(fields),
                    headers={'Content-Type': 'application/x-www-form-urlencoded',
                             'Origin': f'http://127.0.0.1:{SRV.port}',
                             'Cookie': f'ap_session={cookie}'})
    assert r.status == 303, r
    rec = SRV.get(f'/api/v1/acquisitions/{rec["id"]}', token=ARCH).json()
    assert rec['operation_costs'] == '9000000' and rec['evaluation']['ru'].startswith('Соответствует')
    assert step('submit', OWNER).status == 200
    assert step('verify', ARCH, {'decision': 'accept'}).status == 200
    assert edit({'economically_feasible': True,
                 'conclusion': {'ru': 'Принятие в государственную собственность целесообразно'}},
                approver).status == 200
    assert step('verify', approver, {'decision': 'accept'}).status == 200
    assert rec['status'] == 'concluded' and rec['concluded_on'] == TODAY.isoformat(), rec
    pub = SRV.get(f'/api/v1/acquisitions/{rec["id"]}')
    assert pub.status == 200 and pub.json()['economically_feasible'] is True, pub


def test_a_conclusion_for_each_component():
    # REQ: MON-04
    # each answer may name the architecture component it is about (an
    # object, a capability, a function, a service...): the conclusion is
    # worked out for each component from its own answers as for the
    # project, and kept up to date with them
    crits = {c['requirement']: c for c in SRV.get('/api/v1/criteria?limit=50').json()['items']
             if c['stage'] == 'planning'}
    sys_a = create('objects', {'kind': 'information_system', 'owner': ORG,
                               'name': {'ru': 'ИС назначения пособий'}, 'stage': 'creation'},
                   OWNER).json()
    sys_b = create('objects', {'kind': 'information_system', 'owner': ORG,
                               'name': {'ru': 'ИС учета получателей'}, 'stage': 'creation'},
                   OWNER).json()
    body = {'kind': 'compliance_assessment', 'owner': ORG, 'name': {'ru': 'Оценка по компонентам'},
            'project': W['project']['id'], 'stage': 'planning',
            'answers': [{'criterion': crits['required']['id'], 'result': 'met', 'component': sys_a['id']},
                        {'criterion': crits['recommended']['id'], 'result': 'not_met',
                         'component': sys_a['id']},
                        {'criterion': crits['required']['id'], 'result': 'not_met',
                         'component': sys_b['id']},
                        {'criterion': crits['recommended']['id'], 'result': 'met'}]}
    rec = create('assessments', body, ARCH).json()
    assert rec['conclusion'] == 'does_not_comply', rec
    assert rec['component_conclusions'] == [
        {'component': sys_a['id'], 'conclusion': 'partially_complies'},
        {'component': sys_b['id'], 'conclusion': 'does_not_comply'}], rec['component_conclusions']
    # the answers change: so do the components' conclusions
    answers = body['answers'][:2] + [dict(body['answers'][2], result='met')]
    r = SRV.request('PATCH', f'/api/v1/assessments/{rec["id"]}', {'answers': answers}, token=ARCH,
                    headers={'If-Match': f'"{rec["revision"]}"'})
    assert r.status == 200, r
    assert r.json()['component_conclusions'][1] == {'component': sys_b['id'],
                                                    'conclusion': 'fully_complies'}, r.json()
    # written by the client: ignored (computed by the portal)
    r = SRV.request('PATCH', f'/api/v1/assessments/{rec["id"]}',
                    {'component_conclusions': [{'component': sys_b['id'], 'conclusion': 'does_not_comply'}]},
                    token=ARCH, headers={'If-Match': f'"{r.json()["revision"]}"'})
    assert r.status == 200 and r.json()['component_conclusions'][1]['conclusion'] == 'fully_complies', r
    # evidence as documents too: the draft assessment takes a signed copy
    # of the specification assessed; issued, it is locked
    body_, ctype = harness.multipart([('type', 'assessed_specification')],
                                     [('file', 'ts.pdf', harness.doc_fixture('pdfa1b'))])
    up = SRV.request('POST', f'/api/v1/assessments/{rec["id"]}/documents', body_,
                     headers={'Content-Type': ctype}, token=ARCH)
    assert up.status == 201, up
    docs = SRV.get(f'/api/v1/assessments/{rec["id"]}/documents', token=ARCH).json()['items']
    assert [d['type'] for d in docs if d.get('signed')] == ['assessed_specification'], docs
    assert not any(d['due'] for d in docs), 'evidence is never demanded'
    # a component of a kind no architecture component is: refused
    bad = dict(body, answers=[dict(body['answers'][0], component=W['project']['id'])])
    assert_problem(create('assessments', bad, ARCH, status=422), 422, 'answers[0].component')


def main():
    global SRV, ADMIN, ARCH, OWNER, OTHER_OWNER, ORG, OTHER
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        OTHER = make_org(2, 'Министерство цифрового развития')
        integrator = make_org(3, 'Сервисный интегратор')
        ARCH = srv.token('integrator-architect', integrator)
        OWNER = srv.token('owner-editor', ORG)
        OTHER_OWNER = srv.token('owner-editor', OTHER)
        run([test_a_body_records_its_project, test_bad_dates_and_spending_are_refused,
             test_dependencies_between_projects, test_a_compliance_assessment_and_its_conclusion,
             test_a_recommendation_carried_out_and_confirmed,
             test_an_issued_assessment_makes_its_recommendations, test_a_cost_calculation,
             test_an_acquisition_by_donation, test_a_conclusion_for_each_component])


if __name__ == '__main__':
    main()
