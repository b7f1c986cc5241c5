"""End-to-end tests of `archportal inspect-document` on documents made by real
producers (tests/fixtures/make-documents.py: LibreOffice, Ghostscript, qpdf,
and hostile variants of their files).
REQ: DOC-01 — the signed copy is PDF/A-1, drafts are DOCX; anything else is
refused with a reason."""
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import BIN, SOURCE, run

_spec = importlib.util.spec_from_file_location(
    'make_documents', os.path.join(SOURCE, 'tests/fixtures/make-documents.py'))
docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs)

FIXTURE_DIR = os.environ.get('DOC_FIXTURES') or os.path.join(tempfile.gettempdir(),
                                                             'archportal-doc-fixtures')
_paths = {}


def fixture(name):
    if not _paths:
        _paths.update(docs.make_all(FIXTURE_DIR))
    return _paths[name]


def inspect(path, *opts, timeout=60):
    """Runs inspect-document; returns (report, seconds)."""
    t0 = time.monotonic()
    r = subprocess.run([BIN, 'inspect-document', *opts, path], capture_output=True,
                       timeout=timeout)
    took = time.monotonic() - t0
    assert r.returncode == 0, (r.returncode, r.stderr.decode(errors='replace'))
    return json.loads(r.stdout), took


def codes(report):
    return [p['code'] for p in report['problems']]


def test_pdfa1b_is_accepted():
    # REQ: DOC-01
    rep, _ = inspect(fixture('pdfa1b'))
    assert rep['problems'] == [], rep
    assert rep['format'] == 'pdf' and rep['pdfa1'] is True and rep['pdfa_conformance'] == 'B', rep
    assert rep['pages'] >= 1 and rep['encrypted'] is False and rep['text'] is None, rep


def test_docx_is_accepted_with_its_text():
    # REQ: DOC-01
    rep, _ = inspect(fixture('docx'))
    assert rep['problems'] == [] and rep['format'] == 'docx', rep
    assert docs.UNIQUE_WORD in rep['text'], rep
    assert 'Қазақстан Республикасы' in rep['text'], rep
    assert len(rep['text'].split('\n')) == 3, rep  # one line per paragraph


def test_every_bad_document_is_refused_with_its_reason():
    # REQ: DOC-01
    for name, (_, what, code) in docs.FIXTURES.items():
        if code is None:
            continue
        rep, _ = inspect(fixture(name))
        assert code in codes(rep), f'{name} ({what}): expected {code}, got {rep}'
        assert rep['pdfa1'] is False, (name, rep)
        for p in rep['problems']:
            assert p['detail'] and p['detail'][0].islower() and '\n' not in p['detail'], p
        if name != 'docx':
            assert rep['text'] is None, (name, rep)


def test_real_pdfa1_producers_pass():
    # REQ: DOC-01
    # LibreOffice's PDF/A-1 export and Ghostscript's -dPDFA=1 with its
    # PDFA_def.ps pass the content checks, not only the XMP declaration
    for name in ('lo-pdfa1', 'lo-pdfa1-link', 'pdfa1b', 'pdfa1b-only', 'pdfa-info-only'):
        rep, _ = inspect(fixture(name))
        assert rep['problems'] == [] and rep['pdfa1'] is True, (name, rep)
        assert rep['pdfa_conformance'] in ('A', 'B'), (name, rep)
    rep, _ = inspect(fixture('docx-hyperlink'))
    assert rep['problems'] == [] and docs.UNIQUE_WORD in rep['text'], rep


def test_pdfa_claim_is_checked_by_content():
    # REQ: DOC-01
    # the file of issue 13 gets one problem per rule it breaks, each once
    rep, _ = inspect(fixture('pdfa-liar'))
    got = codes(rep)
    assert sorted(got) == sorted(docs.LIAR_CODES), got
    assert rep['pdfa1'] is False and rep['pdfa_conformance'] is None, rep
    font = next(p for p in rep['problems'] if p['code'] == 'pdfa-font-not-embedded')
    assert 'DejaVuSansMono' in font['detail'] or '+' in font['detail'], font
    # one defect, one code
    for name in ('pdfa-javascript', 'pdfa-lzw', 'docx-template'):
        rep, _ = inspect(fixture(name))
        assert codes(rep) == [docs.FIXTURES[name][2]], (name, rep)


def test_pdf_details_name_what_is_wrong():
    rep, _ = inspect(fixture('pdfa2b'))
    assert 'PDF/A-2' in rep['problems'][0]['detail'], rep
    assert rep['pages'] >= 1, rep
    rep, _ = inspect(fixture('encrypted'))
    assert rep['encrypted'] is True and codes(rep) == ['pdf-encrypted'], rep
    rep, _ = inspect(fixture('traversal'))
    assert '../../evil.txt' in rep['problems'][0]['detail'], rep


def test_zip_bomb_is_refused_quickly():
    # 300 MB of zeros behind 300 KB: refused from the directory, nothing unpacked
    rep, took = inspect(fixture('bomb'))
    assert codes(rep) == ['docx-zip-bomb'], rep
    assert took < 5, took
    # sizes that lie in both zip headers: the bytes actually produced are counted
    rep, took = inspect(fixture('lying-sizes'))
    assert codes(rep) == ['docx-zip-bomb'], rep
    assert took < 5, took


def test_format_is_decided_by_content_not_name():
    with tempfile.TemporaryDirectory() as d:
        renamed = os.path.join(d, 'signed-copy.docx')
        shutil.copyfile(fixture('pdfa1b'), renamed)
        rep, _ = inspect(renamed)
        assert rep['format'] == 'pdf' and rep['pdfa1'] is True, rep
        renamed = os.path.join(d, '-draft.pdf')  # also: a name that looks like an option
        shutil.copyfile(fixture('docx'), renamed)
        r = subprocess.run([BIN, 'inspect-document', '--', renamed], capture_output=True,
                           timeout=60)
        rep = json.loads(r.stdout)
        assert rep['format'] == 'docx' and rep['problems'] == [], rep


def test_pdf_text_through_pdftotext():
    # REQ: DOC-01 (full-text search of the signed copy)
    rep, _ = inspect(fixture('pdfa1b'), '--text')
    assert rep['problems'] == [], rep
    assert docs.UNIQUE_WORD in rep['text'], rep
    assert 'Қазақстан' in rep['text'], rep
    # the cap cuts the text at a character boundary, never inside one
    rep, _ = inspect(fixture('pdfa1b'), '--text', '--max-text', '70')
    assert len(rep['text'].encode()) <= 70, rep


def test_docx_text_is_cut_at_a_character_boundary():
    full, _ = inspect(fixture('docx'))
    raw = full['text'].encode()
    first_cyrillic = next(i for i, b in enumerate(raw) if b >= 0x80)
    # a cap one byte into a two-byte letter keeps the text before the letter
    rep, _ = inspect(fixture('docx'), '--max-text', str(first_cyrillic + 1))
    assert rep['text'].encode() == raw[:first_cyrillic], rep
    assert rep['problems'] == [], rep


def test_caps_from_the_command_line():
    rep, _ = inspect(fixture('docx'), '--max-entries', '3')
    assert codes(rep) == ['docx-too-many-entries'], rep
    rep, _ = inspect(fixture('docx'), '--max-uncompressed', '1000')
    assert codes(rep) == ['docx-zip-bomb'], rep


def test_usage_errors():
    for args in ([], ['--max-entries'], ['--max-entries', 'x', 'f'], ['--max-color', '1', 'f'],
                 ['a', 'b'], ['--bogus', 'f']):
        r = subprocess.run([BIN, 'inspect-document', *args], capture_output=True, timeout=30)
        assert r.returncode == 2, (args, r)
        assert b'usage' in r.stderr, (args, r.stderr)
    r = subprocess.run([BIN, 'inspect-document', '/nonexistent/upload.pdf'], capture_output=True,
                       timeout=30)
    assert r.returncode == 1 and b'cannot open' in r.stderr, r


if __name__ == '__main__':
    run([test_pdfa1b_is_accepted, test_docx_is_accepted_with_its_text,
         test_every_bad_document_is_refused_with_its_reason, test_real_pdfa1_producers_pass,
         test_pdfa_claim_is_checked_by_content, test_pdf_details_name_what_is_wrong,
         test_zip_bomb_is_refused_quickly, test_format_is_decided_by_content_not_name,
         test_pdf_text_through_pdftotext, test_docx_text_is_cut_at_a_character_boundary,
         test_caps_from_the_command_line, test_usage_errors])
