"""Safety and hard timeouts: nothing in model text runs, nothing hangs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from longcot.verify import GraderPool, grade, grade_many

INJECTIONS = [
    "\\boxed{__import__('os').system('touch {marker}')}",
    "\\boxed{eval(\"open('{marker}','w')\")}",
    "The answer is: __import__('subprocess').call(['touch', '{marker}'])",
    "\\boxed{exec('import os; os.system(\"touch {marker}\")')}",
    "\\boxed{(lambda: __import__('os').system('touch {marker}'))()}",
]


@pytest.mark.parametrize("template", INJECTIONS)
@pytest.mark.parametrize("task", ["math", "aime", "theoremqa"])
def test_code_in_answers_is_never_executed(tmp_path, template, task):
    marker = tmp_path / "pwned"
    response = template.replace("{marker}", str(marker))
    answer_type = "float" if task == "theoremqa" else None
    v = grade(response, "5", task=task, answer_type=answer_type)
    assert v.status in ("incorrect", "no_answer"), v
    assert not marker.exists()


class TestHardTimeouts:
    @pytest.fixture(autouse=True)
    def _warm_pool(self):
        # Start the shared grader pool outside the timed region: these tests bound the
        # time limit's enforcement, not the workers' start-up (seconds when the machine
        # is busy).
        assert grade("\\boxed{1}", "1").correct

    def test_tower_of_powers_returns_within_the_limit(self):
        start = time.monotonic()
        v = grade("\\boxed{9^{9^{9^{9}}}}", "\\sqrt{2}", timeout=1.0)
        elapsed = time.monotonic() - start
        assert v.status in ("timeout", "incorrect"), v
        assert elapsed < 1.0 + 1.0

    def test_one_megabyte_answer(self):
        start = time.monotonic()
        v = grade("\\boxed{" + "1" * 1_000_000 + "}", "1", timeout=2.0)
        assert v.status in ("timeout", "incorrect"), v
        assert time.monotonic() - start < 2.0 + 1.0

    def test_ten_thousand_nested_braces(self):
        response = "\\boxed{" + "{" * 10_000 + "1" + "}" * 10_000 + "}"
        start = time.monotonic()
        v = grade(response, "1", timeout=2.0)
        assert v.status in ("timeout", "incorrect", "correct"), v
        assert time.monotonic() - start < 2.0 + 1.0

    def test_a_pathological_item_does_not_block_the_others(self):
        good = [{"response": f"\\boxed{{{i}}}", "gold": str(i)} for i in range(200)]
        # The same items alone first: this starts the shared pool and measures what they
        # cost on this machine now, so other jobs' load cannot fail the bound below.
        start = time.monotonic()
        assert all(v.correct for v in grade_many(good, timeout=1.5))
        alone = time.monotonic() - start
        items = [{"response": "\\boxed{9^{9^{9^{9}}}}", "gold": "\\sqrt{2}"}, *good]
        start = time.monotonic()
        verdicts = grade_many(items, timeout=1.5)
        # Unbounded, the tower never finishes, and items queued behind it would each wait
        # out a limit; bounded, it costs its own limit, the good items (on one worker
        # fewer) at most twice what they cost alone, plus the spare's start-up.
        assert time.monotonic() - start < 1.5 + 2 * alone + 3.0
        assert verdicts[0].status == "timeout"
        assert all(v.correct for v in verdicts[1:])


class TestWorkerLifecycle:
    def test_a_killed_worker_is_replaced(self):
        with GraderPool(1) as pool:
            request = ("\\boxed{1}", "1", "math", None, None, False)
            assert pool.run(request, 5.0).correct
            for pid in pool.pids():
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
            # The item goes to a fresh worker; it is not failed for the dead one.
            assert pool.run(request, 30.0).correct
            assert pool.replaced >= 1

    def test_timeout_replaces_the_worker_and_the_pool_keeps_working(self):
        with GraderPool(1) as pool:
            slow = ("\\boxed{9^{9^{9^{9}}}}", "\\sqrt{2}", "math", None, None, False)
            assert pool.run(slow, 0.5).status == "timeout"
            assert pool.run(("\\boxed{2}", "2", "math", None, None, False), 30.0).correct
            assert pool.replaced == 1

    def test_workers_do_not_import_the_callers_main_module(self, tmp_path):
        # multiprocessing's spawn/forkserver would re-run this unguarded script
        # in each worker; subprocess workers never import it.
        marker = tmp_path / "imported"
        script = tmp_path / "user_script.py"
        script.write_text(
            "import pathlib\n"
            f"pathlib.Path({str(marker)!r}).open('a').write('x')\n"
            "from longcot.verify import grade\n"
            "print(grade('\\\\boxed{1}', '1').status)\n"
        )
        out = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=120
        )
        assert out.stdout.strip() == "correct", out.stderr[-2000:]
        assert marker.read_text() == "x"


def test_grade_many_from_four_threads_at_once():
    def work(offset: int, out: list) -> None:
        items = [{"response": f"\\boxed{{{i}}}", "gold": str(i % 7 + offset)} for i in range(100)]
        out.extend(grade_many(items))

    results: list[list] = [[] for _ in range(4)]
    threads = [threading.Thread(target=work, args=(k, results[k])) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for k, verdicts in enumerate(results):
        assert len(verdicts) == 100
        # Order is preserved: item i is correct exactly when i == i % 7 + k.
        assert [v.correct for v in verdicts] == [i == i % 7 + k for i in range(100)]


def test_grade_many_from_asyncio():
    from longcot.verify import agrade_many

    async def main():
        items = [{"response": "\\boxed{3}", "gold": "3"}, {"response": "\\boxed{4}", "gold": "3"}]
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        t = asyncio.create_task(ticker())
        verdicts = await agrade_many(items)
        t.cancel()
        return verdicts, ticks

    verdicts, ticks = asyncio.run(main())
    assert [v.status for v in verdicts] == ["correct", "incorrect"]
    assert ticks > 0  # the loop kept running while grading


def test_in_process_mode_for_debugging():
    assert grade_many([{"response": "\\boxed{1}", "gold": "1"}], workers=0)[0].correct


@pytest.mark.parametrize(
    "items,error",
    [
        ([{"gold": "1"}], "needs 'response' and 'gold'"),
        ([{"response": 5, "gold": "1"}], "must be str"),
        ([{"response": "x", "gold": "1", "task": "nope"}], "unknown task"),
        (["x"], "must be a dict"),
    ],
)
def test_bad_items_name_the_index(items, error):
    with pytest.raises((ValueError, TypeError), match=error):
        grade_many(items)


def test_grade_command(tmp_path):
    from longcot.cli import main

    src = tmp_path / "preds.jsonl"
    rows = [
        {"id": 1, "response": "\\boxed{\\frac12}", "gold": "0.5"},
        {"id": 2, "response": "no idea", "gold": "3"},
        {"id": 3, "response": "The answer is (C)", "gold": "C", "task": "choice"},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "graded.jsonl"
    assert main(["grade", "--input", str(src), "--output", str(out)]) == 0
    graded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["id"] for g in graded] == [1, 2, 3]
    assert [g["verdict"]["status"] for g in graded] == ["correct", "no_answer", "correct"]


def test_grade_command_names_the_bad_line(tmp_path, capsys):
    from longcot.cli import main

    src = tmp_path / "preds.jsonl"
    src.write_text('{"response": "x", "gold": "1"}\n{"response": "x"}\n')
    assert main(["grade", "--input", str(src), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert f"{src}:2: missing field 'gold'" in capsys.readouterr().err.replace("\n", "")


def test_verify_does_not_import_torch():
    code = (
        "import sys, longcot.verify; print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False False", out.stderr


def test_asking_for_more_workers_grows_the_shared_pool_without_disturbing_work():
    # It used to replace the shared pool and close the old one under the feet of
    # threads still grading on it.
    from longcot.verify import shared_pool

    pool = shared_pool()
    items = [{"response": f"\\boxed{{{i}}}", "gold": str(i)} for i in range(400)]
    results: list = []
    worker = threading.Thread(target=lambda: results.extend(grade_many(items)))
    worker.start()
    time.sleep(0.05)
    assert shared_pool(pool.size + 1) is pool
    worker.join(timeout=120)
    assert len(results) == 400 and all(v.correct for v in results)
    assert pool.size >= 2


def test_default_pool_is_this_processs_share_of_the_cores(monkeypatch):
    # Under accelerate launch / torchrun every rank grades its own rollouts: 8 ranks
    # on one machine must not start 8 x cores graders.
    import os

    from longcot.verify.pool import default_workers

    cores = len(os.sched_getaffinity(0))
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert default_workers() == cores
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert default_workers() == max(1, cores // 2)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", str(cores * 4))
    assert default_workers() == 1
