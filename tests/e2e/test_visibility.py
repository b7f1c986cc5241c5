"""End-to-end tests of who sees what (issue 13, items 5 and 6): a relation is
seen only by those who may read both of its ends, on every surface (lists,
totals, facets, search, GET, history, as-of reads, neighbourhoods); writes on
records the writer may not read answer exactly as for records that do not
exist; the public sees a record's history, workflow and documents from its
publication on, with organisations rather than people. Callers: the public,
an editor of another organisation, the owner's editor, the integrator's
verifier."""
import importlib.util
import json
import os
import re
import tempfile
from urllib.parse import quote

from harness import COMPLETE, Server, assert_problem, cli, multipart, place_documents, run, valid_bin

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    'make_documents', os.path.join(HERE, '..', 'fixtures', 'make-documents.py'))
FX_MOD = importlib.util.module_from_spec(spec)
spec.loader.exec_module(FX_MOD)
FX = {}

SRV = None
ADMIN = OWNER = STRANGER = VERIFIER = None
ORG = OTHER = VERIFIER_ORG = None
GHOST = '01a00000-0000-7000-8000-00000000beef'  # an id nobody has
PUBLIC = 'public'
W = {}  # the records made once


def make_org(n):
    body = {'name': {'ru': f'Ведомство видимости {n}'}, 'bin': valid_bin(8600 + n),
            'org_type': 'central_state_body'}
    r = SRV.request('POST', '/api/v1/organizations', body, token=ADMIN)
    assert r.status == 201, r
    return r.json()['id']


def draft(owner, token, name, **fields):
    body = {'kind': 'information_system', 'owner': owner, 'name': {'ru': name}, 'stage': 'creation'}
    body.update(COMPLETE)
    body.update(fields)
    r = SRV.request('POST', '/api/v1/objects', body, token=token)
    assert r.status == 201, r
    return r.json()


def register(rec, token):
    place_documents(SRV, rec['id'], token)
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=token)
    assert r.status == 200, r
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify', {'decision': 'accept'}, token=VERIFIER)
    assert r.status == 200, r
    return r.json()


def relate(source, target, words, token):
    r = SRV.request('POST', '/api/v1/relations', {'type': 'exchanges_data_with', 'source': source,
                                                  'target': target, 'data_carried': words}, token=token)
    assert r.status == 201, r
    return r.json()


def as_(who):
    return None if who == PUBLIC else who


def name(who):
    return {PUBLIC: 'the public', OWNER: 'the owner', STRANGER: 'another organisation',
            VERIFIER: 'the integrator'}[who]


def listed(path, who):
    r = SRV.get(path, token=as_(who))
    assert r.status == 200, (name(who), path, r)
    return r.json(), r.body.decode()


def same_answer(a, b, what):
    """The answers for a hidden record and for none: the same status and body."""
    assert a.status == b.status, (what, a, b)
    assert a.header('Content-Type') == b.header('Content-Type'), (what, a.headers, b.headers)
    assert a.body == b.body, (what, a.body, b.body)


def setup():
    W['pub_a'] = register(draft(ORG, OWNER, 'Опубликованная А'), OWNER)
    W['pub_b'] = register(draft(OTHER, STRANGER, 'Опубликованная Б'), STRANGER)
    W['draft_a'] = draft(ORG, OWNER, 'Черновик А')
    W['draft_b'] = draft(OTHER, STRANGER, 'Черновик Б')
    W['hidden'] = relate(W['pub_a']['id'], W['draft_a']['id'], 'скрытыеданные', OWNER)
    W['open'] = relate(W['pub_a']['id'], W['pub_b']['id'], 'открытыеданные', OWNER)


def test_relation_lists_totals_facets_and_search():
    # REQ: ROL-05
    # REQ: ACC-03
    hidden, open_ = W['hidden']['id'], W['open']['id']
    for who, sees in ((PUBLIC, False), (STRANGER, False), (OWNER, True), (VERIFIER, True)):
        page, body = listed('/api/v1/relations?limit=500', who)
        ids = [i['id'] for i in page['items']]
        assert open_ in ids, (name(who), ids)
        assert (hidden in ids) == sees, (name(who), ids)
        assert (W['draft_a']['id'] in body) == sees and ('скрытыеданные' in body) == sees, name(who)
        assert page['total'] == len(ids), (name(who), page['total'], len(ids))
        facets, _ = listed('/api/v1/relations/facets?field=kind', who)
        assert sum(v['count'] for v in facets['values']) == page['total'], (name(who), facets)
        found, _ = listed('/api/v1/relations?q=' + quote('скрытыеданные'), who)
        assert found['total'] == (1 if sees else 0), (name(who), found)
        typed, _ = listed('/api/v1/relations?kind=exchanges_data_with&limit=500', who)
        assert (hidden in [i['id'] for i in typed['items']]) == sees, name(who)
        # the neighbourhood of the published end
        rels, _ = listed(f'/api/v1/objects/{W["pub_a"]["id"]}/relations', who)
        assert (hidden in [i['id'] for i in rels['items']]) == sees, (name(who), rels)


def test_relation_reads_answer_as_missing():
    # REQ: ROL-05
    hidden = W['hidden']['id']
    created = W['hidden']['created_at']
    for who in (PUBLIC, STRANGER):
        for suffix in ('', '/history', f'?at={created}'):
            a = SRV.get(f'/api/v1/relations/{hidden}{suffix}', token=as_(who))
            b = SRV.get(f'/api/v1/relations/{GHOST}{suffix}', token=as_(who))
            assert_problem(a, 404)
            same_answer(a, b, (name(who), suffix))
            assert hidden not in a.body.decode()
    for who in (OWNER, VERIFIER):
        for suffix in ('', '/history', f'?at={created}'):
            r = SRV.get(f'/api/v1/relations/{hidden}{suffix}', token=who)
            assert r.status == 200, (name(who), suffix, r)


def test_writes_on_hidden_records_answer_as_missing():
    # REQ: ACC-03
    hidden, rel = W['draft_a'], W['hidden']
    gone = draft(ORG, OWNER, 'Снятый черновик А')
    r = SRV.request('DELETE', f'/api/v1/objects/{gone["id"]}', token=OWNER,
                    headers={'If-Match': f'"{gone["revision"]}"'})
    assert r.status == 204, r
    docx = open(FX['docx'], 'rb').read()
    body, ctype = multipart([('type', 'contract')], [('file', 'a.docx', docx)])

    def attempts(coll, x):
        path = f'/api/v1/{coll}/{x}'
        yield 'PATCH', SRV.request('PATCH', path, {'stage': 'development'}, token=STRANGER,
                                   headers={'If-Match': '"1"'})
        yield 'PATCH stale', SRV.request('PATCH', path, {'stage': 'development'}, token=STRANGER,
                                         headers={'If-Match': '"99"'})
        yield 'PATCH invalid', SRV.request('PATCH', path, {'stage': 'flying'}, token=STRANGER,
                                           headers={'If-Match': '"1"'})
        yield 'DELETE', SRV.request('DELETE', path, token=STRANGER, headers={'If-Match': '"99"'})
        yield 'GET', SRV.get(path, token=STRANGER)
        yield 'history', SRV.get(path + '/history', token=STRANGER)
        if coll == 'objects':
            yield 'submit', SRV.request('POST', path + '/submit', token=STRANGER)
            yield 'submit stale', SRV.request('POST', path + '/submit', token=STRANGER,
                                              headers={'If-Match': '"99"'})
            yield 'verify', SRV.request('POST', path + '/verify', {'decision': 'accept'}, token=STRANGER)
            yield 'workflow', SRV.get(path + '/workflow', token=STRANGER)
            yield 'relations', SRV.get(path + '/relations', token=STRANGER)
            yield 'documents', SRV.get(path + '/documents', token=STRANGER)
            yield 'completeness', SRV.get(path + '/completeness', token=STRANGER)
            yield 'upload', SRV.request('POST', path + '/documents', body, headers={'Content-Type': ctype},
                                        token=STRANGER)
            # a relation from the stranger's own record to it
            yield 'relate', SRV.request('POST', '/api/v1/relations', {
                'type': 'exchanges_data_with', 'source': W['pub_b']['id'], 'target': x,
                'data_carried': 'x'}, token=STRANGER)
            yield 'relate from', SRV.request('POST', '/api/v1/relations', {
                'type': 'exchanges_data_with', 'source': x, 'target': W['pub_b']['id'],
                'data_carried': 'x'}, token=STRANGER)
            yield 'move relation', SRV.request('PATCH', f'/api/v1/relations/{W["open"]["id"]}',
                                               {'target': x}, token=STRANGER,
                                               headers={'If-Match': f'"{W["open"]["revision"]}"'})

    for coll, x in (('objects', hidden['id']), ('objects', gone['id']), ('relations', rel['id'])):
        seen = dict(attempts(coll, GHOST))
        for what, a in attempts(coll, x):
            b = seen[what]
            assert a.status in (403, 404), (coll, what, a)
            same_answer(a, b, (coll, what))
            assert x not in a.body.decode(), (coll, what, a)
    # the owner's editor cannot relate its record to another organisation's draft either
    a = SRV.request('POST', '/api/v1/relations', {'type': 'exchanges_data_with', 'source': W['pub_a']['id'],
                                                  'target': W['draft_b']['id'], 'data_carried': 'x'}, token=OWNER)
    b = SRV.request('POST', '/api/v1/relations', {'type': 'exchanges_data_with', 'source': W['pub_a']['id'],
                                                  'target': GHOST, 'data_carried': 'x'}, token=OWNER)
    assert_problem(a, 404, 'target')
    same_answer(a, b, 'relate to another draft')
    # on records it may read, the right comes before the revision, the state and the body
    stale = {'If-Match': '"99"'}
    assert_problem(SRV.request('POST', f'/api/v1/objects/{W["pub_b"]["id"]}/verify',
                               {'decision': 'return', 'remarks': [{'field': 'nosuch', 'text': 'x'}]},
                               token=STRANGER, headers=stale), 403)
    assert_problem(SRV.request('POST', f'/api/v1/objects/{W["pub_a"]["id"]}/submit', token=STRANGER,
                               headers=stale), 403)
    assert_problem(SRV.request('PATCH', f'/api/v1/objects/{W["pub_a"]["id"]}', {'stage': 'flying'},
                               token=STRANGER, headers=stale), 403)
    # rights come before uniqueness: a relation that exists is not confirmed to those
    # who may not make it
    assert_problem(SRV.request('POST', '/api/v1/relations', {
        'type': 'exchanges_data_with', 'source': W['pub_a']['id'], 'target': W['pub_b']['id'],
        'data_carried': 'x'}, token=STRANGER), 403)
    assert_problem(SRV.request('POST', '/api/v1/relations', {
        'type': 'exchanges_data_with', 'source': W['pub_a']['id'], 'target': W['pub_b']['id'],
        'data_carried': 'x'}, token=OWNER), 409)
    # nothing was written
    assert SRV.get(f'/api/v1/objects/{hidden["id"]}', token=OWNER).json()['revision'] == hidden['revision']
    assert SRV.get(f'/api/v1/relations/{W["open"]["id"]}', token=OWNER).json()['target'] == W['pub_b']['id']


def test_public_history_from_publication():
    # REQ: ROL-05
    # REQ: REG-06
    rec = draft(ORG, OWNER, 'История', supplier='ЧерновойПоставщик')
    drafted_at = rec['created_at']
    docx = open(FX['docx'], 'rb').read()
    body, ctype = multipart([('type', 'contract')], [('file', 'contract.docx', docx)])
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/documents', body,
                    headers={'Content-Type': ctype}, token=OWNER)
    assert r.status == 201, r
    place_documents(SRV, rec['id'], OWNER)
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=OWNER)
    assert r.status == 200, r
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify',
                    {'decision': 'return', 'remarks': [{'text': 'ЗамечаниеЧерновика'}]}, token=VERIFIER)
    assert r.status == 200, r
    r = SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}', {'supplier': 'ТОО Поставщик'}, token=OWNER,
                    headers={'If-Match': f'"{r.json()["revision"]}"'})
    assert r.status == 200, r
    pub = register(r.json(), OWNER)
    r = SRV.request('PATCH', f'/api/v1/objects/{rec["id"]}', {'legal_basis': 'Приказ № 7'}, token=OWNER,
                    headers={'If-Match': f'"{pub["revision"]}"'})
    assert r.status == 200, r
    r = SRV.request('POST', f'/api/v1/objects/{rec["id"]}/verify',
                    {'decision': 'return', 'remarks': [{'text': 'ЗамечаниеПослеУчёта'}]}, token=VERIFIER)
    assert r.status == 200, r
    for who in (PUBLIC, STRANGER):
        hist, text = listed(f'/api/v1/objects/{rec["id"]}/history', who)
        items = hist['items']
        assert items[0]['revision'] == pub['revision'] and items[0]['action'] == 'verify-accept', (name(who), items[0])
        first = {c['field']: c for c in items[0]['changes']}
        assert all(c['before'] is None for c in items[0]['changes']), items[0]
        assert first['status']['after'] == 'registered' and first['supplier']['after'] == 'ТОО Поставщик'
        assert 'ЧерновойПоставщик' not in text and 'user:' not in text and 'token' not in text, text
        assert {i['actor'] for i in items} == {f'org:{ORG}', f'org:{VERIFIER_ORG}'}, items
        tl, text = listed(f'/api/v1/objects/{rec["id"]}/workflow', who)
        assert [e['transition'] for e in tl['events']] == ['accept', 'change', 'return_change'], tl['events']
        assert 'ЗамечаниеЧерновика' not in text and 'ЗамечаниеПослеУчёта' in text, text
        assert 'user:' not in text, text
        assert all(o['started_at'] >= pub['updated_at'] for o in tl['obligations']), tl['obligations']
        docs, text = listed(f'/api/v1/objects/{rec["id"]}/documents', who)
        uploaders = {v['uploaded_by'] for i in docs['items'] for v in i['versions']}
        assert uploaders == {f'org:{ORG}'}, uploaders
        doc_id = next(v['id'] for i in docs['items'] for v in i['versions'])
        doc, _ = listed(f'/api/v1/documents/{doc_id}', who)
        assert doc['uploaded_by'] == f'org:{ORG}', doc
        # as it was before its registration: not for them
        assert_problem(SRV.get(f'/api/v1/objects/{rec["id"]}?at={drafted_at}', token=as_(who)), 404)
    for who in (OWNER, VERIFIER):
        hist, text = listed(f'/api/v1/objects/{rec["id"]}/history', who)
        assert hist['items'][0]['action'] == 'create' and 'ЧерновойПоставщик' in text, name(who)
        assert all(i['actor'].startswith('user:') for i in hist['items']), hist['items']
        tl, text = listed(f'/api/v1/objects/{rec["id"]}/workflow', who)
        assert tl['events'][0]['transition'] == 'submit' and 'ЗамечаниеЧерновика' in text, name(who)
        docs, _ = listed(f'/api/v1/objects/{rec["id"]}/documents', who)
        assert all(v['uploaded_by'].startswith('user:') for i in docs['items'] for v in i['versions'])
        r = SRV.get(f'/api/v1/objects/{rec["id"]}?at={drafted_at}', token=who)
        assert r.status == 200 and r.json()['supplier'] == 'ЧерновойПоставщик', (name(who), r)
    # the card the public reads says no more
    page = SRV.get(f'/en/objects/{rec["id"]}', headers={'Accept': 'text/html'}).body.decode()
    assert 'ЧерновойПоставщик' not in page and 'ЗамечаниеЧерновика' not in page
    assert 'Ведомство видимости 1' in page  # who made the changes: the organisation
    revs = [int(x) for x in re.findall(r'Revision (\d+):', page)]
    assert min(revs) == pub['revision'], revs


def test_relation_follows_its_ends():
    # REQ: ROL-05
    later = draft(ORG, OWNER, 'Будущая публикация')
    rel = relate(W['pub_a']['id'], later['id'], 'будущиеданные', OWNER)
    before, _ = listed('/api/v1/relations?limit=500', PUBLIC)
    assert rel['id'] not in [i['id'] for i in before['items']]
    register(later, OWNER)
    after, _ = listed('/api/v1/relations?limit=500', PUBLIC)
    assert rel['id'] in [i['id'] for i in after['items']] and after['total'] == before['total'] + 1
    found, _ = listed('/api/v1/relations?q=' + quote('будущиеданные'), PUBLIC)
    assert found['total'] == 1, found
    r = SRV.get(f'/api/v1/relations/{rel["id"]}')
    assert r.status == 200, r
    hist, text = listed(f'/api/v1/relations/{rel["id"]}/history', PUBLIC)
    assert [i['actor'] for i in hist['items']] == [f'org:{ORG}'] and 'user:' not in text, hist
    # as it was before its end was registered: not for the public
    assert_problem(SRV.get(f'/api/v1/relations/{rel["id"]}?at={rel["created_at"]}'), 404)
    assert SRV.get(f'/api/v1/relations/{rel["id"]}?at={rel["created_at"]}', token=OWNER).status == 200
    # moving a published end to a draft hides the relation again
    another = draft(ORG, OWNER, 'Ещё черновик А')
    r = SRV.request('PATCH', f'/api/v1/relations/{rel["id"]}', {'target': another['id']}, token=OWNER,
                    headers={'If-Match': f'"{rel["revision"]}"'})
    assert r.status == 200, r
    now, _ = listed('/api/v1/relations?limit=500', PUBLIC)
    assert rel['id'] not in [i['id'] for i in now['items']] and now['total'] == before['total']
    # the indexes hold what `check` recomputes
    assert cli(SRV.data, 'check').returncode == 0


def main():
    global SRV, ADMIN, OWNER, STRANGER, VERIFIER, ORG, OTHER, VERIFIER_ORG
    fx_dir = os.environ.get('DOC_FIXTURES') or os.path.join(tempfile.gettempdir(), 'archportal-fixtures')
    os.makedirs(fx_dir, exist_ok=True)
    FX.update(FX_MOD.make_all(fx_dir))
    with Server() as srv:
        SRV = srv
        ADMIN = srv.token('admin')
        ORG, OTHER, VERIFIER_ORG = make_org(1), make_org(2), make_org(3)
        OWNER = srv.token('owner-editor', ORG)
        STRANGER = srv.token('owner-editor', OTHER)
        VERIFIER = srv.token('integrator-verifier', VERIFIER_ORG)
        setup()
        run([test_relation_lists_totals_facets_and_search, test_relation_reads_answer_as_missing,
             test_writes_on_hidden_records_answer_as_missing, test_public_history_from_publication,
             test_relation_follows_its_ends])


if __name__ == '__main__':
    main()
