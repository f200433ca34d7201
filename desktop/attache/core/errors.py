"""Every failure a user can see, as one tree of exceptions with messages they can act on.

`str(error)` is the user's message: one line, specific, never a secret. `detail` keeps the
technical cause for the log. `transient` tells retry policies whether trying again can help;
`retry_after` is the server's own hint in seconds, when it gave one.
"""

from __future__ import annotations

from typing import Any


class AttacheError(Exception):
    transient = False

    def __init__(
        self,
        message: str,
        *,
        detail: str = "",
        status: int | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message


class AuthenticationError(AttacheError):
    """The token is missing, wrong or expired: the user must sign in again."""

    def __init__(self, message: str, *, account: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.account = account


class SecondFactorRequired(AuthenticationError):
    """The password was right; the service now wants a one-time code (two-factor sign-in).
    `method` is "app" (an authenticator app) or "sms"; `hint` what the service said of where
    the code goes (a masked phone number), for the prompt."""

    def __init__(self, message: str, *, method: str, hint: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.method = method
        self.hint = hint


class PermissionDeniedError(AttacheError):
    """Signed in, but not allowed to do this."""


class NotFoundError(AttacheError):
    """The entity, file or upload does not exist (any more)."""


class TooLargeError(AttacheError):
    """A file is over the service's limit for this target."""

    def __init__(self, message: str, *, limit: int | None = None, size: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit
        self.size = size


class InvalidInputError(AttacheError):
    """Local input the service would refuse: a folder, an unreadable file, a wrong type."""


class FileTemplateGoneError(InvalidInputError):
    """The template chosen for an account's uploads was deleted on the service. `template` is its
    id; `templates` the live ones (`FileTemplate`s, none in use), to choose another from."""

    def __init__(self, message: str, *, template: str, templates: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.template = template
        self.templates = list(templates or [])


class SourceChangedError(InvalidInputError):
    """The file on disk changed or vanished after it was queued."""


class UnsupportedError(AttacheError):
    """The service cannot do this for this kind of entity."""


class ProtocolError(AttacheError):
    """The server answered something that is not what the API promises (HTML, bad JSON)."""


class ServerError(AttacheError):
    """The service refused the request or failed in a way retrying will not fix."""


class CancelledError(AttacheError):
    """The user cancelled the operation."""


class TransientError(AttacheError):
    """Trying again later can succeed."""

    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class NetworkError(TransientError):
    """Could not connect, timed out, or the connection dropped mid-way."""


class RateLimitedError(TransientError):
    """The service asked us to slow down (429)."""


class ServiceUnavailableError(TransientError):
    """The service or a gateway in front of it is down for now (502, 503, 504)."""


class UploadExpiredError(TransientError):
    """The upload URL is no longer valid; a fresh one fixes it."""
