"""Settings come from defaults, the environment and .env files, and bad ones stop start-up."""

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from fast_api_template.app import _create_app_or_exit
from fast_api_template.config import (
    DEFAULT_SECRET_KEY,
    ENV_PREFIX,
    ConfigurationError,
    Environment,
    Settings,
    env_var_name,
    get_settings,
    load_settings,
)

STAGE_ROOT = Path(__file__).resolve().parents[1]
# Random for every run, as a real one would be.
GOOD_SECRET = secrets.token_urlsafe(32)
POSTGRES_URL = "postgresql+asyncpg://app:secret-password@db:5432/app"


@pytest.fixture(autouse=True)
def fresh_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def secure_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_ENV", "prod")
    monkeypatch.setenv("FAST_API_TEMPLATE_SECURITY__SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__URL", POSTGRES_URL)
    monkeypatch.setenv("FAST_API_TEMPLATE_REDIS__URL", "redis://:a-password@127.0.0.1:6379/0")


def all_variables(model: type[BaseModel], path: tuple[str, ...] = ()) -> set[str]:
    """Every environment variable that `model` reads, found by walking its fields."""
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= all_variables(annotation, (*path, field_name))
        else:
            names.add(env_var_name(*path, field_name))
    return names


# Defaults per environment


def test_dev_is_the_default_environment() -> None:
    settings = load_settings()

    assert settings.env is Environment.DEV
    assert settings.app.debug is True
    assert settings.database.url.get_secret_value() == "sqlite+aiosqlite:///./app.db"


def test_test_environment_uses_an_in_memory_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_ENV", "test")

    settings = load_settings()

    assert settings.env is Environment.TEST
    assert settings.app.debug is False
    assert settings.database.url.get_secret_value() == "sqlite+aiosqlite:///:memory:"


def test_production_starts_with_safe_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    secure_production(monkeypatch)

    settings = load_settings()

    assert settings.env is Environment.PROD
    assert settings.app.debug is False
    assert settings.database.echo is False
    assert settings.cors.allow_origins == []


# Environment variables


def test_environment_variables_set_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_APP__NAME", "tracker")
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__POOL_SIZE", "20")
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__URL", POSTGRES_URL)

    settings = load_settings()

    assert settings.app.name == "tracker"
    assert settings.database.pool_size == 20
    assert settings.database.url.get_secret_value() == POSTGRES_URL
    assert settings.database.max_overflow == 10  # siblings keep their defaults


def test_environment_variable_beats_the_profile_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_APP__DEBUG", "false")

    assert load_settings().app.debug is False


def test_origins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "FAST_API_TEMPLATE_CORS__ALLOW_ORIGINS", "https://a.example.com, https://b.example.com"
    )

    origins = load_settings().cors.allow_origins

    assert origins == ["https://a.example.com", "https://b.example.com"]


def test_secrets_stay_out_of_logs_and_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_SECURITY__SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__URL", POSTGRES_URL)

    settings = load_settings()

    assert GOOD_SECRET not in repr(settings)
    assert "secret-password" not in repr(settings)
    assert settings.security.secret_key.get_secret_value() == GOOD_SECRET


def test_get_settings_reads_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("FAST_API_TEMPLATE_APP__NAME", "changed")

    assert get_settings() is first
    assert get_settings().app.name == "fast_api_template"


# .env files


def test_env_file_of_the_environment_wins_over_dot_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "FAST_API_TEMPLATE_APP__NAME=from-dot-env\nFAST_API_TEMPLATE_DATABASE__POOL_SIZE=7\n"
    )
    (tmp_path / ".env.dev").write_text("FAST_API_TEMPLATE_APP__NAME=from-dot-env-dev\n")
    (tmp_path / ".env.prod").write_text("FAST_API_TEMPLATE_DATABASE__POOL_SIZE=99\n")

    settings = load_settings()

    assert settings.app.name == "from-dot-env-dev"
    assert settings.database.pool_size == 7  # .env.prod is not read in dev


def test_environment_variables_win_over_env_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env.dev").write_text("FAST_API_TEMPLATE_APP__NAME=from-file\n")
    monkeypatch.setenv("FAST_API_TEMPLATE_APP__NAME", "from-environment")

    assert load_settings().app.name == "from-environment"


def test_dot_env_can_choose_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FAST_API_TEMPLATE_ENV=test\n")
    (tmp_path / ".env.test").write_text("FAST_API_TEMPLATE_APP__NAME=from-test-file\n")

    settings = load_settings()

    assert settings.env is Environment.TEST
    assert settings.app.name == "from-test-file"


def test_dot_env_may_hold_variables_of_other_tools(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=compose-only\n")

    assert load_settings().env is Environment.DEV


# Production refuses unsafe settings


def test_production_reports_every_unsafe_setting_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_ENV", "prod")
    monkeypatch.setenv("FAST_API_TEMPLATE_APP__DEBUG", "true")
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__ECHO", "true")
    monkeypatch.setenv("FAST_API_TEMPLATE_CORS__ALLOW_ORIGINS", "*")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    named = {line.split(":")[0] for line in caught.value.problems}
    assert named == {
        "FAST_API_TEMPLATE_SECURITY__SECRET_KEY",
        "FAST_API_TEMPLATE_APP__DEBUG",
        "FAST_API_TEMPLATE_DATABASE__URL",
        "FAST_API_TEMPLATE_DATABASE__ECHO",
        "FAST_API_TEMPLATE_CORS__ALLOW_ORIGINS",
        "FAST_API_TEMPLATE_REDIS__URL",
    }
    assert str(caught.value).startswith("Refusing to start with FAST_API_TEMPLATE_ENV=prod:")


def test_production_needs_redis_for_the_login_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    secure_production(monkeypatch)
    monkeypatch.delenv("FAST_API_TEMPLATE_REDIS__URL")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert caught.value.problems == [
        "FAST_API_TEMPLATE_REDIS__URL: expected a Redis URL (without one, each worker counts "
        "failed logins on its own, and the limit multiplies by the workers)"
    ]


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://app@redis.internal:6380/0"])
def test_production_refuses_redis_without_a_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    secure_production(monkeypatch)
    monkeypatch.setenv("FAST_API_TEMPLATE_REDIS__URL", url)

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert [line.split(":")[0] for line in caught.value.problems] == [
        "FAST_API_TEMPLATE_REDIS__URL"
    ]
    assert "FAST_API_TEMPLATE_REDIS__PRIVATE_NETWORK=true" in caught.value.problems[0]
    # The message names the variable, never the URL.
    assert "6379" not in caught.value.problems[0]


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("redis://:a-password@127.0.0.1:6379/0", "false"),
        ("rediss://app:a-password@redis.internal:6380/0", "false"),
        ("redis://redis:6379/0", "true"),
    ],
)
def test_production_accepts_redis_with_a_password_or_on_a_private_network(
    monkeypatch: pytest.MonkeyPatch, url: str, private: str
) -> None:
    secure_production(monkeypatch)
    monkeypatch.setenv("FAST_API_TEMPLATE_REDIS__URL", url)
    monkeypatch.setenv("FAST_API_TEMPLATE_REDIS__PRIVATE_NETWORK", private)

    assert load_settings().redis.url is not None


def test_production_takes_previous_keys_only_if_they_were_good_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secure_production(monkeypatch)
    monkeypatch.setenv("FAST_API_TEMPLATE_SECURITY__PREVIOUS_SECRET_KEYS", f"{GOOD_SECRET[::-1]}")
    assert len(load_settings().security.previous_secret_keys) == 1

    monkeypatch.setenv(
        "FAST_API_TEMPLATE_SECURITY__PREVIOUS_SECRET_KEYS", f"{GOOD_SECRET[::-1]},short"
    )
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert [line.split(":")[0] for line in caught.value.problems] == [
        "FAST_API_TEMPLATE_SECURITY__PREVIOUS_SECRET_KEYS"
    ]


def test_production_refuses_a_short_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    secure_production(monkeypatch)
    monkeypatch.setenv("FAST_API_TEMPLATE_SECURITY__SECRET_KEY", "short")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert caught.value.problems == [
        "FAST_API_TEMPLATE_SECURITY__SECRET_KEY: expected at least 32 characters"
    ]


@pytest.mark.parametrize(
    "guessable", ["k" * 40, "ab" * 20, "0123456789" * 4, "password" * 5, "Password123!" * 3]
)
def test_production_refuses_a_guessable_secret_key(
    monkeypatch: pytest.MonkeyPatch, guessable: str
) -> None:
    secure_production(monkeypatch)
    monkeypatch.setenv("FAST_API_TEMPLATE_SECURITY__SECRET_KEY", guessable)

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert caught.value.problems == [
        "FAST_API_TEMPLATE_SECURITY__SECRET_KEY: repeats itself, so it is easy to guess; "
        "use a random one"
    ]


@pytest.mark.parametrize("make", [secrets.token_urlsafe, secrets.token_hex])
def test_production_accepts_a_generated_secret_key(
    monkeypatch: pytest.MonkeyPatch, make: Callable[[int], str]
) -> None:
    secure_production(monkeypatch)
    monkeypatch.setenv("FAST_API_TEMPLATE_SECURITY__SECRET_KEY", make(32))

    assert load_settings().env is Environment.PROD


@pytest.mark.parametrize("origins", ["null", "https://app.example.com,null"])
def test_production_refuses_the_null_origin(monkeypatch: pytest.MonkeyPatch, origins: str) -> None:
    secure_production(monkeypatch)
    monkeypatch.setenv("FAST_API_TEMPLATE_CORS__ALLOW_ORIGINS", origins)

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert caught.value.problems == [
        "FAST_API_TEMPLATE_CORS__ALLOW_ORIGINS: expected explicit origins, not * or null"
    ]


def test_settings_built_in_code_are_checked_too() -> None:
    with pytest.raises(ConfigurationError, match="development placeholder"):
        Settings(env=Environment.PROD, security={"secret_key": DEFAULT_SECRET_KEY})


# Malformed values


def test_malformed_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__POOL_SIZE", "abc")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert caught.value.problems == [
        "FAST_API_TEMPLATE_DATABASE__POOL_SIZE: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_every_malformed_value_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__POOL_SIZE", "0")
    monkeypatch.setenv("FAST_API_TEMPLATE_APP__DEBUG", "maybe")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert [line.split(":")[0] for line in caught.value.problems] == [
        "FAST_API_TEMPLATE_APP__DEBUG",
        "FAST_API_TEMPLATE_DATABASE__POOL_SIZE",
    ]


def test_unknown_environment_names_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_ENV", "staging")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert caught.value.problems == ["FAST_API_TEMPLATE_ENV: expected one of dev, test, prod"]


def test_an_unknown_environment_does_not_hide_the_other_problems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_ENV", "staging")
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__POOL_SIZE", "ten")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert [line.split(":")[0] for line in caught.value.problems] == [
        "FAST_API_TEMPLATE_ENV",
        "FAST_API_TEMPLATE_DATABASE__POOL_SIZE",
    ]


def test_database_url_needs_an_async_driver_and_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__URL", "postgresql://app:hunter2@db/app")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert caught.value.problems == [
        "FAST_API_TEMPLATE_DATABASE__URL: "
        "expected a URL starting with sqlite+aiosqlite:// or postgresql+asyncpg://"
    ]
    assert "hunter2" not in str(caught.value)


def test_misspelt_nested_variable_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_DATABASE__POOLSIZE", "3")

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    assert caught.value.problems == [
        "FAST_API_TEMPLATE_DATABASE__POOLSIZE: unknown setting (see .env.example)"
    ]


def test_start_up_fails_with_a_short_message(tmp_path: Path) -> None:
    # The real thing, once: a process that imports the app with a bad setting.
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)
    }
    result = subprocess.run(
        [sys.executable, "-c", "import fast_api_template.app"],
        env={**environment, "FAST_API_TEMPLATE_DATABASE__POOL_SIZE": "abc"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "FAST_API_TEMPLATE_DATABASE__POOL_SIZE: Input should be a valid integer" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_unsafe_production_settings_stop_the_app_with_their_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the process above shows, checked in this process: SystemExit carries the message,
    # and no exception is chained to it, so the interpreter prints no traceback.
    monkeypatch.setenv("FAST_API_TEMPLATE_ENV", "prod")

    with pytest.raises(SystemExit) as caught:
        _create_app_or_exit()

    message = str(caught.value.code)
    assert "FAST_API_TEMPLATE_SECURITY__SECRET_KEY: is the development placeholder" in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


# .env.example documents every setting


def test_env_example_lists_every_setting_and_nothing_else(tmp_path: Path) -> None:
    example = (STAGE_ROOT / ".env.example").read_text()
    assignments = re.findall(r"^# (FAST_API_TEMPLATE_\w+=.*)$", example, flags=re.MULTILINE)
    names = [line.split("=", 1)[0] for line in assignments]

    assert sorted(names) == sorted(all_variables(Settings))
    # Uncommented, the documented values are valid settings.
    (tmp_path / ".env").write_text("\n".join(assignments) + "\n")
    settings = load_settings()
    assert settings.security.secret_key.get_secret_value() == DEFAULT_SECRET_KEY


def test_every_setting_is_described() -> None:
    def undocumented(model: type[BaseModel], path: str = "") -> list[str]:
        missing = []
        for name, field in model.model_fields.items():
            if not field.description:
                missing.append(path + name)
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                missing += undocumented(annotation, f"{path}{name}.")
        return missing

    assert undocumented(Settings) == []
