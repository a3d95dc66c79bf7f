"""The same configuration read by pydantic-settings: typed, checked, and named in the error."""

import os

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the app, with its type and default."""

    model_config = SettingsConfigDict(env_prefix="APP_")

    pool_size: int = 5
    debug: bool = False


os.environ["APP_POOL_SIZE"] = "1O"  # the letter O, not a zero

try:
    Settings()
except ValidationError as error:
    for problem in error.errors():
        variable = "APP_" + "__".join(str(part) for part in problem["loc"]).upper()
        print(f"{variable}: {problem['msg']} (got {problem['input']!r})")

os.environ["APP_POOL_SIZE"] = "10"
print(Settings())
