"""Register rows of a document's obligations: clauses of one duty merged into one row, and each row's key.

A key is anchored on the instrument and the clause's words, never on positions, so a row keeps its key across
re-ingests and across versions of the instrument while its clause is unchanged.
"""
from __future__ import annotations

import hashlib
import re

from graph.obligations.model import Obligation
from ingest.numerals import CN_OR_ARABIC_LABEL_NUM


def merge_same_duty(obs: list[Obligation]) -> list[Obligation]:
    """One obligation per duty of a 款: consecutive clauses of one provision with the same bearer, modality and
    regulator flag are one register row (应当A。应当B。 is one duty of one party), their text joined; a change of
    modality or bearer starts a new one. Items of a list stay apart (each item is its own provision)."""
    out: list[Obligation] = []
    for ob in obs:
        prev = out[-1] if out else None
        if prev is not None and prev.provision_id == ob.provision_id and prev.modality == ob.modality and \
                prev.actors == ob.actors and prev.regulators == ob.regulators and \
                prev.regulator_duty == ob.regulator_duty and not prev.elements and not ob.elements:
            prev.text = f"{prev.text}{ob.text}"
            prev.predicate = f"{prev.predicate}{ob.predicate}"
            prev.requirement_zh = f"{prev.requirement_zh}{ob.requirement_zh}" if not ob.requirement_zh.startswith(
                "【") else f"{prev.requirement_zh}{ob.requirement_zh.split('】', 1)[1]}"
            if ob.condition and ob.condition != prev.condition:
                prev.condition = f"{prev.condition}；{ob.condition}" if prev.condition else ob.condition
            prev.confidence = min(prev.confidence, ob.confidence)
            continue
        out.append(ob)
    # ids stay {provision}#o{n} with n the order within the provision after merging
    counters: dict[str, int] = {}
    for ob in out:
        n = counters.get(ob.provision_id, 0) + 1
        counters[ob.provision_id] = n
        ob.position = ob.position - int(ob.id.rsplit("#o", 1)[1]) + n
        ob.id = f"{ob.provision_id}#o{n}"
    return out


def clause_fingerprint(text: str) -> str:
    """The clause text reduced to its words: what an obligation's register key is anchored on (punctuation, spaces
    and the item label do not count, so re-typesetting a clause keeps its key)."""
    t = re.sub(rf"^[（(]{CN_OR_ARABIC_LABEL_NUM}[）)]", "", text.strip())
    return re.sub(r"[\s，,。；;：:、“”\"'（）()《》]", "", t)


def assign_keys(obs: list[Obligation], instrument: str) -> None:
    """Register keys: instrument + a hash of the clause's words (and the bearer's modality), so a row keeps its key
    across re-ingests and across versions of the instrument as long as the clause is unchanged; the n-th repeat of
    the same clause within one version gets a suffix."""
    seen: dict[str, int] = {}
    for ob in sorted(obs, key=lambda o: o.position):
        h = hashlib.sha1(f"{ob.modality}|{clause_fingerprint(ob.text)}".encode()).hexdigest()[:10]
        base = f"{instrument}:{h}"
        n = seen.get(base, 0) + 1
        seen[base] = n
        ob.key = base if n == 1 else f"{base}~{n}"
