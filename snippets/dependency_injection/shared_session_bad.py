"""One session shared by every request: a single failed request breaks the ones after it."""

from fastapi import FastAPI, HTTPException
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
session = Session(engine)  # created once, at import time, and shared
app = FastAPI()


@app.post("/tags/{name}")
def add_tag(name: str) -> dict[str, str]:
    """Store a tag with the module's session."""
    session.add(Tag(name=name))
    try:
        session.commit()
    except IntegrityError:
        # Nobody rolls the shared session back: it stays in a failed transaction.
        raise HTTPException(status_code=409, detail="tag exists") from None
    return {"stored": name}


client = TestClient(app, raise_server_exceptions=False)
for name in ["python", "python", "fastapi"]:
    response = client.post(f"/tags/{name}")
    print(name, response.status_code)
