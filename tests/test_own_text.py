"""Training on your own text: the gate, the corpus it makes, and a run that keeps it through its run file."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
import torch

from rnnviz import runentry, runfile
from rnnviz.config import OWN_CORPUS, ModelConfig, RunConfig, TextConfig, TrainConfig
from rnnviz.data import load_corpus
from rnnviz.data.text import OWN_MAX_VOCAB
from rnnviz.errors import CheckpointError, DataError
from rnnviz.owntext import MAX_BYTES, MIN_CHARS, MIN_DISTINCT, check_config, gate, with_own_text
from rnnviz.tasks import make_model, make_task
from rnnviz.train import TrainRun

HAN = re.compile(r"[\u4e00-\u9fff]")
PARAGRAPH = ("循环神经网络通过隐状态记住过去的信息。门控循环单元用重置门和更新门控制信息的流动，"
             "长短期记忆网络还有遗忘门和记忆元。梯度裁剪可以防止梯度爆炸。") * 3
MIXED = ("The GRU (gated recurrent unit) keeps 2 gates: reset & update! 门控循环单元有两个门：重置门和更新门。\n"
         "Über-fast café naïve 2024 — ok? ") * 6


def tiny_run(cfg: RunConfig, steps: int) -> TrainRun:
    task = make_task(cfg, load_corpus(cfg.text))
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    run.run(steps)
    return run


def own_cfg(text: str) -> RunConfig:
    own = gate(text)
    return RunConfig(task="lm", model=ModelConfig(cell="gru", hidden_size=8),
                     train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=5),
                     text=with_own_text(TextConfig(num_steps=8, batch_size=4), own.text))


def test_a_pasted_chinese_paragraph_builds_a_vocabulary_with_its_characters():
    own = gate(PARAGRAPH)
    corpus = load_corpus(with_own_text(TextConfig(), own.text))
    assert set(HAN.findall(PARAGRAPH)) <= set(corpus.vocab.idx_to_token)
    assert "".join(corpus.tokens) == PARAGRAPH and own.received == len(PARAGRAPH) and not own.dropped


def test_the_gate_says_what_it_kept_and_dropped_in_both_languages():
    own = gate(MIXED)
    assert own.text.startswith("the gru gated recurrent unit keeps gates reset update 门控循环单元有两个门：")
    assert set("2()&!—?ÜéïA") & set(own.dropped) and "a" not in own.dropped and "，" not in own.dropped
    en, zh = own.summary("en"), own.summary("zh")
    assert f"Kept {len(own.text):,} of {len(MIXED):,} characters" in en[0] and "Removed" in en[1]
    assert f"{len(own.text):,}" in zh[0] and "保留" in zh[0] and "删除" in zh[1]


def test_a_run_trained_on_pasted_text_restores_with_the_same_corpus_and_vocabulary():
    cfg = own_cfg(MIXED)
    run = tiny_run(cfg, 5)
    data = runfile.weights_bytes("mine", cfg, run.model, run.history)
    restored = runfile.read_weights(data)
    assert restored.cfg == cfg and restored.cfg.text.corpus == OWN_CORPUS
    before, after = load_corpus(cfg.text), load_corpus(restored.cfg.text)
    assert after.vocab == before.vocab and after.tokens == before.tokens
    task = make_task(restored.cfg, after)
    model = runfile.load_into(make_model(task, restored.cfg.model, 0), restored.state_dict)
    ids = after.indices[None, :20]
    torch.testing.assert_close(model(ids)[0], run.model(ids)[0])
    assert runfile.read_run_json(runfile.run_json("mine", cfg, run.history)).cfg == cfg
    stored = runentry.StoredRun("r1", "mine", cfg, run.history, run.model.state_dict())
    assert runentry.decode(runentry.encode(stored), "r1").cfg == cfg  # the run store keeps the text too


def _tampered(cfg: RunConfig, **text_fields: object) -> bytes:
    doc = json.loads(runfile.run_json("mine", cfg, []))
    doc["config"]["text"].update(text_fields)
    return json.dumps(doc).encode("utf-8")


@pytest.mark.parametrize("fields, words", [
    ({"own_text": "The Quick Brown Fox Jumps! " * 20}, "not as rnnviz keeps it"),
    ({"own_text": "ab" * 200}, "only 2 different characters"),
    ({"own_text": "abcdefghijk"}, "Only 11 characters are left"),
    ({"own_text": "x" * 200_001}, "at most 200,000 characters"),
    ({"own_text": 12}, "must be a text"),
    ({"own_text": None}, "the text is missing"),
    ({"corpus": "timemachine"}, "names the corpus `timemachine`"),
])
def test_a_run_file_whose_own_text_was_edited_is_refused(fields, words):
    with pytest.raises(CheckpointError, match=re.escape(words)):
        runfile.read_run_json(_tampered(own_cfg(MIXED), **fields))


@pytest.mark.parametrize("raw, code, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary", "binary data"),
    ("床前明月光，疑是地上霜。".encode("utf-16"), "not_utf8", "not UTF-8"),
    (b"caf\xe9 " * 100, "not_utf8", "position 3"),
    ("短短的一句话。", "too_short", f"at least {MIN_CHARS}"),
    ("12345 !!! ??? " * 50, "too_short", "Only 0 characters"),
    ("ab ba " * 100, "too_few_distinct", f"at least {MIN_DISTINCT}"),
    ("字" * (MAX_BYTES // 3 + 1), "too_big", "the limit is 200 kB"),
    (b"a" * (MAX_BYTES + 1), "too_big", "the limit is 200 kB"),
])
def test_bad_own_text_gets_a_clear_message(raw, code, words):
    with pytest.raises(DataError) as caught:
        gate(raw)
    assert caught.value.code == f"own_text.errors.{code}"
    assert words in str(caught.value)
    assert caught.value.words("zh") != str(caught.value) and HAN.search(caught.value.words("zh"))


def test_an_uploaded_utf8_file_with_a_byte_order_mark_is_read():
    assert gate(("\ufeff" + PARAGRAPH).encode("utf-8")).text == PARAGRAPH


def test_a_text_with_more_characters_than_the_vocabulary_reads_the_rarest_as_unk():
    chars = "".join(chr(0x4E00 + i) for i in range(OWN_MAX_VOCAB + 50))
    own = gate("一" * 10 + chars)
    corpus = load_corpus(with_own_text(TextConfig(), own.text))
    assert len(corpus.vocab) == OWN_MAX_VOCAB and own.rare == 51  # + the frequent 一, counted once
    assert corpus.vocab.idx_to_token[1] == "一" and (corpus.indices == 0).sum() == 51
    assert "<unk>" in own.summary("en")[-1]


def test_a_config_without_own_text_is_left_alone():
    cfg = RunConfig()
    assert check_config(cfg) is cfg and with_own_text(cfg.text, None) is cfg.text
    assert check_config(replace(cfg, text=with_own_text(cfg.text, gate(PARAGRAPH).text))).text.corpus == OWN_CORPUS


def test_the_lessons_read_an_own_text_run_through_the_shared_cache_and_generate_from_its_prefix():
    from rnnviz.generate import generate
    from rnnviz.tracing import trace_model
    from rnnviz.ui import cache

    cfg = own_cfg(PARAGRAPH)
    corpus = cache.corpus(cfg.text)  # what the inspection lessons and the lab's sample read
    assert corpus.vocab == load_corpus(cfg.text).vocab and cache.data_for(cfg) is corpus
    run = tiny_run(cfg, 3)
    out = generate(run.model, corpus.vocab, "门控循环", 10, temperature=1.0, generator=torch.Generator().manual_seed(0))
    assert out.startswith("门控循环") and len(out) == 14
    trace = trace_model(run.model, corpus.indices[None, :12])
    torch.testing.assert_close(trace.output, run.model.rnn(run.model.inputs(corpus.indices[None, :12]))[0])
