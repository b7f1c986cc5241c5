"""Adds translated messages to the web catalogs: po-add.py AREA < TABLE

TABLE is a Python list of (en, ru, kk) triples; each becomes (or replaces) an
entry of web/po/<lang>/AREA.po. Needs Debian's python3-polib (/usr/bin/python3)."""
import ast, os, sys

import polib
area = sys.argv[1]
rows = ast.literal_eval(sys.stdin.read())
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'web', 'po')
for i, lang in enumerate(['en', 'ru', 'kk']):
    path = os.path.join(root, lang, area + '.po')
    po = polib.pofile(path) if os.path.exists(path) else polib.POFile()
    po.metadata = {'Project-Id-Version': 'archportal', 'Language': lang,
                   'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=UTF-8',
                   'Content-Transfer-Encoding': '8bit'}
    have = {e.msgid: e for e in po}
    for row in rows:
        if row[0] in have:
            have[row[0]].msgstr = row[i]
        else:
            po.append(polib.POEntry(msgid=row[0], msgstr=row[i]))
    po.wrapwidth = 0
    po.save(path)
