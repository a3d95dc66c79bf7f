"""The compose file and the proxy's configuration, checked without Docker.

The file is validated against the Compose specification's schema (check-jsonschema ships
it), then read for what the schema cannot know: the order of start-up, the profiles, the
settings it sets, and whether PostgreSQL accepts every connection its processes may open.
"""

import re
import secrets
import shlex
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from deployment import (
    COMPOSE_FILE,
    COMPOSE_STOP_GRACE_PERIOD,
    PROXY_CONFIG,
    PROXY_HOSTS_CONFIG,
    STAGE_ROOT,
    compose,
    compose_duration,
    exec_form,
    executable,
    graceful_bound,
    haproxy,
    image_environment,
    interpolated,
    last,
    on_loopback,
    option_value,
    prod_stages,
    production_problems_of,
    proxy_behaviour,
    setting_names,
)

from fast_api_template.config import DatabaseSettings

REDIS_URL = "FAST_API_TEMPLATE_REDIS__URL"
# taskiq worker's default number of processes, when --workers is not given.
TASKIQ_DEFAULT_WORKERS = 2
# Connections that PostgreSQL keeps for superusers (its default), out of max_connections.
RESERVED_CONNECTIONS = 3


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def in_profile(profile: str) -> dict[str, dict[str, Any]]:
    """The services that `docker compose --profile <profile> up` starts."""
    return {
        name: service
        for name, service in services().items()
        if profile in service.get("profiles", [profile])
    }


def test_the_file_follows_the_compose_specification() -> None:
    command = ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)]

    result = subprocess.run(  # noqa: S603 -- the checker from this environment
        executable(command), capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_each_profile_runs_the_whole_service(profile: str) -> None:
    started = in_profile(profile)
    apis = [name for name in started if name.startswith("api")]
    workers = [name for name in started if name.startswith("worker")]

    assert {"postgres", "redis", "migrate"} <= set(started)
    assert len(apis) == 1
    assert len(workers) == 1
    assert started[apis[0]]["build"]["target"] == profile


def test_the_databases_report_their_health_and_everything_waits_for_it() -> None:
    found = services()

    assert "healthcheck" in found["postgres"]
    assert "healthcheck" in found["redis"]
    assert found["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", ["api", "worker", "api-dev", "worker-dev"])
def test_the_service_starts_once_the_migrations_succeeded(service: str) -> None:
    depends_on = services()[service]["depends_on"]

    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_prod_runs_replicas_behind_the_proxy_of_the_replica_test() -> None:
    prod = in_profile("prod")
    proxy = prod["proxy"]

    assert prod["api"]["deploy"]["replicas"] >= 2
    assert "ports" not in prod["api"], "the replicas are reached through the proxy only"
    assert proxy["depends_on"]["api"]["condition"] == "service_healthy"
    mounted = [volume.split(":")[0] for volume in proxy["volumes"]]
    assert (STAGE_ROOT / mounted[0]).resolve() == PROXY_CONFIG


def test_the_prod_api_runs_the_image_command() -> None:
    # No command of its own: the Dockerfile's CMD, which tests/test_deploy runs, is the one.
    assert "command" not in services()["api"]


@pytest.mark.parametrize("service", ["api", "worker"])
def test_a_stopping_process_gets_longer_than_its_graceful_bound(service: str) -> None:
    # The API runs the image's command; the worker, its own.
    found = services()[service]
    command = found.get("command") or exec_form(last(prod_stages()["prod"], "CMD"))
    grace = compose_duration(found.get("stop_grace_period", COMPOSE_STOP_GRACE_PERIOD))

    # Compose sends SIGTERM, then SIGKILL after the grace period: the process must be done.
    assert grace > graceful_bound(command), f"{service}: {grace} s to stop, {command}"


def test_every_variable_it_sets_is_a_setting() -> None:
    known = setting_names()
    for name, service in services().items():
        variables = service.get("environment", {})
        unknown = {v for v in variables if v.startswith("FAST_API_TEMPLATE_")} - known
        assert not unknown, f"{name} sets variables that no setting reads: {unknown}"


# What each ${NAME} of the compose file gets from .env: values as the file's header says to
# generate them.
DOT_ENV = {
    name: secrets.token_urlsafe(32)
    for name in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "FAST_API_TEMPLATE_SECURITY__SECRET_KEY")
}


@pytest.mark.parametrize("service", ["api", "worker", "migrate"])
def test_prod_passes_the_checks_of_production(service: str) -> None:
    # The image's environment (FAST_API_TEMPLATE_ENV=prod), then the service's own settings.
    environment = image_environment(prod_stages(), "prod") | interpolated(
        services()[service]["environment"], DOT_ENV
    )

    # Redis with a password among them: production refuses a Redis URL without one.
    assert production_problems_of(environment) == []


def test_redis_asks_for_the_password_that_the_service_sends() -> None:
    redis = services()["redis"]
    command = redis["command"]
    url = urlsplit(interpolated(services()["api"]["environment"], DOT_ENV)[REDIS_URL])

    assert command[: command.index("--requirepass") + 2] == [
        "redis-server",
        "--requirepass",
        "${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}",
    ]
    assert url.password == DOT_ENV["REDIS_PASSWORD"]
    # Its health check, too: redis-cli reads the password from REDISCLI_AUTH.
    assert redis["environment"]["REDISCLI_AUTH"] == command[command.index("--requirepass") + 1]


def most_connections(service: dict[str, Any], processes: int) -> int:
    """The connections one replica of a service may hold: its pool and overflow, per process."""
    environment = service.get("environment", {})
    defaults = DatabaseSettings()
    pool = int(environment.get("FAST_API_TEMPLATE_DATABASE__POOL_SIZE", defaults.pool_size))
    overflow = int(
        environment.get("FAST_API_TEMPLATE_DATABASE__MAX_OVERFLOW", defaults.max_overflow)
    )
    return (pool + overflow) * processes


def max_connections(postgres: dict[str, Any]) -> int:
    """PostgreSQL's max_connections, from the server's command line."""
    setting = next(part for part in postgres["command"] if part.startswith("max_connections="))
    return int(setting.split("=")[1])


def test_postgres_accepts_every_connection_that_prod_may_open() -> None:
    # --8<-- [start:connections]
    prod = in_profile("prod")
    image_processes = int(image_environment(prod_stages(), "prod")["WEB_CONCURRENCY"])
    api, worker = prod["api"], prod["worker"]
    worker_processes = option_value(worker["command"], "--workers", TASKIQ_DEFAULT_WORKERS)

    needed = (
        most_connections(api, image_processes) * api["deploy"]["replicas"]
        + most_connections(worker, worker_processes)
        + most_connections(prod["migrate"], 1)
    )

    assert needed <= max_connections(prod["postgres"]) - RESERVED_CONNECTIONS
    # --8<-- [end:connections]


def test_the_image_command_is_what_the_replica_test_runs() -> None:
    command = exec_form(last(prod_stages()["prod"], "CMD"))

    assert command[:2] == ["uvicorn", "fast_api_template.app:app"]
    assert "--port" in command


def test_haproxy_accepts_both_configurations_as_shipped() -> None:
    program = haproxy()
    if program is None:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy)")

    for config in (PROXY_CONFIG, PROXY_HOSTS_CONFIG):
        result = subprocess.run(  # noqa: S603 -- HAProxy's own check of a configuration
            [program, "-c", "-f", str(config)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{config}:\n{result.stdout}{result.stderr}"


def test_the_proxy_without_docker_behaves_as_composes() -> None:
    # The same checks, retries, timeouts and headers; only the addresses differ.
    assert proxy_behaviour(PROXY_HOSTS_CONFIG) == proxy_behaviour(PROXY_CONFIG)
    servers = re.findall(r"^\s*server (\S+) (\S+) (.*)$", PROXY_HOSTS_CONFIG.read_text(), re.M)
    assert len(servers) >= 2
    assert all(options.split() == ["check"] for _name, _address, options in servers)


# How the host's replicas and worker are run: docs/operations.md, then the README's excerpt.
HOST_RECIPES = [STAGE_ROOT / "docs" / "operations.md", STAGE_ROOT / "README.md"]


def documented_commands(path: Path, program: str) -> list[list[str]]:
    """The `uv run <program> ...` lines of a page's code blocks, without `uv run` and comment."""
    lines = [line.split("  #", 1)[0] for line in path.read_text().splitlines()]
    prefix = f"uv run {program} "
    return [shlex.split(line)[2:] for line in lines if line.startswith(prefix)]


@pytest.mark.parametrize("page", HOST_RECIPES, ids=lambda path: path.name)
def test_a_replica_without_docker_runs_the_image_command_as_one_process(page: Path) -> None:
    image = exec_form(last(prod_stages()["prod"], "CMD"))
    defaults = re.findall(r"\$\{API_\d+_PORT-(\d+)\}", PROXY_HOSTS_CONFIG.read_text())
    replicas = documented_commands(page, "uvicorn")
    ports = [option_value(command, "--port", 0) for command in replicas]

    # One command per server line of the proxy, on its port; each the image's, graceful bound
    # and proxy headers included, on 127.0.0.1, with one process.
    assert sorted(ports) == sorted(int(port) for port in defaults)
    for command, port in zip(replicas, ports, strict=True):
        assert command == [*on_loopback(image, port), "--workers", "1"]


def test_the_worker_without_docker_runs_composes_command() -> None:
    (worker,) = documented_commands(HOST_RECIPES[0], "taskiq")

    assert worker == services()["worker"]["command"]
