"""Request and response bodies for accounts."""

from datetime import datetime
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from fast_api_template.core.security import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    password_problem,
)
from fast_api_template.schemas.base import RequestBody
from fast_api_template.schemas.fields import Storable


def _any_case(name: str) -> str:
    return "".join(f"[{letter.lower()}{letter.upper()}]" for letter in name)


# The validator refuses an address at a special-use domain (RFC 6761: .test, .local, ...),
# which no one can mail. The document says so, as a pattern that clients and fuzzers can
# check; JSON Schema's `format: email` alone accepts them.
RESERVED_DOMAIN_PATTERN = (
    rf"^(?![\s\S]*[@.](?:{'|'.join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)})$)"
)

Password = Annotated[
    str,
    StringConstraints(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH),
    Storable,
    Field(
        description=(
            f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters; not a common password, "
            "not a few characters repeated, and not containing the email's name."
        )
    ),
]


class UserCreate(RequestBody):
    """A new account."""

    email: EmailStr = Field(
        description=(
            "Unique, in any case; stored in lower case. Not at a special-use domain"
            f" ({', '.join(f'.{name}' for name in SPECIAL_USE_DOMAIN_NAMES)})."
        ),
        # Documented only: the email validator enforces it.
        json_schema_extra={"pattern": RESERVED_DOMAIN_PATTERN},
    )
    password: Password

    @model_validator(mode="after")
    def _hard_to_guess(self) -> "UserCreate":
        # The message says why, never what: a 422 does not echo a password.
        if problem := password_problem(self.password, email=self.email):
            raise ValueError(problem)
        return self


class UserRead(BaseModel):
    """An account as the API shows it: never the password hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    is_admin: bool
    is_active: bool
    created_at: datetime


class AccountStatus(RequestBody):
    """Whether an account may sign in."""

    is_active: bool = Field(description="False disables the account and ends its sessions.")
