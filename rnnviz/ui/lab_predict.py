"""The training lab's predictions: how many numbers the model learns, and where its perplexity ends up."""

from __future__ import annotations

import math

import streamlit as st

from rnnviz import runsize
from rnnviz.catalog import names, t
from rnnviz.config import RunConfig
from rnnviz.predictions import parameter_count, perplexity_nearer
from rnnviz.ui import cache
from rnnviz.ui.lab_runs import LabRun
from rnnviz.ui.predict import predict

PARAMETERS, PERPLEXITY = "predict.training_lab.parameters", "predict.training_lab.perplexity"


def questions(cfg: RunConfig | None, lab: LabRun | None) -> None:
    """Asks both of a language model: its size (of the settings, counted on the run's model when it is theirs) and
    its final perplexity (answered once a run of it has finished)."""
    shown = cfg if cfg is not None else lab.cfg if lab is not None else None
    if shown is not None and shown.task == "lm":
        predict(PARAMETERS, _size(shown, lab if lab is not None and lab.cfg == shown else None))
        _perplexity(lab if lab is not None and lab.cfg.task == "lm" else None)


def _size(cfg: RunConfig, lab: LabRun | None) -> object:
    """Returns the size question's answer: counted on the run's model, else from the settings (the same count)."""
    if lab is not None:
        model = lab.run.model
        params = sum(p.numel() for p in model.parameters())
        return parameter_count(params, sum(p.numel() for p in model.out.parameters()))
    vocab = len(cache.corpus(cfg.text).vocab)
    return parameter_count(runsize.lm_param_count(cfg.model, vocab), cfg.model.hidden_size * vocab + vocab)


def _perplexity(lab: LabRun | None) -> None:
    """Asks before and while a run trains; reveals from its last perplexity once it has finished."""
    s, run_key = st.session_state, f"{PERPLEXITY}.run"
    if lab is not None and s.get(run_key) is not lab.run:
        if s.get(run_key) is not None:  # another run than the one answered: a new question (a guess made before
            s.pop(f"{PERPLEXITY}.shown", None)  # the first run stays with it)
            s.pop(f"{PERPLEXITY}.choice", None)
        s[run_key] = lab.run
    last = lab.run.history[-1] if lab is not None and lab.run.history else None
    finished = lab is not None and lab.status in ("done", "diverged")  # diverged: its last good step answers
    if finished and last is not None and last.perplexity is not None and math.isfinite(last.perplexity):
        predict(PERPLEXITY, perplexity_nearer(last.perplexity, lab.run.model.vocab_size))
        return
    with st.container(border=True):  # the same radio (by key) that predict() draws once the run is done
        st.markdown(f"**{t('predict.ui.first')}** {t(f'{PERPLEXITY}.question')}")
        st.radio(t("predict.ui.your_guess"), names(f"{PERPLEXITY}.options"), index=None, key=f"{PERPLEXITY}.choice",
                 horizontal=True, format_func=lambda code: t(f"{PERPLEXITY}.options.{code}"),
                 label_visibility="collapsed")
        st.caption(t(f"{PERPLEXITY}.pending"))
