"""A synchronous call inside `async def`: while it runs, the process serves nobody else."""

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
    # A synchronous call, as a sync database driver or HTTP client makes: the event loop waits
    # for it, and so does every other request. (Ruff's ASYNC251 catches this one.)
    time.sleep(0.5)  # noqa: ASYNC251
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
