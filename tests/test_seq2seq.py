"""The tiny encoder-decoder: shifted decoder input, the context, and that it learns to reverse."""

from __future__ import annotations

import torch

from rnnviz import seq2seq


def test_decoder_input_is_the_target_shifted_right_with_bos():
    tgt = torch.tensor([[3, 1, 4, 1], [5, 9, 2, 6]])
    dec = seq2seq.decoder_input(tgt)
    assert (dec[:, 0] == seq2seq.BOS).all() and torch.equal(dec[:, 1:], tgt[:, :-1])


def test_targets_of_the_toy_tasks():
    src = torch.tensor([[3, 1, 2]])
    assert seq2seq.target_of(src, "reverse").tolist() == [[2, 1, 3]]
    assert seq2seq.target_of(src, "sort").tolist() == [[1, 2, 3]]


def test_learns_to_reverse_well_above_chance_in_a_bounded_run():
    torch.set_num_threads(1)
    run = seq2seq.Seq2SeqRun(seq2seq.Seq2SeqConfig(length=4, hidden_size=32, seed=0))
    untrained = run.score()[0]
    run.train(max_steps=250, seconds=30.0)
    digits, whole = run.accuracy[-1][1:]
    assert len(run.losses) == 250 and run.losses[-1] < run.losses[0]
    assert digits > max(0.6, untrained + 0.3)  # chance is 10% per digit
    ex = seq2seq.example(run.model, run.cfg)
    assert ex.enc_states.shape == (4, 32) and ex.dec_in[0] == "<bos>" and ex.tgt == ex.src[::-1]
