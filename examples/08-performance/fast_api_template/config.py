"""Configuration: every setting with its type, default and documentation, read from the environment.

Values come from, highest priority first:

1. environment variables, such as `FAST_API_TEMPLATE_DATABASE__URL`;
2. the file `.env.<env>` in the working directory, such as `.env.prod`;
3. the file `.env` in the working directory;
4. the defaults of the environment (`dev`, `test` or `prod`), see `PROFILE_DEFAULTS`;
5. the defaults written on the fields below.

`FAST_API_TEMPLATE_ENV` picks the environment. It is read first, from the process environment
or from `.env`, because it decides which other file is read.
"""

import os
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SettingsSourceError

ENV_PREFIX: Final = "FAST_API_TEMPLATE_"
NESTED_DELIMITER: Final = "__"
ENV_VAR: Final = f"{ENV_PREFIX}ENV"

# Only a development placeholder: production refuses to start with it.
DEFAULT_SECRET_KEY: Final = "dev-insecure-secret-key-change-me"  # noqa: S105
MIN_SECRET_KEY_LENGTH: Final = 32
DATABASE_SCHEMES: Final = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
REDIS_SCHEMES: Final = ("redis://", "rediss://")
# OWASP's floor for Argon2id (19 MiB, 2 iterations); the default is above it.
MIN_PASSWORD_MEMORY_COST: Final = 19456


class Environment(StrEnum):
    """Where the service runs; it selects defaults and the `.env.<env>` file."""

    DEV = "dev"
    TEST = "test"
    PROD = "prod"


# --8<-- [start:settings]
class AppSettings(BaseModel):
    """The web application itself."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        default="fast_api_template",
        min_length=1,
        description="Service name, shown as the title of the OpenAPI document.",
    )
    debug: bool = Field(
        default=False,
        description=(
            "Show an unhandled error's type and message in its 500 answer. "
            "On by default in dev only."
        ),
    )
    max_body_size: int = Field(
        default=1_048_576,
        ge=0,
        description="Largest request body accepted, in bytes; a larger one is answered 413.",
    )
    public_docs: bool = Field(
        default=False,
        description=(
            "Serve the OpenAPI documents and the docs pages (/docs, /redoc, /api/v1/docs...) "
            "to anyone. On by default in dev and test only: they map every route for an "
            "attacker, and Swagger UI loads its scripts from a CDN."
        ),
    )
    # NoDecode: the variable is a plain comma-separated list, not JSON.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated addresses or networks of the reverse proxies in front of the "
            "service, e.g. 10.0.0.0/8. Their X-Forwarded-For names the client, for per-address "
            "limits; nobody else's is read. Empty: the connection's peer is the client."
        ),
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [proxy.strip() for proxy in value.split(",") if proxy.strip()]
        return value


class DatabaseSettings(BaseModel):
    """The database connection."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr = Field(
        default=SecretStr("sqlite+aiosqlite:///./app.db"),
        description=(
            "SQLAlchemy URL with an async driver: sqlite+aiosqlite:///path/to.db or "
            "postgresql+asyncpg://user:password@host:5432/name. "
            "Default: ./app.db; an in-memory database in test."
        ),
    )
    echo: bool = Field(
        default=False,
        description="Log every SQL statement with its parameters (noisy; never in prod).",
    )
    pool_size: int = Field(
        default=5,
        ge=1,
        description="Connections kept open per process (PostgreSQL only).",
    )
    max_overflow: int = Field(
        default=10,
        ge=0,
        description="Extra connections opened under load beyond pool_size (PostgreSQL only).",
    )
    pool_timeout: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds a request waits for a free connection before it fails with 503 "
            "(PostgreSQL only)."
        ),
    )
    pool_recycle: int = Field(
        default=1800,
        ge=-1,
        description="Seconds after which a connection is replaced; -1 never (PostgreSQL only).",
    )
    ready_timeout: float = Field(
        default=2.0,
        gt=0,
        description=(
            "Seconds GET /ready waits for the database (and Redis) to answer before it says 503."
        ),
    )
    connect_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds to wait for a new connection to the server (PostgreSQL only).",
    )
    statement_timeout: float = Field(
        default=15.0,
        gt=0,
        description=(
            "Seconds one statement may run before the server cancels it; the driver gives up "
            "a little later if the server does not answer at all (PostgreSQL only)."
        ),
    )

    @field_validator("url")
    @classmethod
    def _async_driver(cls, url: SecretStr) -> SecretStr:
        if not url.get_secret_value().startswith(DATABASE_SCHEMES):
            # The message must not echo the URL: it may hold a password.
            msg = f"expected a URL starting with {' or '.join(DATABASE_SCHEMES)}"
            raise ValueError(msg)
        return url


class SecuritySettings(BaseModel):
    """Secrets, token lifetimes, password hashing and login throttling."""

    model_config = ConfigDict(extra="forbid")

    secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET_KEY),
        description=(
            f"Key that signs tokens: at least {MIN_SECRET_KEY_LENGTH} random characters in prod, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(32))".'
        ),
    )
    # NoDecode: the variable is a plain comma-separated list, not JSON.
    previous_secret_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated keys that secret_key replaced: access tokens they signed work "
            "until they expire. Rotate: move the old key here, set a new secret_key, and drop "
            "the old key after access_token_minutes."
        ),
    )
    access_token_minutes: int = Field(
        default=15,
        ge=1,
        description=(
            "Minutes before an access token expires. Keep it short: a logout ends its refresh "
            "token at once, the access token only when it expires."
        ),
    )
    refresh_token_days: int = Field(
        default=14,
        ge=1,
        description=(
            "Days before an unused refresh token expires, never past its session's end "
            "(session_hours); each refresh issues a new one."
        ),
    )
    password_time_cost: int = Field(
        default=3,
        ge=1,
        description="Argon2id iterations per password hash.",
    )
    password_memory_cost: int = Field(
        default=65536,
        ge=8,
        description=(
            f"Argon2id memory per password hash, in KiB; at least {MIN_PASSWORD_MEMORY_COST} in "
            "prod. Hashes made with other costs are upgraded at the next login."
        ),
    )
    password_parallelism: int = Field(
        default=4,
        ge=1,
        description="Argon2id lanes per password hash.",
    )
    login_attempts: int = Field(
        default=5,
        ge=1,
        description=(
            "Failed logins allowed per account from one client address (an IPv6 /64 counts "
            "as one address) in one window."
        ),
    )
    login_address_attempts: int = Field(
        default=20,
        ge=1,
        description="Failed logins allowed per client address, on all accounts, in one window.",
    )
    login_account_attempts: int = Field(
        default=20,
        ge=1,
        description=(
            "Failed logins allowed per account, from all addresses, in one window: the bound "
            "on a guess spread over many addresses."
        ),
    )
    login_window_seconds: int = Field(
        default=300,
        ge=1,
        description=(
            "The window over which logins are counted, in seconds; it starts at the first "
            "counted attempt."
        ),
    )
    session_hours: int = Field(
        default=12,
        ge=1,
        description=(
            "Hours after a login when its session ends, however often its tokens are "
            "refreshed: then the user logs in again."
        ),
    )
    registration_attempts: int = Field(
        default=10,
        ge=1,
        description="Registrations allowed per client address in one window.",
    )
    registration_window_seconds: int = Field(
        default=3600,
        ge=1,
        description="The window over which registrations are counted, in seconds.",
    )

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @model_validator(mode="after")
    def _enough_memory_per_lane(self) -> "SecuritySettings":
        # Argon2 needs at least 8 KiB per lane; say so here rather than at the first login.
        if self.password_memory_cost < 8 * self.password_parallelism:
            msg = "password_memory_cost must be at least 8 KiB per lane of password_parallelism"
            raise ValueError(msg)
        return self

    @property
    def access_token_lifetime(self) -> timedelta:
        """How long an access token is accepted."""
        return timedelta(minutes=self.access_token_minutes)

    @property
    def refresh_token_lifetime(self) -> timedelta:
        """How long an unused refresh token can be exchanged."""
        return timedelta(days=self.refresh_token_days)

    @property
    def session_lifetime(self) -> timedelta:
        """How long after a login its tokens can be refreshed."""
        return timedelta(hours=self.session_hours)


class RedisSettings(BaseModel):
    """Redis, shared by every process of the service (login throttling)."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr | None = Field(
        default=None,
        description=(
            "redis://[user]:password@host:6379/0, or rediss://... for TLS. Empty: each process "
            "keeps its counters in memory, which is right for one process only."
        ),
    )
    key_prefix: str = Field(
        default="fast_api_template",
        min_length=1,
        description="Prefix of every key this service writes, so that services can share a server.",
    )
    timeout: float = Field(
        default=2.0,
        gt=0,
        description="Seconds to wait for Redis to connect or answer; after that, logins get 503.",
    )
    private_network: bool = Field(
        default=False,
        description=(
            "Whether only this service can reach Redis (its own private network). Prod refuses "
            "a Redis URL without a password unless this is true."
        ),
    )

    @field_validator("url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(REDIS_SCHEMES):
            msg = f"expected a URL starting with {' or '.join(REDIS_SCHEMES)}"
            raise ValueError(msg)
        return url


class CorsSettings(BaseModel):
    """Which browser origins may call the API (CORS)."""

    model_config = ConfigDict(extra="forbid")

    # NoDecode: the variable is a plain comma-separated list, not JSON.
    allow_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated origins allowed to call the API from a browser, "
            "e.g. https://app.example.com. Empty: no cross-origin calls."
        ),
    )

    @field_validator("allow_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


class ApiSettings(BaseModel):
    """The API versions: when v1 retires, now that v2 replaces it."""

    model_config = ConfigDict(extra="forbid")

    v1_deprecated_at: AwareDatetime = Field(
        default=datetime(2026, 11, 1, tzinfo=UTC),
        description=(
            "When v1 was deprecated, sent in its Deprecation header (RFC 9745). "
            "ISO 8601 with a zone, e.g. 2026-11-01T00:00:00Z."
        ),
    )
    v1_sunset_at: AwareDatetime = Field(
        default=datetime(2027, 11, 1, tzinfo=UTC),
        description=(
            "From when v1 may stop answering, sent in its Sunset header (RFC 8594). "
            "ISO 8601 with a zone, after v1_deprecated_at."
        ),
    )

    @model_validator(mode="after")
    def _sunset_after_deprecation(self) -> "ApiSettings":
        if self.v1_sunset_at <= self.v1_deprecated_at:
            msg = "v1_sunset_at must come after v1_deprecated_at"
            raise ValueError(msg)
        return self


class CacheSettings(BaseModel):
    """The cache of hot reads: in this process's memory, or in Redis when redis.url is set."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=True,
        description=(
            "Keep hot reads in the cache. Off: every read goes to the database, to measure"
            " what the cache saves or to rule it out while chasing a bug."
        ),
    )
    ttl_seconds: int = Field(
        default=60,
        ge=1,
        description=(
            "Seconds a cached read is kept at most; a write that changes it removes it sooner."
        ),
    )
    standing_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description=(
            "Seconds a user's standing (active, admin, token version) is cached at most, for"
            " the routes that authenticate without a query. A change made through the app"
            " shows at once; one made around it, in SQL by hand, after this long."
        ),
    )


class JobsSettings(BaseModel):
    """Background jobs (exports): run in this process, or by workers through Redis when set."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Runs of a job that fails for a passing reason (the database is down).",
    )
    retry_delay_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description=(
            "Seconds before the first retry; each next one waits twice as long. A random "
            "part, up to this much, is added to each, so that jobs do not retry in step."
        ),
    )
    export_ttl_hours: int = Field(
        default=24,
        ge=1,
        le=8760,
        description=(
            "Hours a finished export is kept; a sweep deletes older ones every sweep_minutes."
        ),
    )
    exports_per_user: int = Field(
        default=10,
        ge=1,
        le=1000,
        description=(
            "Exports one user may hold at once: queued, running, or finished and not yet "
            "expired. One more answers 429, with Retry-After."
        ),
    )
    sweep_minutes: int = Field(
        default=10,
        ge=1,
        le=1440,
        description=(
            "Minutes between two sweeps of expired exports, in each worker (in the API "
            "when it runs jobs itself)."
        ),
    )


class LogSettings(BaseModel):
    """Which log lines are written, and in which format."""

    model_config = ConfigDict(extra="forbid")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description="Lowest level written, by the service and by the libraries it uses.",
    )
    format: Literal["json", "console"] = Field(
        default="json",
        description=(
            "json: one JSON object a line, for a log pipeline; console: columns for a person. "
            "console by default in dev and test."
        ),
    )
    probe_access: bool = Field(
        default=False,
        description=(
            "Write the access line of /health and /ready at INFO, like any request's. Off, "
            "at DEBUG: a proxy or an orchestrator probes every few seconds, per process."
        ),
    )


class Settings(BaseSettings):
    """All settings of the service, grouped by concern."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        # A .env file may hold variables of other tools (Docker Compose reads it too).
        extra="ignore",
    )

    env: Environment = Field(
        default=Environment.DEV,
        description="Environment: dev, test or prod. Selects defaults and the .env.<env> file.",
    )
    app: AppSettings = Field(default_factory=AppSettings, description=AppSettings.__doc__)
    database: DatabaseSettings = Field(
        default_factory=DatabaseSettings, description=DatabaseSettings.__doc__
    )
    security: SecuritySettings = Field(
        default_factory=SecuritySettings, description=SecuritySettings.__doc__
    )
    cors: CorsSettings = Field(default_factory=CorsSettings, description=CorsSettings.__doc__)
    redis: RedisSettings = Field(default_factory=RedisSettings, description=RedisSettings.__doc__)
    api: ApiSettings = Field(default_factory=ApiSettings, description=ApiSettings.__doc__)
    cache: CacheSettings = Field(default_factory=CacheSettings, description=CacheSettings.__doc__)
    jobs: JobsSettings = Field(default_factory=JobsSettings, description=JobsSettings.__doc__)
    log: LogSettings = Field(default_factory=LogSettings, description=LogSettings.__doc__)

    @model_validator(mode="before")
    @classmethod
    def _apply_profile(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        try:
            env = Environment(data.get("env", Environment.DEV))
        except ValueError:
            return data  # field validation reports the bad value
        return _merge(PROFILE_DEFAULTS[env], data)

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> "Settings":
        if problems := production_problems(self):
            raise ConfigurationError(problems, heading=f"Refusing to start with {ENV_VAR}=prod")
        return self


# --8<-- [end:settings]


# --8<-- [start:profiles]
# Defaults that differ per environment; the field defaults above are the production ones.
PROFILE_DEFAULTS: Final[Mapping[Environment, Mapping[str, Mapping[str, object]]]] = {
    Environment.DEV: {"app": {"debug": True, "public_docs": True}, "log": {"format": "console"}},
    # A fresh in-memory database for every app the tests create.
    # Cheap password hashes keep the tests fast; production refuses them (prod_checks).
    Environment.TEST: {
        "app": {"public_docs": True},
        "database": {"url": "sqlite+aiosqlite:///:memory:"},
        "log": {"format": "console"},
        "security": {
            "password_time_cost": 1,
            "password_memory_cost": 8,
            "password_parallelism": 1,
        },
    },
    Environment.PROD: {},
}
# --8<-- [end:profiles]


def _merge(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `values` over `defaults`, where both are plain dictionaries."""
    merged = dict(defaults)
    for key, value in values.items():
        default = merged.get(key)
        if isinstance(default, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(default, value)
        else:
            merged[key] = value
    return merged


def env_var_name(*path: str | int) -> str:
    """Name the environment variable of a setting, e.g. `FAST_API_TEMPLATE_DATABASE__URL`."""
    return ENV_PREFIX + NESTED_DELIMITER.join(str(part).upper() for part in path)


# --8<-- [start:prod_checks]
def production_problems(settings: Settings) -> list[str]:
    """List every setting that is unsafe in production, by environment variable.

    Returns:
        One line per problem, empty outside prod or when nothing is wrong.

    """
    if settings.env is not Environment.PROD:
        return []
    problems: list[str] = []
    secret_key = settings.security.secret_key.get_secret_value()
    if secret_key == DEFAULT_SECRET_KEY:
        problems.append(f"{env_var_name('security', 'secret_key')}: is the development placeholder")
    elif len(secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"{env_var_name('security', 'secret_key')}: "
            f"expected at least {MIN_SECRET_KEY_LENGTH} characters"
        )
    elif repeats_itself(secret_key):
        problems.append(
            f"{env_var_name('security', 'secret_key')}: repeats itself, so it is easy to guess; "
            "use a random one"
        )
    previous = [key.get_secret_value() for key in settings.security.previous_secret_keys]
    if any(len(key) < MIN_SECRET_KEY_LENGTH or repeats_itself(key) for key in previous):
        problems.append(
            f"{env_var_name('security', 'previous_secret_keys')}: each key needs at least "
            f"{MIN_SECRET_KEY_LENGTH} random characters, like secret_key"
        )
    if settings.app.debug:
        problems.append(
            f"{env_var_name('app', 'debug')}: must be false (it shows clients what failed inside)"
        )
    if settings.database.url.get_secret_value().startswith("sqlite"):
        problems.append(
            f"{env_var_name('database', 'url')}: expected a PostgreSQL URL "
            "(SQLite is one file on one machine)"
        )
    if settings.database.echo:
        problems.append(
            f"{env_var_name('database', 'echo')}: must be false (it logs query parameters)"
        )
    if settings.security.password_memory_cost < MIN_PASSWORD_MEMORY_COST:
        problems.append(
            f"{env_var_name('security', 'password_memory_cost')}: "
            f"expected at least {MIN_PASSWORD_MEMORY_COST} KiB"
        )
    if {"*", "null"} & set(settings.cors.allow_origins):
        # "null" is the origin of sandboxed frames and local files: anyone can send it.
        problems.append(
            f"{env_var_name('cors', 'allow_origins')}: expected explicit origins, not * or null"
        )
    if settings.redis.url is None:
        problems.append(
            f"{env_var_name('redis', 'url')}: expected a Redis URL (without one, each worker "
            "counts failed logins on its own, and the limit multiplies by the workers)"
        )
    elif not _has_password(settings.redis.url) and not settings.redis.private_network:
        problems.append(
            f"{env_var_name('redis', 'url')}: expected a password (redis://:password@host...), "
            "or set "
            f"{env_var_name('redis', 'private_network')}=true if only this service reaches Redis"
        )
    return problems


def _has_password(url: SecretStr) -> bool:
    return bool(urlsplit(url.get_secret_value()).password)


def repeats_itself(secret: str) -> bool:
    """Whether a secret compresses to fewer bytes than a key must have.

    Random characters do not compress: 32 of them stay over 32 bytes. "k" * 40, or a word
    typed five times, shrink to a third. This catches the lazy key, not every weak one; a
    generated key passes, so generate one.
    """
    return len(zlib.compress(secret.encode())) < MIN_SECRET_KEY_LENGTH


# --8<-- [end:prod_checks]


# --8<-- [start:errors]
class ConfigurationError(Exception):
    """Settings the service cannot start with, one line per environment variable to fix."""

    def __init__(self, problems: Iterable[str], heading: str = "Invalid configuration") -> None:
        self.problems = list(problems)
        super().__init__("\n".join([f"{heading}:", *(f"  {line}" for line in self.problems)]))

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> "ConfigurationError":
        """Turn pydantic's report into `VARIABLE: what was expected` lines."""
        problems = []
        for detail in error.errors(include_url=False, include_input=False):
            name = env_var_name(*detail["loc"])
            if detail["type"] == "extra_forbidden":
                problems.append(f"{name}: unknown setting (see .env.example)")
            else:
                problems.append(f"{name}: {detail['msg'].removeprefix('Value error, ')}")
        return cls(problems)


# --8<-- [end:errors]


# --8<-- [start:get_settings]
def env_files(env: Environment) -> tuple[Path, ...]:
    """List the files read for `env`; a later file wins, a missing one is skipped."""
    return Path(".env"), Path(f".env.{env.value}")


def load_settings() -> Settings:
    """Read the settings from the environment and the `.env` files, or explain what is wrong.

    Raises:
        ConfigurationError: a value is malformed, or unsafe in production.

    """
    raw_env = os.environ.get(ENV_VAR) or dotenv_values(".env").get(ENV_VAR) or "dev"
    try:
        env = Environment(raw_env)
    except ValueError:
        expected = ", ".join(member.value for member in Environment)
        # Still read every other setting, as in dev, to report all the problems at once.
        problems = [f"{ENV_VAR}: expected one of {expected}", *_problems_in(Environment.DEV)]
        raise ConfigurationError(problems) from None
    try:
        return Settings(_env_file=env_files(env), env=env)
    except ValidationError as error:
        raise ConfigurationError.from_validation_error(error) from None
    except SettingsSourceError as error:  # e.g. a nested model given as broken JSON
        raise ConfigurationError([str(error)]) from None


def _problems_in(env: Environment) -> list[str]:
    """List what is wrong with the settings read for `env`, one line per variable."""
    try:
        Settings(_env_file=env_files(env), env=env)
    except ValidationError as error:
        return ConfigurationError.from_validation_error(error).problems
    except SettingsSourceError as error:
        return [str(error)]
    return []


@lru_cache
def get_settings() -> Settings:
    """Return the settings of this process, read once on first use."""
    return load_settings()


# --8<-- [end:get_settings]
