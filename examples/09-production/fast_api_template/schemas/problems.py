"""The one body of every error response."""

from typing import Final

from pydantic import BaseModel, Field

# An invalid request can have any number of reasons; a response lists this many. Listing
# all of them would let a small request ask for a very large answer.
MAX_LISTED_ISSUES: Final = 20


class ValidationIssue(BaseModel):
    """One reason why a request was invalid."""

    loc: list[str | int] = Field(description="Where: e.g. ['body', 'name'] or ['query', 'limit'].")
    msg: str
    type: str


# --8<-- [start:problem]
class Problem(BaseModel):
    """What went wrong, in the shape of RFC 9457 problem details."""

    type: str = Field(
        description="Identifies the kind of problem; about:blank when the status says it all."
    )
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time.")
    errors: list[ValidationIssue] | None = Field(
        default=None,
        description=f"For invalid requests: the reasons, at most {MAX_LISTED_ISSUES} of them.",
    )
    more_errors: int | None = Field(
        default=None, description="For invalid requests: how many reasons `errors` leaves out."
    )
    instance: str | None = Field(default=None, description="The path of the request that failed.")
    request_id: str | None = Field(
        default=None,
        description="The request's X-Request-ID: quote it to find the request in the logs.",
    )


# --8<-- [end:problem]
