"""The capability table: what the window greys and the CLI refuses, with the words it uses."""

from __future__ import annotations

from attache.core.capabilities import Capability, CapabilityTable
from attache.core.models import EntityKind

TABLE = CapabilityTable(
    "Example",
    {
        EntityKind.TASK: Capability.LIST | Capability.FILES,
        EntityKind.USER: Capability.LIST | Capability.GET_IMAGE,
        EntityKind.PROJECT: Capability.LIST,
        EntityKind.CONTACT_PERSON: Capability.IMAGES,
    },
    reasons={(EntityKind.USER, Capability.SET_IMAGE): "Example sets user photos only from a web address."},
)


def test_a_kind_not_in_the_table_can_do_nothing() -> None:
    assert TABLE(EntityKind.COMPANY) == Capability.NONE
    assert Capability.SET_IMAGE in TABLE(EntityKind.CONTACT_PERSON)


def test_the_sidebar_lists_only_listable_kinds_in_a_fixed_order() -> None:
    # EntityKind's order, not the table's: the sidebar looks the same for every service
    assert TABLE.listable() == [EntityKind.PROJECT, EntityKind.TASK, EntityKind.USER]


def test_a_missing_ability_is_explained_in_the_services_own_words_when_it_has_them() -> None:
    assert TABLE.why_not(EntityKind.USER, Capability.SET_IMAGE) == "Example sets user photos only from a web address."


def test_otherwise_the_explanation_names_the_service_and_what_it_cannot_do() -> None:
    assert (
        TABLE.why_not(EntityKind.PROJECT, Capability.SET_IMAGE)
        == "Example cannot set the picture of a project from a file."
    )
    assert TABLE.why_not(EntityKind.PROJECT, Capability.ATTACH_FILE) == "Example cannot attach files to projects."
    assert TABLE.why_not(EntityKind.COMPANY, Capability.LIST) == "Example cannot list companies."
