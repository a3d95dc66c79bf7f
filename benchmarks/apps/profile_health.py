"""Where the CPU time of one `GET /health` goes, in one process: the profile of `edge_profile`.

Run by the runner under the interpreter of the app it profiles, with the stage's folder (or
this folder, for the bare app) as working directory:

    python -P profile_health.py stage|bare REQUESTS

The app is called as an ASGI callable, without a server or a network, so that only the app's
own work is counted: FastAPI, Starlette, the middleware, the access line. It prints one JSON
object: the CPU time of a request (the best of several rounds, unprofiled), and how a profiled
run splits it between parts of the code (by the file each function lives in).
"""

import asyncio
import cProfile
import importlib
import json
import logging
import os
import pstats
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, TextIO

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
App = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

ROUNDS = 5
# The parts that the profile is split into, first match wins; the rest is "other".
PARTS = {
    "the app's middleware": (
        "fast_api_template/api/middleware.py",
        "fast_api_template/core/headers.py",
        "fast_api_template/api/versioning.py",
        "fast_api_template/api/errors.py",
    ),
    "the access line (logging)": ("/structlog/", "/logging/", "/orjson/", "/json/", "uuid.py"),
    "FastAPI and Starlette": ("/fastapi/", "/starlette/", "/pydantic/", "/pydantic_core/"),
}


def load(kind: str) -> App:
    """Build the app: the stage's, from the working directory, or the bare one beside us."""
    if kind == "bare":
        sys.path.insert(0, str(Path(__file__).parent))
        app: App = importlib.import_module("bare_health").app
        return app
    sys.path.insert(0, str(Path.cwd()))
    stage_app: App = importlib.import_module("fast_api_template.app").create_app()
    return stage_app


async def request(app: App) -> int:
    """Call the app for `GET /health` as a server would, and return the status."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/health",
        "raw_path": b"/health",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"benchmark")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def measure(app: App, requests: int) -> dict[str, Any]:
    """Warm up, time the best round, then profile one more."""
    for _ in range(requests // 5):
        if await request(app) != 200:
            raise SystemExit("GET /health did not answer 200")
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(requests):
            await request(app)
        best = min(best, (time.process_time() - started) / requests)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        await request(app)
    profiler.disable()
    return {"cpu_us": round(best * 1e6, 2), "shares": shares(profiler)}


def shares(profiler: cProfile.Profile) -> dict[str, float]:
    """Split the profiled time between the parts, as fractions of the whole."""
    totals = dict.fromkeys([*PARTS, "other"], 0.0)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (file, _line, _name), (_calls, _primitive, own_time, *_rest) in stats.items():
        part = next(
            (name for name, marks in PARTS.items() if any(m in file for m in marks)), "other"
        )
        totals[part] += own_time
    whole = sum(totals.values()) or 1.0
    return {part: round(value / whole, 4) for part, value in totals.items()}


def _part_of(file: str) -> str:
    return next((part for part, marks in PARTS.items() if any(m in file for m in marks)), "other")


async def main(kind: str, requests: int, nowhere: TextIO) -> None:
    """Profile the app's `/health` and print the result as one JSON line."""
    app = load(kind)
    lifespan = getattr(getattr(app, "router", None), "lifespan_context", None)
    if lifespan is None:
        print(json.dumps(await measure(app, requests)))
        return
    async with lifespan(app):
        # The access lines go nowhere: writing them is the server's cost, not the app's.
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(nowhere)
        print(json.dumps(await measure(app, requests)))


if __name__ == "__main__":
    with Path(os.devnull).open("w") as devnull:
        asyncio.run(main(sys.argv[1], int(sys.argv[2]), devnull))
