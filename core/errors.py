"""Coded errors shared by every layer.

An ``ApiError`` carries the spec's numeric code, a message a person can act on and the HTTP
status the API answers with. The service raises them; ``core.api`` turns them into
``{"Errors": [{"Code": ..., "Message": ...}]}``; the TUI shows the message.
"""

from __future__ import annotations


class SenderdeckError(Exception):
    """Base class of every error senderdeck raises on purpose."""


class ApiError(SenderdeckError):
    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status

    def to_json(self) -> dict:
        return {"Errors": [{"Code": self.code, "Message": self.message}]}

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.message!r}, http_status={self.http_status})"


# Codes beyond the spec's per-command lists. The spec reserves 0-11 and 99; these extend it
# for situations it does not name (documented in README "Error codes").
INVALID_PARAMETER = 12  # a value of the wrong type (e.g. LinkTracking=maybe)
UNKNOWN_COMMAND = 13
RATE_LIMITED = 14
PERMISSION_DENIED = 15
INTERNAL_ERROR = 16  # a bug: logged, never a traceback to the caller
SERVICE_UNAVAILABLE = 17  # the database or Redis cannot be reached (HTTP 503)


def not_found() -> ApiError:
    return ApiError(2, "Sender domain not found", 404)


def missing(name: str, code: int = 1) -> ApiError:
    return ApiError(code, f"Missing {name} parameter", 400)


class SettingsError(SenderdeckError):
    """A configuration file, environment variable or flag that cannot be used."""
