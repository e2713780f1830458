"""Group concurrent small scoring calls into batches (the reward server, verl's reward loop).

OpenRLHF 0.11 posts **one sample per request** as each rollout finishes, so a
rollout of 512 prompts x 8 samples arrives as 4,096 concurrent requests; verl
0.9's reward loop likewise calls ``run_single`` once per sample, all at once.
Grading each alone pays the grader pool's round trip per sample and keeps at
most a few samples in flight. :class:`MicroBatcher` instead queues every call
and hands whatever has queued to one blocking batch function, at most
``max_concurrency`` batches at a time: no timer, so a lone request starts at
once, and under load batches grow to ``max_batch_items`` by themselves.

Calls wait in the queue rather than being refused, up to ``max_pending_items``
queued items (memory bound); past that :meth:`MicroBatcher.submit` raises
:class:`QueueFull`. A batch that raises is retried one call at a time, so a
malformed request fails alone instead of failing the requests batched with it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

Call = TypeVar("Call")
Result = TypeVar("Result")


class QueueFull(RuntimeError):
    """More than ``max_pending_items`` items are already waiting."""


@dataclass
class BatcherStats:
    """Counters for ``/health`` and logs; ``pending_items`` is the queue depth now."""

    pending_items: int = 0
    running_batches: int = 0
    batches: int = 0
    calls: int = 0
    items: int = 0
    rejected: int = 0
    retried_alone: int = 0


class MicroBatcher(Generic[Call, Result]):
    """Run ``batch_fn(calls) -> results`` (one result per call, blocking) on batched calls.

    Args:
        batch_fn: scores a list of calls, returning one result per call, in order;
            runs in ``executor`` threads, so it may block.
        size: items in one call (a request's responses); batches are cut by items.
        max_batch_items: a batch stops growing past this many items (a single
            larger call still runs, alone).
        max_concurrency: batches running at once.
        max_pending_items: queued items allowed before :class:`QueueFull`.
        executor: threads for ``batch_fn`` (default: a pool of ``max_concurrency``).

    One instance serves one event loop: the first :meth:`submit` binds it.
    """

    def __init__(
        self,
        batch_fn: Callable[[list[Call]], Sequence[Result]],
        *,
        size: Callable[[Call], int] = lambda _: 1,
        max_batch_items: int = 256,
        max_concurrency: int = 2,
        max_pending_items: int = 65536,
        executor: Executor | None = None,
    ) -> None:
        for name, value in (
            ("max_batch_items", max_batch_items),
            ("max_concurrency", max_concurrency),
            ("max_pending_items", max_pending_items),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MicroBatcher.{name} must be an int >= 1, got {value!r}")
        self.batch_fn = batch_fn
        self.size = size
        self.max_batch_items = max_batch_items
        self.max_concurrency = max_concurrency
        self.max_pending_items = max_pending_items
        self._own_executor = executor is None
        self.executor = executor or ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix="longcot-batch"
        )
        self.stats = BatcherStats()
        self._queue: deque[tuple[Call, int, asyncio.Future]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()  # running batches (the loop keeps weak refs only)

    async def submit(self, call: Call) -> Result:
        """Queue ``call``; return its result once its batch has run.

        Raises QueueFull when the queue is at its bound, or whatever
        ``batch_fn`` raised for this call when run alone.
        """
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("a MicroBatcher serves one event loop; make one per loop")
        n = self.size(call)
        if self.stats.pending_items + n > self.max_pending_items and self.stats.pending_items:
            self.stats.rejected += 1
            raise QueueFull(
                f"{self.stats.pending_items} items already queued (limit {self.max_pending_items})"
            )
        future = loop.create_future()
        self._queue.append((call, n, future))
        self.stats.pending_items += n
        self._start_batches()
        return await future

    def _start_batches(self) -> None:
        while self._queue and self.stats.running_batches < self.max_concurrency:
            batch: list[tuple[Call, asyncio.Future]] = []
            items = 0
            while self._queue:
                call, n, future = self._queue[0]
                if batch and items + n > self.max_batch_items:
                    break
                self._queue.popleft()
                self.stats.pending_items -= n
                if future.cancelled():  # the client went away while queued
                    continue
                batch.append((call, future))
                items += n
            if not batch:
                continue
            self.stats.running_batches += 1
            self.stats.batches += 1
            self.stats.calls += len(batch)
            self.stats.items += items
            task = self._loop.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[Call, asyncio.Future]]) -> None:
        calls = [c for c, _ in batch]
        try:
            try:
                results = await self._loop.run_in_executor(self.executor, self._checked, calls)
                outcomes: list[tuple[Result | None, BaseException | None]] = [
                    (r, None) for r in results
                ]
            except Exception:
                if len(calls) == 1:
                    raise
                # One bad call must not fail the calls batched with it: rerun each alone.
                self.stats.retried_alone += len(calls)
                outcomes = []
                for call in calls:
                    try:
                        (r,) = await self._loop.run_in_executor(
                            self.executor, self._checked, [call]
                        )
                        outcomes.append((r, None))
                    except Exception as e:
                        outcomes.append((None, e))
        except Exception as e:
            outcomes = [(None, e)]
        finally:
            self.stats.running_batches -= 1
            self._start_batches()
        for (_, future), (result, error) in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    def _checked(self, calls: list[Call]) -> list[Result]:
        results = list(self.batch_fn(calls))
        if len(results) != len(calls):
            raise RuntimeError(f"batch function returned {len(results)} results for {len(calls)}")
        return results

    def shutdown(self) -> None:
        """Stop the executor if this batcher made it (queued calls are abandoned)."""
        if self._own_executor:
            self.executor.shutdown(wait=True, cancel_futures=True)
