"""The API settings: v1's retirement dates, checked when the settings are read."""

import pytest
from pydantic import ValidationError

from fast_api_template.config import ApiSettings, ConfigurationError, load_settings


def test_dates_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_API__V1_DEPRECATED_AT", "2027-01-01T00:00:00+01:00")
    monkeypatch.setenv("FAST_API_TEMPLATE_API__V1_SUNSET_AT", "2028-01-01T00:00:00Z")

    settings = load_settings()

    assert settings.api.v1_deprecated_at.isoformat() == "2027-01-01T00:00:00+01:00"
    assert settings.api.v1_sunset_at.year == 2028


def test_sunset_must_follow_deprecation() -> None:
    with pytest.raises(ValidationError, match="must come after"):
        ApiSettings.model_validate(
            {"v1_deprecated_at": "2027-01-01T00:00:00Z", "v1_sunset_at": "2026-01-01T00:00:00Z"}
        )


def test_a_date_without_a_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_API__V1_SUNSET_AT", "2028-01-01T00:00:00")

    with pytest.raises(ConfigurationError, match="FAST_API_TEMPLATE_API__V1_SUNSET_AT"):
        load_settings()
