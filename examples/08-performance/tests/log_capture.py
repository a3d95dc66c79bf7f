"""Capture of the log lines written while a test runs, as production renders them."""

import json
import logging
from typing import Any

from fast_api_template.core.logging import make_formatter


class JsonLogLines(logging.Handler):
    """The log lines written while a test runs, rendered as in production and parsed back."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(make_formatter(json_logs=True))
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Render the record as the app's handler would in prod, and keep the parsed line."""
        self.lines.append(json.loads(self.format(record)))

    def events(self, event: str) -> list[dict[str, Any]]:
        """Return the lines whose event is `event`."""
        return [line for line in self.lines if line["event"] == event]
