"""JSON encoding of cached values, with small type tags; never pickling.

Plain JSON values (``str``, ``int``, finite ``float``, ``bool``, ``None``,
lists, dicts with string keys) are stored as themselves. Everything else that
the cache supports becomes an object ``{"$type": tag, "value": payload}``:

* a Pydantic ``BaseModel``: tag ``model``, payload ``model_dump(mode="json")``,
  plus ``"cls": "package.module:QualName"`` to restore it with
  ``model_validate`` (lists and dicts of models are simply containers of these);
* ``datetime``, ``date``, ``time``: their ISO 8601 text;
* ``timedelta``: ``[days, seconds, microseconds]``;
* ``Decimal``, ``UUID``: their exact text;
* ``bytes``: base64;
* ``tuple``, ``set``, ``frozenset``: a list of items (set items sorted by
  their JSON text, so equal sets encode equally);
* a dict with a non-string key, or with a ``"$type"`` key of its own: tag
  ``dict``, payload a sorted list of ``[key, value]`` pairs.

Anything else (an ORM entity, a socket, a NaN) raises :class:`TypeError` when
it is stored, not when it is read back. Subclasses of ``str``/``int`` (such as
``StrEnum``) are stored as their base type and come back as it.

Trust boundary: a model is restored by importing the module named in the
``cls`` field and calling ``model_validate`` on the class found there, after
checking that it *is* a ``BaseModel`` subclass. No other class is ever
instantiated and no code is deserialized, so a poisoned cache cannot run
arbitrary code the way unpickling could. It can still name any importable module
(running its import-time code) and feed a model any data that the model's own
validation accepts; treat write access to the cache store like write access to
the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import math
import uuid
import weakref
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

__all__ = ["CacheDecodeError", "canonical_json", "dumps", "loads"]

FORMAT_VERSION = 1
_TAG = "$type"

JSONValue = Any  # what json.dumps accepts; recursive aliases cost more than they tell here


class CacheDecodeError(ValueError):
    """Stored bytes could not be turned back into a value (corrupt, foreign or stale)."""


def dumps(value: object) -> bytes:
    """Encode a value as UTF-8 JSON bytes.

    Raises:
        TypeError: The value (or something inside it) is not supported.
    """
    document = {"v": FORMAT_VERSION, "data": _encode(value)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def loads(raw: bytes) -> Any:
    """Decode bytes written by :func:`dumps`.

    Raises:
        CacheDecodeError: The bytes are not a document this version wrote, or a
            model no longer validates or can no longer be imported.
    """
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise CacheDecodeError(f"cached bytes are not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("v") != FORMAT_VERSION:
        raise CacheDecodeError("cached bytes are not a FastMVC cache document")
    try:
        return _decode(document.get("data"))
    # A model's ValidationError is a ValueError; a renamed or moved model class an
    # ImportError or AttributeError. Either way the entry is stale, not fatal.
    except (AttributeError, ImportError, KeyError, TypeError, ValueError) as exc:
        raise CacheDecodeError(f"cannot restore cached value: {exc}") from exc


def canonical_json(value: object) -> str:
    """One text per value, stable across processes and runs: sorted keys, ASCII, compact.

    Cache keys hash this text; Python's ``hash()`` is salted per process and
    would give every worker its own keys.

    Raises:
        TypeError: The value (or something inside it) is not supported.
    """
    return json.dumps(_encode(value), sort_keys=True, ensure_ascii=True, separators=(",", ":"))


# -- encoding -----------------------------------------------------------------------------


def _encode(value: object) -> JSONValue:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"cannot cache the non-finite float {value!r}")
        return value
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return _encode_dict(value)
    if isinstance(value, BaseModel):
        return _tagged("model", value.model_dump(mode="json"), cls=_model_path(type(value)))
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return _tagged("datetime", value.isoformat())
    if isinstance(value, dt.date):
        return _tagged("date", value.isoformat())
    if isinstance(value, dt.time):
        return _tagged("time", value.isoformat())
    if isinstance(value, dt.timedelta):
        return _tagged("timedelta", [value.days, value.seconds, value.microseconds])
    if isinstance(value, Decimal):
        return _tagged("decimal", str(value))
    if isinstance(value, uuid.UUID):
        return _tagged("uuid", str(value))
    if isinstance(value, bytes):
        return _tagged("bytes", base64.b64encode(value).decode("ascii"))
    if isinstance(value, tuple):
        return _tagged("tuple", [_encode(item) for item in value])
    if isinstance(value, set | frozenset):
        tag = "frozenset" if isinstance(value, frozenset) else "set"
        return _tagged(tag, sorted((_encode(item) for item in value), key=_sort_key))
    raise TypeError(
        f"cannot cache a value of type {type(value).__module__}.{type(value).__qualname__}: "
        "cache JSON values, Pydantic models, datetimes, Decimals, UUIDs, bytes or "
        "containers of those (convert ORM entities to a Pydantic model first)"
    )


def _encode_dict(value: dict[Any, Any]) -> JSONValue:
    if all(isinstance(key, str) for key in value) and _TAG not in value:
        return {key: _encode(item) for key, item in value.items()}
    pairs = [[_encode(key), _encode(item)] for key, item in value.items()]
    return _tagged("dict", sorted(pairs, key=_sort_key))


def _tagged(tag: str, payload: JSONValue, **extra: str) -> dict[str, JSONValue]:
    return {_TAG: tag, **extra, "value": payload}


def _sort_key(encoded: JSONValue) -> str:
    # Mixed-type items have no natural order; their canonical text does.
    return json.dumps(encoded, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


_verified_paths: weakref.WeakKeyDictionary[type[BaseModel], str] = weakref.WeakKeyDictionary()


def _model_path(cls: type[BaseModel]) -> str:
    """``module:QualName`` of a model class, checked to import back to that very class."""
    path = _verified_paths.get(cls)
    if path is not None:
        return path
    path = f"{cls.__module__}:{cls.__qualname__}"
    found: type[BaseModel] | None = None
    # Pydantic may register Page[Item] in its module, but only in processes that
    # happened to parametrize it first: refuse it rather than miss elsewhere.
    if "[" not in path:
        try:
            found = _resolve_model(path)
        except (ImportError, AttributeError, TypeError):
            found = None
    if found is not cls:
        raise TypeError(
            f"cannot cache a {cls.__qualname__}: the class is not importable as {path!r} "
            "(a class defined inside a function, or a parametrized generic such as Page[Item]; "
            "declare a module-level subclass, e.g. class ItemPage(Page[Item]): ...)"
        )
    _verified_paths[cls] = path
    return path


# -- decoding -----------------------------------------------------------------------------


def _decode(data: JSONValue) -> Any:
    if isinstance(data, list):
        return [_decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    tag = data.get(_TAG)
    if tag is None:
        return {key: _decode(item) for key, item in data.items()}
    payload = data["value"]
    match tag:
        case "model":
            model = _resolve_model(str(data["cls"]))
            # strict=False: the JSON dump holds strings for datetimes, UUIDs…, which a
            # model configured as strict would otherwise refuse from a Python dict.
            return model.model_validate(payload, strict=False)
        case "datetime":
            return dt.datetime.fromisoformat(payload)
        case "date":
            return dt.date.fromisoformat(payload)
        case "time":
            return dt.time.fromisoformat(payload)
        case "timedelta":
            days, seconds, microseconds = payload
            return dt.timedelta(days=days, seconds=seconds, microseconds=microseconds)
        case "decimal":
            return Decimal(payload)
        case "uuid":
            return uuid.UUID(payload)
        case "bytes":
            return base64.b64decode(payload, validate=True)
        case "tuple":
            return tuple(_decode(item) for item in payload)
        case "set":
            return {_decode(item) for item in payload}
        case "frozenset":
            return frozenset(_decode(item) for item in payload)
        case "dict":
            return {_decode(key): _decode(item) for key, item in payload}
    raise CacheDecodeError(f"unknown cache type tag {tag!r}")


@lru_cache(maxsize=512)
def _resolve_model(path: str) -> type[BaseModel]:
    """Import ``module:QualName`` and return it only if it is a ``BaseModel`` subclass."""
    module_name, _, qualname = path.partition(":")
    if not module_name or not qualname or "<locals>" in qualname:
        raise TypeError(f"not a model import path: {path!r}")
    found: object = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise TypeError(f"{path!r} is not a Pydantic model class; refusing to restore it")
    return found
