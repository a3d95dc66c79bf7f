"""The SQL statements that one request runs, read from a server's SQL log.

Start the server with its statements logged (a stage: `settings={"DATABASE__ECHO": "true"}`;
a single-file app: its own switch), then call `statements_of(server, path, headers)`. Use
servers of their own for this: logging every statement slows a server down, so the servers
that are measured log none. Cases use it to check that two apps do the same work, or to count
what a request costs in statements (N+1 queries: constant or growing with the rows).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from benchmarks.load import BenchmarkError
from benchmarks.servers import Server

# A statement as SQLAlchemy's echo logs it: its time, then the statement's first line.
_ECHO_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO sqlalchemy\.engine\.Engine (?P<message>.*)$"
)
# Lines of the other loggers: a stage's JSON lines, uvicorn's plain ones.
_OTHER_LOG_LINES = ("{", "INFO:", "WARNING:", "ERROR:")


def statements_of(server: Server, path: str, headers: Mapping[str, str]) -> list[str]:
    """Return the statements that a `GET path` runs on a server that logs its SQL.

    The path is requested twice and the second request's statements are returned: the first
    request of an engine also asks the database server for its version and settings.

    Raises:
        BenchmarkError: A request did not answer 200.

    """
    with httpx.Client(base_url=server.url, headers=dict(headers), timeout=30) as client:
        _ok(client.get(path))
        start = server.log.stat().st_size
        _ok(client.get(path))
    with server.log.open(encoding="utf-8", errors="replace") as log:
        log.seek(start)
        return parse_statements(log.read())


def _ok(response: httpx.Response) -> None:
    if response.status_code != httpx.codes.OK:
        raise BenchmarkError(
            f"GET {response.request.url.path} answered {response.status_code}: "
            f"{response.text[:500]}"
        )


def parse_statements(log: str) -> list[str]:
    """Return the statements in a SQL log, one line each, without their parameters."""
    statements: list[list[str]] = []
    in_statement = False
    for line in log.splitlines():
        echoed = _ECHO_LINE.match(line)
        if echoed:
            statements.append([echoed.group("message")])
            in_statement = True
        elif in_statement and not line.startswith(_OTHER_LOG_LINES):
            statements[-1].append(line)  # the statement goes on over several lines
        else:
            in_statement = False
    joined = [" ".join(" ".join(lines).split()) for lines in statements]
    # "[generated in 0.0002s] (1, 101)": the parameters and timing of the statement before.
    return [statement for statement in joined if not statement.startswith("[")]


def gist(statement: str) -> str:
    """Shorten a statement to its verb and first table: `SELECT tasks`."""
    table = re.search(r"\bFROM (\w+)", statement)
    verb = statement.split()[0]
    return f"{verb} {table.group(1)}" if table else statement
