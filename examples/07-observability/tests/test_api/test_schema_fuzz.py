"""Fuzz the API from its OpenAPI schema: no request, valid or not, may make it answer 500."""

from typing import Any

import hypothesis
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from fast_api_template.app import create_app
from fast_api_template.config import Settings


def test_no_request_makes_a_500(settings: Settings) -> None:
    # A sync test: schemathesis calls the app through its own event loop and runs the lifespan.
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    cases = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )

    @hypothesis.given(case=cases)
    @hypothesis.settings(
        max_examples=150,
        derandomize=True,  # the same requests on every run
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # report, don't shrink
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def no_server_error(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(checks=[not_a_server_error])

    no_server_error()
