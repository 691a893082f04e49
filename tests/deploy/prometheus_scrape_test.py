#!/usr/bin/env python3
"""A real Prometheus scrapes the real services.

Starts registry_service, activity_service and gateway (plaintext, free loopback ports, a fresh
database each on $IMP_TEST_DB_SOCKET) with --metrics_port, then:
  1. `promtool check metrics` finds no problem in any process's /metrics;
  2. a private Prometheus 2.x (its own config: the three jobs, scrape_interval 1s, the suite's
     deploy/prometheus/alerts.yml; TSDB in a temporary directory; 127.0.0.1 only) reports up == 1
     for registry, activity and gateway, and evaluates every alert rule without error (none
     pending on this healthy stack);
  3. a bounded load through the gateway with impctl (one create, OK_GETS gets of it, MISSING_GETS
     gets of an institution that does not exist) is what Prometheus stores, exactly, once it has
     scraped after the load: grpc_server_handled_total by grpc_code for GetInstitution at the
     gateway and at the registry it forwards to, the started count and the latency histogram's
     count; process_open_fds and imp_serving == 1 are there for each job.
Waits poll a condition with a deadline; the whole test is bounded by DEADLINE_S. Every process it
started is stopped and the databases dropped, whatever happens.
Args: BUILD_DIR SOURCE_DIR
"""
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

BUILD, SOURCE = sys.argv[1], sys.argv[2]
SOCKET = os.environ.get("IMP_TEST_DB_SOCKET")
IMPCTL = os.path.join(BUILD, "tools/impctl/impctl")
DEADLINE_S = 90
OK_GETS, MISSING_GETS = 7, 4
JOBS = ("registry", "activity", "gateway")

start = time.monotonic()
procs = []  # (name, Popen)
work = tempfile.mkdtemp(prefix="imp-prom-scrape.")
suffix = secrets.token_hex(4)
databases = [f"reg_{suffix}", f"act_{suffix}"]


class Failure(Exception):
    pass


def remaining():
    return DEADLINE_S - (time.monotonic() - start)


def wait_for(what, predicate, limit=30.0):
    """Polls predicate() every 0.1 s until it returns a true value (returned), within `limit` s
    and the test's own deadline."""
    until = time.monotonic() + min(limit, max(remaining(), 0))
    last = None
    while time.monotonic() < until:
        try:
            got = predicate()
            if got:
                return got
            last = got
        except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
            last = e
        time.sleep(0.1)
    raise Failure(f"timed out waiting for {what} (last: {last!r})")


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def free_ports(n):
    out = subprocess.run([sys.executable, os.path.join(SOURCE, "tests/support/free_port.py"),
                          str(n)], check=True, capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def start_process(name, argv, env=None):
    log = open(os.path.join(work, f"{name}.log"), "w")
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, **(env or {})))
    procs.append((name, p))
    return p


def log_tail(name, n=2000):
    try:
        return open(os.path.join(work, f"{name}.log")).read()[-n:]
    except OSError:
        return ""


def impctl(*args, want):
    out = subprocess.run([IMPCTL, *args], capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, IMP_TARGET=f"127.0.0.1:{GP}", IMP_TOKEN=TOKEN,
                                  IMP_TOKEN_FILE="", IMP_CA_CERT=""))
    if out.returncode != want:
        raise Failure(f"impctl {' '.join(args)} exited {out.returncode}, expected {want}: "
                      f"{out.stdout[-1000:]} {out.stderr[-1000:]}")


def prom_query(q):
    """/api/v1/query: the result vector as [(labels, float value)]."""
    status, body = http_get(f"http://127.0.0.1:{PP}/api/v1/query?" +
                            urllib.parse.urlencode({"query": q}))
    doc = json.loads(body)
    if doc.get("status") != "success":
        raise Failure(f"query {q}: {body[:500]}")
    return [(r["metric"], float(r["value"][1])) for r in doc["data"]["result"]]


def by_label(q, label):
    return {m.get(label, ""): v for m, v in prom_query(q)}


def check(cond, message):
    if not cond:
        raise Failure(message)


def cleanup():
    for _, p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for _, p in reversed(procs):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    me = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    for db in databases:
        users = ", ".join(f"'{u}'@'{h}'" for u in (db, f"{db}_migrate")
                          for h in ("localhost", "127.0.0.1"))
        subprocess.run(["mariadb", "--no-defaults", f"--socket={SOCKET}", f"-u{me}", "-e",
                        f"DROP DATABASE IF EXISTS {db}; DROP USER IF EXISTS {users}"],
                       capture_output=True)
    shutil.rmtree(work, ignore_errors=True)


def main():
    global GP, PP, TOKEN
    check(SOCKET, "IMP_TEST_DB_SOCKET is not set (source the dev environment)")
    for db, pw, mpw in ((databases[0], "pw1", "mpw1"), (databases[1], "pw2", "mpw2")):
        subprocess.run([os.path.join(SOURCE, "deploy/provision-db.sh"), SOCKET, db, pw, mpw],
                       check=True, capture_output=True, timeout=30)
    RP, AP, GP, RM, AM, GM, PP = free_ports(7)
    TOKEN = "admin-" + suffix
    with open(os.path.join(work, "tokens.txt"), "w") as f:
        f.write(f"{hashlib.sha256(TOKEN.encode()).hexdigest()} admin scrape-admin\n")
    common = {"IMP_LOG_LEVEL": "warning"}
    start_process("registry", [
        os.path.join(BUILD, "registry-service/registry_service"), f"--port={RP}",
        f"--metrics_port={RM}", f"--db_socket={SOCKET}", f"--db_user={databases[0]}",
        f"--db_migration_user={databases[0]}_migrate", f"--db_name={databases[0]}"],
        dict(common, IMP_DB_PASSWORD="pw1", IMP_DB_MIGRATION_PASSWORD="mpw1"))
    start_process("activity", [
        os.path.join(BUILD, "activity-service/activity_service"), f"--port={AP}",
        f"--metrics_port={AM}", f"--db_socket={SOCKET}", f"--db_user={databases[1]}",
        f"--db_migration_user={databases[1]}_migrate", f"--db_name={databases[1]}",
        f"--registry_target=127.0.0.1:{RP}"],
        dict(common, IMP_DB_PASSWORD="pw2", IMP_DB_MIGRATION_PASSWORD="mpw2"))
    start_process("gateway", [
        os.path.join(BUILD, "gateway/gateway"), f"--port={GP}", f"--metrics_port={GM}",
        f"--tokens_file={os.path.join(work, 'tokens.txt')}", f"--registry_target=127.0.0.1:{RP}",
        f"--activity_target=127.0.0.1:{AP}"], common)
    for name, port in (("registry", RP), ("activity", AP), ("gateway", GP)):
        r = subprocess.run([IMPCTL, "health", f"--target=127.0.0.1:{port}",
                            f"--wait_seconds={int(min(30, remaining()))}"], capture_output=True)
        check(r.returncode == 0, f"{name} is not SERVING: {log_tail(name)}")
    print(f"services SERVING after {time.monotonic() - start:.1f} s")

    # 1. Each exposition passes promtool's lint (names, types, HELP, units, histogram shape).
    metrics_ports = {"registry": RM, "activity": AM, "gateway": GM}
    for job, port in metrics_ports.items():
        status, text = http_get(f"http://127.0.0.1:{port}/metrics")
        check(status == 200, f"{job} /metrics answered {status}")
        lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                              text=True, timeout=30)
        check(lint.returncode == 0 and not (lint.stdout + lint.stderr).strip(),
              f"promtool check metrics on {job}: rc {lint.returncode}: "
              f"{(lint.stdout + lint.stderr)[:2000]}")
        print(f"{job}: promtool check metrics clean ({len(text.splitlines())} lines)")

    # 2. A private Prometheus on loopback, scraping every second, with the suite's rules.
    shutil.copy(os.path.join(SOURCE, "deploy/prometheus/alerts.yml"), work)
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write("global: {scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s}\n"
                "rule_files: [alerts.yml]\nscrape_configs:\n")
        for job, port in metrics_ports.items():
            f.write(f"  - job_name: {job}\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")
    start_process("prometheus", [
        "prometheus", f"--config.file={os.path.join(work, 'prometheus.yml')}",
        f"--storage.tsdb.path={os.path.join(work, 'tsdb')}",
        f"--web.listen-address=127.0.0.1:{PP}", "--storage.tsdb.retention.time=1h",
        "--log.level=warn"])
    try:
        wait_for("Prometheus ready", lambda: http_get(f"http://127.0.0.1:{PP}/-/ready")[0] == 200)
        up = wait_for("up == 1 for the three jobs", lambda: (
            lambda u: u if all(u.get(j) == 1 for j in JOBS) else None)(by_label("up", "job")))
    except Failure as e:
        raise Failure(f"{e}; prometheus log: {log_tail('prometheus')}")
    print(f"Prometheus scraping, up = {up}, after {time.monotonic() - start:.1f} s")

    # Every rule of alerts.yml loaded and evaluated against the real series without an error.
    def rules_evaluated():
        doc = json.loads(http_get(f"http://127.0.0.1:{PP}/api/v1/rules")[1])
        rules = [r for g in doc["data"]["groups"] for r in g["rules"]]
        if rules and all(not r["lastEvaluation"].startswith("0001") for r in rules):
            return rules
        return None
    rules = wait_for("every rule evaluated once", rules_evaluated)
    bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    check(len(rules) >= 9 and not bad, f"rules: {len(rules)} loaded, unhealthy: {bad}")
    print(f"{len(rules)} alert rules evaluated, all healthy")

    # 3. The load: one create, OK_GETS gets of it, MISSING_GETS gets of a missing institution.
    inst = os.path.join(work, "inst.json")
    with open(inst, "w") as f:
        json.dump({"display_name": "Scrape Test Hospital", "kind": "KIND_HOSPITAL",
                   "country": "UA", "region": "UA-46"}, f)
    impctl("create", "institution", inst, "scrape-test", want=0)
    for _ in range(OK_GETS):
        impctl("get", "institution", "scrape-test", want=0)
    for _ in range(MISSING_GETS):
        impctl("get", "institution", "no-such-institution", want=5)
    load_end = time.time()
    print(f"load done after {time.monotonic() - start:.1f} s")

    # Prometheus has scraped every job after the load ended: the sample timestamp of `up` is the
    # scrape's start time.
    def scraped_after_load():
        ts = by_label("timestamp(up)", "job")
        return ts if all(ts.get(j, 0) > load_end for j in JOBS) else None
    wait_for("a scrape of every job after the load", scraped_after_load, limit=15)

    want = {"OK": OK_GETS, "NOT_FOUND": MISSING_GETS}
    for job in ("gateway", "registry"):
        sel = (f'job="{job}",grpc_service="imp.registry.v1.RegistryService",'
               f'grpc_method="GetInstitution"')
        got = by_label(f"sum by (grpc_code) (grpc_server_handled_total{{{sel}}})", "grpc_code")
        check(got == want, f"{job} GetInstitution handled by code: {got}, expected {want}")
        started = by_label(f"sum(grpc_server_started_total{{{sel}}})", "")
        check(started == {"": OK_GETS + MISSING_GETS}, f"{job} started: {started}")
        count = by_label(f"sum(grpc_server_handling_seconds_count{{{sel}}})", "")
        check(count == {"": OK_GETS + MISSING_GETS}, f"{job} histogram count: {count}")
        inf = by_label(f'sum(grpc_server_handling_seconds_bucket{{{sel},le="+Inf"}})', "")
        check(inf == count, f"{job} +Inf bucket {inf} != count {count}")
        created = by_label(f'sum by (grpc_code) (grpc_server_handled_total{{job="{job}",'
                           f'grpc_method="CreateInstitution"}})', "grpc_code")
        check(created == {"OK": 1}, f"{job} CreateInstitution by code: {created}")
        print(f"{job}: GetInstitution {got}, started {OK_GETS + MISSING_GETS}, create {created}")
    fds = by_label("process_open_fds", "job")
    check(all(fds.get(j, 0) > 0 for j in JOBS), f"process_open_fds: {fds}")
    serving = by_label("imp_serving", "job")
    check(all(serving.get(j) == 1 for j in JOBS), f"imp_serving: {serving}")
    # Pending, not only firing: every `for:` is longer than this test, so a rule whose expression
    # is true on a healthy stack shows up only as pending.
    alerts = prom_query("ALERTS")
    check(not alerts, f"alerts pending or firing on a healthy stack: {alerts}")
    print(f"process_open_fds {fds}, imp_serving {serving}, no alert pending or firing")


if __name__ == "__main__":
    code = 0
    try:
        main()
        print(f"prometheus_scrape: passed in {time.monotonic() - start:.1f} s")
    except (Failure, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        for name, _ in procs:
            print(f"--- {name} log tail ---\n{log_tail(name, 1500)}", file=sys.stderr)
        code = 1
    finally:
        cleanup()
    sys.exit(code)
