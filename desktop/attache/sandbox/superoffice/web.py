"""What every tenant route needs: the store, the signed-in associate, the tenant's API address
as the client reached it, and query parameters matched without regard to case."""

from __future__ import annotations

from starlette.requests import Request

from attache.sandbox.common.web import root_url, store_of
from attache.sandbox.superoffice.store import Store

TENANT_ROOT = "/t"  # where the middleware puts a tenant path: /Cust12345/api/v1/Contact → /t/api/v1/contact
V1 = TENANT_ROOT + "/api/v1"
ASSOCIATE_KEY = "superoffice.associate_id"
ORIGINAL_PATH_KEY = "superoffice.path"


def store(request: Request) -> Store:
    result: Store = store_of(request)
    return result


def me(request: Request) -> int:
    return int(request.scope.get(ASSOCIATE_KEY) or 1)


def api_url(request: Request) -> str:
    """The tenant's REST base, e.g. http://127.0.0.1:8765/Cust12345/api."""
    return f"{root_url(request)}/{request.app.state.tenant}/api"


def self_url(request: Request) -> str:
    """This request's address without its query, as the client spelt it."""
    return root_url(request) + str(request.scope.get(ORIGINAL_PATH_KEY, request.url.path))


def query(request: Request, name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in request.query_params.items() if k.lower() == wanted), None)


def option(request: Request, name: str) -> object:
    return request.app.state.options[name]
