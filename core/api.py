"""The spec's commands: ``Api.dispatch(params) -> (http_status, body)``.

Authentication (code 0), the User.Update permission, the per-user rate limit (100 per 60 s),
then the command. Bodies follow the spec's examples key for key: IDs inside a SenderDomain
object are strings, top-level DomainIDs are integers, errors are ``{"Errors": [...]}``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Awaitable, Callable, Mapping, NamedTuple

import peewee

from core import errors
from core.clock import format_datetime
from core.db import off_loop
from core.dnsrecord import records_to_stored
from core.errors import ApiError, SettingsError
from core.models import PERMISSION_USER_UPDATE, User
from core.options import param
from core.redaction import redact_urls
from core.service import SenderDomainService
from core.users import authenticate
from core.stats import clamp_days
from core.validation import is_absent, parse_bool, parse_domain_id, require_unicode_text
from core.views import DomainView

log = logging.getLogger(__name__)

API_RATE_LIMIT = (100, 60.0)

Handler = Callable[["Api", User, Mapping[str, Any]], Awaitable[dict] | dict]
COMMANDS: dict[str, Handler] = {}


def command(name: str):
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn

    return register


# ---- JSON shapes --------------------------------------------------------------------------


def domain_json(view: DomainView, *, figures: bool, options: dict | None = None) -> dict:
    """A SenderDomain object. List and Get (``figures``) show the operational fields and
    every option with its default; create and update show the stored options, as the spec's
    examples do."""
    body: dict[str, Any] = {
        "DomainID": str(view.id),
        "SenderDomain": view.display_name,
        "UserID": str(view.user_id),
        "CreatedAt": format_datetime(view.created_at),
        "Status": view.status,
    }
    if figures:
        body["LastVerifiedAt"] = format_datetime(view.last_verified_at)
    body["VerificationMeta"] = dict(view.verification_meta)  # the list reads it lazily
    body["PolicyMeta"] = view.policy_meta
    body["Options"] = options if options is not None else view.options
    if figures:
        f = view.figures
        body.update(
            Volume7d=f.volume_7d,
            VolumeDelta=f.volume_delta,
            Reputation=f.reputation,
            ReputationBucket=f.reputation_bucket,
            DeliveryRate=f.delivery_rate,
            BounceRate=f.bounce_rate,
        )
    return body


def records_json(view: DomainView) -> dict:
    return {r.host: {"Type": r.type, "Value": r.value, "IsVerified": r.verified} for r in view.records()}


def parse_days(params: Mapping[str, Any]) -> int | None:
    """``days``: None when absent; otherwise clamped to 1..365, 30 when not a number."""
    present, raw = param(params, "days")
    return clamp_days(raw) if present else None


def _domain_id(params: Mapping[str, Any]) -> int:
    return parse_domain_id(param(params, "DomainID")[1])


# ---- commands -----------------------------------------------------------------------------


@command("user.senderdomain.list")
def _list(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    return {"Success": True, "SenderDomains": [
            domain_json(v, figures=True, options=api.service.effective_options(v.options)) for v in api.service.list_domains(user)
        ]}


@command("user.senderdomain.get")
def _get(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    domain_id = _domain_id(params)
    view = api.service.get_domain(user, domain_id)
    body: dict[str, Any] = {
        "Success": True,
        "SenderDomain": domain_json(view, figures=True, options=api.service.effective_options(view.options)),
    }
    days = parse_days(params)
    if days is not None:
        body["Days"] = days
        body["Stats"] = api.service.domain_stats(user, domain_id, days)
    return body


@command("user.senderdomain.create")
def _create(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    view = api.service.create_domain(user, params)
    return {"Success": True, "DomainID": view.id, "SenderDomain": domain_json(view, figures=False)}


@command("user.senderdomain.update")
def _update(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    view, regenerated = api.service.update_domain(user, _domain_id(params), params)
    return {"Success": True, "DnsRegenerated": regenerated, "SenderDomain": domain_json(view, figures=False)}


@command("user.senderdomain.delete")
def _delete(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    api.service.delete_domain(user, _domain_id(params))
    return {"Success": True}


@command("user.senderdomain.dns")
def _dns(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    view = api.service.dns_records(user, _domain_id(params))
    return {"Success": True, "DomainID": view.id, "SenderDomain": view.display_name, "DNSRecords": records_json(view)}


@command("user.senderdomain.verify")
async def _verify(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    present, raw = param(params, "verifyall")
    if present and not is_absent(raw) and parse_bool("verifyall", raw):
        bulk = await api.service.verify_pending(user)
        return {
            "Success": True,
            "VerifyAll": True,
            "Verified": sum(1 for d in bulk.domains if d.is_verified),
            "Failed": sum(1 for d in bulk.domains if not d.is_verified),
            "Truncated": bulk.truncated,
            "Domains": [{"DomainID": d.domain_id, "IsVerified": d.is_verified, "Status": d.status} for d in bulk.domains],
        }
    outcome = await api.service.verify_domain(user, _domain_id(params))
    return {
        "Success": True,
        "DomainID": outcome.domain_id,
        "IsVerified": outcome.is_verified,
        "Status": outcome.status,
        "DNSRecords": records_to_stored(outcome.records, with_flag=True),
    }


@command("user.senderdomain.dnshost")
async def _dnshost(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    found = await api.service.detect_dns_host(user, _domain_id(params))
    return {
        "Success": True,
        "DomainID": found.domain_id,
        "SenderDomain": found.sender_domain,
        "DnsHost": found.dns_host,
        "Nameservers": found.nameservers,
    }


@command("user.senderdomain.sendtest")
async def _sendtest(api: "Api", user: User, params: Mapping[str, Any]) -> dict:
    domain_id = _domain_id(params)
    sent = await api.service.send_test(user, domain_id, param(params, "to")[1], param(params, "subject")[1])
    return {
        "Success": True,
        "DomainID": sent.domain_id,
        "SenderDomain": sent.sender_domain,
        "To": sent.to,
        "Subject": sent.subject,
        "MessageID": sent.message_id,
    }


def backend_outage(exc: BaseException) -> str | None:
    """A message for a database or Redis that cannot be reached, or None for anything else."""
    message = _outage(exc)
    return redact_urls(message) if message else None


def _outage(exc: BaseException) -> str | None:
    if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)) and not isinstance(exc, peewee.IntegrityError):
        return f"Database unavailable: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}; try again"
    if isinstance(exc, SettingsError):
        return f"senderdeck is misconfigured: {exc}"
    module = type(exc).__module__ or ""
    if module.startswith("redis") and type(exc).__name__ in {"ConnectionError", "TimeoutError", "BusyLoadingError"}:
        return f"Cache unavailable: Redis did not answer ({str(exc).strip() or type(exc).__name__}); try again"
    return None


# ---- dispatch -----------------------------------------------------------------------------


class Reply(NamedTuple):
    status: int  # the HTTP status the code table gives
    body: dict  # the spec's JSON
    retry_after: int | None = None  # seconds: a rate limit's refusal says when to come back


class Api:
    def __init__(self, service: SenderDomainService) -> None:
        self.service = service

    def authenticate(self, params: Mapping[str, Any]) -> User:
        present, key = param(params, "APIKey")
        user = authenticate(key) if present else None
        if user is None:
            raise errors.auth_failed()
        return user

    async def dispatch_async(self, params: Mapping[str, Any], user: User | None = None) -> tuple[int, dict]:
        """Run one command; never raises for bad input: every failure is a coded error body."""
        reply = await self.reply_async(params, user)
        return reply.status, reply.body

    async def reply_async(self, params: Mapping[str, Any], user: User | None = None) -> Reply:
        """``dispatch_async`` with what a transport adds to the body: a rate limit's wait."""
        try:
            # Database and cache work runs off the event loop, in one hop for the commands
            # that only read and write the database: a slow query or a held lock never stalls
            # the other calls this loop is serving.
            user, handler, result = await off_loop(self._admit_and_run, params, user)
            if result is None:
                result = await handler(self, user, params)  # DNS or SMTP; its database work is off the loop too
            return Reply(200, result)
        except ApiError as exc:
            return Reply(exc.http_status, exc.to_json(), exc.retry_after)
        except Exception as exc:
            outage = backend_outage(exc)
            if outage:
                log.warning("command failed, backend unavailable: %s", outage)
                return Reply(503, ApiError(errors.SERVICE_UNAVAILABLE, outage, 503).to_json())
            # A bug, not bad input: log it, answer a coded 500.
            log.exception("command failed: %r", params.get("Command") if isinstance(params, Mapping) else None)
            return Reply(500, ApiError(errors.INTERNAL_ERROR, f"Internal error ({type(exc).__name__}); see the log", 500).to_json())

    def _admit_and_run(self, params: Mapping[str, Any], user: User | None) -> tuple[User, Handler, dict | None]:
        """(user, handler, result): the checks every call passes, in the order the codes are
        documented — key (0), permission (15), command (13), text (12), rate limit (14) —
        then the handler when it is synchronous (``result`` None: it awaits DNS or SMTP)."""
        if not isinstance(params, Mapping):
            raise ApiError(errors.INVALID_PARAMETER, "Parameters must be a JSON object", 400)
        if user is None:
            user = self.authenticate(params)
        if not user.can(PERMISSION_USER_UPDATE):
            raise ApiError(errors.PERMISSION_DENIED, f"Permission denied: this account lacks {PERMISSION_USER_UPDATE}", 403)
        present, name = param(params, "Command")
        if not present or not isinstance(name, str) or not name.strip():
            raise ApiError(errors.UNKNOWN_COMMAND, "Missing Command parameter", 400)
        handler = COMMANDS.get(name.strip().lower())
        if handler is None:
            raise ApiError(errors.UNKNOWN_COMMAND, f"Unknown command {name.strip()[:80]!r}", 404)
        for key, value in params.items():  # before anything counts or is written
            require_unicode_text(str(key), key)
            require_unicode_text(str(key), value)
        limit, window = API_RATE_LIMIT
        wait = self.service.limiter.hit(f"api:{user.id}", limit, window)
        if wait is not None:
            raise errors.rate_limited(limit, "requests", f"{int(window)} seconds", wait)
        if inspect.iscoroutinefunction(handler):
            return user, handler, None
        return user, handler, handler(self, user, params)

    def dispatch(self, params: Mapping[str, Any], user: User | None = None) -> tuple[int, dict]:
        """Synchronous entry point (CLI, tests); do not call from inside a running event loop."""
        return asyncio.run(self.dispatch_async(params, user))
