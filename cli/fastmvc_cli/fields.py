"""The field grammar of ``fastmvc add entity`` and ``fastmvc add field``.

``NAME:TYPE[?][:MOD…]`` for a column, ``NAME:references[?][:Target][:MOD…]``
for a foreign key and ``NAME:many:Target`` for a many-to-many set:

- ``price:decimal`` is a required ``Numeric(12, 2)``; ``note:text?`` a nullable
  ``Text``; ``name:str:unique`` a unique ``String(255)``;
- ``category:references`` is a ``category_id`` foreign key to ``categories.id``
  plus a ``category`` relationship; ``author:references:User`` names the
  target, so two fields can point at one table and an entity at itself;
- ``tags:many:Tag`` is an association table ``<entity>_tags`` and ``tag_ids``
  in the bodies and the output.

Parsing only checks the grammar; whether a target exists is the project's
business (see ``commands/add.py``).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fastmvc.typemap import FIELD_KINDS, ColumnKind
from fastmvc_cli.errors import UserError
from fastmvc_cli.imports import Import
from fastmvc_cli.naming import EntityNames, entity_names, pascal_case

__all__ = [
    "FIELD_TYPES",
    "RESERVED_FIELD_NAMES",
    "FieldSpec",
    "FieldType",
    "ids_field_of",
    "parse_field",
    "parse_fields",
]

SA: Import = ("sqlalchemy as sa", "")
DT: Import = ("datetime as dt", "")


@dataclass(frozen=True)
class FieldType:
    """How one TYPE of the grammar is spelled in generated code.

    The facts come from the framework's type map (:data:`fastmvc.typemap.FIELD_KINDS`:
    the column, migration, Python and request-DTO types); this is only their
    spelling. Generated modules import SQLAlchemy as ``sa`` and datetime as
    ``dt``, and other names only in PascalCase, so a field may be called
    ``date``, ``text``, ``uuid`` or ``decimal`` without shadowing what the code uses.

    Attributes:
        name: The grammar's name (``decimal``).
        python: The annotation in the model and the output DTO (``Decimal``, ``dt.date``).
        column: The column type in the model (``sa.Numeric(12, 2)``).
        migration: The same type as the migration spells it.
        imports: What the annotation and the column type need.
        dto: The request-DTO type, a name in :mod:`fastmvc.fields` (``Decimal12_2``).
    """

    name: str
    python: str
    column: str
    migration: str
    imports: tuple[Import, ...] = ()
    dto: str = ""


def _spelled(kind: ColumnKind) -> FieldType:
    """A type-map kind as generated code writes it (``sa.``/``dt.`` aliases)."""
    imports: list[Import] = []
    column = kind.column
    if kind.column_import is not None:
        if kind.column_import[0] == "sqlalchemy":
            column = f"sa.{column}"
            imports.append(SA)
        else:
            imports.append(kind.column_import)
    python = kind.python
    if kind.python_import is not None:
        if kind.python_import[0] == "datetime":
            python = f"dt.{python}"
            imports.append(DT)
        else:
            imports.append(kind.python_import)
    return FieldType(kind.name, python, column, kind.migration, tuple(imports), kind.dto)


FIELD_TYPES: dict[str, FieldType] = {
    **{name: _spelled(kind) for name, kind in FIELD_KINDS.items()},
    # A many-to-many set: no column of its own, an id list in the bodies and the output.
    "many": FieldType("many", "list[int]", "", "", dto="Int64"),
}

RESERVED_FIELD_NAMES = frozenset(
    {
        # Every row has these (fastmvc.db.Entity, SoftDeleteMixin), and owned rows an owner.
        "id", "urn", "created_at", "updated_at", "version", "deleted_at", "owner_id",
        # SQLAlchemy's declarative attributes.
        "metadata", "registry",
        # Query parameters of the list route.
        "limit", "offset", "cursor", "sort", "with_total", "include", "deleted",
        # Lower-case names the generated modules use in class bodies; a field of the
        # same name would shadow them there (every other import is PascalCase).
        "sa", "dt", "mapped_column", "relationship", "str", "int", "float", "bool", "dict",
        "list",
        # The request DTOs' default of a field that may be left out.
        "omitted",
        # Pydantic's BaseModel methods besides its model_ prefix: a DTO field would shadow them.
        "construct", "copy", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
        "schema", "schema_json", "update_forward_refs", "validate",
    }
)  # fmt: skip

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_MODIFIERS = frozenset({"unique", "index"})


def ids_field_of(name: str) -> str:
    """``tags`` → ``tag_ids``: the key of a many-to-many set in bodies and output.

    The same rule as :func:`fastmvc.repository.relations.ids_field_of`, which
    the CLI does not import (it would load SQLAlchemy for ``--version``);
    ``tests/cli/test_fields.py`` keeps the two in step.
    """
    if name.endswith("ies"):
        singular = name[:-3] + "y"
    elif name.endswith(("ses", "xes", "zes", "ches", "shes")):
        singular = name[:-2]
    elif name.endswith("s") and not name.endswith("ss"):
        singular = name[:-1]
    else:
        singular = name
    return f"{singular}_ids"


@dataclass(frozen=True)
class FieldSpec:
    """One parsed field."""

    name: str
    type: FieldType
    nullable: bool = False
    unique: bool = False
    index: bool = False
    target_name: str | None = None
    # `add field` only: a column that existing rows leave NULL although bodies
    # must send it, or the server default (Python source) that fills it.
    null_for_existing_rows: bool = False
    server_default: str | None = None

    @property
    def column_nullable(self) -> bool:
        """Whether the database column takes NULL."""
        return self.nullable or self.null_for_existing_rows

    @property
    def is_reference(self) -> bool:
        """Whether this field is a ``references`` foreign key."""
        return self.type.name == "references"

    @property
    def is_many(self) -> bool:
        """Whether this field is a ``many`` set."""
        return self.type.name == "many"

    @property
    def is_relation(self) -> bool:
        """Whether this field makes a relationship (``references`` or ``many``)."""
        return self.is_reference or self.is_many

    @property
    def column(self) -> str:
        """The attribute of the bodies: ``category_id``, ``tag_ids``, or the name itself."""
        if self.is_reference:
            return f"{self.name}_id"
        if self.is_many:
            return ids_field_of(self.name)
        return self.name

    @property
    def target(self) -> EntityNames:
        """The related entity's names (relations only)."""
        return entity_names(self.target_name or pascal_case(self.name))

    @property
    def annotation(self) -> str:
        """The model's and the output's annotation, with ``| None`` when the column takes NULL."""
        return f"{self.type.python} | None" if self.column_nullable else self.type.python


def _check_name(name: str, spec: str) -> None:
    if not _FIELD_NAME.match(name):
        raise UserError(f"field {spec!r}: {name!r} is not a valid field name (use snake_case)")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UserError(f"field {spec!r}: {name!r} is a Python keyword")
    if name in RESERVED_FIELD_NAMES or name.startswith("model_"):
        raise UserError(f"field {spec!r}: {name!r} is a reserved name")


def _target(spec: str, raw: str) -> str:
    """Check a relation's target entity name, in terms of the field."""
    try:
        return entity_names(raw).class_name
    except UserError:
        raise UserError(
            f"field {spec!r}: {raw!r} is not a valid target entity (use a name like Category)"
        ) from None


def parse_field(spec: str) -> FieldSpec:
    """Parse one field spec.

    Raises:
        UserError: The spec breaks the grammar.
    """
    parts = spec.split(":")
    if len(parts) < 2 or not all(parts):
        raise UserError(f"field {spec!r} is not NAME:TYPE[:MOD] (for example price:decimal)")
    name, type_token, *rest = parts
    _check_name(name, spec)
    nullable = type_token.endswith("?")
    type_name = type_token.removesuffix("?")
    field_type = FIELD_TYPES.get(type_name)
    if field_type is None:
        known = " ".join(FIELD_TYPES)
        raise UserError(f"field {spec!r}: unknown type {type_name!r} (known: {known})")
    target: str | None = None
    if type_name in {"references", "many"} and rest and rest[0] not in _MODIFIERS:
        target = _target(spec, rest.pop(0))
    if type_name == "many":
        if target is None:
            raise UserError(f"field {spec!r}: a many field names its target (tags:many:Tag)")
        if nullable or rest:
            raise UserError(f"field {spec!r}: a many field takes no ? and no modifier")
    unknown = [m for m in rest if m not in _MODIFIERS]
    if unknown:
        raise UserError(f"field {spec!r}: unknown modifier {unknown[0]!r} (use unique or index)")
    if type_name == "references" and target is None:
        target = _target(spec, pascal_case(name))
    field = FieldSpec(
        name=name,
        type=field_type,
        nullable=nullable,
        unique="unique" in rest,
        index="index" in rest,
        target_name=target,
    )
    if field.is_relation:
        _check_name(field.column, spec)
    return field


def parse_fields(specs: Iterable[str]) -> Sequence[FieldSpec]:
    """Parse every field spec and refuse clashes between them.

    Raises:
        UserError: A spec breaks the grammar, or two fields share a name.
    """
    fields = [parse_field(spec) for spec in specs]
    check_clashes(fields)
    return fields


def check_clashes(fields: Iterable[FieldSpec], taken: Iterable[str] = ()) -> None:
    """Refuse two fields (or a field and an existing attribute) with one name.

    Raises:
        UserError: A name or column is given twice.
    """
    seen: set[str] = set(taken)
    for field in fields:
        names = {field.name, field.column}
        clash = names & seen
        if clash:
            raise UserError(f"field name {sorted(clash)[0]!r} is given twice")
        seen |= names
