"""Initials: what a row or a picture without an image shows, the same in the window and the sandbox."""

from __future__ import annotations

import pytest

from attache.core.names import initials


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "AL"),
        ("acme", "AC"),
        ("", "?"),
        ("Q3 review", "QR"),
        ("R2", "R"),
        ("Harbor & Pine Architects", "HA"),
        ("jean-luc picard", "JP"),
        ("  --  ", "?"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected
