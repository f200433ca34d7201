"""Plain data shared by every layer: entities, files, capabilities, errors, per-user paths.

Nothing here imports Qt or does I/O on import.
"""

from attache.core.capabilities import Capability, CapabilityTable
from attache.core.errors import (
    AttacheError,
    AuthenticationError,
    CancelledError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    SecondFactorRequired,
    ServerError,
    ServiceUnavailableError,
    SourceChangedError,
    TooLargeError,
    TransientError,
    UnsupportedError,
    UploadExpiredError,
)
from attache.core.models import Entity, EntityKind, EntityRef, FileRecord, FileVersion, Page

__all__ = [
    "AttacheError",
    "AuthenticationError",
    "CancelledError",
    "Capability",
    "CapabilityTable",
    "Entity",
    "EntityKind",
    "EntityRef",
    "FileRecord",
    "FileVersion",
    "InvalidInputError",
    "NetworkError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitedError",
    "SecondFactorRequired",
    "ServerError",
    "ServiceUnavailableError",
    "SourceChangedError",
    "TooLargeError",
    "TransientError",
    "UnsupportedError",
    "UploadExpiredError",
]
