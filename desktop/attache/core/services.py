"""The service registry: one entry per service Attaché speaks, and the only module outside a
service's own modules that names one.

An entry is plain data (names, URL forms, sign-in methods, the capability table) plus the dotted
names of the service's backend connector and sandbox plug-in, imported only when first needed so
that reading the registry (the CLI's --help, the account dialog) costs nothing. It lives in `core`
because every layer reads it: backends for their capability table, the sandbox for its plug-ins,
the app layer to open connections, the CLI and the window for names and choices.

Services not built yet are not registered: the account dialog offers only what works.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from attache.core.capabilities import Capability, CapabilityTable
from attache.core.errors import InvalidInputError
from attache.core.models import EntityKind

if TYPE_CHECKING:
    from attache.backends.base import Connector


class SignIn(StrEnum):
    """How an account proves who it is. The value is what `Account.auth` records."""

    API_KEY = "api_key"  # a key the user pastes, sent as is
    BROWSER = "oauth"  # OAuth authorization code + PKCE in the system browser
    PASSWORD = "password"  # user name and password exchanged for a token


@dataclass(frozen=True)
class SignInTexts:
    """What the sign-in dialog and the CLI say about this service's secret."""

    key_name: str = "API key"
    key_placeholder: str = ""
    key_hint: str = ""  # where to find or create one
    key_rejected: str = ""  # the service refused the key
    browser_button: str = ""
    browser_hint: str = ""
    # The password sign-in's "remember my password" choice; "" where the password is the sign-in
    # itself (kept in the keyring anyway).
    remember_password: str = "Remember my password to sign in again when the token expires"
    # Where each customer has an address of their own: which one to give (under the URL field;
    # short lines, it does not wrap).
    url_hint: str = ""
    # What the browser sign-in asks for besides the address: a registered app's client id ("" =
    # none asked) and, where the app has one, its token (the client secret; "" = never asked).
    client_id_label: str = ""
    client_id_placeholder: str = ""
    client_id_hint: str = ""  # where the user finds them (short lines: it does not wrap)
    app_token_label: str = ""
    app_token_placeholder: str = ""


@dataclass(frozen=True)
class Service:
    id: str
    name: str  # as the service writes its own name
    default_url: str  # "" where each customer has their own server: the user gives one
    url_example: str
    api_path: str  # what the API's base adds to the server's root
    base_includes_api_path: bool  # the backend's base URL is root + api_path (else the root)
    sign_in: tuple[SignIn, ...]
    capabilities: CapabilityTable
    connector_module: str
    sandbox_module: str
    texts: SignInTexts = field(default_factory=SignInTexts)
    # Other endings of a typed address that mean the API too (SuperOffice's …/api/v1 for …/api).
    api_path_aliases: tuple[str, ...] = ()
    # What detaching a file from a task means on this service, said before the user confirms
    # ("" when it deletes the file).
    detach_note: str = ""

    def connector(self) -> Connector:
        """The service's backend module: opens backends, checks and obtains secrets."""
        module: Any = importlib.import_module(self.connector_module)
        return module  # type: ignore[no-any-return]

    def sandbox_plugin(self) -> Any:
        """The service's sandbox plug-in (`attache.sandbox.common.plugin.SandboxPlugin`)."""
        return importlib.import_module(self.sandbox_module).PLUGIN

    def kinds(self) -> list[EntityKind]:
        return self.capabilities.listable()

    def normalise_url(self, url: str) -> str:
        """The API base for what the user typed: the server's root or the API's own address,
        with or without a trailing slash."""
        text = (url or "").strip() or self.default_url
        parts = urlsplit(text.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInputError(
                f"Enter the address of {self.name}, starting with https:// (for example {self.url_example})."
            )
        path = parts.path.rstrip("/")
        for ending in sorted((self.api_path, *self.api_path_aliases), key=len, reverse=True):
            if ending and path.lower().endswith(ending.lower()):
                path = path[: -len(ending)]
                break
        if self.base_includes_api_path:
            path += self.api_path
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


_K = EntityKind
_C = Capability

AWORK = Service(
    id="awork",
    name="awork",
    default_url="https://api.awork.com/api/v1",
    url_example="https://api.awork.com/api/v1",
    api_path="/api/v1",
    base_includes_api_path=True,
    sign_in=(SignIn.BROWSER, SignIn.API_KEY),
    # Profile images by /files/images/{entityName}/{id}; files on tasks by the three-step
    # upload. Contact persons have image endpoints but no list (awork.md §2).
    capabilities=CapabilityTable(
        "awork",
        {
            _K.PROJECT: _C.LIST | _C.SEARCH | _C.IMAGES,
            _K.TASK: _C.LIST | _C.SEARCH | _C.FILES | _C.FILE_THUMBNAILS | _C.RESUME_UPLOADS | _C.FILE_VERSIONS,
            _K.COMPANY: _C.LIST | _C.SEARCH | _C.IMAGES,
            _K.USER: _C.LIST | _C.SEARCH | _C.IMAGES,
            _K.PROJECT_TEMPLATE: _C.LIST | _C.SEARCH | _C.IMAGES,
            _K.WORKSPACE: _C.LIST | _C.IMAGES,
            _K.CONTACT_PERSON: _C.IMAGES,
        },
    ),
    connector_module="attache.backends.awork",
    sandbox_module="attache.sandbox.awork",
    texts=SignInTexts(
        key_placeholder="Paste an awork API key",
        key_hint="Find or create one in awork under Settings › Integrations.",
        key_rejected=(
            "awork did not accept this API key. Check that you copied all of it and that it has "
            "not been deleted in awork."
        ),
        browser_button="Sign in with awork",
        browser_hint="Opens awork in your browser. Allow access there, then come back here.",
    ),
)

ONLYOFFICE = Service(
    id="onlyoffice",
    name="ONLYOFFICE",
    default_url="",  # each team runs its own portal
    url_example="https://office.example.com",
    api_path="/api/2.0",
    base_includes_api_path=False,  # the backend's base is the portal's root (onlyoffice.md §1)
    sign_in=(SignIn.PASSWORD,),
    # Task files go into the project's Documents folder and are then attached; user photos can be
    # set only from a web address; CRM companies and persons take a multipart photo; projects
    # have no image (onlyoffice.md §3–4).
    capabilities=CapabilityTable(
        "ONLYOFFICE",
        {
            _K.PROJECT: _C.LIST | _C.SEARCH,
            _K.TASK: _C.LIST | _C.SEARCH | _C.FILES | _C.RESUME_UPLOADS,
            _K.USER: _C.LIST | _C.SEARCH | _C.GET_IMAGE,
            _K.COMPANY: _C.LIST | _C.SEARCH | _C.IMAGES,
            _K.CONTACT_PERSON: _C.LIST | _C.SEARCH | _C.IMAGES,
        },
        reasons={
            (_K.USER, _C.SET_IMAGE): (
                "ONLYOFFICE sets a user's photo only from a web address, not from a file: change it in the portal."
            ),
            (_K.USER, _C.DELETE_IMAGE): "ONLYOFFICE's API does not remove a user's photo for Attaché: use the portal.",
            (_K.PROJECT, _C.SET_IMAGE): "ONLYOFFICE projects have no picture.",
            (_K.PROJECT, _C.GET_IMAGE): "ONLYOFFICE projects have no picture.",
        },
    ),
    connector_module="attache.backends.onlyoffice",
    sandbox_module="attache.sandbox.onlyoffice",
    texts=SignInTexts(key_name="token", key_hint="the token of a signed-in session (attache login gets one)"),
    detach_note="The file stays in the project's Documents folder in ONLYOFFICE.",
)

SUPEROFFICE = Service(
    id="superoffice",
    name="SuperOffice",
    default_url="",  # each customer has a tenant (Online) or a server (Onsite)
    url_example="https://sod2.superoffice.com/Cust12345/api",
    api_path="/api",
    base_includes_api_path=True,  # the backend's base is the tenant's …/CustNNNNN/api (superoffice.md §1.4)
    api_path_aliases=("/api/v1",),
    # Onsite: user + password sent as Basic; Online: OpenID Connect in the browser (a registered
    # app's client id); a Bearer access token from $ATTACHE_TOKEN in the CLI (superoffice.md §1).
    sign_in=(SignIn.PASSWORD, SignIn.BROWSER, SignIn.API_KEY),
    # Images by raw PUT /{Entity}/{id}/Image on projects, companies and persons; users show their
    # person's image; files are Document records linked to tasks, projects, companies and persons
    # (superoffice.md §3–4).
    capabilities=CapabilityTable(
        "SuperOffice",
        {
            _K.PROJECT: _C.LIST | _C.SEARCH | _C.IMAGES | _C.FILES | _C.FILE_TEMPLATES,
            _K.TASK: _C.LIST | _C.SEARCH | _C.FILES | _C.FILE_TEMPLATES,
            _K.COMPANY: _C.LIST | _C.SEARCH | _C.IMAGES | _C.FILES | _C.FILE_TEMPLATES,
            _K.CONTACT_PERSON: _C.LIST | _C.SEARCH | _C.IMAGES | _C.FILES | _C.FILE_TEMPLATES,
            _K.USER: _C.LIST | _C.SEARCH | _C.GET_IMAGE,
        },
        reasons={
            (_K.TASK, _C.GET_IMAGE): "SuperOffice tasks have no picture.",
            (_K.TASK, _C.SET_IMAGE): "SuperOffice tasks have no picture.",
            (_K.USER, _C.SET_IMAGE): "A SuperOffice user shows their person's picture: set it on the person.",
            (_K.USER, _C.DELETE_IMAGE): "A SuperOffice user shows their person's picture: remove it on the person.",
        },
    ),
    connector_module="attache.backends.superoffice",
    sandbox_module="attache.sandbox.superoffice",
    texts=SignInTexts(
        key_name="access token",
        key_hint="an access token from SuperOffice's sign-in (attache login --browser gets one)",
        key_rejected="SuperOffice did not accept this access token; it may have expired. Sign in again.",
        browser_button="Sign in with SuperOffice Online",
        browser_hint="Opens SuperOffice Online in your browser. Allow access there, then come back here.",
        # Online's sign-in host and the tenant both come from the tenant's API address (superoffice_oauth).
        remember_password="",  # Onsite's Basic sign-in keeps the password: it is the secret
        # two short lines: a hint under a field does not wrap
        url_hint=(
            "Online: your tenant's address, ending …/Cust12345/api\nOnsite: your server's API address, ending …/api"
        ),
        client_id_label="Client ID",
        client_id_placeholder="The Application ID of your registered app",
        client_id_hint=(
            "From the app you registered with SuperOffice:\nits Application ID and, if it has one, its token."
        ),
        app_token_label="App token",
        app_token_placeholder="Only if the app has one",
    ),
    detach_note="The document is deleted from SuperOffice.",
)

SERVICES: Mapping[str, Service] = {entry.id: entry for entry in (AWORK, ONLYOFFICE, SUPEROFFICE)}
DEFAULT_SERVICE = AWORK.id


def service(service_id: str) -> Service:
    try:
        return SERVICES[service_id]
    except KeyError:
        raise InvalidInputError(f"Unknown service {service_id!r}; choose one of {', '.join(SERVICES)}") from None


def display_name(service_id: str) -> str:
    entry = SERVICES.get(service_id)
    return entry.name if entry else service_id
