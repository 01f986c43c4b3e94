"""Coalesce the calls made in one event-loop tick into one batch, sent once.

The Redis backend uses it so that every limiter check started in one tick
shares one pipelined round trip; nothing here knows about Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["TickBatcher"]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

SendBatch = Callable[[list[ItemT]], Awaitable[Sequence[ResultT | BaseException]]]
"""Sends a batch; returns one result per item, in order, or the item's exception in its place."""


class _Batch(Generic[ItemT, ResultT]):
    __slots__ = ("futures", "items", "loop", "sent")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: list[ItemT] = []
        self.futures: list[asyncio.Future[ResultT]] = []
        self.sent = False


class TickBatcher(Generic[ItemT, ResultT]):
    """Collect the items submitted during one event-loop tick and send them in one call.

    The first :meth:`submit` of a tick opens a batch and schedules its sending
    with ``loop.call_soon``, which runs only after every callback already
    queued for this tick: so every task that reaches :meth:`submit` in the
    same tick joins the batch. A batch is also sent as soon as it holds
    ``max_batch`` items, and the next submit opens a new one.

    Each waiter gets its own item's result, or its own item's exception.
    When ``send`` itself raises, every waiter of the batch gets that
    exception (a cancelled send cancels them). A waiter cancelled before its
    batch is sent is left out of the batch; one cancelled later simply stops
    waiting, and the others still get their results.
    """

    def __init__(self, send: SendBatch[ItemT, ResultT], *, max_batch: int = 256) -> None:
        """Create a batcher.

        Args:
            send: Sends one batch (a non-empty list) and answers each item.
            max_batch: Most items in one batch.
        """
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._send = send
        self._max_batch = max_batch
        self._open: _Batch[ItemT, ResultT] | None = None
        # Strong references, so a batch in flight is never garbage-collected.
        self._in_flight: set[asyncio.Task[None]] = set()

    async def submit(self, item: ItemT) -> ResultT:
        """Add ``item`` to this tick's batch and wait for its result.

        Raises:
            BaseException: Whatever ``send`` gave or raised for this item.
        """
        loop = asyncio.get_running_loop()
        batch = self._open
        if batch is None or batch.loop is not loop:
            batch = self._open = _Batch(loop)
            loop.call_soon(self._dispatch, batch)
        future: asyncio.Future[ResultT] = loop.create_future()
        batch.items.append(item)
        batch.futures.append(future)
        if len(batch.items) >= self._max_batch:
            self._dispatch(batch)
        return await future

    def _dispatch(self, batch: _Batch[ItemT, ResultT]) -> None:
        if self._open is batch:
            self._open = None
        if batch.sent:
            return  # already sent when it filled up
        batch.sent = True
        task = batch.loop.create_task(self._run(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _run(self, batch: _Batch[ItemT, ResultT]) -> None:
        waiting = [index for index, future in enumerate(batch.futures) if not future.done()]
        if not waiting:
            return
        futures = [batch.futures[index] for index in waiting]
        try:
            results = await self._send([batch.items[index] for index in waiting])
        except Exception as exc:
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (the loop is closing), or the process is exiting
            for future in futures:
                future.cancel()
            raise
        if len(results) != len(futures):
            error = RuntimeError(f"a batch of {len(futures)} got {len(results)} results")
            for future in futures:
                if not future.done():
                    future.set_exception(error)
            return
        for future, result in zip(futures, results, strict=True):
            if future.done():
                continue  # its waiter was cancelled while the batch was in flight
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
