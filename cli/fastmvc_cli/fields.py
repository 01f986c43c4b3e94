"""The field grammar of ``fastmvc add entity``: ``NAME:TYPE[?][:MOD]``.

``price:decimal`` is a required ``Numeric(12, 2)`` column, ``note:text?`` a
nullable ``Text``, ``name:str:unique`` a unique ``String(255)`` and
``category:references`` a ``category_id`` foreign key to ``categories.id`` plus
a ``category`` relationship. Parsing only checks the grammar; whether a
referenced entity exists is the project's business (see ``commands/add.py``).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fastmvc.typemap import FIELD_KINDS, ColumnKind
from fastmvc_cli.errors import UserError
from fastmvc_cli.naming import EntityNames, entity_names

__all__ = ["FIELD_TYPES", "RESERVED_FIELD_NAMES", "FieldSpec", "FieldType", "parse_fields"]


FieldType = ColumnKind
"""One TYPE of the grammar: its column, migration, Python and DTO types (see fastmvc.typemap)."""

FIELD_TYPES: dict[str, FieldType] = FIELD_KINDS
"""The grammar's TYPEs. The framework's type map is the one source of their limits."""

RESERVED_FIELD_NAMES = frozenset(
    {
        # Every row has these (fastmvc.db.Entity, SoftDeleteMixin).
        "id", "urn", "created_at", "updated_at", "version", "deleted_at",
        # SQLAlchemy's declarative attributes.
        "metadata", "registry", "query", "query_class",
        # Query parameters of the list route.
        "limit", "offset", "cursor", "sort", "with_total",
        # Names the generated modules import; a field of the same name would shadow them.
        "date", "datetime", "str", "int", "float", "bool", "dict", "list", "any", "field",
        "omitted",
    }
)  # fmt: skip

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_MODIFIERS = frozenset({"unique", "index"})


@dataclass(frozen=True)
class FieldSpec:
    """One parsed ``NAME:TYPE[?][:MOD]``."""

    name: str
    type: FieldType
    nullable: bool = False
    unique: bool = False
    index: bool = False

    @property
    def is_reference(self) -> bool:
        """Whether this field is a ``references`` foreign key."""
        return self.type.name == "references"

    @property
    def column(self) -> str:
        """The column and attribute name: ``category_id`` for ``category:references``."""
        return f"{self.name}_id" if self.is_reference else self.name

    @property
    def target(self) -> EntityNames:
        """The referenced entity's names (only for references)."""
        return entity_names(self.name)

    @property
    def annotation(self) -> str:
        """The Python annotation, with ``| None`` when nullable."""
        return f"{self.type.python} | None" if self.nullable else self.type.python


def _check_name(name: str, spec: str) -> None:
    if not _FIELD_NAME.match(name):
        raise UserError(f"field {spec!r}: {name!r} is not a valid field name (use snake_case)")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UserError(f"field {spec!r}: {name!r} is a Python keyword")
    if name in RESERVED_FIELD_NAMES or name.startswith("model_"):
        raise UserError(f"field {spec!r}: {name!r} is a reserved name")


def parse_field(spec: str) -> FieldSpec:
    """Parse one ``NAME:TYPE[?][:MOD…]``.

    Raises:
        UserError: The spec breaks the grammar.
    """
    parts = spec.split(":")
    if len(parts) < 2 or not all(parts):
        raise UserError(f"field {spec!r} is not NAME:TYPE[:MOD] (for example price:decimal)")
    name, type_token, *modifiers = parts
    _check_name(name, spec)
    nullable = type_token.endswith("?")
    type_name = type_token.removesuffix("?")
    field_type = FIELD_TYPES.get(type_name)
    if field_type is None:
        known = " ".join(FIELD_TYPES)
        raise UserError(f"field {spec!r}: unknown type {type_name!r} (known: {known})")
    unknown = [m for m in modifiers if m not in _MODIFIERS]
    if unknown:
        raise UserError(f"field {spec!r}: unknown modifier {unknown[0]!r} (use unique or index)")
    field = FieldSpec(
        name=name,
        type=field_type,
        nullable=nullable,
        unique="unique" in modifiers,
        index="index" in modifiers,
    )
    if field.is_reference:
        _check_name(field.column, spec)
        entity_names(name)  # the referenced entity's name must itself be valid
    return field


def parse_fields(specs: Iterable[str]) -> Sequence[FieldSpec]:
    """Parse every field spec and refuse clashes between them.

    Raises:
        UserError: A spec breaks the grammar, or two fields share a name.
    """
    fields = [parse_field(spec) for spec in specs]
    seen: set[str] = set()
    for field in fields:
        names = {field.name, field.column}
        clash = names & seen
        if clash:
            raise UserError(f"field name {sorted(clash)[0]!r} is given twice")
        seen |= names
    return fields
