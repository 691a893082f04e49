#!/usr/bin/python3
"""Backup and restore on the stack deploy/local/up.sh starts (real MariaDB, real services, TLS).

deploy/backup.sh while the stack serves; then more writes (phantoms: records the backup does not
hold); then deploy/restore.sh under the running gateway. Every figure (GetProgramSummary, both
overviews of every institution and agreement, activity statistics) and every audit trail
(ListChanges of every resource) must come back through the gateway exactly as at backup time,
within a bounded poll, without restarting anything; records created straight at the registry
after the restore (whose feed numbers the gateway had already passed before the restore) must
appear in the gateway's overviews. A dump from another schema version and a truncated one are
refused and change nothing. up.sh run again on the restored database does not load the demo.

Args: BUILD_DIR SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

BUILD, SRC = (os.path.abspath(a) for a in sys.argv[1:3])
STATE = tempfile.mkdtemp(prefix="imp-backup.")
STUBS = os.path.join(STATE, "stubs")
subprocess.run([os.path.join(SRC, "tools/gen-python-stubs.sh"), STUBS], check=True,
               stdout=subprocess.DEVNULL)
sys.path.insert(0, STUBS)

import grpc  # noqa: E402
from google.protobuf import field_mask_pb2, json_format  # noqa: E402
from imp.activity.v1 import activity_pb2 as act  # noqa: E402
from imp.activity.v1 import activity_pb2_grpc as act_grpc  # noqa: E402
from imp.gateway.v1 import gateway_pb2 as gw  # noqa: E402
from imp.gateway.v1 import gateway_pb2_grpc as gw_grpc  # noqa: E402
from imp.registry.v1 import project_pb2 as proj  # noqa: E402
from imp.registry.v1 import registry_pb2 as reg  # noqa: E402
from imp.registry.v1 import registry_pb2_grpc as reg_grpc  # noqa: E402

DEADLINE = 60  # seconds: how long the gateway may take to notice a restore


def fail(message):
    raise SystemExit("FAIL: " + message)


def free_ports(n):
    out = subprocess.run([sys.executable, os.path.join(SRC, "tests/support/free_port.py"), str(n)],
                         check=True, capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


DB_PORT, GATEWAY_PORT, REGISTRY_PORT, ACTIVITY_PORT = free_ports(4)
# Metrics ports off: up.sh's fixed defaults (9460-9462) may be taken on a shared machine.
ENV = dict(os.environ, IMP_STATE_DIR=STATE, IMP_BUILD_DIR=BUILD, IMP_DB_PORT=str(DB_PORT),
           IMP_GATEWAY_PORT=str(GATEWAY_PORT), IMP_REGISTRY_PORT=str(REGISTRY_PORT),
           IMP_ACTIVITY_PORT=str(ACTIVITY_PORT), IMP_GATEWAY_METRICS_PORT="0",
           IMP_REGISTRY_METRICS_PORT="0", IMP_ACTIVITY_METRICS_PORT="0")


def run(script, *args, check=True):
    """Runs a deploy script; returns (exit code, output)."""
    p = subprocess.run([os.path.join(SRC, script), *args], env=ENV, capture_output=True, text=True)
    if check and p.returncode != 0:
        fail(f"{script} {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p.returncode, p.stdout + p.stderr


def read(path):
    with open(path, "rb") as f:
        return f.read()


def connect():
    tls = os.path.join(STATE, "tls")
    token = read(os.path.join(STATE, "admin.token")).decode().strip()
    gateway = grpc.secure_channel(f"127.0.0.1:{GATEWAY_PORT}", grpc.ssl_channel_credentials(
        root_certificates=read(os.path.join(tls, "ca.pem"))))
    internal = grpc.ssl_channel_credentials(
        root_certificates=read(os.path.join(tls, "ca.pem")),
        private_key=read(os.path.join(tls, "impctl-internal.key")),
        certificate_chain=read(os.path.join(tls, "impctl-internal.pem")))
    registry = grpc.secure_channel(f"127.0.0.1:{REGISTRY_PORT}", internal)
    return ((("authorization", "Bearer " + token),), gw_grpc.GatewayServiceStub(gateway),
            reg_grpc.RegistryServiceStub(gateway), act_grpc.ActivityServiceStub(gateway),
            reg_grpc.RegistryServiceStub(registry))


def as_dict(message):
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def listed(call, request, field):
    """Every element of a paged List call."""
    out = []
    while True:
        page = call(request, metadata=MD, timeout=20)
        out.extend(getattr(page, field))
        if not page.next_page_token:
            return out
        request.page_token = page.next_page_token


def figures():
    """Everything the test compares, through the gateway: {what: value}. Freshness (times) is
    left out of the comparison, but every answer must be fresh (registry_stale false)."""
    out = {}

    def fresh(key, response):
        d = as_dict(response)
        freshness = d.pop("freshness", {})
        if freshness.get("registry_stale"):
            d["STALE"] = True  # never equal to a fresh answer: the poll goes on
        d.pop("warnings", None)
        out[key] = d

    fresh("summary", GATEWAY.GetProgramSummary(gw.GetProgramSummaryRequest(), metadata=MD,
                                                timeout=20))
    institutions = listed(REGISTRY.ListInstitutions,
                          reg.ListInstitutionsRequest(page_size=1000, show_deleted=True),
                          "institutions")
    agreements = listed(REGISTRY.ListAgreements,
                        reg.ListAgreementsRequest(page_size=1000, show_deleted=True), "agreements")
    projects = listed(REGISTRY.ListProjects,
                      proj.ListProjectsRequest(page_size=1000, show_deleted=True), "projects")
    activities = listed(ACTIVITY.ListActivities,
                        act.ListActivitiesRequest(page_size=1000, show_deleted=True), "activities")
    out["records"] = [as_dict(r) for r in institutions + agreements + projects + activities]
    for i in institutions:
        if not i.HasField("delete_time"):
            fresh(i.name, GATEWAY.GetInstitutionOverview(
                gw.GetInstitutionOverviewRequest(name=i.name), metadata=MD, timeout=20))
    for a in agreements:
        if not a.HasField("delete_time"):
            fresh(a.name, GATEWAY.GetAgreementOverview(
                gw.GetAgreementOverviewRequest(name=a.name), metadata=MD, timeout=20))
    out["activity_stats"] = as_dict(ACTIVITY.GetActivityStats(act.GetActivityStatsRequest(
        group_by=[act.GROUP_BY_YEAR, act.GROUP_BY_KIND, act.GROUP_BY_COUNTRY]), metadata=MD,
        timeout=20))
    for r in institutions + agreements + projects:
        out["changes " + r.name] = [as_dict(c) for c in listed(
            REGISTRY.ListChanges, reg.ListChangesRequest(name=r.name, page_size=100), "changes")]
    for a in activities:
        out["changes " + a.name] = [as_dict(c) for c in listed(
            ACTIVITY.ListChanges, act.ListChangesRequest(name=a.name, page_size=100), "changes")]
    return out


def differences(want, have):
    keys = sorted(set(want) | set(have))
    return [k for k in keys if want.get(k) != have.get(k)]


def poll(what, condition):
    """Polls condition() (truthy when met) until DEADLINE; returns its last value."""
    deadline = time.monotonic() + DEADLINE
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)  # the pace of a bounded poll, not a synchronisation


def code_of(call):
    try:
        call()
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def feed_head():
    page = DIRECT.ListRegistryChanges(reg.ListRegistryChangesRequest(after_sequence=0, page_size=1),
                                      metadata=(("x-imp-actor", "backup-test"),), timeout=20)
    return page.head_sequence, page.feed_epoch


def create_activity_like(template, activity_id):
    copy = act.Activity()
    copy.CopyFrom(template)
    for field in ("name", "etag", "create_time", "update_time", "delete_time", "creator",
                  "updater"):
        if copy.DESCRIPTOR.fields_by_name.get(field) is not None:
            copy.ClearField(field)
    return ACTIVITY.CreateActivity(act.CreateActivityRequest(activity=copy, activity_id=activity_id),
                                   metadata=MD, timeout=20)


def main():
    global MD, GATEWAY, REGISTRY, ACTIVITY, DIRECT
    code, out = run("deploy/local/up.sh")
    if "loading the demo data set" not in out:
        fail("the first up.sh on an empty database did not load the demo:\n" + out)
    MD, GATEWAY, REGISTRY, ACTIVITY, DIRECT = connect()
    demo_activity = ACTIVITY.ListActivities(act.ListActivitiesRequest(page_size=1), metadata=MD,
                                            timeout=20).activities[0]
    demo_institution = "institutions/moh-ukraine"

    # 1. Backup while the stack serves.
    code, out = run("deploy/backup.sh")
    dump = re.search(r"^backup: (\S+\.sql) ", out, re.M).group(1)
    for kept in ("tokens.txt", "admin.token", "secrets.env", "tls/ca.pem", "tls/ca.key",
                 "tls/gateway.key"):
        if os.path.join(STATE, kept) not in out:
            fail(f"backup.sh does not list {kept} as kept outside the database:\n{out}")
    at_backup = figures()
    head_at_backup, epoch_at_backup = feed_head()

    # 2. Phantoms: writes the backup does not hold, through the gateway (so its copy has them).
    REGISTRY.CreateInstitution(reg.CreateInstitutionRequest(institution_id="phantom-clinic",
        institution=reg.Institution(display_name="Phantom clinic", kind=reg.Institution.KIND_HOSPITAL,
                                    country="PL")), metadata=MD, timeout=20)
    REGISTRY.CreateAgreement(reg.CreateAgreementRequest(agreement_id="phantom-pact", agreement=reg.Agreement(
        title="Phantom pact", kind=reg.Agreement.KIND_TWINNING_MEMORANDUM, parties=[
            reg.Party(institution="institutions/phantom-clinic", role=reg.Party.ROLE_FOREIGN_PARTNER),
            reg.Party(institution=demo_institution, role=reg.Party.ROLE_UKRAINIAN_PARTNER)])),
        metadata=MD, timeout=20)
    moh = REGISTRY.GetInstitution(reg.GetInstitutionRequest(name=demo_institution), metadata=MD,
                                  timeout=20)
    moh.display_name += " (renamed after the backup)"
    REGISTRY.UpdateInstitution(reg.UpdateInstitutionRequest(
        institution=moh, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])),
        metadata=MD, timeout=20)
    create_activity_like(demo_activity, "phantom-activity")
    phantom_overview = lambda: GATEWAY.GetAgreementOverview(  # noqa: E731
        gw.GetAgreementOverviewRequest(name="agreements/phantom-pact"), metadata=MD, timeout=20)
    if code_of(phantom_overview) != grpc.StatusCode.OK:
        fail("the gateway does not show the phantom agreement before the restore")
    if not differences(at_backup, figures()):
        fail("the writes after the backup changed no figure")
    head_before_restore, _ = feed_head()

    # 3. A dump from another schema version, or a truncated one, is refused and changes nothing.
    other = os.path.join(STATE, "other-version.sql")
    with open(dump) as f, open(other, "w") as g:
        g.write(re.sub(r"^(-- imp-schema: imp_registry) (\d+)", lambda m: f"{m.group(1)} 999",
                       f.read(), count=1, flags=re.M))
    code, out = run("deploy/restore.sh", other, check=False)
    if code == 0 or "refused" not in out:
        fail(f"restore.sh loaded a dump of another schema version ({code}):\n{out}")
    truncated = os.path.join(STATE, "truncated.sql")
    with open(dump, "rb") as f, open(truncated, "wb") as g:
        g.write(f.read()[: os.path.getsize(dump) // 2])
    code, out = run("deploy/restore.sh", truncated, check=False)
    if code == 0 or "incomplete" not in out:
        fail(f"restore.sh loaded a truncated dump ({code}):\n{out}")
    if code_of(phantom_overview) != grpc.StatusCode.OK:
        fail("a refused restore changed the database")

    # 4. Restore under the running gateway: every figure and audit trail as at backup time.
    restore_started = time.monotonic()
    code, out = run("deploy/restore.sh", dump)
    head_after_restore, epoch_after_restore = feed_head()
    if head_after_restore != head_at_backup or epoch_after_restore == epoch_at_backup:
        fail(f"feed after restore: head {head_after_restore} (backup {head_at_backup}), "
             f"epoch {epoch_after_restore!r} (backup {epoch_at_backup!r})")
    last = {}

    def restored():
        # While restore.sh reloads the schemas the services may report NOT_SERVING, and the
        # gateway answers UNAVAILABLE: not yet, as for figures that still differ.
        try:
            last["figures"] = figures()
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNAVAILABLE:
                raise
            last["figures"] = {"UNAVAILABLE": e.details()}
            return False
        return not differences(at_backup, last["figures"])

    if not poll("figures as at backup", restored):
        diff = differences(at_backup, last["figures"])
        fail(f"{len(diff)} figures differ from backup time {DEADLINE} s after the restore, e.g. "
             f"{diff[:5]}: {[last['figures'].get(k) for k in diff[:2]]} vs "
             f"{[at_backup.get(k) for k in diff[:2]]}")
    print(f"restore: every figure as at backup time {time.monotonic() - restore_started:.1f} s "
          f"after restore.sh began")
    if code_of(phantom_overview) != grpc.StatusCode.NOT_FOUND:
        fail("the phantom agreement is still in the gateway's overviews")
    log = read(os.path.join(STATE, "logs", "gateway.log")).decode(errors="replace")
    if not re.search(r"registry_copy_reloading.*feed epoch changed", log):
        fail("the gateway's log does not say it reloaded its copy for the new feed epoch")

    # 5. Records created after the restore, straight at the registry, take feed numbers the
    #    gateway had passed before the restore: its overviews must show them.
    direct = (("x-imp-actor", "backup-test"),)
    DIRECT.CreateInstitution(reg.CreateInstitutionRequest(institution_id="after-restore-clinic",
        institution=reg.Institution(display_name="After-restore clinic",
                                    kind=reg.Institution.KIND_HOSPITAL, country="DE")),
        metadata=direct, timeout=20)
    DIRECT.CreateAgreement(reg.CreateAgreementRequest(agreement_id="after-restore-pact",
        agreement=reg.Agreement(title="After-restore pact",
                                kind=reg.Agreement.KIND_TWINNING_MEMORANDUM, parties=[
            reg.Party(institution="institutions/after-restore-clinic",
                      role=reg.Party.ROLE_FOREIGN_PARTNER),
            reg.Party(institution=demo_institution, role=reg.Party.ROLE_UKRAINIAN_PARTNER)])),
        metadata=direct, timeout=20)
    head_now, _ = feed_head()
    if head_now > head_before_restore:
        fail(f"the new records did not reuse feed numbers ({head_now} > {head_before_restore})")

    def visible():
        try:
            o = GATEWAY.GetAgreementOverview(gw.GetAgreementOverviewRequest(
                name="agreements/after-restore-pact"), metadata=MD, timeout=20)
            i = GATEWAY.GetInstitutionOverview(gw.GetInstitutionOverviewRequest(
                name=demo_institution), metadata=MD, timeout=20)
        except grpc.RpcError as e:
            last["error"] = f"{e.code()}: {e.details()}"
            return False
        last["error"] = (f"stale={o.freshness.registry_stale}/{i.freshness.registry_stale}, "
                         f"MoH's overview names the pact: {'after-restore-pact' in str(i)}")
        return (not o.freshness.registry_stale and not i.freshness.registry_stale
                and "agreements/after-restore-pact" in str(i))

    if not poll("records after the restore", visible):
        fail("a record created after the restore is not in the gateway's overviews: "
             + last.get("error", ""))

    # 6. up.sh on the restored database (without the old marker file: as on a new machine's state
    #    directory) does not load the demo again; the migration users are intact (it migrates).
    if os.path.exists(os.path.join(STATE, "demo-loaded")):
        os.remove(os.path.join(STATE, "demo-loaded"))
    moh_giz = REGISTRY.GetAgreement(reg.GetAgreementRequest(name="agreements/moh-ua-giz-2025"),
                                    metadata=MD, timeout=20).etag
    code, out = run("deploy/local/up.sh")
    if "loading the demo data set" in out:
        fail("up.sh loaded the demo into a restored database:\n" + out)
    etag = REGISTRY.GetAgreement(reg.GetAgreementRequest(name="agreements/moh-ua-giz-2025"),
                                 metadata=MD, timeout=20).etag
    if etag != moh_giz:
        fail(f"up.sh changed moh-ua-giz-2025 on a restored database ({moh_giz} -> {etag})")
    print("backup/restore: all checks passed")


try:
    main()
finally:
    subprocess.run([os.path.join(SRC, "deploy/local/down.sh")], env=ENV, capture_output=True)
    shutil.rmtree(STATE, ignore_errors=True)
