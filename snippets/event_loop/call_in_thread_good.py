"""The same call, made in a thread: the event loop serves other requests while it waits."""

import asyncio
import time

import httpx
from fastapi import FastAPI

app = FastAPI()
events: list[str] = []
report_started = asyncio.Event()


@app.get("/report")
async def report() -> dict[str, str]:
    events.append("report: started")
    report_started.set()
    # The synchronous call goes to a worker thread; the loop is free until it returns. (A
    # `def` endpoint gets the same from FastAPI, which runs it in a thread of its own.)
    await asyncio.to_thread(time.sleep, 0.5)
    events.append("report: finished")
    return {"status": "done"}


@app.get("/health")
async def health() -> dict[str, str]:
    events.append("health: served")
    return {"status": "ok"}


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        report_request = asyncio.create_task(client.get("/report"))
        await report_started.wait()  # the report is under way: now check the health
        await client.get("/health")
        await report_request
    print(*events, sep="\n")


asyncio.run(main())
