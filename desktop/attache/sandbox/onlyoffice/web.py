"""What every route of the portal needs: the store, the signed-in user, the wrappers for this
request (with the portal's address for absolute links) and integer ids from the path."""

from __future__ import annotations

from starlette.requests import Request

from attache.sandbox.common.web import root_url, store_of
from attache.sandbox.onlyoffice.envelope import ApiError
from attache.sandbox.onlyoffice.shapes import Shapes
from attache.sandbox.onlyoffice.store import Store

USER_KEY = "onlyoffice.user_id"  # where the portal middleware keeps the signed-in user in the scope


def store(request: Request) -> Store:
    result: Store = store_of(request)
    return result


def me(request: Request) -> str:
    return str(request.scope.get(USER_KEY) or request.app.state.store.get_meta("owner_id"))


def shapes(request: Request) -> Shapes:
    return Shapes(store(request), root_url(request))


def int_param(request: Request, name: str) -> int:
    """An integer path id; ≤ 0 or not a number is 400, as the routes' `[0-9]+` and checks make it."""
    try:
        value = int(request.path_params[name])
    except ValueError:
        raise ApiError.invalid() from None
    if value <= 0:
        raise ApiError.invalid()
    return value
