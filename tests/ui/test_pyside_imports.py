"""The cheaper PySide6 import check answers as PySide's own does."""

from __future__ import annotations

import json
import sys
import types

import PySide6.QtCore  # noqa: F401  (loads PySide's import hook)

import attache.core.models
import attache.ui.browse
from attache.ui.pyside_imports import lighten_feature_checks


def test_the_cheaper_check_gives_pysides_answers(monkeypatch):
    feature = sys.modules["shibokensupport.feature"]
    original = feature._mod_uses_pyside
    monkeypatch.setattr(feature, "_mod_uses_pyside", original)  # put back after the test

    assert lighten_feature_checks() is True
    lightened = feature._mod_uses_pyside
    assert lightened is not original
    assert lighten_feature_checks() is True and feature._mod_uses_pyside is lightened  # once only

    modules = [attache.ui.browse, attache.core.models, json, sys, sys.modules["attache.ui"]]
    answers = [lightened(m) for m in modules]
    assert answers == [original(m) for m in modules]
    assert answers[:2] == [True, False]  # a Qt module of ours, and one that never imports Qt

    built = types.ModuleType("built_in_memory")  # no file: PySide's own check decides
    assert lightened(built) == original(built) is False
