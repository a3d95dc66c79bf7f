"""Report which routes a stage serves, and the versions of the libraries that serve it.

Run by the runner, with a stage's folder as working directory and under the interpreter that
will serve it: `python -P probe.py "GET /health" "POST /api/v2/users"`. Prints one JSON object.
Importing the stage's app builds it (no server, no database connection); each stage needs a
process of its own, since they all name their package `fast_api_template`.
"""

import importlib
import importlib.metadata
import json
import platform
import sys
from pathlib import Path

from starlette.routing import Match

LIBRARIES = ("fastapi", "starlette", "pydantic", "uvicorn", "sqlalchemy", "uvloop", "httptools")


def serves(app: object, method: str, path: str) -> bool:
    """Whether a route of `app` matches the method and the (concrete) path fully."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    routes = getattr(getattr(app, "router", None), "routes", [])
    return any(route.matches(scope)[0] is Match.FULL for route in routes)


def version_of(name: str) -> str | None:
    """Return the installed version of a distribution, or None."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def main(routes: list[str]) -> None:
    """Import the stage's app and print what it serves of `routes`, and the library versions."""
    sys.path.insert(0, str(Path.cwd()))
    app = importlib.import_module("fast_api_template.app").app
    missing = [route for route in routes if not serves(app, *route.split(" ", 1))]
    report = {
        "missing": missing,
        "python": platform.python_version(),
        "libraries": {name: version_of(name) for name in LIBRARIES},
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
