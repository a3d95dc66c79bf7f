"""A business rule written inside an endpoint: the next caller that is not HTTP skips it."""

from dataclasses import dataclass, field

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient


@dataclass
class Project:
    """A project and the titles of its tasks."""

    archived: bool = False
    tasks: list[str] = field(default_factory=list)


projects = {1: Project(archived=True)}
app = FastAPI()


@app.post("/projects/{project_id}/tasks", status_code=201)
def add_task(project_id: int, title: str) -> dict[str, str]:
    """Add a task; the rule about archived projects lives only here."""
    project = projects[project_id]
    if project.archived:
        raise HTTPException(status_code=409, detail="project is archived")
    project.tasks.append(title)
    return {"title": title}


def import_tasks(project_id: int, titles: list[str]) -> None:
    """A nightly import job: it cannot call an endpoint, so it writes the data itself."""
    projects[project_id].tasks.extend(titles)


response = TestClient(app).post("/projects/1/tasks", params={"title": "write docs"})
print("HTTP:", response.status_code, response.json())
import_tasks(1, ["write docs", "ship"])
print("import job: the archived project has", len(projects[1].tasks), "tasks")
