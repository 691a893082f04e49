#!/usr/bin/env python3
"""Every test a document cites exists: a claim in README.md, RELIABILITY.md, SECURITY.md or
BENCHMARKS.md that names `Suite.TestName` of a test suite defined in tests/ must name a
TEST/TEST_F/TEST_P that exists. A renamed or deleted
test otherwise leaves a document pointing at nothing.

  cited_tests_exist.py SOURCE_DIR
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else '.'
defined = set()
script_tests = set()
for dirpath, _, files in os.walk(os.path.join(root, 'tests')):
    for f in files:
        path = os.path.join(dirpath, f)
        if f.endswith(('.cc', '.h')):
            text = open(path, encoding='utf-8', errors='replace').read()
            for m in re.finditer(r'\bTEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\)', text):
                defined.add(m.group(1) + '.' + m.group(2))
        elif f == 'CMakeLists.txt':
            text = open(path, encoding='utf-8').read()
            for m in re.finditer(r'add_test\(\s*NAME\s+(\w+)', text):
                script_tests.add(m.group(1))

suites = set(name.split('.')[0] for name in defined)
missing = []
cited = 0
for doc in ('README.md', 'RELIABILITY.md', 'SECURITY.md', 'BENCHMARKS.md'):
    text = open(os.path.join(root, doc), encoding='utf-8').read()
    for n, line in enumerate(text.split('\n'), 1):
        for m in re.finditer(r'`([A-Z][A-Za-z0-9]*)\.([A-Z][A-Za-z0-9]+)`', line):
            name = m.group(1) + '.' + m.group(2)
            if m.group(1) not in suites:
                continue  # `RegistryService.ListRegistryChanges` and the like: not a test
            cited += 1
            if name not in defined:
                missing.append('%s:%d: `%s` is not a test in tests/' % (doc, n, name))
for line in missing:
    print(line)
print('cited %d GoogleTest names, %d missing' % (cited, len(missing)))
if cited == 0:
    print('no test cited at all: the documents or this check are broken')
    sys.exit(1)
sys.exit(1 if missing else 0)
