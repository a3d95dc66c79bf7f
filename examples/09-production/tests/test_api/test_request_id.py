"""Request ids: a well-formed one is kept, anything else replaced, and it is always returned."""

import re

import httpx
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

GENERATED = re.compile(r"[0-9a-f]{32}")


async def test_a_well_formed_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123_x.y"})

    assert response.headers["x-request-id"] == "abc-123_x.y"


async def test_an_id_is_generated_per_request(client: httpx.AsyncClient) -> None:
    first = (await client.get("/health")).headers["x-request-id"]
    second = (await client.get("/health")).headers["x-request-id"]

    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "malformed",
    ["", "has space", "x" * 129, "tab\there", "semi;colon", 'quote"', "é"],
    ids=["empty", "space", "too-long", "tab", "semicolon", "quote", "non-ascii"],
)
async def test_a_malformed_id_is_replaced(client: httpx.AsyncClient, malformed: str) -> None:
    response = await client.get("/health", headers=[(b"x-request-id", malformed.encode())])

    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_an_id_of_128_characters_is_kept(client: httpx.AsyncClient) -> None:
    longest = "a" * 128

    response = await client.get("/health", headers={"X-Request-ID": longest})

    assert response.headers["x-request-id"] == longest
