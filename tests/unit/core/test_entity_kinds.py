"""Kinds as a person types them on the command line."""

from __future__ import annotations

import pytest

from attache.core.models import EntityKind


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("projects", EntityKind.PROJECT),
        ("Task", EntityKind.TASK),
        ("companies", EntityKind.COMPANY),
        ("project-templates", EntityKind.PROJECT_TEMPLATE),
        ("contact-persons", EntityKind.CONTACT_PERSON),
        ("persons", EntityKind.CONTACT_PERSON),
        ("workspace", EntityKind.WORKSPACE),
    ],
)
def test_kinds_are_read_as_typed(typed: str, kind: EntityKind) -> None:
    assert EntityKind.parse(typed) is kind


def test_an_unknown_kind_names_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        EntityKind.parse("invoices")
