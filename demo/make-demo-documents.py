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
    'commissioning-act': (
        'АКТ\n'
        'о вводе объекта информатизации в промышленную эксплуатацию\n'
        'Ақпараттандыру объектісін өнеркәсіптік пайдалануға енгізу туралы акт\n'
        '\n'
        'Комиссия в составе представителей собственника, сервисного интегратора '
        '«электронного правительства» и поставщика рассмотрела результаты опытной '
        'эксплуатации и приемочных испытаний.\n'
        'Замечания, выявленные в ходе опытной эксплуатации, устранены. Протоколы испытаний '
        'на соответствие требованиям информационной безопасности получены.\n'
        'Решение комиссии: ввести объект информатизации в промышленную эксплуатацию.\n'),
    'user-manual': (
        'РУКОВОДСТВО ПОЛЬЗОВАТЕЛЯ\n'
        'Пайдаланушы нұсқаулығы\n'
        '\n'
        '1. Вход в систему: авторизация по ЭЦП или одноразовому паролю.\n'
        '2. Подача заявки на государственную услугу: выбор услуги, заполнение формы, '
        'подписание заявки ЭЦП, отслеживание статуса в личном кабинете.\n'
        '3. Получение результата: уведомление в личном кабинете и по SMS, выписка в '
        'электронной форме.\n'
        '4. Обращение в службу поддержки: единый контакт-центр 1414.\n'),
    'admin-manual': (
        'РУКОВОДСТВО АДМИНИСТРАТОРА\n'
        'Әкімші нұсқаулығы\n'
        '\n'
        '1. Состав программных средств и схема размещения на Едином центре обработки данных.\n'
        '2. Управление учетными записями и ролями пользователей.\n'
        '3. Резервное копирование и восстановление баз данных, контроль журналов.\n'
        '4. Мониторинг доступности и реагирование на инциденты информационной безопасности.\n'),
}


def _convert(fmt, srcs, work, name):
    """LibreOffice converts every text of srcs to fmt in one start (the
    helpers' _soffice converts one); returns {src: produced file}."""
    profile = os.path.join(work, 'profile')
    conv = os.path.join(work, 'conv-' + name)
    md._run([md.SOFFICE, f'-env:UserInstallation=file://{profile}', '--headless', '--norestore',
             '--infilter=Text (encoded):UTF8,LF,,,', '--convert-to', fmt, '--outdir', conv, *srcs])
    out = {}
    for src in srcs:
        path = os.path.join(conv, os.path.splitext(os.path.basename(src))[0] + '.' + fmt)
        if not os.path.exists(path):
            raise RuntimeError(f'soffice made no {fmt} from {src}')
        out[src] = path
    return out


def make(outdir, names):
    os.makedirs(outdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix='archportal-demo-docs-')
    try:
        srcs = {}
        for name in sorted({os.path.splitext(n)[0] for n in names}):
            if name not in DOCUMENTS:
                raise SystemExit(f'make-demo-documents: no document {name!r}')
            srcs[name] = os.path.join(work, name + '.txt')
            with open(srcs[name], 'w', encoding='utf-8') as f:
                f.write(DOCUMENTS[name])
        for fmt in ('docx', 'pdf'):
            want = [srcs[n] for n in srcs if f'{n}.{fmt}' in names]
            if not want:
                continue
            for src, made in _convert(fmt, want, work, fmt).items():
                dst = os.path.join(outdir, os.path.splitext(os.path.basename(src))[0] + '.' + fmt)
                if fmt == 'pdf':  # the signed copy: Ghostscript's PDF/A-1b
                    md._gs_pdfa(made, dst, 1)
                else:
                    shutil.copyfile(made, dst)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    if len(sys.argv) < 3:
        print('usage: make-demo-documents.py OUTDIR NAME...', file=sys.stderr)
        sys.exit(2)
    make(sys.argv[1], sys.argv[2:])
