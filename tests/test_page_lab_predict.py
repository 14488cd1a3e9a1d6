"""The lab's predictions: the model's size, counted from the settings or the run's model, and its final perplexity,
revealed only once the run has finished."""

from __future__ import annotations

import re

from conftest import app_test

from rnnviz.ui import lab

PAGE = "pages/3_Training_lab.py"
SIZE, PPL = "predict.training_lab.parameters", "predict.training_lab.perplexity"


def said(at) -> list[str]:
    return [*(s.value for s in at.success), *(i.value for i in at.info)]


def reveal(at, key: str, guess: str) -> list[str]:
    at.radio(key=f"{key}.choice").set_value(guess).run()
    at.button(key=f"{key}.reveal").click().run()
    assert not at.exception
    return said(at)


def test_the_size_question_counts_the_settings_model_and_changes_with_the_corpus():
    at = app_test(PAGE).run()
    at.number_input(key="lab_hidden").set_value(8).run()
    answer = [s for s in reveal(at, SIZE, "over_100k") if "numbers:" in s]
    assert answer and answer[0].startswith("The model says: under 10,000.") and "1,164 numbers" in answer[0]
    at.selectbox(key="lab_corpus").set_value("tang_simplified").run()  # ~2,500 characters: wide input and output
    assert not at.exception and at.button(key=f"{SIZE}.reveal")  # another answer: asked again
    assert any(s.startswith("Right: 10,000 to 100,000.") for s in reveal(at, SIZE, "10k_100k"))


def test_the_perplexity_question_waits_for_the_run_and_answers_from_its_last_step():
    at = app_test(PAGE).run()
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(3).run()
    at.radio(key=f"{PPL}.choice").set_value("one").run()  # a guess before the run starts
    at.button(key="lab_start").click().run()
    run = at.session_state[lab.LAB_KEY]
    assert any("when the run has finished" in c.value for c in at.caption) or run.status == "done"
    while run.status == "running":
        lab.tick(run, seconds=0.3)
    at.run()
    assert at.radio(key=f"{PPL}.choice").value == "one"  # the guess survived the run
    at.button(key=f"{PPL}.reveal").click().run()
    answer = [s for s in said(at) if "It ended at" in s]
    assert answer, said(at)
    ended = float(re.search(r"It ended at ([\d.]+)", answer[0]).group(1))
    assert abs(ended - run.run.history[-1].perplexity) < 0.01
    expected = "nearer 1" if ended < 28 ** 0.5 else "nearer V"
    assert expected in answer[0]
