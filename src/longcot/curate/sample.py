"""``longcot sample``: rejection sampling through the shared loop (paper §3.1), sharded and merged.

For each problem, draw ``rollout.n`` candidates from the teacher, grade each
with the run's verifier (``reward.verifier``: the rule verifier or a model
judge), append every candidate with its verdict to ``candidates/<source>.jsonl``
as it is graded, and at the end derive ``sft_n<N>.jsonl`` for each N of
``curate.ns`` from the first N candidates of each prompt
(``longcot.curate.derive``).

- **Resume:** a rerun into the same folder generates only the candidates the
  store lacks (a killed run loses at most two chunks), and equal settings give
  equal candidates, so nothing is lost or duplicated.
- **Failures:** a teacher call that fails is retried ``curate.retries`` times
  with back-off, then recorded in ``candidates/<source>.errors.jsonl`` and
  skipped; the summary counts the prompts left incomplete, and a rerun retries them.
- **Shards:** ``curate.shard: i/n`` samples every n-th problem into its own
  folder; :func:`merge_shards` joins finished shards into the folder one run
  would have written.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from longcot.config import Recipe, load_recipe
from longcot.config.curate_section import parse_shard
from longcot.runs import LoopStats, Progress, ResultStore, SampleJob, pending_work, run_jobs

from .derive import check_ns
from .folder import MetricsProgress, default_progress, open_run, output_dir
from .outputs import write_outputs
from .select import KeepRules
from .settings import CurationConfig, sampling_params, warm_grader
from .sources import CurationItem, load_items, shard_items, source_name
from .teacher import Teacher, with_think_close

log = logging.getLogger(__name__)

CANDIDATES = "candidates"
"""The store's folder inside a run folder."""


@dataclass
class CurationResult:
    """What a curation command did and where it wrote."""

    output: Path
    summary: dict[str, Any]
    files: list[Path] = field(default_factory=list)


def candidates_store(root: Path) -> ResultStore:
    return ResultStore(Path(root) / CANDIDATES, config_type=CurationConfig)


def sample_jobs(items: list[CurationItem], group: str, samples: int) -> list[SampleJob]:
    """One job per problem; ``index`` and the reference solution travel in every row."""
    return [
        SampleJob(
            benchmark=group,
            id=item.id,
            prompt=item.prompt,
            gold=item.gold,
            task=item.task,
            samples=samples,
            answer_type=item.answer_type,
            extra={
                "index": item.index,
                **({"reference": item.reference} if item.reference else {}),
            },
        )
        for item in items
    ]


def generate(
    recipe: Recipe,
    teacher: Teacher,
    jobs: list[SampleJob],
    store: ResultStore,
    progress: Progress,
    description: str,
) -> LoopStats:
    """Run the shared loop over ``jobs`` with the teacher, the verifier and curation's
    error policy (retry, then record); loads nothing when everything is stored."""
    work, skipped = pending_work(jobs, store)
    if not work:
        return LoopStats(0, skipped)
    warm_grader(recipe)
    jobs = with_think_close(recipe, teacher.backend, jobs)
    return run_jobs(
        jobs,
        teacher.backend,
        sampling_params(recipe),
        store,
        teacher.grader,
        chunk_completions=recipe.curate.chunk_completions,
        progress=progress,
        description=description,
        retries=recipe.curate.retries,
        backoff=recipe.curate.backoff,
        on_error="record",
    )


def run_sample(
    recipe: Recipe, *, backend: Any = None, progress: Progress | None = None
) -> CurationResult:
    """Sample, grade and keep; resume into ``run.output``.

    Args:
        backend: an already loaded teacher (tests, notebooks); default: loaded
            from ``model`` and ``rollout``, and only if something is left to generate.
        progress: default: a rich bar unless ``run.progress`` is false.

    Raises:
        ConfigMismatchError: the folder holds candidates of other settings.
        CurationDataError: a malformed input row (file and line).
    """
    out = output_dir(recipe)
    group = source_name(recipe.data)
    ns = check_ns(recipe.curate.ns, recipe.rollout.n)
    rules = KeepRules.from_section(recipe.curate, recipe.reward.think_markers)
    items = shard_items(
        load_items(recipe.data, recipe.curate, task=recipe.reward.task), recipe.curate.shard
    )
    store = candidates_store(out)
    store.check_config(CurationConfig.from_recipe("sample", recipe))  # before any model loads
    run, last_step = open_run(recipe, "sample")
    reporter = MetricsProgress(progress or default_progress(recipe), run, last_step)
    jobs = sample_jobs(items, group, recipe.rollout.n)
    t0 = time.perf_counter()
    with Teacher(recipe, backend) as teacher:
        stats = generate(recipe, teacher, jobs, store, reporter, f"sample {group}")
        grade_seconds = teacher.grade_seconds
    seconds = time.perf_counter() - t0
    summary = write_outputs(
        run,
        kind="sample",
        source=group,
        rows=store.read(group),
        ids=[item.id for item in items],
        ns=ns,
        rules=rules,
        totals=_totals(stats, seconds, grade_seconds),
    )
    return CurationResult(out, summary, [run.path / f for f in summary["files"]])


def _totals(stats: LoopStats, seconds: float, grade_seconds: float) -> dict[str, Any]:
    return {
        "generated": stats.generated,
        "skipped": stats.skipped,
        "failed": stats.failed,
        "seconds": round(seconds, 3),
        "grade_seconds": round(grade_seconds, 3),
        "candidates_per_s": round(stats.generated / seconds, 3) if seconds > 0 else None,
    }


def merge_shards(
    shards: list[Path], output: Path, sets: tuple[str, ...] | list[str] = ()
) -> CurationResult:
    """Join the folders of ``curate.shard: i/n`` runs into ``output``, as one run writes it.

    Every shard ``0 … n-1`` must be there once, finished, with the same
    settings apart from the shard. Candidates are concatenated in source order,
    then the datasets and summary are derived with the first shard's recipe
    (``sets``: ``--set`` overrides, e.g. other ``curate`` filters).

    Raises:
        ValueError: a shard is missing, doubled, unfinished or differently configured.
    """
    from longcot.train.run_dir import RunDir

    if not shards:
        raise ValueError("--merge needs the shard folders to join")
    configs = []
    for folder in shards:
        config = candidates_store(folder).stored_config()
        if config is None or config.kind != "sample":
            raise ValueError(f"{folder}: not a `longcot sample` folder (no candidates/config.json)")
        if not RunDir(folder).read_run().get("finished"):
            raise ValueError(
                f"{folder}: the shard has not finished (run.json 'finished' is null); "
                "rerun it into the same folder first"
            )
        configs.append(config)
    indices = []
    for folder, config in zip(shards, configs, strict=True):
        shard = (config.recipe.get("curate") or {}).get("shard")
        if shard is None:
            raise ValueError(f"{folder}: not a shard (curate.shard is null)")
        indices.append(parse_shard(shard))
    count = indices[0][1]
    if any(n != count for _, n in indices) or sorted(i for i, _ in indices) != list(range(count)):
        raise ValueError(
            f"shards {[f'{i}/{n}' for i, n in indices]}: give each of 0/{count} … "
            f"{count - 1}/{count} exactly once"
        )
    reference = configs[0].fingerprint(shard=False)
    for folder, config in zip(shards[1:], configs[1:], strict=True):
        theirs = config.fingerprint(shard=False)
        diff = sorted(k for k in reference if reference.get(k) != theirs.get(k))
        if diff:
            raise ValueError(
                f"{folder} was sampled with other settings than {shards[0]}: {', '.join(diff)}"
            )
    recipe = load_recipe(
        Path(shards[0]) / "recipe.yaml",
        list(sets),
        command="sample",
        overrides={"run": {"output": str(output)}, "curate": {"shard": None}},
    )
    group = source_name(recipe.data)
    rows = []
    for folder in shards:
        rows.extend(candidates_store(folder).read(group))
    rows.sort(key=lambda r: (int(r.get("index", 0)), str(r["id"]), int(r["sample"])))
    store = candidates_store(output)
    store.check_config(CurationConfig.from_recipe("sample", recipe))
    store.rewrite(group, rows)
    run, _ = open_run(recipe, "sample")
    summary = write_outputs(
        run,
        kind="sample",
        source=group,
        rows=rows,
        ids=None,
        ns=check_ns(recipe.curate.ns, recipe.rollout.n),
        rules=KeepRules.from_section(recipe.curate, recipe.reward.think_markers),
        totals={"merged_shards": [str(s) for s in shards]},
    )
    return CurationResult(Path(output), summary, [run.path / f for f in summary["files"]])
