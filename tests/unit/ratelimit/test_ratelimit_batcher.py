"""TickBatcher: one send per event-loop tick, each waiter its own answer, cancellation contained."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from fastmvc.ratelimit.batcher import TickBatcher


class Recorder:
    """A send that records each batch and answers ``item * 10`` (an error for negatives)."""

    def __init__(self, *, gate: asyncio.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.gate = gate

    async def __call__(self, items: list[int]) -> Sequence[int | BaseException]:
        self.batches.append(list(items))
        if self.gate is not None:
            await self.gate.wait()
        return [ValueError(f"bad {item}") if item < 0 else item * 10 for item in items]


async def test_submits_of_one_tick_share_one_send() -> None:
    send = Recorder()
    batcher = TickBatcher(send)
    results = await asyncio.gather(*(batcher.submit(item) for item in range(7)))
    assert results == [item * 10 for item in range(7)]
    assert send.batches == [list(range(7))]


async def test_submits_of_different_ticks_are_sent_apart() -> None:
    send = Recorder()
    batcher = TickBatcher(send)
    assert await batcher.submit(1) == 10
    assert await batcher.submit(2) == 20
    assert send.batches == [[1], [2]]


async def test_a_full_batch_is_sent_at_once_and_the_rest_starts_another() -> None:
    send = Recorder()
    batcher = TickBatcher(send, max_batch=3)
    results = await asyncio.gather(*(batcher.submit(item) for item in range(8)))
    assert results == [item * 10 for item in range(8)]
    assert send.batches == [[0, 1, 2], [3, 4, 5], [6, 7]]


async def test_an_item_error_reaches_only_its_own_waiter() -> None:
    batcher = TickBatcher(Recorder())
    results = await asyncio.gather(
        batcher.submit(1), batcher.submit(-2), batcher.submit(3), return_exceptions=True
    )
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad -2"


async def test_a_failed_send_fails_every_waiter() -> None:
    batches: list[list[int]] = []

    async def broken(items: list[int]) -> Sequence[int | BaseException]:
        batches.append(items)
        raise ConnectionError("down")

    batcher = TickBatcher(broken)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(4)), return_exceptions=True)
    assert len(batches) == 1
    assert all(isinstance(r, ConnectionError) and str(r) == "down" for r in results)


async def test_a_send_with_the_wrong_number_of_results_fails_every_waiter() -> None:
    async def short(items: list[int]) -> Sequence[int | BaseException]:
        return items[:-1]

    batcher = TickBatcher(short)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert str(results[0]) == "a batch of 3 got 2 results"


async def test_a_waiter_cancelled_before_the_send_is_left_out() -> None:
    send = Recorder()
    batcher = TickBatcher(send)
    tasks = [asyncio.create_task(batcher.submit(item)) for item in range(5)]
    await asyncio.sleep(0)  # every task has submitted; the batch is not sent yet
    assert send.batches == []
    tasks[1].cancel()
    tasks[3].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert send.batches == [[0, 2, 4]]
    assert [results[0], results[2], results[4]] == [0, 20, 40]
    assert isinstance(results[1], asyncio.CancelledError)
    assert isinstance(results[3], asyncio.CancelledError)


async def test_a_waiter_cancelled_in_flight_leaves_the_others_their_answers() -> None:
    gate = asyncio.Event()
    send = Recorder(gate=gate)
    batcher = TickBatcher(send)
    tasks = [asyncio.create_task(batcher.submit(item)) for item in range(4)]
    while not send.batches:
        await asyncio.sleep(0)
    tasks[2].cancel()
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert send.batches == [[0, 1, 2, 3]]  # sent whole: the hit was already on its way
    assert [results[0], results[1], results[3]] == [0, 10, 30]
    assert isinstance(results[2], asyncio.CancelledError)
    # The batcher still works afterwards.
    assert await batcher.submit(5) == 50


async def test_a_cancelled_send_cancels_its_waiters() -> None:
    gate = asyncio.Event()
    send = Recorder(gate=gate)
    batcher = TickBatcher(send)
    tasks = [asyncio.create_task(batcher.submit(item)) for item in range(3)]
    while not send.batches:
        await asyncio.sleep(0)
    (in_flight,) = batcher._in_flight
    in_flight.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        TickBatcher(Recorder(), max_batch=0)
