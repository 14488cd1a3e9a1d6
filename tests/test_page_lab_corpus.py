"""The lab's corpus setting: the Tang preset opens the poems, links carry the corpus (never an own text), an own
text trains and its run file restores it, and settings whose weights a run file cannot hold are refused at Start."""

from __future__ import annotations

from conftest import app_test

from rnnviz import runfile
from rnnviz.config import ModelConfig
from rnnviz.presets import PRESETS_BY_SLUG, decode_query, encode_query
from rnnviz.runsize import largest_weight, lm_param_count, lm_weight_sizes
from rnnviz.tasks import make_model, make_task
from rnnviz.ui import cache, lab
from rnnviz.ui.lab_runs import MESSAGE_KEY
from rnnviz.ui.store import MODELS_KEY

PAGE = "pages/3_Training_lab.py"
OWN = ("The lighthouse keeper wrote every night about the sea, the gulls and the slow ships. "
       "Nothing happened, and he wrote that down too, with care, in a small grey book. ") * 4


def opened(**params: str):
    at = app_test(PAGE)
    at.query_params.update(params)
    return at.run()


def test_the_tang_preset_opens_with_the_tang_corpus_and_names_it():
    at = opened(preset="tang-gru")
    assert not at.exception and not at.error
    assert at.selectbox(key="lab_corpus").value == "tang_simplified"
    assert at.selectbox(key="lab_preset").value == "tang-gru"  # not custom settings
    assert "唐诗" in at.radio(key="lab_task").format_func("lm")
    assert dict(at.query_params)["corpus"] == "tang_simplified"


def test_a_corpus_link_round_trips_and_names_the_corpus():
    cfg = decode_query({"corpus": "tang"})
    assert cfg.text.corpus == "tang" and encode_query(cfg)["corpus"] == "tang"
    at = opened(corpus="tang", hidden="16")
    assert not at.exception and at.selectbox(key="lab_corpus").value == "tang"
    assert at.selectbox(key="lab_preset").value == "custom"


def test_a_link_to_an_own_text_run_opens_the_default_corpus_and_says_so():
    at = opened(corpus="own", hidden="16")
    assert not at.exception and at.selectbox(key="lab_corpus").value == "timemachine"
    assert at.number_input(key="lab_hidden").value == 16  # the rest of the link still applies
    assert any("own text" in i.value for i in at.info)


def _own_run(steps: int = 3):
    at = app_test(PAGE).run()
    at.selectbox(key="lab_corpus").set_value("own").run()
    assert any("Paste a text" in i.value for i in at.info) and at.button(key="lab_start").disabled
    at.text_area(key="lab_own_paste").set_value(OWN).run()
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(steps).run()
    at.button(key="lab_start").click().run()  # 32 rows x 35 steps: more than the text holds
    assert not at.exception and lab.LAB_KEY not in at.session_state
    assert any("too few for one minibatch" in e.value for e in at.error)
    at.number_input(key="lab_batch").set_value(4).run()
    at.button(key="lab_start").click().run()
    assert not at.exception and not at.error
    return at


def test_own_text_trains_and_its_run_file_restores_the_text_and_vocabulary():
    at = _own_run()
    run = at.session_state[lab.LAB_KEY]
    lab.tick(run, seconds=0.5)
    assert run.cfg.text.corpus == "own" and run.cfg.text.own_text.startswith("the lighthouse keeper")
    assert run.steps_done == 3 and "your own text" in run.name  # the auto name says what it read
    at.run()
    assert at.text_input(key="lab_prefix").value == "the lighthous"[:12].strip()  # the text's own first characters
    vocab = cache.corpus(run.cfg.text).vocab
    data = runfile.weights_bytes(run.name, run.cfg, run.run.model, run.run.history)

    fresh = app_test(PAGE).run()
    fresh.file_uploader(key="lab_upload").set_value(("own.pt", data, "application/octet-stream")).run()
    assert not fresh.exception and not fresh.error
    restored = fresh.session_state[lab.LAB_KEY]
    assert restored.cfg == run.cfg and cache.corpus(restored.cfg.text).vocab == vocab
    assert fresh.selectbox(key="lab_corpus").value == "own"
    assert fresh.text_area(key="lab_own_paste").value == run.cfg.text.own_text  # the box holds the text again
    fresh.button(key="lab_start").click().run()  # and the settings train again
    assert not fresh.exception and fresh.session_state[lab.LAB_KEY].cfg.text.own_text == run.cfg.text.own_text


def test_a_json_run_file_keeps_the_corpus_and_the_own_text():
    at = _own_run(steps=2)
    run = at.session_state[lab.LAB_KEY]
    data = runfile.run_json(run.name, run.cfg, run.run.history)
    fresh = app_test(PAGE).run()
    fresh.file_uploader(key="lab_upload").set_value(("own.json", data, "application/json")).run()
    assert not fresh.exception and fresh.selectbox(key="lab_corpus").value == "own"
    assert fresh.text_area(key="lab_own_paste").value == run.cfg.text.own_text


def test_weights_a_run_file_cannot_hold_are_refused_at_start_and_nothing_is_lost():
    at = opened(preset="tang-gru")
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(2).run()
    at.button(key="lab_start").click().run()
    before = at.session_state[lab.LAB_KEY]
    at.number_input(key="lab_hidden").set_value(256).run()
    at.button(key="lab_start").click().run()
    assert not at.exception
    assert any("run file holds at most" in e.value and "at most 105" in e.value for e in at.error)  # 3 x 105 x 1,662 floats
    assert at.session_state[lab.LAB_KEY] is before and list(at.session_state[MODELS_KEY]) == [before.name]
    assert at.number_input(key="lab_hidden").value == 256  # the learner's settings stay, to be changed
    assert MESSAGE_KEY not in at.session_state or at.session_state[MESSAGE_KEY] is None


def test_the_size_check_counts_the_weights_the_model_really_has():
    cfg = PRESETS_BY_SLUG["tang-gru"].cfg
    corpus = cache.corpus(cfg.text)
    for model in (ModelConfig("lstm", 12, 2), ModelConfig("rnn_tanh", 5, 1, bias=False), cfg.model):
        built = make_model(make_task(cfg, corpus), model, 0)
        state = built.state_dict()
        sizes = lm_weight_sizes(model, len(corpus.vocab))
        assert sizes == {k: v.numel() for k, v in state.items() if "weight" in k}
        assert lm_param_count(model, len(corpus.vocab)) == sum(p.numel() for p in built.parameters())
    name, size = largest_weight(cfg.model, len(corpus.vocab))
    assert size <= runfile.MAX_TENSOR_BYTES  # the preset itself can be saved


def test_in_chinese_the_corpus_setting_and_the_own_text_box_speak_chinese(monkeypatch):
    from rnnviz.ui import lang

    monkeypatch.setattr(lang, "current", lambda: "zh")  # AppTest formats the options in the test's thread
    at = opened(preset="tang-gru", lang="zh")
    assert not at.exception and at.selectbox(key="lab_corpus").label == "语料库"
    assert at.radio(key="lab_task").format_func("lm") == "字符级语言模型（唐诗）"
    assert at.selectbox(key="lab_corpus").format_func("own") == "你自己的文本"
    at.selectbox(key="lab_corpus").set_value("own").run()
    assert any("至少 200 个字符" in i.value for i in at.info)
    at.text_area(key="lab_own_paste").set_value("太短了").run()
    assert any("至少" in e.value for e in at.error) and at.button(key="lab_start").disabled
