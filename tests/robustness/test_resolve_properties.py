"""Property-based tests for the citation resolver (ingest.resolve): every citation the product writes must read back
to the same clause, wherever it sits in a sentence, and no text — however odd — makes the resolver crash or invent a
clause (a wrong citation is the worst bug this product can have)."""
from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest import registry
from ingest.citation import english_short_title, format_citation, format_citation_en, int_to_cn
from ingest.resolve import find_citations, parse_citation

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INSTRUMENTS = registry.instruments()
# instruments cited by an article number (guidelines and standards are cited by section, not 第X条)
ARTICLE_CITED = sorted(k for k, e in INSTRUMENTS.items()
                       if e.get("short_title") and "指导原则" not in e["short_title"] and "审评要点" not in e["short_title"]
                       and not e["short_title"].startswith("GB"))


def _en_round_trips(inst: str) -> bool:
    text = format_citation_en(english_short_title(INSTRUMENTS[inst]["title_en"]), 5)
    ref = parse_citation("See " + text + ".")
    return ref is not None and ref.instrument == inst


# Defects these properties found (fixed in ingest 0eaecd0; kept as regression tests at the end of this file):
#  - titles that contain a quoted title (SPC tort-book interpretation: 《…〈民法典〉…》) did not read back;
#  - the English short titles format_citation_en writes (…Law on X, (Trial), (2013)) were not in the title index;
#  - 《民法典》第五条 (Book One, not in the corpus) resolved to the Personality Rights book.
# Instruments that fail a round trip are listed here and asserted empty, so a regression names them.
ZH_KNOWN_BAD: set[str] = set()  # fixed in ingest.resolve/registry (〈〉 inside 《》)
EN_KNOWN_BAD = {k for k in ARTICLE_CITED if INSTRUMENTS[k].get("title_en") and not INSTRUMENTS[k].get("part_of")
                and not _en_round_trips(k)}


@st.composite
def clause(draw):
    """(instrument id, article, paragraph|None, item|None, subitem|None, show_paragraph)."""
    inst = draw(st.sampled_from([k for k in ARTICLE_CITED if k not in ZH_KNOWN_BAD]))
    rng = INSTRUMENTS[inst].get("article_range")
    art = draw(st.integers(rng[0], rng[1]) if rng else st.integers(1, 300))
    para = draw(st.one_of(st.none(), st.integers(1, 9)))
    item = draw(st.one_of(st.none(), st.integers(1, 15)))
    sub = draw(st.one_of(st.none(), st.integers(1, 9))) if item is not None else None
    show = para is not None and draw(st.booleans())
    return inst, art, para, item, sub, show


def _expected_para(para, item, show):
    return para if show else None


# neutral prose around a citation: no 《》, no 第/条/款/项/目/之, no digits that could extend a number
PROSE = "医疗机构应当依法处理患者个人信息并采取必要安全措施确保数据合法合规使用，。；：、 "
prose = st.text(alphabet=PROSE, max_size=25)


@SETTINGS
@given(c=clause(), before=prose, after=prose)
@example(c=("pipl", 13, 1, 3, None, True), before="根据", after="的规定")
@example(c=("civil-code-tort", 1219, None, None, None, False), before="", after="")
@example(c=("civil-code-personality", 1034, 2, None, None, True), before="", after="")
def test_zh_citation_round_trips_inside_prose(c, before, after):
    inst, art, para, item, sub, show = c
    short = INSTRUMENTS[inst]["short_title"]
    text = format_citation(short, art, para, item, sub, show_paragraph=show)
    ref = parse_citation(before + text + after)
    assert ref is not None, f"{text!r} not found in {before + text + after!r}"
    assert ref.instrument == inst, f"{text!r} resolved to {ref.instrument}, expected {inst}"
    assert (ref.article, ref.paragraph, ref.item, ref.subitem) == (art, _expected_para(para, item, show), item, sub)
    start, end = ref.span
    assert (before + text + after)[start:end].startswith("《"), "the span points at the citation itself"


@SETTINGS
@given(c=clause())
def test_unquoted_short_title_resolves_too(c):
    inst, art, para, item, sub, show = c
    short = INSTRUMENTS[inst]["short_title"]
    text = format_citation(short, art, para, item, sub, show_paragraph=show).replace("《", "").replace("》", "")
    ref = parse_citation("依照" + text)
    assert ref is not None and ref.instrument == inst and ref.article == art


EN_CITED = [k for k in ARTICLE_CITED if INSTRUMENTS[k].get("title_en") and not INSTRUMENTS[k].get("part_of")
            and k not in EN_KNOWN_BAD]


@SETTINGS
@given(inst=st.sampled_from(EN_CITED), art=st.integers(1, 300), para=st.one_of(st.none(), st.integers(1, 9)),
       item=st.one_of(st.none(), st.integers(1, 15)))
@example(inst="pipl", art=13, para=1, item=3)
def test_en_citation_round_trips(inst, art, para, item):
    short_en = english_short_title(INSTRUMENTS[inst]["title_en"])
    show = para is not None
    text = format_citation_en(short_en, art, para, item, show_paragraph=show)
    ref = parse_citation("See " + text + ".")
    assert ref is not None, text
    assert ref.instrument == inst, f"{text!r} -> {ref.instrument}"
    assert (ref.article, ref.paragraph, ref.item) == (art, para if show else None, item)


ODD = ["《", "》", "第", "条", "款", "项", "目", "之", "（", "）", "(", ")", "Article ", "Art. ", "§", "PIPL", "个人信息保护法",
       "民法典", "数据安全法", "第十三条", "第一千二百一十九条", "第百条", "第〇条", "第（三）项", "第1目", "13(1)(3)", " of the ",
       "《》", "《《个人信息保护法》》", "第99999999999条", "\n", "\u3000"]
odd_text = st.lists(st.one_of(st.sampled_from(ODD), st.text(max_size=8)), max_size=30).map("".join)


@SETTINGS
@given(text=odd_text)
@example(text="《个人信息保护法》第百条")
@example(text="《民法典》第一条")
@example(text="第十三条")
@example(text="《不存在的法》第十三条")
def test_any_text_never_crashes_and_never_invents(text):
    refs = find_citations(text)
    for r in refs:
        assert r.instrument is None or r.instrument in INSTRUMENTS
        assert isinstance(r.article, int) and r.article >= 0
        a, b = r.span
        assert 0 <= a < b <= len(text)
        # the instrument was named in the text: by title, short title or alias (never guessed from a bare number)
        if r.instrument is not None:
            names = {INSTRUMENTS[r.instrument].get(k) for k in ("title", "short_title", "title_en")}
            names |= set(INSTRUMENTS[r.instrument]["aliases"])
            part_of = INSTRUMENTS[r.instrument].get("part_of")
            if part_of:  # a Civil Code book is named 民法典 and chosen by its article range
                names |= {n for e in INSTRUMENTS.values() if e.get("part_of") == part_of for n in e["aliases"]}
            compact = text.replace(" ", "").lower()
            assert any(n and n.replace(" ", "").lower() in compact for n in names) or r.title in text, \
                f"{r} names an instrument the text does not mention: {text!r}"


def test_bare_article_numbers_are_not_citations():
    assert parse_citation("第十三条") is None
    assert parse_citation("Article 13") is None
    assert parse_citation("《不存在的管理办法》第十三条").instrument is None


def test_civil_code_books_resolve_by_article_range():
    assert parse_citation("《民法典》第一千二百一十九条").instrument == "civil-code-tort"
    assert parse_citation("《民法典》第一千零三十四条第二款").instrument == "civil-code-personality"
    assert int_to_cn(1034) == "一千零三十四"


def test_most_english_short_titles_round_trip():
    assert {"pipl", "dsl", "csl", "mdsr", "network-data-reg", "genai-measures"} <= set(EN_CITED)


def test_title_with_an_inner_quoted_title_round_trips():
    short = INSTRUMENTS["spc-tort-book-interp-1"]["short_title"]
    assert parse_citation(format_citation(short, 5)).instrument == "spc-tort-book-interp-1"


def test_every_english_short_title_round_trips():
    assert not EN_KNOWN_BAD, sorted(EN_KNOWN_BAD)


def test_civil_code_article_outside_loaded_books_is_not_assigned_a_book():
    for text in ("《民法典》第五条", "Civil Code, Article 5", "《民法典》第一千一百条"):
        ref = parse_citation(text)
        assert ref is not None and ref.instrument not in ("civil-code-personality", "civil-code-tort"), (text, ref)
