"""The files that deploy the service, read as the tools that run them would read them.

The Dockerfile, the compose file, the proxy's configuration and the Kubernetes manifests are
not Python, but tests start what they say: the production command, the worker's command, the
proxy with its configuration. Reading them here, rather than repeating them in the tests,
keeps the tests on what ships.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel

from fast_api_template.app import create_app
from fast_api_template.config import (
    ConfigurationError,
    Environment,
    Settings,
    env_var_name,
    load_settings,
)

STAGE_ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = STAGE_ROOT / "Dockerfile"
COMPOSE_FILE = STAGE_ROOT / "docker-compose.yaml"
PROXY_CONFIG = STAGE_ROOT / "deploy" / "haproxy" / "haproxy.cfg"
# The same proxy on a host without Docker: replicas on ports of 127.0.0.1.
PROXY_HOSTS_CONFIG = STAGE_ROOT / "deploy" / "haproxy" / "haproxy-hosts.cfg"
KUBERNETES = STAGE_ROOT / "deploy" / "k8s"
# Where the replicas listen in compose (the proxy's `server-template` line names it).
API_PORT = 8000

# Seconds a process gets to start answering, or to stop once told to: a bound for a busy
# machine, where several processes import the app at once.
PROCESS_DEADLINE = 60.0


# Dockerfile


@dataclass(frozen=True)
class Instruction:
    """One instruction of a Dockerfile: `COPY . /app` is ("COPY", ". /app")."""

    keyword: str
    arguments: str


def dockerfile_stages(text: str) -> dict[str, list[Instruction]]:
    """Read a Dockerfile's build stages by name, each with its instructions (FROM first)."""
    stages: dict[str, list[Instruction]] = {}
    current: list[Instruction] = []
    for line in _logical_lines(text):
        keyword, _, arguments = line.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip())
        if instruction.keyword == "FROM":
            name = re.search(r"\s+AS\s+(\S+)$", arguments, flags=re.IGNORECASE)
            current = stages.setdefault(name.group(1) if name else str(len(stages)), [])
        current.append(instruction)
    return stages


def _logical_lines(text: str) -> Iterator[str]:
    """Join continued lines (a trailing backslash) and drop comments and blank lines."""
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        yield pending + line
        pending = ""


def parent_of(stage: list[Instruction]) -> str:
    """The image or stage that a build stage starts from."""
    return stage[0].arguments.split()[0]


def exec_form(instruction: Instruction) -> list[str]:
    """The command of a CMD or HEALTHCHECK CMD written in exec (JSON) form."""
    arguments = instruction.arguments.removeprefix("CMD").strip()
    if instruction.keyword == "HEALTHCHECK":
        arguments = arguments[arguments.index("CMD") + len("CMD") :].strip()
    command = json.loads(arguments)
    assert isinstance(command, list), f"not in exec form: {instruction}"
    return [str(part) for part in command]


def last(stage: list[Instruction], keyword: str) -> Instruction:
    """The last instruction of a kind in a stage: the one that wins."""
    found = [instruction for instruction in stage if instruction.keyword == keyword]
    assert found, f"no {keyword} in the stage"
    return found[-1]


def image_environment(stages: Mapping[str, list[Instruction]], name: str) -> dict[str, str]:
    """The ENV of a stage, with what it inherits from the stages it is built on."""
    chain = []
    while name in stages:
        chain.append(stages[name])
        name = parent_of(stages[name])
    env: dict[str, str] = {}
    for stage in reversed(chain):
        for instruction in stage:
            if instruction.keyword == "ENV":
                env |= dict(re.findall(r'(\w+)=("[^"]*"|\S+)', instruction.arguments))
    return {key: value.strip('"') for key, value in env.items()}


def prod_stages() -> dict[str, list[Instruction]]:
    """The build stages of the stage's Dockerfile."""
    return dockerfile_stages(DOCKERFILE.read_text())


def on_loopback(command: Sequence[str], port: int) -> list[str]:
    """The production command, listening on 127.0.0.1:`port` instead of every address."""
    moved = list(command)
    for option, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        assert option in moved, f"the command has no {option}: {command}"
        moved[moved.index(option) + 1] = value
    return moved


def executable(command: Sequence[str]) -> list[str]:
    """The command with its program found in this environment, as PATH finds it in the image."""
    program = shutil.which(command[0], path=str(Path(sys.executable).parent))
    assert program is not None, f"{command[0]} is not installed in this environment"
    return [program, *command[1:]]


def prod_command(port: int) -> list[str]:
    """The image's command (the prod target's CMD), on 127.0.0.1:`port` of this machine."""
    return executable(on_loopback(exec_form(last(prod_stages()["prod"], "CMD")), port))


def prod_environment(**settings: str) -> dict[str, str]:
    """The prod target's environment, one process, and `settings`, as the image runs it.

    One process, not the image's `WEB_CONCURRENCY`: more are uvicorn's own supervisor at
    work, and each costs a test another start-up.
    """
    env = environment_without_settings(
        **image_environment(prod_stages(), "prod") | {"WEB_CONCURRENCY": "1"}, **settings
    )
    # The image's PATH holds its environment's programs; here, this environment's.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_health_check(port: int, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the image's HEALTHCHECK command, as Docker would, against 127.0.0.1:`port`."""
    check = exec_form(last(prod_stages()["prod"], "HEALTHCHECK"))
    check = [part.replace(f":{API_PORT}/", f":{port}/") for part in check]
    return subprocess.run(  # noqa: S603 -- the Dockerfile's own command
        executable(check), env=dict(env), capture_output=True, text=True, timeout=30, check=False
    )


def replica_test_runs() -> bool:
    """Whether tests/test_deploy/test_replicas.py runs here: it needs PostgreSQL, Redis and
    HAProxy, and starts the image's command itself."""
    needed = (os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL"), haproxy())
    return all(needed)


# Compose and Kubernetes


def compose() -> dict[str, Any]:
    """The compose file, as YAML (anchors and merge keys resolved)."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return document


def kubernetes_manifests() -> dict[str, dict[str, Any]]:
    """Each Kubernetes manifest by its file name, but the kustomization."""
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in sorted(KUBERNETES.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def interpolated(environment: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """Compose's environment with each ${NAME}, ${NAME:?error} or ${NAME:-default} filled in.

    Args:
        environment: The variables as the compose file writes them.
        values: What .env would give each NAME.

    """
    pattern = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")
    return {
        name: pattern.sub(lambda match: values[match[1]], str(value))
        for name, value in environment.items()
    }


def production_problems_of(environment: Mapping[str, str]) -> list[str]:
    """What production refuses in `environment`, read as the service reads its own.

    Only the FAST_API_TEMPLATE_ variables are set, for the time of the call, in a directory
    without `.env` files (the tests run in one).
    """
    settings = {name: value for name, value in environment.items() if name.startswith(PREFIX)}
    before = dict(os.environ)
    os.environ.update(settings)
    try:
        load_settings()
    except ConfigurationError as error:
        return list(error.problems)
    finally:
        os.environ.clear()
        os.environ.update(before)
    return []


def setting_names(model: type[BaseModel] = Settings, path: tuple[str, ...] = ()) -> set[str]:
    """Every environment variable that the settings read, e.g. FAST_API_TEMPLATE_LOG__LEVEL."""
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= setting_names(annotation, (*path, field_name))
        else:
            names.add(env_var_name(*path, field_name))
    return names


def app_get_paths() -> set[str]:
    """The paths that the app answers GET on."""
    app = create_app(Settings(env=Environment.TEST))
    return {
        route.path
        for route in iter_route_contexts(app.routes)
        if route.path and route.methods and "GET" in route.methods
    }


def option_value(command: Sequence[str], option: str, default: int) -> int:
    """The integer value of a command-line option, or its default when it is absent."""
    if option in command:
        return int(command[command.index(option) + 1])
    return default


def graceful_bound(command: Sequence[str]) -> float:
    """The seconds that a process given SIGTERM may take to stop, by its own command line.

    uvicorn lets requests in flight finish for `--timeout-graceful-shutdown` seconds. A taskiq
    worker lets its running jobs finish for `--wait-tasks-timeout` seconds, then its broker
    close for `--shutdown-timeout` (5 by default).

    Raises:
        AssertionError: When the command sets no bound: it would wait for ever.

    """
    if command[0] == "uvicorn":
        assert "--timeout-graceful-shutdown" in command, f"no graceful bound: {command}"
        return float(command[command.index("--timeout-graceful-shutdown") + 1])
    assert command[:2] == ["taskiq", "worker"], f"a command without a known bound: {command}"
    assert "--wait-tasks-timeout" in command, f"running jobs are waited for without end: {command}"
    jobs = float(command[command.index("--wait-tasks-timeout") + 1])
    broker = (
        float(command[command.index("--shutdown-timeout") + 1])
        if "--shutdown-timeout" in command
        else TASKIQ_SHUTDOWN_TIMEOUT
    )
    return jobs + broker


# taskiq worker's default --shutdown-timeout, in seconds: how long its broker gets to close.
TASKIQ_SHUTDOWN_TIMEOUT = 5.0


def compose_duration(text: str) -> float:
    """Seconds in a Compose duration such as `30s`, `1m30s` or `1h` (no fractions)."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text) if text else None
    assert match, f"not a Compose duration of whole units: {text!r}"
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


# Compose's own stop_grace_period when a service sets none.
COMPOSE_STOP_GRACE_PERIOD = "10s"


# The reverse proxy


def proxy_ports(listen_port: int, replica_ports: Sequence[int]) -> dict[str, str]:
    """The environment that puts haproxy-hosts.cfg on these ports.

    `listen_port` is where it listens; each of `replica_ports`, where a replica does, on
    127.0.0.1. The file's header names the variables.
    """
    servers = re.findall(r"^\s*server api(\d+) ", PROXY_HOSTS_CONFIG.read_text(), flags=re.M)
    assert len(servers) == len(replica_ports), f"the file has {len(servers)} replicas"
    ports = zip(servers, replica_ports, strict=True)
    replicas = {f"API_{number}_PORT": str(port) for number, port in ports}
    return {"PROXY_PORT": str(listen_port)} | replicas


def proxy_behaviour(path: Path) -> list[str]:
    """The lines of a proxy configuration that say how it checks, retries, times out and
    forwards: its comments, addresses (`bind`, `server`) and resolvers left out."""
    kept: list[str] = []
    in_resolvers = False
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not raw[0].isspace():  # a section starts
            in_resolvers = line.startswith("resolvers ")
        address = line.split()[0] in {"bind", "server", "server-template"}
        if not (in_resolvers or address):
            kept.append(line)
    return kept


def haproxy() -> str | None:
    """Debian's HAProxy, which lives in /usr/sbin (often not on a user's PATH)."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


# Processes


def accepts_connections(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], what: str, seconds: float = PROCESS_DEADLINE) -> None:
    """Poll `condition` every 20 ms until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.02)


@dataclass
class Process:
    """A process that a test started, with the file its output goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """What the process wrote so far."""
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        """Whether it still runs; fail with its output if it exited."""
        code = self.popen.poll()
        assert code is None, f"{self.name} exited with {code}:\n{self.output()}"
        return True

    def stop(self, seconds: float = PROCESS_DEADLINE) -> int:
        """Send SIGTERM, as an orchestrator does, and wait for the exit code (kill if late)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(f"{self.name} did not stop within {seconds} s") from None


def environment_without_settings(**settings: str) -> dict[str, str]:
    """This environment without any FAST_API_TEMPLATE_ variable, plus `settings`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(PREFIX)}
    return env | settings


PREFIX = "FAST_API_TEMPLATE_"


@contextmanager
def started(
    name: str, command: Sequence[str], *, env: Mapping[str, str], directory: Path
) -> Iterator[Process]:
    """Run `command` in `directory` (no `.env` of the developer's there); stop it after."""
    log = directory / f"{name}.log"
    with log.open("wb") as output:
        popen = subprocess.Popen(  # noqa: S603 -- commands from the stage's own files
            list(command), cwd=directory, env=dict(env), stdout=output, stderr=subprocess.STDOUT
        )
    process = Process(name, popen, log)
    try:
        yield process
    finally:
        if popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
            try:
                popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
