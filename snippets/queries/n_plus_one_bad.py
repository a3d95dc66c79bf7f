"""The N+1 query: one query for the projects, then one more for each project."""

from typing import Any

from sqlalchemy import event
from sqlmodel import Field, Session, SQLModel, col, create_engine, func, select


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str


class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")


engine = create_engine("sqlite://")
SQLModel.metadata.create_all(engine)
statements: list[str] = []


@event.listens_for(engine, "before_cursor_execute")
def record(*args: Any) -> None:
    statements.append(args[2])  # (connection, cursor, statement, parameters, ...)


def add_projects(session: Session, count: int) -> None:
    for number in range(count):
        project = Project(name=f"Project {number}")
        session.add(project)
        session.flush()  # gives the project its id
        session.add_all([Task(project_id=project.id or 0) for _ in range(2)])
    session.flush()


def task_counts(session: Session) -> dict[str, int]:
    counts = {}
    for project in session.exec(select(Project)).all():
        query = select(func.count()).where(col(Task.project_id) == project.id)
        counts[project.name] = session.exec(query).one()
    return counts


for projects in (3, 30):
    with Session(engine) as session:  # uncommitted: gone when the block ends
        add_projects(session, projects)
        statements.clear()  # count the queries of task_counts only
        counts = task_counts(session)
        tasks = sum(counts.values())
        print(f"{len(counts)} projects, {tasks} tasks; queries sent: {len(statements)}")
