"""End-to-end tests of the ArchiMate exchange format's export (issue 18
item 1, X-INT-01): the architecture as the model maps it — elements,
relationships with their access types and directions, properties with typed
definitions, names and documentation in kk, ru and en, organisations by
layer and domain — valid against The Open Group's XSDs (from
../shared/reference/archimate, checked by xmllint), whole or one domain's,
for the integrator's architects, the authorized body and administrators,
each reading what they may; and the same from the command line."""
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import harness
from harness import Server, assert_problem, run

SRV = None
ADMIN = ARCH = OWNER = OTHER_OWNER = APPROVER = None
ORG = OTHER = INTEGRATOR = None
W = {}
NS = {'a': 'http://www.opengroup.org/xsd/archimate/3.0/'}
XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'
LANG = '{http://www.w3.org/XML/1998/namespace}lang'


def shared_xsd():
    """The XSDs of ../shared/reference/archimate: beside the source tree, or
    (a clone made elsewhere, as CI's may be) beside the repository it was
    cloned from; ARCHPORTAL_SHARED names the folder outright."""
    rel = os.path.join('reference', 'archimate', 'all.xsd')
    roots = [os.environ.get('ARCHPORTAL_SHARED', ''), os.path.join(harness.SOURCE, '..', 'shared')]
    origin = subprocess.run(['git', '-C', harness.SOURCE, 'config', '--get', 'remote.origin.url'],
                            capture_output=True, text=True).stdout.strip()
    if origin and os.path.isdir(origin):
        roots.append(os.path.join(origin, '..', 'shared'))
    for root in roots:
        if root and os.path.exists(os.path.join(root, rel)):
            return os.path.join(root, rel)
    return os.path.join(roots[1], rel)  # validate() says where it looked


XSD = shared_xsd()


def make_org(n, name):
    return harness.make_org(SRV, ADMIN, 9950 + n, name)


def create(coll, body, token, status=201):
    return harness.create(SRV, coll, body, token, status)


def relate(rtype, source, target, token, **attrs):
    return create('relations', {'type': rtype, 'source': source, 'target': target, **attrs}, token)


def setup():
    W['domain'] = create('domains', {'name': {'kk': 'Әлеуметтік қорғау', 'ru': 'Социальная защита',
                                              'en': 'Social protection'},
                                     'description': {'ru': 'Домен социальной защиты'}}, ARCH)
    W['other_domain'] = create('domains', {'name': {'ru': 'Здравоохранение'}}, ARCH)
    d = W['domain']['id']
    W['cap'] = create('capabilities', {'name': {'ru': 'Социальные выплаты', 'en': 'Social payments'},
                                       'domain': d}, ARCH)
    W['fn'] = create('functions', {'name': {'kk': 'Жәрдемақы тағайындау', 'ru': 'Назначение пособий',
                                            'en': 'Assigning benefits'},
                                   'owner': ORG, 'domain': d,
                                   'description': {'ru': 'Назначение & выплата <пособий>'}}, ARCH)
    W['fn2'] = create('functions', {'name': {'ru': 'Учет пациентов'}, 'owner': OTHER,
                                    'domain': W['other_domain']['id']}, ARCH)
    W['subject'] = create('master_data', {'kind': 'data_subject', 'name': {'ru': 'Гражданин'},
                                          'domain': d}, ARCH)
    W['type'] = create('master_data', {'kind': 'data_type', 'name': {'ru': 'Сведения о доходах'},
                                       'base': W['subject']['id'], 'domain': d}, ARCH)
    W['sys'] = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                                  'name': {'ru': 'АИС «Социальные выплаты»'},
                                  'purpose': {'ru': 'Учет получателей пособий'}}, OWNER)
    W['node'] = create('objects', {'kind': 'ict_infrastructure_object', 'owner': ORG,
                                   'stage': 'creation', 'infrastructure_type': 'data_center',
                                   'name': {'ru': 'ЦОД министерства'}}, OWNER)
    W['automates'] = relate('automates', W['sys']['id'], W['fn']['id'], ARCH)
    W['groups'] = relate('groups', W['cap']['id'], W['fn']['id'], ARCH)
    W['accesses'] = relate('accesses', W['sys']['id'], W['type']['id'], ARCH, access='write')
    W['runs_on'] = relate('runs_on', W['sys']['id'], W['node']['id'], OWNER)


def export(query='', token=None, status=200):
    r = SRV.get(f'/api/v1/archimate{query}', token=token or ARCH)
    assert r.status == status, r
    return r


def validate(data: bytes):
    """xmllint against the XSDs of The Open Group; the parsed tree."""
    assert os.path.exists(XSD), f'the XSDs are expected in {XSD}'
    with tempfile.NamedTemporaryFile(suffix='.xml', delete=False) as f:
        f.write(data)
        path = f.name
    try:
        p = subprocess.run(['xmllint', '--noout', '--schema', XSD, path], capture_output=True)
        assert p.returncode == 0, p.stderr.decode()[-3000:]
    finally:
        os.unlink(path)
    return ET.fromstring(data)


def elements(root):
    return {e.get('identifier'): e for e in root.findall('a:elements/a:element', NS)}


def relationships(root):
    return {r.get('identifier'): r for r in root.findall('a:relationships/a:relationship', NS)}


def names(e):
    return {n.get(LANG): n.text for n in e.findall('a:name', NS)}


def test_the_whole_architecture_validates():
    # REQ: X-INT-01
    r = export()
    assert r.header('Content-Type').startswith('application/xml'), r.headers
    assert 'architecture.xml' in r.header('Content-Disposition')
    root = validate(r.body)
    els = elements(root)
    types = {i: e.get(XSI_TYPE) for i, e in els.items()}
    want = {'domain': 'Grouping', 'cap': 'Capability', 'fn': 'BusinessFunction',
            'subject': 'BusinessObject', 'type': 'DataObject', 'sys': 'ApplicationComponent',
            'node': 'Node'}
    for key, t in want.items():
        assert types.get('id-' + W[key]['id']) == t, (key, types.get('id-' + W[key]['id']))
    # names and documentation in every language given, with xml:lang
    fn = els['id-' + W['fn']['id']]
    assert names(fn) == {'kk': 'Жәрдемақы тағайындау', 'ru': 'Назначение пособий',
                         'en': 'Assigning benefits'}, names(fn)
    doc = fn.find('a:documentation', NS)
    assert doc.get(LANG) == 'ru' and doc.text == 'Назначение & выплата <пособий>', doc.text
    # the organisations themselves are actors
    assert types.get('id-' + ORG) == 'BusinessActor'


def test_relationships_with_their_types_and_directions():
    # REQ: X-INT-01
    root = validate(export().body)
    rels = relationships(root)
    acc = rels['id-' + W['accesses']['id']]
    assert (acc.get(XSI_TYPE), acc.get('accessType')) == ('Access', 'Write')
    assert (acc.get('source'), acc.get('target')) == ('id-' + W['sys']['id'], 'id-' + W['type']['id'])
    aut = rels['id-' + W['automates']['id']]
    assert (aut.get(XSI_TYPE), aut.get('source'), aut.get('target')) == (
        'Serving', 'id-' + W['sys']['id'], 'id-' + W['fn']['id'])
    # a system runs on a node: the node serves it; a capability groups a
    # function: the function realizes it
    run_on = rels['id-' + W['runs_on']['id']]
    assert (run_on.get(XSI_TYPE), run_on.get('source'), run_on.get('target')) == (
        'Serving', 'id-' + W['node']['id'], 'id-' + W['sys']['id'])
    grp = rels['id-' + W['groups']['id']]
    assert (grp.get(XSI_TYPE), grp.get('source'), grp.get('target')) == (
        'Realization', 'id-' + W['fn']['id'], 'id-' + W['cap']['id'])


def test_properties_and_organisations():
    # REQ: X-INT-01
    root = validate(export().body)
    defs = {d.get('identifier'): d for d in
            root.findall('a:propertyDefinitions/a:propertyDefinition', NS)}
    sys = elements(root)['id-' + W['sys']['id']]
    props = {p.get('propertyDefinitionRef'): [v.text for v in p.findall('a:value', NS)]
             for p in sys.findall('a:properties/a:property', NS)}
    assert 'pd-stage-string' in props and props['pd-stage-string'] == ['creation'], props
    for ref in props:
        assert ref in defs, ref
    assert defs['pd-stage-string'].get('type') == 'string'
    # folders by layer, a sub-folder per domain
    top = {}
    for item in root.findall('a:organizations/a:item', NS):
        labels = {l.get(LANG): l.text for l in item.findall('a:label', NS)}
        top[labels.get('en')] = item
    assert {'Activity layer', 'Data layer', 'Information systems layer', 'ICT infrastructure layer',
            'Relations'} <= set(top), set(top)
    sub = {next(l.text for l in i.findall('a:label', NS) if l.get(LANG) == 'ru'): i
           for i in top['Activity layer'].findall('a:item', NS) if i.find('a:label', NS) is not None}
    refs = {i.get('identifierRef') for i in sub['Социальная защита'].findall('a:item', NS)}
    assert {'id-' + W['fn']['id'], 'id-' + W['cap']['id']} <= refs, refs
    rel_refs = {i.get('identifierRef') for i in top['Relations'].findall('a:item', NS)}
    assert 'id-' + W['accesses']['id'] in rel_refs


def test_a_diagram_per_domain():
    # REQ: X-INT-01
    # a view per domain, laid out by Graphviz: a node per element its
    # architecture view reaches, a connection per relationship between two
    # of them, so that Archi opens the file with diagrams
    root = validate(export().body)
    els, rels = elements(root), relationships(root)
    views = root.findall('a:views/a:diagrams/a:view', NS)
    by_name = {names(v).get('ru'): v for v in views}
    assert {'Социальная защита', 'Здравоохранение'} <= set(by_name), set(by_name)
    v = by_name['Социальная защита']
    assert v.get(XSI_TYPE) == 'Diagram'
    nodes = {n.get('identifier'): n for n in v.findall('a:node', NS)}
    refs = {n.get('elementRef') for n in nodes.values()}
    assert {'id-' + W['fn']['id'], 'id-' + W['cap']['id']} <= refs, refs
    assert 'id-' + W['fn2']['id'] not in refs
    for n in nodes.values():
        assert n.get(XSI_TYPE) == 'Element' and n.get('elementRef') in els
        assert int(n.get('x')) >= 0 and int(n.get('y')) >= 0 and int(n.get('w')) > 0
    boxes = {(n.get('x'), n.get('y')) for n in nodes.values()}
    assert len(boxes) == len(nodes), 'no two boxes at one place'
    conns = v.findall('a:connection', NS)
    grp = 'id-' + W['groups']['id']
    assert any(c.get('relationshipRef') == grp for c in conns), [c.get('relationshipRef') for c in conns]
    for c in conns:
        rel = rels[c.get('relationshipRef')]
        assert nodes[c.get('source')].get('elementRef') == rel.get('source')
        assert nodes[c.get('target')].get('elementRef') == rel.get('target')
    # one domain's file: its one diagram
    one = validate(export(f'?domain={W["domain"]["id"]}').body)
    assert len(one.findall('a:views/a:diagrams/a:view', NS)) == 1


def test_one_domain():
    # REQ: X-INT-01
    r = export(f'?domain={W["domain"]["id"]}')
    assert f'architecture-{W["domain"]["id"]}.xml' in r.header('Content-Disposition')
    root = validate(r.body)
    els = elements(root)
    assert 'id-' + W['fn']['id'] in els and 'id-' + W['domain']['id'] in els
    assert 'id-' + W['fn2']['id'] not in els and 'id-' + W['other_domain']['id'] not in els
    # a relationship only between two elements written
    for rel in relationships(root).values():
        assert rel.get('source') in els and rel.get('target') in els
    assert_problem(export(f'?domain={W["fn"]["id"]}', status=422), 422, 'domain')
    assert_problem(export('?domain=nothing-at-all', status=404), 404)
    assert_problem(export('?colour=red', status=400), 400)


def test_a_version_as_it_was_frozen():
    # REQ: X-INT-01
    # a version of the architecture exported as it was frozen: a name
    # changed since is the old one in the version's file, the new one in
    # today's; its diagrams come from what it froze
    v = create('architecture_versions', {'name': {'ru': 'Архитектура 2027'}, 'owner': INTEGRATOR},
               ARCH)
    fn = SRV.get(f'/api/v1/functions/{W["fn"]["id"]}', token=ARCH).json()
    r = SRV.request('PATCH', f'/api/v1/functions/{fn["id"]}', {'name': {'ru': 'Назначение выплат'}},
                    token=ARCH, headers={'If-Match': f'"{fn["revision"]}"'})
    assert r.status == 200, r
    then = export(f'?version={v["id"]}')
    assert f'architecture-{v["id"]}.xml' in then.header('Content-Disposition')
    root = validate(then.body)
    assert names(elements(root)['id-' + fn['id']])['ru'] == 'Назначение пособий'
    doc = [d.text for d in root.findall('a:documentation', NS)]
    assert 'Архитектура 2027' in doc, doc
    now = validate(export().body)
    assert names(elements(now)['id-' + fn['id']])['ru'] == 'Назначение выплат'
    views = {names(x).get('ru'): x for x in root.findall('a:views/a:diagrams/a:view', NS)}
    refs = {n.get('elementRef') for n in views['Социальная защита'].findall('a:node', NS)}
    assert {'id-' + fn['id'], 'id-' + W['cap']['id']} <= refs, refs
    conns = {c.get('relationshipRef') for c in views['Социальная защита'].findall('a:connection', NS)}
    assert 'id-' + W['groups']['id'] in conns, conns
    assert_problem(export(f'?version={v["id"]}&domain={W["domain"]["id"]}', status=422), 422)
    assert_problem(export(f'?version={W["fn"]["id"]}', status=404), 404)


def test_archi_csv():
    # REQ: X-INT-01
    # Archi's three CSV files in a ZIP: elements (the model first), relations
    # (types ending in Relationship, an Access's type as a property) and
    # properties, in the language asked, every cell quoted, a formula
    # guarded
    import csv
    import io
    import zipfile
    r = export('?format=csv&lang=en')
    assert r.header('Content-Type') == 'application/zip', r.headers
    z = zipfile.ZipFile(io.BytesIO(r.body))
    assert sorted(z.namelist()) == ['elements.csv', 'properties.csv', 'relations.csv']
    text = {n: z.read(n).decode('utf-8') for n in z.namelist()}
    assert text['elements.csv'].startswith('"ID","Type","Name","Documentation","Specialization"\r\n')
    assert text['relations.csv'].startswith(
        '"ID","Type","Name","Documentation","Source","Target","Specialization"\r\n')
    assert text['properties.csv'].startswith('"ID","Key","Value"\r\n')
    rows = {n: list(csv.reader(io.StringIO(t))) for n, t in text.items()}
    els = {row[0]: row for row in rows['elements.csv'][1:]}
    assert els['id-model'][1] == 'ArchimateModel' and els['id-model'][2] == 'The e-government architecture'
    fn = els['id-' + W['fn']['id']]
    assert fn[1:3] == ['BusinessFunction', 'Assigning benefits'], fn
    rels = {row[0]: row for row in rows['relations.csv'][1:]}
    acc = rels['id-' + W['accesses']['id']]
    assert acc[1] == 'AccessRelationship' and acc[4:6] == ['id-' + W['sys']['id'], 'id-' + W['type']['id']]
    run_on = rels['id-' + W['runs_on']['id']]
    assert run_on[1] == 'ServingRelationship' and run_on[4] == 'id-' + W['node']['id']
    props = rows['properties.csv'][1:]
    assert ['id-' + W['accesses']['id'], 'Access Type', 'Write'] in props
    assert ['id-' + W['sys']['id'], 'Life-cycle stage', 'creation'] in props, props[:5]
    for row in rows['elements.csv'][1:]:
        for v in row:
            assert not v or v[0] not in '=+-@', row  # no cell a spreadsheet would run
    # Russian by default; a description starting like a formula is guarded
    fn2 = SRV.get(f'/api/v1/functions/{W["fn2"]["id"]}', token=ARCH).json()
    r = SRV.request('PATCH', f'/api/v1/functions/{fn2["id"]}', {'description': {'ru': '=1+2'}},
                    token=ARCH, headers={'If-Match': f'"{fn2["revision"]}"'})
    assert r.status == 200, r
    z = zipfile.ZipFile(io.BytesIO(export('?format=csv').body))
    els = {row[0]: row for row in csv.reader(io.StringIO(z.read('elements.csv').decode()))}
    assert els['id-' + W['fn']['id']][2] == 'Назначение выплат'  # renamed in the version's test
    assert els['id-' + fn2['id']][3] == "'=1+2", els['id-' + fn2['id']]
    assert_problem(export('?format=pdf', status=400), 400, 'format')


def test_who_may_export():
    # REQ: X-INT-01
    # a state body's editor may not; the authorized body reads the
    # published architecture and the drafts it may read, no more
    assert_problem(export(token=OWNER, status=403), 403)
    assert SRV.get('/api/v1/archimate').status in (401, 403)
    root = validate(export(token=APPROVER).body)
    assert 'id-' + W['fn']['id'] in elements(root)


def test_from_the_command_line():
    # REQ: X-INT-01
    out = os.path.join(SRV.data, 'export.xml')
    SRV.stop()
    try:
        harness.cli(SRV.data, 'archimate', 'export', '--domain', W['domain']['id'], '--out', out)
        with open(out, 'rb') as f:
            root = validate(f.read())
        assert 'id-' + W['sys']['id'] in elements(root)
        p = harness.cli(SRV.data, 'archimate', 'export', '--domain', 'nothing', '--out', out,
                        check=False)
        assert p.returncode == 1 and not os.path.exists(out), p.stderr
    finally:
        SRV.start()


def main():
    global SRV, ADMIN, ARCH, OWNER, OTHER_OWNER, APPROVER, ORG, OTHER, INTEGRATOR
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        OTHER = make_org(2, 'Министерство здравоохранения')
        INTEGRATOR = make_org(3, 'Сервисный интегратор')
        ARCH = srv.token('integrator-architect', INTEGRATOR)
        OWNER = srv.token('owner-editor', ORG)
        OTHER_OWNER = srv.token('owner-editor', OTHER)
        APPROVER = srv.token('approver', make_org(4, 'Министерство цифрового развития'))
        setup()
        run([test_the_whole_architecture_validates, test_relationships_with_their_types_and_directions,
             test_properties_and_organisations, test_a_diagram_per_domain, test_one_domain,
             test_a_version_as_it_was_frozen, test_archi_csv, test_who_may_export,
             test_from_the_command_line])


if __name__ == '__main__':
    main()
