"""Fuzz both API versions from their OpenAPI documents, logged in, against real data.

The run is schemathesis' own engine with the phases of an outside run: the documents'
examples, the coverage phase (each parameter at and past its bounds, the empty string
included, and the methods that a path does not serve) and hypothesis' fuzzing, with every
check on each answer: no 500, a documented status code and content type, a body that matches
its schema, the documented headers (Allow on a 405, say), valid data accepted and invalid
data refused, and the auth that the document declares. Every request carries a real access
token and, when its data is valid, the ids of a project and a task that exist, so that the
protected routes are reached, not only their 401.

It runs once, on PostgreSQL when the suite has one (where NUL and overflowing integers used to
slip through), else on SQLite: the HTTP contract is the same on both.
"""

import os
import re
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.config import HealthCheck
from schemathesis.core.result import Ok
from schemathesis.engine import Status, StopReason, events
from schemathesis.hooks import HookContext

from fast_api_template.api.deps import MAX_CURSOR_LENGTH
from fast_api_template.app import create_app
from fast_api_template.config import Environment, Settings
from fast_api_template.schemas.fields import STORABLE_PATTERN

PASSWORD = "Tr4nsient-S3cret-42"  # noqa: S105 -- a throwaway account in a test database
# The phases of an outside run (the stateful one aside: these routes link to nothing).
PHASES = ["examples", "coverage", "fuzzing"]
# The phases that must send every operation a case: the documents hold no examples, so the
# examples phase skips each operation, saying so.
SENDING_PHASES = ("coverage", "fuzzing")
# Cases per operation in the fuzzing phase; the coverage phase makes every case that the
# document defines whatever this says. Each stage's suite runs this: a few seconds a version.
EXAMPLES_PER_OPERATION = 3
SEED = 42  # the same requests on every run
# Ends every session of the user, the run's own: tested last, alone.
LOGOUT_ALL = r"/auth/logout-all$"
# Failures that a document cannot prevent, each with why: (check, method, last segment of the
# path, status). A new password is refused (422) when it is a common one, holds the account's
# email name, or repeats a few characters: rules that no JSON Schema can state, which the
# field's description gives in words.
KNOWN_GAPS = {("positive_data_acceptance", "POST", "users", 422)}


@pytest.fixture
def fuzz_settings(request: pytest.FixtureRequest, tmp_path: Any) -> Settings:
    """Settings on PostgreSQL when the suite has one, else on a SQLite file."""
    if os.environ.get("TEST_DATABASE_URL"):
        request.getfixturevalue("empty_postgres")()
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    # Registrations are throttled per address, and the fuzzer registers often.
    security = {"registration_attempts": 10_000}
    # Warnings and worse only: an access line for each of a thousand requests is most of the
    # run's time, and says nothing that a failed check does not.
    log = {"level": "WARNING"}
    return Settings(env=Environment.TEST, database={"url": url}, security=security, log=log)


def well_formed(cursor: str) -> bool:
    """Whether a cursor could be one of ours: not empty, and what the document says of it.

    Not empty: whether an empty cursor is valid is the document's to say (it says no), and an
    empty cursor replaced by a real one would hide an answer that contradicts it.
    """
    return (
        0 < len(cursor) <= MAX_CURSOR_LENGTH and re.fullmatch(STORABLE_PATTERN, cursor) is not None
    )


@dataclass(frozen=True)
class World:
    """What the fuzzer may use: a logged-in user's header, real ids and real cursors."""

    headers: dict[str, str]
    ids: dict[str, int]
    cursors: dict[str, str]  # by the path template of the list they page


def seed(client: TestClient) -> World:
    """Register and log in, and create two projects with two tasks each."""
    account = {"email": "fuzz@example.com", "password": PASSWORD}
    assert client.post("/api/v2/users", json=account).status_code == 201
    form = {"username": account["email"], "password": PASSWORD}
    token = client.post("/api/v2/auth/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for name in ("Fuzz", "Buzz"):
        project = client.post("/api/v2/projects", json={"name": name}, headers=headers).json()
        for title in ("Dig", "Sow"):
            path = f"/api/v2/projects/{project['id']}/tasks"
            task = client.post(path, json={"title": title}, headers=headers).json()
    ids = {"project_id": project["id"], "task_id": task["id"], "user_id": 1}
    lists = {
        "/api/v2/projects": "/api/v2/projects",
        "/api/v2/projects/{project_id}/tasks": f"/api/v2/projects/{project['id']}/tasks",
    }
    cursors = {
        template: client.get(path, params={"limit": 1}, headers=headers).json()["next_cursor"]
        for template, path in lists.items()
    }
    return World(headers, ids, cursors)


def aim(case: schemathesis.Case[Any], world: World, *, real_ids: bool) -> None:
    """Point a case at the world's data: its ids, and a real cursor where one is well formed.

    A cursor is opaque: one that hypothesis makes up can match the schema without being
    signed, a 400 that the schema cannot foresee. A cursor that breaks the schema is kept.
    """
    cursor = case.query.get("cursor") if case.query else None
    real_cursor = isinstance(cursor, str) and well_formed(cursor)
    if real_cursor:
        case.query = {**case.query, "cursor": world.cursors[case.path]}
    # A cursor is valid for one list only: that of the project whose id the world knows.
    if (real_ids or real_cursor) and case.path_parameters:
        case.path_parameters = {
            name: world.ids.get(name, value) for name, value in case.path_parameters.items()
        }


def is_valid(case: schemathesis.Case[Any]) -> bool:
    """Whether schemathesis made the case to be accepted (positive) rather than refused."""
    return case.meta is not None and case.meta.generation.mode.is_positive


def configure(schema: schemathesis.BaseSchema, world: World) -> None:
    """Log the run in, with the phases of an outside run and the same requests each time.

    The health checks are named as schemathesis' configuration names them (its own
    `HealthCheck`, not hypothesis'): given hypothesis' checks, each operation's worker thread
    dies before its first request, and the run sends nothing.
    """
    schema.config.update(headers=world.headers, suppress_health_check=[HealthCheck.all])
    schema.config.phases.update(phases=PHASES)
    schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION)
    schema.config.seed = SEED


def failures_of(schema: schemathesis.BaseSchema, world: World) -> list[str]:
    """Run the engine over the schema, aimed at the world; say what failed or did not run."""

    def before_call(_context: HookContext, case: schemathesis.Case[Any], _kwargs: Any) -> None:
        aim(case, world, real_ids=is_valid(case))

    schemathesis.hook(before_call)
    try:
        return [
            failure
            # Logging out everywhere ends the token of the run: that operation goes last.
            for part in (
                schema.exclude(path_regex=LOGOUT_ALL),
                schema.include(path_regex=LOGOUT_ALL),
            )
            for failure in run(part)
        ]
    finally:
        schemathesis.hooks.unregister(before_call)


def run(part: schemathesis.BaseSchema) -> list[str]:
    """Run the engine over part of the schema: its failures, and what it never sent.

    A run that checks nothing must not pass. A phase that sends an operation no case (its
    worker thread died, say, which the engine reports as nothing to test) is a failure, and so
    is a run that stops before its end.
    """
    # An operation that the document cannot describe is an error event, which `describe` reports.
    operations = [result.ok() for result in part.get_all_operations() if isinstance(result, Ok)]
    labels = sorted(operation.label for operation in operations)
    sent: set[tuple[str, str]] = set()
    failures: list[str] = []
    stop_reason = None
    for event in schemathesis.engine.from_schema(part).execute():
        failures += describe(event)
        if isinstance(event, events.ScenarioFinished) and event.recorder.interactions:
            sent.add((event.phase, event.recorder.label))
        elif isinstance(event, events.EngineFinished):
            stop_reason = event.stop_reason
    if not labels:
        failures.append("this part of the document holds no operation")
    if stop_reason != StopReason.COMPLETED:
        failures.append(f"the run did not complete: {stop_reason}")
    failures += [
        f"the {phase} phase sent no case to {label}"
        for phase in SENDING_PHASES
        for label in labels
        if (phase, label) not in sent
    ]
    return failures


def describe(event: events.EngineEvent) -> list[str]:
    """Say what failed in one event of the engine: its errors and its failed checks."""
    if isinstance(event, events.NonFatalError):
        return [f"error in {event.label}: {event.value!r}"]
    if isinstance(event, events.FatalError):
        return [f"fatal error: {event.exception!r}"]
    if not isinstance(event, events.ScenarioFinished):
        return []
    recorder = event.recorder
    failures = []
    for case_id, checks in recorder.checks.items():
        case = recorder.cases[case_id].value
        interaction = recorder.interactions.get(case_id)
        status = (
            None
            if interaction is None or interaction.response is None
            else (interaction.response.status_code)
        )
        for check in checks:
            known = (check.name, case.method, case.path.rsplit("/", 1)[-1], status) in KNOWN_GAPS
            if check.status == Status.FAILURE and not known:
                failures.append(
                    f"{check.name}: {case.method} {case.path} {case.path_parameters} "
                    f"{case.query} -> {status}"
                )
    return failures


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_every_operation_keeps_its_contract(fuzz_settings: Settings, version: str) -> None:
    app = create_app(fuzz_settings)
    with TestClient(app) as client:
        world = seed(client)
        schema = schemathesis.openapi.from_asgi(f"/api/{version}/openapi.json", app)
        configure(schema, world)

        assert failures_of(schema, world) == []
