#!/usr/bin/env python3
"""Makes the demo's documents at build time with real producers, as the
test fixtures are made (tests/fixtures/make-documents.py, whose helpers
this uses): LibreOffice writes the DOCX drafts and the PDFs, Ghostscript
turns each PDF into the signed PDF/A-1b copy the portal asks for. The
demo loader (src/cli) places them on records through the documents
module, as an upload would.

    python3 make-demo-documents.py OUTDIR NAME...   # NAME: one of DOCUMENTS, .pdf or .docx

Each output is made from the text below; nothing is written by hand.
"""
import importlib.util
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    'make_documents', os.path.join(HERE, '..', 'tests', 'fixtures', 'make-documents.py'))
md = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(md)

# name -> the document's text (Russian with its Kazakh title, as state
# bodies file them)
DOCUMENTS = {
    'technical-specification': (
        'ТЕХНИЧЕСКОЕ ЗАДАНИЕ\n'
        'на создание информационной системы (СТ РК 34.015-2002)\n'
        'Ақпараттық жүйені құруға арналған техникалық тапсырма\n'
        '\n'
        '1. Общие сведения. Заказчик: государственный орган Республики Казахстан. '
        'Исполнитель: определяется по итогам государственных закупок.\n'
        '2. Назначение и цели создания системы: автоматизация оказания государственных '
        'услуг в электронной форме через веб-портал «электронного правительства».\n'
        '3. Требования к системе: интеграция через шлюз «электронного правительства», '
        'размещение на Едином центре обработки данных, соответствие единым требованиям '
        'в области информационно-коммуникационных технологий и обеспечения '
        'информационной безопасности.\n'
        '4. Состав и содержание работ: техническое задание, технорабочий проект, '
        'опытная эксплуатация, испытания на соответствие требованиям информационной '
        'безопасности, ввод в промышленную эксплуатацию.\n'
        '5. Порядок контроля и приемки: приемочные испытания по программе и методике '
        'испытаний (ГОСТ 34.603-92).\n'),
    'contract': (
        'ДОГОВОР О ГОСУДАРСТВЕННЫХ ЗАКУПКАХ УСЛУГ\n'
        'Мемлекеттік сатып алу туралы шарт\n'
        '\n'
        'г. Астана\n'
        'Заказчик и Поставщик заключили настоящий договор о нижеследующем.\n'
        '1. Поставщик оказывает услуги по созданию информационной системы в '
        'соответствии с техническим заданием, являющимся неотъемлемой частью договора.\n'
        '2. Срок оказания услуг: до 31 декабря текущего года.\n'
        '3. Приемка услуг оформляется актом оказанных услуг.\n'
        '4. Исходные программные коды и техническая документация передаются Заказчику.\n'),
}


def make(outdir, names):
    os.makedirs(outdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix='archportal-demo-docs-')
    try:
        for name in sorted({os.path.splitext(n)[0] for n in names}):
            if name not in DOCUMENTS:
                raise SystemExit(f'make-demo-documents: no document {name!r}')
            src = os.path.join(work, name + '.txt')
            with open(src, 'w', encoding='utf-8') as f:
                f.write(DOCUMENTS[name])
            if name + '.docx' in names:
                shutil.copyfile(md._soffice('docx', src, work, name=name + '-docx'),
                                os.path.join(outdir, name + '.docx'))
            if name + '.pdf' in names:
                plain = md._soffice('pdf', src, work, name=name + '-pdf')
                md._gs_pdfa(plain, os.path.join(outdir, name + '.pdf'), 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    if len(sys.argv) < 3:
        print('usage: make-demo-documents.py OUTDIR NAME...', file=sys.stderr)
        sys.exit(2)
    make(sys.argv[1], sys.argv[2:])
