"""The one body of every error response."""

from pydantic import BaseModel, Field


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
        default=None, description="For invalid requests: every reason."
    )
    instance: str | None = Field(default=None, description="The path of the request that failed.")
    request_id: str | None = Field(
        default=None,
        description="The request's X-Request-ID: quote it to find the request in the logs.",
    )


# --8<-- [end:problem]
