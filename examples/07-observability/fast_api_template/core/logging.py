"""Structured logging: one format for our lines, the standard library's and uvicorn's.

structlog builds the event dictionaries; the standard library's `logging` routes them. A
`structlog.stdlib.ProcessorFormatter` on the root handler renders both kinds of record, so a
line from `structlog.stdlib.get_logger()`, one from `logging.getLogger()` and one from uvicorn
all come out the same way: a JSON object a line in production, readable columns in development.
"""

import logging
import sys
from typing import Final

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

HANDLER_NAME: Final = "fast_api_template"
"""The name of the root handler that `configure_logging` installs (and replaces)."""

_LOGGED_MARK: Final = "__fast_api_template_logged__"
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
        [structlog.processors.format_exc_info, _key_order, structlog.processors.JSONRenderer()]
        if json_logs
        # Plain tracebacks: the default, rich's, highlights every frame's source file, which
        # takes seconds for each logged error.
        else [structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)]
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


# --8<-- [start:uvicorn]
def _route_uvicorn_logs() -> None:
    """Make uvicorn's loggers propagate to the root handler instead of using their own."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # RequestIdMiddleware writes one access line per request, with its id and duration.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    error_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, SkipLoggedExceptions) for f in error_logger.filters):
        error_logger.addFilter(SkipLoggedExceptions())


# --8<-- [end:uvicorn]


def mark_logged(exc: BaseException) -> None:
    """Note that `exc` was logged with its request, so that the server does not log it again."""
    setattr(exc, _LOGGED_MARK, True)


class SkipLoggedExceptions(logging.Filter):
    """Drop uvicorn's "Exception in ASGI application" record for an error we logged.

    Starlette re-raises every unhandled exception after our handler has answered 500 and
    logged it with the request id; uvicorn would then log the same traceback a second time,
    without the request id.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record unless its exception was marked by `mark_logged`."""
        exc = record.exc_info[1] if record.exc_info else None
        return not getattr(exc, _LOGGED_MARK, False)
