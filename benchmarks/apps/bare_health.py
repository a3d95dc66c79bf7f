"""The least a FastAPI service does for a health check: the baseline of the `health` case.

No middleware, no logging, no settings: the cost of FastAPI, Starlette and uvicorn alone.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    """Say that the process answers."""
    return {"status": "ok"}
