"""``longcot silver``: web QA pairs -> a filtered RL prompt set with gold answers (paper §5).

Web question-answer pairs come with a reference *solution*, not a short
answer, and many are wrong or unverifiable. For each pair:

1. **A short answer.** A row's own ``gold``/``answer`` is used as given;
   otherwise the verifier's extraction reads it from the solution
   (``curate.reference_extract``: ``strict`` = a box or an answer phrase);
   when no rule finds one and ``curate.answer_fallback`` is on, the teacher
   is asked to write the solution's final answer as ``\\boxed{}``
   (``templates/silver_answer.txt``, greedy), and that box is read the same way.
2. **Agreement.** The teacher answers the question ``rollout.n`` times (m);
   each sample is graded against the short answer by the run's verifier
   (``reward.verifier``: rules, or a judge that also sees the reference solution).
3. **Keep** the pair when at least ``curate.min_agree`` samples agree.

Files: ``prompts.jsonl`` (the RL prompt set ``longcot rl`` reads: ``id``,
``problem``, ``gold``, ``task``, ``answer_type``), ``dropped.jsonl`` (``id``,
``reason``, ``detail`` for every pair not kept), ``answers/`` and
``candidates/`` (the shared loop's stores, resumable), ``summary.json``
(counts by reason, answers by source, the agreement histogram) and
``summary.md``. Drop reasons: ``no_answer`` (no rule and no model found a
short answer), ``answer_failed`` (asking the model failed after retries),
``incomplete`` (some teacher samples failed after retries; a rerun retries
them), ``disagreed`` (fewer than ``min_agree`` samples agree).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from longcot.config import Recipe
from longcot.runs import Progress, ResultStore, SampleJob, run_jobs
from longcot.verify.extract import extract_final_answer
from longcot.verify.reasoning import answer_region

from .derive import write_jsonl
from .folder import MetricsProgress, default_progress, open_run, output_dir
from .sample import CurationResult, candidates_store, generate, sample_jobs
from .settings import CurationConfig, sampling_params
from .sources import CurationItem, load_items, shard_items, source_name
from .teacher import Teacher
from .templates import digest, fill, load_templates

ANSWERS = "answers"
DROP_REASONS = ("no_answer", "answer_failed", "incomplete", "disagreed")
NO_ANSWER_WORDS = frozenset({"none", "n/a", "no answer"})
"""What the answer template tells the model to box when the solution reaches no answer."""


@dataclass(frozen=True)
class AnswerRead:
    """The short answer read from the model's reply (stored with it in ``answers/``)."""

    extracted: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"status": "found" if self.extracted else "not_found", "reason": self.reason}


def read_answers(markers: tuple[str, str] | None):
    """The loop's "grader" for answer requests: read the box, grade nothing."""

    def read(rows: list[dict[str, Any]]) -> list[AnswerRead]:
        out = []
        for row in rows:
            region = answer_region(row["response"], markers).text
            found = extract_final_answer(region or "", "strict")
            if found.answer is None:
                out.append(AnswerRead(None, "no box or answer phrase in the reply"))
            elif found.answer.strip().lower() in NO_ANSWER_WORDS:
                out.append(AnswerRead(None, f"the model found no final answer ({found.answer!r})"))
            else:
                out.append(AnswerRead(found.answer, f"read by: {found.rule}"))
        return out

    return read


def rule_answer(item: CurationItem, policy: str) -> tuple[Any, str] | None:
    """``(answer, how)`` from the pair itself: its own gold, or the verifier's extraction."""
    if item.gold is not None:
        return item.gold, "given"
    found = extract_final_answer(item.reference or "", policy)
    if found.answer is None or not found.answer.strip():
        return None
    return found.answer, f"rule: {found.rule}"


def run_silver(
    recipe: Recipe, *, backend: Any = None, progress: Progress | None = None
) -> CurationResult:
    """Extract, sample, filter; write the RL prompt set. Resumes into ``run.output``."""
    out = output_dir(recipe)
    group = source_name(recipe.data)
    pairs = shard_items(
        load_items(recipe.data, recipe.curate, task=recipe.reward.task, need_gold=False),
        recipe.curate.shard,
    )
    templates = load_templates(("silver_answer",), recipe.curate.templates)
    config = CurationConfig.from_recipe("silver", recipe, templates=digest(templates))
    answers_store = ResultStore(Path(out) / ANSWERS, config_type=CurationConfig)
    answers_store.check_config(config)
    candidates = candidates_store(out)
    candidates.check_config(config)
    run, last_step = open_run(recipe, "silver")
    reporter = MetricsProgress(progress or default_progress(recipe), run, last_step)
    markers = recipe.reward.think_markers
    answers: dict[str, tuple[Any, str]] = {}
    ask: list[CurationItem] = []
    for item in pairs:
        found = rule_answer(item, recipe.curate.reference_extract)
        if found is not None:
            answers[item.id] = found
        elif recipe.curate.answer_fallback and item.reference:
            ask.append(item)
    t0 = time.perf_counter()
    with Teacher(recipe, backend) as teacher:
        asked: dict[str, dict[str, Any]] = {}
        if ask:
            jobs = [
                SampleJob(
                    benchmark=group,
                    id=item.id,
                    prompt=[
                        {
                            "role": "user",
                            "content": fill(
                                templates["silver_answer"],
                                problem=item.question,
                                solution=item.reference or "",
                            ),
                        }
                    ],
                    gold=None,
                    task=item.task,
                    samples=1,
                    extra={"index": item.index},
                )
                for item in ask
            ]
            run_jobs(
                jobs,
                teacher.backend,
                sampling_params(recipe, temperature=0.0, top_p=1.0),
                answers_store,
                read_answers(markers),
                chunk_completions=recipe.curate.chunk_completions,
                progress=reporter,
                description=f"silver answers {group}",
                retries=recipe.curate.retries,
                backoff=recipe.curate.backoff,
                on_error="record",
            )
            asked = {str(r["id"]): r for r in answers_store.read(group)}
            for item in ask:
                row = asked.get(item.id)
                if row is not None and row.get("extracted"):
                    answers[item.id] = (row["extracted"], "model")
        keep = [item for item in pairs if item.id in answers]
        jobs = sample_jobs(
            [_with_gold(item, answers[item.id][0]) for item in keep], group, recipe.rollout.n
        )
        stats = generate(recipe, teacher, jobs, candidates, reporter, f"silver {group}")
        grade_seconds = teacher.grade_seconds
    seconds = time.perf_counter() - t0
    rows_by_id: dict[str, list[dict[str, Any]]] = {}
    for row in candidates.read(group):
        rows_by_id.setdefault(str(row["id"]), []).append(row)
    prompts, dropped, agreement = [], [], Counter()
    for item in pairs:
        reason, detail = _decide(item, answers, asked, rows_by_id, recipe)
        if reason is None:
            prompts.append(
                {
                    "id": item.id,
                    "problem": item.question,
                    "gold": answers[item.id][0],
                    "task": item.task,
                    "answer_type": item.answer_type,
                }
            )
        else:
            dropped.append({"id": item.id, "reason": reason, "detail": detail})
        if item.id in rows_by_id:
            agreement[_agreeing(rows_by_id[item.id])] += 1
    files = [write_jsonl(run.path / "prompts.jsonl", prompts)]
    files.append(write_jsonl(run.path / "dropped.jsonl", dropped))
    how = Counter(h.split(":")[0] for _, h in answers.values())
    summary = {
        "kind": "silver",
        "source": group,
        "pairs": len(pairs),
        "kept": len(prompts),
        "dropped": {r: sum(d["reason"] == r for d in dropped) for r in DROP_REASONS},
        "answers": {k: how.get(k, 0) for k in ("given", "rule", "model")},
        "samples_per_pair": recipe.rollout.n,
        "min_agree": recipe.curate.min_agree,
        "agreement": {str(k): agreement[k] for k in sorted(agreement)},
        "generated": stats.generated,
        "skipped": stats.skipped,
        "failed": stats.failed,
        "seconds": round(seconds, 3),
        "grade_seconds": round(grade_seconds, 3),
    }
    md = run.path / "summary.md"
    md.write_text(_markdown(summary), encoding="utf-8")
    files.append(md)
    summary["files"] = [f.name for f in files]
    run.finish(summary)
    return CurationResult(out, summary, files)


def _with_gold(item: CurationItem, gold: Any) -> CurationItem:
    from dataclasses import replace

    return replace(item, gold=gold)


def _agreeing(rows: list[dict[str, Any]]) -> int:
    return sum((r.get("verdict") or {}).get("status") == "correct" for r in rows)


def _decide(
    item: CurationItem,
    answers: dict[str, tuple[Any, str]],
    asked: dict[str, dict[str, Any]],
    rows_by_id: dict[str, list[dict[str, Any]]],
    recipe: Recipe,
) -> tuple[str | None, str]:
    if item.id not in answers:
        if not recipe.curate.answer_fallback or not item.reference:
            return "no_answer", "no rule found a short answer in the reference solution"
        row = asked.get(item.id)
        if row is None:
            return (
                "answer_failed",
                "asking the teacher for the answer failed (see answers/*.errors.jsonl)",
            )
        return "no_answer", f"no rule found an answer; the model: {row['verdict']['reason']}"
    rows = rows_by_id.get(item.id, [])
    agree = _agreeing(rows)
    if len(rows) < recipe.rollout.n and agree < recipe.curate.min_agree:
        return "incomplete", f"{len(rows)} of {recipe.rollout.n} teacher samples (rerun to retry)"
    if agree < recipe.curate.min_agree:
        statuses = Counter((r.get("verdict") or {}).get("status") for r in rows)
        return (
            "disagreed",
            f"{agree} of {len(rows)} samples agree with {answers[item.id][0]!r}; {json.dumps(statuses)}",
        )
    return None, ""


def _markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"# longcot silver: {summary['source']}",
        "",
        f"{summary['kept']} of {summary['pairs']} pairs kept "
        f"(at least {summary['min_agree']} of {summary['samples_per_pair']} teacher samples agree).",
        "",
        "| dropped because | pairs |",
        "|---|--:|",
        *(f"| {k} | {v} |" for k, v in summary["dropped"].items()),
        "",
        "| short answer from | pairs |",
        "|---|--:|",
        *(f"| {k} | {v} |" for k, v in summary["answers"].items()),
        "",
        "| agreeing samples | pairs |",
        "|--:|--:|",
        *(f"| {k} | {v} |" for k, v in summary["agreement"].items()),
    ]
    return "\n".join(lines) + "\n"
