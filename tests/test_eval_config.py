"""EvalConfig: paper defaults, YAML + CLI overrides, validation, the resume fingerprint."""

from __future__ import annotations

import argparse

import pytest

from longcot.commands import eval as eval_cmd
from longcot.evaluate import PAPER_BENCHMARKS, EvalConfig, EvalConfigError, ResultStore


def test_defaults_are_the_paper_settings():
    c = EvalConfig(model="m", output="o")
    assert (c.temperature, c.top_p, c.max_new_tokens) == (0.7, 0.95, 16384)
    assert c.benchmarks == PAPER_BENCHMARKS
    assert c.samples is None
    # samples=None means each benchmark's paper default (AIME 16, others 4)
    assert c.samples_for(16) == 16 and c.samples_for(4) == 4
    assert EvalConfig(model="m", output="o", samples=2).samples_for(16) == 2


def test_unknown_yaml_key_names_key_and_file(tmp_path):
    from longcot.config import RecipeError

    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: {path: m}\nrun: {output: o}\neval: {temprature: 0.6}\n")
    with pytest.raises(RecipeError, match=r"r\.yaml: unknown key eval\.temprature; known keys"):
        EvalConfig.from_yaml(recipe)


def test_flat_recipe_of_longcot_0_1_still_reads(tmp_path, caplog):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: m\noutput: o\nbackend: hf\nsamples: 3\n")
    c = EvalConfig.from_yaml(recipe)
    assert (c.model, c.output, c.backend, c.samples) == ("m", "o", "hf", 3)
    assert "flat recipe format" in caplog.text and "eval:" in caplog.text


def test_yaml_lists_and_overrides(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "model: {path: m}\nrun: {output: o}\n"
        "eval: {benchmarks: [math500, aime24], think_markers: ['<t>', '</t>'], samples: 8}\n"
    )
    c = EvalConfig.from_yaml(recipe, {"samples": 2})
    assert c.benchmarks == ("math500", "aime24")
    assert c.think_markers == ("<t>", "</t>")
    assert c.samples == 2  # the override wins


def test_missing_model_is_reported(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("run: {output: o}\n")
    with pytest.raises(EvalConfigError, match=r"model=None: required .*r\.yaml"):
        EvalConfig.from_yaml(recipe)


@pytest.mark.parametrize(
    "field,value",
    [
        ("samples", 0),
        ("samples", True),  # "samples: yes" in YAML is not 1
        ("temperature", -0.1),
        ("top_p", 0.0),
        ("top_p", 1.5),
        ("max_new_tokens", 0),
        ("limit", 0),
        ("backend", "tgi"),
        ("benchmarks", ()),
        ("benchmarks", ("math500", "math500")),
        ("think_markers", ("<think>",)),
        ("grade_timeout", 0),
        ("chunk_completions", 0),
    ],
)
def test_invalid_values_name_the_field(field, value):
    with pytest.raises(EvalConfigError, match=rf"^eval setting {field}="):
        EvalConfig(model="m", output="o", **{field: value})


def test_comma_separated_benchmarks():
    assert EvalConfig(model="m", output="o", benchmarks="math500,aime24").benchmarks == (
        "math500",
        "aime24",
    )


def test_fingerprint_ignores_speed_options_but_not_output_options():
    a = EvalConfig(model="m", output="o", backend_options={"threads": 1, "dtype": "float32"})
    b = EvalConfig(
        model="m", output="o2", limit=3, backend_options={"threads": 8, "dtype": "float32"}
    )
    c = EvalConfig(model="m", output="o", backend_options={"dtype": "bfloat16"})
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()


def test_round_trip_through_dict():
    c = EvalConfig(model="m", output="o", think_markers=None, samples=3, benchmarks=("aime24",))
    assert EvalConfig.from_dict(c.to_dict()) == c


# -- the command line ----------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    eval_cmd.add_parser(sub, "eval", "")
    return parser.parse_args(["eval", *argv])


def test_cli_overrides_the_recipe(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "model: m\noutput: o\nsamples: 4\nbackend_options: {dtype: float32, threads: 1}\n"
    )
    args = _args(
        "--recipe",
        str(recipe),
        "--samples",
        "2",
        "--top-p",
        "0.9",
        "--think-markers",
        "none",
        "--require-think-close",
        "true",
        "--backend-option",
        "threads=4",
    )
    c = eval_cmd.build_config(args)
    assert (c.samples, c.top_p, c.think_markers, c.require_think_close) == (2, 0.9, None, True)
    assert c.backend_options == {"dtype": "float32", "threads": 4}  # merged, typed


def test_cli_resume_by_output_folder_uses_stored_settings(tmp_path):
    stored = EvalConfig(model="m", output=str(tmp_path), samples=3, limit=2)
    ResultStore(tmp_path).check_config(stored)
    assert eval_cmd.build_config(_args("--output", str(tmp_path))) == stored
    # With --model given, the command line is the whole config (no hidden stored limit).
    fresh = eval_cmd.build_config(_args("--output", str(tmp_path), "--model", "m"))
    assert fresh.limit is None and fresh.samples is None


@pytest.mark.parametrize("bad", [["--backend-option", "threads"], ["--think-markers", "a,b,c"]])
def test_cli_rejects_malformed_options(bad):
    with pytest.raises(ValueError):
        eval_cmd.build_config(_args("--model", "m", "--output", "o", *bad))
