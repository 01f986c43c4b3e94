import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from fastmvc.cache.serializer import CacheDecodeError, canonical_json, dumps, loads
from tests.unit.cache.cache_models import Outer, Page, Product, ProductPage, StrictProduct


def _product(n: int = 1) -> Product:
    return Product(
        id=n,
        name=f"p{n}",
        price=Decimal("9.99"),
        urn=uuid.UUID(int=n),
        created_at=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -12,
        1.5,
        "héllo",
        [],
        {},
        [1, "a", None, [2.5]],
        {"a": {"b": [1, 2]}},
        dt.datetime(2024, 1, 2, 3, 4, 5, 6789, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(2024, 1, 2, 3, 4, 5),
        dt.date(2024, 2, 29),
        dt.time(23, 59, 1, 5),
        dt.timedelta(days=-3, seconds=5, microseconds=7),
        Decimal("1.10"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        b"\x00\xffbytes",
        (1, (2, "x")),
        {3, 1, 2},
        frozenset({"a"}),
        {1: "int key", (1, 2): "tuple key"},
        {"$type": "not a tag", "x": 1},
    ],
)
def test_round_trip_keeps_value_and_type(value: Any) -> None:
    restored = loads(dumps(value))
    assert restored == value
    assert type(restored) is type(value)


def test_decimal_keeps_its_exponent() -> None:
    assert str(loads(dumps(Decimal("1.10")))) == "1.10"


def test_model_round_trips_as_the_same_class() -> None:
    product = _product()
    restored = loads(dumps(product))
    assert type(restored) is Product
    assert restored == product


def test_list_and_dict_of_models_round_trip() -> None:
    value = {"items": [_product(1), _product(2)], "page": ProductPage(items=[_product(3)])}
    restored = loads(dumps(value))
    assert restored == value
    assert all(type(item) is Product for item in restored["items"])
    assert type(restored["page"]) is ProductPage


def test_nested_class_model_round_trips() -> None:
    assert loads(dumps(Outer.Inner(value=3))) == Outer.Inner(value=3)


def test_strict_model_restores_from_its_json_dump() -> None:
    model = StrictProduct(id=uuid.uuid4(), at=dt.datetime.now(dt.UTC))
    assert loads(dumps(model)) == model


def test_stored_bytes_are_tagged_json_not_pickle() -> None:
    raw = dumps([_product()])
    assert not raw.startswith(b"\x80")  # every pickle protocol >= 2 starts so
    document = json.loads(raw)
    model = document["data"][0]
    assert model["$type"] == "model"
    assert model["cls"] == "tests.unit.cache.cache_models:Product"
    assert model["value"]["price"] == "9.99"


@pytest.mark.parametrize(
    "value",
    [object(), {"k": object()}, float("nan"), float("inf"), [lambda: None]],
)
def test_unsupported_values_raise_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="cannot cache"):
        dumps(value)


def test_local_model_class_is_refused_at_set_time() -> None:
    class Local(BaseModel):
        x: int

    with pytest.raises(TypeError, match="not importable"):
        dumps(Local(x=1))


def test_parametrized_generic_is_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match="module-level subclass"):
        dumps(Page[Product](items=[]))


def _document(data: object) -> bytes:
    return json.dumps({"v": 1, "data": data}).encode()


def _model(cls: str, value: object) -> bytes:
    return _document({"$type": "model", "cls": cls, "value": value})


MODELS = "tests.unit.cache.cache_models"


@pytest.mark.parametrize(
    "raw",
    [
        b"\x80\x04K\x01.",  # a pickle
        b"not json",
        b'{"v": 99, "data": 1}',
        b"[1, 2]",
        _document({"$type": "no-such-tag", "value": 1}),
        _model(f"{MODELS}:NotAModel", {}),
        _model("os:system", {}),
        _model("subprocess:Popen", {}),
        _model("no_such_module_xyz:M", {}),
        _model(f"{MODELS}:Gone", {}),
        _model(f"{MODELS}:Product", {"id": "x"}),
    ],
)
def test_undecodable_bytes_raise_cache_decode_error(raw: bytes) -> None:
    with pytest.raises(CacheDecodeError):
        loads(raw)


def test_canonical_json_ignores_dict_and_set_order() -> None:
    assert canonical_json({"b": 1, "a": {2, 1}}) == canonical_json({"a": {1, 2}, "b": 1})
    assert canonical_json({"a": 1}) != canonical_json({"a": 2})
