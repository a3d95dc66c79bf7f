"""Structured logging: one format for our lines, the standard library's and uvicorn's.

structlog builds and renders our lines; the standard library's `logging` routes every line
to its handlers, so that a handler someone adds (an error tracker's, pytest's) sees them all.
Our lines are rendered once, by structlog, and the root handler writes them as they are; a
line from `logging.getLogger()` or uvicorn is rendered by the same processors on the handler
(`structlog.stdlib.ProcessorFormatter`). Both come out the same way: a JSON object a line in
production, readable columns in development.

Rendering once matters on the hot path: the access line of every request. Handing structlog's
event to `logging` to render there costs a second record and a second pass over the event;
the guide's page on the edge measures the difference.
"""

import io
import logging
import re
import sys
from typing import Any, Final, TextIO

import orjson
import structlog
from structlog.typing import EventDict, ExcInfo, Processor, WrappedLogger

HANDLER_NAME: Final = "fast_api_template"
"""The name of the root handler that `configure_logging` installs (and replaces)."""

_FIRST_KEYS: Final = ("timestamp", "level", "logger", "event", "request_id")

# The attribute that marks a record whose message structlog has rendered already.
RENDERED: Final = "rendered_by_structlog"


def _drop_copies(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Remove copies of the event that `ExtraAdder` would take for extra fields.

    uvicorn attaches `color_message` (the event with ANSI colours), and a record that another
    handler formatted first has `message` (the event again).
    """
    event_dict.pop("color_message", None)
    event_dict.pop("message", None)
    return event_dict


def _key_order(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Put the fields a person scans first at the start of a JSON line."""
    ordered = {key: event_dict[key] for key in _FIRST_KEYS if key in event_dict}
    ordered.update(event_dict)
    return ordered


# PostgreSQL explains a failed statement in a DETAIL line that quotes the values involved:
# "Key (email)=(ada@example.com) already exists", "Failing row contains (...)".
_DETAIL = re.compile(r"^(DETAIL:\s*).*$", flags=re.MULTILINE)


def redact_values(message: str) -> str:
    """Remove the values that a database error message quotes, for logs and answers.

    The engine already hides a statement's bound parameters (`hide_parameters`, db.py);
    this hides the server's own explanation, which can quote the same values.
    """
    return _DETAIL.sub(r"\1(hidden: it quotes values)", message)


def _redact_exception(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Redact the traceback that `format_exc_info` rendered into the `exception` field."""
    if isinstance(exception := event_dict.get("exception"), str):
        event_dict["exception"] = redact_values(exception)
    return event_dict


def _plain_redacted_traceback(sio: TextIO, exc_info: ExcInfo) -> None:
    """Write a plain traceback, as structlog's console renderer would, values redacted."""
    buffer = io.StringIO()
    structlog.dev.plain_traceback(buffer, exc_info)
    sio.write(redact_values(buffer.getvalue()))


# --8<-- [start:processors]
# Run on every record: structlog's own, and (as foreign_pre_chain) the standard library's.
SHARED_PROCESSORS: Final[tuple[Processor, ...]] = (
    structlog.contextvars.merge_contextvars,  # request_id, bound by the edge middleware
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
)
# Run on the standard library's records only: structlog's have no `extra` and no copies.
FOREIGN_PROCESSORS: Final[tuple[Processor, ...]] = (
    structlog.stdlib.ExtraAdder(),  # logging's `extra={...}` becomes fields too
    _drop_copies,
)


def _orjson_dumps(event: Any, **options: Any) -> str:
    """Serialise with orjson, which writes bytes in one call, instead of the json module."""
    return orjson.dumps(event, default=options.get("default")).decode()


def renderers(*, json_logs: bool) -> list[Processor]:
    """Return the processors that turn an event into its line, as JSON or console columns."""
    if json_logs:
        return [
            structlog.processors.format_exc_info,
            _redact_exception,
            _key_order,
            structlog.processors.JSONRenderer(serializer=_orjson_dumps),
        ]
    # Plain tracebacks: the default, rich's, highlights every frame's source file, which
    # takes seconds for each logged error.
    return [structlog.dev.ConsoleRenderer(exception_formatter=_plain_redacted_traceback)]


# --8<-- [start:render_once]
class _Rendering:
    """The end of structlog's chain, which renders a line in the format configured last.

    structlog keeps the chain a logger had when it was bound (and, cached, on first use), so
    a format fixed in the chain would outlive a later `configure_logging`. This step looks the
    format up on each line instead, at the cost of one call.
    """

    def __init__(self) -> None:
        self.processors = renderers(json_logs=False)

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> Any:
        """Run the current renderers over the event."""
        rendered: Any = event_dict
        for processor in self.processors:
            rendered = processor(logger, method_name, rendered)
        return rendered


_rendering = _Rendering()


def _hand_to_logging(_: WrappedLogger, __: str, line: Any) -> tuple[tuple[Any], dict[str, Any]]:
    """Pass structlog's rendered line to `logging`, marked to be written as it is."""
    return (line,), {"extra": {RENDERED: True}}


class LineFormatter(structlog.stdlib.ProcessorFormatter):
    """Write structlog's lines as rendered; render the standard library's the same way."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the line of a record."""
        if getattr(record, RENDERED, False):
            return record.getMessage()
        return super().format(record)


# --8<-- [end:render_once]


def make_formatter(*, json_logs: bool) -> logging.Formatter:
    """Make the formatter of the root handler, for lines as JSON or as console columns."""
    return LineFormatter(
        foreign_pre_chain=[*SHARED_PROCESSORS, *FOREIGN_PROCESSORS],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *renderers(json_logs=json_logs),
        ],
    )


# --8<-- [end:processors]


# --8<-- [start:configure]
def configure_logging(level: str = "INFO", *, json_logs: bool = False) -> None:
    """Send every log record, ours and the libraries', through one structlog formatter.

    Safe to call more than once (each app calls it when built and when started): the handler
    it installed before is replaced, and handlers that others added (pytest's) are kept.

    Args:
        level: The lowest level written.
        json_logs: One JSON object a line (production) instead of console columns.

    """
    _rendering.processors = renderers(json_logs=json_logs)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            _rendering,
            _hand_to_logging,
        ],
        # The standard library's own loggers: structlog's factory makes loggers that look for
        # the calling frame on every line, for a file name and line number we never print.
        logger_factory=logging.getLogger,
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(make_formatter(json_logs=json_logs))
    # On the handler too: uvicorn's loggers have levels of their own, which let their INFO
    # records through to the root's handlers whatever the root's level.
    handler.setLevel(level)

    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    _route_uvicorn_logs()


# --8<-- [end:configure]


def _route_uvicorn_logs() -> None:
    """Make uvicorn's loggers propagate to the root handler instead of using their own."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # The edge writes one access line per request, with its id and duration (api/middleware.py).
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
