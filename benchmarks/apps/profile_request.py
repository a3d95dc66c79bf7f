"""Where the CPU time of one request goes, in one process: a profiler for any route of any app.

Run by the runner under the interpreter of the app it profiles, with the stage's folder (or
this folder, for a single-file app) as working directory:

    python -P profile_request.py APP REQUESTS METHOD PATH [HEADER ...]

APP is `stage` (the stage's `create_app()`, from the working directory) or the name of a
module beside this file (`bare_task_list`); PATH may carry a query string; each HEADER is
`name: value`. The app is called as an ASGI callable, with its lifespan, without a server or a
network, so that only the app's own work is counted (and, for a route that reads a database,
the driver's work in this process; the database server's is not).

It prints one JSON object: the status and a digest of the body (for the runner to check that
two apps answer the same), the CPU time of a request (`time.process_time`, the best of several
rounds, unprofiled), and how a profiled round splits that time between parts of the code.
A function belongs to a part by the file it lives in (a compiled one, by the module named in its
name); the time of a function of no part (the standard library, a builtin) goes to the part of
the code that called it, so that the JSON encoding of an access line counts as logging, and a
token's as PyJWT. Only the main thread is profiled: the CPU time of a sync `def` route, which
FastAPI runs in its threadpool, is counted, but its split would show the wait, not the work.
"""

import asyncio
import cProfile
import hashlib
import importlib
import json
import logging
import os
import pstats
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
App = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]
# A profiler's key for a function, and the statistics of its calls from one caller.
Function = tuple[str, int, str]

ROUNDS = 5
OWN_CODE = "the app's own code"
OTHER = "other"
# The parts that the profile is split into, by the files their functions live in; first match
# wins. The app's own code is the stage's package, or the single-file app's module.
PARTS = {
    "the app's middleware": (
        "fast_api_template/api/middleware.py",
        "fast_api_template/core/headers.py",
        "fast_api_template/api/versioning.py",
        "fast_api_template/api/errors.py",
        # The library middleware that a stage adds when configured to: CORS, trusted proxies.
        "/starlette/middleware/cors.py",
        "/uvicorn/middleware/proxy_headers.py",
    ),
    "the access line (logging)": (
        "fast_api_template/core/logging.py",
        "/structlog/",
        "/logging/",
    ),
    "PyJWT": ("/jwt/",),
    "SQLAlchemy and the driver": ("/sqlalchemy/", "/sqlmodel/", "/asyncpg/", "/aiosqlite/"),
    "pydantic": ("/pydantic/", "/pydantic_core/"),
    "FastAPI and Starlette": ("/fastapi/", "/starlette/"),
}

# Compiled functions have no file: they are told by the module or type in their names.
COMPILED_PARTS = {
    "pydantic": ("pydantic_core.",),
    "SQLAlchemy and the driver": ("sqlalchemy.", "asyncpg."),
}


class Request:
    """One request, sent to an app as a server would send it."""

    def __init__(self, method: str, target: str, headers: list[str]) -> None:
        split = urlsplit(target)
        self.method = method
        self.path = split.path
        self.query = split.query.encode()
        self.headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"benchmark")]
        for header in headers:
            name, _, value = header.partition(":")
            self.headers.append((name.strip().lower().encode(), value.strip().encode()))

    def scope(self) -> Scope:
        """Return a fresh ASGI scope: apps write into it."""
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": self.query,
            "root_path": "",
            "headers": list(self.headers),
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }

    async def send_to(self, app: App) -> tuple[int, bytes]:
        """Call the app once; return the status and the body."""
        status, body = 0, bytearray()

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await app(self.scope(), receive, send)
        return status, bytes(body)


def load(name: str) -> tuple[App, str]:
    """Build the app; return it and the mark of its own code's files."""
    if name == "stage":
        sys.path.insert(0, str(Path.cwd()))
        stage_app: App = importlib.import_module("fast_api_template.app").create_app()
        return stage_app, "fast_api_template/"
    sys.path.insert(0, str(Path(__file__).parent))
    app: App = importlib.import_module(name).app
    return app, f"/{name}.py"


async def measure(app: App, request: Request, requests: int) -> tuple[dict[str, Any], Any]:
    """Check the answer, warm up, time the best round, then profile one more."""
    status, body = await request.send_to(app)
    for _ in range(requests // 5):
        await request.send_to(app)
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(requests):
            await request.send_to(app)
        best = min(best, (time.process_time() - started) / requests)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        await request.send_to(app)
    profiler.disable()
    result = {
        "status": status,
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_bytes": len(body),
        "cpu_us": round(best * 1e6, 2),
    }
    return result, pstats.Stats(profiler).stats  # type: ignore[attr-defined]


class Attribution:
    """Splits a profile's own times between the parts, a function of no part by its callers."""

    def __init__(self, stats: dict[Function, Any], own_code: str) -> None:
        self.stats = stats
        self.parts = {**PARTS, OWN_CODE: (own_code,)}
        self._shares: dict[Function, dict[str, float]] = {}

    def part_of(self, function: Function) -> str | None:
        """Return the part that a function belongs to, if any: by its file, or its name."""
        file, _line, name = function
        parts, where = (COMPILED_PARTS, name) if file == "~" else (self.parts, file)
        return next((part for part, marks in parts.items() if any(m in where for m in marks)), None)

    def shares_of(self, function: Function) -> dict[str, float]:
        """Return how a function's own time divides between the parts (fractions summing to 1)."""
        if function in self._shares:
            return self._shares[function]
        part = self.part_of(function)
        if part is not None:
            return {part: 1.0}
        self._shares[function] = {OTHER: 1.0}  # while its callers are resolved: breaks cycles
        callers: dict[Function, tuple[Any, ...]] = (
            self.stats[function][4] if function in self.stats else {}
        )
        # By the time it spent called from each caller; by the time through each, if none.
        weights = {caller: edge[2] for caller, edge in callers.items() if edge[2] > 0}
        weights = weights or {caller: edge[3] for caller, edge in callers.items() if edge[3] > 0}
        whole = sum(weights.values())
        shares: dict[str, float] = {}
        for caller, weight in weights.items():
            for name, share in self.shares_of(caller).items():
                shares[name] = shares.get(name, 0.0) + share * weight / whole
        self._shares[function] = shares or {OTHER: 1.0}
        return self._shares[function]

    def split(self) -> dict[str, float]:
        """Return each part's share of the whole profiled time."""
        totals = dict.fromkeys([*self.parts, OTHER], 0.0)
        for function, (_calls, _primitive, own_time, *_rest) in self.stats.items():
            for part, share in self.shares_of(function).items():
                totals[part] += own_time * share
        whole = sum(totals.values()) or 1.0
        return {part: round(value / whole, 4) for part, value in totals.items()}


async def main(arguments: list[str], nowhere: TextIO) -> None:
    """Profile one route of one app and print the result as one JSON line."""
    name, requests, method, target, *headers = arguments
    app, own_code = load(name)
    request = Request(method, target, headers)
    lifespan = getattr(getattr(app, "router", None), "lifespan_context", None)
    if lifespan is None:
        result, stats = await measure(app, request, int(requests))
    else:
        async with lifespan(app):
            # The access lines go nowhere: writing them out is the server's cost, not the app's.
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(nowhere)
            result, stats = await measure(app, request, int(requests))
    result["shares"] = Attribution(stats, own_code).split()
    print(json.dumps(result))


def run(main_coroutine: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed, as uvicorn's servers do; else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main_coroutine)
        return
    uvloop.run(main_coroutine)


if __name__ == "__main__":
    with Path(os.devnull).open("w") as devnull:
        run(main(sys.argv[1:], devnull))
