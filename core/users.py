"""API users: keys are random tokens shown once and stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import peewee

from core.clock import Clock
from core.errors import ApiError, INVALID_PARAMETER
from core.models import PERMISSION_USER_UPDATE, User
from core.prepared import Prepared, slot

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
KEY_PREFIX = "sdk_"
# Every API request looks its key up: compiled once (core/prepared.py).
_BY_KEY_HASH = Prepared(lambda: User.select().where(User.api_key_hash == slot("digest")).limit(1))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_user(name: str, clock: Clock, *, domain_limit: int | None = None, permissions: list[str] | None = None) -> tuple[User, str]:
    """Create a user; returns it with its API key (the only time the key is seen)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):  # match's $ would allow "name\n"
        raise ApiError(INVALID_PARAMETER, "Invalid user name: 1-64 letters, digits, '.', '_', '@' or '-'", 400)
    if domain_limit is not None and domain_limit < 0:
        raise ApiError(INVALID_PARAMETER, "Invalid domain limit: must be zero (unlimited) or more", 400)
    key = new_key()
    try:
        user = User.create(
            name=name,
            api_key_hash=hash_key(key),
            permissions=permissions if permissions is not None else [PERMISSION_USER_UPDATE],
            domain_limit=domain_limit,
            created_at=clock.now(),
        )
    except peewee.IntegrityError:
        raise ApiError(INVALID_PARAMETER, f"A user named {name!r} already exists", 400) from None
    return user, key


def rotate_key(user: User) -> str:
    key = new_key()
    user.api_key_hash = hash_key(key)
    user.save(only=[User.api_key_hash])
    return key


def authenticate(key: object) -> User | None:
    """The user whose key this is, or None. The stored hash is compared in constant time."""
    if not isinstance(key, str) or not key or len(key) > 256:
        return None
    digest = hash_key(key)
    user = _BY_KEY_HASH.first(User, digest=digest)
    if user is None or not hmac.compare_digest(user.api_key_hash, digest):
        return None
    return user


def find_user(name: str) -> User | None:
    return User.get_or_none(User.name == name)


def sole_user() -> User | None:
    """The only user, when the database has exactly one."""
    users = list(User.select().limit(2))
    return users[0] if len(users) == 1 else None
