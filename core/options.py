"""A sender domain's Options: reading request parameters into them, and showing them.

Options are stored as the spec's keys: the tracking flags as 1/0, ``CustomSubdomain`` and
``CustomTrackPrefix`` (lower case) when overridden, ``TrackPrefixDisabled`` (the inverse of
the API's ``UseTrackingSubdomain``). Every bad value is an ApiError raised before anything
is written.
"""

from __future__ import annotations

from typing import Any, Mapping

from core import records as templates
from core.errors import INVALID_PARAMETER, ApiError
from core.validation import parse_bool, validate_option_label

# Option flags the API takes as booleans and stores as 1/0, with their create defaults.
TRACKING_FLAGS = {"LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 0}
LABELS = ("CustomSubdomain", "CustomTrackPrefix")
# The options that decide the DNS layout (which records exist and where).
LAYOUT_KEYS = (*LABELS, "TrackPrefixDisabled")


def param(params: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """Look a parameter up by name, case-insensitively (the spec mixes `status` and `DomainID`)."""
    if name in params:
        return True, params[name]
    lowered = name.lower()
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == lowered:
            return True, value
    return False, None


def parse_options(params: Mapping[str, Any], current: Mapping) -> dict:
    """The options after applying ``params`` to ``current``; raises before any write."""
    options = dict(current)
    for flag in TRACKING_FLAGS:
        present, value = param(params, flag)
        if present:
            options[flag] = int(parse_bool(flag, value))
    for name in LABELS:
        present, value = param(params, name)
        if present:
            options[name] = validate_option_label(name, value)
    present_use, use = param(params, "UseTrackingSubdomain")
    present_disabled, disabled = param(params, "TrackPrefixDisabled")
    if present_use:
        options["TrackPrefixDisabled"] = not parse_bool("UseTrackingSubdomain", use)
    if present_disabled:
        value = parse_bool("TrackPrefixDisabled", disabled)
        if present_use and value != options["TrackPrefixDisabled"]:
            raise ApiError(INVALID_PARAMETER, "UseTrackingSubdomain and TrackPrefixDisabled contradict each other", 400)
        options["TrackPrefixDisabled"] = value
    return options


def effective_options(options: Mapping, *, default_subdomain: str, default_prefix: str) -> dict:
    """Every option with the defaults filled in, in the spec's order (List and Get show these)."""
    return {
        **{flag: int(options.get(flag, default)) for flag, default in TRACKING_FLAGS.items()},
        "CustomSubdomain": templates.mfrom_subdomain(options, default_subdomain),
        "CustomTrackPrefix": templates.track_prefix(options, default_prefix),
        "TrackPrefixDisabled": bool(options.get("TrackPrefixDisabled", False)),
        **{k: v for k, v in options.items() if k not in TRACKING_FLAGS and k not in LAYOUT_KEYS},
    }


def dns_layout(options: Mapping, *, default_subdomain: str, default_prefix: str) -> tuple[str, str | None]:
    """The MFROM subdomain and tracking host label the options produce."""
    sub = templates.mfrom_subdomain(options, default_subdomain)
    track = templates.tracking_host("", options, default_subdomain, default_prefix)
    return sub, track
