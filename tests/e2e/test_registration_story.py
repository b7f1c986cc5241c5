"""The registration of an information system from start to end, as issue 4's
"done when" tells it: an owner records the system and places its signed
technical specification (PDF/A-1, made by LibreOffice and Ghostscript) and a
DOCX draft, submits; the integrator returns it with a remark; the owner fixes
and resubmits; the integrator verifies and the record gets its accounting
code; the public finds it by a word that stands only inside the PDF; the
completeness and deadline figures are right at each step; and the e-mails
arrive at a real SMTP server on loopback (the remark, the code, a reminder
before the owner's deadline and the digest once it is missed)."""
import importlib.util
import os
import re
import tempfile
from datetime import datetime, timedelta

from harness import COMPLETE, multipart, Server, assert_problem, cli, run, valid_bin
from smtpd import SMTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    'make_documents', os.path.join(HERE, '..', 'fixtures', 'make-documents.py'))
FX_MOD = importlib.util.module_from_spec(spec)
spec.loader.exec_module(FX_MOD)

CODE_RE = re.compile(r'^IS-20\d\d-\d{6}$')


def test_registration_story():
    # REQ: REG-03
    # REQ: REG-04
    # REQ: REG-05
    # REQ: REG-12
    # REQ: DOC-01
    # REQ: DOC-04
    fx_dir = os.environ.get('DOC_FIXTURES') or os.path.join(tempfile.gettempdir(), 'archportal-fixtures')
    fx = FX_MOD.make_all(fx_dir)
    with SMTPServer() as smtp, Server(extra=['--smtp', f'smtp://127.0.0.1:{smtp.port}',
                                             '--mail-from', 'portal@e2e.gov.kz',
                                             '--scan-every-s', '0']) as srv:
        admin = srv.token('admin')
        org = srv.request('POST', '/api/v1/organizations',
                          {'name': {'ru': 'Министерство истории'}, 'bin': valid_bin(8700),
                           'org_type': 'central_state_body'}, token=admin).json()['id']
        editor = srv.user('owner-editor', org)
        owner = cli(srv.data, 'token', 'create', '--name', 'e2e', '--user', editor).stdout.decode().strip()
        verifier_mail = srv.user('integrator-verifier')
        verifier = cli(srv.data, 'token', 'create', '--name', 'e2e', '--user',
                       verifier_mail).stdout.decode().strip()

        def completeness(rec_id, token=owner):
            r = srv.get(f'/api/v1/objects/{rec_id}/completeness', token=token)
            assert r.status == 200, r
            return r.json()

        def deadlines():
            return srv.get(f'/api/v1/organizations/{org}/completeness', token=owner).json()['obligations']

        def upload(rec_id, doc_type, name):
            with open(fx[name], 'rb') as f:
                body, ctype = multipart([('type', doc_type)], [('file', os.path.basename(fx[name]), f.read())])
            r = srv.request('POST', f'/api/v1/objects/{rec_id}/documents', body,
                            headers={'Content-Type': ctype}, token=owner)
            assert r.status == 201, r
            return r.json()

        def search(word, token=None, mine=False):
            q = f'/api/v1/objects?q={word}' + (f'&owner={org}' if mine else '')
            return [i['id'] for i in srv.get(q, token=token).json()['items']]

        # 1. the owner records the system: a draft, complete in its fields
        body = dict(COMPLETE, kind='information_system', owner=org,
                    name={'ru': 'Система учёта обращений'}, stage='creation')
        rec = srv.request('POST', '/api/v1/objects', body, token=owner).json()
        c = completeness(rec['id'])
        assert c['counts']['documents'] == {'due': 2, 'present': 0}, c
        assert c['gaps']['fields'] == [] and c['score'] < 100 and c['expenses']['supported'] is False
        assert deadlines() == {'open': 0, 'overdue': 0, 'missed': 0}
        # 2. its signed technical specification (PDF/A-1) and a DOCX draft
        signed = upload(rec['id'], 'technical_specification', 'pdfa1b-only')
        assert (signed['variant'], signed['pdfa']) == ('signed', '1B'), signed
        draft = upload(rec['id'], 'technical_specification', 'docx')
        assert (draft['variant'], draft['version']) == ('draft', 2), draft
        c = completeness(rec['id'])
        assert c['counts']['documents'] == {'due': 2, 'present': 1}, c
        assert rec['id'] in search(FX_MOD.PDF_ONLY_WORD, owner, mine=True)
        assert rec['id'] not in search(FX_MOD.PDF_ONLY_WORD)  # a draft is not public
        # 3. not yet: the integrator's check starts once the technical
        # documentation is there too (002 §12), signed
        r = srv.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=owner)
        assert r.status == 422 and sorted(g['type'] for g in r.json()['gaps']['documents']) == [
            'contract'], r
        upload(rec['id'], 'contract', 'pdfa1b')
        # submitted: the integrator owes a decision, the owner nothing
        r = srv.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=owner)
        assert r.status == 200 and r.json()['status'] == 'submitted', r
        queue = srv.get('/api/v1/verification-queue', token=verifier).json()['items']
        assert rec['id'] in [q['record']['id'] for q in queue]
        assert deadlines() == {'open': 0, 'overdue': 0, 'missed': 0}
        # 4. returned with a remark: the owner owes the rework, and is told by e-mail
        remark = 'Приложите подписанный договор в новой редакции'
        r = srv.request('POST', f'/api/v1/objects/{rec["id"]}/verify',
                        {'decision': 'return', 'remarks': [{'text': remark}]}, token=verifier)
        assert r.status == 200 and r.json()['status'] == 'returned', r
        mail = smtp.wait_for(lambda m: editor in m.to and remark in m.body())[0]
        assert 'Система учёта обращений' in mail.parsed['Subject']
        assert deadlines() == {'open': 1, 'overdue': 0, 'missed': 0}
        t = srv.get(f'/api/v1/objects/{rec["id"]}/workflow', token=owner).json()
        due = next(o['due_at'] for o in t['obligations'] if o['policy'] == 'owner_update' and not o['done_at'])
        # a reminder before the deadline, and the digest once it is missed
        # (the scan runs at chosen instants; each goes once)
        due_dt = datetime.strptime(due, '%Y-%m-%dT%H:%M:%S.%fZ')
        before = (due_dt - timedelta(hours=12)).strftime('%Y-%m-%dT%H:%M:%SZ')
        after = (due_dt + timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%SZ')
        assert cli(srv.data, 'notify', 'scan', '--at', before).returncode == 0
        reminder = smtp.wait_for(lambda m: editor in m.to and m is not mail
                                 and 'Система учёта обращений' in m.body() and remark not in m.body())[0]
        assert cli(srv.data, 'notify', 'scan', '--at', after).returncode == 0
        digest = smtp.wait_for(lambda m: editor in m.to and m not in (mail, reminder)
                               and 'Система учёта обращений' in m.body())[0]
        assert digest.parsed['Subject'] != reminder.parsed['Subject']
        smtp.wait_for(lambda m: verifier_mail in m.to and 'Система учёта обращений' in m.body())
        # 5. fixed and resubmitted: nothing owed by the owner any more
        upload(rec['id'], 'contract', 'pdfa1b')
        rec = srv.get(f'/api/v1/objects/{rec["id"]}', token=owner).json()
        rec = srv.request('PATCH', f'/api/v1/objects/{rec["id"]}', {'legal_basis': 'Приказ № 2'},
                          token=owner, headers={'If-Match': f'"{rec["revision"]}"'}).json()
        assert srv.request('POST', f'/api/v1/objects/{rec["id"]}/submit', token=owner).status == 200
        assert deadlines() == {'open': 0, 'overdue': 0, 'missed': 0}
        # 6. verified: registered with its code, told by e-mail, found by the public
        r = srv.request('POST', f'/api/v1/objects/{rec["id"]}/verify', {'decision': 'accept'}, token=verifier)
        assert r.status == 200, r
        rec = r.json()
        assert rec['status'] == 'registered' and CODE_RE.match(rec['accounting_code']), rec
        smtp.wait_for(lambda m: editor in m.to and rec['accounting_code'] in m.parsed['Subject'])
        assert search(FX_MOD.PDF_ONLY_WORD) == [rec['id']]
        assert search(FX_MOD.PDF_ONLY_WORD[:6]) == [rec['id']]
        assert srv.get(f'/api/v1/documents/{signed["id"]}/content').status == 200
        # 7. registered with the documents due at its stage: expenses may be supported
        c = completeness(rec['id'], token=None)
        assert c['score'] == 100 and c['expenses'] == {'supported': True, 'reasons': []}, c
        assert c['accounting_code'] == rec['accounting_code']
        summary = srv.get(f'/api/v1/organizations/{org}/completeness').json()['summary']
        assert summary == {'objects': 1, 'complete': 1, 'score': 100, 'expenses_supported': 1,
                           'documents_missing': 0}, summary
        # the owner's inbox has the same messages as its mailbox
        inbox = srv.get('/api/v1/inbox', token=owner).json()
        subjects = [m['subject'] for m in inbox['items']]
        assert any(rec['accounting_code'] in s for s in subjects), subjects
        assert_problem(srv.get('/api/v1/inbox'), 401)
        out = cli(srv.data, 'check', check=False)
        assert out.returncode == 0, out.stdout.decode()


if __name__ == '__main__':
    run([test_registration_story])
