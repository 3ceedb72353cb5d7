"""The SPF evaluator: does a domain's SPF record authorise the platform's include?

``evaluate_spf`` walks the record's includes and ``redirect=`` the way a receiver does,
within RFC 7208's limits (10 DNS-querying terms, 2 void lookups), through one ``Prober``.
``core.verify`` turns its answer into a record check with a reason and a fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.probe import Prober, Result, absolute

SPF_LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
SPF_VOID_LIMIT = 2


def is_spf(text: str) -> bool:
    """``v=spf1`` followed by a space or nothing (``v=spf10`` is not SPF)."""
    lowered = text.strip().lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


@dataclass
class SpfEvaluation:
    authorised: bool = False
    lookups: int = 0
    voids: int = 0
    problems: list[str] = field(default_factory=list)
    unknown: Result | None = None


_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.I)


async def evaluate_spf(prober: Prober, record: str, domain: str, include: str) -> SpfEvaluation:
    """Walk the SPF tree of ``domain`` looking for ``include`` (RFC 7208 limits enforced).

    The platform's own include is a leaf: it counts as one lookup and is not fetched.
    """
    evaluation = SpfEvaluation()
    evaluation.authorised = await _spf_walk(prober, record, absolute(domain), absolute(include), evaluation, (absolute(domain),))
    return _with_limits(evaluation, "+")


LOOKUP_MECHANISMS = ("include", "a", "mx", "ptr", "exists")  # the terms RFC 7208 4.6.4 counts


def _lookup_terms(record: str) -> tuple[list[tuple[str, str, str]], str | None]:
    """``record``'s DNS-querying terms in order, as (qualifier, name, argument), and its
    redirect. An ``all`` term ends evaluation: the terms after it, and the redirect, are
    never reached (None)."""
    terms: list[tuple[str, str, str]] = []
    redirect = None
    for term in record.split()[1:]:
        modifier = _MODIFIER.match(term)
        if modifier and ":" not in modifier.group(1):
            if modifier.group(1).lower() == "redirect":
                redirect = modifier.group(2)
            continue
        qualifier = term[0] if term[0] in "+-~?" else "+"
        name, _, arg = term.lstrip("+-~?").partition(":")
        name = name.split("/", 1)[0].lower()
        if name == "all":
            return terms, None
        if name in LOOKUP_MECHANISMS:
            terms.append((qualifier, name, arg))
    return terms, redirect


async def _spf_walk(prober: Prober, record: str, domain: str, include: str, ev: SpfEvaluation, stack: tuple[str, ...]) -> bool:
    """True when ``record`` passes mail that ``include`` passes."""
    authorised = False
    terms, redirect = _lookup_terms(record)
    for qualifier, name, arg in terms:
        ev.lookups += 1
        if ev.lookups > SPF_LOOKUP_LIMIT:
            return authorised
        if name == "include" and arg and qualifier == "+" and not authorised:
            authorised = await _spf_follow(prober, arg, include, ev, stack, "include")
    if redirect:
        ev.lookups += 1
        if ev.lookups > SPF_LOOKUP_LIMIT:
            return authorised
        if not authorised:
            authorised = await _spf_follow(prober, redirect, include, ev, stack, "redirect")
    return authorised


async def _spf_follow(prober: Prober, arg: str, include: str, ev: SpfEvaluation, stack: tuple[str, ...], how: str) -> bool:
    if "%" in arg:
        return False  # a macro depends on the message; it cannot name the platform statically
    target = absolute(arg)
    if target == include:
        return True
    record = await _fetch_spf(prober, target, ev, stack, how)
    return record is not None and await _spf_walk(prober, record, target, include, ev, (*stack, target))


async def _fetch_spf(prober: Prober, target: str, ev: SpfEvaluation, stack: tuple[str, ...], how: str) -> str | None:
    """The one SPF record at ``target`` an include or redirect names; None (and a problem,
    a void lookup or an unanswered lookup noted in ``ev``) when there is not exactly one."""
    if target in stack:
        ev.problems.append(f"SPF {how} loop: {' → '.join(s.rstrip('.') for s in (*stack, target))}")
        return None
    result = await prober.lookup(target, "TXT")
    if not result.answered:
        ev.unknown = ev.unknown or result
        return None
    records = [v for v in result.values if is_spf(v)]
    if not result.values:
        ev.voids += 1
    if len(records) != 1:
        ev.problems.append(f"{how}:{target.rstrip('.')} has {len(records) or 'no'} SPF record{'s' if len(records) != 1 else ''}: receivers answer PermError")
        return None
    return records[0]


async def count_lookups(prober: Prober, record: str, domain: str) -> SpfEvaluation:
    """How many DNS-querying terms a receiver evaluating ``record`` (published at ``domain``)
    may count, following every include and redirect as RFC 7208 4.6.4 counts them, with the
    same limits and problems as ``evaluate_spf`` (the platform's own include, checked by a
    sweep: core/platform.py)."""
    evaluation = SpfEvaluation()
    await _count_walk(prober, record, absolute(domain), evaluation, (absolute(domain),))
    return _with_limits(evaluation)


def _with_limits(evaluation: SpfEvaluation, more: str = "") -> SpfEvaluation:
    """RFC 7208's limits (§4.6.4) as the first problems; ``more``: "+" when the walk stopped
    counting early (the count is a lower bound)."""
    limits = []
    if evaluation.lookups > SPF_LOOKUP_LIMIT:
        limits.append(f"SPF needs more than {SPF_LOOKUP_LIMIT} DNS lookups ({evaluation.lookups}{more}): receivers answer PermError")
    if evaluation.voids > SPF_VOID_LIMIT:
        limits.append(f"SPF has {evaluation.voids} lookups that find nothing (limit {SPF_VOID_LIMIT}): receivers answer PermError")
    evaluation.problems[:0] = limits
    return evaluation


async def _count_walk(prober: Prober, record: str, domain: str, ev: SpfEvaluation, stack: tuple[str, ...]) -> None:
    terms, redirect = _lookup_terms(record)
    for _qualifier, name, arg in terms:
        ev.lookups += 1
        if ev.lookups > SPF_LOOKUP_LIMIT:
            return
        if name == "include" and arg and "%" not in arg:
            target = absolute(arg)
            nested = await _fetch_spf(prober, target, ev, stack, "include")
            if nested is not None:
                await _count_walk(prober, nested, target, ev, (*stack, target))
    if redirect and "%" not in redirect:
        ev.lookups += 1
        if ev.lookups > SPF_LOOKUP_LIMIT:
            return
        target = absolute(redirect)
        nested = await _fetch_spf(prober, target, ev, stack, "redirect")
        if nested is not None:
            await _count_walk(prober, nested, target, ev, (*stack, target))


def with_include(record: str, include: str) -> str:
    """``record`` with ``include:<include>`` added before its ``all`` term."""
    terms = record.split()
    term = f"include:{include.rstrip('.')}"
    for i, t in enumerate(terms):
        if t.lstrip("+-~?").lower() == "all" or t.lower().startswith("redirect="):
            return " ".join([*terms[:i], term, *terms[i:]])
    return " ".join([*terms, term])
