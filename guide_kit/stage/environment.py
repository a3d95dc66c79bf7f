"""The environment a copied stage runs in: ours, minus what belongs to our own run.

Every command of the kit runs a stage through uv, from the stage's own lock file. What our
process carries for itself (its virtualenv, its test runner's and coverage's variables, the
stage package's settings) would otherwise leak into the stage's run and change what it does.
"""

from __future__ import annotations

import os
import shutil

from guide_kit import ports

# Variables of our own run: pytest's and pytest-xdist's, pytest-cov's, and the stages' settings
# (a stage reads its settings from its own files and tests, never from the caller's shell).
OWN_PREFIXES = ("PYTEST_", "COV_CORE_", "COVERAGE_", "FAST_API_TEMPLATE_")
# Our interpreter's own: they would point the stage's Python at our environment.
OWN_VARIABLES = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")


def uv_binary() -> str:
    """Return the uv that runs us (uv sets `UV` for the processes it starts), else uv on PATH.

    Raises:
        RuntimeError: No uv is to be found.

    """
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise RuntimeError("uv is needed to run a stage; see README.md")
    return found


def stage_environment() -> dict[str, str]:
    """Return the environment for uv and a stage's processes: ours, minus our own run's.

    With TEST_PORT_RANGE set, the stage's servers get this pytest-xdist worker's slice of it
    (the whole range outside pytest-xdist): the stage's own workers then split that slice, and
    never meet another worker's ports.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(OWN_PREFIXES)}
    for name in OWN_VARIABLES:
        env.pop(name, None)
    env["UV_NO_PROGRESS"] = "1"
    allowed = ports.port_range()
    if allowed is not None:
        ours = ports.worker_slice(allowed)
        env[ports.PORT_RANGE_VARIABLE] = f"{ours.start}-{ours.stop - 1}"
    return env
