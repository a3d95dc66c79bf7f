"""The browser that drives the site tests: which Chromium, started how, and whether it must be."""

from __future__ import annotations

import os
import shutil

# Browsers that drive the site tests, in order of preference. First Chromium's headless shell
# (Debian's `chromium-headless-shell`, the build that Playwright itself runs headless): the
# full browser's engine without its window machinery. On a two-core machine, its processes
# took the walk of every page in 68 CPU-seconds against the full browser's 74 (their CPU time
# summed from /proc over one walk each). Then Debian's full browser, Ubuntu's name for it, and
# the Google Chrome of GitHub's runners.
CHROMIUM_NAMES = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
# Flags for a quiet, offline, headless browser in a container: no sandbox (CI runs as root),
# no GPU, and none of the browser's own calls home.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
)


def find_chromium() -> str | None:
    """Return the path of an installed Chromium or Chrome, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/local/bin")
        if found:
            return found
    return None


def services_required() -> bool:
    """Say whether a missing service or program must fail the tests instead of skipping them."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"
