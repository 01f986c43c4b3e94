"""Project-name validation and entity names."""

from __future__ import annotations

import pytest

from fastmvc_cli.errors import UserError
from fastmvc_cli.naming import entity_names, pluralize, snake_case, validate_project_name


@pytest.mark.parametrize(
    ("raw", "class_name", "module", "table", "prefix"),
    [
        ("Product", "Product", "product", "products", "/products"),
        ("product", "Product", "product", "products", "/products"),
        ("OrderItem", "OrderItem", "order_item", "order_items", "/order-items"),
        ("order_item", "OrderItem", "order_item", "order_items", "/order-items"),
        ("Category", "Category", "category", "categories", "/categories"),
        ("Box", "Box", "box", "boxes", "/boxes"),
        ("HTTPLog", "HttpLog", "http_log", "http_logs", "/http-logs"),
    ],
)
def test_entity_names(raw: str, class_name: str, module: str, table: str, prefix: str) -> None:
    names = entity_names(raw)
    assert (names.class_name, names.module, names.table, names.prefix) == (
        class_name,
        module,
        table,
        prefix,
    )


@pytest.mark.parametrize(
    ("word", "plural"),
    [("day", "days"), ("city", "cities"), ("bus", "buses"), ("match", "matches"), ("tag", "tags")],
)
def test_pluralize(word: str, plural: str) -> None:
    assert pluralize(word) == plural


def test_snake_case() -> None:
    assert snake_case("orderItem") == "order_item"


@pytest.mark.parametrize("raw", ["1Product", "Pro duct", "", "for", "String", "Entity"])
def test_bad_entity_names(raw: str) -> None:
    with pytest.raises(UserError):
        entity_names(raw)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("my-shop", "not a valid Python identifier"),
        ("1shop", "not a valid Python identifier"),
        ("class", "keyword"),
        ("Shop", "snake_case"),
        ("json", "standard-library"),
        ("asyncio", "standard-library"),
        ("fastapi", "installed module"),
        ("sqlalchemy", "installed module"),
        ("fastmvc", "reserved"),
        ("tests", "reserved"),
    ],
)
def test_bad_project_names(name: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment):
        validate_project_name(name)


def test_good_project_name() -> None:
    validate_project_name("shop")
