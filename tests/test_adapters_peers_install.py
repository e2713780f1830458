"""The peer installer fails loudly: a broken install is an error, never a skip."""

from __future__ import annotations

import pytest

from peers import install


def test_a_failed_install_raises_with_pips_output(tmp_path, monkeypatch):
    bad = tmp_path / "requirements.txt"
    bad.write_text("openrlhf===\n")  # not a requirement: pip stops before any download
    monkeypatch.setattr(install, "REQUIREMENTS", bad)
    monkeypatch.setenv(install.ENV_DIR, str(tmp_path / "peers"))
    with pytest.raises(RuntimeError, match="peer install failed") as err:
        install.ensure(timeout=120)
    assert "openrlhf===" in str(err.value)
    assert not (tmp_path / "peers" / ".complete").exists()


def test_the_install_folder_follows_the_requirements(monkeypatch, tmp_path):
    monkeypatch.delenv(install.ENV_DIR, raising=False)
    first = install.target_dir()
    changed = tmp_path / "requirements.txt"
    changed.write_text(install.REQUIREMENTS.read_text() + "# changed\n")
    monkeypatch.setattr(install, "REQUIREMENTS", changed)
    assert install.target_dir() != first and install.target_dir().parent == first.parent
