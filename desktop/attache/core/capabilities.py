"""What a service can do for each kind of entity, and why not where it cannot.

Each service's table is declared in its registry entry (`attache.core.services`); the UI greys
what a service cannot do (with the table's reason as the tooltip) and the CLI refuses it with
the same sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Flag, auto

from attache.core.models import EntityKind


class Capability(Flag):
    NONE = 0
    LIST = auto()
    GET_IMAGE = auto()
    SET_IMAGE = auto()
    DELETE_IMAGE = auto()
    ATTACH_FILE = auto()
    LIST_FILES = auto()
    DOWNLOAD_FILE = auto()
    DELETE_FILE = auto()
    FILE_THUMBNAILS = auto()  # small previews of image files, resized by the service
    SEARCH = auto()  # the service keeps only what matches a search text (Backend.iter_pages(search=…))
    # An interrupted upload (pause, retry, crash, restart) goes on from what the server already
    # holds; without it, it starts again from byte 0 (still attached exactly once).
    RESUME_UPLOADS = auto()
    # Files are filed under a template the user may choose (Backend.file_templates, use_file_template).
    FILE_TEMPLATES = auto()
    # A file dropped again can go up as a new version of the one there (Backend.begin_attach(replacing=…)).
    FILE_VERSIONS = auto()

    IMAGES = GET_IMAGE | SET_IMAGE | DELETE_IMAGE
    FILES = ATTACH_FILE | LIST_FILES | DOWNLOAD_FILE | DELETE_FILE


_WHAT = {
    Capability.LIST: "list {plural}",
    Capability.GET_IMAGE: "show pictures of {plural}",
    Capability.SET_IMAGE: "set the picture of a {singular} from a file",
    Capability.DELETE_IMAGE: "remove the picture of a {singular}",
    Capability.ATTACH_FILE: "attach files to {plural}",
    Capability.LIST_FILES: "list the files of {plural}",
    Capability.DOWNLOAD_FILE: "download the files of {plural}",
    Capability.DELETE_FILE: "delete the files of {plural}",
    Capability.FILE_THUMBNAILS: "show previews of the files of {plural}",
    Capability.SEARCH: "search {plural}",
    Capability.FILE_TEMPLATES: "file the files of {plural} under a template of your choice",
    Capability.FILE_VERSIONS: "keep versions of the files of {plural}; upload it as a separate file instead",
    Capability.RESUME_UPLOADS: "resume an interrupted upload to {plural}; it starts again from the beginning",
}


@dataclass(frozen=True)
class CapabilityTable:
    """One service's abilities per kind; `reasons` explains a missing one in the service's terms."""

    service_name: str
    kinds: Mapping[EntityKind, Capability]
    reasons: Mapping[tuple[EntityKind, Capability], str] = field(default_factory=dict)

    def __call__(self, kind: EntityKind) -> Capability:
        return self.kinds.get(kind, Capability.NONE)

    def listable(self) -> list[EntityKind]:
        """The kinds the service can browse, in the order a sidebar shows them."""
        return [kind for kind in EntityKind if Capability.LIST in self(kind)]

    def why_not(self, kind: EntityKind, capability: Capability) -> str:
        """One sentence for a greyed control or a refused command."""
        reason = self.reasons.get((kind, capability))
        if reason:
            return reason
        what = _WHAT.get(capability, "do that").format(plural=kind.label.lower(), singular=kind.singular)
        return f"{self.service_name} cannot {what}."
