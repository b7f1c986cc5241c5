"""End-to-end tests of the import of an architecture (issue 18 items 1 and
2, X-INT-01): an ArchiMate exchange file the test makes is imported with a
dry run (a report of what would be created, changed, left alone and
refused, with line numbers, nothing written) and for real (one write,
audited); element types no kind takes are kept as generic elements with
their folders and properties; identifiers are kept, so that a re-import
changes nothing; the export of what was imported validates against The
Open Group's XSDs and imports again with zero changes; Archi's CSV files
go the same way; bad input (malformed XML, a DOCTYPE, an entity bomb, the
ArchiMate 2.x namespace, a duplicate identifier, a relationship whose end
is missing, a CSV row with the wrong number of fields, a formula) gets a
report naming the line and changes nothing."""
import io
import json
import os
import zipfile
import xml.etree.ElementTree as ET

import harness
from harness import Server, assert_problem, run
from test_archimate import validate  # xmllint against the XSDs

SRV = None
ADMIN = ARCH = OWNER = ORG = INTEGRATOR = None
W = {}
NS = {'a': 'http://www.opengroup.org/xsd/archimate/3.0/'}
XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'


def make_org(n, name):
    return harness.make_org(SRV, ADMIN, 9970 + n, name)


def create(coll, body, token, status=201):
    return harness.create(SRV, coll, body, token, status)


def post(data, query='', token=None, ctype='application/xml', lang='en'):
    return SRV.request('POST', f'/api/v1/archimate{query}', body=data, token=token or ARCH,
                       headers={'Content-Type': ctype, 'Accept-Language': lang})


def by_id(report):
    return {c['identifier']: c for c in report['concepts']}


def audits():
    """The audit entries, as `archportal export` writes them."""
    return [json.loads(line)['audit'] for line in SRV.export().decode().splitlines()
            if line.startswith('{"audit"')]


def audit_count():
    return len(audits())


def totals():
    """How many records the portal holds in the collections an import writes."""
    out = {}
    for coll in ('capabilities', 'functions', 'master_data', 'architecture_elements', 'relations',
                 'domains'):
        r = SRV.get(f'/api/v1/{coll}?limit=1', token=ADMIN)
        assert r.status == 200, r
        out[coll] = r.json()['total']
    return out


FOREIGN = '''<?xml version="1.0" encoding="UTF-8"?>
<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="id-m1">
  <name xml:lang="en">Social protection (Archi)</name>
  <elements>
    <element identifier="id-cap-pay" xsi:type="Capability">
      <name xml:lang="ru">Выплаты пособий</name>
      <name xml:lang="en">Benefit payments</name>
      <name xml:lang="de">Leistungszahlungen</name>
      <documentation xml:lang="ru">Назначение и выплата</documentation>
      <properties>
        <property propertyDefinitionRef="pd-maturity"><value>3</value></property>
      </properties>
    </element>
    <element identifier="id-fn-assign" xsi:type="BusinessFunction">
      <name>Assigning benefits</name>
      <properties>
        <property propertyDefinitionRef="pd-owner"><value>{org}</value></property>
        <property propertyDefinitionRef="pd-dom"><value>{dom}</value></property>
      </properties>
    </element>
    <element identifier="id-res-staff" xsi:type="Resource">
      <name xml:lang="kk">Қызметкерлер</name>
      <name xml:lang="ru">Сотрудники</name>
    </element>
    <element identifier="id-node-dc" xsi:type="Node">
      <name>Data centre</name>
    </element>
  </elements>
  <relationships>
    <relationship identifier="id-r-realizes" source="id-fn-assign" target="id-cap-pay" xsi:type="Realization"/>
    <relationship identifier="id-r-assoc" source="id-res-staff" target="id-cap-pay" xsi:type="Association" isDirected="true">
      <name xml:lang="en">staffs</name>
    </relationship>
  </relationships>
  <organizations>
    <item>
      <label xml:lang="en">Strategy</label>
      <item>
        <label xml:lang="en">Capabilities</label>
        <item identifierRef="id-cap-pay"/>
        <item>
          <label xml:lang="en">People</label>
          <item identifierRef="id-res-staff"/>
        </item>
      </item>
    </item>
  </organizations>
  <propertyDefinitions>
    <propertyDefinition identifier="pd-maturity" type="number"><name>Maturity level</name></propertyDefinition>
    <propertyDefinition identifier="pd-owner" type="string"><name>Owner</name></propertyDefinition>
    <propertyDefinition identifier="pd-dom" type="string"><name xml:lang="ru">Домен</name></propertyDefinition>
  </propertyDefinitions>
  <views>
    <diagrams>
      <view identifier="id-v1" xsi:type="Diagram"><name>Main</name></view>
    </diagrams>
  </views>
</model>
'''


def foreign():
    if 'dom' not in W:
        W['dom'] = create('domains', {'name': {'ru': 'Социальная защита'}}, ARCH)['id']
    return FOREIGN.replace('{org}', ORG).replace('{dom}', W['dom']).encode()


def test_dry_run_reports_and_writes_nothing():
    # REQ: X-INT-01
    data = foreign()
    before, audit = totals(), audit_count()
    r = post(data, '?dry_run=true')
    assert r.status == 200, r
    rep = r.json()
    assert rep['dry_run'] is True and rep['written'] is False and rep['format'] == 'archimate'
    assert rep['counts'] == {'elements': 4, 'relationships': 2, 'created': 6, 'changed': 0,
                             'unchanged': 0, 'refused': 0, 'views': 1}, rep['counts']
    c = by_id(rep)
    assert c['id-cap-pay']['kind'] == 'capability' and c['id-cap-pay']['id'] == 'cap-pay'
    lines = FOREIGN.splitlines()
    assert c['id-cap-pay']['line'] == '6', c['id-cap-pay']
    assert lines[int(c['id-r-assoc']['line']) - 1].lstrip().startswith(
        '<relationship identifier="id-r-assoc"'), c['id-r-assoc']
    assert c['id-fn-assign']['kind'] == 'state_function'
    # a type no kind imports is kept as a generic element, and said so
    assert c['id-res-staff']['kind'] == 'archimate_element'
    assert any('Resource' in n['detail'] for n in c['id-res-staff']['notes']), c['id-res-staff']
    assert c['id-node-dc']['kind'] == 'archimate_element'  # nodes are the registry's to create
    # the German name is left alone, and said so
    assert any("'de'" in n['detail'] for n in c['id-cap-pay']['notes'])
    assert c['id-r-realizes']['kind'] == 'groups'
    assert c['id-r-assoc']['kind'] == 'archimate_relationship'
    assert totals() == before and audit_count() == audit
    assert SRV.get('/api/v1/capabilities/cap-pay', token=ARCH).status == 404


def test_import_keeps_everything():
    # REQ: X-INT-01
    audit = audit_count()
    r = post(foreign(), '?lang=en')
    assert r.status == 200, r
    rep = r.json()
    assert rep['written'] is True and rep['counts']['created'] == 6, rep['counts']
    new = audits()[audit:]
    assert len(new) == 6 and {a['record_id'] for a in new} == {
        'cap-pay', 'fn-assign', 'res-staff', 'node-dc', 'r-realizes', 'r-assoc'}, new
    cap = SRV.get('/api/v1/capabilities/cap-pay', token=ARCH).json()
    assert cap['name'] == {'ru': 'Выплаты пособий', 'en': 'Benefit payments'}, cap['name']
    assert cap['description'] == {'ru': 'Назначение и выплата'}
    # a property no field takes is kept among the other properties
    assert cap['other_properties'] == [{'key': 'Maturity level', 'value': '3'}]
    fn = SRV.get('/api/v1/functions/fn-assign', token=ARCH).json()
    assert fn['owner'] == ORG and fn['name'] == {'en': 'Assigning benefits'}
    assert fn['domain'] == W['dom']
    res = SRV.get('/api/v1/architecture_elements/res-staff', token=ARCH).json()
    assert res['archimate_type'] == 'Resource' and res['folder'] == 'Capabilities / People', res
    groups = SRV.get('/api/v1/relations/r-realizes', token=ARCH).json()
    # the portal's "groups" runs from the capability to the function
    assert groups['type'] == 'groups' and groups['source'] == 'cap-pay' \
        and groups['target'] == 'fn-assign', groups
    assoc = SRV.get('/api/v1/relations/r-assoc', token=ARCH).json()
    assert assoc['type'] == 'archimate_relationship' and assoc['archimate_type'] == 'Association'
    assert {'key': 'isDirected', 'value': 'true'} in assoc['other_properties']
    assert assoc['name'] == {'en': 'staffs'}
    W['imported'] = True


def test_reimport_changes_nothing_and_edits_update():
    # REQ: X-INT-01
    r = post(foreign(), '?lang=en')
    assert r.status == 200, r
    counts = r.json()['counts']
    assert counts['unchanged'] == 6 and counts['created'] == 0 and counts['changed'] == 0, counts
    edited = foreign().replace(b'Benefit payments', b'Benefit payments and pensions')
    r = post(edited, '?lang=en')
    c = by_id(r.json())['id-cap-pay']
    assert c['result'] == 'changed' and c['fields'] == ['name'], c
    cap = SRV.get('/api/v1/capabilities/cap-pay', token=ARCH).json()
    assert cap['name']['en'] == 'Benefit payments and pensions' and cap['name']['ru']


def test_export_of_an_import_validates_and_reimports_unchanged():
    # REQ: X-INT-01
    r = SRV.get('/api/v1/archimate', token=ARCH)
    assert r.status == 200, r
    root = validate(r.body)
    els = {e.get('identifier'): e for e in root.findall('a:elements/a:element', NS)}
    assert els['id-res-staff'].get(XSI_TYPE) == 'Resource'
    # the generic element's folders come back nested under the "other" folder
    labels = [l.text for l in root.iter('{%s}label' % NS['a'])]
    assert 'Capabilities' in labels and 'People' in labels
    # the other properties come back under definitions named by their keys
    names = [n.text for n in root.findall('a:propertyDefinitions/a:propertyDefinition/a:name', NS)]
    assert 'Maturity level' in names
    r = post(r.body, '?dry_run=true')
    assert r.status == 200, r
    rep = r.json()
    changed = [c for c in rep['concepts'] if c['result'] != 'unchanged']
    assert not changed, changed[:5]
    assert rep['counts']['unchanged'] == rep['counts']['elements'] + rep['counts']['relationships']


def test_the_portals_own_architecture_round_trips():
    # REQ: X-INT-01
    d = create('domains', {'name': {'kk': 'Денсаулық', 'ru': 'Здравоохранение', 'en': 'Health'},
                           'description': {'ru': 'Домен'}}, ARCH)
    t = create('master_data', {'kind': 'data_subject', 'name': {'ru': 'Пациент'},
                               'domain': d['id']}, ARCH)
    sys_ = create('objects', {'kind': 'information_system', 'owner': ORG, 'stage': 'creation',
                              'name': {'ru': 'МИС'}, 'purpose': {'ru': 'Учет пациентов'}}, OWNER)
    create('relations', {'type': 'accesses', 'source': sys_['id'], 'target': t['id'],
                         'access': 'read'}, ARCH)
    exported = SRV.get('/api/v1/archimate', token=ARCH).body
    validate(exported)
    r = post(exported)
    assert r.status == 200, r
    rep = r.json()
    assert rep['written'] and rep['counts']['created'] == 0 and rep['counts']['changed'] == 0, \
        [c for c in rep['concepts'] if c['result'] != 'unchanged'][:5]
    assert SRV.get('/api/v1/archimate', token=ARCH).body == exported


def test_bad_files_change_nothing():
    # REQ: X-INT-01
    before, audit = totals(), audit_count()
    cases = [
        (b'<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/"><elements>', 'line'),
        (b'<?xml version="1.0"?>\n<!DOCTYPE model [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
         b'<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/"><name>&x;</name></model>',
         'DOCTYPE'),
        (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
         b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n<model>&lol2;</model>', 'DOCTYPE'),
        (b'<model xmlns="http://www.opengroup.org/xsd/archimate"><name>Old</name></model>', '2.x'),
        (b'<model xmlns="http://example.org/other"/>', 'not an ArchiMate'),
        (b'<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/">' + b'<a>' * 100 +
         b'</a>' * 100 + b'</model>', 'nested'),
    ]
    for data, said in cases:
        r = post(data)
        assert r.status == 400, (data[:60], r)
        assert said in r.json()['detail'], (said, r.json())
    assert totals() == before and audit_count() == audit


DUPLICATE = b'''<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <name>x</name>
 <elements>
  <element identifier="id-dup-a" xsi:type="Capability"><name>A</name></element>
  <element identifier="id-dup-a" xsi:type="Capability"><name>B</name></element>
  <element identifier="id-dup-c" xsi:type="Capability"><name>C</name></element>
 </elements>
 <relationships>
  <relationship identifier="id-dup-r" source="id-dup-c" target="id-nowhere" xsi:type="Association"/>
 </relationships>
</model>'''


def test_refused_concepts_are_reported_with_their_lines():
    # REQ: X-INT-01
    before, audit = totals(), audit_count()
    r = post(DUPLICATE, lang='ru')
    assert r.status == 422, r
    body = r.json()
    assert body['type'].endswith('import-refused')
    c = {(x['identifier'], x['line']): x for x in body['report']['concepts']}
    dup = c[('id-dup-a', '6')]
    assert dup['result'] == 'refused' and 'строке 5' in dup['errors'][0]['detail'], dup
    assert c[('id-dup-a', '5')]['result'] == 'created'  # would be: nothing is written
    end = c[('id-dup-r', '10')]
    assert end['result'] == 'refused' and 'id-nowhere' in end['errors'][0]['detail'], end
    assert body['report']['written'] is False
    assert totals() == before and audit_count() == audit
    assert SRV.get('/api/v1/capabilities/dup-c', token=ARCH).status == 404


def csv_zip(elements, relations=None, properties=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('model-elements.csv', elements)
        if relations is not None:
            z.writestr('model-relations.csv', relations)
        if properties is not None:
            z.writestr('model-properties.csv', properties)
    return buf.getvalue()


def test_archi_csv_round_trip():
    # REQ: X-INT-01
    r = SRV.get('/api/v1/archimate?format=csv&lang=ru', token=ARCH)
    assert r.status == 200, r
    data = r.body
    r = post(data, '?dry_run=true&lang=ru', ctype='application/zip')
    assert r.status == 200, r
    rep = r.json()
    assert rep['format'] == 'archi-csv'
    changed = [c for c in rep['concepts'] if c['result'] != 'unchanged']
    assert not changed, changed[:5]
    # a new model in Archi's CSV: ";" between fields, a BOM, comments
    elements = ('\ufeff"ID";"Type";"Name";"Documentation";"Specialization"\n'
                '# made by hand\n'
                '"id-m";"ArchimateModel";"Hand-made";"";""\n'
                '"id-csv-cap";"Capability";"Учет граждан";"Описание";""\n'
                '"id-csv-goal";"Goal";"Цифровизация";"";""\n')
    relations = ('"ID";"Type";"Name";"Documentation";"Source";"Target";"Specialization"\n'
                 '"id-csv-rel";"InfluenceRelationship";"";"";"id-csv-cap";"id-csv-goal";""\n')
    properties = '"ID";"Key";"Value"\n"id-csv-cap";"Зрелость";"2"\n'
    r = post(csv_zip(elements, relations, properties), '?lang=ru', ctype='application/zip')
    assert r.status == 200, r
    c = by_id(r.json())
    assert c['id-csv-cap']['result'] == 'created' and c['id-csv-cap']['line'] == 'elements.csv:4'
    cap = SRV.get('/api/v1/capabilities/csv-cap', token=ARCH).json()
    assert cap['name'] == {'ru': 'Учет граждан'}
    assert cap['other_properties'] == [{'key': 'Зрелость', 'value': '2'}]
    assert c['id-csv-rel']['kind'] == 'archimate_relationship'
    r = post(csv_zip(elements, relations, properties), '?lang=ru', ctype='application/zip')
    assert r.json()['counts']['unchanged'] == 3, r.json()['counts']


def test_bad_csv_changes_nothing():
    # REQ: X-INT-01
    before, audit = totals(), audit_count()
    head = '"ID","Type","Name","Documentation","Specialization"\n'
    r = post(csv_zip(head + '"id-b1","Capability","Short row"\n'), ctype='application/zip')
    assert r.status == 422, r
    row = r.json()['report']['concepts'][0]
    assert row['line'] == 'elements.csv:2' and '3 fields' in row['errors'][0]['detail'], row
    r = post(csv_zip(head + '"id-b2","Capability","=HYPERLINK(""http://x"")","",""\n'),
             ctype='application/zip')
    assert r.status == 422, r
    assert 'formula' in r.json()['report']['concepts'][0]['errors'][0]['detail']
    r = post(csv_zip('"a","b"\n"1","2"\n'), ctype='application/zip')
    assert r.status == 400 and 'elements.csv' in r.json()['detail'], r
    r = post(b'PK\x03\x04 not really a zip', ctype='application/zip')
    assert r.status == 400, r
    r = post(csv_zip(head + '"id-b3","Capability","ok","",""\n', None,
                     '"ID","Key","Value"\n"id-nobody","k","v"\n'), ctype='application/zip')
    assert r.status == 400 and 'properties.csv, line 2' in r.json()['detail'], r
    assert totals() == before and audit_count() == audit


def test_who_may_import():
    # REQ: X-INT-01
    assert post(foreign(), token=OWNER).status == 403
    r = SRV.request('POST', '/api/v1/archimate', body=foreign(),
                    headers={'Content-Type': 'application/xml'})
    assert r.status == 401, r
    assert post(foreign(), '?dry_run=maybe').status == 400
    assert post(b'{}', ctype='application/json').status == 415


def test_from_the_command_line():
    # REQ: X-INT-01
    path = os.path.join(SRV.data, 'import.xml')
    with open(path, 'wb') as f:
        f.write(foreign().replace(b'Benefit payments', b'Benefits'))
    SRV.stop()
    try:
        p = harness.cli(SRV.data, 'archimate', 'import', '--dry-run', '--lang', 'en', path)
        rep = json.loads(p.stdout)
        assert rep['dry_run'] and by_id(rep)['id-cap-pay']['result'] == 'changed', rep['counts']
        p = harness.cli(SRV.data, 'archimate', 'import', path)
        assert json.loads(p.stdout)['written'] is True
        with open(path, 'wb') as f:
            f.write(DUPLICATE)
        p = harness.cli(SRV.data, 'archimate', 'import', path, check=False)
        assert p.returncode == 1 and b'refused' in p.stderr, p.stderr
    finally:
        SRV.start()
    cap = SRV.get('/api/v1/capabilities/cap-pay', token=ARCH).json()
    assert cap['name']['en'] == 'Benefits'


def main():
    global SRV, ADMIN, ARCH, OWNER, ORG, INTEGRATOR
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG = make_org(1, 'Министерство труда и социальной защиты населения')
        INTEGRATOR = make_org(3, 'Сервисный интегратор')
        ARCH = srv.token('integrator-architect', INTEGRATOR)
        OWNER = srv.token('owner-editor', ORG)
        run([test_dry_run_reports_and_writes_nothing, test_import_keeps_everything,
             test_reimport_changes_nothing_and_edits_update,
             test_export_of_an_import_validates_and_reimports_unchanged,
             test_the_portals_own_architecture_round_trips, test_bad_files_change_nothing,
             test_refused_concepts_are_reported_with_their_lines, test_archi_csv_round_trip,
             test_bad_csv_changes_nothing, test_who_may_import, test_from_the_command_line])


if __name__ == '__main__':
    main()
