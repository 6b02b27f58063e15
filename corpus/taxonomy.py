"""Load and index the project's taxonomies (actors, stages, regulators) and the bilingual glossary.

One index per file, lookups by id, name or alias in either language (case- and spacing-insensitive), broader
closure and derived narrower links. Everything is read once per process (the YAML files are small)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from corpus import load_yaml


def norm(text: str) -> str:
    """Key for alias lookups: casefolded, spaces/hyphens/slashes collapsed, full-width punctuation unified."""
    t = (text or "").strip().casefold()
    t = t.replace("／", "/").replace("（", "(").replace("）", ")").replace("，", "、")
    t = re.sub(r"[\s_\-]+", " ", t)
    return t.strip()


@dataclass
class Taxonomy:
    """A set of entries with zh/en names, aliases and broader links (actors, stages or regulators)."""

    name: str
    entries: dict[str, dict]
    _index: dict[str, str] = field(default_factory=dict)
    _narrower: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (alias, kept id, dropped id)

    def __post_init__(self) -> None:
        # names first so that an alias never shadows another entry's own name
        for eid, e in self.entries.items():
            for key in (eid, e["zh"], e["en"]):
                self._add(key, eid)
        for eid, e in self.entries.items():
            aliases = e.get("aliases") or {}
            for key in (aliases.get("zh") or []) + (aliases.get("en") or []):
                self._add(key, eid)
        for eid, e in self.entries.items():
            for b in e.get("broader") or []:
                if b not in self.entries:
                    raise ValueError(f"corpus/{self.name}.yaml: entry {eid!r} has unknown broader id {b!r} — "
                                     f"fix the id or add that entry")
                self._narrower.setdefault(b, []).append(eid)
            for ov in e.get("overlaps") or []:
                if ov["actor"] not in self.entries:
                    raise ValueError(f"corpus/{self.name}.yaml: entry {eid!r} overlaps unknown id {ov['actor']!r}")

    def _add(self, key: str, eid: str) -> None:
        k = norm(key)
        if not k:
            return
        old = self._index.get(k)
        if old is None:
            self._index[k] = eid
        elif old != eid:
            self.conflicts.append((key, old, eid))

    def __contains__(self, eid: str) -> bool:
        return eid in self.entries

    def __getitem__(self, eid: str) -> dict:
        return self.entries[eid]

    def ids(self) -> list[str]:
        return list(self.entries)

    def lookup(self, text: str) -> str | None:
        """The id for an id, zh/en name or alias; None when unknown."""
        return self._index.get(norm(text))

    def resolve(self, text: str) -> str:
        """Like lookup, but an unknown value raises a ValueError that lists close matches."""
        eid = self.lookup(text)
        if eid:
            return eid
        k = norm(text)
        close = sorted({v for a, v in self._index.items() if k and (k in a or a in k)})[:8]
        hint = f"did you mean: {', '.join(close)}" if close else f"known ids: {', '.join(self.entries)}"
        raise ValueError(f"unknown {self.name[:-1] if self.name.endswith('s') else self.name} {text!r} "
                         f"(corpus/{self.name}.yaml) — {hint}")

    def aliases(self, eid: str, lang: str | None = None) -> list[str]:
        e = self.entries[eid]
        out = []
        if lang in (None, "zh"):
            out += [e["zh"], *((e.get("aliases") or {}).get("zh") or [])]
        if lang in (None, "en"):
            out += [e["en"], *((e.get("aliases") or {}).get("en") or [])]
        return out

    def broader(self, eid: str) -> list[str]:
        return list(self.entries[eid].get("broader") or [])

    def narrower(self, eid: str) -> list[str]:
        return list(self._narrower.get(eid, []))

    def broader_closure(self, eid: str) -> list[str]:
        """All ancestors, nearest first (not including eid)."""
        out: list[str] = []
        todo = list(self.broader(eid))
        while todo:
            b = todo.pop(0)
            if b not in out and b != eid:
                out.append(b)
                todo.extend(self.broader(b))
        return out

    def narrower_closure(self, eid: str) -> list[str]:
        out: list[str] = []
        todo = list(self.narrower(eid))
        while todo:
            n = todo.pop(0)
            if n not in out and n != eid:
                out.append(n)
                todo.extend(self.narrower(n))
        return out

    def overlaps(self, eid: str) -> list[dict]:
        """Other roles this actor also holds (role overlaps), each with reason_zh/reason_en/condition."""
        return list(self.entries[eid].get("overlaps") or [])

    def inherited(self, eid: str) -> dict[str, str]:
        """Roles whose obligations also apply to eid -> the reason (English and Chinese), for 'all obligations
        that apply to role X': broader roles (X is a kind of Y) and role overlaps, transitively."""
        return {k: v[2] for k, v in self.inheritance(eid).items()}

    def inheritance(self, eid: str) -> dict[str, tuple[list[str], str, str]]:
        """Like `inherited`, with the chain: role id -> (path of ids from eid to it, first step's relation
        'broader' | 'overlap', reason)."""
        out: dict[str, tuple[list[str], str, str]] = {}
        todo: list[tuple[str, list[str], str, str]] = [(eid, [eid], "", "")]
        while todo:
            cur, path, rel, why = todo.pop(0)
            steps = [(b, "broader", f"{self.entries[cur]['zh']}属于{self.entries[b]['zh']} / "
                                    f"a {self.entries[cur]['en']} is a {self.entries[b]['en']}") for b in self.broader(cur)]
            steps += [(o["actor"], "overlap", f"{o['reason_zh']} / {o['reason_en']}"
                                              + (f" (when: {o['condition']})" if o.get("condition") else ""))
                      for o in self.overlaps(cur)]
            for nxt, kind, reason in steps:
                if nxt == eid or nxt in out:
                    continue
                out[nxt] = ([*path, nxt], rel or kind, f"{why}; {reason}" if why else reason)
                todo.append((nxt, out[nxt][0], out[nxt][1], out[nxt][2]))
        return out


@lru_cache(maxsize=None)
def actors() -> Taxonomy:
    return Taxonomy("actors", {e["id"]: e for e in load_yaml("actors.yaml")["actors"]})


@lru_cache(maxsize=None)
def stages() -> Taxonomy:
    return Taxonomy("stages", {e["id"]: e for e in load_yaml("stages.yaml")["stages"]})


@lru_cache(maxsize=None)
def regulators() -> Taxonomy:
    return Taxonomy("regulators", {e["id"]: e for e in load_yaml("regulators.yaml")["regulators"]})


@dataclass
class Glossary:
    """Bilingual legal glossary: zh term <-> English term and variants."""

    terms: list[dict]

    def __post_init__(self) -> None:
        self.by_zh: dict[str, dict] = {}
        self.en_index: dict[str, str] = {}
        for t in self.terms:
            self.by_zh.setdefault(t["zh"], t)
            for z in (t.get("aliases") or {}).get("zh") or []:
                self.by_zh.setdefault(z, t)
        mappable = [t for t in self.terms if t.get("cat") != "verb-common"]  # too common to map questions
        for t in mappable:  # names before aliases, as in Taxonomy
            self.en_index.setdefault(norm(t["en"]), t["zh"])
        for t in mappable:
            for a in (t.get("aliases") or {}).get("en") or []:
                self.en_index.setdefault(norm(a), t["zh"])
        self._zh_sorted = sorted(self.by_zh, key=len, reverse=True)

    def __len__(self) -> int:
        return len(self.terms)

    def en(self, zh: str) -> str | None:
        """English for a Chinese term or alias; None when the glossary lacks it."""
        t = self.by_zh.get(zh)
        return t["en"] if t else None

    def zh(self, en: str) -> str | None:
        """Chinese legal term for an English term or variant ("de-identified" -> 去标识化)."""
        return self.en_index.get(norm(en))

    def zh_terms_in_english(self, text: str) -> list[str]:
        """Chinese legal terms for every glossary English variant found in an English question, longest first,
        non-overlapping (for lexical search over Chinese clauses)."""
        low = " " + re.sub(r"[^\w\s/&.()、]|[_\-]", " ", text.casefold()) + " "
        low = re.sub(r"\s+", " ", low)
        found: list[str] = []
        taken: list[tuple[int, int]] = []
        for key in sorted(self.en_index, key=len, reverse=True):
            for m in re.finditer(r"(?<![\w])" + re.escape(key) + r"(?![\w])", low):
                span = (m.start(), m.end())
                if any(s < span[1] and span[0] < e for s, e in taken):
                    continue
                taken.append(span)
                z = self.en_index[key]
                if z not in found:
                    found.append(z)
        return found

    def zh_terms_in(self, text: str) -> list[str]:
        """Glossary Chinese terms (names or aliases) occurring in a Chinese text, longest first, non-overlapping."""
        found, taken = [], []
        for z in self._zh_sorted:
            start = text.find(z)
            while start >= 0:
                span = (start, start + len(z))
                if not any(s < span[1] and span[0] < e for s, e in taken):
                    taken.append(span)
                    if z not in found:
                        found.append(z)
                start = text.find(z, start + 1)
        return found


@lru_cache(maxsize=None)
def glossary() -> Glossary:
    return Glossary(load_yaml("glossary.yaml")["terms"])
