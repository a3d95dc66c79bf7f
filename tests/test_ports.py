"""Every server that the kit's or a stage's tests start listens inside TEST_PORT_RANGE.

The helper is `guide_kit/ports.py` for the kit, and `tests/ports.py`, the same code, in each stage
from the first that starts servers (03); the stages' own `tests/test_ports.py` test it there.
"""

from __future__ import annotations

import ast
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from guide_kit import ports
from guide_kit.paths import ROOT
from guide_kit.site import serve_site
from guide_kit.stage import stage_dirs, stage_environment

# Servers started in a row, the most that one test asks for.
SERVERS = 8


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> range:
    """TEST_PORT_RANGE for the test, outside pytest-xdist: this worker's slice of the run's
    range when it has one, else 64 ports from one that is free now."""
    configured = ports.port_range()
    if configured is None:
        low = min(ports.free_port(), ports.MAX_PORT - 63)
        chosen = range(low, low + 64)
    else:
        chosen = ports.worker_slice(configured)
    if len(chosen) < 2 * SERVERS:
        pytest.skip(f"TEST_PORT_RANGE gives this worker fewer than {2 * SERVERS} ports")
    monkeypatch.setenv(ports.PORT_RANGE_VARIABLE, f"{chosen.start}-{chosen.stop - 1}")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    return chosen


def test_the_kit_never_picks_a_port_outside_the_range(allowed: range) -> None:
    picked = [ports.free_port() for _ in range(SERVERS)]

    assert all(port in allowed for port in picked), picked
    assert len(set(picked)) == SERVERS


def test_the_built_site_is_served_inside_the_range(allowed: range, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hello</p>")

    with serve_site(tmp_path) as url:
        port = urlsplit(url).port
        with urllib.request.urlopen(url) as response:  # noqa: S310 -- our own local server
            body = response.read()

    assert port in allowed
    assert body == b"<p>hello</p>"


def test_a_stage_suite_gets_this_workers_slice(
    allowed: range, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    half = len(allowed) // 2

    handed = stage_environment()[ports.PORT_RANGE_VARIABLE]

    assert handed == f"{allowed.start + half}-{allowed.start + 2 * half - 1}"


@pytest.mark.parametrize("value", ["20000", "ports", "20999-20000", "0-10", "1-65536"])
def test_a_bad_value_is_a_clear_error_naming_the_variable(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ports.PORT_RANGE_VARIABLE, value)

    with pytest.raises(ports.PortRangeError, match=rf"^TEST_PORT_RANGE='{re.escape(value)}'"):
        ports.free_port()


def code_of(path: Path) -> str:
    """A module's code without its docstring and `from __future__` imports, normalised."""
    module = ast.parse(path.read_text())
    body = [
        node
        for node in module.body[1:]
        if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]
    return ast.unparse(ast.Module(body=body, type_ignores=[]))


def stages_with_servers() -> list[Path]:
    return [stage for stage in stage_dirs() if (stage / "tests" / "faults.py").is_file()]


def test_each_stage_that_starts_servers_has_the_kits_helper() -> None:
    stages = stages_with_servers()

    assert stages[0].name == "03-database"
    for stage in stages:
        assert code_of(stage / "tests" / "ports.py") == code_of(ROOT / "guide_kit" / "ports.py")


# A listening address with port 0 (the system's choice), outside the helper: `("127.0.0.1", 0)`
# or asyncio's `start_server(handler, host, 0)`.
SYSTEM_PORT = re.compile(r"""\(\s*["'](?:127\.0\.0\.1|localhost|0\.0\.0\.0)["']\s*,\s*0\s*\)""")


def test_no_server_picks_its_own_port_outside_the_helper() -> None:
    files = [
        *(ROOT / "tests").glob("*.py"),
        *(ROOT / "benchmarks").rglob("*.py"),
        *(path for stage in stage_dirs() for path in (stage / "tests").rglob("*.py")),
    ]
    helpers = {"ports.py", "test_ports.py"}

    offenders = {
        path.relative_to(ROOT).as_posix()
        for path in files
        if path.name not in helpers and SYSTEM_PORT.search(path.read_text())
    }

    assert offenders == set(), "bind through ports.free_port or ports.bound_socket instead"
