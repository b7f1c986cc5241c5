"""End-to-end tests of the registration workflow (issue 4, part 1): drafts,
submission with gaps, return with remarks, resubmission, verification with an
accounting code, the review of changes to registered records, deadlines, the
verifier's queue, who may see what, and codes under concurrency."""
import datetime
import json
import os
import re
import tempfile
import threading

from harness import (OPERATION_DATA, local_today, Server, assert_problem, cli, doc_fixture, multipart,
                     place_documents, run, valid_bin)

SRV = None
ADMIN = None
VERIFIER = None
ORG = None
OWNER = None
CODE_RE = re.compile(r'^IS-20\d\d-\d{6}$')

COMPLETE = {
    'purpose': {'ru': 'Учёт обращений граждан'},
    'functions': ['Приём обращений', 'Учёт ответов'],
    'class': 'second',
    'placement': 'icp_eg',
    'funding_source': 'state_investment_project',
    'source_code_transferred': True,
    'stored_data': 'ФИО, ИИН заявителей',
    'legal_basis': 'Приказ № 1',
    'contacts': 'Отдел цифровизации, +7 (7172) 55-00-00',
    'creation_phase': 'software_development',  # Order 129 §9
    'procurement_contracts': [{'contract_number': '12-ГЗ', 'contract_date': '2025-02-03',
                               'supplier_name': 'ТОО «Разработчик»'}],
    'general_data': {'summary': 'Система обращений граждан'},
}


def make_org(n):
    body = {'name': {'ru': f'Ведомство {n}'}, 'bin': valid_bin(8100 + n), 'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def draft(token=None, **fields):
    body = {'kind': 'information_system', 'owner': ORG, 'name': {'ru': 'Система обращений'},
            'stage': 'creation'}
    body.update(fields)
    r = SRV.request('POST', '/api/v1/objects', body, token=token or OWNER)
    assert r.status == 201, r
    return r.json()


def complete_draft(**fields):
    """A draft with its fields filled and the documents due at its stage placed."""
    rec = draft(**dict(COMPLETE, **fields))
    place_documents(SRV, rec['id'], OWNER)
    return rec


def patch(rec, changes, token=None):
    return SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}', changes, token=token or OWNER,
                       headers={'If-Match': f'"{rec["revision"]}"'})


def submit(rec, token=None):
    return SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=token or OWNER)


def verify(rec, body, token=None):
    return SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify', body, token=token or VERIFIER)


def timeline(rec, token=None):
    r = SRV.get(f'/api/v1/objects/{rec["id"]}/workflow', token=token or OWNER)
    assert r.status == 200, r
    return r.json()


def outbox_to(words):
    items = SRV.get('/api/v1/outbox', token=VERIFIER).json()['items']
    return [m for m in items if words in m['body']]


def register(rec):
    r = submit(rec)
    assert r.status == 200, r
    r = verify(rec, {'decision': 'accept'})
    assert r.status == 200, r
    return r.json()


def test_draft_to_registered_with_return_and_resubmission():
    # REQ: REG-03
    # REQ: REG-04
    # REQ: REG-05
    rec = draft()
    assert rec['status'] == 'draft' and 'accounting_code' not in rec
    # a draft is the owner's and the integrator's, not the public's
    assert_problem(SRV.get(f'/api/v1/objects/{rec["id"]}'), 404)
    assert_problem(SRV.get(f'/api/v1/objects/{rec["id"]}/history'), 404)
    assert_problem(SRV.get(f'/api/v1/objects/{rec["id"]}/workflow'), 404)
    assert SRV.get(f'/api/v1/objects/{rec["id"]}', token=OWNER).status == 200
    assert SRV.get(f'/api/v1/objects/{rec["id"]}', token=VERIFIER).status == 200
    public = SRV.get(f'/api/v1/objects?owner={ORG}').json()
    assert rec['id'] not in [i['id'] for i in public['items']]
    mine = SRV.get(f'/api/v1/objects?owner={ORG}', token=OWNER).json()
    assert rec['id'] in [i['id'] for i in mine['items']]
    # clients cannot set the workflow's fields
    r = patch(rec, {'status': 'registered', 'accounting_code': 'IS-1999-000001'})
    assert r.status == 200 and r.json()['status'] == 'draft' and 'accounting_code' not in r.json(), r
    # an incomplete record is refused with its gaps, and nothing changes
    r = submit(rec)
    assert_problem(r, 422, 'gaps')
    gaps = {g['field'] for g in r.json()['gaps']['fields']}
    assert gaps == set(COMPLETE) - {'source_code_transferred', 'creation_phase'}, gaps
    # the phase of creation is the Rules' (Order 129 §9), checked as a rule
    assert [g['field'] for g in r.json()['gaps']['rules']] == ['creation_phase'], r.json()['gaps']
    # Appendix 1's information (items 5, 14) is data, not a document
    assert {g['type'] for g in r.json()['gaps']['documents']} == {
        'technical_specification', 'contract'}, r.json()['gaps']
    assert SRV.get(f'/api/v1/objects/{rec["id"]}', token=OWNER).json()['status'] == 'draft'
    # the stage makes more fields needed
    r = patch(SRV.get(f'/api/v1/objects/{rec["id"]}', token=OWNER).json(), dict(COMPLETE, stage='industrial_operation'))
    assert r.status == 200, r
    gaps = {g['field'] for g in timeline(rec)['gaps']['fields']}
    assert gaps == {'supplier', 'commissioning_date', *OPERATION_DATA}, gaps
    rec = patch(r.json(), {'supplier': 'ТОО «Разработчик»', 'commissioning_date': '2024-05-01',
                           **OPERATION_DATA}).json()
    # complete data is not enough (002 §12): the documents due at the stage,
    # signed, and the relations the model requires come first, and the
    # timeline's gaps are what submission refuses on
    gaps = timeline(rec)['gaps']
    assert gaps['fields'] == [] and len(gaps['documents']) == 13, gaps
    assert [g['type'] for g in gaps['relations']] == ['runs_on'], gaps
    r = submit(rec)
    assert_problem(r, 422, 'gaps')
    assert r.json()['gaps'] == gaps, r.json()
    assert '13 documents due at its stage have no signed copy' in r.json()['detail'], r.json()
    assert '1 required relation is missing' in r.json()['detail'], r.json()
    # a draft (DOCX) is not the signed copy that counts
    body, ctype = multipart([('type', 'contract')], [('file', 'contract.docx', doc_fixture('docx'))])
    up = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/documents', body,
                     headers={'Content-Type': ctype}, token=OWNER)
    assert up.status == 201 and up.json()['variant'] == 'draft', up
    assert 'contract' in [g['type'] for g in timeline(rec)['gaps']['documents']]
    assert place_documents(SRV, rec['id'], OWNER) == 13
    assert [g['type'] for g in timeline(rec)['gaps']['documents']] == []
    infra = SRV.request('POST', '/api/v1/objects', {
        'kind': 'ict_infrastructure_object', 'owner': ORG, 'name': {'ru': 'Серверная'},
        'stage': 'industrial_operation', 'infrastructure_type': 'server_equipment'}, token=OWNER).json()
    assert_problem(submit(rec), 422, 'gaps')
    r = SRV.request('POST', '/api/v1/relations', {'type': 'runs_on', 'source': rec['id'],
                                                  'target': infra['id']}, token=OWNER)
    assert r.status == 201, r
    assert timeline(rec)['gaps'] == {'fields': [], 'documents': [], 'relations': [], 'rules': [],
                                     'judged_on': local_today()}
    # only the owner's side submits; the integrator verifies
    assert_problem(SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit'), 401)
    assert_problem(submit(rec, token=VERIFIER), 403)
    r = submit(rec)
    assert r.status == 200 and r.json()['status'] == 'submitted', r
    rec = r.json()
    assert_problem(submit(rec), 409)
    # locked while under verification
    assert_problem(patch(rec, {'supplier': 'другой'}), 409, 'status')
    assert_problem(SRV.request('DELETE', f'/api/v1/objects/{rec["id"]}', headers={'If-Match': '*'}, token=OWNER), 409)
    # the verifier owes a decision within 2 working days, and sees it in the queue
    t = timeline(rec)
    open_obs = [o for o in t['obligations'] if o['done_at'] is None]
    assert [(o['policy'], o['policy_value'], o['debtor_role']) for o in open_obs] == [
        ('verification', 2, 'integrator-verifier')], open_obs
    due = SRV.get('/api/v1/calendar/add?at=' + open_obs[0]['started_at'] + '&days=2').json()['due']
    assert open_obs[0]['due_at'] == due
    queue = SRV.get('/api/v1/verification-queue', token=VERIFIER).json()['items']
    mine = [q for q in queue if q['record']['id'] == rec['id']]
    assert mine and mine[0]['due_at'] == due and mine[0]['overdue'] is False
    assert [q['due_at'] for q in queue] == sorted(q['due_at'] for q in queue)
    assert_problem(SRV.get('/api/v1/verification-queue', token=OWNER), 403)
    assert_problem(SRV.get('/api/v1/verification-queue'), 401)
    # the owner cannot verify its own record
    assert_problem(verify(rec, {'decision': 'accept'}, token=OWNER), 403)
    # a return needs remarks, about real fields
    assert_problem(verify(rec, {'decision': 'return'}), 422, 'remarks')
    assert_problem(verify(rec, {'decision': 'return', 'remarks': [{'field': 'nonsense', 'text': 'x'}]}),
                   422, 'remarks[0]')
    assert_problem(verify(rec, {'decision': 'return', 'remarks': [{'text': '   '}]}), 422, 'remarks[0]')
    assert_problem(verify(rec, {'decision': 'maybe'}), 422, 'decision')
    assert_problem(verify(rec, {'decision': 'accept', 'remarks': [{'text': 'x'}]}), 422, 'remarks')
    remark = 'Уточните назначение <script>alert(1)</script>'
    r = verify(rec, {'decision': 'return', 'remarks': [{'field': 'purpose', 'text': remark}]})
    assert r.status == 200 and r.json()['status'] == 'returned', r
    rec = r.json()
    # the owner owes the rework within 5 working days, and was told what to fix
    t = timeline(rec)
    assert [(o['policy'], o['policy_value'], o['debtor_org']) for o in t['obligations'] if not o['done_at']] == [
        ('owner_update', 5, ORG)], t['obligations']
    assert any(o['policy'] == 'verification' and o['outcome'] == 'return' for o in t['obligations'])
    assert t['events'][-1]['remarks'] == [{'field': 'purpose', 'text': remark}]
    assert outbox_to(remark), 'no message about the return'
    assert rec['id'] not in [q['record']['id'] for q in SRV.get('/api/v1/verification-queue', token=VERIFIER).json()['items']]
    # fixed and resubmitted; then accepted with a code
    rec = patch(rec, {'purpose': {'ru': 'Учёт и рассмотрение обращений граждан'}}).json()
    assert rec['status'] == 'returned'
    rec = submit(rec).json()
    assert rec['status'] == 'submitted'
    assert all(o['done_at'] for o in timeline(rec)['obligations'] if o['policy'] == 'owner_update')
    r = verify(rec, {'decision': 'accept'})
    assert r.status == 200, r
    rec = r.json()
    assert rec['status'] == 'registered' and CODE_RE.match(rec['accounting_code']), rec
    assert_problem(verify(rec, {'decision': 'accept'}), 409)
    assert outbox_to(rec['accounting_code']), 'no message with the code'
    # published: the public sees it now, and finds it by its code
    pub = SRV.get(f'/api/v1/objects/{rec["id"]}')
    assert pub.status == 200 and pub.json()['accounting_code'] == rec['accounting_code']
    assert 'contacts' not in pub.json()
    found = SRV.get('/api/v1/objects?q=' + rec['accounting_code']).json()['items']
    assert [i['id'] for i in found] == [rec['id']], found
    # a change stays registered and published at once, queued for review
    r = patch(rec, {'supplier': 'ТОО «Новый разработчик»'})
    assert r.status == 200, r
    rec = r.json()
    assert (rec['status'], rec['review'], rec['accounting_code']) == ('registered', 'pending', pub.json()['accounting_code'])
    assert SRV.get(f'/api/v1/objects/{rec["id"]}').json()['supplier'] == 'ТОО «Новый разработчик»'
    assert rec['id'] in [q['record']['id'] for q in SRV.get('/api/v1/verification-queue', token=VERIFIER).json()['items']]
    # a second change while under review opens nothing new
    rec = patch(rec, {'legal_basis': 'Приказ № 2'}).json()
    assert len([o for o in timeline(rec)['obligations'] if not o['done_at']]) == 1
    rec = verify(rec, {'decision': 'return', 'remarks': [{'field': 'supplier', 'text': 'БИН поставщика?'}]}).json()
    assert (rec['status'], rec['review']) == ('registered', 'returned')
    rec = patch(rec, {'supplier': 'ТОО «Новый разработчик» (БИН 123456789012)'}).json()
    assert rec['review'] == 'pending'
    rec = verify(rec, {'decision': 'accept'}).json()
    assert rec['status'] == 'registered' and 'review' not in rec
    assert rec['accounting_code'] == pub.json()['accounting_code']
    t = timeline(rec, token=None)
    assert [e['transition'] for e in t['events']] == [
        'submit', 'return', 'submit', 'accept', 'change', 'return_change', 'change', 'accept_change']
    assert all(o['done_at'] for o in t['obligations']) and t['published'] is True
    # the public timeline is there too, once published
    assert SRV.get(f'/api/v1/objects/{rec["id"]}/workflow').status == 200
    # the record's history keeps every step (REG-06) for its organisation
    hist = SRV.get(f'/api/v1/objects/{rec["id"]}/history', token=OWNER).json()['items']
    assert [h['action'] for h in hist][:5] == ['create', 'update', 'update', 'submit', 'verify-return'], hist
    # the public sees it from its registration on (test_visibility.py)
    hist = SRV.get(f'/api/v1/objects/{rec["id"]}/history').json()['items']
    assert hist[0]['action'] == 'verify-accept', hist


def test_one_code_under_concurrent_verification_and_never_reused():
    # REQ: REG-03
    rec = complete_draft()
    assert submit(rec).status == 200
    results = []

    def accept():
        results.append(verify(rec, {'decision': 'accept'}))
    threads = [threading.Thread(target=accept) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == [200] + [409] * 7, [r.status for r in results]
    code = next(r.json()['accounting_code'] for r in results if r.status == 200)
    assert CODE_RE.match(code)
    # retired, its code stays taken: the next record gets another
    assert SRV.request('DELETE', f'/api/v1/objects/{rec["id"]}', headers={'If-Match': '*'}, token=OWNER).status == 204
    other = register(complete_draft())
    assert other['accounting_code'] != code
    assert int(other['accounting_code'][-6:]) > int(code[-6:])
    export = SRV.export().decode().splitlines()
    codes = [json.loads(line)['accounting_code'] for line in export if line.startswith('{"accounting_code"')]
    assert {c['code'] for c in codes} >= {code, other['accounting_code']}
    # retiring closed what was open about it
    r = submit(complete_draft())
    assert r.status == 200
    assert SRV.request('DELETE', f'/api/v1/objects/{r.json()["id"]}', headers={'If-Match': '*'}, token=ADMIN).status == 409  # locked


def test_other_organisations_and_kinds():
    # REQ: ROL-04
    # REQ: ROL-05
    other_org = make_org(2)
    stranger = SRV.token('owner-editor', other_org)
    rec = complete_draft()
    # another organisation's editor can neither read the draft nor submit it
    assert_problem(SRV.get(f'/api/v1/objects/{rec["id"]}', token=stranger), 404)
    assert_problem(submit(rec, token=stranger), 404)
    assert_problem(SRV.get(f'/api/v1/objects/{rec["id"]}/workflow', token=stranger), 404)
    assert SRV.get(f'/api/v1/objects?owner={ORG}&filter=status:draft', token=stranger).json()['total'] == 0
    # a public filter on unpublished states finds nothing
    assert SRV.get('/api/v1/objects?filter=status:draft').json()['total'] == 0
    assert SRV.get('/api/v1/objects?filter=status:draft', token=VERIFIER).json()['total'] > 0
    # a registered object's links to a draft do not show the draft to the public
    pub = register(complete_draft())
    r = SRV.request('POST', '/api/v1/relations', {'type': 'exchanges_data_with', 'source': pub['id'],
                                                  'target': rec['id'], 'data_carried': 'обращения'}, token=OWNER)
    assert r.status == 201, r
    rels = SRV.get(f'/api/v1/objects/{pub["id"]}/relations').json()['items']
    assert rels == [], rels
    rels = SRV.get(f'/api/v1/objects/{pub["id"]}/relations', token=VERIFIER).json()['items']
    assert [x['target'] for x in rels] == [rec['id']], rels
    assert_problem(SRV.get(f'/api/v1/objects/{rec["id"]}/relations'), 404)
    # organisations have no workflow
    assert_problem(SRV.request('POST', f'/api/v1/organizations/{ORG}/submit', token=ADMIN), 409)
    assert_problem(SRV.request('POST', '/api/v1/objects/no-such-id/submit', token=OWNER), 404)
    assert_problem(SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', {'x': 1}, token=OWNER), 422)


def test_stage_duty_runs_from_the_day_the_stage_began():
    # REQ: REG-05
    # REQ: X-POL-01
    rec = register(complete_draft())
    # commissioned 60 days ago, reported only now: the owner's 5 working
    # days ran from the commissioning, so the report is late, with its delay
    commissioned = (datetime.date.today() - datetime.timedelta(days=60)).isoformat()
    r = patch(rec, {'stage': 'industrial_operation', 'commissioning_date': commissioned,
                    **OPERATION_DATA})
    assert r.status == 200, r
    rec = r.json()

    def duty():
        duties = [o for o in timeline(rec)['obligations'] if o['policy'] == 'stage_update']
        assert len(duties) == 1, duties
        return duties[0]
    d = duty()
    assert d['started_at'].startswith(commissioned) and d['done_at'] is None, d
    due = SRV.get('/api/v1/calendar/add?at=' + d['started_at'] + '&days=5').json()['due']
    assert d['due_at'] == due and d['policy_value'] == 5 and d['overdue'] is True, d
    # about 40 working days of the 60 calendar days, less the 5 it had
    assert 25 <= d['days_late'] <= 45, d
    # the documents due at the new stage are placed, but a field the stage
    # needs (the supplier) is still empty: the duty stays open
    place_documents(SRV, rec['id'], OWNER)
    assert 'supplier' in [g['field'] for g in timeline(rec)['gaps']['fields']]
    assert duty()['done_at'] is None
    rec = SRV.get(f'/api/v1/objects/{rec["id"]}', token=OWNER).json()
    rec = patch(rec, {'supplier': 'ТОО «Поставщик»'}).json()
    d = duty()
    assert d['done_at'] and d['outcome'] == 'data-complete' and d['days_late'] >= 25, d
    # a stage whose date is not given yet runs from the edit
    rec = patch(rec, {'stage': 'termination'}).json()
    duties = [o for o in timeline(rec)['obligations'] if o['policy'] == 'stage_update' and not o['done_at']]
    assert len(duties) == 1 and duties[0]['started_at'][:10] == datetime.datetime.utcnow().date().isoformat()
    assert duties[0]['overdue'] is False and 'days_late' not in duties[0], duties


def rules_broken(rec, token=None):
    return [g['rule'] for g in timeline(rec, token)['gaps']['rules']]


def test_rules_of_placement_funding_and_stages():
    # REQ: REG-08
    # REQ: REG-09
    # REQ: REG-10
    # REQ: LC-01
    # REQ: LC-03
    # a first-class object elsewhere than the platform or the e-government
    # infrastructure breaks REG-08: submission lists the rule, not a field
    rec = complete_draft(**{'class': 'first', 'placement': 'other'})
    r = submit(rec)
    assert_problem(r, 422, 'gaps')
    assert [g['rule'] for g in r.json()['gaps']['rules']] == ['first_class_placement'], r.json()
    assert r.json()['gaps']['rules'][0]['field'] == 'placement'
    assert '1 rule of the Rules is broken' in r.json()['detail'], r.json()
    # built outside the platform (REG-09): the exception is needed, for
    # state-funded objects only
    rec = patch(SRV.get(f'/api/v1/objects/{rec["id"]}', token=OWNER).json(), {'class': 'second'}).json()
    assert rules_broken(rec) == []
    assert [g['field'] for g in timeline(rec)['gaps']['fields']] == ['placement_exception']
    rec = patch(rec, {'funding_source': 'other'}).json()
    assert timeline(rec)['gaps']['fields'] == []
    rec = patch(rec, {'funding_source': 'state_investment_project',
                      'placement_exception': 'platform_inexpedient'}).json()
    assert timeline(rec)['gaps']['fields'] == []
    # budget-funded software in operation says whether its source code was
    # handed over (REG-10); the warranty's end is derived (REG-11)
    body = dict(COMPLETE, stage='industrial_operation', supplier='ТОО', commissioning_date='2024-02-29',
                warranty_end='2030-01-01')
    del body['source_code_transferred']
    op = draft(**body)
    assert op['warranty_end'] == '2025-02-28', op
    assert rules_broken(op) == ['budget_source_code']
    op = patch(op, {'source_code_transferred': False}).json()
    assert rules_broken(op) == [] and op['warranty_end'] == '2025-02-28'
    # a registered object moves only along the life cycle (LC-01): not back
    # to creation, development only from operation, termination is final
    reg = register(complete_draft())
    assert_problem(patch(reg, {'stage': 'development'}), 422, 'stage')
    r = patch(reg, {'stage': 'industrial_operation', 'supplier': 'ТОО', 'commissioning_date': '2026-01-15'})
    assert r.status == 200, r
    reg = r.json()
    assert_problem(patch(reg, {'stage': 'creation'}), 422, 'stage')
    # development changes the main object's source code; otherwise it is
    # refinement (LC-03): the rule is broken until the record says so
    reg = patch(reg, {'stage': 'development'}).json()
    assert reg['stage'] == 'development'
    assert rules_broken(reg) == ['development_changes_main_code']
    report = SRV.get('/api/v1/rules', token=VERIFIER).json()['items']
    mine = next(i for i in report if i['rule'] == 'development_changes_main_code')
    assert reg['id'] in [v['id'] for v in mine['violators']] and mine['requirement'] == 'LC-03', mine
    assert mine['compliant'] < mine['applicable'] and 0 <= mine['compliant_percent'] < 100
    # the integrator reads the same report as a page, each record linked
    verifier = SRV.session('integrator-verifier', VERIFIER_ORG)
    page = SRV.get('/ru/rules', headers={'Cookie': verifier, 'Accept': 'text/html'})
    assert page.status == 200, page
    body = page.body.decode()
    section = body[body.index('id="rule-development_changes_main_code"'):]
    section = section[:section.index('</section>')]
    assert f'href="/ru/objects/{reg["id"]}"' in section and 'LC-03' in section, section[:2000]
    assert 'Изменяется исходный код основного объекта' in section  # the field to put right, labelled
    dash = SRV.get('/ru/dashboards', headers={'Cookie': verifier, 'Accept': 'text/html'}).body.decode()
    assert 'href="/ru/rules"' in dash
    owner = SRV.session('owner-editor', ORG)
    assert SRV.get('/ru/rules', headers={'Cookie': owner, 'Accept': 'text/html'}).status == 403
    assert 'href="/ru/rules"' not in SRV.get('/ru/dashboards', headers={'Cookie': owner, 'Accept': 'text/html'}).body.decode()
    assert SRV.get('/ru/rules', headers={'Accept': 'text/html'}).status == 401
    reg = patch(reg, {'main_source_code_changed': True}).json()
    assert rules_broken(reg) == []
    mine = next(i for i in SRV.get('/api/v1/rules', token=VERIFIER).json()['items']
                if i['rule'] == 'development_changes_main_code')
    assert reg['id'] not in [v['id'] for v in mine['violators']]
    # refinement (integration, external modules) is recorded as such: the
    # object stays in operation and breaks no rule
    reg = patch(reg, {'refinements': [{'type': 'integration', 'description': 'Интеграция с ШЭП',
                                       'started_on': '2026-10-01'}]}).json()
    assert reg['stage'] == 'development' and reg['refinements'][0]['type'] == 'integration'
    assert_problem(patch(reg, {'refinements': [{'type': 'rewrite', 'description': 'x'}]}), 422,
                   'refinements[0].type')
    reg = patch(reg, {'stage': 'termination', 'termination_date': '2026-11-30'}).json()
    assert_problem(patch(reg, {'stage': 'industrial_operation'}), 422, 'stage')
    # the phases of creation (Order 129 §9): past trial operation, its
    # completion certificate is needed
    c = draft(**dict(COMPLETE, creation_phase='security_testing'))
    assert [g['field'] for g in timeline(c)['gaps']['fields']] == ['trial_completion_certificate']
    c = patch(c, {'trial_completion_certificate': {'number': 'АЗОЭ-7', 'date': '2026-09-01'}}).json()
    assert timeline(c)['gaps']['fields'] == []
    c = patch(c, {'creation_phase': None}).json()
    assert rules_broken(c) == ['creation_phase_recorded']
    # a draft may still correct its stage; the public report shows no draft
    d = complete_draft(stage='termination')
    assert patch(d, {'stage': 'creation'}).status == 200
    # the report reads every record of its kinds: the integrator's, the
    # authorized body's and administrators', not anyone's
    assert_problem(SRV.get('/api/v1/rules'), 401)
    assert_problem(SRV.get('/api/v1/rules', token=OWNER), 403)
    assert_problem(SRV.get('/api/v1/rules?x=1'), 400)


def test_public_gaps_name_no_restricted_field():
    # REQ: ROL-05
    # that a restricted field (contacts) of a registered record is empty is
    # not the public's to know: its timeline and completeness leave it out
    rec = register(complete_draft())
    r = patch(rec, {'contacts': None})
    assert r.status == 200 and 'contacts' not in r.json(), r
    path = f'/api/v1/objects/{rec["id"]}'
    for token, shown in ((None, False), (OWNER, True), (VERIFIER, True)):
        t = SRV.get(f'{path}/workflow', token=token).json()
        c = SRV.get(f'{path}/completeness', token=token).json()
        for gaps in (t['gaps'], c['gaps']):
            assert ('contacts' in [g['field'] for g in gaps['fields']]) is shown, (token, gaps)


def test_dump_carries_the_workflow():
    # REQ: REG-06
    first = SRV.export()
    kinds = {next(iter(json.loads(line))) for line in first.decode().splitlines()[1:]}
    assert {'accounting_code', 'code_counter', 'workflow_event'} <= kinds, kinds
    assert cli(SRV.data, 'check').returncode == 0


def test_a_submitted_record_is_judged_by_the_rules_of_its_submission_day():
    # REQ: X-POL-01
    # An object in operation without Appendix 1's item 15 data (needed
    # since Order 611/НҚ took effect on 08.01.2025). Today it lacks them;
    # submitted on 20.12.2024 (a restored registry), it is judged by the
    # rules then: no item 15, item 2 in Order 174's words.
    rec = draft(**dict(COMPLETE, stage='industrial_operation', supplier='ТОО «Разработчик»',
                       commissioning_date='2024-05-01'))
    now = SRV.get(f'/api/v1/objects/{rec["id"]}/completeness', token=OWNER).json()
    assert now['gaps']['judged_on'] == local_today()
    assert {'installations', 'deployment', 'costs'} <= {g['field'] for g in now['gaps']['fields']}
    lines = SRV.export().decode().splitlines()
    for i, line in enumerate(lines):
        row = json.loads(line)
        if row.get('record', {}).get('id') == rec['id']:
            last = row['record']['revisions'][-1]
            last['data']['status'] = 'submitted'
            last['data']['updated_at'] = last['at'] = '2024-12-20T06:00:00.000Z'
            lines[i] = json.dumps(row, ensure_ascii=False)
    with tempfile.TemporaryDirectory() as d:
        dump = os.path.join(d, 'dump.jsonl')
        with open(dump, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        SRV.copy_blobs(os.path.join(d, 'data'))
        cli(os.path.join(d, 'data'), 'import', dump)
        with Server(data_dir=os.path.join(d, 'data')) as old:
            tok = old.token('admin')
            then = old.get(f'/api/v1/objects/{rec["id"]}/completeness', token=tok).json()
            assert then['gaps']['judged_on'] == '2024-12-20', then['gaps']
            fields = {g['field'] for g in then['gaps']['fields']}
            assert not fields & {'installations', 'deployment', 'costs', 'stored_data'}, fields
            assert then['counts']['fields']['needed'] == now['counts']['fields']['needed'] - 4
            cl = old.get(f'/api/v1/objects/{rec["id"]}/documents', token=tok).json()
            assert cl['judged_on'] == '2024-12-20'
            items = {i['type']: i for i in cl['items']}
            assert items['security_test_protocol']['label']['en'].startswith('Data on information-security'), items['security_test_protocol']
            assert items['operational_data']['in_force'] == {
                'from': '2025-01-08', 'source': 'Order 611/НҚ, in force 08.01.2025 (seed 002), Appendix 1 item 15'}
            assert not items['operational_data']['due']
            # the card says by which day's rules it is judged
            email = old.user('admin')
            r = old.request('POST', '/api/v1/session', {'email': email, 'password': 'Corr3ct-Horse-Battery'})
            cookie = re.match(r'(ap_session=[^;]*)', r.header('Set-Cookie') or '').group(1)
            page = old.get(f'/en/objects/{rec["id"]}', headers={'Cookie': cookie, 'Accept': 'text/html'})
            assert page.status == 200, page
            assert b'Judged by the rules in force on 2024-12-20' in page.body, page.body[:300]
    # the model serves the dates and the earlier wordings
    m = SRV.get('/api/v1/model').json()
    sw = [v for v in m['enums']['ict_service_type']['values'] if v['id'] == 'software_provision'][0]
    assert sw['earlier'][0]['until'] == '2025-01-08' and sw['earlier'][0]['label']['en'] == 'Provision of software'
    assert m['kinds']['information_system']['fields'][[f['name'] for f in m['kinds']['information_system']['fields']].index('installations')]['needed_in_force']['from'] == '2025-01-08'


def main():
    global SRV, ADMIN, VERIFIER, VERIFIER_ORG, ORG, OWNER
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1)
        OWNER = srv.token('owner-editor', ORG)
        VERIFIER_ORG = make_org(3)
        VERIFIER = srv.token('integrator-verifier', VERIFIER_ORG)
        run([test_draft_to_registered_with_return_and_resubmission,
             test_one_code_under_concurrent_verification_and_never_reused,
             test_other_organisations_and_kinds, test_stage_duty_runs_from_the_day_the_stage_began,
             test_rules_of_placement_funding_and_stages, test_public_gaps_name_no_restricted_field,
             test_dump_carries_the_workflow,
             test_a_submitted_record_is_judged_by_the_rules_of_its_submission_day])


if __name__ == '__main__':
    main()
