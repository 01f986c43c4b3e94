"""Admin form values through the entity's own DTOs, so the admin accepts what the API accepts.

The create and update DTOs carry the bounds of :mod:`fastmvc.fields` (32-bit
ints, string lengths, finite decimals within precision, aware datetimes).
A form's datetime has no zone; the admin states times in UTC, so it gets
UTC before the DTO sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from fastmvc.errors import FieldError, ValidationFailedError

__all__ = ["validated"]


def validated(
    schema: type[BaseModel], values: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """``values`` checked by ``schema`` and dumped back (only the fields set when ``partial``).

    Raises:
        ValidationFailedError: A value breaks the DTO's rules; the message names each field.
    """
    data = {name: _zoned(value) for name, value in values.items() if name in schema.model_fields}
    try:
        model = schema.model_validate(data)
    except ValidationError as exc:
        errors: list[FieldError] = [
            {
                "field": ".".join(str(part) for part in error["loc"]) or "body",
                "message": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors(include_url=False)
        ]
        text = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
        raise ValidationFailedError(f"Not saved. {text}", errors=errors) from None
    return model.model_dump(exclude_unset=partial)


def _zoned(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
