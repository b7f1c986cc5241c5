#!/usr/bin/env python3
"""Generates the benchmark dataset as an archportal export (JSON Lines):
ORGS organizations, OBJECTS informatization objects (nine in ten registered
with an accounting code, every tenth a draft) and RELATIONS relations
between them, then the national architecture over them (issue 15):
DOMAINS domains, CAPABILITIES capabilities (a tree per domain), FUNCTIONS
state functions and public services (half each), PROCESSES business
processes, and the master data: TYPES data types in chains three deep
below data subjects and objects, with ATTRIBUTES attributes among them
(each stored by an object); linked by participates_in, groups, automates
and supports. Then the monitoring of ICT projects (issue 17): PROJECTS
projects of the organisations (stages with planned, projected and actual
ends; budgets by year), each with an issued compliance assessment of
CRITERIA_PER criteria answers, 4 recommendations (draft, open with an open
deadline — past due for a third —, carried out, confirmed), and an
indicator towards a goal. Each record has one revision and the audit hash chain is
valid, ready for `archportal import`. Deterministic for a given seed.

usage: gen.py OUT [--orgs N] [--objects N] [--relations N] [--domains N]
              [--capabilities N] [--functions N] [--processes N] [--types N]
              [--attributes N] [--projects N] [--seed S]"""
import argparse
import hashlib
import json
import random

KINDS = ['information_system', 'state_information_resource', 'internet_resource',
         'ict_infrastructure_object', 'platform_software_product', 'ict_service',
         'other_person_object']
STAGES = ['creation', 'pilot_operation', 'industrial_operation', 'development', 'termination']
CLASSES = ['first', 'second', 'third']
PLACEMENTS = ['icp_eg', 'egov_infrastructure', 'other']
FUNDING = ['state_investment_project', 'own_funds']
WORDS = [  # (kk, ru, en)
    ('мемлекеттік', 'государственная', 'state'), ('ақпараттық', 'информационная', 'information'),
    ('жүйе', 'система', 'system'), ('тізілім', 'реестр', 'registry'),
    ('дерекқор', 'база данных', 'database'), ('портал', 'портал', 'portal'),
    ('шлюз', 'шлюз', 'gateway'), ('салық', 'налоговая', 'tax'), ('кеден', 'таможенная', 'customs'),
    ('денсаулық', 'здравоохранение', 'health'), ('білім', 'образование', 'education'),
    ('жер', 'земельный', 'land'), ('көлік', 'транспорт', 'transport'),
    ('әлеуметтік', 'социальная', 'social'), ('қаржы', 'финансовая', 'finance'),
    ('электрондық', 'электронная', 'electronic'), ('мұрағат', 'архив', 'archive'),
    ('лицензиялау', 'лицензирование', 'licensing'), ('төлем', 'платёжный', 'payment'),
    ('мониторинг', 'мониторинг', 'monitoring'), ('есептілік', 'отчётность', 'reporting'),
    ('қызмет', 'услуга', 'service'), ('өңірлік', 'региональная', 'regional'),
    ('ұлттық', 'национальная', 'national'),
]
ZERO = '0' * 64
T0 = 1700000000000


# the registration workflow's code prefixes (model/egov-kz.json)
PREFIXES = {'state_information_resource': 'GR', 'information_system': 'IS', 'internet_resource': 'IR',
            'ict_infrastructure_object': 'II', 'platform_software_product': 'PP', 'ict_service': 'IC',
            'other_person_object': 'OO'}
YEAR = '2026'


def ts(ms):
    import datetime
    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + f'{ms % 1000:03d}Z'


def dump(o):
    return json.dumps(o, ensure_ascii=False, separators=(',', ':'))


def bin_for(n):
    for s in range(n * 7, n * 7 + 100):
        digits = [int(c) for c in f'1001400{s % 10000:04d}'[:11]]
        c = sum(d * w for d, w in zip(digits, range(1, 12))) % 11
        if c == 10:
            c = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
        if c != 10:
            return ''.join(map(str, digits)) + str(c)
    raise ValueError


class Writer:
    def __init__(self, out):
        self.out = out
        self.audit = []
        self.prev = ZERO
        self.seq = 0
        self.clock = T0

    def record(self, coll, kind, rid, body):
        self.clock += 1
        at = ts(self.clock)
        data = {'id': rid}
        if coll == 'relations':
            data['type'] = kind
            data['source'] = body.pop('source')
            data['target'] = body.pop('target')
        else:
            data['kind'] = kind
            if 'owner' in body:
                data['owner'] = body.pop('owner')
            data['name'] = body.pop('name')
        data.update({'revision': 1, 'created_at': at, 'updated_at': at})
        data.update(body)
        text = dump(data)
        self.out.write(dump({'record': {'id': rid, 'collection': coll, 'kind': kind,
                                        'revisions': [{'revision': 1, 'at': at, 'actor': 'system:bench',
                                                       'action': 'create', 'data': data}]}}) + '\n')
        self.seq += 1
        canon = '\n'.join([str(self.seq), at, 'system:bench', 'create', coll, rid, '1', '', text,
                           self.prev])
        h = hashlib.sha256(canon.encode()).hexdigest()
        self.audit.append(dump({'audit': {'seq': self.seq, 'at': at, 'actor': 'system:bench',
                                          'action': 'create', 'collection': coll, 'record_id': rid,
                                          'revision': 1, 'before': None, 'after': data,
                                          'prev_hash': self.prev, 'hash': h}}))
        self.prev = h

    def finish(self, codes):
        # the registered objects' codes and the counters they came from
        top = {}
        for rid, kind, code in codes:
            self.out.write(dump({'accounting_code': {'code': code, 'record_id': rid, 'kind': kind,
                                                     'assigned_at': ts(T0), 'assigned_by': 'system:bench'}}) + '\n')
            prefix, year, seq = code.split('-')
            top[prefix] = max(top.get(prefix, 0), int(seq))
        for prefix in sorted(top):
            self.out.write(dump({'code_counter': {'prefix': prefix, 'year': int(YEAR), 'next': top[prefix] + 1}}) + '\n')
        for line in self.audit:
            self.out.write(line + '\n')


def name(rng, n):
    picks = rng.sample(WORDS, 3)
    return {'kk': ' '.join(p[0] for p in picks) + f' {n}', 'ru': ' '.join(p[1] for p in picks) + f' {n}',
            'en': ' '.join(p[2] for p in picks) + f' {n}'}


RECIPIENTS = ['g2c', 'g2b', 'g2g']
MATURITY = ['informational', 'interactive', 'transactional']
REENGINEERING = ['not_started', 'analysis', 'target_designed', 'in_progress', 'completed']


def spread(n, parts, i):
    """The items of part i when n items are dealt round-robin to `parts`."""
    return range(i, n, parts)


def architecture(w, rng, a, kinds_of):
    """The national architecture layer over the organisations and objects:
    every organisation, information system, capability, function, service
    and process belongs to one domain (by its index modulo DOMAINS), and
    the relations stay inside it, so that a domain's walk is the domain."""
    nd = a.domains
    systems = [i for i, k in enumerate(kinds_of) if k == 'information_system']
    for d in range(nd):
        w.record('domains', 'domain', f'dom-{d}', {
            'name': {'kk': f'Домен {d}', 'ru': f'Домен {d}', 'en': f'Domain {d}'},
            'directions': [f'Направление {d}.{j}' for j in range(3)]})
    # capabilities: a tree per domain, four children a node
    caps_of = [[] for _ in range(nd)]
    for i in range(a.capabilities):
        d = i % nd
        body = {'name': name(rng, i), 'domain': f'dom-{d}'}
        if caps_of[d]:
            body['parent'] = caps_of[d][(len(caps_of[d]) - 1) // 4]
        caps_of[d].append(f'cap-{i}')
        w.record('capabilities', 'capability', f'cap-{i}', body)
    # functions, and services of those functions
    acts_of = [[] for _ in range(nd)]  # ids of functions and services per domain
    n_fn = a.functions // 2
    for i in range(n_fn):
        d = i % nd
        w.record('functions', 'state_function', f'fn-{i}', {
            'owner': f'org-{rng.choice(list(spread(a.orgs, nd, d)) or [0])}', 'name': name(rng, i),
            'domain': f'dom-{d}'})
        acts_of[d].append(f'fn-{i}')
    for i in range(a.functions - n_fn):
        d = i % nd
        fn = rng.choice([f for f in acts_of[d] if f.startswith('fn-')])
        w.record('services', 'public_service', f'svc-{i}', {
            'owner': f'org-{rng.choice(list(spread(a.orgs, nd, d)) or [0])}', 'name': name(rng, i),
            'function': fn, 'recipient': rng.choice(RECIPIENTS), 'maturity': rng.choice(MATURITY)})
        acts_of[d].append(f'svc-{i}')
    procs_of = [[] for _ in range(nd)]
    for i in range(a.processes):
        d = i % nd
        w.record('processes', 'business_process', f'proc-{i}', {
            'owner': f'org-{rng.choice(list(spread(a.orgs, nd, d)) or [0])}', 'name': name(rng, i),
            'serves': rng.choice(acts_of[d]), 'reengineering_status': rng.choice(REENGINEERING)})
        procs_of[d].append(f'proc-{i}')
    # the master data: data subjects and objects, and chains of three data
    # types below them; the attributes are dealt over the types
    n_base = max(1, a.types // 10)
    for i in range(n_base):
        kind = 'data_subject' if i % 2 == 0 else 'data_object'
        w.record('master_data', kind, f'md-{i}', {
            'name': name(rng, i),
            'attributes': [{'name': f'base_{i}_{j}', 'source': f'obj-{rng.choice(systems)}'}
                           for j in range(4)]})
    per_type, extra = divmod(a.attributes, max(1, a.types))
    for i in range(a.types):
        level = i % 3
        base = f'md-{(i // 3) % n_base}' if level == 0 else f'dt-{i - 1}'
        n_attr = per_type + (1 if i < extra else 0)
        w.record('master_data', 'data_type', f'dt-{i}', {
            'name': name(rng, i), 'base': base,
            'attributes': [{'name': f'attr_{i}_{j}', 'source': f'obj-{rng.choice(systems)}'}
                           for j in range(n_attr)]})
    # the relations, inside each domain
    n = 0

    def rel(typ, src, dst, extra=None):
        nonlocal n
        w.record('relations', typ, f'arel-{n}', dict(source=src, target=dst, **(extra or {})))
        n += 1
    for o in range(a.orgs):
        rel('participates_in', f'org-{o}', f'dom-{o % nd}')
    for d in range(nd):
        sys_d = [f'obj-{s}' for s in systems[d::nd]] or [f'obj-{systems[0]}']
        caps = caps_of[d]
        for j, act in enumerate(acts_of[d]):
            rel('groups', caps[j % len(caps)], act)
            for s in rng.sample(sys_d, min(len(sys_d), 1 + (j % 2))):
                rel('automates', s, act, {'automation_level': rng.choice(['full', 'partial'])})
        for p in procs_of[d]:
            rel('supports', rng.choice(sys_d), p)
        # the data the domain's systems keep or read: data types dealt to the
        # domain (the walk's data layer), one or two a system
        types_d = [f'dt-{t}' for t in spread(a.types, nd, d)] or ['md-0']
        for s in sys_d:
            for t in rng.sample(types_d, min(len(types_d), 1 + rng.randrange(2))):
                rel('accesses', s, t, {'access': rng.choice(['read', 'write', 'read_write'])})


CRITERIA_PER = 10  # answers of an assessment
PSTAGES = ['planning', 'investment', 'post_investment']


def day_of(t_ms, days):
    import datetime
    d = datetime.datetime.utcfromtimestamp(t_ms / 1000).date() + datetime.timedelta(days=days)
    return d.isoformat()


def monitoring(w, rng, a):
    """ICT projects with their assessments, recommendations (and their
    deadlines: obligations) and indicators; returns the obligations' lines."""
    import time
    now = int(time.time() * 1000)
    crits = []
    for s, stage in enumerate(PSTAGES):
        for j in range(CRITERIA_PER):
            cid = f'crit-{s}-{j}'
            w.record('criteria', 'assessment_criterion', cid, {
                'name': {'ru': f'Критерий {s}.{j}', 'kk': f'Өлшемшарт {s}.{j}', 'en': f'Criterion {s}.{j}'},
                'stage': stage, 'requirement': 'required' if j % 3 == 0 else 'recommended'})
            crits.append((cid, stage, j % 3 == 0))
    n_goals = max(1, a.projects // 5)
    for i in range(n_goals):
        w.record('goals', 'goal', f'goal-{i}', {'owner': f'org-{i % a.orgs}', 'name': name(rng, i)})
        w.record('indicators', 'indicator', f'ind-{i}', {
            'owner': f'org-{i % a.orgs}', 'name': name(rng, i), 'goal': f'goal-{i}', 'unit': '%',
            'baseline': '10', 'target_value': '60',
            'actual': [{'period': '2025', 'value': str(10 + rng.randrange(60))}]})
    obligations = []
    for i in range(a.projects):
        org = f'org-{i % a.orgs}'
        stage = PSTAGES[i % 3]
        stages = []
        for k, st in enumerate(PSTAGES[:PSTAGES.index(stage) + 1]):
            start = -900 + 300 * k
            item = {'stage': st, 'planned_start': day_of(now, start),
                    'planned_end': day_of(now, start + 280), 'actual_start': day_of(now, start)}
            if st != stage:
                item['actual_end'] = day_of(now, min(start + 280 + rng.randrange(-20, 60), -1))
            elif rng.random() < 0.7:
                item['projected_end'] = day_of(now, start + 280 + rng.randrange(-30, 200))
            stages.append(item)
        budget = [{'year': 2024 + y, 'planned': str(100000000 + 1000 * i),
                   'actual': str(int((100000000 + 1000 * i) * rng.uniform(0.7, 1.6)))}
                  for y in range(2)]
        w.record('projects', 'ict_project', f'prj-{i}', {
            'owner': org, 'name': name(rng, i), 'project_type': 'create_object', 'stage': stage,
            'funding_source': 'state_investment_project', 'budget': budget, 'stages': stages,
            'indicators': [f'ind-{i % n_goals}'], 'goals': [f'goal-{i % n_goals}']})
        # the assessment at the project's first stage, issued
        of = [c for c in crits if c[1] == 'planning']
        answers, worst = [], 'fully_complies'
        for cid, _, required in of:
            res = 'not_met' if rng.random() < 0.08 else 'met'
            if res == 'not_met':
                worst = 'does_not_comply' if required else (
                    worst if worst == 'does_not_comply' else 'partially_complies')
            answers.append({'criterion': cid, 'result': res})
        w.record('assessments', 'compliance_assessment', f'asm-{i}', {
            'owner': org, 'name': name(rng, i), 'project': f'prj-{i}', 'stage': 'planning',
            'answers': answers, 'conclusion': worst, 'status': 'issued',
            'issued_on': day_of(now, -600)})
        for r in range(4):
            rid = f'rec-{i}-{r}'
            status = ['draft', 'open', 'carried_out', 'confirmed'][r]
            body = {'owner': org, 'name': name(rng, i), 'project': f'prj-{i}',
                    'assessment': f'asm-{i}', 'criterion': of[r][0], 'status': status}
            if status == 'confirmed':
                body['confirmed_on'] = day_of(now, -100)
            w.record('recommendations', 'recommendation', rid, body)
            if status == 'open':
                started = now - (40 if i % 3 == 0 else 5) * 86400000
                obligations.append({'id': f'00000000-0000-7000-8000-{i:012d}',
                                    'policy': 'recommendation_rework', 'policy_value': 20,
                                    'subject': f'recommendations/{rid}', 'debtor_org': org,
                                    'started_at': ts(started),
                                    'due_at': ts(started + 28 * 86400000)})
    return obligations


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--orgs', type=int, default=1000)
    ap.add_argument('--objects', type=int, default=100000)
    ap.add_argument('--relations', type=int, default=300000)
    ap.add_argument('--domains', type=int, default=30)
    ap.add_argument('--capabilities', type=int, default=2000)
    ap.add_argument('--functions', type=int, default=20000)
    ap.add_argument('--processes', type=int, default=10000)
    ap.add_argument('--types', type=int, default=5000)
    ap.add_argument('--attributes', type=int, default=100000)
    ap.add_argument('--projects', type=int, default=5000)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, 'w', encoding='utf-8') as f:
        f.write(dump({'format': 'archportal-export', 'version': 2}) + '\n')
        w = Writer(f)
        for i in range(a.orgs):
            w.record('organizations', 'organization', f'org-{i}', {
                'name': {'kk': f'Ұйым {i}', 'ru': f'Организация {i}', 'en': f'Organisation {i}'},
                'bin': bin_for(i), 'org_type': 'central_state_body'})
        kinds_of = []
        codes = []
        for i in range(a.objects):
            kind = KINDS[i % len(KINDS)]
            kinds_of.append(kind)
            body = {'owner': f'org-{rng.randrange(a.orgs)}', 'name': name(rng, i),
                    'purpose': {'ru': 'Автоматизация государственных функций и услуг',
                                'kk': 'Мемлекеттік функциялар мен қызметтерді автоматтандыру'},
                    'class': rng.choice(CLASSES), 'stage': rng.choice(STAGES),
                    'placement': rng.choice(PLACEMENTS), 'funding_source': rng.choice(FUNDING),
                    'source_code_transferred': rng.random() < 0.5}
            if kind == 'internet_resource':
                body['url'] = f'https://site{i}.gov.kz'
            if kind == 'ict_infrastructure_object':
                body['infrastructure_type'] = 'server_equipment'
            if kind == 'ict_service':
                body['service_type'] = 'infrastructure_provision'
            if kind == 'other_person_object':
                body['holder'] = f'ТОО Холдер {i}'
            # every tenth object is a draft; the others are registered (public)
            if i % 10 == 9:
                body['status'] = 'draft'
            else:
                code = f'{PREFIXES[kind]}-{YEAR}-{len(codes) + 1:06d}'
                body['status'] = 'registered'
                body['accounting_code'] = code
                codes.append((f'obj-{i}', kind, code))
            w.record('objects', kind, f'obj-{i}', body)
        infra = [i for i, k in enumerate(kinds_of) if k == 'ict_infrastructure_object']
        services = [i for i, k in enumerate(kinds_of) if k == 'ict_service']
        data_kinds = {'information_system', 'state_information_resource', 'internet_resource',
                      'platform_software_product', 'other_person_object'}
        apps = [i for i, k in enumerate(kinds_of) if k in data_kinds]
        seen = set()
        n = 0
        while n < a.relations:
            r = n % 3
            if r == 0:
                typ, s, t, extra = 'runs_on', rng.choice(apps), rng.choice(infra), {}
            elif r == 1:
                typ, s, t = 'exchanges_data_with', rng.choice(apps), rng.choice(apps)
                extra = {'data_carried': 'ИИН, ФИО, адрес'}
            else:
                typ, s, t, extra = 'uses', rng.choice(apps), rng.choice(services), {}
            if s == t or (typ, s, t) in seen:
                continue
            seen.add((typ, s, t))
            w.record('relations', typ, f'rel-{n}', dict(source=f'obj-{s}', target=f'obj-{t}', **extra))
            n += 1
        architecture(w, rng, a, kinds_of)
        obligations = monitoring(w, rng, a)
        w.finish(codes)
        for o in obligations:
            f.write(dump({'obligation': o}) + '\n')


if __name__ == '__main__':
    main()
