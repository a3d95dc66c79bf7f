"""Clearing done tasks over HTTP: the request answers 202, and the job deletes them after."""

import httpx
import pytest
from conftest import wait_for_jobs
from fastapi import FastAPI

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only, pytest.mark.usefixtures("jobs_finish")]


async def test_the_done_tasks_go_once_the_job_ran(app: FastAPI, client: httpx.AsyncClient) -> None:
    project = (await client.post("/api/v2/projects", json={"name": "Garden"})).json()
    tasks = f"/api/v2/projects/{project['id']}/tasks"
    for status in ("todo", "done", "done"):
        await client.post(tasks, json={"title": f"A task {status}", "status": status})

    response = await client.post(f"{tasks}/clear-done")
    await wait_for_jobs(app)  # the in-process broker runs the job in this process
    left = (await client.get(tasks)).json()["items"]

    assert response.status_code == 202
    assert [task["status"] for task in left] == ["todo"]


async def test_another_users_project_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v2/projects/999999/tasks/clear-done")

    assert response.status_code == 404
