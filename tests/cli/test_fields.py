"""The NAME:TYPE[?][:MOD] grammar of `fastmvc add entity`."""

from __future__ import annotations

import pytest

from fastmvc_cli.errors import UserError
from fastmvc_cli.fields import FIELD_TYPES, parse_field, parse_fields


def test_every_documented_type_is_known() -> None:
    documented = "str text int bigint float decimal bool date datetime uuid json references"
    assert set(FIELD_TYPES) == set(documented.split())


@pytest.mark.parametrize(
    ("spec", "column", "type_name", "nullable", "unique", "index"),
    [
        ("name:str", "name", "str", False, False, False),
        ("note:text?", "note", "text", True, False, False),
        ("sku:str:unique", "sku", "str", False, True, False),
        ("price:decimal:index", "price", "decimal", False, False, True),
        ("code:str?:unique:index", "code", "str", True, True, True),
        ("category:references", "category_id", "references", False, False, False),
        ("owner:references?", "owner_id", "references", True, False, False),
    ],
)
def test_parses(
    spec: str, column: str, type_name: str, nullable: bool, unique: bool, index: bool
) -> None:
    field = parse_field(spec)
    assert (field.column, field.type.name, field.nullable, field.unique, field.index) == (
        column,
        type_name,
        nullable,
        unique,
        index,
    )


def test_reference_targets_the_plural_table() -> None:
    field = parse_field("category:references")
    assert field.target.table == "categories"
    assert field.target.class_name == "Category"
    assert field.annotation == "int"


def test_nullable_annotation() -> None:
    assert parse_field("born:date?").annotation == "date | None"


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("price", "is not NAME:TYPE"),
        ("price:", "is not NAME:TYPE"),
        (":int", "is not NAME:TYPE"),
        ("price:money", "unknown type 'money'"),
        ("price:int:primary", "unknown modifier 'primary'"),
        ("Price:int", "not a valid field name"),
        ("1price:int", "not a valid field name"),
        ("pri-ce:int", "not a valid field name"),
        ("class:str", "keyword"),
        ("match:str", "keyword"),
        ("id:int", "reserved"),
        ("urn:str", "reserved"),
        ("created_at:datetime", "reserved"),
        ("updated_at:datetime", "reserved"),
        ("version:int", "reserved"),
        ("deleted_at:datetime", "reserved"),
        ("metadata:json", "reserved"),
        ("registry:str", "reserved"),
        ("query:str", "reserved"),
        ("limit:int", "reserved"),
        ("sort:str", "reserved"),
        ("model_config:str", "reserved"),
        ("date:date", "reserved"),
    ],
)
def test_refuses(spec: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment):
        parse_field(spec)


def test_refuses_a_name_given_twice() -> None:
    with pytest.raises(UserError, match="given twice"):
        parse_fields(["name:str", "name:text"])


def test_refuses_a_column_clash_with_a_reference() -> None:
    with pytest.raises(UserError, match="'category_id' is given twice"):
        parse_fields(["category_id:int", "category:references"])
