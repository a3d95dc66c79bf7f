"""A failed statement's values reach no log line and no answer, on either database.

PostgreSQL quotes the values of a failed statement in its error's DETAIL line; SQLAlchemy
quotes the parameters bound to it, unless told not to. Neither may leave the service.
"""

import json
import logging
import sys

import pytest
from conftest import AppFactory, make_client
from failing_routes import PRIVATE_EMAIL, add_failing_routes
from log_capture import JsonLogLines

from fast_api_template.config import Environment, Settings
from fast_api_template.core.logging import make_formatter

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("env", [Environment.TEST, Environment.DEV])
async def test_a_failed_statement_shows_its_values_nowhere(
    make_app: AppFactory, settings: Settings, env: Environment
) -> None:
    # In dev, debug puts the error's message in the answer: the values are hidden there too.
    app = add_failing_routes(await make_app(settings.model_copy(update={"env": env})))
    with JsonLogLines() as handler:
        async with make_client(app) as client:
            response = await client.post("/test/duplicate")

    assert response.status_code == 500
    (error,) = handler.events("unhandled_exception")
    assert "IntegrityError" in error["exception"]
    assert PRIVATE_EMAIL not in response.text
    assert PRIVATE_EMAIL not in json.dumps(handler.lines)


@pytest.mark.parametrize("json_logs", [True, False], ids=["json", "console"])
def test_both_formats_hide_the_values_a_database_error_quotes(*, json_logs: bool) -> None:
    message = f"duplicate key\nDETAIL:  Key (email)=({PRIVATE_EMAIL}) already exists.\n[SQL: x]"
    try:
        raise RuntimeError(message)
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "bug", (), sys.exc_info())

    line = make_formatter(json_logs=json_logs).format(record)

    assert "DETAIL:  (hidden: it quotes values)" in line
    assert PRIVATE_EMAIL not in line
