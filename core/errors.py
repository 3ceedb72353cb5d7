"""Coded errors shared by every layer.

An ``ApiError`` carries the spec's numeric code, a message a person can act on and the HTTP
status the API answers with. The service raises them; ``core.api`` turns them into
``{"Errors": [{"Code": ..., "Message": ...}]}``; the TUI shows the message.
"""

from __future__ import annotations

import math


class SenderdeckError(Exception):
    """Base class of every error senderdeck raises on purpose."""


class ApiError(SenderdeckError):
    def __init__(self, code: int, message: str, http_status: int = 400, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after  # seconds, for a rate limit's refusal (HTTP's Retry-After)

    def to_json(self) -> dict:
        return {"Errors": [{"Code": self.code, "Message": self.message}]}

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.message!r}, http_status={self.http_status})"


# The spec's codes, one name per meaning (some meanings share a number: the spec numbers
# each command's errors on its own).
AUTH_FAILED = 0
MISSING_PARAMETER = 1  # DomainID, SenderDomain
NOT_FOUND = 2  # also someone else's domain, so ownership never leaks
MISSING_TO = 3  # sendtest
LOCALHOST = 4
LIMIT_REACHED = 5
INVALID_LABEL = 6  # CustomSubdomain / CustomTrackPrefix
CREATE_FAILED = 7  # create: not a valid sender domain
NOT_RETRIEVED_AFTER_UPDATE = 7
NOT_RETRIEVED_AFTER_CREATE = 8
INVALID_RECIPIENT = 8  # sendtest
INVALID_STATUS = 9
NOT_VERIFIED = 10  # cannot enable an unverified domain
DELIVERY_FAILED = 11  # sendtest: the relay did not take the message
DEMO_MODE = 99

# Codes beyond the spec's per-command lists, for situations it does not name (documented in
# README "The API contract").
INVALID_PARAMETER = 12  # a value of the wrong type (e.g. LinkTracking=maybe)
UNKNOWN_COMMAND = 13
RATE_LIMITED = 14
PERMISSION_DENIED = 15
INTERNAL_ERROR = 16  # a bug: logged, never a traceback to the caller
SERVICE_UNAVAILABLE = 17  # the database or Redis cannot be reached (HTTP 503)
SUSPENDED = 18  # the platform suspended the domain: no test messages from it (HTTP 403)


def not_found() -> ApiError:
    return ApiError(NOT_FOUND, "Sender domain not found", 404)


def missing(name: str, code: int = MISSING_PARAMETER) -> ApiError:
    return ApiError(code, f"Missing {name} parameter", 400)


def auth_failed() -> ApiError:
    return ApiError(AUTH_FAILED, "Authentication failed", 401)


class SettingsError(SenderdeckError):
    """A configuration file, environment variable or flag that cannot be used."""


class BackendUnavailable(SenderdeckError):
    """The database or Redis did not answer: nothing is wrong with the request; try again."""


def rate_limited(limit: int, what: str, window: str, wait: float) -> ApiError:
    """Code 14: ``limit`` ``what`` per ``window`` are used up; the next is let through in
    ``wait`` seconds (said in the message, and carried for HTTP's Retry-After)."""
    seconds = max(1, math.ceil(wait))
    return ApiError(RATE_LIMITED, f"Rate limit exceeded: {limit} {what} per {window}; try again in {seconds} s", 429, retry_after=seconds)
