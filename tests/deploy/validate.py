#!/usr/bin/env python3
"""Parses deploy/kubernetes.yaml and checks what the README promises of it:
a Deployment and a Service, non-root, read-only root, no capabilities, httpGet
probes on the container port, resource requests, and a Service that reaches it.
Ends with "N passed, M failed"."""
import os
import sys

import yaml

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(root, "deploy", "kubernetes.yaml")) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
results = []


def check(name, ok):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name)


by_kind = {d["kind"]: d for d in docs}
check("a Deployment and a Service", set(by_kind) == {"Deployment", "Service"})
dep = by_kind.get("Deployment", {})
pod = dep.get("spec", {}).get("template", {}).get("spec", {})
labels = dep.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
check("selector matches the pod labels", dep["spec"]["selector"]["matchLabels"].items() <= labels.items())
psc = pod.get("securityContext", {})
check("pod runAsNonRoot", psc.get("runAsNonRoot") is True)
check("pod runs as 65534", psc.get("runAsUser") == 65534)
(container,) = pod["containers"]
csc = container.get("securityContext", {})
check("readOnlyRootFilesystem", csc.get("readOnlyRootFilesystem") is True)
check("no privilege escalation", csc.get("allowPrivilegeEscalation") is False)
check("capabilities drop ALL", csc.get("capabilities", {}).get("drop") == ["ALL"])
ports = {p["name"]: p["containerPort"] for p in container["ports"]}
check("container port 8080", ports.get("http") == 8080)
check("admin port 9090", ports.get("admin") == 9090)
env = {e["name"]: e.get("value") for e in container.get("env", [])}
check("MOTE_ADMIN on the admin port", env.get("MOTE_ADMIN", "").endswith(":9090"))
for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/livez"), ("startupProbe", "/readyz")):
    get = container.get(probe, {}).get("httpGet", {})
    check(f"{probe} is httpGet {path} on the admin port", get.get("port") in ("admin", 9090) and get.get("path") == path)
check("no preStop hook (the image has no shell)", "lifecycle" not in container)


def seconds(value):
    return int(value.rstrip("s")) if value else 0


grace = pod.get("terminationGracePeriodSeconds", 30)
check("terminationGracePeriodSeconds > drain delay + grace",
      grace > seconds(env.get("MOTE_DRAIN_DELAY")) + seconds(env.get("MOTE_GRACE", "10s")))
requests = container.get("resources", {}).get("requests", {})
check("resource requests for cpu and memory", "cpu" in requests and "memory" in requests)
svc = by_kind.get("Service", {})
check("Service selects the pods", svc["spec"]["selector"].items() <= labels.items())
check("Service targets the http port", all(p["targetPort"] in ("http", 8080) for p in svc["spec"]["ports"]))

failed = results.count(False)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
