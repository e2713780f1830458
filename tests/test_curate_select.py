"""Which candidates are kept, and the by-N derivation: rules, drop reasons, nesting."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longcot.config import CurateSection
from longcot.curate import KeepRules, check_ns, default_ns, derive, select
from longcot.curate.select import jaccard, shingles


def cand(
    sample: int, text: str, status: str = "correct", truncated: bool = False, tokens: int = 10
):
    return {
        "id": "p",
        "sample": sample,
        "prompt": [{"role": "user", "content": "q"}],
        "response": text,
        "verdict": {"status": status},
        "truncated": truncated,
        "completion_tokens": tokens,
    }


LONG = "we add the two numbers and then check the sum twice before we answer with the result"


def test_each_rule_gives_its_reason():
    rows = [
        cand(0, "<think>a</think> A", status="incorrect"),
        cand(1, "<think>b</think> B", truncated=True),
        cand(2, "no block C"),
        cand(3, "<think>d</think> D"),
        cand(4, "<think>d</think>   D"),  # the same up to whitespace
        cand(5, f"<think>{LONG}</think> E"),
        cand(6, f"<think>{LONG} again</think> E"),  # 13 of 18 4-word shingles shared with 5
        cand(7, "<think>h</think> H"),
        cand(8, "<think>i</think> I"),
    ]
    rules = KeepRules(
        keep_per_prompt=3, dedup="near", near_threshold=0.7, require_closed_think=True
    )
    kept, dropped = select(rows, rules)
    assert [r["sample"] for r in kept] == [3, 5, 7]
    assert dropped == {
        "not_correct": 1,
        "truncated": 1,
        "no_closed_think": 1,
        "duplicate": 1,
        "near_duplicate": 1,
        "over_limit": 1,
    }


def test_rules_switched_off_keep_more():
    rows = [cand(0, "x", truncated=True), cand(1, "x"), cand(2, "x ")]
    kept, _ = select(rows, KeepRules(dedup="none", drop_truncated=False))
    assert len(kept) == 3
    kept, dropped = select(rows, KeepRules(dedup="exact", drop_truncated=False))
    assert len(kept) == 1 and dropped["duplicate"] == 2


def test_near_duplicates_by_word_shingles():
    a = shingles(LONG)
    b = shingles(LONG + " again")
    # 17 words: 14 shingles; one more word adds one: 14 / 15 shared.
    assert jaccard(a, b) == pytest.approx(14 / 15)
    assert jaccard(a, shingles("something else entirely, with other words here")) == 0.0
    assert shingles("two words") == frozenset(["two words"])


def test_closed_think_needs_markers():
    with pytest.raises(ValueError, match="require_closed_think needs reasoning markers"):
        KeepRules.from_section(CurateSection(require_closed_think=True), None)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["correct", "incorrect", "no_answer"]),
            st.sampled_from(["a b c d e", "a b c d f", "x y", "x y ", "z"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=16,
    ),
    st.sampled_from(["none", "exact", "near"]),
    st.one_of(st.none(), st.integers(1, 4)),
)
def test_datasets_for_fewer_candidates_are_nested(candidates, dedup, k):
    rows = [cand(i, text, status, trunc) for i, (status, text, trunc) in enumerate(candidates)]
    rules = KeepRules(keep_per_prompt=k, dedup=dedup, near_threshold=0.5)
    ns = default_ns(len(rows))
    derived = derive([rows], ns, rules)
    kept = [{r["sample"] for r in d.rows} for d in derived]
    for smaller, larger in itertools.pairwise(kept):
        assert smaller <= larger
    for d in derived:
        assert d.stats["kept"] + sum(d.stats["dropped"].values()) == min(d.n, len(rows))


def test_derive_counts_incomplete_prompts_and_averages_per_prompt():
    prompts = [
        [cand(0, "a"), cand(1, "b", status="incorrect")],
        [cand(0, "c", status="incorrect")],  # its second candidate failed to generate
        [],  # nothing generated at all
    ]
    [n1, n2] = derive(prompts, (1, 2), KeepRules())
    assert (n1.stats["prompts"], n1.stats["incomplete"]) == (2, 1)
    assert n2.stats["acceptance"] == pytest.approx((1 / 2 + 0 / 1) / 2)
    assert n2.stats["incomplete"] == 2 and n2.stats["tokens_kept"] == 10


def test_default_and_checked_ns():
    assert default_ns(16) == (1, 2, 4, 8, 16)
    assert default_ns(12) == (1, 2, 4, 8, 12)
    assert default_ns(1) == (1,)
    assert check_ns((64, 32, 32), 64) == (32, 64)
    with pytest.raises(ValueError, match=r"rollout\.n is 16"):
        check_ns((32,), 16)


def test_the_curate_section_is_checked_and_read_only_by_curation(tmp_path):
    from longcot.config import RecipeError, load_recipe

    path = tmp_path / "r.yaml"
    path.write_text("curate: {shard: 2/2}\n")
    with pytest.raises(
        RecipeError, match=r"r\.yaml: curate\.shard='2/2': give 'i/n' with 0 <= i < n"
    ):
        load_recipe(path, command="sample")
    path.write_text("curate: {keep_per_promt: 2}\n")
    with pytest.raises(RecipeError, match=r"unknown key curate\.keep_per_promt"):
        load_recipe(path, command="construct")
    path.write_text("curate: {ns: [4, 2, 4], where: {level: [Level 1, Level 2]}}\n")
    recipe = load_recipe(path, command="silver")
    assert recipe.curate.ns == (2, 4) and recipe.curate.where == {"level": ["Level 1", "Level 2"]}
    with pytest.raises(RecipeError, match="section 'curate' is not used by `longcot rl`"):
        load_recipe(path, command="rl")
