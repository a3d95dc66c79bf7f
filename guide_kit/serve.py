"""Serving a copied stage with `fastapi run`, as a reader starts it, and asking its `/health`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from guide_kit.ports import free_port
from guide_kit.stage import stage_environment, uv_binary

# The settings' prefix of the stages; a service made with the scaffold command has its own.
STAGE_PREFIX = "FAST_API_TEMPLATE_"
# The name of this check, beside those of STAGE_CHECKS, in a stage's record (guide_kit.coverage).
FASTAPI_RUN = "fastapi-run"
# How long a server may take to answer its first `/health`: a cold start imports everything.
START_SECONDS = 60.0


def health_under_fastapi_run(copy: Path, prefix: str = STAGE_PREFIX) -> tuple[httpx.Response, str]:
    """Serve a copied stage with `fastapi run`; return what `/health` answered and the log.

    `fastapi run` is what `fastapi dev` runs, without the reloader. The stage runs in its dev
    environment; the server stops once `/health` answered.

    Raises:
        httpx.TransportError: The server exited, or did not answer within START_SECONDS.

    """
    port = free_port()
    command = [uv_binary(), "run", "--locked", "--quiet", "fastapi", "run", "--port", str(port)]
    env = stage_environment() | {f"{prefix}ENV": "dev"}
    with subprocess.Popen(  # noqa: S603 - our own uv, with arguments of our own
        command, cwd=copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as server:
        try:
            response = _wait_for_health(
                f"http://127.0.0.1:{port}/health", server, time.monotonic() + START_SECONDS
            )
        finally:
            server.terminate()
            output, _ = server.communicate(timeout=30)
    return response, output


def is_healthy(response: httpx.Response) -> bool:
    """Whether `/health` said the service is well: a 200 whose JSON says `"status": "ok"`."""
    return response.status_code == 200 and response.json().get("status") == "ok"


def _wait_for_health(url: str, server: subprocess.Popen[str], deadline: float) -> httpx.Response:
    # Poll until the server answers, exits, or the deadline passes.
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
