"""Every cache behaviour, checked on the memory backend and on the real Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from pydantic import BaseModel

from fastmvc.cache import Cache


class Item(BaseModel):
    id: int
    name: str
    price: Decimal
    urn: uuid.UUID
    created_at: dt.datetime


def make_item(n: int) -> Item:
    return Item(
        id=n,
        name=f"item {n}",
        price=Decimal("19.90"),
        urn=uuid.UUID(int=n),
        created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n),
    )


class Counter:
    def __init__(self) -> None:
        self.calls = 0


async def test_miss_then_hit(cache: Cache) -> None:
    counter = Counter()

    @cache.cached(ttl=60)
    async def double(x: int) -> int:
        counter.calls += 1
        return 2 * x

    assert await double(2) == 4
    assert await double(2) == 4
    assert await double(x=2) == 4
    assert counter.calls == 1
    assert await double(3) == 6
    assert counter.calls == 2


async def test_entry_expires_after_its_ttl(cache: Cache) -> None:
    counter = Counter()

    @cache.cached(ttl=0.2)
    async def stamp() -> int:
        counter.calls += 1
        return counter.calls

    assert await stamp() == 1
    assert await stamp() == 1
    await asyncio.sleep(0.35)
    assert await stamp() == 2


async def test_none_is_cached_as_a_value(cache: Cache) -> None:
    counter = Counter()

    @cache.cached(ttl=60, key="maybe:{x}")
    async def maybe(x: int) -> int | None:
        counter.calls += 1
        return None

    assert await maybe(1) is None
    assert await maybe(1) is None
    assert counter.calls == 1
    missing = object()
    assert await cache.get("maybe:1", missing) is None
    assert await cache.get("maybe:2", missing) is missing


async def test_explicit_key_template_and_invalidation_by_key(cache: Cache) -> None:
    counter = Counter()

    @cache.cached(ttl=60, key="product:{product_id}")
    async def get_product(product_id: int) -> dict[str, int]:
        counter.calls += 1
        return {"id": product_id, "version": counter.calls}

    assert await get_product(42) == {"id": 42, "version": 1}
    assert await cache.backend.get(cache.namespace + "product:42") is not None
    assert await cache.get("product:42") == {"id": 42, "version": 1}

    assert await cache.delete("product:42") == 1
    assert await get_product(42) == {"id": 42, "version": 2}
    assert await cache.invalidate(get_product, product_id=42) is True
    assert await get_product(42) == {"id": 42, "version": 3}
    assert await get_product(42) == {"id": 42, "version": 3}


async def test_invalidation_by_prefix_spans_many_scan_batches(cache: Cache) -> None:
    for n in range(250):
        await cache.set(f"items:{n}", n, ttl=60)
    for n in range(5):
        await cache.set(f"itemz:{n}", n, ttl=60)
    assert await cache.delete_prefix("items:") == 250
    assert [await cache.get(f"items:{n}") for n in (0, 124, 249)] == [None, None, None]
    assert [await cache.get(f"itemz:{n}") for n in range(5)] == list(range(5))


@pytest.mark.parametrize(
    ("prefix", "matching", "look_alikes"),
    [
        ("a*", ["a*:1", "a*"], ["ab:1", "a:1", "aXYZ"]),
        ("a?", ["a?:1"], ["ab:1", "ac"]),
        ("u[12]", ["u[12]:1"], ["u1:1", "u2:1", "u[1]"]),
        ("g[^x]", ["g[^x]:1"], ["ga:1"]),
        ("back\\", ["back\\slash"], ["backslash", "back"]),
    ],
)
async def test_prefix_with_glob_metacharacters_does_not_over_match(
    cache: Cache, prefix: str, matching: list[str], look_alikes: list[str]
) -> None:
    for key in [*matching, *look_alikes]:
        await cache.set(key, key, ttl=60)
    assert await cache.delete_prefix(prefix) == len(matching)
    assert [await cache.get(key) for key in matching] == [None] * len(matching)
    assert [await cache.get(key) for key in look_alikes] == look_alikes


async def test_clear_removes_only_this_namespace(cache: Cache) -> None:
    neighbour = Cache(cache.backend, namespace=cache.namespace + "neighbour-")
    other = Cache(cache.backend, namespace=cache.namespace[:-1] + "-other:")
    await cache.set("k", 1, ttl=60)
    await other.set("k", 2, ttl=60)
    await neighbour.set("k", 3, ttl=60)
    try:
        assert await neighbour.clear() == 1
        assert await cache.get("k") == 1
        assert await other.get("k") == 2
    finally:
        await other.clear()


async def test_models_and_lists_of_models_round_trip(cache: Cache) -> None:
    counter = Counter()

    @cache.cached(ttl=60)
    async def one(n: int) -> Item:
        counter.calls += 1
        return make_item(n)

    @cache.cached(ttl=60)
    async def page(count: int) -> list[Item]:
        counter.calls += 1
        return [make_item(n) for n in range(count)]

    for _ in range(2):
        item = await one(7)
        assert type(item) is Item
        assert item == make_item(7)
        items = await page(3)
        assert all(type(i) is Item for i in items)
        assert items == [make_item(0), make_item(1), make_item(2)]
    assert counter.calls == 2


async def test_stored_bytes_are_json_never_pickle(cache: Cache) -> None:
    await cache.set("doc", {"items": [make_item(1)], "when": dt.date(2024, 2, 29)}, ttl=60)
    raw = await cache.backend.get(cache.namespace + "doc")
    assert raw is not None
    assert not raw.startswith(b"\x80")
    document = json.loads(raw)
    assert document["data"]["items"][0]["$type"] == "model"
    assert document["data"]["items"][0]["value"]["price"] == "19.90"
    assert document["data"]["when"] == {"$type": "date", "value": "2024-02-29"}


async def test_unserializable_value_raises_type_error_at_set_time(cache: Cache) -> None:
    with pytest.raises(TypeError, match="cannot cache"):
        await cache.set("bad", {"lock": asyncio.Lock()}, ttl=60)
    assert await cache.backend.get(cache.namespace + "bad") is None


async def test_concurrent_misses_compute_once(cache: Cache) -> None:
    counter = Counter()

    @cache.cached(ttl=60)
    async def slow(x: int) -> list[int]:
        counter.calls += 1
        await asyncio.sleep(0.05)
        return [x]

    results = await asyncio.gather(*(slow(1) for _ in range(25)))
    assert counter.calls == 1
    assert results == [[1]] * 25
    assert len({id(result) for result in results}) == 25  # each caller owns its copy
    assert await slow(1) == [1]
    assert counter.calls == 1


async def test_error_in_compute_reaches_all_waiters_and_is_not_cached(cache: Cache) -> None:
    counter = Counter()

    @cache.cached(ttl=60)
    async def flaky(x: int) -> int:
        counter.calls += 1
        await asyncio.sleep(0.02)
        if counter.calls == 1:
            raise RuntimeError("database hiccup")
        return x

    results = await asyncio.gather(*(flaky(5) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)
    assert counter.calls == 1
    assert await cache.invalidate(flaky, 5) is False  # the error left no entry behind
    assert await flaky(5) == 5
    assert await flaky(5) == 5
    assert counter.calls == 2


async def test_cancelled_leader_does_not_wedge_waiters(cache: Cache) -> None:
    counter = Counter()
    started = asyncio.Event()

    @cache.cached(ttl=60)
    async def load(x: int) -> int:
        counter.calls += 1
        started.set()
        await asyncio.sleep(0.1)
        return x

    leader = asyncio.create_task(load(1))
    await started.wait()
    waiters = [asyncio.create_task(load(1)) for _ in range(3)]
    await asyncio.sleep(0.01)
    leader.cancel()
    async with asyncio.timeout(5):
        assert await asyncio.gather(*waiters) == [1, 1, 1]
    assert leader.cancelled()
    assert counter.calls == 2  # the cancelled leader's attempt, then one waiter's
