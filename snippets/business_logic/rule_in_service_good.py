"""The same rule in a service: every caller, HTTP or not, goes through it."""

from dataclasses import dataclass, field

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient


@dataclass
class Project:
    """A project and the titles of its tasks."""

    archived: bool = False
    tasks: list[str] = field(default_factory=list)


class ProjectArchivedError(Exception):
    """A task was added to an archived project."""


def add_task(project: Project, title: str) -> str:
    """Add a task to a project that is still open; the rule lives here, once."""
    if project.archived:
        raise ProjectArchivedError("project is archived")
    project.tasks.append(title)
    return title


projects = {1: Project(archived=True)}
app = FastAPI()


@app.post("/projects/{project_id}/tasks", status_code=201)
def create_task(project_id: int, title: str) -> dict[str, str]:
    """Translate HTTP to a service call, and the service's error back to HTTP."""
    try:
        return {"title": add_task(projects[project_id], title)}
    except ProjectArchivedError as error:
        raise HTTPException(status_code=409, detail=str(error)) from None


def import_tasks(project_id: int, titles: list[str]) -> None:
    """The nightly import job calls the same service as the endpoint."""
    for title in titles:
        try:
            add_task(projects[project_id], title)
        except ProjectArchivedError as error:
            print(f"import job: skipped {title!r}: {error}")


response = TestClient(app).post("/projects/1/tasks", params={"title": "write docs"})
print("HTTP:", response.status_code, response.json())
import_tasks(1, ["write docs", "ship"])
print("import job: the archived project has", len(projects[1].tasks), "tasks")
