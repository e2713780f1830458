"""`longcot sft` on bad input: each a one-line error with exit code 2, before any model
loads or any file is written."""

from __future__ import annotations

import json
import shutil

from longcot import cli
from sft_helpers import write_chat_jsonl


class TestBadInput:
    """Each a one-line error with exit code 2, before any model is loaded or file written."""

    def sft(self, capsys, *argv):
        code = cli.main(["sft", "--no-progress", *argv])
        err = capsys.readouterr().err
        return code, " ".join(err.split())

    def base(self, model, data, out):
        return [
            "--model",
            str(model),
            "--output",
            str(out),
            "--set",
            f"data.source={data}",
            "--set",
            "optim.batch_size=2",
            "--set",
            "optim.micro_batch_size=1",
            "--set",
            "eval.after_training=false",
        ]

    def test_missing_data_file(self, tiny_model_dir, tmp_path, capsys):
        code, err = self.sft(
            capsys, *self.base(tiny_model_dir, tmp_path / "none.jsonl", tmp_path / "o")
        )
        assert code == 2 and "none.jsonl: no such file" in err
        assert not (tmp_path / "o" / "run.json").exists()

    def test_malformed_line(self, tiny_model_dir, tmp_path, capsys):
        data = write_chat_jsonl(tmp_path / "sft.jsonl", 3)
        with data.open("a") as fh:
            fh.write('{"messages": "oops"}\n')
        code, err = self.sft(capsys, *self.base(tiny_model_dir, data, tmp_path / "o"))
        assert code == 2 and "sft.jsonl:4: 'messages' must list" in err
        assert not (tmp_path / "o").exists()

    def test_model_without_chat_template(self, tiny_model_dir, tmp_path, capsys):
        bare = tmp_path / "bare"
        shutil.copytree(tiny_model_dir, bare)
        (bare / "chat_template.jinja").unlink()
        config = json.loads((bare / "tokenizer_config.json").read_text())
        config.pop("chat_template", None)
        (bare / "tokenizer_config.json").write_text(json.dumps(config))
        data = write_chat_jsonl(tmp_path / "sft.jsonl", 2)
        code, err = self.sft(capsys, *self.base(bare, data, tmp_path / "o"))
        assert code == 2 and "has no chat template" in err
        assert not (tmp_path / "o").exists()

    def test_batch_that_does_not_divide(self, tiny_model_dir, tmp_path, capsys):
        data = write_chat_jsonl(tmp_path / "sft.jsonl", 2)
        code, err = self.sft(
            capsys,
            *self.base(tiny_model_dir, data, tmp_path / "o"),
            "--set",
            "optim.micro_batch_size=4",
        )
        assert code == 2 and "optim.batch_size=2 is not a multiple" in err

    def test_unknown_recipe_key(self, tiny_model_dir, tmp_path, capsys):
        data = write_chat_jsonl(tmp_path / "sft.jsonl", 2)
        code, err = self.sft(
            capsys, *self.base(tiny_model_dir, data, tmp_path / "o"), "--set", "optim.lrr=1"
        )
        assert code == 2 and "unknown key optim.lrr" in err

    def test_evaluation_that_cannot_load_fails_before_training(
        self, tiny_model_dir, tmp_path, capsys
    ):
        data = write_chat_jsonl(tmp_path / "sft.jsonl", 2)
        code, err = self.sft(
            capsys,
            *self.base(tiny_model_dir, data, tmp_path / "o"),
            "--set",
            "eval.benchmarks=[math5000]",
            "--set",
            "eval.after_training=true",
        )
        assert code == 2 and "unknown benchmark 'math5000'" in err
        assert not (tmp_path / "o").exists()
