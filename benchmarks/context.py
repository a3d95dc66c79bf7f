"""What a case gets to work with: the load settings, the CPUs, the services, the servers."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import APPS
from benchmarks.load import BenchmarkError, LoadSettings
from benchmarks.servers import CpuPlan, Server, ServerSpec, running
from benchmarks.services import Database, Redis
from benchmarks.stages import APP, ENV_PREFIX, Stage, uv_environment

# The body limit that the stages document (app.max_body_size); set explicitly, so that the
# hostile bodies are sized against the limit the server really has.
MAX_BODY_SIZE = 1_048_576


@dataclass
class RunContext:
    """One run of the benchmarks: shared by its cases, in order."""

    run_id: str
    workdir: Path
    load: LoadSettings
    cpus: CpuPlan
    database: Database
    redis: Redis | None
    secret: str
    smoke: bool
    hostile_requests: int
    machine: dict[str, object]
    # The stage named on the command line (`--stage`), if any: it is part of the command that
    # measures the same thing again.
    named_stage: str | None = None
    stages: dict[Path, Stage] = field(default_factory=dict)
    _tables_ready: bool = field(default=False, repr=False)

    def stage_settings(self, stage: Stage) -> dict[str, str]:
        """Return the `FAST_API_TEMPLATE_*` settings a server of `stage` runs with.

        The `dev` environment, in which the stages before 09 create the tables at start-up
        (from 09 on, migrations do, in every environment; see `serve`), with production's
        values for what changes the cost of a request: no debug, JSON log lines at INFO, a
        real secret and Argon2 costs; and a registration limit that the benchmarks do not
        reach. Only the settings that the
        stage's `.env.example` documents are set: the stages refuse unknown ones.
        """
        settings = {
            "ENV": "dev",
            "APP__DEBUG": "false",
            "APP__MAX_BODY_SIZE": str(MAX_BODY_SIZE),
            "LOG__FORMAT": "json",
            "LOG__LEVEL": "INFO",
            "DATABASE__URL": self.database.url,
            "SECURITY__SECRET_KEY": self.secret,
            # Long enough for the whole run: a case logs in once, before it measures.
            "SECURITY__ACCESS_TOKEN_MINUTES": "120",
            # Registrations are counted per address before the body is read: every hostile
            # body must reach the parser, not the limit, to be measured.
            "SECURITY__REGISTRATION_ATTEMPTS": "1000000",
        }
        if self.redis is not None:
            settings |= {"REDIS__URL": self.redis.url, "REDIS__KEY_PREFIX": self.redis.key_prefix}
        known = stage.settings
        return {
            f"{ENV_PREFIX}{name}": value
            for name, value in settings.items()
            if f"{ENV_PREFIX}{name}" in known
        }

    def describe_settings(self, stage: Stage) -> str:
        """List the settings a stage server gets, with URLs and the secret left out."""
        # Secrets, addresses and this run's own names: nothing a reader needs, and they would
        # change the table at every run.
        hidden = ("URL", "SECRET", "KEY_PREFIX")
        settings = self.stage_settings(stage)
        if not settings:
            return "no settings (it has none)"
        shown = {
            name.removeprefix(ENV_PREFIX): "..." if any(word in name for word in hidden) else value
            for name, value in settings.items()
        }
        listed = ", ".join(f"`{name}={value}`" for name, value in shown.items())
        return f"the settings (each `{ENV_PREFIX}` + name) {listed}"

    def stage_server(
        self,
        stage: Stage,
        label: str,
        *,
        workers: int = 1,
        cpus: frozenset[int] | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> ServerSpec:
        """Describe a server of the stage, on the server CPU unless `cpus` says otherwise.

        Args:
            stage: The stage.
            label: What the results call the server.
            workers: uvicorn's worker processes.
            cpus: The CPUs it may use.
            settings: Settings to change, by name without the prefix (`DATABASE__ECHO`).

        """
        extra = {f"{ENV_PREFIX}{name}": value for name, value in (settings or {}).items()}
        return ServerSpec(
            label=label,
            python=stage.python,
            app=APP,
            cwd=stage.copy,
            env=uv_environment() | self.stage_settings(stage) | extra,
            workers=workers,
            cpus=cpus if cpus is not None else self.cpus.server,
            creates_tables=True,
        )

    def app_server(
        self, stage: Stage, module: str, label: str, env: Mapping[str, str] | None = None
    ) -> ServerSpec:
        """Describe a single-file app of `benchmarks/apps/`, under the stage's interpreter.

        The stage's interpreter, so that both sides of a comparison run the same versions of
        FastAPI, Starlette, pydantic and uvicorn: the ratio is the cost of the structure.
        """
        return ServerSpec(
            label=label,
            python=stage.python,
            app=f"{module}:app",
            cwd=self.workdir,
            env=uv_environment() | dict(env or {}),
            app_dir=APPS,
            cpus=self.cpus.server,
        )

    @contextmanager
    def serve(self, *specs: ServerSpec) -> Iterator[list[Server]]:
        """Start servers side by side and yield them in the order given; stop them after.

        The run's first stage server creates the tables, which two servers doing at once on
        PostgreSQL would race to do: until it is up, no other stage server starts. Later ones
        find the tables made. A stage with migrations (09 on) creates none: its migrations
        run first, once, as a deployment runs them.
        """
        if not self._tables_ready:
            migrating = next((spec for spec in specs if (spec.cwd / "migrations").is_dir()), None)
            if migrating is not None:
                migrate(migrating)
                self._tables_ready = True
        with ExitStack() as stack:
            first = next((i for i, spec in enumerate(specs) if spec.creates_tables), None)
            waves = [list(range(len(specs)))]
            if not self._tables_ready and first is not None:
                later = [i for i, spec in enumerate(specs) if spec.creates_tables and i != first]
                waves = [[i for i in waves[0] if i not in later], later]
            started: dict[int, Server] = {}
            for wave in waves:
                servers = stack.enter_context(running([specs[i] for i in wave], self.workdir))
                started.update(zip(wave, servers, strict=True))
                self._tables_ready = self._tables_ready or first in wave
            yield [started[index] for index in range(len(specs))]


def migrate(spec: ServerSpec) -> None:
    """Bring the run's database to the stage's newest schema: `alembic upgrade head`.

    Raises:
        BenchmarkError: The migrations failed.

    """
    finished = subprocess.run(  # noqa: S603 -- the stage's interpreter, our arguments
        [str(spec.python), "-m", "alembic", "upgrade", "head"],
        cwd=spec.cwd,
        env=dict(spec.env),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if finished.returncode != 0:
        message = f"the migrations of {spec.cwd.name} failed:\n{finished.stderr[-3000:]}"
        raise BenchmarkError(message)
