#!/usr/bin/env python3
"""The web pages' catalogs are complete (REQ X-I18N-01): every message a
template ({{t "…"}}) or the web module's C code (TR("…")) uses, and every
problem detail the API or a form can answer with (the format of an
err_set/err_invalid/… call, web/po/<lang>/api.po), is in the kk,
ru and en catalogs (web/po/<lang>/*.po), translated (not empty, not fuzzy),
with the same {placeholders} as its msgid; every catalog passes
`msgfmt --check`; and the three languages hold the same messages. The
Kazakh text (catalogs, the model's and the demo's "kk" values, Kazakh
strings in the C sources) uses the Order's terms: «архитектура»,
«архитектуралық портал», never «сәулет»; МЕМСТ, never ГОСТ.

  check-i18n.py SOURCE_ROOT            TAP output, one test per check
  check-i18n.py SOURCE_ROOT --missing  lists what is missing, per language
"""
import json
import os
import re
import subprocess
import sys

import polib

LANGS = ['kk', 'ru', 'en']
TPL_RE = re.compile(r'\{\{t\s+"([^"]*)"\s*\}\}')
TR_RE = re.compile(r'\bTR\(((?:\s*"(?:[^"\\]|\\.)*")+)\s*\)')
STR_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
PH_RE = re.compile(r'\{([A-Za-z0-9_]+)\}')


def c_unescape(s):
    return s.encode('latin-1', 'backslashreplace').decode('unicode_escape') \
        if '\\' in s else s


def used_messages(root):
    used = {}
    tdir = os.path.join(root, 'web', 'templates')
    for base, _, files in os.walk(tdir):
        for name in files:
            if name.endswith('.html'):
                path = os.path.join(base, name)
                with open(path, encoding='utf-8') as f:
                    for m in TPL_RE.finditer(f.read()):
                        used.setdefault(m.group(1), os.path.relpath(path, root))
    # TR("…") in the pages' code and in the messages' (workflow, notify, …)
    for base, _, files in os.walk(os.path.join(root, 'src')):
        for name in sorted(files):
            if not name.endswith('.c'):
                continue
            path = os.path.join(base, name)
            with open(path, encoding='utf-8') as f:
                text = f.read()
            for m in TR_RE.finditer(text):
                msg = ''.join(c_unescape(s) for s in STR_RE.findall(m.group(1)))
                used.setdefault(msg, os.path.relpath(path, root))
    for msg, where in problem_messages(root).items():
        used.setdefault(msg, where)
    return used


# The calls that make a problem's detail (util/err.h, model/validate.c's
# fail), and which argument is the format.
ERR_CALL_RE = re.compile(r'\b(err_set|err_invalid|err_bad_request|err_not_found|fail|weak|problem'
                         r'|jsonx_known_keys|refuse|note|bad_line)\s*\(')
ERR_FORMAT_ARG = {'err_set': 4, 'err_invalid': 2, 'err_bad_request': 2, 'err_not_found': 1,
                  'fail': 3, 'weak': 1, 'problem': 4, 'jsonx_known_keys': 2, 'refuse': 4,
                  'note': 2, 'bad_line': 1}
# a module's own helper that makes a problem: where it is
ERR_HELPER_IN = {'fail': 'src/model/validate.c', 'weak': 'src/auth/password.c',
                 'problem': 'src/api/', 'refuse': 'src/registry/amx-import.c',
                 'note': 'src/registry/amx-import.c', 'bad_line': 'src/docs/amx.c'}
# what a helper puts before the format it is given
ERR_HELPER_PREFIX = {'bad_line': 'line %ld: '}
# What only an operator meets (the command line's import, export, demo
# loading and checks; the templates; the inspector's and the outbox's
# configuration), said in English only.
OPERATOR_ONLY = ('src/registry/dump.c', 'src/registry/dump-table.c', 'src/registry/demo.c',
                 'src/web/tpl.c', 'src/docs/inspect.c', 'src/docs/subproc.c', 'src/store/',
                 'src/notify/', 'src/util/', 'src/cli/')
ONLY_ARGS_RE = re.compile(r'(%[-+ #0-9.]*[a-z]+|[: ])*')


def call_args(text, i):
    """The arguments' texts of the call whose '(' is at text[i]."""
    args, cur, depth, j = [], '', 0, i
    while j < len(text):
        c = text[j]
        if c in '"\'':
            k = j + 1
            while text[k] != c:
                k += 2 if text[k] == '\\' else 1
            cur += text[j:k + 1]
            j = k + 1
            continue
        if c in '([{':
            depth += 1
            if depth == 1:
                j += 1
                continue
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                return args + [cur.strip()]
        elif c == ',' and depth == 1:
            args.append(cur.strip())
            cur = ''
            j += 1
            continue
        cur += c
        j += 1
    return args


def problem_messages(root):
    """{format: where} of every problem detail a user can meet (not 500s)."""
    used = {}
    for base, _, files in os.walk(os.path.join(root, 'src')):
        for name in sorted(files):
            path = os.path.join(base, name)
            rel = os.path.relpath(path, root)
            if not name.endswith('.c') or rel.startswith(OPERATOR_ONLY):
                continue
            with open(path, encoding='utf-8') as f:
                text = f.read()
            for m in ERR_CALL_RE.finditer(text):
                fn = m.group(1)
                if fn in ERR_HELPER_IN and not rel.startswith(ERR_HELPER_IN[fn]):
                    continue
                args = call_args(text, m.end() - 1)
                if len(args) <= ERR_FORMAT_ARG[fn] or (fn == 'err_set' and args[1] == '500'):
                    continue
                fmt = args[ERR_FORMAT_ARG[fn]]
                if not re.fullmatch(r'(\s*"(?:[^"\\]|\\.)*")+\s*', fmt):
                    continue
                msg = ERR_HELPER_PREFIX.get(fn, '') + ''.join(c_unescape(s)
                                                              for s in STR_RE.findall(fmt))
                if not ONLY_ARGS_RE.fullmatch(msg):
                    used.setdefault(msg, rel)
    return used


def catalogs(root):
    cats = {}
    files = []
    for lang in LANGS:
        d = os.path.join(root, 'web', 'po', lang)
        cats[lang] = {}
        for name in sorted(os.listdir(d)):
            if name.endswith('.po'):
                path = os.path.join(d, name)
                files.append(path)
                for e in polib.pofile(path):
                    if not e.obsolete and e.msgid:
                        cats[lang][e.msgid] = '' if 'fuzzy' in e.flags else e.msgstr
    return cats, files


# The Order's Kazakh terms (seed 002): a word the Order does not use for the
# thing, and what it says instead.
KK_TERMS = [
    (re.compile(r'сәулет', re.I), '«архитектура», «архитектуралық портал»'),
    (re.compile(r'\bГОСТ\b'), 'МЕМСТ'),
]
US_SPELLING = re.compile(r'\b(?:[Oo]rganiz\w*|[Aa]uthoriz\w*|[Cc]enters?|[Aa]nalyz\w*|[Cc]olors?|'
                         r'[Bb]ehaviors?|[Ll]icense\b)')
IDENTIFIER = re.compile(r"'[A-Za-z_-]+(?::[^']*)?'|\"[a-z_]+\"|\b[a-z]+_[a-z_]+\b")
KK_LETTERS = re.compile('[әғқңөұүһіӘҒҚҢӨҰҮҺІ]')


def kk_texts(root):
    """Yields (where, text) for every Kazakh text the portal shows."""
    for lang_dir in ['kk']:
        d = os.path.join(root, 'web', 'po', lang_dir)
        for name in sorted(os.listdir(d)):
            if name.endswith('.po'):
                for e in polib.pofile(os.path.join(d, name)):
                    yield f'web/po/kk/{name}: "{e.msgid}"', e.msgstr

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == 'kk' and isinstance(v, str):
                    yield where, v
                else:
                    yield from walk(v, where)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v, where)
    for sub in ['model', 'demo']:
        d = os.path.join(root, sub)
        for name in sorted(os.listdir(d)):
            if name.endswith('.json'):
                with open(os.path.join(d, name), encoding='utf-8') as f:
                    yield from walk(json.load(f), f'{sub}/{name}')
    for base, _, files in os.walk(os.path.join(root, 'src')):
        for name in sorted(files):
            if name.endswith(('.c', '.h')):
                path = os.path.join(base, name)
                with open(path, encoding='utf-8') as f:
                    for lit in STR_RE.findall(f.read()):
                        if KK_LETTERS.search(lit):
                            yield os.path.relpath(path, root), lit


def kk_term_problems(root):
    bad = []
    for where, text in kk_texts(root):
        for word, instead in KK_TERMS:
            m = word.search(text)
            if m:
                bad.append(f'{where}: «{m.group(0)}», the Order says {instead}')
    return bad


def main():
    root = sys.argv[1]
    used = used_messages(root)
    cats, files = catalogs(root)
    if '--missing' in sys.argv:
        for lang in LANGS:
            for msg in sorted(used):
                if not cats[lang].get(msg):
                    print(f'{lang}\t{msg}')
        return 0
    results = []
    for path in files:
        r = subprocess.run(['msgfmt', '--check', '-o', os.devnull, path],
                           capture_output=True, text=True)
        results.append((r.returncode == 0, 'msgfmt --check ' + os.path.relpath(path, root),
                        r.stderr.strip()))
    for lang in LANGS:
        missing = [f'"{m}" ({where})' for m, where in sorted(used.items())
                   if not cats[lang].get(m)]
        results.append((not missing, f'{lang}: every message used is translated',
                        '; '.join(missing[:20])))
        bad = [f'"{m}"' for m, s in cats[lang].items()
               if s and set(PH_RE.findall(m)) != set(PH_RE.findall(s))]
        results.append((not bad, f'{lang}: translations keep the placeholders',
                        '; '.join(bad[:20])))
        others = set().union(*(cats[x].keys() for x in LANGS if x != lang))
        extra = sorted(others - cats[lang].keys())
        results.append((not extra, f'{lang}: holds every message the other languages hold',
                        '; '.join(extra[:20])))
    # one English: British spelling in what the English pages and answers
    # say (msgstr; quoted identifiers of the API and HTTP headers aside).
    # "informatization" is the Law's own English name and stays.
    us = [f'"{m}" → "{t}"' for m, t in cats['en'].items()
          for w in US_SPELLING.findall(IDENTIFIER.sub('', t))]
    results.append((not us, 'en: British spelling (organisation, authorised, centre, colour)',
                    '; '.join(us[:20])))
    bad_terms = kk_term_problems(root)
    results.append((not bad_terms, "kk: the Order's terms (архитектуралық портал, МЕМСТ)",
                    '; '.join(bad_terms[:20])))
    unused = sorted(set(cats['en']) - set(used))
    results.append((not unused, 'no catalog message is unused', '; '.join(unused[:20])))
    print(f'1..{len(results)}')
    failed = 0
    for i, (ok, name, detail) in enumerate(results, 1):
        print(f'{"ok" if ok else "not ok"} {i} - {name}  # REQ: X-I18N-01')
        if not ok:
            failed += 1
            print('# ' + detail)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
