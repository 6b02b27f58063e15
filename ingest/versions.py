"""Versions and translations across parsed documents.

Two versions of one instrument (mdsr-2021 / mdsr-2024) are both kept; the newest in-force one is `current`, so
answers quote it and flag the older text. English translations (`<id>.en`) are linked to the Chinese provision with the
same position: the parser gives both the same id suffix (pipl.en/art29 <-> pipl/art29).
"""
from __future__ import annotations

import re

from . import registry
from .model import ParsedDocument


def instrument_id(doc_id: str, meta_instrument: str | None = None) -> str:
    """Registry key for a version id, else the front matter's `instrument`, else the id minus .en and a -YYYY suffix."""
    return registry.instrument_of(doc_id) or meta_instrument or re.sub(r"-\d{4}$", "", re.sub(r"\.en$", "", doc_id))


def _sort_key(pd: ParsedDocument) -> str:
    d = pd.document
    return d.version or d.effective or d.promulgated or ""


def assign_versions(docs: list[ParsedDocument]) -> list[str]:
    """Set instrument ids and `current` flags in place; returns warnings (e.g. two versions with the same date)."""
    warnings: list[str] = []
    groups: dict[str, list[ParsedDocument]] = {}
    for pd in docs:
        d = pd.document
        d.instrument = instrument_id(d.id, d.instrument)
        if d.lang == "zh":
            groups.setdefault(d.instrument, []).append(pd)
    current_ids: set[str] = set()
    for inst, group in groups.items():
        group.sort(key=_sort_key)
        in_force = [pd for pd in group if pd.document.status == "in_force"]
        candidates = in_force or [pd for pd in group if pd.document.status == "unknown"]
        if len(group) > 1 and len({_sort_key(pd) for pd in group}) < len(group):
            warnings.append(f"instrument {inst}: versions {', '.join(pd.document.id for pd in group)} share a "
                            f"version date; set `version:` in their front matter to order them")
        newest = candidates[-1] if candidates else None
        for pd in group:
            pd.document.current = pd is newest
        if newest is not None:
            current_ids.add(newest.document.id)
    for pd in docs:  # translations follow the Chinese version they translate
        d = pd.document
        if d.lang == "en":
            base = d.translation_of or re.sub(r"\.en$", "", d.id)
            zh = next((x for x in docs if x.document.id == base), None)
            d.current = zh.document.current if zh is not None else d.status in ("in_force", "unknown")
    return warnings


def supersedes(docs: list[ParsedDocument]) -> list[tuple[str, str]]:
    """(newer version id, older version id) pairs, consecutive by version date, Chinese texts only."""
    groups: dict[str, list[ParsedDocument]] = {}
    for pd in docs:
        if pd.document.lang == "zh":
            groups.setdefault(pd.document.instrument, []).append(pd)
    pairs = []
    for group in groups.values():
        group.sort(key=_sort_key)
        pairs += [(b.document.id, a.document.id) for a, b in zip(group, group[1:])]
    return pairs


def translation_links(docs: list[ParsedDocument]) -> list[tuple[str, str]]:
    """(English provision id, Chinese provision id) for every English provision whose counterpart exists."""
    by_id = {pd.document.id: pd for pd in docs}
    links = []
    for pd in docs:
        d = pd.document
        if d.lang != "en" or not d.translation_of or d.translation_of not in by_id:
            continue
        zh_ids = {p.id for p in by_id[d.translation_of].provisions}
        for p in pd.provisions:
            zh_id = d.translation_of + p.id[len(d.id):]
            if zh_id in zh_ids:
                links.append((p.id, zh_id))
    return links


# ------------------------------------------------------------------------------------------------ as of a date

def parse_day(value: str | None) -> str | None:
    """An "as of" date as ISO YYYY-MM-DD (also YYYY-MM, YYYY: the end of that month or year, the last day a fact
    in that period can fall on); None passes. Raises ValueError naming the value and the accepted forms."""
    import calendar
    import datetime as dt

    if value is None or not str(value).strip():
        return None
    s = str(value).strip()
    m = re.fullmatch(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?", s) or \
        re.fullmatch(r"(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?", s)
    if not m:
        raise ValueError(f"as-of date {s!r} is not a date: use YYYY-MM-DD (e.g. 2025-06-01), YYYY-MM or YYYY")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if mo is None:
            day = dt.date(y, 12, 31)
        elif d is None:
            day = dt.date(y, int(mo), calendar.monthrange(y, int(mo))[1])
        else:
            day = dt.date(y, int(mo), int(d))
    except ValueError:
        raise ValueError(f"as-of date {s!r} does not exist: use a real calendar date, YYYY-MM-DD") from None
    return day.isoformat()


def starts(d) -> str:
    """The date a version takes effect (施行), else its version or promulgation date; "" when none is known."""
    return (getattr(d, "effective", None) or getattr(d, "version", None) or getattr(d, "promulgated", None) or "")[:10]


def in_force_on(docs, day: str) -> dict[str, str]:
    """Each document's standing on ISO date `day`: "in_force" (the newest version already in effect), "superseded"
    (an earlier version replaced by then), "not_yet" (takes effect after the day), "draft" or "repealed".

    Documents are anything with id, instrument, lang, status and dates (ingest Documents, graph DocumentItems).
    A version with no date at all is taken as in force (nothing says otherwise, and dropping it would lose it).
    Translations follow the Chinese version they translate."""
    out: dict[str, str] = {}
    groups: dict[str, list] = {}
    docs = list(docs)
    for d in docs:
        if (d.lang or "zh") == "zh":
            groups.setdefault(d.instrument or d.id, []).append(d)
    for group in groups.values():
        live = []
        for d in group:
            if d.status in ("draft", "repealed"):
                out[d.id] = d.status
            elif starts(d) and starts(d) > day:
                out[d.id] = "not_yet"
            else:
                live.append(d)
        live.sort(key=lambda d: (starts(d), d.id))
        for i, d in enumerate(live):
            out[d.id] = "in_force" if i == len(live) - 1 else "superseded"
    for d in docs:
        if (d.lang or "zh") != "zh":
            base = getattr(d, "translation_of", None) or re.sub(r"\.en$", "", d.id)
            out[d.id] = out.get(base) or ("not_yet" if starts(d) and starts(d) > day else "in_force")
    return out
