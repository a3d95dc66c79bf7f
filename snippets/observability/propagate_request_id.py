"""One request id across two services: the caller passes its id on, the callee keeps it.

`orders` calls `billing` over HTTP. Each service binds the request id to its logging context;
`orders` sends its id along in the `X-Request-ID` header, so both services log the same id,
and one search in the log pipeline finds the whole story.
"""

import asyncio
import uuid

import httpx
import structlog
from fastapi import FastAPI, Request

structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.JSONRenderer(sort_keys=True),
    ]
)
log = structlog.get_logger()
REQUEST_ID = "X-Request-ID"


def request_id_of(request: Request) -> str:
    """Keep the caller's id, or make one when the request arrives without."""
    return request.headers.get(REQUEST_ID) or uuid.uuid4().hex


billing = FastAPI()


@billing.post("/invoices")
async def create_invoice(request: Request) -> dict[str, str]:
    """Bill an order."""
    with structlog.contextvars.bound_contextvars(
        request_id=request_id_of(request), service="billing"
    ):
        log.info("invoice created")
        return {"invoice": "INV-1"}


orders = FastAPI()


@orders.post("/orders")
async def create_order(request: Request) -> dict[str, str]:
    """Take an order, and ask billing for an invoice with the same request id."""
    request_id = request_id_of(request)
    with structlog.contextvars.bound_contextvars(request_id=request_id, service="orders"):
        log.info("order received")
        transport = httpx.ASGITransport(app=billing)
        async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
            # Pass the id on: billing's lines will carry it too.
            invoice = await client.post("/invoices", headers={REQUEST_ID: request_id})
        log.info("order billed", invoice=invoice.json()["invoice"])
        return {"order": "ORD-1"}


async def main() -> None:
    """Play the client: a request that arrives with the id a gateway gave it."""
    transport = httpx.ASGITransport(app=orders)
    async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
        await client.post("/orders", headers={REQUEST_ID: "gw-4f1c"})


asyncio.run(main())
