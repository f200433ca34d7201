"""The things a user browses (entities) and the files attached to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar


class EntityKind(StrEnum):
    """Every kind of thing Attaché can show, across all services."""

    PROJECT = "project"
    TASK = "task"
    COMPANY = "company"
    USER = "user"
    PROJECT_TEMPLATE = "project_template"
    WORKSPACE = "workspace"
    CONTACT_PERSON = "contact_person"

    @property
    def label(self) -> str:
        """Plural, for sidebars and messages: 'Project templates'."""
        return _PLURAL_LABELS[self]

    @property
    def singular(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> EntityKind:
        """Accept what a person types: 'projects', 'Project', 'project-templates', 'workspace'."""
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        for kind in cls:
            if key in (kind.value, kind.value + "s", kind.value + "es"):
                return kind
        if key in ("companies",):
            return cls.COMPANY
        if key in ("person", "persons"):  # a CRM's word for contact persons
            return cls.CONTACT_PERSON
        choices = ", ".join(k.value for k in cls)
        raise ValueError(f"Unknown kind {text!r}; choose one of: {choices}")


_PLURAL_LABELS = {
    EntityKind.PROJECT: "Projects",
    EntityKind.TASK: "Tasks",
    EntityKind.COMPANY: "Companies",
    EntityKind.USER: "Users",
    EntityKind.PROJECT_TEMPLATE: "Project templates",
    EntityKind.WORKSPACE: "Workspace",
    EntityKind.CONTACT_PERSON: "Contact persons",
}


@dataclass(frozen=True, slots=True)
class EntityRef:
    """Enough to address one entity on a service: its kind and id."""

    kind: EntityKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.singular} {self.id}"


@dataclass(frozen=True, slots=True)
class Entity:
    """One browsable thing: a project, a task, a user…

    `version` changes whenever the service reports a change to the entity (awork's
    updatedOn/resourceVersion, SuperOffice's Updated…); caches key images on it so a
    changed image is fetched again and an unchanged one never is.
    `parents` names the entities this one belongs to, e.g. a task's project.
    `has_files`: the list says the entity has attachments (None: the list does not say).
    """

    kind: EntityKind
    id: str
    name: str
    subtitle: str = ""
    has_image: bool = False
    parents: tuple[tuple[EntityKind, str], ...] = ()
    version: str = ""
    has_files: bool | None = None

    @property
    def ref(self) -> EntityRef:
        return EntityRef(self.kind, self.id)

    def parent_id(self, kind: EntityKind) -> str | None:
        for parent_kind, parent_id in self.parents:
            if parent_kind is kind:
                return parent_id
        return None


@dataclass(frozen=True, slots=True)
class FileVersion:
    id: str
    number: int
    size: int | None
    created_on: datetime | None = None


@dataclass(frozen=True, slots=True)
class FileTemplate:
    """A template a service files attachments under (where it has `Capability.FILE_TEMPLATES`);
    `in_use`: the one the next upload takes (the account's choice, else the service's default)."""

    id: str
    name: str
    in_use: bool = False


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A file attached to an entity, as the service describes it."""

    id: str
    name: str
    size: int | None
    mime_type: str = "application/octet-stream"
    created_on: datetime | None = None
    created_by: str = ""
    versions: tuple[FileVersion, ...] = ()
    file_name: str = ""  # the stored file name when the display name differs

    @property
    def latest_version(self) -> FileVersion | None:
        return max(self.versions, key=lambda v: v.number) if self.versions else None

    @property
    def changed_on(self) -> datetime | None:
        """When its content last changed: the latest version's upload, else when it was added."""
        latest = self.latest_version
        return (latest.created_on if latest is not None else None) or self.created_on


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, as it arrives; `total` when the service says it."""

    items: list[T]
    number: int
    total: int | None = None
    is_last: bool = False
    extra: dict[str, str] = field(default_factory=dict)
