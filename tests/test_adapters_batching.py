"""MicroBatcher (concurrent one-sample calls graded in batches) and the shared
finish rules of the text-only adapters."""

from __future__ import annotations

import asyncio
import threading

import pytest

from longcot.adapters.batching import MicroBatcher, QueueFull
from longcot.adapters.common import TRUNCATION_SLACK, decide_finish, response_from_text, strip_eos


class Recorder:
    """A blocking batch function that records the batches it was given."""

    def __init__(self, gate: threading.Event | None = None, fail_on=None):
        self.batches: list[list] = []
        self.gate = gate
        self.fail_on = fail_on

    def __call__(self, calls):
        if self.gate is not None:
            self.gate.wait(10)
        self.batches.append(list(calls))
        if self.fail_on is not None and self.fail_on in calls:
            raise ValueError(f"bad call {self.fail_on}")
        return [c * 10 for c in calls]


def test_concurrent_calls_are_batched_in_order():
    gate = threading.Event()
    fn = Recorder(gate)
    batcher = MicroBatcher(fn, max_batch_items=4, max_concurrency=1)

    async def main():
        tasks = [asyncio.create_task(batcher.submit(i)) for i in range(9)]
        await asyncio.sleep(0.05)  # all queued behind the first, which waits on the gate
        gate.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(main()) == [i * 10 for i in range(9)]
    # the first call starts alone at once; the rest wait and go in batches of at most 4
    assert fn.batches == [[0], [1, 2, 3, 4], [5, 6, 7, 8]]
    assert batcher.stats.batches == 3 and batcher.stats.pending_items == 0
    batcher.shutdown()


def test_a_lone_call_does_not_wait_for_company():
    fn = Recorder()
    batcher = MicroBatcher(fn)
    assert asyncio.run(batcher.submit(3)) == 30 and fn.batches == [[3]]
    batcher.shutdown()


def test_a_failing_call_fails_alone():
    gate = threading.Event()
    fn = Recorder(gate, fail_on=2)
    batcher = MicroBatcher(fn, max_concurrency=1)

    async def main():
        tasks = [asyncio.create_task(batcher.submit(i)) for i in range(4)]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    out = asyncio.run(main())
    assert out[0] == 0 and out[1] == 10 and out[3] == 30
    assert isinstance(out[2], ValueError) and "bad call 2" in str(out[2])
    assert batcher.stats.retried_alone == 3  # [1, 2, 3] failed together, then one by one
    batcher.shutdown()


def test_queue_bound_raises_queue_full():
    gate = threading.Event()
    batcher = MicroBatcher(Recorder(gate), max_concurrency=1, max_pending_items=2)

    async def main():
        running = asyncio.create_task(batcher.submit(0))
        await asyncio.sleep(0.05)
        queued = [asyncio.create_task(batcher.submit(i)) for i in (1, 2)]
        await asyncio.sleep(0.01)
        with pytest.raises(QueueFull, match="limit 2"):
            await batcher.submit(3)
        gate.set()
        return await asyncio.gather(running, *queued)

    assert asyncio.run(main()) == [0, 10, 20]
    assert batcher.stats.rejected == 1
    batcher.shutdown()


def test_items_are_counted_by_size():
    fn = Recorder(threading.Event())
    batcher = MicroBatcher(fn, size=len, max_batch_items=3, max_concurrency=1)

    async def main():
        first = asyncio.create_task(batcher.submit([1]))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(batcher.submit([i, i])) for i in (2, 3)]
        await asyncio.sleep(0.01)
        pending = batcher.stats.pending_items
        fn.gate.set()
        await asyncio.gather(first, *rest)
        return pending

    assert asyncio.run(main()) == 4
    assert [len(b) for b in fn.batches] == [1, 1, 1]  # 2 + 2 items exceed a batch of 3
    batcher.shutdown()


def test_one_event_loop_per_batcher():
    batcher = MicroBatcher(Recorder())
    asyncio.run(batcher.submit(1))
    with pytest.raises(RuntimeError, match="one event loop"):
        asyncio.run(batcher.submit(1))
    batcher.shutdown()


@pytest.mark.parametrize("name", ["max_batch_items", "max_concurrency", "max_pending_items"])
def test_limits_are_validated(name):
    with pytest.raises(ValueError, match=name):
        MicroBatcher(Recorder(), **{name: 0})


class TestFinishRules:
    @pytest.mark.parametrize(
        "n,eos,given,expected",
        [
            (10, False, "length", ("length", "request")),  # the caller knows best
            (10, True, None, ("stop", "eos")),
            (100, True, None, ("stop", "eos")),  # end-of-sequence wins over the budget
            (100, False, None, ("length", "budget")),
            (100 - TRUNCATION_SLACK, False, None, ("length", "budget")),  # re-tokenization drift
            (100 - TRUNCATION_SLACK - 1, False, None, ("stop", "guessed")),
        ],
    )
    def test_sources_in_order(self, n, eos, given, expected):
        assert decide_finish(n, max_length=100, ended_with_eos=eos, finish_reason=given) == expected

    def test_bad_finish_reason(self):
        with pytest.raises(ValueError, match="finish_reason"):
            decide_finish(1, max_length=10, ended_with_eos=False, finish_reason="eos")

    def test_strip_eos(self):
        assert strip_eos("a<|im_end|>\n", ["<|endoftext|>", "<|im_end|>"]) == ("a", True)
        assert strip_eos("a", ["<|im_end|>"]) == ("a", False)

    def test_response_from_text(self, tiny_model_dir):
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(tiny_model_dir)
        r = response_from_text(r"\boxed{1}<|im_end|>", tok, max_length=5)
        assert r.text == r"\boxed{1}" and r.finish_reason == "stop" and r.finish_source == "eos"
        assert list(r.token_ids) == tok.encode(r"\boxed{1}", add_special_tokens=False)
