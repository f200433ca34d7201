"""Local names for server-named files: one safe component, within the file system's length."""

from __future__ import annotations

import os
from itertools import islice

import pytest

from attache.core.filenames import name_max, numbered, safe_name


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("a\x85b\x9bc\x1b.txt", "a_b_c_.txt"),  # C1 like C0
        ("../..", "fallback"),
        ("  . ", "fallback"),
        ("com1.log", "_com1.log"),
        ("LPT9", "_LPT9"),
        ("nul .txt", "_nul .txt"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("dir/sub\\file.pdf", "file.pdf"),
    ],
)
def test_safe_name(raw, safe):
    assert safe_name(raw, fallback="fallback") == safe


def test_a_name_is_shortened_to_the_folders_limit_keeping_its_extension(tmp_path, monkeypatch):
    long = "日本" * 200 + ".docx"
    name = safe_name(long, folder=tmp_path)
    assert len(name.encode()) <= name_max(tmp_path) <= 255 and name.endswith(".docx")
    monkeypatch.setattr(os, "pathconf", lambda path, what: 40)
    short = safe_name(long, folder=tmp_path)
    assert len(short.encode()) <= 40 and short.endswith(".docx")
    variants = list(islice(numbered(short, folder=tmp_path), 12))
    assert variants[-1].endswith(" (12).docx") and all(len(v.encode()) <= 40 for v in variants)


def test_numbered_names_count_up_before_the_extension():
    names = numbered("report.final.pdf")
    assert [next(names) for _ in range(3)] == ["report.final.pdf", "report.final (2).pdf", "report.final (3).pdf"]
    assert list(islice(numbered("README"), 2)) == ["README", "README (2)"]
