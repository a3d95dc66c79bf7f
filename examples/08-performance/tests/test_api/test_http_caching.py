"""A single resource carries an ETag; a client with a current copy gets 304 and no body."""

import logging
import re

import httpx
import pytest

from fast_api_template.core.logging import make_formatter

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


@pytest.fixture
async def urls(client: httpx.AsyncClient) -> dict[str, str]:
    """A project and a task, by the URLs that read them in each version."""
    project = (await client.post("/api/v2/projects", json={"name": "Garden"})).json()["id"]
    tasks = f"/api/v2/projects/{project}/tasks"
    task = (await client.post(tasks, json={"title": "Dig"})).json()["id"]
    return {
        "project": f"/api/v2/projects/{project}",
        "v1 task": f"/api/v1/projects/{project}/tasks/{task}",
        "v2 task": f"{tasks}/{task}",
    }


@pytest.mark.parametrize("resource", ["project", "v1 task", "v2 task"])
async def test_a_current_copy_is_not_sent_again(
    client: httpx.AsyncClient, urls: dict[str, str], resource: str
) -> None:
    first = await client.get(urls[resource])
    again = await client.get(urls[resource], headers={"If-None-Match": first.headers["etag"]})

    assert first.status_code == 200
    assert first.headers["etag"].startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == first.headers["etag"]


async def test_a_change_gives_a_new_etag(client: httpx.AsyncClient, urls: dict[str, str]) -> None:
    before = (await client.get(urls["project"])).headers["etag"]
    await client.patch(urls["project"], json={"description": "Vegetables"})

    after = await client.get(urls["project"], headers={"If-None-Match": before})

    assert after.status_code == 200
    assert after.headers["etag"] != before
    assert after.json()["description"] == "Vegetables"


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        pytest.param('W/"project-0-0.000000"', 200, id="another-tag"),
        pytest.param("*", 304, id="any"),
        pytest.param('"other", {etag}', 304, id="in-a-list"),
        pytest.param("{strong}", 304, id="strong-form"),
    ],
)
async def test_if_none_match_follows_rfc_9110(
    client: httpx.AsyncClient, urls: dict[str, str], if_none_match: str, status: int
) -> None:
    etag = (await client.get(urls["project"])).headers["etag"]
    header = if_none_match.format(etag=etag, strong=etag.removeprefix("W/"))

    response = await client.get(urls["project"], headers={"If-None-Match": header})

    assert response.status_code == status


async def test_another_users_resource_is_still_not_found(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    etag = (await client.get(urls["project"])).headers["etag"]

    response = await anonymous.get(urls["project"], headers={"If-None-Match": etag})

    assert response.status_code == 401  # the ETag opens nothing


ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


class ConsoleLines(logging.Handler):
    """The log lines written while it is attached, in the console format."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(make_formatter(json_logs=False))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(ANSI_COLOUR.sub("", self.format(record)))


async def test_a_304_is_logged_as_the_number_304(
    client: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    first = await client.get(urls["project"])
    lines = ConsoleLines()
    # A handler of the root logger sees every line, whichever loggers structlog has cached.
    logging.getLogger().addHandler(lines)
    try:
        await client.get(urls["project"], headers={"If-None-Match": first.headers["etag"]})
    finally:
        logging.getLogger().removeHandler(lines)

    (access,) = [line for line in lines.lines if "fast_api_template.access" in line]
    # An HTTPStatus would render as "<HTTPStatus.NOT_MODIFIED: 304>" in the console format. A
    # test before this one may have left structlog rendering JSON itself: either way, a number.
    assert re.search(r"""\bstatus(?:=|": ?)304\b""", access), access
