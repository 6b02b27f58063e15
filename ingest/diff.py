"""Per-article comparison of two versions of one instrument: which articles changed, were added or removed.

Articles are matched by number (that is how lawyers cite them); texts are compared after removing whitespace, so
re-wrapped lines are not changes. A character diff is kept for display.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .model import ParsedDocument


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass
class ArticleChange:
    article: int
    kind: str  # changed | added | removed
    citation: str  # in the newer version when it exists there, else the older one
    old: str | None
    new: str | None
    segments: list[tuple[str, str]] = field(default_factory=list)  # (op, text): op in equal|delete|insert
    # renumbering: the article of the older version whose text this one carries (identical, or nearly: ratio ≥ 0.9)
    from_old: int | None = None
    from_old_identical: bool = False

    def marked(self) -> str:
        """Old→new as one string: [-deleted-]{+inserted+}."""
        out = []
        for op, text in self.segments:
            out.append(text if op == "equal" else f"[-{text}-]" if op == "delete" else f"{{+{text}+}}")
        return "".join(out)


@dataclass
class VersionDiff:
    old_id: str
    new_id: str
    changes: list[ArticleChange]
    unchanged: int

    def numbers(self, kind: str) -> list[int]:
        return [c.article for c in self.changes if c.kind == kind]

    @property
    def changed(self) -> list[int]:
        return self.numbers("changed")

    @property
    def added(self) -> list[int]:
        return self.numbers("added")

    @property
    def removed(self) -> list[int]:
        return self.numbers("removed")


def char_segments(old: str, new: str) -> list[tuple[str, str]]:
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    segs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            segs.append(("equal", old[i1:i2]))
        else:
            if i2 > i1:
                segs.append(("delete", old[i1:i2]))
            if j2 > j1:
                segs.append(("insert", new[j1:j2]))
    return segs


def diff_documents(old: ParsedDocument, new: ParsedDocument) -> VersionDiff:
    """Articles of `old` vs `new` by article number (guidelines: top-level sections by number)."""
    def units(pd: ParsedDocument):
        arts = pd.articles()
        if arts:
            return {p.number: p for p in arts}
        return {p.number: p for p in pd.provisions if p.kind == "section" and p.parent_id is None}

    a, b = units(old), units(new)
    changes: list[ArticleChange] = []
    unchanged = 0
    for n in sorted(set(a) | set(b)):
        pa, pb = a.get(n), b.get(n)
        if pa is None:
            changes.append(ArticleChange(n, "added", pb.citation, None, pb.text, [("insert", pb.text)]))
        elif pb is None:
            changes.append(ArticleChange(n, "removed", pa.citation, pa.text, None, [("delete", pa.text)]))
        elif normalise(pa.text) != normalise(pb.text):
            changes.append(ArticleChange(n, "changed", pb.citation, pa.text, pb.text,
                                         char_segments(normalise(pa.text), normalise(pb.text))))
        else:
            unchanged += 1
    _match_renumbered(changes, a)
    return VersionDiff(old.document.id, new.document.id, changes, unchanged)


def _match_renumbered(changes: list[ArticleChange], old_units: dict) -> None:
    """An amendment that inserts an article shifts every later number: say where each new text came from, so
    'changed' articles that merely moved are visible as such (网络安全法 2016 第七十九条 -> 2025 第八十一条)."""
    old_norm = {n: normalise(p.text) for n, p in old_units.items()}
    by_text = {t: n for n, t in old_norm.items()}
    for c in changes:
        if c.new is None:
            continue
        t = normalise(c.new)
        if t in by_text and by_text[t] != c.article:
            c.from_old, c.from_old_identical = by_text[t], True
            continue
        if c.kind == "changed" and difflib.SequenceMatcher(None, normalise(c.old or ""), t, autojunk=False).ratio() >= 0.9:
            continue  # an edit in place, not a move
        best, best_ratio = None, 0.9
        for n, ot in old_norm.items():
            if n == c.article or abs(len(ot) - len(t)) > 0.2 * max(len(t), 1):
                continue
            sm = difflib.SequenceMatcher(None, ot, t, autojunk=False)
            if sm.real_quick_ratio() < best_ratio or sm.quick_ratio() < best_ratio:
                continue
            r = sm.ratio()
            if r >= best_ratio:
                best, best_ratio = n, r
        c.from_old = best


# ------------------------------------------------------------------------------------------------ alignment

@dataclass
class ArticleLink:
    """One article of the older version and where its text went in the newer one."""

    old: int | None  # None: added in the newer version
    new: int | None  # None: removed
    kind: str  # identical | renumbered | edited | edited_renumbered | added | removed
    similarity: float = 0.0  # of the normalised texts, 0..1


def _bigrams(text: str) -> set[str]:
    t = normalise(text)
    return {t[i:i + 2] for i in range(len(t) - 1)} or {t}


def align(old: dict[int, str], new: dict[int, str], min_similarity: float = 0.5) -> list[ArticleLink]:
    """Old article -> new article, in order: an amendment inserts, deletes and edits articles but never reorders
    them, so the best monotone matching (dynamic programming over bigram-Dice similarity) is the renumbering map.
    Pairs under `min_similarity` are an article removed and another added, not an edit."""
    a, b = sorted(old), sorted(new)
    ga = [_bigrams(old[n]) for n in a]
    gb = [_bigrams(new[n]) for n in b]
    sim = [[(2 * len(x & y) / (len(x) + len(y))) if x and y else 0.0 for y in gb] for x in ga]
    na, nb = len(a), len(b)
    best = [[0.0] * (nb + 1) for _ in range(na + 1)]
    for i in range(na - 1, -1, -1):
        for j in range(nb - 1, -1, -1):
            s = sim[i][j]
            take = s + best[i + 1][j + 1] if s >= min_similarity else -1.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    links: list[ArticleLink] = []
    i = j = 0
    while i < na and j < nb:
        s = sim[i][j]
        if s >= min_similarity and best[i][j] == s + best[i + 1][j + 1]:
            same = normalise(old[a[i]]) == normalise(new[b[j]])
            moved = a[i] != b[j]
            kind = ("renumbered" if moved else "identical") if same else ("edited_renumbered" if moved else "edited")
            links.append(ArticleLink(a[i], b[j], kind, 1.0 if same else round(s, 3)))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            links.append(ArticleLink(a[i], None, "removed"))
            i += 1
        else:
            links.append(ArticleLink(None, b[j], "added"))
            j += 1
    links += [ArticleLink(a[x], None, "removed") for x in range(i, na)]
    links += [ArticleLink(None, b[y], "added") for y in range(j, nb)]
    return links
