"""The API's answer envelope, its paging and its errors (onlyoffice.md §2.1, §2.2, §5).

Every /api/2.0 answer is `{count, startIndex, nextIndex, total, status, statusCode, response,
error}` in that order, `count` and `startIndex` left out at 0, `nextIndex` only when more
exist — and then one too far (`startIndex + count + 1`), as the live code computes it.
A successful POST answers 201, everything else 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from attache.sandbox.common.web import json_response

MAX_PAGE = 1000  # AscApiConfiguration maxPage in the shipped web.autofac.config

# HRESULTs of the .NET exceptions behind each status (error.hresult on the wire).
_HRESULT = {400: -2147024809, 403: -2146233079, 404: -2146233088, 500: -2146233088, 503: -2146233088}
_DESCRIPTION = {
    400: "Invalid arguments",
    403: "Access denied",
    404: "The record could not be found",
    500: "Server error",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An exception the API handler maps to a status: the envelope with `status: 1`."""

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = status
        self.message = message or _DESCRIPTION.get(status, "Server error")
        super().__init__(f"{status} {self.message}")

    @classmethod
    def not_found(cls, message: str | None = None) -> ApiError:
        return cls(404, message)

    @classmethod
    def invalid(cls, message: str | None = None) -> ApiError:
        return cls(400, message)


def error_body(status: int, message: str) -> dict[str, Any]:
    error = {"message": message, "hresult": _HRESULT.get(status, -2146233088), "data": {}}
    return {"status": 1, "statusCode": status, "error": error}


def error_response(error: ApiError) -> Response:
    return json_response(error_body(error.status, error.message), error.status)


def answer(request: Request, payload: Any, *, page: Page | None = None, total: int | None = None) -> Response:
    """The envelope around a result (a list is counted; anything else counts as one)."""
    status = 201 if request.method == "POST" else 200
    count = len(payload) if isinstance(payload, list) else 1
    body: dict[str, Any] = {}
    if count:
        body["count"] = count
    if page is not None and page.start:
        body["startIndex"] = page.start
    if page is not None and total is not None and page.start + page.size < total:
        body["nextIndex"] = page.start + page.size + 1
    if total is not None:
        body["total"] = total
    body["status"] = 0
    body["statusCode"] = status
    body["response"] = {} if payload is None else payload
    return json_response(body, status)


@dataclass(frozen=True, slots=True)
class Page:
    start: int
    size: int

    def slice(self, items: list[Any]) -> list[Any]:
        return items[self.start : self.start + self.size]


def page_of(request: Request) -> Page:
    """`startIndex` and `count` from the query; no count means the cap (1000), not 25."""
    params = {k.lower(): v for k, v in request.query_params.items()}
    try:
        start = int(params.get("startindex") or 0)
        size = int(params["count"]) if params.get("count") else MAX_PAGE
    except ValueError:
        raise ApiError.invalid() from None
    if start < 0 or size < 0:
        raise ApiError.invalid()
    return Page(start, min(size, MAX_PAGE))


def query(request: Request, name: str) -> str | None:
    """A query parameter, its name matched without regard to case (the binder does so)."""
    wanted = name.lower()
    return next((v for k, v in request.query_params.items() if k.lower() == wanted), None)


def search_text(request: Request) -> str:
    return (query(request, "filterValue") or query(request, "filterValue[]") or "").strip().lower()
