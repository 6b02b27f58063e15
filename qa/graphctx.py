"""What retrieval and answers read from the graph besides the clause texts: obligations (modality, actors, regulator
duties), defined terms (DEFINED_IN), penalty links (PENALIZES, explicit / inferred / general), cross-references
(CITES) and the actor hierarchy (SUBCLASS_OF, inherited roles). Loaded once per index build, keyed by article, so a
query only does dictionary look-ups.

Why in process: a question needs these facts for ~100 candidate clauses at once; one Cypher round trip per candidate
would cost more than the whole search.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ingest.model import LEVEL_RANK  # noqa: F401 - re-exported for qa.rank


@dataclass
class ArticleFacts:
    modalities: set[str] = field(default_factory=set)  # obligation / prohibition / permission / right
    actors: set[str] = field(default_factory=set)  # actor ids bound by the regulated parties' obligations
    regulator_only: bool = False  # every obligation read from it is a regulator's duty
    n_obligations: int = 0
    conditions: list[str] = field(default_factory=list)


@dataclass
class GraphContext:
    """Article-level facts; ids are article (retrieval unit) ids unless said otherwise."""

    facts: dict[str, ArticleFacts] = field(default_factory=dict)
    defines: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # term -> [(article id, definition)]
    penalized_by: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)  # duty art -> [(penalty art, method, score)]
    # penalty article -> {its paragraph that holds the sanction -> the duty articles that paragraph penalizes}: 网络安全法
    # 第六十一条 fines 网络运营者 in 第一款 and 关键信息基础设施的运营者 in 第二款, so the duty found picks the paragraph
    penalty_paras: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    cites: dict[str, set[str]] = field(default_factory=dict)  # article -> articles it cites
    actor_up: dict[str, set[str]] = field(default_factory=dict)  # actor -> broader actors (closure)

    @property
    def penalizes(self) -> dict[str, list[tuple[str, str]]]:
        """Penalty article -> [(duty article, method)]: PENALIZES read from the penalty's side (built once)."""
        out = self.__dict__.get("_penalizes")
        if out is None:
            out = {}
            for duty, links in self.penalized_by.items():
                for pen, method, _ in links:
                    out.setdefault(pen, []).append((duty, method))
            self.__dict__["_penalizes"] = out
        return out

    @property
    def empty(self) -> bool:
        return not self.facts and not self.defines

    def actors_with_inherited(self, actors: list[str]) -> set[str]:
        """The actors named plus every broader role they also hold (a hospital handling patient data is also a
        personal-information handler)."""
        out = set(actors)
        for a in actors:
            out |= self.actor_up.get(a, set())
        return out


def article_of(pid: str) -> str:
    """`pipl/art13/p1/i3` -> `pipl/art13`; guideline sections keep their own id (`doc/sec7.6.1`)."""
    doc, _, rest = pid.partition("/")
    head = rest.split("/", 1)[0]
    return f"{doc}/{head}" if head else pid


def load_context(store) -> GraphContext:
    """Read the graph facts from the store (five queries)."""
    ctx = GraphContext()
    facts: dict[str, ArticleFacts] = defaultdict(ArticleFacts)
    reg_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in store.read("MATCH (o:Obligation) RETURN o.provision_id AS p, o.modality AS m, o.actors AS a, "
                       "o.regulator_duty AS reg, o.condition AS c"):
        art = article_of(r["p"])
        f = facts[art]
        f.n_obligations += 1
        reg_counts[art][0] += 1
        if r["reg"]:
            reg_counts[art][1] += 1
        else:
            f.modalities.add(r["m"])
            f.actors.update(r["a"] or [])
        if r["c"]:
            f.conditions.append(r["c"])
    for art, (n, reg) in reg_counts.items():
        facts[art].regulator_only = n > 0 and n == reg
    ctx.facts = dict(facts)
    for r in store.read("MATCH (t:Term)-[:DEFINED_IN]->(p:Provision) RETURN t.term AS t, t.definition AS d, p.id AS p"):
        ctx.defines.setdefault(r["t"], []).append((article_of(r["p"]), r["d"] or ""))
    for r in store.read("MATCH (s:Provision)-[r:PENALIZES]->(t:Provision) RETURN s.id AS s, t.id AS t, "
                       "r.method AS m, r.score AS sc"):
        ctx.penalized_by.setdefault(article_of(r["t"]), []).append(
            (article_of(r["s"]), r["m"] or "explicit", float(r["sc"] if r["sc"] is not None else 1.0)))
        src = r["s"].split("/")
        if len(src) >= 3 and src[2].startswith("p"):
            ctx.penalty_paras.setdefault(article_of(r["s"]), {}).setdefault("/".join(src[:3]), set()).add(
                article_of(r["t"]))
    for r in store.read("MATCH (s:Provision)-[:CITES]->(t:Provision) RETURN s.id AS s, t.id AS t"):
        a, b = article_of(r["s"]), article_of(r["t"])
        if a != b:
            ctx.cites.setdefault(a, set()).add(b)
    up: dict[str, set[str]] = defaultdict(set)
    for r in store.read("MATCH (a:Actor)-[:SUBCLASS_OF]->(b:Actor) RETURN a.id AS a, b.id AS b"):
        up[r["a"]].add(r["b"])
    ctx.actor_up = _closure(up)
    return ctx


def _closure(up: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in up:
        seen, todo = set(), list(up[a])
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                todo.extend(up.get(b, ()))
        out[a] = seen
    return out
