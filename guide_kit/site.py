"""The built site: building it with MkDocs, checking its links, and serving it on loopback.

The site tests and the browser tests read one build of the guide; `build_site_once` lets the
workers of one pytest-xdist run share it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from guide_kit.lock import file_lock
from guide_kit.paths import CONFIG
from guide_kit.ports import free_port
from guide_kit.process import run_tool


@dataclass(frozen=True)
class BuiltSite:
    """The guide built once by `mkdocs build --strict`, and what the build said."""

    directory: Path
    returncode: int
    output: str
    site_url: str

    @property
    def root_path(self) -> str:
        """The URL path that the published site lives under, e.g. `/fastapi-structure-guide/`."""
        return urlsplit(self.site_url).path or "/"


def site_url() -> str:
    """Return the `site_url` of `mkdocs.yml`, read as text (the file holds YAML tags of MkDocs)."""
    match = re.search(r"^site_url:\s*(\S+)\s*$", CONFIG.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else "/"


def build_site(site_dir: Path) -> BuiltSite:
    """Build the guide with `mkdocs build --strict` into `site_dir`."""
    result = run_tool("mkdocs", "build", "--strict", "--site-dir", str(site_dir))
    return BuiltSite(site_dir, result.returncode, result.stdout + result.stderr, site_url())


def build_site_once(site_dir: Path) -> BuiltSite:
    """Build the guide into `site_dir`, unless another process of this test run already did.

    The workers of one pytest-xdist run share a parent folder; the first worker that needs the
    site builds it under a lock and records the result, and the others read that record.
    """
    record = site_dir.with_name(f"{site_dir.name}.json")
    with file_lock(site_dir.with_name(f"{site_dir.name}.lock")):
        if record.is_file():
            fields = json.loads(record.read_text(encoding="utf-8"))
            return BuiltSite(Path(fields.pop("directory")), **fields)
        built = build_site(site_dir)
        fields = {
            "directory": str(built.directory),
            "returncode": built.returncode,
            "output": built.output,
            "site_url": built.site_url,
        }
        record.write_text(json.dumps(fields), encoding="utf-8")
        return built


def site_pages(site_dir: Path) -> list[str]:
    """List the pages of a built site as URL paths from its root: "" for the home, "a/b/" ..."""
    pages = [path.parent.relative_to(site_dir).as_posix() for path in site_dir.rglob("index.html")]
    return sorted("" if page == "." else f"{page}/" for page in pages)


class _PageParser(HTMLParser):
    """Collect the ids of a page, and the links and resources it points to."""

    LINKING = frozenset({("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif (tag, name) in self.LINKING:
                self.links.append(value)


def _parse_page(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def page_ids(path: Path) -> set[str]:
    """Return the ids of a built page: what a `#fragment` can point at."""
    return _parse_page(path).ids


def link_problems(site_dir: Path, site_url: str = "/") -> list[str]:
    """Find broken internal links and anchors in every HTML file of a built site.

    A link is internal when it is relative, starts with the site's root path, or starts with
    the site's own URL. Its file must exist (a folder means its `index.html`), and its
    `#fragment`, if any, must be an id of the page it points to. Links to other hosts are not
    followed: the check runs offline.
    """
    root_url = site_url if site_url.endswith("/") else f"{site_url}/"
    root_path = urlsplit(root_url).path or "/"
    base = "http://site.invalid"
    parsed: dict[Path, _PageParser] = {}

    def parse(path: Path) -> _PageParser:
        if path not in parsed:
            parsed[path] = _parse_page(path)
        return parsed[path]

    def target_file(path: str) -> Path | None:
        if not path.startswith(root_path):
            return None
        relative = unquote(path.removeprefix(root_path))
        candidate = site_dir / relative
        if relative == "" or relative.endswith("/") or candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate

    problems: list[str] = []
    for page in sorted(site_dir.rglob("*.html")):
        page_path = root_path + page.relative_to(site_dir).as_posix()
        for link in parse(page).links:
            if link.startswith(root_url) and root_url.startswith(("http://", "https://")):
                link = root_path + link.removeprefix(root_url)
            url = urlsplit(urljoin(base + page_path, link))
            if f"{url.scheme}://{url.netloc}" != base:
                continue  # another host, or mailto:, data: and the like
            where = f"{page.relative_to(site_dir).as_posix()}: {link}"
            target = target_file(url.path)
            if target is None or not target.is_file():
                problems.append(f"{where}: no such file")
            elif (
                url.fragment
                and target.suffix == ".html"
                and unquote(url.fragment) not in parse(target).ids
            ):
                problems.append(f"{where}: no such anchor")
    return problems


@contextmanager
def serve_site(site_dir: Path, root_path: str = "/") -> Iterator[str]:
    """Serve a built site on the loopback interface, under `root_path` as it is published.

    Yields the site's base URL. A path outside the site, or a missing file, gets the site's
    `404.html` with status 404, as on GitHub Pages.
    """
    not_found = site_dir / "404.html"

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            clean = urlsplit(path).path
            if not clean.startswith(root_path):
                return str(site_dir / "\0missing")
            return super().translate_path("/" + clean.removeprefix(root_path))

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            if code != HTTPStatus.NOT_FOUND or not not_found.is_file():
                super().send_error(code, message, explain)
                return
            body = not_found.read_bytes()
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            """Pass over a browser that moves on and closes its connections early: no error."""

    handler = partial(Handler, directory=str(site_dir))
    # A port of this worker's, inside TEST_PORT_RANGE when it is set.
    server = Server(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{root_path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
