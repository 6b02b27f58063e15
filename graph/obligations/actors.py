"""Bearers when a sentence does not name one: the names a document gives its parties, the party carried over from
the sentences before, and the party the document (or its chapter) speaks to.

`yigui_doc_aliases` is the spaCy component that marks a document's own names (提供者 for 服务提供者) as actor or
regulator mentions; the names come per document (`nlp.pipe(..., component_cfg={"yigui_doc_aliases": {"aliases":
…}})`), so one cached pipeline serves every document. The rest reads a whole document and stays plain code.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from corpus import taxonomy
from graph.obligations.doctext import text_of


def bind(ids: list[str]) -> list[str]:
    """The roles that actually bear a duty named by these actor ids (an actor may bind others: its `binds`)."""
    actors = taxonomy.actors()
    out: list[str] = []
    for i in ids:
        for b in actors[i].get("binds") or [i]:
            if b not in out:
                out.append(b)
    return out


@dataclass
class Bearer:
    """Who the sentences of an article speak of so far: carried over to a clause that names no one."""

    actors: list[str] = field(default_factory=list)
    actor_text: str | None = None
    regulator: bool = False
    regulators: list[str] = field(default_factory=list)

    def copy(self) -> "Bearer":
        return Bearer(list(self.actors), self.actor_text, self.regulator, list(self.regulators))

    def carry_from(self, doc: Doc) -> None:
        """A sentence without a modal cue that opens with an actor still sets who the next sentences speak of."""
        ents = [e for e in doc.ents if e.start_char == 0]
        if ents:
            e = ents[0]
            if e.label_ == "ACTOR":
                self.actors, self.regulators, self.regulator = bind([e.ent_id_]), [], False
            else:
                self.actors, self.regulators, self.regulator = [], [e.ent_id_], True
            self.actor_text = e.text


@Language.factory("yigui_doc_aliases")
def make_doc_aliases(nlp: Language, name: str):
    return DocAliases()


class DocAliases:
    """Adds a document's own names for its parties to doc.ents where no mention is already (name -> (label, id))."""

    def __call__(self, doc: Doc, aliases: dict[str, tuple[str, str]] | None = None) -> Doc:
        if not aliases:
            return doc
        ents = list(doc.ents)
        taken = {i for e in ents for i in range(e.start, e.end)}
        text = text_of(doc)
        for name, (label, eid) in aliases.items():
            start = text.find(name)
            while start >= 0:
                sp = doc.char_span(start, start + len(name), alignment_mode="expand")
                if sp is not None and not any(i in taken for i in range(sp.start, sp.end)):
                    ents.append(Span(doc, sp.start, sp.end, label=label, span_id=eid))
                    taken.update(range(sp.start, sp.end))
                start = text.find(name, start + 1)
        doc.ents = sorted(ents, key=lambda e: e.start)
        return doc


class DefaultBearers:
    """The party a document (and each of its chapters) speaks to: the regulated actor that most often opens a
    normative sentence as its subject. A subject-less duty with nothing to carry over is that party's — read
    from the text itself, so a user's own instrument gets the same treatment as the corpus."""

    def __init__(self, sents, docs, conj: set[str]):
        by_chapter: dict[str, Counter] = {}
        whole: Counter = Counter()
        for (unit, _si, _s), doc in zip(sents, docs):
            # only duties count: the party a text obliges (侵权人应当承担…), not the one it gives rights (被侵权人有权…)
            if not any(c.label_ in ("obligation", "prohibition") for c in doc.spans["modal"]):
                continue
            ents = [e for e in doc.ents if e.label_ == "ACTOR"]
            if not ents or ents[0].start_char != 0:
                continue
            group = [ents[0]]  # the coordinated subject: 医疗器械注册人或者备案人 is both
            for e in ents[1:]:
                if text_of(doc)[group[-1].end_char:e.start_char].strip() in conj:
                    group.append(e)
                else:
                    break
            key = tuple(sorted(set(bind([e.ent_id_ for e in group]))))
            path = tuple(getattr(unit.provision, "path", None) or ())
            for k in range(1, len(path) + 1):  # every heading level: 编 > 章 > 节
                by_chapter.setdefault(path[:k], Counter())[key] += 1
            whole[key] += 1
        top = lambda c: c.most_common(1)[0][0] if c and c.most_common(1)[0][1] >= 2 else None  # noqa: E731
        self.chapter = {ch: a for ch, c in by_chapter.items() if (a := top(c))}
        self.document = top(whole)

    def of(self, unit) -> list[str]:
        """The dominant party of the narrowest heading above the unit that has one, else of the document."""
        path = tuple(getattr(unit.provision, "path", None) or ())
        for k in range(len(path), 0, -1):
            if path[:k] in self.chapter:
                return list(self.chapter[path[:k]])
        return list(self.document or ())
