import pytest

from fastmvc.cache import CacheBackend, MemoryCacheBackend


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_backend_satisfies_the_protocol() -> None:
    assert isinstance(MemoryCacheBackend(), CacheBackend)


async def test_entries_expire_after_their_ttl() -> None:
    clock = FakeClock()
    backend = MemoryCacheBackend(clock=clock)
    await backend.set("short", b"1", 5)
    await backend.set("forever", b"2", None)
    clock.now += 4.9
    assert await backend.get("short") == b"1"
    clock.now += 0.1
    assert await backend.get("short") is None
    clock.now += 10**6
    assert await backend.get("forever") == b"2"
    assert len(backend) == 1  # the expired entry was dropped when read


async def test_least_recently_used_entry_is_evicted_at_the_bound() -> None:
    backend = MemoryCacheBackend(max_entries=3)
    for key in ("a", "b", "c"):
        await backend.set(key, key.encode(), None)
    assert await backend.get("a") == b"a"  # now b is the least recently used
    await backend.set("d", b"d", None)
    assert len(backend) == 3
    assert await backend.get("b") is None
    assert [await backend.get(k) for k in ("a", "c", "d")] == [b"a", b"c", b"d"]


async def test_overwriting_refreshes_value_and_ttl() -> None:
    clock = FakeClock()
    backend = MemoryCacheBackend(clock=clock)
    await backend.set("k", b"old", 1)
    clock.now += 0.9
    await backend.set("k", b"new", 1)
    clock.now += 0.9
    assert await backend.get("k") == b"new"


async def test_delete_and_delete_prefix_are_literal() -> None:
    backend = MemoryCacheBackend()
    for key in ("p*:1", "p*:2", "pa:1", "q:1"):
        await backend.set(key, b"x", None)
    assert await backend.delete("q:1", "missing") == 1
    assert await backend.delete_prefix("p*") == 2
    assert await backend.get("pa:1") == b"x"


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        MemoryCacheBackend(max_entries=0)
