"""A session per request, given by a dependency that rolls back on error."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Session, SQLModel, create_engine


class Tag(SQLModel, table=True):
    """A row with a unique name."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


# One in-memory database for the whole demo, reachable from the threads that serve requests.
engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
SQLModel.metadata.create_all(engine)
app = FastAPI()


def get_session() -> Iterator[Session]:
    """Give each request its own session: commit on success, roll back on error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session)]


@app.post("/tags/{name}")
def add_tag(name: str, session: SessionDep) -> dict[str, str]:
    """Store a tag with the request's session."""
    session.add(Tag(name=name))
    try:
        session.flush()  # surface a duplicate here, inside the request
    except IntegrityError:
        # get_session sees this exception and rolls the request's session back.
        raise HTTPException(status_code=409, detail="tag exists") from None
    return {"stored": name}


client = TestClient(app, raise_server_exceptions=False)
for name in ["python", "python", "fastapi"]:
    response = client.post(f"/tags/{name}")
    print(name, response.status_code)
