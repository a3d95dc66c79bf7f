"""The Kubernetes manifests, checked offline against Kubernetes' own schemas.

kubernetes-validate carries the API schemas of each Kubernetes version, so no cluster is
needed. The tests then check what a schema cannot: that the probes ask routes the app has,
that every setting named is one the service reads, that the commands are compose's, and that
PostgreSQL accepts the connections of the most pods the autoscaler may start.
"""

from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type hints
import pytest
import yaml
from deployment import (
    KUBERNETES,
    app_get_paths,
    compose,
    exec_form,
    graceful_bound,
    kubernetes_manifests,
    last,
    option_value,
    prod_stages,
    production_problems_of,
    setting_names,
)

KUBERNETES_VERSION = "1.34"
# PostgreSQL's default max_connections, minus the connections it keeps for superusers: a
# managed server may allow more, never count on it.
POSTGRES_CONNECTIONS = 100 - 3


def container(manifest: dict[str, Any]) -> dict[str, Any]:
    """The one container of a Deployment's or Job's pod."""
    (found,) = manifest["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = found
    return result


def test_each_manifest_is_valid_for_kubernetes() -> None:
    for name, manifest in kubernetes_manifests().items():
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {error.message} at {'.'.join(map(str, error.path))}")


def test_the_validation_fails_on_a_misspelt_field() -> None:
    broken = kubernetes_manifests()["api-deployment.yaml"]
    broken["spec"]["template"]["spec"]["containers"][0]["readynessProbe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())

    assert sorted(kustomization["resources"]) == sorted(kubernetes_manifests())


def test_every_key_of_the_config_and_the_secret_is_a_setting() -> None:
    manifests = kubernetes_manifests()
    keys = set(manifests["configmap.yaml"]["data"]) | set(manifests["secret.yaml"]["stringData"])

    assert keys - setting_names() == set()
    assert {
        "FAST_API_TEMPLATE_DATABASE__URL",
        "FAST_API_TEMPLATE_REDIS__URL",
        "FAST_API_TEMPLATE_SECURITY__SECRET_KEY",
    } <= set(manifests["secret.yaml"]["stringData"])


def test_production_takes_the_redis_url_of_the_secret() -> None:
    manifests = kubernetes_manifests()
    environment = manifests["configmap.yaml"]["data"] | manifests["secret.yaml"]["stringData"]
    redis_url = urlsplit(environment["FAST_API_TEMPLATE_REDIS__URL"])

    # The secret's placeholders are refused (that is what they are for); its Redis URL is not:
    # it has a password, and TLS, since a cluster's network is shared.
    problems = production_problems_of(environment)
    assert problems, "the placeholders of secret.yaml must not pass as production values"
    assert [line for line in problems if "REDIS" in line] == []
    assert (redis_url.scheme, bool(redis_url.password)) == ("rediss", True)


def test_every_pod_reads_the_config_and_the_secret() -> None:
    manifests = kubernetes_manifests()
    config = manifests["configmap.yaml"]["metadata"]["name"]
    secret = manifests["secret.yaml"]["metadata"]["name"]

    for name in ("api-deployment.yaml", "worker-deployment.yaml", "migrate-job.yaml"):
        sources = container(manifests[name])["envFrom"]
        assert {"configMapRef": {"name": config}} in sources, name
        assert {"secretRef": {"name": secret}} in sources, name


def test_the_probes_ask_the_apps_health_routes() -> None:
    api = container(kubernetes_manifests()["api-deployment.yaml"])

    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {"/ready", "/health"} <= app_get_paths()


def test_the_api_runs_the_image_command_one_process_per_pod() -> None:
    api = container(kubernetes_manifests()["api-deployment.yaml"])

    assert "command" not in api
    assert "args" not in api
    assert {"name": "WEB_CONCURRENCY", "value": "1"} in api["env"]


def test_the_worker_and_the_migration_run_what_compose_runs() -> None:
    manifests = kubernetes_manifests()
    services = compose()["services"]
    worker = container(manifests["worker-deployment.yaml"])
    migrate = container(manifests["migrate-job.yaml"])

    assert worker["command"] == services["worker"]["command"]
    assert migrate["command"] == services["migrate"]["command"]


def test_pods_run_as_the_images_user() -> None:
    user = last(prod_stages()["prod"], "USER").arguments
    uid, gid = (int(part) for part in user.split(":"))

    for name, manifest in kubernetes_manifests().items():
        if manifest["kind"] not in {"Deployment", "Job"}:
            continue
        pod = manifest["spec"]["template"]["spec"]["securityContext"]
        assert (pod["runAsNonRoot"], pod["runAsUser"], pod["runAsGroup"]) == (True, uid, gid), name


def test_the_autoscaler_scales_the_api_which_requests_cpu() -> None:
    manifests = kubernetes_manifests()
    hpa, api = manifests["api-hpa.yaml"], manifests["api-deployment.yaml"]

    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": api["apiVersion"],
        "kind": "Deployment",
        "name": api["metadata"]["name"],
    }
    # Utilisation is a share of the request: without one, the autoscaler cannot work.
    assert "cpu" in container(api)["resources"]["requests"]
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_requests_in_flight_finish_within_the_grace_period() -> None:
    api = kubernetes_manifests()["api-deployment.yaml"]["spec"]["template"]["spec"]
    command = exec_form(last(prod_stages()["prod"], "CMD"))
    graceful = int(command[command.index("--timeout-graceful-shutdown") + 1])
    pre_stop = container({"spec": {"template": {"spec": api}}})["lifecycle"]["preStop"]

    # preStop runs first, then SIGTERM; Kubernetes kills what still runs after the period.
    assert int(pre_stop["exec"]["command"][1]) + graceful < api["terminationGracePeriodSeconds"]


def test_jobs_in_flight_finish_within_the_workers_grace_period() -> None:
    worker = kubernetes_manifests()["worker-deployment.yaml"]["spec"]["template"]["spec"]

    bound = graceful_bound(container({"spec": {"template": {"spec": worker}}})["command"])

    assert bound < worker["terminationGracePeriodSeconds"]


def test_postgres_accepts_the_connections_of_the_most_pods() -> None:
    manifests = kubernetes_manifests()
    config = manifests["configmap.yaml"]["data"]
    per_process = int(config["FAST_API_TEMPLATE_DATABASE__POOL_SIZE"]) + int(
        config["FAST_API_TEMPLATE_DATABASE__MAX_OVERFLOW"]
    )
    api = container(manifests["api-deployment.yaml"])
    api_processes = int(next(v["value"] for v in api["env"] if v["name"] == "WEB_CONCURRENCY"))
    worker = manifests["worker-deployment.yaml"]
    worker_processes = option_value(container(worker)["command"], "--workers", 2)

    needed = (
        per_process * api_processes * manifests["api-hpa.yaml"]["spec"]["maxReplicas"]
        + per_process * worker_processes * worker["spec"]["replicas"]
        + 1  # the migration, while a release rolls out
    )

    assert needed <= POSTGRES_CONNECTIONS


def test_only_the_ingress_reaches_the_api_pods() -> None:
    # The api believes X-Forwarded-For from the trusted proxies' network: nothing else may
    # reach its pods, or a client could name its own address and escape the login limits.
    policy = yaml.safe_load((KUBERNETES / "api-networkpolicy.yaml").read_text())
    api = yaml.safe_load((KUBERNETES / "api-deployment.yaml").read_text())

    pod_labels = api["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    [rule] = policy["spec"]["ingress"]
    assert [source.keys() for source in rule["from"]] == [{"namespaceSelector"}]
