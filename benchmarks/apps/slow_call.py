"""A cheap route beside a slow one, whose slow call blocks the event loop or does not.

`GET /cheap` answers at once. `GET /slow/blocking` makes a 20 ms synchronous call inside
`async def`, as code does when it calls a synchronous database driver or HTTP client there:
the event loop waits for it, and so does every other request of the process. `GET
/slow/in-thread` makes the same call through `asyncio.to_thread`: the loop goes on serving
while a thread waits. The `blocking` case loads one of the two slow routes while it measures
the latency of `/cheap` on the same one-worker server.
"""

import asyncio
import time

from fastapi import FastAPI

# Long for a call that blocks, short for a query or an HTTP call: what a slow one takes.
SLOW_CALL_SECONDS = 0.02

app = FastAPI()


def slow_call() -> None:
    """Stand for a synchronous driver or client call: it holds its thread until it returns."""
    time.sleep(SLOW_CALL_SECONDS)


@app.get("/cheap")
async def cheap() -> dict[str, str]:
    """Answer at once: the latency of this route is what other requests do to it."""
    return {"status": "ok"}


@app.get("/slow/blocking")
async def slow_blocking() -> dict[str, str]:
    """Make the slow call on the event loop: nothing else runs until it returns."""
    slow_call()  # the mistake that this app measures
    return {"status": "done"}


@app.get("/slow/in-thread")
async def slow_in_thread() -> dict[str, str]:
    """Make the slow call in a thread: the event loop serves other requests meanwhile."""
    await asyncio.to_thread(slow_call)
    return {"status": "done"}
