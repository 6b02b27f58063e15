"""What the query layer returns for documents and provisions (graph.queries.Queries): the shapes the CLI, the API
(these models are its response schemas) and the app read. Obligations have theirs in graph.obligations.model.

    DocumentItem                      one document version with its provision count (Queries.documents)
    ProvisionItem                     a clause with its document's titles, children and official English text
    Neighbourhood                     cites, cited_by, penalties, sanctions, obligations, translation, versions
    ProvisionDetail                   a ProvisionItem with its Neighbourhood (Core.provision, GET /v1/provisions)
    DocumentTree / TreeNode           a document with its provisions nested (Queries.document_tree)
    CorpusStats                       node, edge, kind and level counts (Queries.stats)
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from graph.obligations.model import Obligation


class Row(BaseModel):
    """A typed row that still reads like the dict rows it replaced (row["id"], row.get("title")), for callers not
    yet moved to attributes."""

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default) if key in type(self).model_fields else default


class DocumentItem(Row):
    """One version of one instrument in one language, as loaded in the graph."""

    id: str
    instrument: str | None = None
    title: str | None = None
    short_title: str | None = None
    title_en: str | None = None
    level: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    promulgated: str | None = None
    effective: str | None = None
    status: str | None = None
    version: str | None = None
    version_label: str | None = None
    version_year: str | None = None
    lang: str | None = None
    current: bool = True
    source: str | None = None
    source_file: str | None = None
    history: list[str] | None = None
    notes: list[str] | None = None
    translation_of: str | None = None
    source_url: str | None = None
    sha256: str | None = None
    incomplete: bool = False  # the source text lacks articles its numbering implies (missing_articles)
    missing_articles: list[int] = Field(default_factory=list)
    provisions: int = 0


class ProvisionBrief(Row):
    """A provision as a link target: enough to cite it, show it and open it. A cited document (a law cited as a
    whole) has kind "document", its title and no citation."""

    id: str
    doc_id: str | None = None
    kind: str | None = None
    citation: str | None = None
    text: str | None = None
    current: bool | None = None
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    title: str | None = Field(None, description="a cited document's title (kind 'document')")
    doc_title: str | None = None
    doc_short_title: str | None = None
    version: str | None = None
    version_year: str | None = None
    level: str | None = None


class ProvisionNode(ProvisionBrief):
    """A provision with its place in the document (every stored field but the embedding)."""

    doc_id: str
    citation: str
    text: str
    label: str | None = None
    number: int | None = None
    citation_en: str | None = None
    path: list[str] | None = None
    parent_id: str | None = None
    order: int | None = None
    heading: str | None = None
    lang: str | None = None
    instrument: str | None = None


class ProvisionChild(Row):
    id: str
    kind: str | None = None
    label: str | None = None
    citation: str | None = None
    text: str | None = None
    order: int | None = None


class ProvisionItem(ProvisionNode):
    """A clause with its document's titles and version, its paragraphs and items, and its official English text."""

    current: bool = True
    children: list[ProvisionChild] = Field(default_factory=list, description="paragraphs and items, in order")
    text_en: str | None = Field(None, description="the official English translation, where one is loaded")
    text_en_id: str | None = None
    resolved_from: str | None = Field(None, description="the citation text this clause was resolved from")


class _Edge(ProvisionBrief):
    ref_text: str | None = Field(None, description="the words of the clause that make the link")


class CiteLink(_Edge):
    """What the clause (or one of its sub-clauses, `via`) cites."""

    via: str


class CitedByLink(_Edge):
    """A clause citing this one (or one of its sub-clauses or enclosing clauses, `target`)."""

    target: str


class PenaltyRef(_Edge):
    """A penalty clause sanctioning a breach of `target`. method 'explicit': the penalty clause names the article;
    'inferred': matched by the conduct it describes (score = similarity)."""

    target: str
    method: str | None = None
    score: float | None = None


class SanctionRef(_Edge):
    """A clause this penalty clause (or its sub-clause `via`) sanctions."""

    via: str
    method: str | None = None
    score: float | None = None


class VersionRef(Row):
    """The same position in another version of the instrument."""

    doc_id: str
    version: str | None = None
    current: bool | None = None
    provision: ProvisionBrief | None = None
    same_text: bool = False


class Neighbourhood(Row):
    """What surrounds a provision (its sub-clauses included)."""

    cites: list[CiteLink] = Field(default_factory=list)
    cited_by: list[CitedByLink] = Field(default_factory=list)
    penalties: list[PenaltyRef] = Field(default_factory=list)
    sanctions: list[SanctionRef] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list, description="obligations derived from the clause")
    translation: ProvisionBrief | None = Field(None, description="the clause's translation (or its original)")
    versions: list[VersionRef] = Field(default_factory=list)


class ProvisionDetail(ProvisionItem):
    """A clause with its place in the document and its neighbourhood (cites, cited by, penalties, versions)."""

    neighbourhood: Neighbourhood = Field(default_factory=Neighbourhood)


class TreeNode(ProvisionNode):
    children: list[TreeNode] = Field(default_factory=list)


class DocumentTree(Row):
    document: DocumentItem
    children: list[TreeNode] = Field(default_factory=list)


class CorpusStats(Row):
    """Nodes per label, edges per type, provisions per kind, documents per level."""

    backend: str
    nodes: dict[str, int]
    edges: dict[str, int]
    provisions_by_kind: dict[str, int]
    documents_by_level: dict[str, int]
    documents: int
    current_documents: int
