"""Capture of the log lines written while a test runs, as production renders them."""

import json
import logging
from types import TracebackType
from typing import Any, Self

from fast_api_template.core.logging import configure_logging, make_formatter


class JsonLogLines(logging.Handler):
    """The log lines written inside `with JsonLogLines() as lines:`, parsed back.

    Inside, logging is configured as in production, JSON lines; afterwards, as the tests
    have it by default. The app's own lines are rendered once, where they are logged, so
    the format must be JSON there, not only in this handler.

    Args:
        lowest: The lowest level written inside, as the setting `log.level` names it.

    """

    def __init__(self, lowest: str = "INFO") -> None:
        super().__init__()
        self.setFormatter(make_formatter(json_logs=True))
        self.lines: list[dict[str, Any]] = []
        self.lowest = lowest

    def __enter__(self) -> Self:
        configure_logging(self.lowest, json_logs=True)
        logging.getLogger().addHandler(self)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        logging.getLogger().removeHandler(self)
        configure_logging()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's line, parsed."""
        self.lines.append(json.loads(self.format(record)))

    def events(self, event: str) -> list[dict[str, Any]]:
        """Return the lines whose event is `event`."""
        return [line for line in self.lines if line["event"] == event]
