"""What FastAPI's dependency injection costs per request: the app of `dependency_cost`.

Run by the runner under the measured stage's interpreter, so that its FastAPI is measured:

    python -P dependency_cost.py REQUESTS

One app, one route per variant, each called as an ASGI callable in this process (no server,
no network), so that only FastAPI's own work is counted. The variants differ only in their
dependencies, which do nothing: what a variant costs above `none` is the price of resolving
them. `tree` has the shape of the stage's task list: resources, settings, a session that
yields, the bearer token, the current user, two services, and the cursor parameters. Prints
one JSON object: the CPU time of a request of each variant, the best of several rounds.
"""

import asyncio
import json
import pathlib
import sys
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

# The profiler beside this file sends a request as a server would. It runs as a script, from a
# stage's folder: its own folder is put on the path (`-P` leaves it off), and the type checker,
# which reads this repository as one package, finds it in the package.
if TYPE_CHECKING:
    from benchmarks.apps.profile_request import Request as ServerRequest
else:
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from profile_request import Request as ServerRequest

ROUNDS = 7

app = FastAPI()
bearer = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)


async def nothing() -> int:
    """Return 1: an `async def` dependency, awaited on the event loop."""
    return 1


async def yields() -> AsyncIterator[int]:
    """Yield 1, as a session does: FastAPI also runs what follows the yield."""
    yield 1


def blocking() -> int:
    """Return 1: a plain `def` dependency, which FastAPI runs in its threadpool."""
    return 1


# The stage's list route, in shape: each node a dependency that does nothing.
async def resources(_request: Request) -> int:
    """Return the app's resources (here 1), as the stage reads them from its state."""
    return 1


Resources = Annotated[int, Depends(resources)]


async def settings(found: Resources) -> int:
    """Return the settings, from the resources."""
    return found


Settings = Annotated[int, Depends(settings)]


async def session(found: Resources) -> AsyncIterator[int]:
    """One session per request, closed after the endpoint."""
    yield found


Session = Annotated[int, Depends(session, scope="function")]


async def current_user(
    _request: Request,
    _token: Annotated[str | None, Depends(bearer)],
    opened: Session,
    found: Settings,
) -> int:
    """Return the caller, from the token and the session."""
    return opened + found


User = Annotated[int, Depends(current_user)]


async def projects(_opened: Session, user: User) -> int:
    """Return a service acting as the caller."""
    return user


async def tasks(_opened: Session, service: Annotated[int, Depends(projects)]) -> int:
    """Return a service built on another."""
    return service


async def cursor(
    _found: Settings,
    _after: Annotated[str | None, Query(alias="after", min_length=1, max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> int:
    """Return the pagination parameters (here the limit)."""
    return limit


Id = Annotated[int, Path(gt=0)]
VARIANTS: dict[str, list[Any]] = {
    "none": [],
    "async": [Depends(nothing)],
    "yield": [Depends(yields)],
    "def": [Depends(blocking)],
}


def _add_variants() -> None:
    for name, dependencies in VARIANTS.items():

        async def endpoint(item_id: Id, limit: Annotated[int, Query()] = 20) -> dict[str, int]:
            return {"id": item_id, "limit": limit}

        app.get(f"/{name}/{{item_id:int}}/tasks", dependencies=dependencies)(endpoint)

    @app.get("/tree/{item_id:int}/tasks")
    async def tree(
        item_id: Id,
        service: Annotated[int, Depends(tasks)],
        page: Annotated[int, Depends(cursor)],
        _status: Annotated[str | None, Query(alias="status")] = None,
    ) -> dict[str, int]:
        return {"id": item_id, "service": service, "limit": page}


async def measure(requests: int) -> dict[str, float]:
    """Warm up, then time each variant in turn, round after round; keep each one's best."""
    calls = {
        name: ServerRequest("GET", f"/{name}/1/tasks?limit=100", ["authorization: Bearer token"])
        for name in [*VARIANTS, "tree"]
    }
    for name, call in calls.items():
        for _ in range(requests // 5):
            status, _body = await call.send_to(app)
            if status != 200:
                raise SystemExit(f"{name}: GET {call.path} answered {status}, not 200")
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(ROUNDS):
        for name, call in calls.items():
            started = time.process_time()
            for _ in range(requests):
                await call.send_to(app)
            best[name] = min(best[name], (time.process_time() - started) / requests)
    return {name: round(seconds * 1e6, 2) for name, seconds in best.items()}


def main(requests: int) -> None:
    """Print the CPU time of a request of each variant, in µs, as one JSON line."""
    _add_variants()
    print(json.dumps(asyncio.run(measure(requests))))


if __name__ == "__main__":
    main(int(sys.argv[1]))
