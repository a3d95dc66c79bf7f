"""The Dockerfile, without Docker: its targets, its user, its dependencies, its commands.

No Docker engine is needed. The file is read as Docker reads it, linted by hadolint, and its
production command is run here as it is written, so that it cannot drift from the app.
"""

import secrets
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from deployment import (
    API_PORT,
    DOCKERFILE,
    accepts_connections,
    app_get_paths,
    exec_form,
    executable,
    last,
    parent_of,
    prod_command,
    prod_environment,
    prod_stages,
    replica_test_runs,
    run_health_check,
    started,
    wait_until,
)
from ports import free_port


def test_hadolint_finds_nothing() -> None:
    hadolint = executable(["hadolint"])[0]

    result = subprocess.run(  # noqa: S603 -- the linter from this environment
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_dev_and_a_prod_target() -> None:
    stages = prod_stages()

    assert {"builder", "dev", "prod"} <= set(stages)
    assert "fastapi dev" in " ".join(exec_form(last(stages["dev"], "CMD")))


def test_prod_runs_as_a_user_that_is_not_root() -> None:
    user = last(prod_stages()["prod"], "USER").arguments

    uid = user.split(":")[0]
    assert uid.isdigit(), "a numeric id, which Kubernetes can check against runAsNonRoot"
    assert int(uid) != 0


def test_prod_holds_no_dev_dependency() -> None:
    stages = prod_stages()
    prod = stages["prod"]
    # prod starts afresh and takes only the builder's environment, never the dev target's.
    assert parent_of(prod) == "base"
    copies = [i.arguments for i in prod if i.keyword == "COPY"]
    assert copies, "prod copies its environment from the builder"
    assert all(copy.startswith("--from=builder ") for copy in copies)
    syncs = [i.arguments for i in stages["builder"] if "uv sync" in i.arguments]
    assert syncs, "the builder installs with uv sync"
    assert all("--no-dev" in sync and "--locked" in sync for sync in syncs)


def test_the_health_check_asks_a_route_of_the_app() -> None:
    healthcheck = exec_form(last(prod_stages()["prod"], "HEALTHCHECK"))
    (url,) = [part for part in healthcheck if "http://" in part]
    path = url.split(f":{API_PORT}", 1)[1].split("'")[0]

    assert path in app_get_paths()


@pytest.mark.skipif(
    replica_test_runs(),
    reason="test_replicas.py starts this command twice, with PostgreSQL and Redis",
)
def test_the_prod_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The image's command and environment, run here: /health answers, SIGTERM stops it.

    Production settings, with PostgreSQL and Redis on a port where nothing listens: the
    service starts without them (only /ready needs them).
    """
    port = free_port()
    env = prod_environment(
        FAST_API_TEMPLATE_DATABASE__URL="postgresql+asyncpg://app:pw@127.0.0.1:9/app",
        FAST_API_TEMPLATE_REDIS__URL="redis://:pw@127.0.0.1:9/0",
        FAST_API_TEMPLATE_SECURITY__SECRET_KEY=secrets.token_urlsafe(32),
    )

    with started("prod", prod_command(port), env=env, directory=tmp_path) as server:
        wait_until(lambda: server.running() and accepts_connections(port), "the server")
        health = httpx.get(f"http://127.0.0.1:{port}/health")
        checked = run_health_check(port, env)
        code = server.stop()
        output = server.output()

    assert health.status_code == 200
    assert "server" not in health.headers  # nothing says which server, at which version
    assert checked.returncode == 0, checked.stderr
    # A clean stop: uvicorn shuts down, then raises the signal again, so that whoever sent it
    # sees the process end by SIGTERM.
    assert code == -signal.SIGTERM, output
    assert "Application shutdown complete" in output
    assert "Finished server process" in output
