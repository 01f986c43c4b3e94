"""The column-type map: one place that says what each column type can hold and do.

Three readers share it, so they cannot drift apart (STYLE.md, 14):

- ``fastmvc add entity`` writes each field TYPE's column, migration and DTO
  type from :data:`FIELD_KINDS`;
- request DTOs use the types it names, defined in :mod:`fastmvc.fields`;
  :func:`fastmvc.db.kinds.dto_type` gives the same type for any column;
- the repository asks :func:`fastmvc.db.kinds.kind_of` which filter
  operators a column supports, whether it sorts, and how wide its integers are.

This module is plain data, with no SQLAlchemy or pydantic import, so the CLI
can read it and still start fast.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EQUALITY_OPERATORS",
    "FIELD_KINDS",
    "INT32_RANGE",
    "INT64_RANGE",
    "JSON_SAFE_RANGE",
    "ORDER_OPERATORS",
    "TEXT_OPERATORS",
    "ColumnKind",
]

EQUALITY_OPERATORS = frozenset({"eq", "ne", "in", "not_in", "is_null"})
ORDER_OPERATORS = EQUALITY_OPERATORS | {"gt", "gte", "lt", "lte", "between"}
TEXT_OPERATORS = ORDER_OPERATORS | {"like", "ilike"}

INT32_RANGE = (-(2**31), 2**31 - 1)
INT64_RANGE = (-(2**63), 2**63 - 1)
INT16_RANGE = (-(2**15), 2**15 - 1)
JSON_SAFE_RANGE = (-(2**53 - 1), 2**53 - 1)
"""The integers every JSON reader holds exactly (JavaScript, and validators that read
numbers as doubles). A BIGINT column holds more, but past 2**53 a JSON client would
silently round it, so request DTOs stop there; Python code may use the full 64 bits."""


@dataclass(frozen=True)
class ColumnKind:
    """What one kind of column holds and supports.

    Attributes:
        name: The kind, and the field TYPE of ``fastmvc add entity`` (``int``, ``json``…).
        operators: The filter operators it supports; any other gives 400.
        sortable: Whether ``?sort=`` may name it.
        int_range: The smallest and largest integer it holds, for integer kinds.
        python: Its values' Python annotation in models and output DTOs.
        python_import: ``(module, name)`` that annotation needs, if any.
        dto: The request-DTO type, a name in :mod:`fastmvc.fields`.
        column: Its SQLAlchemy type as a model writes it (``Numeric(12, 2)``).
        column_import: ``(module, name)`` the model imports for it.
        migration: The same type as a migration writes it.
    """

    name: str
    operators: frozenset[str]
    sortable: bool = True
    int_range: tuple[int, int] | None = None
    python: str = "Any"
    python_import: tuple[str, str] | None = None
    dto: str = ""
    column: str = ""
    column_import: tuple[str, str] | None = None
    migration: str = ""


_SA = "sqlalchemy"

STR = ColumnKind(
    "str", TEXT_OPERATORS, python="str", dto="String255",
    column="String(255)", column_import=(_SA, "String"), migration="sa.String(length=255)",
)  # fmt: skip
TEXT = ColumnKind(
    "text", TEXT_OPERATORS, python="str", dto="Text",
    column="Text", column_import=(_SA, "Text"), migration="sa.Text()",
)  # fmt: skip
INT = ColumnKind(
    "int", ORDER_OPERATORS, int_range=INT32_RANGE, python="int", dto="Int32",
    column="Integer", column_import=(_SA, "Integer"), migration="sa.Integer()",
)  # fmt: skip
BIGINT = ColumnKind(
    "bigint", ORDER_OPERATORS, int_range=INT64_RANGE, python="int", dto="Int64",
    column="BigInteger", column_import=(_SA, "BigInteger"), migration="sa.BigInteger()",
)  # fmt: skip
SMALLINT = ColumnKind("smallint", ORDER_OPERATORS, int_range=INT16_RANGE, python="int")
FLOAT = ColumnKind(
    "float", ORDER_OPERATORS, python="float", dto="FiniteFloat",
    column="Float", column_import=(_SA, "Float"), migration="sa.Float()",
)  # fmt: skip
DECIMAL = ColumnKind(
    "decimal", ORDER_OPERATORS, python="Decimal", python_import=("decimal", "Decimal"),
    dto="Decimal12_2", column="Numeric(12, 2)", column_import=(_SA, "Numeric"),
    migration="sa.Numeric(precision=12, scale=2)",
)  # fmt: skip
BOOL = ColumnKind(
    "bool", EQUALITY_OPERATORS, python="bool", dto="StrictBool",
    column="Boolean", column_import=(_SA, "Boolean"), migration="sa.Boolean()",
)  # fmt: skip
DATE = ColumnKind(
    "date", ORDER_OPERATORS, python="date", python_import=("datetime", "date"), dto="JSONDate",
    column="Date", column_import=(_SA, "Date"), migration="sa.Date()",
)  # fmt: skip
# UTCDateTime keeps values timezone-aware UTC on SQLite as on PostgreSQL.
DATETIME = ColumnKind(
    "datetime", ORDER_OPERATORS, python="datetime", python_import=("datetime", "datetime"),
    dto="UTCDatetime", column="UTCDateTime()", column_import=("fastmvc.db", "UTCDateTime"),
    migration="sa.DateTime(timezone=True)",
)  # fmt: skip
UUID = ColumnKind(
    "uuid", EQUALITY_OPERATORS, python="UUID", python_import=("uuid", "UUID"), dto="JSONUUID",
    column="Uuid", column_import=(_SA, "Uuid"), migration="sa.Uuid()",
)  # fmt: skip
# Any JSON value; JSONB on PostgreSQL. No filter and no sort: JSON has no order.
JSON = ColumnKind(
    "json", frozenset(), sortable=False, python="Any", python_import=("typing", "Any"),
    dto="AnyJSON", column="AnyJSON", column_import=("fastmvc.db", "AnyJSON"),
    migration='sa.JSON().with_variant(postgresql.JSONB(), "postgresql")',
)  # fmt: skip
# A foreign key: the same width as the BIGINT primary key (fastmvc.db.IdMixin).
REFERENCES = ColumnKind(
    "references", ORDER_OPERATORS, int_range=INT64_RANGE, python="int", dto="Int64",
    column="BigInteger", column_import=(_SA, "BigInteger"), migration="sa.BigInteger()",
)  # fmt: skip
ENUM = ColumnKind("enum", EQUALITY_OPERATORS, python="str")
BINARY = ColumnKind("binary", frozenset({"is_null"}), sortable=False, python="bytes")
OTHER = ColumnKind("other", EQUALITY_OPERATORS)

FIELD_KINDS: dict[str, ColumnKind] = {
    kind.name: kind
    for kind in (STR, TEXT, INT, BIGINT, FLOAT, DECIMAL, BOOL, DATE, DATETIME, UUID, JSON,
                 REFERENCES)
}  # fmt: skip
"""Every field TYPE of ``fastmvc add entity``, in the order the grammar lists them."""
