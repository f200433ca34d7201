"""`attache FILE…` (the file manager's "Open with") told apart from the subcommands, and
`attache --version` from the package's metadata."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from attache.cli import main, split_open_files


def test_existing_paths_are_files_to_open(tmp_path):
    report, photo = tmp_path / "report.pdf", tmp_path / "photo.jpg"
    report.write_bytes(b"%PDF")
    photo.write_bytes(b"\xff\xd8")
    assert split_open_files([str(report), str(photo)]) == ([report, photo], [])
    assert split_open_files(["--service", "awork", "-v", str(report)]) == ([report], ["--service", "awork", "-v"])


def test_a_subcommand_stays_a_subcommand_even_when_a_file_has_its_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("ls").write_text("a file called ls")
    assert split_open_files(["ls", "tasks", "--json"]) == ([], ["ls", "tasks", "--json"])
    assert split_open_files(["--sandbox"]) == ([], ["--sandbox"])


def test_a_missing_file_is_a_usage_error(tmp_path, capsys):
    present = tmp_path / "here.txt"
    present.write_text("x")
    with pytest.raises(SystemExit) as exit_info:
        main([str(present), str(tmp_path / "gone.txt")])
    assert exit_info.value.code == 2
    assert "gone.txt: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "nowhere.txt")])  # not a file, not a command: the parser says so
    assert exit_info.value.code == 2


def test_version_prints_the_installed_version():
    result = subprocess.run(
        [sys.executable, "-m", "attache", "--version"], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"attache {metadata.version('attache')}"
