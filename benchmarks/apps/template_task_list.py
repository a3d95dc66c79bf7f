"""One project's tasks, first page, the way the well-known full-stack template writes a list.

The baseline of `template_list`, written from a description of that template's style, not
copied from it:

- the route and its dependencies are plain `def` functions, which FastAPI runs in its
  threadpool;
- one synchronous SQLModel `Session` per request, on psycopg 3 (`postgresql+psycopg://`), from
  an engine with SQLAlchemy's default pool;
- the current user: the bearer token decoded with PyJWT (HS256), its claims validated into a
  `TokenPayload` model, then `session.get(User, id)`, refused if disabled;
- the project by `session.get(Project, id)`, refused unless the user owns it (or is an admin);
- `SELECT count(*)` of the project's tasks, then `SELECT ... ORDER BY created_at, id
  OFFSET skip LIMIT limit`;
- a response model `{"data": [...], "count": N}`, built from the ORM objects and validated
  again by FastAPI on the way out.

It reads the stage's tables, so both sides list the same rows. Settings, from the environment:
`BENCH_APP_DATABASE_URL` (the run's async SQLAlchemy URL: its driver is swapped for psycopg, or
for the standard library's sqlite3), `BENCH_APP_SECRET_KEY` (the stage's secret key), and
`BENCH_APP_DATABASE_ECHO=1` to log each statement for the runner.
"""

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import OAuth2PasswordBearer
from pydantic import ValidationError
from sqlalchemy import DateTime
from sqlalchemy.engine import make_url
from sqlmodel import Field, Session, SQLModel, col, create_engine, func, select

DATABASE_URL = os.environ["BENCH_APP_DATABASE_URL"]
SECRET_KEY = os.environ["BENCH_APP_SECRET_KEY"]
ECHO = os.environ.get("BENCH_APP_DATABASE_ECHO") == "1"


def sync_url(url: str) -> str:
    """Return the run's database URL with a synchronous driver: psycopg 3, or sqlite3."""
    parsed = make_url(url)
    driver = "postgresql+psycopg" if parsed.get_backend_name() == "postgresql" else "sqlite"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


engine = create_engine(sync_url(DATABASE_URL), echo=ECHO)


class User(SQLModel, table=True):
    """The stage's users, the columns this app reads."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str
    hashed_password: str | None = None
    is_admin: bool = False
    is_active: bool = True


class Project(SQLModel, table=True):
    """The stage's projects, the columns this app reads."""

    __tablename__ = "projects"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    owner_id: int


class Task(SQLModel, table=True):
    """The stage's tasks."""

    __tablename__ = "tasks"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int
    title: str
    status: str
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))


class TaskPublic(SQLModel):
    """A task as the list shows it."""

    id: int
    project_id: int
    title: str
    status: str
    created_at: datetime
    updated_at: datetime


class TasksPublic(SQLModel):
    """A page of tasks and how many the project has."""

    data: list[TaskPublic]
    count: int


class TokenPayload(SQLModel):
    """The claims this app reads from an access token."""

    sub: str | None = None


def get_db() -> Iterator[Session]:
    """Give the request a session, closed after the response."""
    with Session(engine) as session:
        yield session


reusable_oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v2/auth/token")
SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    """Return the user of a valid access token; 403 for a bad token, 404 or 400 for the user."""
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
        token_data = TokenPayload(**payload)
    except (jwt.InvalidTokenError, ValidationError):
        raise HTTPException(status_code=403, detail="Could not validate credentials") from None
    if token_data.sub is None or not token_data.sub.isdecimal():
        raise HTTPException(status_code=403, detail="Could not validate credentials")
    user = session.get(User, int(token_data.sub))
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    if not user.is_active:
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]

app = FastAPI()


@app.get("/api/v2/projects/{project_id}/tasks", response_model=TasksPublic)
def read_tasks(
    session: SessionDep, current_user: CurrentUser, project_id: int, skip: int = 0, limit: int = 100
) -> Any:
    """Return a page of a project's tasks, oldest first, and how many it has."""
    project = session.get(Project, project_id)
    if project is None:
        raise HTTPException(status_code=404, detail="Project not found")
    if not current_user.is_admin and project.owner_id != current_user.id:
        raise HTTPException(status_code=400, detail="Not enough permissions")
    count_statement = select(func.count()).select_from(Task).where(Task.project_id == project_id)
    count = session.exec(count_statement).one()
    statement = (
        select(Task)
        .where(Task.project_id == project_id)
        .order_by(col(Task.created_at), col(Task.id))
        .offset(skip)
        .limit(limit)
    )
    tasks = session.exec(statement).all()
    # The ORM objects themselves, which the model reads by attribute.
    return TasksPublic(data=tasks, count=count)  # type: ignore[arg-type]
