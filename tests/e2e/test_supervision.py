"""End-to-end tests of architectural supervision (issue 17 item 6, MON-09,
MON-10): the integrator hands a discrepancy (a decision not carried out, a
function or service wrongly grouped, master data wrongly described) to the
body that owns it — from the rules' report, where each record that breaks
a rule links to a form filled in with the record, the rule and its owner —
the body corrects it on the portal within a deadline in working days and
reports it, the integrator confirms it or returns it; each discrepancy
sent, and each project found not to comply, opens an item of the
architecture's revision list. Discrepancies are read only when signed in,
and the body and the integrator while they are open."""
import html
import re

import harness
from harness import Server, assert_problem, run

SRV = None
ADMIN = ARCH = OWNER = OTHER_OWNER = None
ORG = OTHER = None
PASSWORD = 'Corr3ct-Horse-Battery'
W = {}


def make_org(n, name):
    return harness.make_org(SRV, ADMIN, 9800 + n, name)


def create(coll, body, token, status=201):
    return harness.create(SRV, coll, body, token, status)


def step(rec, what, token, body=None):
    return SRV.request('POST', f'/api/v1/discrepancies/{rec["id"]}/{what}', body, token=token,
                       headers={'If-Match': f'"{rec["revision"]}"'})


def duties(rec):
    t = SRV.get(f'/api/v1/discrepancies/{rec["id"]}/workflow', token=ARCH).json()
    return [(o['policy'], o['policy_value'], o['debtor_org'] or o['debtor_role'])
            for o in t['obligations'] if not o['done_at']]


def revisions(about):
    r = SRV.get(f'/api/v1/revision_list?filter=about:{about}&limit=50', token=ARCH)
    assert r.status == 200, r
    return [(i['reason'], i['status']) for i in r.json()['items']]


def test_a_discrepancy_corrected_and_confirmed():
    # REQ: MON-09
    # REQ: MON-10
    domain = create('domains', {'name': {'ru': 'Социальная защита'}}, ARCH)
    fn = create('functions', {'name': {'ru': 'Назначение пособий'}, 'owner': ORG,
                              'domain': domain['id']}, OWNER)
    W['function'] = fn
    rec = create('discrepancies', {'kind': 'discrepancy', 'owner': ORG, 'category': 'wrong_grouping',
                                   'about': fn['id'], 'rule': 'function_in_capability',
                                   'name': {'ru': 'Функция не отнесена к возможности'},
                                   'description': {'ru': 'Отнесите функцию к функциональной возможности домена'}},
                 ARCH)
    assert rec['status'] == 'draft', rec
    assert SRV.get(f'/api/v1/discrepancies/{rec["id"]}').status == 404  # signed in only
    assert SRV.get(f'/api/v1/discrepancies/{rec["id"]}', token=OTHER_OWNER).status == 404
    assert step(rec, 'submit', OWNER).status in (403, 404)  # the body does not send it
    r = step(rec, 'submit', ARCH)
    assert r.status == 200 and r.json()['status'] == 'open', r
    rec = r.json()
    assert duties(rec) == [('discrepancy_correction', 10, ORG)], duties(rec)
    # sent: an item of the architecture's revision list (MON-10)
    assert revisions(rec['id']) == [('supervision', 'open')]
    # the body corrects it on the portal and reports it
    rec = SRV.request('PATCH', f'/api/v1/discrepancies/{rec["id"]}',
                      {'correction': {'ru': 'Функция отнесена к возможности «Социальные выплаты»'}},
                      token=OWNER, headers={'If-Match': f'"{rec["revision"]}"'}).json()
    r = step(rec, 'submit', OWNER)
    assert r.status == 200 and r.json()['status'] == 'corrected', r
    rec = r.json()
    assert duties(rec) == [('discrepancy_confirmation', 5, 'integrator-architect')]
    assert step(rec, 'verify', OWNER, {'decision': 'accept'}).status in (403, 404)
    r = step(rec, 'verify', ARCH, {'decision': 'return', 'remarks': [{'text': 'Не та возможность'}]})
    assert r.status == 200 and r.json()['status'] == 'open', r
    rec = step(r.json(), 'submit', OWNER).json()
    r = step(rec, 'verify', ARCH, {'decision': 'accept'})
    assert r.status == 200 and r.json()['status'] == 'confirmed' and r.json()['confirmed_on'], r
    assert duties(r.json()) == []
    # a discrepancy about a record of another kind than the list allows: refused
    bad = create('discrepancies', {'kind': 'discrepancy', 'owner': ORG, 'category': 'other',
                                   'about': ORG, 'name': {'ru': 'x'}}, ARCH, status=422)
    assert bad['field'] == 'about', bad


def test_a_project_that_does_not_comply_opens_a_revision():
    # REQ: MON-10
    p = create('projects', {'kind': 'ict_project', 'owner': ORG, 'name': {'ru': 'Проект'},
                            'project_type': 'create_object', 'stage': 'planning',
                            'funding_source': 'own_funds'}, OWNER)
    c = create('criteria', {'kind': 'assessment_criterion', 'name': {'ru': 'ТС по архитектуре'},
                            'stage': 'planning', 'requirement': 'required'}, ARCH)
    a = create('assessments', {'kind': 'compliance_assessment', 'owner': ORG, 'name': {'ru': 'Оценка'},
                               'project': p['id'], 'stage': 'planning',
                               'answers': [{'criterion': c['id'], 'result': 'not_met'}]}, ARCH)
    assert revisions(p['id']) == []
    r = SRV.request('POST', f'/api/v1/assessments/{a["id"]}/submit', None, token=ARCH,
                    headers={'If-Match': f'"{a["revision"]}"'})
    assert r.status == 200 and r.json()['conclusion'] == 'does_not_comply', r
    assert revisions(p['id']) == [('non_compliance', 'open')]


def test_handed_over_from_the_rules_report():
    # REQ: MON-09
    # the rules' report links each record that breaks a rule to the new
    # discrepancy's form, filled in with the record, the rule and its owner
    email = SRV.user('integrator-architect', W['integrator'])
    r = SRV.request('POST', '/api/v1/session', {'email': email, 'password': PASSWORD})
    cookie = {'Cookie': re.match(r'(ap_session=[^;]*)', r.header('Set-Cookie')).group(1)}
    r = SRV.request('GET', '/en/rules', headers=cookie)
    assert r.status == 200, r
    links = [html.unescape(h) for h in re.findall(r'href="([^"]*/discrepancies/new\?[^"]*)"',
                                                  r.body.decode())]
    mine = [h for h in links if f'about={W["function"]["id"]}' in h]
    assert mine, links[:5]
    form = SRV.request('GET', mine[0], headers=cookie)
    assert form.status == 200, form
    body = form.body.decode()
    rule = re.search(r'rule=([a-z0-9_]+)', mine[0]).group(1)
    assert f'value="{rule}"' in body, rule
    assert re.search(rf'<option value="{ORG}"[^>]*selected', body), 'the owner is chosen'
    assert W['function']['id'] in body


def main():
    global SRV, ADMIN, ARCH, OWNER, OTHER_OWNER, ORG, OTHER
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        OTHER = make_org(2, 'Министерство цифрового развития')
        W['integrator'] = make_org(3, 'Сервисный интегратор')
        ARCH = srv.token('integrator-architect', W['integrator'])
        OWNER = srv.token('owner-editor', ORG)
        OTHER_OWNER = srv.token('owner-editor', OTHER)
        run([test_a_discrepancy_corrected_and_confirmed,
             test_a_project_that_does_not_comply_opens_a_revision,
             test_handed_over_from_the_rules_report])


if __name__ == '__main__':
    main()
