"""The service plus the test-only routes, for a server run by test_http_server.py."""

from failing_routes import add_failing_routes

from fast_api_template.app import create_app

app = add_failing_routes(create_app())
