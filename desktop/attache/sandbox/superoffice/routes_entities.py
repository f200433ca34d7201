"""Lists (archive providers), single entities, the current user, the version probe and the
tenant status (superoffice.md §1.4, §2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from attache.sandbox.common.web import json_response, root_url
from attache.sandbox.superoffice import archives, shapes
from attache.sandbox.superoffice.errors import SoError
from attache.sandbox.superoffice.odata import Archive, Row, answer
from attache.sandbox.superoffice.store import Store, so_date
from attache.sandbox.superoffice.web import TENANT_ROOT, V1, api_url, me, option, self_url, store

NETSERVER_VERSION = "10.3.6.0"

RowSource = Callable[[Store, str], list[Row]]
LISTS: dict[str, tuple[Archive, RowSource]] = {
    "contact": (archives.CONTACT, archives.contact_rows),
    "person": (archives.PERSON, archives.person_rows),
    "project": (archives.PROJECT, archives.project_rows),
    "user": (archives.USER, archives.user_rows),
    "appointment": (archives.APPOINTMENT, archives.appointment_rows),
    "document": (archives.DOCUMENT, archives.document_rows),
}
PROVIDERS = {  # GET /Archive/{provider}: the same archives under their provider names
    "simplecontact": "contact",
    "person": "person",
    "findproject": "project",
    "allusers": "user",
    "findappointment": "appointment",
    "finddocument": "document",
}


def archive_answer(request: Request, archive: Archive, rows: list[Row]) -> Response:
    body = answer(
        archive,
        rows,
        dict(request.query_params),
        self_url=self_url(request),
        metadata_url=f"{api_url(request)}/v1/Archive/$metadata",
        page_cap=int(option(request, "page_cap")),  # type: ignore[call-overload]
    )
    return json_response(body)


def _list(kind: str) -> Callable[[Request], Any]:
    archive, source = LISTS[kind]

    def handler(request: Request) -> Response:
        return archive_answer(request, archive, source(store(request), api_url(request)))

    return handler


def archive_provider(request: Request) -> Response:
    kind = PROVIDERS.get(request.path_params["provider"])
    if kind is None:
        raise SoError.bad_request(f"Unknown archive provider {request.path_params['provider']!r}.")
    archive, source = LISTS[kind]
    return archive_answer(request, archive, source(store(request), api_url(request)))


def _documents_of(kind: str, column: str) -> Callable[[Request], Any]:
    def handler(request: Request) -> Response:
        entity_id = request.path_params["id"]
        if not store(request).entity_exists(kind, entity_id):
            raise SoError.not_found(kind.capitalize(), entity_id)
        rows = archives.document_rows(store(request), api_url(request), f"WHERE {column}=?", (entity_id,))
        return archive_answer(request, archives.DOCUMENT, rows)

    return handler


def appointment_links(request: Request) -> Response:
    entity_id = request.path_params["id"]
    if not store(request).entity_exists("appointment", entity_id):
        raise SoError.not_found("Appointment", entity_id)
    return archive_answer(request, archives.LINKS, archives.appointment_link_rows(store(request), entity_id))


# ---- single entities ----
def not_modified(request: Request, updated: str) -> bool:
    """`If-Modified-Since` no older than the entity's last change: 304."""
    header = request.headers.get("if-modified-since")
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return datetime.fromisoformat(updated).replace(tzinfo=UTC) <= since


def _single(kind: str, table: str, shape: Callable[..., dict[str, Any]], label: str) -> Callable[[Request], Any]:
    def handler(request: Request) -> Response:
        entity_id = request.path_params["id"]
        row = store(request).read_one(f"SELECT * FROM {table} WHERE id=?", (entity_id,))
        if row is None:
            raise SoError.not_found(label, entity_id)
        if not_modified(request, row["updated"]):
            return Response(status_code=304)
        return json_response(shape(store(request), row, api_url(request)))

    return handler


def user(request: Request) -> Response:
    entity_id = request.path_params["id"]
    row = store(request).read_one("SELECT * FROM associates WHERE id=?", (entity_id,))
    if row is None:
        raise SoError.not_found("User", entity_id)
    return json_response(shapes.user_entity(store(request), row, api_url(request)))


def current_principal(request: Request) -> Response:
    db = store(request)
    row = db.read_one(
        "SELECT a.*, p.first_name, p.last_name, p.email, p.contact_id FROM associates a"
        " JOIN persons p ON p.id = a.person_id WHERE a.id=?",
        (me(request),),
    )
    if row is None:
        raise SoError.not_found("User", me(request))
    return json_response(
        {
            "UserType": "InternalAssociate",
            "Associate": row["user_name"],
            "AssociateId": row["id"],
            "IsPerson": True,
            "PersonId": row["person_id"],
            "CountryId": 578,
            "HomeCountryId": 578,
            "ContactId": row["contact_id"],
            "GroupId": 1,
            "BusinessId": 0,
            "CategoryId": 0,
            "ContactOwner": 1,
            "RoleId": 1 if row["is_admin"] else 2,
            "RoleName": "Administrator" if row["is_admin"] else "User",
            "RoleDescription": "",
            "RoleType": "Employee",
            "Licenses": [],
            "FullName": f"{row['first_name']} {row['last_name']}",
            "EMailAddress": row["email"],
            "FunctionRights": [],
            "EjUserId": 0,
            "EjAccessLevel": 0,
            "EjUserStatus": "StatusNone",
            "ProvidedCredentials": [],
            "SecondaryGroups": [],
            "DatabaseContextIdentifier": request.app.state.tenant,
            "UserName": row["user_name"],
        }
    )


def current_associate(request: Request) -> Response:
    return json_response(shapes.associate(store(request), me(request)))


# ---- addresses ----
def version(request: Request) -> Response:
    return json_response(
        {
            "v1": f"{api_url(request)}/v1",
            "NetServerVersion": NETSERVER_VERSION,
            "NetServerAssembly": f"SuperOffice.Services.Implementation, Version={NETSERVER_VERSION}",
            "NetServerDate": "2026-06-30",
            "NetServerLabel": "Attaché sandbox",
            "NetServer": "10.3",
            "Services": "Services88",
            "ServicesCurrent": "Services88",
            "Version": "v1",
        }
    )


def v1_index(request: Request) -> Response:
    """Supported URLs → {verb: what it does}, as the spec's description shows `/api/v1`."""
    base = f"{api_url(request)}/v1"
    served = {
        "Contact": {"GET": "Archive list of companies (SimpleContact)."},
        "Contact/{id}": {"GET": "Gets a ContactEntity."},
        "Person": {"GET": "Archive list of persons (Person)."},
        "Person/{id}": {"GET": "Gets a PersonEntity."},
        "Project": {"GET": "Archive list of projects (FindProject)."},
        "Project/{id}": {"GET": "Gets a ProjectEntity."},
        "Appointment": {"GET": "Archive list of appointments (FindAppointment)."},
        "Appointment/{id}": {"GET": "Gets an AppointmentEntity."},
        "User": {"GET": "Archive list of users (AllUsers)."},
        "Document": {"GET": "Archive list of documents (FindDocument).", "POST": "Creates a DocumentEntity."},
        "Document/{id}": {"GET": "Gets a DocumentEntity.", "PUT": "Updates it.", "DELETE": "Deletes it."},
        "Document/{documentId}/Content": {"GET": "Gets the document's content.", "PUT": "Sets the content."},
        "List/DocumentTemplate/Items": {"GET": "Gets the document templates."},
    }
    return json_response({f"{base}/{path}": verbs for path, verbs in served.items()})


def tenant_state(request: Request) -> Response:
    ctx = request.path_params["ctx"]
    tenant = request.app.state.tenant
    if ctx.lower() != tenant.lower():
        raise SoError.not_found("Tenant", ctx)
    root = root_url(request)
    return json_response(
        {
            "ContextIdentifier": tenant,
            "Endpoint": f"{root}/{tenant}",
            "State": "Running",
            "IsRunning": True,
            "ValidUntil": so_date(datetime.now(UTC) + timedelta(hours=1)) + "Z",
            "Api": f"{root}/{tenant}/api",
            "Version": NETSERVER_VERSION,
        }
    )


ROUTES = [
    Route(TENANT_ROOT + "/api", version, methods=["GET"]),
    Route(V1, v1_index, methods=["GET"]),
    Route("/api/state/{ctx}", tenant_state, methods=["GET"]),
    *(Route(f"{V1}/{kind}", _list(kind), methods=["GET"]) for kind in LISTS),
    Route(V1 + "/archive/{provider}", archive_provider, methods=["GET"]),
    Route(V1 + "/contact/{id:int}/documents", _documents_of("contact", "contact_id"), methods=["GET"]),
    Route(V1 + "/person/{id:int}/documents", _documents_of("person", "person_id"), methods=["GET"]),
    Route(V1 + "/appointment/{id:int}/links", appointment_links, methods=["GET"]),
    Route(V1 + "/contact/{id:int}", _single("contact", "contacts", shapes.contact_entity, "Contact"), methods=["GET"]),
    Route(V1 + "/person/{id:int}", _single("person", "persons", shapes.person_entity, "Person"), methods=["GET"]),
    Route(V1 + "/project/{id:int}", _single("project", "projects", shapes.project_entity, "Project"), methods=["GET"]),
    Route(
        V1 + "/appointment/{id:int}",
        _single("appointment", "appointments", shapes.appointment_entity, "Appointment"),
        methods=["GET"],
    ),
    Route(V1 + "/user/currentprincipal", current_principal, methods=["GET"]),
    Route(V1 + "/user/currentassociate", current_associate, methods=["GET"]),
    Route(V1 + "/user/{id:int}", user, methods=["GET"]),
]
