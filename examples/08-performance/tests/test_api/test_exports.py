"""Project exports over HTTP: 202 and a job to poll, a CSV once done, idempotent POSTs.

The app's broker runs jobs in-process (no Redis): a test waits for them with `wait_for_jobs`,
never with a sleep. tests/test_worker.py runs the same jobs in a real worker over Redis.
"""

import asyncio
import csv
import dataclasses
import io
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from conftest import (
    AppFactory,
    HeadersFactory,
    UserFactory,
    add_user,
    bearer,
    make_client,
    resources_of,
    wait_for_jobs,
)
from fastapi import FastAPI
from problem_checks import assert_problem
from sqlmodel import col, func, select
from taskiq import InMemoryBroker
from taskiq.message import BrokerMessage

from fast_api_template.config import RedisSettings, Settings
from fast_api_template.db import transaction
from fast_api_template.models import ExportJob, User
from fast_api_template.models.base import utc_now
from fast_api_template.models.domain.export_job import ExportStatus

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("jobs_finish")]

# The API strips titles, so a leading tab or CR cannot come this way: see test_services.
TITLES = ["Dig", '=HYPERLINK("https://evil.example")', "+1", "-1", "@SUM(A1)", "Sow"]


async def add_project(client: httpx.AsyncClient, titles: list[str]) -> int:
    response = await client.post("/api/v2/projects", json={"name": "Garden"})
    assert response.status_code == 201, response.text
    project_id: int = response.json()["id"]
    for title in titles:
        task = await client.post(f"/api/v2/projects/{project_id}/tasks", json={"title": title})
        assert task.status_code == 201, task.text
    return project_id


def exports_of(project_id: int) -> str:
    return f"/api/v2/projects/{project_id}/exports"


async def count_jobs(app: FastAPI) -> int:
    async with transaction(resources_of(app).session_factory) as session:
        return (await session.exec(select(func.count()).select_from(ExportJob))).one()


async def insert_job(app: FastAPI, user: User, project_id: int, **fields: Any) -> uuid.UUID:
    """Write a job as a worker would have left it, without running anything."""
    assert user.id is not None
    job = ExportJob(owner_id=user.id, project_id=project_id, **fields)
    async with transaction(resources_of(app).session_factory) as session:
        session.add(job)
    return job.id


@pytest.mark.sqlite_only
async def test_an_export_runs_later_and_its_file_downloads(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    project_id = await add_project(client, TITLES)

    accepted = await client.post(exports_of(project_id))
    await wait_for_jobs(app)  # in-process, the job runs on this event loop
    job = await client.get(accepted.headers["location"])
    file = await client.get(job.json()["links"]["file"])

    assert accepted.status_code == 202
    assert accepted.json()["status"] == "queued"
    assert accepted.headers["location"] == accepted.json()["links"]["self"]
    assert accepted.json()["links"]["file"] is None
    assert (job.json()["status"], job.json()["attempts"], job.json()["error"]) == ("done", 1, None)
    assert file.headers["content-type"] == "text/csv; charset=utf-8"
    assert file.headers["content-disposition"] == (
        f'attachment; filename="project-{project_id}-tasks.csv"'
    )
    rows = list(csv.reader(io.StringIO(file.text)))
    assert rows[0] == ["id", "title", "status", "created_at", "updated_at"]
    # Every cell that a spreadsheet would run as a formula starts with an apostrophe.
    assert [row[1] for row in rows[1:]] == [
        "Dig",
        '\'=HYPERLINK("https://evil.example")',
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "Sow",
    ]
    assert {row[2] for row in rows[1:]} == {"todo"}


@pytest.mark.sqlite_only
async def test_the_same_key_gets_the_same_job(app: FastAPI, client: httpx.AsyncClient) -> None:
    project_id = await add_project(client, ["Dig"])
    key = str(uuid.uuid4())

    first = await client.post(exports_of(project_id), headers={"Idempotency-Key": key})
    again = await client.post(exports_of(project_id), headers={"Idempotency-Key": key})
    # The quoted form of the IETF draft names the same key.
    quoted = await client.post(exports_of(project_id), headers={"Idempotency-Key": f'"{key}"'})
    other = await client.post(exports_of(project_id), headers={"Idempotency-Key": "another"})

    assert [first.status_code, again.status_code, quoted.status_code] == [202] * 3
    assert first.json()["id"] == again.json()["id"] == quoted.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert other.json()["id"] != first.json()["id"]  # another key: another job
    assert await count_jobs(app) == 2


async def test_racing_requests_with_one_key_make_one_job(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    project_id = await add_project(client, ["Dig"])
    key = {"Idempotency-Key": "race-1"}

    answers = await asyncio.gather(
        *(client.post(exports_of(project_id), headers=key) for _ in range(4))
    )

    assert [answer.status_code for answer in answers] == [202] * 4
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert sum("idempotent-replayed" in answer.headers for answer in answers) == 3
    assert await count_jobs(app) == 1


@pytest.mark.sqlite_only
async def test_a_key_sent_for_another_project_is_a_conflict(client: httpx.AsyncClient) -> None:
    first = await add_project(client, ["Dig"])
    response = await client.post("/api/v2/projects", json={"name": "Orchard"})
    second = response.json()["id"]
    key = {"Idempotency-Key": "one-request"}

    await client.post(exports_of(first), headers=key)
    reused = await client.post(exports_of(second), headers=key)

    assert assert_problem(reused, 409)["type"] == "/problems/idempotency-key-reused"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 129, id="too-long"),
        pytest.param("two words", id="space"),
        pytest.param("semi;colon", id="punctuation"),
        pytest.param('"unclosed', id="one-quote"),
        pytest.param('""', id="empty-quoted"),
        pytest.param(b"caf\xe9", id="latin-1"),
    ],
)
async def test_a_malformed_key_is_refused(
    app: FastAPI, client: httpx.AsyncClient, key: str | bytes
) -> None:
    # Refused before anything is read: the project need not exist.
    name = "Idempotency-Key"
    headers = {name: key} if isinstance(key, str) else {name.encode(): key}
    response = await client.post(exports_of(1), headers=headers)

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await count_jobs(app) == 0


@pytest.mark.sqlite_only
async def test_the_longest_key_is_accepted(client: httpx.AsyncClient) -> None:
    project_id = await add_project(client, ["Dig"])
    key = "k" * 128

    response = await client.post(exports_of(project_id), headers={"Idempotency-Key": key})

    assert response.status_code == 202, response.text


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("job_id", "problem"),
    [
        pytest.param(str(uuid.uuid4()), "/problems/export-not-found", id="unknown"),
        # The route matches a UUID only (`{job_id:uuid}`): anything else reaches no route.
        pytest.param("not-a-uuid", "about:blank", id="malformed"),
    ],
)
async def test_an_unknown_or_malformed_job_id(
    client: httpx.AsyncClient, job_id: str, problem: str
) -> None:
    for path in (f"/api/v2/exports/{job_id}", f"/api/v2/exports/{job_id}/file"):
        body = assert_problem(await client.get(path), 404)
        assert body["type"] == problem


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        pytest.param({}, "The export is queued.", id="queued"),
        pytest.param({"status": ExportStatus.RUNNING}, "The export is running.", id="running"),
        pytest.param(
            {"status": ExportStatus.FAILED, "error": "It broke.", "finished_at": utc_now()},
            "The export failed: It broke. Ask for a new one.",
            id="failed",
        ),
    ],
)
async def test_no_file_before_the_job_is_done(
    app: FastAPI, client: httpx.AsyncClient, user: User, fields: dict[str, Any], detail: str
) -> None:
    project_id = await add_project(client, ["Dig"])
    job_id = await insert_job(app, user, project_id, **fields)

    job = await client.get(f"/api/v2/exports/{job_id}")
    file = await client.get(f"/api/v2/exports/{job_id}/file")

    assert job.json()["links"]["file"] is None
    body = assert_problem(file, 409)
    assert body["type"] == "/problems/export-not-ready"
    assert body["detail"].startswith(detail)


@pytest.mark.sqlite_only
async def test_another_user_sees_no_job(
    app: FastAPI, client: httpx.AsyncClient, make_user: UserFactory, auth_headers: HeadersFactory
) -> None:
    project_id = await add_project(client, ["Dig"])
    accepted = await client.post(exports_of(project_id))
    await wait_for_jobs(app)
    eve = auth_headers(await make_user("eve@example.com"))
    root = auth_headers(await make_user("root@example.com", is_admin=True))

    async with make_client(app) as other:
        job = await other.get(accepted.headers["location"], headers=eve)
        file = await other.get(f"{accepted.headers['location']}/file", headers=eve)
        export = await other.post(exports_of(project_id), headers=eve)
        admin = await other.get(accepted.headers["location"], headers=root)

    # Not found, as for a project: nobody learns which ids exist.
    assert assert_problem(job, 404)["type"] == "/problems/export-not-found"
    assert assert_problem(file, 404)["type"] == "/problems/export-not-found"
    assert assert_problem(export, 404)["type"] == "/problems/project-not-found"
    assert admin.json()["status"] == "done"


async def set_admin(app: FastAPI, user: User, *, is_admin: bool) -> None:
    """Change a user's role in the database, as an operator would."""
    async with transaction(resources_of(app).session_factory) as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        stored.is_admin = is_admin


@pytest.mark.sqlite_only
async def test_a_demoted_admin_no_longer_gets_the_exports_they_made(
    app: FastAPI, client: httpx.AsyncClient, make_user: UserFactory, auth_headers: HeadersFactory
) -> None:
    project_id = await add_project(client, ["Dig"])  # the client's project, not root's
    root = await make_user("root@example.com", is_admin=True)

    async with make_client(app) as admin:
        admin.headers.update(auth_headers(root))
        job_url = (await admin.post(exports_of(project_id))).headers["location"]
        await wait_for_jobs(app)
        while_admin = await admin.get(f"{job_url}/file")
        await set_admin(app, root, is_admin=False)
        job = await admin.get(job_url)
        file = await admin.get(f"{job_url}/file")

    assert while_admin.status_code == 200
    # The job is still theirs, but its project is not: not found, like the project itself.
    assert assert_problem(job, 404)["type"] == "/problems/export-not-found"
    assert assert_problem(file, 404)["type"] == "/problems/export-not-found"


class UnreachableQueue(InMemoryBroker):
    """A broker whose queue does not answer, as Redis when it is down."""

    async def kick(self, message: BrokerMessage) -> None:  # noqa: ARG002
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.mark.sqlite_only
async def test_a_queue_that_does_not_answer_is_a_503_and_keeps_no_job(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    project_id = await add_project(client, ["Dig"])
    key = {"Idempotency-Key": "during-the-outage"}
    resources = resources_of(app)
    app.state.resources = dataclasses.replace(resources, broker=UnreachableQueue())

    refused = await client.post(exports_of(project_id), headers=key)
    jobs_after_refusal = await count_jobs(app)
    app.state.resources = resources  # the queue is back
    retried = await client.post(exports_of(project_id), headers=key)

    assert assert_problem(refused, 503)["type"] == "/problems/unavailable"
    assert refused.headers["retry-after"] == "5"
    assert jobs_after_refusal == 0
    # The retry makes the job: nothing was kept that no worker would ever run.
    assert retried.status_code == 202
    assert "idempotent-replayed" not in retried.headers


@pytest.mark.sqlite_only
async def test_the_api_starts_while_redis_is_down_and_answers_503(
    settings: Settings, make_app: AppFactory
) -> None:
    # Nothing listens on port 9: the API starts anyway (it needs no consumer group) and
    # answers exports with a 503 until Redis is back.
    down = settings.model_copy(update={"redis": RedisSettings(url="redis://:pw@127.0.0.1:9/0")})
    app = await make_app(down)
    async with make_client(app) as client:
        client.headers.update(bearer(app, await add_user(app, "ada@example.com")))
        project_id = await add_project(client, ["Dig"])
        refused = await client.post(exports_of(project_id))

    assert assert_problem(refused, 503)["detail"] == (
        "The job queue does not answer. Try again shortly."
    )
    assert await count_jobs(app) == 0


@pytest.mark.sqlite_only
async def test_a_request_deletes_its_users_expired_exports_after_the_response(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, user: User, make_user: UserFactory
) -> None:
    project_id = await add_project(client, ["Dig"])
    long_ago = utc_now() - timedelta(hours=settings.jobs.export_ttl_hours + 1)
    expired = await insert_job(
        app, user, project_id, status=ExportStatus.DONE, result="", finished_at=long_ago
    )
    recent = await insert_job(
        app, user, project_id, status=ExportStatus.DONE, result="", finished_at=utc_now()
    )
    eve = await make_user("eve@example.com")
    others = await insert_job(
        app, eve, project_id, status=ExportStatus.FAILED, error="x", finished_at=long_ago
    )

    # httpx's in-process transport returns once the app is done, background tasks included.
    await client.post(exports_of(project_id))

    async with transaction(resources_of(app).session_factory) as session:
        left = set((await session.exec(select(col(ExportJob.id)))).all())
    assert expired not in left
    assert {recent, others} <= left


# --8<-- [start:quota]
def with_quota(settings: Settings, exports_per_user: int) -> Settings:
    jobs = settings.jobs.model_copy(update={"exports_per_user": exports_per_user})
    return settings.model_copy(update={"jobs": jobs})


async def test_a_burst_of_requests_makes_no_more_jobs_than_the_quota(
    settings: Settings, make_app: AppFactory
) -> None:
    app = await make_app(with_quota(settings, 3))
    async with make_client(app) as client:
        client.headers.update(bearer(app, await add_user(app, "ada@example.com")))
        project_id = await add_project(client, ["Dig"])

        # All at once: each request counts the jobs and adds its own, and only three may.
        answers = await asyncio.gather(*[client.post(exports_of(project_id)) for _ in range(12)])
        await wait_for_jobs(app)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [202] * 3 + [429] * 9
    refused = [answer for answer in answers if answer.status_code == 429]
    assert {assert_problem(r, 429)["type"] for r in refused} == {"/problems/export-quota-exceeded"}
    # Three jobs run now: each holds its place until export_ttl_hours after it finishes.
    hold = settings.jobs.export_ttl_hours * 3600
    assert all(hold - 60 <= int(r.headers["retry-after"]) <= hold for r in refused)
    assert await count_jobs(app) == 3


# --8<-- [end:quota]


@pytest.mark.sqlite_only
async def test_a_place_frees_when_the_oldest_export_expires(
    settings: Settings, make_app: AppFactory
) -> None:
    app = await make_app(with_quota(settings, 2))
    user = await add_user(app, "ada@example.com")
    hold = timedelta(hours=settings.jobs.export_ttl_hours)
    async with make_client(app) as client:
        client.headers.update(bearer(app, user))
        project_id = await add_project(client, ["Dig"])
        done = {"status": ExportStatus.DONE, "result": ""}
        # Expired: no longer held, whether or not a sweep has deleted it yet.
        await insert_job(app, user, project_id, **done, finished_at=utc_now() - hold)
        await insert_job(app, user, project_id, **done, finished_at=utc_now() - hold / 2)
        first = await client.post(exports_of(project_id), headers={"Idempotency-Key": "one"})
        await wait_for_jobs(app)
        full = await client.post(exports_of(project_id))
        replayed = await client.post(exports_of(project_id), headers={"Idempotency-Key": "one"})

    assert first.status_code == 202
    # The oldest held export finished half the time ago: its place frees in the other half.
    assert assert_problem(full, 429)["type"] == "/problems/export-quota-exceeded"
    assert abs(int(full.headers["retry-after"]) - hold.total_seconds() / 2) <= 60
    # A retry of a request that made a job gets its job, whatever the quota.
    assert replayed.status_code == 202
    assert replayed.json()["id"] == first.json()["id"]


async def test_a_job_outlives_the_app_that_made_it(
    settings: Settings, make_app: AppFactory
) -> None:
    first = await make_app(settings)
    token = bearer(first, await add_user(first, "ada@example.com"))
    async with make_client(first) as client:
        client.headers.update(token)
        project_id = await add_project(client, ["Dig"])
        accepted = await client.post(exports_of(project_id))
        await wait_for_jobs(first)

    # Another process, as after a restart or on another replica: same database, new pools.
    second = await make_app(settings)
    async with make_client(second) as client:
        client.headers.update(token)
        job = await client.get(accepted.headers["location"])
        file = await client.get(f"{accepted.headers['location']}/file")

    assert second is not first
    assert job.json()["id"] == accepted.json()["id"]
    assert job.json()["status"] == "done"
    assert [row[1] for row in csv.reader(io.StringIO(file.text))] == ["title", "Dig"]
