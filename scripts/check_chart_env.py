"""Checks the rendered chart against the workspace (run by scripts/check-chart.sh).

Every service the workspace builds (the Makefile's SERVICES and every
services/* crate with a binary, src/main.rs; a service still being built as a
library is not deployable yet) must have an entry in values.yaml, enabled by default, and render a Deployment
and a migration Job; every environment variable the chart gives a service
(ConfigMap keys, env entries of its Deployment and Job) must be one the
service's configuration reads, as `<service> config-keys` lists them.

usage: check_chart_env.py OUT_DIR SERVICE...
  OUT_DIR holds defaults.yaml, platform.yaml, development.yaml (helm template
  output) and <service>.keys (`<service> config-keys` output).
"""

import pathlib
import sys

import yaml

out = pathlib.Path(sys.argv[1])
services = sys.argv[2:]
repo = pathlib.Path(__file__).resolve().parent.parent
problems = []

crates = sorted(p.parent.parent.name for p in (repo / "services").glob("*/src/main.rs"))
for crate in crates:
    if crate not in services:
        problems.append(f"services/{crate} is not in the Makefile's SERVICES")

values = yaml.safe_load((repo / "helm/crossdock/values.yaml").read_text())
for svc in services:
    block = values.get("services", {}).get(svc)
    if block is None:
        problems.append(f"{svc}: no entry under services in helm/crossdock/values.yaml")
    elif not block.get("enabled"):
        problems.append(f"{svc}: exists in the workspace but is disabled in values.yaml")


def readable(svc: str) -> tuple[set[str], list[str]]:
    names, prefixes = set(), []
    for line in (out / f"{svc}.keys").read_text().split():
        if line.endswith("*"):
            prefixes.append(line[:-1])
        else:
            names.add(line)
    return names, prefixes


for render in ["defaults", "platform", "development"]:
    docs = [d for d in yaml.safe_load_all((out / f"{render}.yaml").read_text()) if d]
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    for svc in services:
        name = f"crossdock-{svc}"
        deployment = by_kind.get("Deployment", {}).get(name)
        if deployment is None:
            problems.append(f"{render}: no Deployment {name}")
            continue
        job = by_kind.get("Job", {}).get(f"{name}-migrate")
        if job is None:
            problems.append(f"{render}: no migration Job {name}-migrate")
        env: set[str] = set()
        for workload in filter(None, [deployment, job]):
            for c in workload["spec"]["template"]["spec"]["containers"]:
                env.update(e["name"] for e in c.get("env", []))
                for source in c.get("envFrom", []):
                    cm = by_kind.get("ConfigMap", {}).get(source["configMapRef"]["name"])
                    if cm is None:
                        problems.append(f"{render}: {svc} reads a missing ConfigMap")
                    else:
                        env.update(cm.get("data", {}))
        names, prefixes = readable(svc)
        for var in sorted(env):
            if var not in names and not any(var.startswith(p) for p in prefixes):
                problems.append(f"{render}: {svc} is given {var}, which its configuration does not read")
        for required in [f"{svc.upper()}__DATABASE__URL", f"{svc.upper()}__KAFKA__BROKERS"]:
            if required not in env:
                problems.append(f"{render}: {svc} is not given {required}")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"chart env: {len(services)} services, every variable is read by its service")
