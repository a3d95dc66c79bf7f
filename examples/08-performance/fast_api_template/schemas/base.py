"""The base of every request body: what the schema does not declare is refused, cheaply."""

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from fast_api_template.schemas.problems import MAX_LISTED_ISSUES


class RequestBody(BaseModel):
    """A request body: a field that the schema does not declare is an error.

    `extra="forbid"` alone reports each unknown field as an error of its own, so one request
    of a megabyte of unknown keys would make pydantic build, and the API answer, a hundred
    thousand errors. Many unknown fields are counted first and reported as one error, before
    any field is validated.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_many_unknown_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = len(data.keys() - cls.model_fields.keys())
            if unknown > MAX_LISTED_ISSUES:
                msg = f"has {unknown} fields that the schema does not declare"
                raise ValueError(msg)
        return data
