"""Request and response bodies for accounts."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from fast_api_template.schemas.base import RequestBody
from fast_api_template.schemas.fields import Storable

PASSWORD_MIN_LENGTH = 8
# Long enough for any passphrase; the cap bounds the work that one request can ask for.
PASSWORD_MAX_LENGTH = 128

Password = Annotated[
    str,
    StringConstraints(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH),
    Storable,
    Field(description=f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters."),
]


# --8<-- [start:schemas]
class UserCreate(RequestBody):
    """A new account."""

    email: EmailStr = Field(description="Unique, in any case; stored in lower case.")
    password: Password


class UserRead(BaseModel):
    """An account as the API shows it: never the password hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    is_admin: bool
    created_at: datetime


# --8<-- [end:schemas]
