"""What each service can do for each kind of entity.

The UI disables what a service cannot do (with a tooltip saying why) and the CLI refuses
it with a message, both from this one table.
"""

from __future__ import annotations

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

    IMAGES = GET_IMAGE | SET_IMAGE | DELETE_IMAGE
    FILES = ATTACH_FILE | LIST_FILES | DOWNLOAD_FILE | DELETE_FILE


_K = EntityKind
_C = Capability

CAPABILITIES: dict[str, dict[EntityKind, Capability]] = {
    # awork: profile images by /files/images/{entityName}/{id}; files on tasks by the
    # three-step upload. Contact persons have image endpoints but no list (awork.md §2).
    "awork": {
        _K.PROJECT: _C.LIST | _C.IMAGES,
        _K.TASK: _C.LIST | _C.FILES,
        _K.COMPANY: _C.LIST | _C.IMAGES,
        _K.USER: _C.LIST | _C.IMAGES,
        _K.PROJECT_TEMPLATE: _C.LIST | _C.IMAGES,
        _K.WORKSPACE: _C.LIST | _C.IMAGES,
        _K.CONTACT_PERSON: _C.IMAGES,
    },
    # ONLYOFFICE: user photos can be set only from a URL, so not from a local file;
    # CRM companies and persons take a multipart photo (onlyoffice.md §4).
    "onlyoffice": {
        _K.PROJECT: _C.LIST,
        _K.TASK: _C.LIST | _C.FILES,
        _K.USER: _C.LIST | _C.GET_IMAGE,
        _K.COMPANY: _C.LIST | _C.GET_IMAGE | _C.SET_IMAGE,
        _K.CONTACT_PERSON: _C.LIST | _C.GET_IMAGE | _C.SET_IMAGE,
    },
    # SuperOffice: raw PUT images on Project, Contact (company) and Person; files are
    # Document records (superoffice.md §3–4).
    "superoffice": {
        _K.PROJECT: _C.LIST | _C.IMAGES | _C.FILES,
        _K.COMPANY: _C.LIST | _C.IMAGES | _C.FILES,
        _K.CONTACT_PERSON: _C.LIST | _C.IMAGES | _C.FILES,
        _K.USER: _C.LIST,
    },
}


def capabilities_for(service: str, kind: EntityKind) -> Capability:
    return CAPABILITIES.get(service, {}).get(kind, Capability.NONE)


def kinds_for(service: str) -> list[EntityKind]:
    """The kinds a service can browse, in the order a sidebar shows them."""
    table = CAPABILITIES.get(service, {})
    return [kind for kind in EntityKind if Capability.LIST in table.get(kind, Capability.NONE)]
