#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json (TAP subtests of each test;
a test without TAP output counts as one case) and from the fuzz summary
("fuzz NAME: ok|FAILED" lines), and prints "N passed, N failed".

Before the count it names each test that failed with the last lines of its
output: CI shows only the tail of a run, and meson's own error logs come
before the fuzzers' output."""
import json
import re
import sys


TAIL = 25


def report_failure(t, why):
    all_lines = ((t.get('stdout') or '') + (t.get('stderr') or '')).splitlines()
    # a failed case with the lines before it (the assertion's report), else
    # the output's end (what stopped the run)
    at = [i for i, line in enumerate(all_lines) if line.startswith('not ok ')]
    pick = sorted({j for i in at for j in range(max(0, i - 6), i + 1)})[-TAIL:] if at else \
        list(range(max(0, len(all_lines) - TAIL), len(all_lines)))
    lines = [all_lines[j] for j in pick]
    print(f"FAILED {t.get('name')} ({why}; {t.get('result')}, "
          f"{t.get('duration', 0):.1f} s):")
    for line in lines:
        print('  | ' + line[:300])


def count_meson(path):
    passed = failed = 0
    try:
        lines = open(path, encoding='utf-8', errors='replace').read().splitlines()
    except OSError:
        return 0, 1
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        out = t.get('stdout') or ''
        oks = len(re.findall(r'^ok \d+', out, re.M))
        bads = len(re.findall(r'^not ok \d+', out, re.M))
        plan = re.search(r'^1\.\.(\d+)', out, re.M)
        ok_result = t.get('result') in ('OK', 'EXPECTEDFAIL', 'SKIP')
        if oks + bads == 0:
            passed, failed = (passed + 1, failed) if ok_result else (passed, failed + 1)
            if not ok_result:
                report_failure(t, 'no test case ran')
            continue
        passed += oks
        failed += bads
        missing = int(plan.group(1)) - oks - bads if plan else 0
        if missing > 0:
            failed += missing  # a crash cut the run short
        elif not ok_result and bads == 0:
            failed += 1  # e.g. sanitizer report at exit
        if bads or missing > 0 or not ok_result:
            report_failure(t, f'{bads} failed, {max(missing, 0)} not run')
    return passed, failed


def count_fuzz(path):
    passed = failed = 0
    try:
        text = open(path, encoding='utf-8', errors='replace').read()
    except OSError:
        return 0, 0
    passed = len(re.findall(r'^fuzz \S+: ok', text, re.M))
    failed = len(re.findall(r'^fuzz \S+: FAILED', text, re.M))
    return passed, failed


def main():
    p, f = count_meson(sys.argv[1])
    if len(sys.argv) > 2:
        fp, ff = count_fuzz(sys.argv[2])
        p, f = p + fp, f + ff
    print(f'{p} passed, {f} failed')
    sys.exit(1 if f else 0)


if __name__ == '__main__':
    main()
