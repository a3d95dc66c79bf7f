"""The FastAPI application: the one place where the service is assembled."""

from fastapi import FastAPI
from pydantic import BaseModel

# --8<-- [start:app]
app = FastAPI(title="fast_api_template", version="0.1.0")


class Health(BaseModel):
    """The body of a health check."""

    status: str


@app.get("/health", tags=["health"])
async def health() -> Health:
    """Tell a load balancer or a person that the process answers."""
    return Health(status="ok")


# --8<-- [end:app]
