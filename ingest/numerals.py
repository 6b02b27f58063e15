"""The characters Chinese legal texts write numbers with, declared once.

Every pattern that reads a number (article and heading parsers, citation resolvers, cross-reference readers, label
strippers) is built from these, so a numeral form one reader accepts is not silently missing from another. Sites that
need another set say so by building it from these under their own name. No imports: a module that only matches
numbers does not load cn2an (ingest.citation converts them).
"""
from __future__ import annotations

CN_ONE_TO_TEN = "一二三四五六七八九十"
# every character of a number a statute writes: 第一千零三十四条, 前两款 (〇 as some texts write 零)
CN_DIGITS = "零〇" + CN_ONE_TO_TEN + "百千两"

CN_NUM = f"[{CN_DIGITS}]+"
CN_OR_ARABIC_NUM = rf"[{CN_DIGITS}\d]+"  # 第二十九条 and 第29条
# list and heading labels count small: 一、 / （三） / 第七编; 零, 百, 千 and 两 do not occur in them
CN_LABEL_NUM = f"[{CN_ONE_TO_TEN}]+"
CN_OR_ARABIC_LABEL_NUM = rf"[{CN_ONE_TO_TEN}\d]+"  # （三） and （3）
