import asyncio

import pytest

from fastmvc.cache import SingleFlight


async def test_concurrent_callers_share_one_computation() -> None:
    flight = SingleFlight()
    calls = 0
    release = asyncio.Event()

    async def work() -> list[int]:
        nonlocal calls
        calls += 1
        await release.wait()
        return [calls]

    tasks = [asyncio.create_task(flight.run("k", work)) for _ in range(10)]
    await asyncio.sleep(0)
    assert len(flight) == 1
    release.set()
    results = await asyncio.gather(*tasks)
    assert calls == 1
    assert [value for value, _ in results] == [[1]] * 10
    assert sorted(joined for _, joined in results) == [False] + [True] * 9
    assert len(flight) == 0


async def test_different_keys_do_not_wait_for_each_other() -> None:
    flight = SingleFlight()
    blocked = asyncio.Event()

    async def slow() -> str:
        await blocked.wait()
        return "slow"

    async def fast() -> str:
        return "fast"

    slow_task = asyncio.create_task(flight.run("a", slow))
    await asyncio.sleep(0)
    assert await flight.run("b", fast) == ("fast", False)
    blocked.set()
    assert await slow_task == ("slow", False)


async def test_error_reaches_every_waiter_and_is_not_kept() -> None:
    flight = SingleFlight()
    release = asyncio.Event()

    async def failing() -> int:
        await release.wait()
        raise LookupError("boom")

    tasks = [asyncio.create_task(flight.run("k", failing)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(result, LookupError) for result in results)

    async def working() -> int:
        return 7

    assert await flight.run("k", working) == (7, False)


async def test_cancelled_leader_hands_over_to_a_waiter() -> None:
    flight = SingleFlight()
    started: list[str] = []
    leader_blocked = asyncio.Event()

    async def work(name: str) -> str:
        started.append(name)
        if name == "leader":
            await leader_blocked.wait()  # never set: the leader is cancelled here
        await asyncio.sleep(0.01)  # still running when the other waiters wake up
        return name

    leader = asyncio.create_task(flight.run("k", lambda: work("leader")))
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(flight.run("k", lambda: work("waiter"))) for _ in range(3)]
    await asyncio.sleep(0)
    leader.cancel()
    async with asyncio.timeout(2):  # a wedged waiter would hang here
        results = await asyncio.gather(*waiters)
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert started == ["leader", "waiter"]
    assert sorted(joined for _, joined in results) == [False, True, True]
    assert {value for value, _ in results} == {"waiter"}


async def test_cancelled_waiter_leaves_the_leader_running() -> None:
    flight = SingleFlight()
    release = asyncio.Event()

    async def work() -> str:
        await release.wait()
        return "done"

    leader = asyncio.create_task(flight.run("k", work))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(flight.run("k", work))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    assert await leader == ("done", False)
