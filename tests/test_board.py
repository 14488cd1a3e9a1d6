"""The class board: class codes checked before use, runs of a class by nickname, clearing, and never a learner code."""

from __future__ import annotations

import pytest
import torch
from conftest import app_test, live_charts, vega_layers
from hypothesis import given, settings
from hypothesis import strategies as hs

from rnnviz import classcode, runstore
from rnnviz.config import ModelConfig, RunConfig, TrainConfig
from rnnviz.plots.board import BoardPoint, board_figure
from rnnviz.plots.style import is_shared_log_axis
from rnnviz.train import StepMetrics
from rnnviz.ui import board, keep

PAGE = "pages/11_Class_board.py"


@pytest.fixture(autouse=True)
def _store(tmp_path, monkeypatch):
    monkeypatch.setenv(runstore.DATA_ENV, str(tmp_path / "data"))
    board.board_rows.clear()
    yield tmp_path / "data"
    board.board_rows.clear()


def _run(cell: str = "gru", lr: float = 0.01, clip: float | None = 1.0, loss: float = 2.0,
         on_board: tuple[str, str] | None = None) -> runstore.StoredRun:
    cfg = RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=4), train=TrainConfig(steps=50, lr=lr, clip=clip))
    history = [StepMetrics(i + 1, loss + 1.0 / (i + 1), 1.0, 1.0, False, lr, 30.0) for i in range(3)]
    state = {"head.bias": torch.zeros(3)}
    return runstore.StoredRun(runstore.new_run_id(), f"{cell} run", cfg, history, state, status="done", board=on_board)


def _texts(at) -> str:
    """Returns the text of every element the page drew (protos, figure JSON, table cells), main and sidebar."""
    out, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        stack.extend(getattr(node, "children", {}).values())
    out += [df.value.to_csv() for df in at.dataframe] + [data.to_csv() for data, _ in live_charts(at).values()]
    return "\n".join(out)


# --- class codes and nicknames ---------------------------------------------------------------------


def test_class_codes_are_short_unambiguous_and_checked():
    codes = {classcode.new_code() for _ in range(200)}
    assert len(codes) == 200 and all(classcode.valid_code(c) for c in codes)
    assert not set("".join(codes)) & set("0O1IL")  # nothing to misread off a projector
    for bad in ("", "ABCDEFG", "ABCDEFGHJ", "abcdefgh", "ABCDEF0H", "../../etc", "ABCD EFG", None, 12345678,
                "ABCDEFG\n", "<b>ABCD</b>"):
        assert not classcode.valid_code(bad), bad
    assert classcode.normal_code(" abcd-efgh ") == "ABCDEFGH"  # typed from a projector
    assert classcode.normal_code("ABCD/EFG") is None and classcode.normal_code("A" * 500) is None
    assert classcode.cleared_at("../x") == 0.0 and not classcode.exists("../x")
    with pytest.raises(ValueError):
        classcode._board_path("../etc/passwd")


@settings(max_examples=40, deadline=None)
@given(hs.text(max_size=40))
def test_any_text_is_a_valid_code_only_in_the_codes_alphabet_and_length(raw):
    assert classcode.valid_code(raw) == (len(raw) == classcode.CODE_LENGTH and set(raw) <= set(classcode.ALPHABET))
    nick = classcode.clean_nickname(raw)
    assert nick is None or (len(nick) <= classcode.MAX_NICKNAME and not set(nick) & set("<>&[]()*`#\\\"\n"))


def test_nicknames_are_plain_and_short():
    assert classcode.clean_nickname("  Ada   L. ") == "Ada L."
    assert classcode.clean_nickname("") == "" and classcode.clean_nickname("小明") == "小明"
    for bad in ("<b>x</b>", "[link](http://x)", "a" * 25, "**bold**", None, "x\ny"[:1] + "\x00"):
        assert classcode.clean_nickname(bad) is None, bad


def test_only_the_teacher_key_clears_and_clearing_is_a_time(_store):
    code, key = classcode.start_board()
    assert classcode.exists(code) and classcode.cleared_at(code) == 0.0
    assert not classcode.clear(code, runstore.new_token()) and not classcode.clear(code, "not a key")
    assert classcode.clear(code, key) and classcode.cleared_at(code) > 0
    assert not classcode.exists("ABCDEFGH")


def test_summaries_carry_class_and_nickname_and_refuse_forged_ones(_store):
    code, _ = classcode.start_board()
    tok = runstore.new_token()
    runstore.save(tok, _run(on_board=(code, "Ada")))
    runstore.save(tok, _run(cell="lstm"))
    by_cell = {s.cell: s for s in runstore.summaries()}
    assert (by_cell["gru"].class_code, by_cell["gru"].nickname, by_cell["gru"].lr, by_cell["gru"].clip) == \
        (code, "Ada", 0.01, 1.0)
    assert (by_cell["lstm"].class_code, by_cell["lstm"].nickname) == (None, "")
    forged = _run(on_board=("<script>", "<img src=x>"))
    runstore.save(tok, forged)
    s = next(s for s in runstore.summaries() if s.run_id == forged.run_id)
    assert s.class_code is None and s.nickname == ""


# --- the chart -------------------------------------------------------------------------------------


def test_chart_puts_cells_in_categories_and_rates_on_the_shared_log_axis():
    points = [BoardPoint("Ada", "gru", 0.01, 1.0, 2.0), BoardPoint("anonymous", "lstm", 0.3, None, 1.5),
              BoardPoint("Bo", "rnn_tanh", 1e-4, 10.0, None)]
    cells = board_figure(points, "cell", "perplexity").to_plotly_json()
    assert cells["layout"]["xaxis"]["type"] == "category"
    assert sorted(t["name"] for t in cells["data"]) == ["GRU", "LSTM"]  # no loss yet: left out, and said so
    assert "1 run without a value" in cells["layout"]["title"]["text"]
    gru = next(t for t in cells["data"] if t["name"] == "GRU")
    assert list(gru["y"]) == pytest.approx([7.389056], rel=1e-5)  # perplexity = exp(loss)
    for setting in ("lr", "clip"):
        layout = board_figure(points, setting).to_plotly_json()["layout"]
        assert is_shared_log_axis(layout["xaxis"]), setting
    assert "2 runs without a value" in board_figure(points, "clip").to_plotly_json()["layout"]["title"]["text"]


# --- the page --------------------------------------------------------------------------------------


def test_empty_board_starts_and_says_no_runs_yet():
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    at.button(key="board_start").click().run()
    assert not at.exception
    code, key = at.session_state[board.TEACHER_KEY]
    assert classcode.valid_code(code) and classcode.is_teacher(code, key)
    assert at.session_state[keep.CLASS_KEY] == code  # the teacher's class links now carry the code
    assert at.query_params[keep.CLASS_PARAM] == code and board.TEACHER_PARAM not in at.query_params  # projected
    assert any(key in c.value for c in at.code)  # the teacher's own link, to bookmark
    assert any("No runs yet" in el.value for el in at.info)
    assert any(code in c.value and "class=" in c.value for c in at.code)  # the students' link
    assert not at.get("plotly_chart") and not at.get("vega_lite_chart")


def _teacher_page(code: str, key: str):
    at = app_test(PAGE)
    at.query_params.update({keep.CLASS_PARAM: code, board.TEACHER_PARAM: key})
    at.run()
    assert not at.exception
    assert board.TEACHER_PARAM not in at.query_params  # the key leaves the address bar once read
    return at


def test_board_shows_two_learners_runs_by_nickname_and_never_a_token():
    code, key = classcode.start_board()
    ada, anon, other = runstore.new_token(), runstore.new_token(), runstore.new_token()
    runstore.save(ada, _run("gru", loss=1.0, on_board=(code, "Ada")))
    runstore.save(anon, _run("lstm", lr=0.1, clip=None, loss=1.5, on_board=(code, "")))
    runstore.save(anon, _run("rnn_tanh"))  # not trained for the board
    runstore.save(other, _run("gru", on_board=(classcode.new_code(), "Elsewhere")))  # another class
    at = _teacher_page(code, key)
    table = at.dataframe[0].value
    assert sorted(table["nickname"]) == ["Ada", "anonymous"]
    assert set(table["cell"]) == {"GRU", "LSTM"} and "off" in set(table["clipping"].astype(str))
    data, spec = live_charts(at)["board_chart"]
    assert sorted(next(vega_layers(spec))["encoding"]["color"]["scale"]["domain"]) == ["GRU", "LSTM"]
    assert sorted(data["text"]) == ["Ada", "anonymous"]  # each point names its learner by nickname only
    page = _texts(at)
    secrets = [ada, anon, other, runstore.learner_key(ada), runstore.learner_key(anon)]
    secrets += [s.run_id for s in runstore.summaries()]
    assert [s for s in secrets if s in page] == []
    assert "Elsewhere" not in page


def test_teacher_clears_the_board_and_later_runs_show_again():
    code, key = classcode.start_board()
    runstore.save(runstore.new_token(), _run(on_board=(code, "Ada")))
    at = _teacher_page(code, key)
    assert len(at.dataframe[0].value) == 1
    at.button(key="board_clear").click().run()
    assert not at.exception and not at.dataframe and any("No runs yet" in el.value for el in at.info)
    runstore.save(runstore.new_token(), _run("lstm", on_board=(code, "Bo")))
    board.board_rows.clear()
    at.run()
    assert list(at.dataframe[0].value["nickname"]) == ["Bo"]


def test_a_student_or_a_forged_key_sees_the_board_without_the_clear_button():
    code, _ = classcode.start_board()
    runstore.save(runstore.new_token(), _run(on_board=(code, "Ada")))
    for params in ({keep.CLASS_PARAM: code}, {keep.CLASS_PARAM: code, board.TEACHER_PARAM: runstore.new_token()}):
        at = app_test(PAGE)
        at.query_params.update(params)
        at.run()
        assert not at.exception and len(at.dataframe[0].value) == 1
        assert not [b for b in at.button if b.key == "board_clear"]


def test_a_bad_or_unknown_class_code_gets_a_message():
    for raw, words in (("<script>alert(1)</script>", "not valid"), ("ABCDEFGH", "no class board")):
        at = app_test(PAGE)
        at.query_params[keep.CLASS_PARAM] = raw
        at.run()
        assert not at.exception
        shown = " ".join(el.value for el in [*at.error, *at.warning, *at.info])
        assert words in shown and "<script>" not in _texts(at)


def test_a_student_link_keeps_the_class_and_a_checked_nickname():
    code, _ = classcode.start_board()
    at = app_test("pages/3_Training_lab.py")
    at.query_params[keep.CLASS_PARAM] = code.lower()
    at.run()
    assert not at.exception
    assert at.session_state[keep.CLASS_KEY] == code and at.query_params[keep.CLASS_PARAM] == code
    assert not [el for el in at.info if "Settings loaded" in el.value]  # a class code is not a lab setting
    box = at.sidebar.text_input(key=board.NICK_WIDGET)
    box.input("<b>x</b>").run()
    assert at.sidebar.error and keep.NICK_KEY not in at.session_state  # refused, nothing kept
    box.input("Ada").run()
    assert at.session_state[keep.NICK_KEY] == "Ada"
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(3).run()
    at.button(key="lab_start").click().run()  # the start saves the run, with the board's code and the nickname
    assert not at.exception
    saved = runstore.list_runs(at.session_state[keep.TOKEN_KEY])
    assert [(s.class_code, s.nickname, s.hidden_size) for s in saved] == [(code, "Ada", 8)]
    assert not [el for el in at.info if "Settings loaded" in el.value]  # a class code is not a lab setting


def test_the_teachers_class_link_carries_the_board_and_not_the_learner_code():
    code, _ = classcode.start_board()
    at = app_test("pages/3_Training_lab.py")
    at.session_state[keep.CLASS_KEY] = code  # as after "Start a class board"
    at.run()
    assert not at.exception
    links = [c.value for c in at.code if "hide=" in c.value or "Training_lab?" in c.value]
    class_links = [link for link in links if f"class={code}" in link]
    assert class_links and all("learner=" not in link for link in class_links)
    assert any(f"class board {code}" in c.value for c in at.caption)


# --- the board in each language -------------------------------------------------------------------


def test_the_board_reads_in_chinese_and_keeps_nicknames_and_settings_as_they_are():
    from conftest import english_residue

    from rnnviz.catalog import t

    code, key = classcode.start_board()
    runstore.save(runstore.new_token(), _run("gru", loss=1.0, on_board=(code, "Ada")))
    runstore.save(runstore.new_token(), _run("lstm", clip=None, loss=1.5, on_board=(code, "")))
    at = app_test(PAGE)
    at.query_params.update({keep.CLASS_PARAM: code, board.TEACHER_PARAM: key, "lang": "zh"})
    at.run()
    assert not at.exception
    left, total = english_residue(at)
    mine = [text for text in left if not text.startswith("No model trained yet")]  # the shared sidebar's words
    assert len(mine) <= 0.03 * total, mine
    assert at.title[0].value == t("class_board.title", "zh")
    table = at.dataframe[0].value
    assert sorted(table["昵称"]) == ["Ada", "匿名"] and set(table["状态"]) == {"已完成"}
    assert "关闭" in set(table["梯度裁剪"].astype(str))
    assert at.radio(key="board_setting").label == "横轴上对比的设置" and at.radio(key="board_setting").value == "cell"
    title = live_charts(at)["board_chart"][1]["title"]["text"]
    assert "".join(title) == "最终困惑度（损失的指数）与循环单元类型的关系"


def test_the_board_reads_in_english():
    code, key = classcode.start_board()
    runstore.save(runstore.new_token(), _run("gru", loss=1.0, on_board=(code, "Ada")))
    at = app_test(PAGE)
    at.query_params.update({keep.CLASS_PARAM: code, board.TEACHER_PARAM: key, "lang": "en"})
    at.run()
    assert not at.exception
    assert at.title[0].value == "Class board: the whole class's runs, live"
    assert list(at.dataframe[0].value.columns)[:2] == ["nickname", "cell"]
    title = live_charts(at)["board_chart"][1]["title"]["text"]
    assert " ".join(title) == "Final perplexity (exp of the loss) against cell type"


def test_the_nickname_box_speaks_the_learners_language():
    code, _ = classcode.start_board()
    at = app_test(PAGE)
    at.query_params.update({keep.CLASS_PARAM: code, "lang": "zh"})
    at.run()
    assert not at.exception
    box = at.sidebar.text_input(key=board.NICK_WIDGET)
    assert box.label == f"你在班级看板 {code} 上的名字" and box.placeholder == "匿名"
    box.input("<b>x</b>").run()
    assert at.sidebar.error[0].value.startswith("名字只能包含")
