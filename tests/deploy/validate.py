#!/usr/bin/env python3
"""Parses deploy/kubernetes.yaml and deploy/autoscaling.yaml and checks what the
README promises of them: a Deployment, a Service and a PodDisruptionBudget,
non-root, read-only root, no capabilities, httpGet probes on the container port,
resource requests, a Service that reaches it, a budget that lets a drain evict a
replica and keeps one, and an autoscaler on the Deployment that never goes below
what the budget needs. (kubernetes-validate --strict checks them against
Kubernetes' own schemas.) Ends with "N passed, M failed"."""
import os
import sys

import yaml

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(root, "deploy", "kubernetes.yaml")) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
with open(os.path.join(root, "deploy", "autoscaling.yaml")) as f:
    scaling = [d for d in yaml.safe_load_all(f) if d]
results = []


def check(name, ok):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name)


by_kind = {d["kind"]: d for d in docs}
check("a Deployment, a Service and a PodDisruptionBudget",
      sorted(d["kind"] for d in docs) == ["Deployment", "PodDisruptionBudget", "Service"])
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

pdb = by_kind.get("PodDisruptionBudget", {}).get("spec", {})
replicas = dep["spec"].get("replicas", 1)
check("PodDisruptionBudget selects the pods", pdb.get("selector", {}).get("matchLabels", {}).items() <= labels.items()
      and pdb.get("selector", {}).get("matchLabels"))
check("PodDisruptionBudget keeps one serving and lets a drain evict one",
      1 <= pdb.get("minAvailable", 0) < replicas)
check("an unhealthy pod never blocks a drain", pdb.get("unhealthyPodEvictionPolicy") == "AlwaysAllow")
check("autoscaling.yaml is one HorizontalPodAutoscaler", [d["kind"] for d in scaling] == ["HorizontalPodAutoscaler"])
hpa = scaling[0]["spec"] if scaling else {}
target = hpa.get("scaleTargetRef", {})
check("the autoscaler scales the Deployment",
      (target.get("kind"), target.get("name")) == ("Deployment", dep["metadata"]["name"]))
check("the autoscaler never goes below the budget's need",
      pdb.get("minAvailable", 0) < hpa.get("minReplicas", 1) <= hpa.get("maxReplicas", 0))
cpu_metric = [m for m in hpa.get("metrics", []) if m.get("resource", {}).get("name") == "cpu"]
check("cpu utilisation is measured against a cpu request", bool(cpu_metric) and "cpu" in requests)

failed = results.count(False)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
