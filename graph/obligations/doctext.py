"""The text of a sentence Doc, built once: spaCy's `Doc.text` joins every token again on each access, and each
component of the pipeline (and then the assembler) reads the sentence's text."""
from __future__ import annotations


def text_of(doc) -> str:
    text = doc.user_data.get("yigui_text")
    if text is None:
        text = doc.user_data["yigui_text"] = doc.text
    return text
