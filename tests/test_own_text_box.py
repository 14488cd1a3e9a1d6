"""The own-text box a page draws: paste a text, read what was kept, keep the last good text after a bad one."""

from __future__ import annotations

from conftest import english_residue, page_texts
from streamlit.testing.v1 import AppTest

from rnnviz.data import clean_text

PARAGRAPH = ("循环神经网络通过隐状态记住过去的信息。门控循环单元用重置门和更新门控制信息的流动，"
             "长短期记忆网络还有遗忘门和记忆元。梯度裁剪可以防止梯度爆炸。") * 3


def _box_page() -> None:
    import streamlit as st

    from rnnviz.ui import lang
    from rnnviz.ui.own_text import own_text_box

    lang.choose()
    st.session_state["own_result"] = own_text_box("own")


def box(lang: str) -> AppTest:
    at = AppTest.from_function(_box_page, default_timeout=60)
    at.query_params["lang"] = lang
    return at.run()


def test_in_chinese_the_box_says_what_it_kept_and_keeps_the_last_good_text():
    at = box("zh")
    assert not at.exception and at.session_state["own_result"] is None
    assert at.text_area(key="own_paste").label == "你自己的文本（粘贴到这里）"
    at.text_area(key="own_paste").input(PARAGRAPH + " 2024 ABC!").run()
    kept = clean_text(PARAGRAPH + " 2024 ABC!")
    assert not at.exception and at.session_state["own_result"] == kept
    captions = [c.value for c in at.caption]
    assert any("保留了" in c for c in captions) and any("被删除的字符" in c for c in captions)
    left, total = english_residue(at)
    assert len(left) <= 0.03 * total, left
    at.text_area(key="own_paste").input("太短了。").run()  # a bad text: its message, and the good one stays
    assert not at.exception and at.session_state["own_result"] == kept
    assert "至少需要 200 个" in at.error[0].value
    assert any("仍然使用你之前的文本" in c.value for c in at.caption)
    at.text_area(key="own_paste").input("").run()  # emptied: no own text
    assert at.session_state["own_result"] is None and not at.error


def test_in_english_the_box_speaks_english():
    at = box("en")
    at.text_area(key="own_paste").input("The Time Traveller (for so it will be convenient to speak of him) " * 4).run()
    assert not at.exception and at.session_state["own_result"].startswith("the time traveller for so it")
    texts = page_texts(at)
    assert "Your own text (paste it here)" in texts and any(t.startswith("Kept ") for t in texts)
