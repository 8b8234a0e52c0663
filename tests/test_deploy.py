"""The Kubernetes manifests as kustomize renders them: what production gets, checked against
the service's own settings (probes, shutdown, security, resources, migrations)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from src.core.security.keys import SigningKeys, generate_private_key_pem
from src.core.security.sealing import Sealer, generate_data_key
from src.core.settings import PROJECT_ROOT, SettingsError, load_settings

OVERLAYS = PROJECT_ROOT / "deploy" / "kubernetes" / "overlays"
EXAMPLE_SECRETS = PROJECT_ROOT / "deploy" / "kubernetes" / "base" / "secrets"
# What the pods get from the Secret (the base's examples), beside the ConfigMap.
SECRET_ENVIRONMENT = {
    "DATABASE_URL": "postgresql://avatar@db/avatar",
    "SMTP_URL": (EXAMPLE_SECRETS / "smtp-url.example").read_text().strip(),
}
KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or "kubectl"


def render(overlay: str) -> dict[str, dict[str, Any]]:
    """`kind/name` -> resource, from `kubectl kustomize` (kubectl comes with the dev dependencies)."""
    output = subprocess.run(  # noqa: S603 - our own manifests
        [KUBECTL, "kustomize", str(OVERLAYS / overlay)], capture_output=True, check=True, timeout=60
    ).stdout
    resources = [document for document in yaml.safe_load_all(output) if document]
    return {f"{resource['kind']}/{resource['metadata']['name']}": resource for resource in resources}


@pytest.fixture(scope="module")
def production() -> dict[str, dict[str, Any]]:
    return render("production")


def _pod(resource: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


def _config(production: dict[str, dict[str, Any]]) -> dict[str, str]:
    [config] = [resource for key, resource in production.items() if key.startswith("ConfigMap/avatar-api-config")]
    data: dict[str, str] = config["data"]
    return data


def test_every_overlay_renders_the_same_kinds_of_resource() -> None:
    kinds = {"ConfigMap", "Secret", "Service", "Deployment", "Job", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    for overlay in ("development", "production"):
        rendered = {key.split("/")[0] for key in render(overlay)}
        assert rendered == kinds | {"NetworkPolicy"}, overlay


def test_the_configuration_is_one_the_service_accepts(production: dict[str, dict[str, Any]]) -> None:
    config = _config(production)
    settings = load_settings({**config, **SECRET_ENVIRONMENT})
    assert settings.is_production
    assert settings.links_base_url is not None
    assert settings.links_base_url.startswith("https://")
    assert settings.workers == 1  # one Granian worker per pod
    assert settings.migrate_on_startup is False  # the Job migrates


def test_pods_run_unprivileged_on_a_read_only_root(production: dict[str, dict[str, Any]]) -> None:
    for key in ("Deployment/avatar-api", "Job/avatar-api-migrate"):
        pod = _pod(production[key])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert isinstance(pod["securityContext"]["runAsUser"], int)  # numeric: verifiable
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            assert {"requests", "limits"} <= container["resources"].keys()


def test_probes_shutdown_and_rollout_match_the_service(production: dict[str, dict[str, Any]]) -> None:
    deployment = production["Deployment/avatar-api"]
    pod = _pod(deployment)
    [api] = pod["containers"]
    assert api["startupProbe"]["httpGet"]["path"] == "/health/startup"
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health/live"
    pause = api["lifecycle"]["preStop"]["sleep"]["seconds"]
    shutdown = float(_config(production)["SHUTDOWN_TIMEOUT"])
    assert pod["terminationGracePeriodSeconds"] > shutdown + pause  # the pod's, not the container's
    memory_limit = api["resources"]["limits"]["memory"]
    assert memory_limit.endswith("Mi")
    assert int(memory_limit[:-2]) >= 2 * 95
    assert "replicas" not in deployment["spec"]  # the autoscaler owns it: an apply must not reset it
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spread = {constraint["topologyKey"] for constraint in pod["topologySpreadConstraints"]}
    assert spread == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    assert production["HorizontalPodAutoscaler/avatar-api"]["spec"]["minReplicas"] >= 3
    assert production["PodDisruptionBudget/avatar-api"]["spec"]["minAvailable"] == 2


def test_the_migration_job_migrates_and_the_network_is_closed(production: dict[str, dict[str, Any]]) -> None:
    job = _pod(production["Job/avatar-api-migrate"])
    assert job["containers"][0]["command"] == ["api", "migrate"]
    policy = production["NetworkPolicy/avatar-api"]["spec"]
    api_port = {"ports": [{"protocol": "TCP", "port": 8000}]}
    assert policy["ingress"][0] == api_port  # from anywhere
    assert len(policy["ingress"]) == 2  # and the metrics port, from the monitoring namespace (below)
    egress = {(port["protocol"], port["port"]) for rule in policy["egress"] for port in rule["ports"]}
    assert egress == {
        *(("TCP", 5432), ("TCP", 6379), ("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 4318)),
        *(("TCP", 587), ("TCP", 465)),  # SMTP submission: STARTTLS, TLS
    }
    # OTLP/HTTP traces go to the monitoring namespace only, not anywhere.
    (traces,) = [rule for rule in policy["egress"] if {"protocol": "TCP", "port": 4318} in rule["ports"]]
    assert traces["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]


def test_the_operations_guide_puts_the_grace_period_on_the_pod() -> None:
    guide = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    snippet = guide.split("## Probes", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    spec = yaml.safe_load(snippet)
    assert "terminationGracePeriodSeconds" in spec["spec"]
    assert all("terminationGracePeriodSeconds" not in container for container in spec["spec"]["containers"])


def test_the_example_secrets_cannot_be_deployed_as_they_are() -> None:
    """The base's secrets are placeholders: a pod started with them stops at the settings
    check with a clear message, rather than signing tokens with a key in the repository."""
    example = PROJECT_ROOT / "deploy" / "kubernetes" / "base" / "secrets" / "jwt-signing-key.pem.example"
    data_key = example.parent / "data-encryption-key.example"
    config = {
        key: value
        for key, value in _config(render("production")).items()
        if key not in {"JWT_PRIVATE_KEY", "DATA_ENCRYPTION_KEY"}
    }
    settings = load_settings(
        {**config, **SECRET_ENVIRONMENT, "JWT_PRIVATE_KEY": f"@{example}", "DATA_ENCRYPTION_KEY": f"@{data_key}"}
    )
    with pytest.raises(SettingsError, match="JWT_PRIVATE_KEY"):
        SigningKeys.from_settings(settings)
    with pytest.raises(SettingsError, match="DATA_ENCRYPTION_KEY must be 32 bytes"):
        Sealer.from_settings(settings)
    assert "REPLACE-ME" in (example.parent / "database-url.example").read_text()
    assert "REPLACE-ME" in (example.parent / "smtp-url.example").read_text()


def _guide_block(marker: str, language: str) -> str:
    guide = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    [block] = [
        chunk.split("```", 1)[0] for chunk in guide.split(f"```{language}")[1:] if marker in chunk.split("```", 1)[0]
    ]
    return block


def test_the_guides_own_overlay_replaces_the_example_secrets(tmp_path: Path) -> None:
    """The operator's overlay of docs/operations.md, as written there, beside a checkout of
    ours: the Secret the pods get holds the operator's values and none of the examples."""
    (tmp_path / "avatar-api").symlink_to(PROJECT_ROOT, target_is_directory=True)
    mine = tmp_path / "my-deployment"
    (mine / "secrets").mkdir(parents=True)
    (mine / "kustomization.yaml").write_text(_guide_block("my-deployment/kustomization.yaml", "yaml"))
    key = generate_private_key_pem()
    (mine / "secrets" / "jwt-signing-key.pem").write_bytes(key)
    (mine / "secrets" / "database-url").write_text("postgresql://avatar:s3cret@db.internal:5432/avatar")
    (mine / "secrets" / "redis-url").write_text("redis://cache.internal:6379/0")
    data_key = generate_data_key()
    (mine / "secrets" / "data-encryption-key").write_text(data_key)
    (mine / "secrets" / "smtp-url").write_text("smtps://avatar-api:s3cret@smtp.internal:465")

    rendered = subprocess.run(  # noqa: S603 - our own manifests
        [KUBECTL, "kustomize", str(mine)], capture_output=True, check=True, timeout=60
    ).stdout
    resources = [document for document in yaml.safe_load_all(rendered) if document]
    [secret] = [resource for resource in resources if resource["kind"] == "Secret"]
    data = {name: base64.b64decode(value) for name, value in secret["data"].items()}
    assert data["jwt-signing-key.pem"] == key
    assert data["database-url"] == b"postgresql://avatar:s3cret@db.internal:5432/avatar"
    assert data["redis-url"] == b"redis://cache.internal:6379/0"
    assert data["data-encryption-key"] == data_key.encode()
    assert data["smtp-url"] == b"smtps://avatar-api:s3cret@smtp.internal:465"
    # The pods and the Job refer to the generated name (kustomize's hash suffix follows).
    deployment = next(resource for resource in resources if resource["kind"] == "Deployment")
    volumes = {volume["name"]: volume for volume in _pod(deployment)["volumes"]}
    assert volumes["signing-key"]["secret"]["secretName"] == secret["metadata"]["name"]
    # The release commands of the guide name what the overlay renders.
    commands = _guide_block("kubectl apply -k my-deployment", "sh")
    namespace = deployment["metadata"]["namespace"]
    job = next(resource for resource in resources if resource["kind"] == "Job")
    assert f"kubectl create namespace {namespace}" in commands
    assert f"delete job {job['metadata']['name']} --ignore-not-found" in commands
    assert f"rollout status deployment/{deployment['metadata']['name']}" in commands


def test_metrics_are_served_on_their_own_port_which_only_monitoring_reaches(
    production: dict[str, dict[str, Any]],
) -> None:
    """METRICS_PORT, the container's `metrics` port, the scrape annotations, the Service
    port a ServiceMonitor selects and the NetworkPolicy all name the same port; the
    probes stay on the API's port."""
    port = load_settings({**_config(production), **SECRET_ENVIRONMENT}).metrics_port
    assert port is not None
    deployment = production["Deployment/avatar-api"]
    [api] = _pod(deployment)["containers"]
    ports = {entry["name"]: entry["containerPort"] for entry in api["ports"]}
    assert ports == {"http": 8000, "metrics": port}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(port),
        "prometheus.io/path": "/metrics",
    }
    service_ports = {entry["name"]: entry for entry in production["Service/avatar-api"]["spec"]["ports"]}
    assert service_ports["metrics"] == {"name": "metrics", "port": port, "targetPort": "metrics"}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert api[probe]["httpGet"]["port"] == "http"
    [_, metrics_rule] = production["NetworkPolicy/avatar-api"]["spec"]["ingress"]
    assert metrics_rule["ports"] == [{"protocol": "TCP", "port": port}]
    assert metrics_rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]


def test_the_service_monitor_example_scrapes_the_rendered_service(production: dict[str, dict[str, Any]]) -> None:
    monitor = yaml.safe_load((PROJECT_ROOT / "deploy" / "monitoring" / "servicemonitor.yaml").read_text())
    service = production["Service/avatar-api"]

    assert (monitor["apiVersion"], monitor["kind"]) == ("monitoring.coreos.com/v1", "ServiceMonitor")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {entry["name"] for entry in service["spec"]["ports"]}
    assert endpoint["port"] == "metrics"
    assert endpoint["path"] == "/metrics"


def _compose_value(value: object) -> str:
    """A compose value with `${NAME:-default}` as its default and `${NAME:?message}` as a placeholder."""
    text = str(value)
    text = re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", text)
    return re.sub(r"\$\{[A-Z0-9_]+:\?[^}]*\}", "from-dot-env", text)


def test_compose_runs_the_api_with_settings_production_accepts_and_mail_to_its_sink() -> None:
    """compose.yaml as it stands (the .env defaults): the API's environment passes the
    production checks, its SMTP_URL names the `mail` service, which runs the sink our
    image ships on that port."""
    compose = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text())
    environment = {name: _compose_value(value) for name, value in compose["services"]["api"]["environment"].items()}
    environment["JWT_PRIVATE_KEY"] = "@/run/secrets/jwt_private_key"
    settings = load_settings(environment)
    assert settings.is_production
    assert settings.smtp_url == "smtp://mail:1025"
    assert settings.smtp_allow_plaintext
    mail = compose["services"]["mail"]
    assert mail["image"] == compose["services"]["api"]["image"]
    assert mail["entrypoint"] == ["api", "mail-sink"]
    assert mail["command"][mail["command"].index("--port") + 1] == "1025"
    assert mail["command"][mail["command"].index("--host") + 1] == "0.0.0.0"  # noqa: S104 - inside its container
    assert "ports" not in mail, "the sink is reached by the API alone"
    assert compose["services"]["api"]["depends_on"]["mail"] == {"condition": "service_healthy"}
