"""The NAME:TYPE[?][:MOD] grammar of `fastmvc add entity`."""

from __future__ import annotations

import pytest

from fastmvc_cli.errors import UserError
from fastmvc_cli.fields import FIELD_TYPES, parse_field, parse_fields


def test_every_documented_type_is_known() -> None:
    documented = "str text int bigint float decimal bool date datetime uuid json references many"
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
        ("reviewer:references?", "reviewer_id", "references", True, False, False),
        ("author:references:User", "author_id", "references", False, False, False),
        ("editor:references?:User:index", "editor_id", "references", True, False, True),
        ("tags:many:Tag", "tag_ids", "many", False, False, False),
        ("categories:many:Category", "category_ids", "many", False, False, False),
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


def test_named_targets() -> None:
    assert parse_field("author:references:User").target.table == "users"
    assert parse_field("parent:references?:Category").target.class_name == "Category"
    assert parse_field("tags:many:Tag").target.table == "tags"
    assert parse_field("items:many:OrderItem").target.table == "order_items"


def test_nullable_annotation() -> None:
    assert parse_field("born:date?").annotation == "dt.date | None"


@pytest.mark.parametrize(
    "name", ["text", "date", "datetime", "uuid", "decimal", "string", "type", "status", "time"]
)
def test_ordinary_names_are_free(name: str) -> None:
    assert parse_field(f"{name}:str").column == name


def test_ids_field_matches_the_framework() -> None:
    from fastmvc.repository.relations import ids_field_of as framework_rule
    from fastmvc_cli.fields import ids_field_of

    for name in ["tags", "categories", "boxes", "watches", "staff", "press", "users", "series"]:
        assert ids_field_of(name) == framework_rule(name), name


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
        ("include:str", "reserved"),
        ("deleted:bool", "reserved"),
        ("owner_id:int", "reserved"),
        ("owner:references", "reserved"),
        ("sa:str", "reserved"),
        ("list:json", "reserved"),
        ("tags:many", "names its target"),
        ("tags:many?:Tag", "a many field takes no"),
        ("tags:many:Tag:unique", "a many field takes no"),
        ("author:references:9Lives", "not a valid target entity"),
        ("limit:int", "reserved"),
        ("sort:str", "reserved"),
        ("model_config:str", "reserved"),
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


def test_reserves_every_pydantic_model_attribute() -> None:
    from pydantic import BaseModel

    from fastmvc_cli.fields import RESERVED_FIELD_NAMES

    public = {name for name in dir(BaseModel) if not name.startswith(("_", "model_"))}
    assert public <= RESERVED_FIELD_NAMES
