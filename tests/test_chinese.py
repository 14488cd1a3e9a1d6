"""Chinese text as data: the bundled Tang poems, CJK-aware cleaning, a Chinese character model and generation."""

from __future__ import annotations

import collections
import re
from dataclasses import replace

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.config import ModelConfig, RunConfig, TextConfig, TrainConfig
from rnnviz.data import build_corpus, clean_text, load_corpus, load_corpus_text
from rnnviz.data.chinese import load_tang
from rnnviz.generate import generate
from rnnviz.inputs import prepare_text
from rnnviz.presets import PRESETS_BY_SLUG
from rnnviz.tasks import make_model, make_task
from rnnviz.train import TrainRun

FORMS = {"五言絕句": 29, "七言絕句": 51, "五言律詩": 80, "七言律詩": 53, "五言古詩": 35, "七言古詩": 28, "樂府": 44}
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_tang_corpus_has_320_poems_in_seven_forms():
    poems = load_tang("traditional")
    assert len(poems) == 320
    assert collections.Counter(p.form for p in poems) == FORMS
    assert poems[0].title == "行宮" and poems[0].author == "元稹"
    assert all(p.lines and p.text for p in poems)
    assert sum(len(clean_text(p.text)) for p in poems) > 23_000


def test_simplified_and_traditional_differ_where_they_should():
    traditional, simplified = load_tang("traditional"), load_tang("simplified")
    assert len(simplified) == 320
    assert traditional[0].title == "行宮" and simplified[0].title == "行宫"
    assert "樓" in traditional[1].text and "楼" in simplified[1].text  # 登鸛雀樓 / 登鹳雀楼
    assert "床前明月光" in load_corpus_text("tang_simplified")
    # same poems, character for character: only the written forms change
    assert [len(p.text) for p in traditional] == [len(p.text) for p in simplified]
    vocab_t = load_corpus(TextConfig(corpus="tang")).vocab
    vocab_s = load_corpus(TextConfig(corpus="tang_simplified")).vocab
    assert "宮" in vocab_t.token_to_idx and "宮" not in vocab_s.token_to_idx and "宫" in vocab_s.token_to_idx


def test_every_corpus_the_gate_allows_loads():
    from rnnviz.config import CORPORA

    for name in CORPORA:
        assert len(load_corpus(TextConfig(corpus=name)).tokens) > 20_000, name


def test_cleaning_keeps_chinese_characters_and_poem_punctuation():
    poem = "床前明月光，疑是地上霜。\n舉頭望明月, 低頭思故鄉."
    assert clean_text(poem) == "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。"
    assert clean_text("GRU 门控循环单元 (gated recurrent unit)！") == "gru 门控循环单元 gated recurrent unit！"
    # titles' brackets and quotes go, and so do spaces between Chinese characters
    assert clean_text("《静夜思》 李白 「床前」") == "静夜思李白床前"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_on_ascii_text_cleaning_is_exactly_d2l(text):
    assert clean_text(text) == re.sub("[^A-Za-z]+", " ", text).lower().strip()


def test_a_pasted_chinese_paragraph_builds_a_character_vocabulary():
    paragraph = ("循环神经网络通过隐状态记住过去的信息。门控循环单元用重置门和更新门控制信息的流动，"
                 "长短期记忆网络还有遗忘门和记忆元。梯度裁剪可以防止梯度爆炸。")
    corpus = build_corpus(paragraph)
    assert set(HAN.findall(paragraph)) <= set(corpus.vocab.idx_to_token)
    assert "，" in corpus.vocab.token_to_idx and "。" in corpus.vocab.token_to_idx
    assert "".join(corpus.tokens) == paragraph


def tang_run(steps: int) -> tuple[TrainRun, object]:
    cfg = RunConfig(task="lm", text=TextConfig(corpus="tang_simplified", num_steps=16, batch_size=16),
                    model=ModelConfig(cell="gru", hidden_size=32), train=TrainConfig(lr=0.01, clip=1.0, steps=steps))
    corpus = load_corpus(cfg.text)
    task = make_task(cfg, corpus)
    run = TrainRun(make_model(task, cfg.model, seed=0), task, cfg.train)
    run.run(steps)
    return run, corpus


def test_a_tiny_model_learns_from_the_poems_and_writes_chinese_from_a_chinese_prefix():
    run, corpus = tang_run(60)
    losses = [m.loss for m in run.history]
    assert len(corpus.vocab) > 2000
    assert sum(losses[-10:]) / 10 < sum(losses[:10]) / 10 - 0.5, "the loss did not fall"
    out = generate(run.model, corpus.vocab, "床前明月光", 20, temperature=1.0, generator=torch.Generator().manual_seed(0))
    assert out.startswith("床前明月光") and len(out) == 25
    assert len(HAN.findall(out[5:])) >= 10, f"the continuation is not Chinese: {out!r}"


def test_the_tang_preset_reads_by_lookup_and_its_weights_fit_a_run_file():
    from rnnviz import runfile
    from rnnviz.presets import PRESETS_BY_SLUG

    cfg = PRESETS_BY_SLUG["tang-gru"].cfg
    assert cfg.text.corpus == "tang_simplified"
    corpus = load_corpus(cfg.text)
    model = make_model(make_task(cfg, corpus), cfg.model, cfg.train.seed)
    assert model.lookup  # ~1,660 characters (seen at least twice) against 3 x 64 gate rows
    assert max(p.numel() * p.element_size() for p in model.parameters()) <= runfile.MAX_TENSOR_BYTES
    restored = runfile.read_weights(runfile.weights_bytes("tang", cfg, model, []))
    assert restored.cfg == cfg


def test_the_tang_preset_keeps_the_characters_seen_twice_and_reads_the_others_as_unk():
    from dataclasses import replace

    from rnnviz.presets import PRESETS_BY_SLUG

    cfg = PRESETS_BY_SLUG["tang-gru"].cfg
    kept, every = load_corpus(cfg.text), load_corpus(replace(cfg.text, min_freq=1))
    assert cfg.text.min_freq == 2 and 1000 < len(kept.vocab) < len(every.vocab)
    assert min(kept.vocab.counts[1:]) >= 2 and kept.tokens == every.tokens  # the text itself is unchanged
    once = {tok for tok, n in zip(every.vocab.idx_to_token, every.vocab.counts) if n == 1}
    assert len(kept.vocab) == len(every.vocab) - len(once)
    assert int((kept.indices == 0).sum()) == len(once) and int((every.indices == 0).sum()) == 0
    assert all(kept.vocab.encode([tok]) == [0] for tok in once)


def test_the_tang_preset_trains_a_few_steps_with_falling_loss():
    from dataclasses import replace

    from rnnviz.presets import PRESETS_BY_SLUG

    cfg = PRESETS_BY_SLUG["tang-gru"].cfg
    cfg = replace(cfg, train=replace(cfg.train, steps=25))
    task = make_task(cfg, load_corpus(cfg.text))
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    losses = [m.loss for m in run.steps(25)]
    assert len(losses) == 25 and sum(losses[-5:]) / 5 < losses[0] - 0.6, losses  # from ln V to the characters' frequencies


def test_a_poem_read_by_the_tang_preset_says_which_characters_read_as_unk():
    vocab = load_corpus(PRESETS_BY_SLUG["tang-gru"].cfg.text).vocab
    rare = next(tok for tok in load_corpus(replace(PRESETS_BY_SLUG["tang-gru"].cfg.text, min_freq=1)).vocab.idx_to_token
                if tok not in vocab.token_to_idx and tok != "<unk>")  # a character the preset's cut-off drops
    prepared = prepare_text(f"床前明月光，{rare}是地上霜。", vocab, kind="poem")
    assert ("unknown_chars", 1) in prepared.notes and "<unk>" in prepared.note
    assert not any(key == "unknown_chars" for key, _ in prepare_text("床前明月光，疑是地上霜。", vocab, kind="poem").notes)
