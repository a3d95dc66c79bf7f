"""Structured logging: one format for our lines, the standard library's and uvicorn's.

structlog builds the event dictionaries; the standard library's `logging` routes them. A
`structlog.stdlib.ProcessorFormatter` on the root handler renders both kinds of record, so a
line from `structlog.stdlib.get_logger()`, one from `logging.getLogger()` and one from uvicorn
all come out the same way: a JSON object a line in production, readable columns in development.
"""

import io
import logging
import re
import sys
from typing import Final, TextIO

import structlog
from structlog.typing import EventDict, ExcInfo, Processor, WrappedLogger

HANDLER_NAME: Final = "fast_api_template"
"""The name of the root handler that `configure_logging` installs (and replaces)."""

_FIRST_KEYS: Final = ("timestamp", "level", "logger", "event", "request_id")


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
    structlog.contextvars.merge_contextvars,  # request_id, bound by RequestIdMiddleware
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),  # logging's `extra={...}` becomes fields too
    _drop_copies,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
)


def make_formatter(*, json_logs: bool) -> logging.Formatter:
    """Make the formatter that renders every record, as JSON or as console columns."""
    renderers: list[Processor] = (
        [
            structlog.processors.format_exc_info,
            _redact_exception,
            _key_order,
            structlog.processors.JSONRenderer(),
        ]
        if json_logs
        # Plain tracebacks: the default, rich's, highlights every frame's source file, which
        # takes seconds for each logged error.
        else [structlog.dev.ConsoleRenderer(exception_formatter=_plain_redacted_traceback)]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
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
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
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
    # RequestIdMiddleware writes one access line per request, with its id and duration.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
