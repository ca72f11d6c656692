"""contrib/k8s: the manifests parse, validate against the Kubernetes schemas, render with kustomize,
and agree with each other, with the Dockerfile and with the real costtui CLI and config schema."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

import kubernetes_validate
import pytest
import yaml

from costtui.config import parse_config
from tests.conftest import TODAY
from tests.emulators import on_path
from tests.providers.test_focus_files import HEADER_10, ROWS_10

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "contrib" / "k8s"
OPTIONAL = {"servicemonitor.yaml"}  # needs the Prometheus Operator CRD: applied by hand, not by -k
# The oldest Kubernetes the README promises (CronJob timeZone) and the newest schemas bundled.
KUBERNETES_VERSIONS = ["1.27", kubernetes_validate.utils.latest_version()]
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|KEY|CONNECTION_STRING|CREDENTIAL", re.IGNORECASE)


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.y*ml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))


def resources() -> list[dict]:
    """Every object `kubectl apply -k` creates from the files (the ConfigMap is generated)."""
    return [doc for name in kustomization()["resources"] for doc in documents(K8S / name)]


def one(kind: str) -> dict:
    found = [doc for doc in resources() if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod_spec(kind: str) -> dict:
    obj = one(kind)
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def pod_labels(kind: str) -> dict:
    obj = one(kind)
    spec = obj["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else obj["spec"]
    return spec["template"]["metadata"]["labels"]


def container(kind: str) -> dict:
    containers = pod_spec(kind)["containers"]
    assert len(containers) == 1, kind
    return containers[0]


def mount_path(kind: str, claim_or_configmap: str) -> tuple[str, dict]:
    """Where the volume backed by this PVC or ConfigMap is mounted, and the mount itself."""
    spec = pod_spec(kind)
    names = [
        v["name"] for v in spec["volumes"]
        if v.get("persistentVolumeClaim", {}).get("claimName") == claim_or_configmap
        or v.get("configMap", {}).get("name") == claim_or_configmap
    ]
    assert len(names) == 1, (kind, claim_or_configmap, names)
    mounts = [m for m in container(kind)["volumeMounts"] if m["name"] == names[0]]
    assert len(mounts) == 1, (kind, names[0])
    return mounts[0]["mountPath"], mounts[0]


def config_file() -> Path:
    generators = kustomization()["configMapGenerator"]
    assert [g["name"] for g in generators] == ["costtui-config"]
    files = generators[0]["files"]
    assert files == ["config.toml"], files
    return K8S / files[0]


def pod_config() -> dict:
    return tomllib.loads(config_file().read_text(encoding="utf-8"))


def config_arg_path(kind: str) -> str:
    args = container(kind)["args"]
    assert args[0] == "--config", args
    return args[1]


def local_args(kind: str, config: Path) -> list[str]:
    """The container's args with the in-pod config path swapped for a local file."""
    args = list(container(kind)["args"])
    args[1] = str(config)
    return args


def costtui(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the CLI as of the frozen test "today" (the FOCUS rows are dated November 2026)."""
    env = {**(os.environ if env is None else env), "COSTTUI_TODAY": TODAY.isoformat()}
    return subprocess.run(
        [sys.executable, "-m", "costtui", *args],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=timeout,
    )


def write_pod_config(tmp_path: Path, cache: Path, extra: str = "", port: int | None = None) -> Path:
    """config.toml as shipped, with the cache moved from the volume into tmp_path."""
    text = config_file().read_text(encoding="utf-8")
    shipped = pod_config()["cache"]["path"]
    assert f'path = "{shipped}"' in text
    text = text.replace(f'path = "{shipped}"', f'path = "{cache}"')
    if port is not None:
        text = re.sub(r"(?m)^port = \d+", f"port = {port}", text)
    target = tmp_path / "config.toml"
    target.write_text(text + extra, encoding="utf-8")
    return target


# --- the files --------------------------------------------------------------------------


def test_every_manifest_parses_as_yaml_and_is_namespace_agnostic():
    files = manifest_files()
    assert {p.name for p in files} >= {"cronjob.yaml", "deployment.yaml", "service.yaml", "pvc.yaml"}
    for path in [*files, K8S / "kustomization.yaml"]:
        docs = documents(path)
        assert docs, path.name
        for doc in docs:
            assert doc.get("apiVersion") and doc.get("kind"), path.name
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], path.name
                assert "namespace" not in doc["metadata"], f"{path.name}: namespace-agnostic, please"


def test_kustomization_lists_every_manifest_but_the_optional_servicemonitor():
    listed = kustomization()["resources"]
    for name in listed:
        assert (K8S / name).is_file(), f"kustomization.yaml lists a missing file {name}"
    assert sorted(listed) == sorted(p.name for p in manifest_files() if p.name not in OPTIONAL)
    assert not set(listed) & OPTIONAL
    assert config_file().is_file()
    assert "Secret" not in {doc["kind"] for doc in resources()}, "secrets are created with kubectl, not committed"


def test_kustomize_renders_the_generated_configmap_into_both_pods():
    kubectl = on_path("kubectl")
    result = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    kinds = sorted(doc["kind"] for doc in rendered)
    assert kinds == sorted(["ConfigMap", "CronJob", "Deployment", "PersistentVolumeClaim", "PodDisruptionBudget",
                            "Service", "ServiceAccount", "ServiceAccount"])
    configmap = next(doc for doc in rendered if doc["kind"] == "ConfigMap")
    assert re.fullmatch(r"costtui-config-[a-z0-9]{10}", configmap["metadata"]["name"])
    assert configmap["data"]["config.toml"] == config_file().read_text(encoding="utf-8")
    for doc in rendered:
        if doc["kind"] in ("CronJob", "Deployment"):
            text = yaml.safe_dump(doc)
            assert f"name: {configmap['metadata']['name']}" in text, doc["kind"]
            assert "image: costtui:" in text, doc["kind"]  # the images: entry applies


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_validate_against_the_kubernetes_schemas(version: str):
    """Strict: a misspelt or misplaced field fails, as `kubectl apply` would refuse it."""
    checked, errors = 0, []
    for path in manifest_files():
        for doc in documents(path):
            if doc["apiVersion"].startswith("monitoring.coreos.com/"):
                continue  # a CRD: no schema bundled (test_servicemonitor_* checks it)
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(item) for item in exc.path)
                errors.append(f"{path.name} {doc['kind']}: {where}: {exc.message}")
            checked += 1
    assert not errors, "\n".join(errors)
    assert checked == len(resources())


# --- the config ----------------------------------------------------------------------------


def test_config_passes_costtui_validation_and_puts_the_cache_on_the_volume_of_both_pods():
    config = parse_config(pod_config(), config_file())
    cache = PurePosixPath(str(config.cache.path))
    claim = one("PersistentVolumeClaim")["metadata"]["name"]
    for kind in ("CronJob", "Deployment"):
        volume, _ = mount_path(kind, claim)
        assert cache.parent == PurePosixPath(volume), f"{kind} mounts the cache volume at {volume}, config says {cache}"
        config_dir, config_mount = mount_path(kind, "costtui-config")
        assert config_arg_path(kind) == f"{config_dir}/{config_file().name}", kind
        assert config_mount.get("readOnly") is True
    assert config.serve.host == "0.0.0.0"
    assert config.serve.port == container("Deployment")["ports"][0]["containerPort"]
    assert not any(p.enabled for p in vars(config.providers).values()), "users enable their own providers"


def test_refresh_waits_for_the_lock_within_the_job_deadline():
    job = one("CronJob")["spec"]["jobTemplate"]["spec"]
    args = container("CronJob")["args"]
    assert "--no-wait" not in args  # Forbid already serialises scheduled runs; see cronjob.yaml
    lock_timeout = parse_config(pod_config()).cache.lock_timeout_seconds
    assert job["activeDeadlineSeconds"] >= lock_timeout + 1800, "a waiting refresh still needs time to fetch"
    assert job["activeDeadlineSeconds"] < 3600, "a hung run must end before the next hourly one"


# --- the CLI ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["CronJob", "Deployment"])
def test_container_args_are_accepted_by_the_cli(kind: str):
    result = costtui(*local_args(kind, config_file()), "--help")
    assert result.returncode == 0, f"{shlex.join(container(kind)['args'])}: {result.stderr}"
    assert result.stdout.startswith("Usage: costtui "), result.stdout


def test_serve_command_exists():
    result = costtui("serve", "--help")
    assert result.returncode == 0, f"`costtui serve` is not there (yet?): {result.stderr.strip()}"


def test_refresh_job_args_fill_the_configured_cache(tmp_path: Path):
    """The CronJob's exact args and config (cache moved to tmp, a FOCUS provider enabled)."""
    focus = tmp_path / "focus.csv"
    focus.write_text(HEADER_10 + "\n" + "\n".join(ROWS_10) + "\n", encoding="utf-8")
    cache = tmp_path / "volume" / "cache.duckdb"
    config = write_pod_config(tmp_path, cache, f'\n[providers.focus]\nenabled = true\npaths = ["{focus}"]\n')
    result = costtui(*local_args("CronJob", config), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "--quiet: nothing on stdout in the Job log"
    assert cache.is_file()
    again = costtui("--config", str(config), "costs", "--format", "json")
    assert again.returncode == 0 and '"provider": "aws"' in again.stdout, again.stdout + again.stderr


def test_refresh_with_no_provider_enabled_exits_2_which_fails_the_job_at_once(tmp_path: Path):
    config = write_pod_config(tmp_path, tmp_path / "cache.duckdb")
    result = costtui(*local_args("CronJob", config))
    assert result.returncode == 2, result.stderr
    rules = one("CronJob")["spec"]["jobTemplate"]["spec"]["podFailurePolicy"]["rules"]
    fail_job = [r for r in rules if r["action"] == "FailJob"]
    assert fail_job and fail_job[0]["onExitCodes"] == {
        "containerName": container("CronJob")["name"], "operator": "In", "values": [2],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_serve_refuses_the_pod_bind_address_without_the_token(tmp_path: Path):
    config = write_pod_config(tmp_path, tmp_path / "cache.duckdb", port=free_port())
    env = {k: v for k, v in os.environ.items() if k != "COSTTUI_API_TOKEN"}
    result = costtui(*local_args("Deployment", config), env=env, timeout=30)
    assert result.returncode == 2, f"serve on 0.0.0.0 without COSTTUI_API_TOKEN: {result.returncode} {result.stderr}"


def test_serve_pod_probes_and_metrics(tmp_path: Path):
    """The Deployment's args on loopback: probes need no token, /metrics does, ready follows the cache."""
    port = free_port()
    cache = tmp_path / "cache.duckdb"
    config = write_pod_config(tmp_path, cache, port=port)
    token = "k8s-test-token"
    env = {**os.environ, "COSTTUI_API_TOKEN": token}
    deployment = container("Deployment")
    ready_path = deployment["readinessProbe"]["httpGet"]["path"]
    live_path = deployment["livenessProbe"]["httpGet"]["path"]
    server = subprocess.Popen(
        [sys.executable, "-m", "costtui", *local_args("Deployment", config), "--host", "127.0.0.1"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"serve exited {server.returncode}: {server.stderr.read()}")
            try:
                if http_get(base + live_path)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "serve did not answer its liveness path in 30 s"
            time.sleep(0.2)
        assert http_get(base + ready_path)[0] == 503, "no cache yet: the pod must be unready"
        assert costtui("--cache", str(cache), "demo", "--no-tui", "--rows", "2000", timeout=120).returncode == 0
        assert http_get(base + ready_path)[0] == 200, "a fresh cache: the pod must turn ready"
        status, _ = http_get(base + "/metrics")
        assert status in (401, 403), f"/metrics without the token answered {status}"
        status, body = http_get(base + "/metrics", token)
        assert status == 200 and "costtui_" in body, (status, body[:300])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            pytest.fail("serve ignored SIGTERM for 15 s (the kubelet would SIGKILL it)")
    assert server.returncode in (0, -signal.SIGTERM), server.stderr.read()


# --- the pods ----------------------------------------------------------------------------------


def test_probes_point_at_the_health_paths_and_the_container_port():
    serve = container("Deployment")
    (port,) = serve["ports"]
    for probe, path in (("readinessProbe", "/api/health/ready"), ("livenessProbe", "/api/health/live"),
                        ("startupProbe", "/api/health/live")):
        get = serve[probe]["httpGet"]
        assert get["path"] == path, probe
        assert get["port"] in (port["name"], port["containerPort"]), probe
    service_port = one("Service")["spec"]["ports"][0]
    assert service_port["port"] == port["containerPort"] == 8765
    assert service_port["targetPort"] in (port["name"], port["containerPort"])
    assert one("Service")["spec"]["selector"].items() <= pod_labels("Deployment").items()


def dockerfile() -> str:
    return (K8S / "Dockerfile").read_text(encoding="utf-8")


def test_run_as_user_matches_the_dockerfile_and_the_root_filesystem_is_read_only():
    text = dockerfile()
    uid = int(re.search(r"useradd [^\n]*--uid (\d+)", text.replace("\\\n", " ")).group(1))
    gid = int(re.search(r"groupadd [^\n]*--gid (\d+)", text).group(1))
    assert re.search(rf"(?m)^USER {uid}(:{gid})?$", text), "USER must be the numeric uid (runAsNonRoot checks it)"
    for kind in ("CronJob", "Deployment"):
        pod = pod_spec(kind)["securityContext"]
        assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"], pod["runAsNonRoot"]) == (uid, gid, gid, True), kind
        box = container(kind)["securityContext"]
        assert box["readOnlyRootFilesystem"] is True and box["allowPrivilegeEscalation"] is False, kind
        assert box["capabilities"]["drop"] == ["ALL"], kind
        tmp = [m for m in container(kind)["volumeMounts"] if m["mountPath"] == "/tmp"]
        volumes = {v["name"]: v for v in pod_spec(kind)["volumes"]}
        assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{kind}: /tmp must be a writable emptyDir"
        env = {e["name"]: e.get("value") for e in container(kind)["env"]}
        assert env["HOME"].startswith("/tmp") and env["XDG_CACHE_HOME"].startswith("/tmp"), kind


def test_dockerfile_installs_the_package_and_runs_costtui():
    text = dockerfile()
    bases = re.findall(r"(?m)^FROM (\S+)", text)
    assert bases and all(re.fullmatch(r"python:3\.1[12]-slim", base) for base in bases), bases
    assert re.search(r'(?m)^ENTRYPOINT \["costtui"\]$', text)
    assert "pip install --no-cache-dir" in text
    copied = [src for line in re.findall(r"(?m)^COPY (?!--from)(.+)$", text) for src in line.split()[:-1]]
    for src in copied:
        assert (REPO / src).exists(), f"COPY {src}: not in the repository (the build context)"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {"pyproject.toml", pyproject["project"]["readme"],
              *(p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"])}
    assert needed <= set(copied), f"pip install . needs {sorted(needed - set(copied))} in the image"


def test_the_token_comes_from_a_secret_and_no_secret_is_a_literal():
    token = [e for e in container("Deployment")["env"] if e["name"] == "COSTTUI_API_TOKEN"]
    assert len(token) == 1 and "value" not in token[0]
    ref = token[0]["valueFrom"]["secretKeyRef"]
    assert ref["name"] and ref["key"] and not ref.get("optional", False)
    for kind in ("CronJob", "Deployment"):
        for env in container(kind).get("env", []):
            if SECRET_NAME.search(env["name"]):
                assert "value" not in env, f"{kind}: {env['name']} is a literal; use a secretKeyRef"
    monitor = documents(K8S / "servicemonitor.yaml")[0]["spec"]["endpoints"][0]["authorization"]
    assert monitor["credentials"] == {"name": ref["name"], "key": ref["key"]}


def test_resources_are_set_on_every_container():
    for kind in ("CronJob", "Deployment"):
        for box in pod_spec(kind)["containers"] + pod_spec(kind).get("initContainers", []):
            resources_ = box["resources"]
            assert {"cpu", "memory"} <= resources_["requests"].keys(), kind
            assert "memory" in resources_["limits"], f"{kind}: DuckDB needs a memory limit it can size itself to"
            assert mebibytes(resources_["limits"]["memory"]) >= mebibytes(resources_["requests"]["memory"])


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity).groups()
    return float(number) * (1024 if unit == "Gi" else 1)


def test_cronjob_schedule_and_retry_policy():
    cron = one("CronJob")["spec"]
    minute, *rest = cron["schedule"].split()
    assert len(rest) == 4 and minute.isdigit() and 0 < int(minute) < 60 and rest[0] == "*", "hourly, not at :00"
    assert cron["concurrencyPolicy"] == "Forbid"
    assert 0 < cron["startingDeadlineSeconds"] < 3600
    job = cron["jobTemplate"]["spec"]
    assert 0 < job["backoffLimit"] <= 3
    assert pod_spec("CronJob")["restartPolicy"] == "Never"  # podFailurePolicy requires it


def test_the_shared_volume_works_with_read_write_once():
    claim = one("PersistentVolumeClaim")
    claim_name = claim["metadata"]["name"]
    _, writer = mount_path("CronJob", claim_name)
    _, reader = mount_path("Deployment", claim_name)
    assert not writer.get("readOnly", False), "refresh publishes into the volume"
    assert reader.get("readOnly") is True, "serve only reads"
    if claim["spec"]["accessModes"] == ["ReadWriteOnce"]:
        terms = pod_spec("CronJob")["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert any(t["topologyKey"] == "kubernetes.io/hostname"
                   and t["labelSelector"]["matchLabels"].items() <= pod_labels("Deployment").items()
                   for t in terms), "RWO: the refresh pod must land on the serve pod's node"
        terms = pod_spec("Deployment")["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert any(t["topologyKey"] == "kubernetes.io/hostname"
                   and t["labelSelector"]["matchLabels"].items() <= pod_labels("Deployment").items()
                   for t in terms), "RWO: every serve replica must land on the volume's one node"
        rolling = one("Deployment")["spec"]["strategy"]
        assert rolling["type"] == "Recreate" or rolling["rollingUpdate"]["maxSurge"] == 0


def test_serve_runs_replicas_with_a_disruption_budget_that_keeps_one_up():
    replicas = one("Deployment")["spec"]["replicas"]
    assert replicas >= 2
    (budget,) = [doc for doc in resources() if doc["kind"] == "PodDisruptionBudget"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels("Deployment").items()
    assert 1 <= budget["spec"]["minAvailable"] < replicas  # a drain can proceed, one pod keeps serving
    strategy = one("Deployment")["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate" and strategy["rollingUpdate"]["maxUnavailable"] < replicas
    grace = pod_spec("Deployment")["terminationGracePeriodSeconds"]
    assert grace > 30, "longer than serve's own graceful shutdown, so in-flight requests finish"
    _, mount = mount_path("Deployment", one("PersistentVolumeClaim")["metadata"]["name"])
    assert mount.get("readOnly") is True


def test_each_pod_has_its_own_service_account_without_an_api_token():
    accounts = {doc["metadata"]["name"]: doc for doc in resources() if doc["kind"] == "ServiceAccount"}
    for kind in ("CronJob", "Deployment"):
        spec = pod_spec(kind)
        assert spec["serviceAccountName"] in accounts, kind
        assert spec["automountServiceAccountToken"] is False, kind
    assert pod_spec("CronJob")["serviceAccountName"] != pod_spec("Deployment")["serviceAccountName"]


def test_servicemonitor_selects_the_service_port_and_metrics_path():
    (monitor,) = documents(K8S / "servicemonitor.yaml")
    assert (monitor["apiVersion"], monitor["kind"]) == ("monitoring.coreos.com/v1", "ServiceMonitor")
    service = one("Service")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert endpoint["authorization"]["type"] == "Bearer"
