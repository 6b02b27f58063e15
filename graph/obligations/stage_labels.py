"""Stage labelling: keyword evidence collected while each obligation is assembled (its sentence Doc is at hand only
then), and the trained classifier run once over a document's obligations before they are merged (so each clause is
labelled on its own and a merged duty keeps its first clause's labels)."""
from __future__ import annotations

from graph.obligations.model import Obligation, StageLabel
from graph.obligations.stages import StageScorer


class StageLabeller:
    def __init__(self, cfg: dict):
        from graph.obligations import stage_model

        self.scorer = StageScorer(cfg)
        self.model = stage_model.load()  # the trained stage classifier (its keyword evidence is one feature)
        self.start("", None)

    def start(self, title: str, level) -> None:
        """A new document: its title and level are features of every obligation in it."""
        self.title, self.level = title, level
        self.heading: dict[str, str] = {}
        self.evidence: dict[str, dict] = {}  # obligation id -> keyword stage evidence (a stage-model feature)

    def collect(self, ob: Obligation, unit, doc, lead_text: str = "", span=None) -> None:
        """Keep the obligation's heading and its keyword evidence in the sentence (and an item's lead-in)."""
        self.heading[ob.id] = unit.heading
        self.evidence[ob.id] = self.scorer.evidence(doc, unit.heading, "", extra_text=lead_text,
                                                    regulator=ob.regulator_duty, span=span, action=ob.action,
                                                    title=self.title)

    def label(self, obs: list[Obligation]) -> None:
        """Stages by the trained classifier (graph.obligations.stage_model): the clause, its headings, the
        instrument's title, its bearers and modality, and the keyword evidence gathered while it was extracted."""
        from graph.obligations.stage_model import StageInput

        rows = [StageInput(text=ob.text, heading=self.heading.get(ob.id, ""), title=self.title,
                           actors=tuple(ob.actors) + tuple(f"reg:{r}" for r in ob.regulators),
                           modality=ob.modality, regulator=ob.regulator_duty, level=self.level,
                           rule=self.scorer.totals(self.evidence.get(ob.id, {}))) for ob in obs]
        for ob, labels in zip(obs, self.model.labels(rows) if rows else []):
            ob.stages = [StageLabel(id=i, confidence=c) for i, c in labels]
        self.evidence.clear()
