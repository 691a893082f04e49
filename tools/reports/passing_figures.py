#!/usr/bin/env python3
"""The figures of the fault suite's last passing run of each test, from the JSON-lines file the
fault tests append to (build/reports/fault-figures.jsonl): a test's figures count only when the
outcome line that follows them says it passed (figures are printed before the checks), and
the fault tests run one at a time (ctest RUN_SERIAL), so the records before an outcome line belong
to that test's run.

  passing_figures.py FILE [--json]   # a table per test, or the kept records as JSON lines
"""
import json
import sys


def passing(path):
    pending = {}  # test -> figures records since its last outcome line
    kept = {}
    for line in open(path, encoding='utf-8'):
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        test = rec.get('test')
        if 'figures' in rec:
            pending.setdefault(test, []).append(rec)
        elif 'passed' in rec:
            if rec['passed'] and pending.get(test):
                kept[test] = pending[test]
            # Fault tests run one at a time: whatever was printed before this outcome line
            # belongs to this test's run or to a run whose outcome was never written.
            pending = {}
    return kept


def main():
    kept = passing(sys.argv[1])
    as_json = '--json' in sys.argv[2:]
    for test in sorted(kept):
        for rec in kept[test]:
            if as_json:
                print(json.dumps(rec, sort_keys=True))
            else:
                figs = ' '.join('%s=%s' % (k, v) for k, v in sorted(rec['figures'].items()))
                print('%s (%s, %s): %s' % (test, rec['utc'], (rec.get('git_commit') or '?')[:8], figs))
    if not kept:
        sys.exit('no passing test with figures in %s' % sys.argv[1])


if __name__ == '__main__':
    main()
