#!/usr/bin/env python3
"""Static checks of the container and Kubernetes deployment (no Docker or cluster needed).

Parses the Dockerfile, deploy/compose.yaml and every manifest in deploy/k8s/, and checks them
against the real binaries (their --helpfull output) and the secrets deploy/container/
make-secrets.sh and deploy/k8s/secrets.sh produce:
  - every image is one the Dockerfile builds (a stage name, tagged as its header says), every
    base image is Debian bookworm, and every command is a binary the runtime stage installs;
  - every --flag in a command, an sh -c line or a ConfigMap flagfile exists in that binary;
  - --port is a declared containerPort and the Service's targetPort; --health_port is where the
    grpc probes go, and a probe's service is one the binary serves (its --help header);
  - dns:/// targets name a headless Service of this deployment and its port;
  - every Secret and key referenced exists (from the scripts' real output), every ConfigMap too;
  - Deployments have >= 2 replicas, resource requests and limits, a PodDisruptionBudget;
    the Galera StatefulSet has 3 replicas;
  - every service serves metrics: --metrics_port is a containerPort named "metrics" and the pod
    template's prometheus.io/scrape and prometheus.io/port annotations; in compose it is
    published on the host's loopback at the port deploy/prometheus/prometheus.yml scrapes for
    that job, and deploy/local/up.sh's default metrics ports are those too.
Args: BUILD_DIR SOURCE_DIR
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

BUILD, SOURCE = sys.argv[1], sys.argv[2]
BINARIES = {
    "registry_service": "registry-service/registry_service",
    "activity_service": "activity-service/activity_service",
    "gateway": "gateway/gateway",
    "impctl": "tools/impctl/impctl",
}
failures = []
checks = 0


def check(cond, message):
    global checks
    checks += 1
    if not cond:
        failures.append(message)


def helpfull(binary):
    out = subprocess.run([os.path.join(BUILD, BINARIES[binary]), "--helpfull"],
                         capture_output=True, text=True, timeout=30)
    return out.stdout + out.stderr


HELP = {b: helpfull(b) for b in BINARIES}
FLAGS = {b: set(re.findall(r"^\s+--([a-z_]+) ", h, re.M)) for b, h in HELP.items()}
# impctl's usage lists its flags as "  --name   description".
FLAGS["impctl"] |= set(re.findall(r"^\s+--([a-z_]+)\s", HELP["impctl"], re.M))
SERVED = {b: set(re.findall(r"imp\.[a-z]+\.v1\.[A-Za-z]+Service", h.split("\n", 2)[0]))
          for b, h in HELP.items()}

# ---- Dockerfile ----
dockerfile = open(os.path.join(SOURCE, "Dockerfile")).read()
stages = re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", dockerfile, re.M | re.I)
stage_names = {name: base for base, name in stages}
for base, _ in stages:
    check(base.startswith("debian:bookworm"), f"Dockerfile: base image {base} is not bookworm")
check({"build", "runtime", "mariadb"} <= set(stage_names), f"Dockerfile stages: {stage_names}")
# The images the header documents: "-t NAME --target STAGE" / "--target STAGE -t NAME".
IMAGES = {}
for stage, tag in re.findall(r"--target (\S+) -t (\S+)", dockerfile):
    IMAGES[tag] = stage
check(IMAGES.get("imp:latest") == "runtime" and IMAGES.get("imp-mariadb:latest") == "mariadb",
      f"Dockerfile header: images {IMAGES}")
runtime = dockerfile.split("AS runtime", 1)[1].split("\nFROM ", 1)[0]
INSTALLED = set(re.findall(r"COPY --from=build \S+ /usr/local/bin/(\S+)", runtime))
check(INSTALLED == set(BINARIES), f"runtime stage installs {INSTALLED}")
build_stage = dockerfile.split("AS build", 1)[1].split("\nFROM ", 1)[0]
for b in BINARIES:
    check(b in build_stage, f"the build stage does not build {b}")

# ---- secrets, as the scripts make them ----
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["bash", os.path.join(SOURCE, "deploy/container/make-secrets.sh"), tmp],
                   check=True, capture_output=True)
    secret_files = {os.path.relpath(os.path.join(d, f), tmp)
                    for d, _, fs in os.walk(tmp) for f in fs}
    out = subprocess.run(["bash", os.path.join(SOURCE, "deploy/k8s/secrets.sh"), tmp],
                         check=True, capture_output=True, text=True).stdout
SECRETS = {d["metadata"]["name"]: set(d["data"]) for d in yaml.safe_load_all(out) if d}
check("tls/ca.key" in secret_files and "ca.key" not in SECRETS.get("imp-tls", {"ca.key"}),
      "the CA's key must stay out of the Kubernetes Secrets")


def flag_words(words):
    """--name[=value] tokens of a command (sh -c strings split too)."""
    out = []
    for w in words:
        for token in shlex.split(w) if " " in w else [w]:
            m = re.match(r"^--([a-z_]+)(?:=(.*))?$", token)
            if m:
                out.append((m.group(1), m.group(2)))
    return out


def binary_of(words):
    for w in words:
        for token in shlex.split(w) if " " in w else [w]:
            if token in BINARIES:
                return token
    return None


# ---- Kubernetes ----
k8s_dir = os.path.join(SOURCE, "deploy/k8s")
docs = []
for name in sorted(os.listdir(k8s_dir)):
    if name.endswith(".yaml"):
        docs += [(name, d) for d in yaml.safe_load_all(open(os.path.join(k8s_dir, name))) if d]
by_kind = {}
for name, d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
    if d["kind"] != "Namespace":
        check(d["metadata"].get("namespace") == "imp", f"{name}: {d['metadata']['name']} not in imp")
configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
pdbs = by_kind.get("PodDisruptionBudget", [])


def check_dns_target(where, value):
    m = re.match(r"^dns:///([a-z0-9-]+):(\d+)$", value or "")
    check(m is not None, f"{where}: target {value} is not dns:///service:port")
    if not m:
        return
    svc = services.get(m.group(1))
    check(svc is not None, f"{where}: no Service {m.group(1)}")
    if svc:
        check(svc["spec"].get("clusterIP") == "None", f"{where}: Service {m.group(1)} not headless")
        check(int(m.group(2)) in [p["port"] for p in svc["spec"]["ports"]],
              f"{where}: Service {m.group(1)} has no port {m.group(2)}")


def check_container(where, c, volumes, app, annotations):
    image = c.get("image")
    check(image in IMAGES, f"{where}: image {image} is not built by the Dockerfile")
    words = list(c.get("command", [])) + list(c.get("args", []))
    binary = binary_of(words)
    flags = flag_words(words)
    if IMAGES.get(image) == "runtime":
        check(binary in INSTALLED, f"{where}: command {words[:1]} is not an installed binary")
    if binary:
        # Flags from a ConfigMap flagfile count as flags of the binary too.
        for fname, value in flags:
            if fname == "flagfile":
                mount = os.path.dirname(value)
                vm = [v for v in c.get("volumeMounts", []) if v["mountPath"] == mount]
                check(len(vm) == 1, f"{where}: --flagfile {value} is not on a mounted volume")
                cm = volumes.get(vm[0]["name"], {}).get("configMap", {}).get("name") if vm else None
                data = configmaps.get(cm, {})
                check(os.path.basename(value) in data, f"{where}: {value} not in ConfigMap {cm}")
                flags += flag_words(data.get(os.path.basename(value), "").split())
        for fname, value in flags:
            check(fname in FLAGS[binary], f"{where}: {binary} has no flag --{fname}")
            if fname.endswith("_target"):
                check_dns_target(where, value)
            if value and value.startswith("/run/secrets/"):
                vm = [v for v in c.get("volumeMounts", [])
                      if value.startswith(v["mountPath"] + "/")]
                check(len(vm) == 1, f"{where}: {value} is on no mounted volume")
                if vm:
                    secret = volumes.get(vm[0]["name"], {}).get("secret", {}).get("secretName")
                    check(os.path.basename(value) in SECRETS.get(secret, set()),
                          f"{where}: {value}: Secret {secret} has no such key")
    fl = dict(flags)
    ports = {p["containerPort"] for p in c.get("ports", [])}
    if "port" in fl and "migrate_only" not in fl:
        check(int(fl["port"]) in ports, f"{where}: --port={fl['port']} is not a containerPort")
        svc = services.get(app)
        check(svc is not None and int(fl["port"]) in
              [p.get("targetPort") for p in svc["spec"]["ports"]],
              f"{where}: Service {app} does not target --port={fl['port']}")
        check(fl.get("listen_address") == "0.0.0.0", f"{where}: listens on loopback only")
        for probe in ("readinessProbe", "livenessProbe"):
            g = c.get(probe, {}).get("grpc")
            check(g is not None, f"{where}: {probe} is not a grpc probe")
            if g:
                check(str(g["port"]) == fl.get("health_port"),
                      f"{where}: {probe} port {g['port']} is not --health_port")
                s = g.get("service", "")
                check(s == "" or s in SERVED[binary], f"{where}: {binary} does not serve {s}")
        named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        check("metrics_port" in fl and named.get("metrics") == int(fl.get("metrics_port", 0)),
              f"{where}: --metrics_port={fl.get('metrics_port')} is not the containerPort named "
              f"metrics ({named.get('metrics')})")
        check(annotations.get("prometheus.io/scrape") == "true" and
              annotations.get("prometheus.io/port") == fl.get("metrics_port"),
              f"{where}: pod annotations {annotations} do not point Prometheus at --metrics_port")
        r = c.get("resources", {})
        check("memory" in r.get("requests", {}) and "cpu" in r.get("requests", {})
              and "memory" in r.get("limits", {}), f"{where}: resources incomplete: {r}")
    for e in c.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            check(ref["key"] in SECRETS.get(ref["name"], set()),
                  f"{where}: env {e['name']}: Secret {ref['name']} has no key {ref['key']}")
    for v in c.get("volumeMounts", []):
        check(v["name"] in volumes, f"{where}: mounts unknown volume {v['name']}")


workloads = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
check(len(by_kind.get("Deployment", [])) == 3, "three Deployments expected")
for w in workloads:
    name = w["metadata"]["name"]
    spec = w["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for claim in w["spec"].get("volumeClaimTemplates", []):
        volumes[claim["metadata"]["name"]] = {"persistentVolumeClaim": {}}
    for v in volumes.values():
        if "secret" in v:
            check(v["secret"]["secretName"] in SECRETS, f"{name}: no Secret {v['secret']}")
        if "configMap" in v:
            check(v["configMap"]["name"] in configmaps, f"{name}: no ConfigMap {v['configMap']}")
    for c in spec.get("initContainers", []) + spec["containers"]:
        check_container(f"{name}/{c['name']}", c, volumes, name,
                        w["spec"]["template"]["metadata"].get("annotations", {}))
    labels = w["spec"]["template"]["metadata"]["labels"]
    check(any(p["spec"]["selector"]["matchLabels"].items() <= labels.items() for p in pdbs),
          f"{name}: no PodDisruptionBudget")
    if w["kind"] == "Deployment":
        check(w["spec"]["replicas"] >= 2, f"{name}: fewer than 2 replicas")
    else:
        check(w["spec"]["replicas"] == 3 and IMAGES.get(spec["containers"][0]["image"]) ==
              "mariadb", f"{name}: the Galera StatefulSet needs 3 members of imp-mariadb")
        for e in spec["containers"][0].get("env", []):
            if e["name"] == "IMP_GALERA_PEERS":
                for peer in e["value"].split(","):
                    check(re.fullmatch(rf"{name}-[0-2]\.{w['spec']['serviceName']}", peer),
                          f"{name}: peer {peer} is not a member of the StatefulSet")

# ---- the ports deploy/prometheus/prometheus.yml scrapes, by job ----
prom = yaml.safe_load(open(os.path.join(SOURCE, "deploy/prometheus/prometheus.yml")))
SCRAPED = {j["job_name"]: [t for s in j["static_configs"] for t in s["targets"]]
           for j in prom["scrape_configs"]}
JOB = {"registry_service": "registry", "activity_service": "activity", "gateway": "gateway"}
up_sh = open(os.path.join(SOURCE, "deploy/local/up.sh")).read()
for job, targets in SCRAPED.items():
    m = re.search(rf"IMP_{job.upper()}_METRICS_PORT:-(\d+)", up_sh)
    check(m is not None and targets == [f"127.0.0.1:{m.group(1)}"],
          f"prometheus.yml job {job} scrapes {targets}, up.sh's default is "
          f"{m.group(1) if m else 'missing'}")

# ---- compose ----
compose = yaml.safe_load(open(os.path.join(SOURCE, "deploy/compose.yaml")))
csecrets = compose.get("secrets", {})
for sname, s in csecrets.items():
    check(os.path.relpath(os.path.join("deploy", s["file"]), "deploy/secrets") in secret_files,
          f"compose: secret {sname} file {s['file']} is not made by make-secrets.sh")
for sname, svc in compose["services"].items():
    where = f"compose/{sname}"
    check(svc.get("image") in IMAGES, f"{where}: image {svc.get('image')} not built")
    if "build" in svc:
        check(IMAGES.get(svc["image"]) == svc["build"]["target"], f"{where}: build target")
    for s in svc.get("secrets", []):
        check(s in csecrets, f"{where}: unknown secret {s}")
    words = svc.get("command", [])
    words = [words] if isinstance(words, str) else words
    binary = binary_of(words)
    fl = dict(flag_words(words))
    for fname in fl:
        check(binary is not None and fname in FLAGS[binary], f"{where}: {binary} has no --{fname}")
    for value in re.findall(r"/run/secrets/([^)\s]+)", " ".join(words)):
        check(value in svc.get("secrets", []), f"{where}: /run/secrets/{value} not given to it")
    for fname, value in fl.items():
        if value and value.startswith("/run/secrets/"):
            check(value[len("/run/secrets/"):] in svc.get("secrets", []),
                  f"{where}: --{fname}={value} is not one of its secrets")
        if fname.endswith("_target"):
            m = re.match(r"^dns:///([a-z]+):(\d+)$", value)
            check(m is not None and m.group(1) in compose["services"],
                  f"{where}: --{fname}={value} names no compose service")
            if m:
                other = dict(flag_words(compose["services"][m.group(1)].get("command", [])
                                        if isinstance(compose["services"][m.group(1)].get(
                                            "command", []), list) else
                                        [compose["services"][m.group(1)]["command"]]))
                check(other.get("port") == m.group(2), f"{where}: {value}: not that port")
    if binary in JOB:
        published = [p for p in svc.get("ports", []) if p.endswith(f":{fl.get('metrics_port')}")]
        check("metrics_port" in fl and
              published == [f"127.0.0.1:{fl['metrics_port']}:{fl['metrics_port']}"] and
              SCRAPED.get(JOB[binary]) == [f"127.0.0.1:{fl['metrics_port']}"],
              f"{where}: --metrics_port={fl.get('metrics_port')} is not published on loopback "
              f"where prometheus.yml scrapes job {JOB[binary]} ({SCRAPED.get(JOB[binary])})")
    if binary:
        hc = svc.get("healthcheck", {}).get("test", [])
        hflags = dict(flag_words(hc))
        check("impctl" in hc and "health" in hc, f"{where}: healthcheck is not impctl health")
        check(hflags.get("target") == f"127.0.0.1:{fl.get('health_port')}",
              f"{where}: healthcheck does not ask --health_port")
        check(hflags.get("service") in SERVED[binary], f"{where}: health of an unserved service")
        for f in hflags:
            check(f in FLAGS["impctl"], f"{where}: impctl has no --{f}")

if failures:
    print("\n".join("FAIL: " + f for f in failures))
print(f"manifests: {checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
