#!/usr/bin/env python3
"""deploy/prometheus/alerts.yml against its unit tests (alerts_test.yml), and the tests against
broken rules.

1. `promtool test rules alerts_test.yml` passes on the rules as written.
2. For every alert, three broken copies of alerts.yml must each make the same tests FAIL, so no
   alert is untested and no test would pass whatever the rule says:
     never   - its expression replaced by one that is never true (the alert cannot fire);
     for0    - its `for:` removed (the alert fires at once, so "still pending" must be asserted);
     looser  - its first comparison loosened (`> N` -> `>= N/10`, `== 0` -> `<= 1`), so the
               series the tests keep below the threshold must be asserted not to fire.
Args: SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SOURCE = sys.argv[1]
RULES = os.path.join(SOURCE, "deploy/prometheus/alerts.yml")
TESTS = os.path.join(SOURCE, "deploy/prometheus/alerts_test.yml")


def run_tests(rules_text, workdir):
    """promtool test rules on alerts_test.yml with `rules_text` as its alerts.yml."""
    with open(os.path.join(workdir, "alerts.yml"), "w") as f:
        f.write(rules_text)
    shutil.copy(TESTS, os.path.join(workdir, "alerts_test.yml"))
    out = subprocess.run(["promtool", "test", "rules", "alerts_test.yml"], cwd=workdir,
                         capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout + out.stderr


def loosen(expr):
    """The expression with its first comparison made looser, or None when it has none."""
    m = re.search(r"(>|==)\s*([0-9.]+)", expr)
    if not m:
        return None
    op, n = m.group(1), float(m.group(2))
    new = f">= {n / 10:g}" if op == ">" else f"<= {n + 1:g}"
    return expr[:m.start()] + new + expr[m.end():]


def main():
    failures = []
    source_rules = yaml.safe_load(open(RULES))
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = run_tests(open(RULES).read(), tmp)
        if rc != 0:
            print(out)
            sys.exit("FAIL: promtool test rules fails on the rules as written")
        print("rules as written: tests pass")
        # The broken copies are written by yaml.safe_dump: the same dump of the unbroken rules
        # must pass, or every "tests fail" below would prove nothing.
        rc, out = run_tests(yaml.safe_dump(source_rules, sort_keys=False), tmp)
        if rc != 0:
            print(out)
            sys.exit("FAIL: the tests fail on the rules re-serialised unchanged")
        print("rules re-serialised unchanged: tests pass")
        alerts = [(g, i) for g, group in enumerate(source_rules["groups"])
                  for i, r in enumerate(group["rules"]) if "alert" in r]
        tested = set(re.findall(r"alertname:\s*(\w+)", open(TESTS).read()))
        for g, i in alerts:
            name = source_rules["groups"][g]["rules"][i]["alert"]
            if name not in tested:
                failures.append(f"{name}: no test in alerts_test.yml")
            mutations = {"never": lambda r: r.update(expr="vector(0) > 1"),
                         "for0": lambda r: r.pop("for", None)}
            loose = loosen(source_rules["groups"][g]["rules"][i]["expr"])
            if loose:
                mutations["looser"] = lambda r, e=loose: r.update(expr=e)
            else:
                failures.append(f"{name}: no comparison to loosen")
            for mname, mutate in mutations.items():
                broken = yaml.safe_load(open(RULES))
                mutate(broken["groups"][g]["rules"][i])
                rc, out = run_tests(yaml.safe_dump(broken, sort_keys=False), tmp)
                verdict = "tests fail (good)" if rc != 0 else "tests STILL PASS"
                print(f"{name} broken ({mname}): {verdict}")
                if rc == 0:
                    failures.append(f"{name}: the tests pass with the rule broken ({mname})")
    for f in failures:
        print("FAIL: " + f)
    print(f"prometheus rules: {len(alerts)} alerts, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
