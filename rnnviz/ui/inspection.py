"""Widgets and cached helpers for the inspection pages (hidden states, gates): model, input, formula panel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import streamlit as st
from torch import nn

from rnnviz import cells as steps
from rnnviz import inputs, introspect
from rnnviz.config import CELL_LABELS, CELLS, RunConfig
from rnnviz.data import Corpus
from rnnviz.errors import DataError
from rnnviz.introspect import PreparedText
from rnnviz.tasks import scaled_series
from rnnviz.tracing import Trace, trace_model
from rnnviz.ui import cache, store
from rnnviz.ui import sentiment as sentiment_ui
from rnnviz.ui.affordances import control, query_value
from rnnviz.ui.core import error_box, lesson_text
from rnnviz.ui.safe_text import plain
from rnnviz.ui.scrub import STEP_PARAM, default_model_at, scrub_at

SOURCES = ("A passage of The Time Machine", "Type your own text")
READS = {"text": "A text (character language model)", "series": "A window of a series (forecaster)",
         "review": "A review (sentiment classifier)"}
TASK_OF_KIND = {kind: task for task, kind in inputs.KIND_OF_TASK.items()}
TASK_CAPTIONS = {"lm": "character LM on The Time Machine", "forecast": "forecaster of the {series} series",
                 "sentiment": "sentiment classifier of {source} reviews"}
REVIEW_SOURCES = ("A held-out review", "Type your own review")
PER_LINE = {"text": 50, "series": 12, "review": 12}  # tokens per line when colouring the input by one unit
LOOK_FOR = {
    "text": "**What to look for.** Vertical stripes: many units react to the same character (often the space). "
            "Horizontal bands: a unit holding one value across many steps. Patches that line up with words: units "
            "that know where they are in a word. Hover a cell for its character and value.",
    "series": "**What to look for.** Bands that brighten and fade with the level of the series: units that follow "
              "the value. Units whose colour flips where the series turns: they track the slope. A forecaster needs "
              "both to say what comes next. Flickering columns are the noise. Hover a cell for the value read.",
    "review": "**What to look for.** Columns where many units change at once: words that move the verdict (great, "
              "boring, not). Bands that hold after such a word: units carrying the opinion to the end of the "
              "sentence, where it is read out. Hover a cell for the word.",
}
FIND_NOTES = {
    "series": "A forecaster reads one number per step, so the patterns are about the series itself: the value just "
              "read, how much it moved, whether it is rising. A unit *tracks* a pattern when its activation rises "
              "and falls with it: the search ranks every unit by its correlation $r$ with the pattern (1 or -1 = a "
              "perfect detector, 0 = unrelated). Careful: even an untrained network has a unit that echoes the value "
              "(drag **Training time** to step 0), because x_t enters every unit directly. What training adds is "
              "subtler: units that track the *change*, which a forecaster needs to know where the wave goes next.",
    "review": "A sentiment classifier reads one word per step and is asked for its verdict only after the last "
              "word, so its state must carry the opinion to the end. The patterns: how positive a word is in the "
              "training sentences (log-odds), negations, everything after a *but*, the position in the review. "
              "The search ranks units by their correlation $r$ with the pattern (1 or -1 = a perfect detector). "
              "A review is short: with 15 words, the best of 32 units reaches |r| ≈ 0.6 by chance, as an untrained "
              "model shows (drag **Training time** to step 0). Trust a unit that holds its pattern on several "
              "reviews.",
}
PATH_NOTES = {
    "text": "Look for loops that repeat with every word, and for letters that always land in the same region: the "
            "state encodes *where in a word* the model is, not just the last letter.",
    "series": "The state follows the series: where the value rises it moves one way, where it falls it comes back, "
              "and noise only shakes it. The d2l sine repeats every ~628 steps, so a short window draws an arc; "
              "widen the window, or train a forecaster on the airline series (a 12-month season) in the lab, to "
              "see the path go round in loops.",
    "review": "Follow the path after an opinion word: a positive word and a negative one push the state in "
              "different directions, and the last point is what the classifier reads.",
}
RESET_NOTES = {
    "text": "The cleaned text has no punctuation, so the space is the only boundary: these units' {keep} falls "
            "there, so they write a fresh value for the next word.",
    "series": "Where the series turns from rising to falling (or back), these units' {keep} falls: they rewrite "
              "what they hold when the direction changes.",
    "review": "The reader drops punctuation, so words like *but* and *and* mark where a new clause begins: these "
              "units' {keep} falls there, so they can take in the next part of the opinion.",
}
INPUT_NOTES = {"lm": "x_t is a one-hot vector of D = {D} characters", "forecast": "x_t is one value of the series: D = {D}",
               "sentiment": "x_t is the word's learned embedding, a vector of D = {D} numbers"}
DEFAULT_TEXT = ("the time traveller for so it will be convenient to speak of him "
                "was expounding a recondite matter to us")

@dataclass(frozen=True)
class Inspected:
    """What the learner chose to inspect: the model at the chosen training step, the text, and link presets."""

    insp: store.Inspectable  # .model is the model at the chosen step
    text: PreparedText
    when: str  # "step 80 of 400", for titles
    step: int | None  # None: the latest weights
    params: dict[str, object]  # a class link's presets that reproduce this choice


def model_options(task: str, cells: tuple[str, ...]) -> list[str]:
    """Returns the model choices: the learner's own models of the task, then one default per cell."""
    own = [e for e in store.models().values() if e.cfg.task == task and e.cfg.model.cell in cells]
    return [f"mine: {e.name}" for e in own] + [f"default {CELL_LABELS[c]}" for c in cells]


def resolve_model(task: str, choice: str, cells: tuple[str, ...]) -> store.Inspectable:
    """Returns the Inspectable of a model choice (an own model by name, or a cached default by cell label)."""
    if choice.startswith("mine: "):
        entry = store.models()[choice.removeprefix("mine: ")]
        return store.Inspectable(entry.name, entry.cfg, entry.run.model, True)
    cell = next(c for c in cells if choice == f"default {CELL_LABELS[c]}")
    cfg = default_cfg(task, cell)
    return store.Inspectable(choice, cfg, cache.trained_run(cfg).model, False)


def default_cfg(task: str, cell: str) -> RunConfig:
    """Returns the default run of a task with a cell type (the sentiment lesson's small classifiers, shared)."""
    if task == "sentiment":
        return sentiment_ui.default_cfg(cell)
    base = cache.DEFAULT_RUNS[task]
    return replace(base, model=replace(base.model, cell=cell))


def choose_model(task: str, key: str, cells: tuple[str, ...] = CELLS) -> store.Inspectable:
    """Draws the model chooser (a link's ?model= wins, then the active own model); returns the choice."""
    options = model_options(task, cells)
    act = store.active()
    mine = f"mine: {act.name}" if act is not None else ""
    preset = query_value("model", mine if mine in options else options[0], options)
    seen = f"{key}_active_seen"  # the sidebar's choice at the last run: a new one (or a new run) moves this chooser
    if st.session_state.get(seen) != mine and mine in options and key in st.session_state:
        st.session_state[key] = mine
    st.session_state[seen] = mine
    choice = control("model", preset, lambda: st.selectbox(
        "Model", options, index=options.index(preset), key=key,
        help="Your own models come from the training lab; defaults are trained once per server."))
    return resolve_model(task, choice, cells)


def model_and_text(key: str, cells: tuple[str, ...] = CELLS) -> Inspected:
    """Draws what the model reads (text, series window or review), the model, training-time and input choosers;
    returns the model at the chosen step and the prepared input."""
    act = store.active()  # open on what the learner's own model reads
    kind = query_value("reads", inputs.KIND_OF_TASK.get(act.cfg.task, "text") if act is not None else "text",
                       list(READS))
    kind = control("reads", kind, lambda: st.radio(
        "What the model reads", list(READS), index=list(READS).index(kind), horizontal=True, key=f"{key}_reads",
        format_func=READS.get, help="Each is a different model: a character LM, a forecaster, a classifier."))
    task = TASK_OF_KIND[kind]
    left, right = st.columns([1, 2])
    with left:
        insp = choose_model(task, f"{key}_model" if kind == "text" else f"{key}_model_{kind}", cells)
        st.caption(f"{CELL_LABELS[insp.cfg.model.cell]}, {insp.cfg.model.hidden_size} units, "
                   f"{insp.cfg.model.num_layers} layer(s), " + TASK_CAPTIONS[task].format(
                       series=insp.cfg.series.name, source=sentiment_ui.SOURCE_LABELS.get(insp.cfg.sentiment.source))
                   + ("" if insp.own else f", trained {insp.cfg.train.steps} steps"))
        model, when, step = scrub_at(insp, f"{key}_scrub")
    with right:
        if kind == "text":
            text, text_params = choose_text(cache.corpus(insp.cfg.text), key)
        elif kind == "series":
            text, text_params = choose_window(insp.cfg, key)
        else:
            text, text_params = choose_review(insp.cfg, key)
    params = {"reads": None if kind == "text" else kind, "model": None if insp.own else insp.label, **text_params,
              STEP_PARAM: step}
    return Inspected(replace(insp, model=model), text, when, step, params)


def choose_window(cfg: RunConfig, key: str) -> tuple[PreparedText, dict[str, object]]:
    """Draws the window chooser over the model's series; returns the window and its link presets."""
    series = cache.series(cfg.series)
    scaled, n_train, _ = scaled_series(series, cfg.series)
    top = len(series) - 2
    start = min(max(query_value("wstart", n_train), 0), top)
    length = min(max(query_value("wlen", 60), 2), inputs.MAX_WINDOW)

    def widgets() -> tuple[int, int]:
        a, b = st.columns(2)
        at = a.number_input(f"Start at value (training part: 0 to {n_train - 1})", 0, top, start, step=10,
                            key=f"{key}_wstart")
        n = b.slider("Window length (values)", 10, inputs.MAX_WINDOW, max(length, 10), step=5, key=f"{key}_wlen")
        return int(at), int(n)

    start, length = control("input", (start, length), widgets)
    text = _or_example(lambda: inputs.prepare_window(series, scaled, start, length),
                       lambda: inputs.prepare_window(series, scaled, 0, min(len(series), 60)), "a window from the start")
    st.caption(f"{plain(series.name)}: values {start} to {start + len(text.tokens) - 1} "
               f"({'held-out part' if start >= n_train else 'training part'}); the model reads them scaled by the "
               "training part's mean and spread, the charts show the original values.")
    return text, {"wstart": start, "wlen": length}


@st.cache_data(show_spinner=False, max_entries=8)
def review_lean(cfg: RunConfig) -> dict[str, float]:
    """Returns the words' positive/negative log-odds in the model's training sentences (cached per data)."""
    return inputs.word_lean(cache.sentiment(cfg.sentiment))


def choose_review(cfg: RunConfig, key: str) -> tuple[PreparedText, dict[str, object]]:
    """Draws the review chooser (a held-out sentence or typed text); returns the prepared review and presets."""
    data = cache.sentiment(cfg.sentiment)
    typed = query_value("review", None)
    linked = query_value("heldout", None) is not None and not typed  # a link to a held-out sentence
    index = min(max(query_value("heldout", 0), 0), len(data.test_sentences) - 1)
    default = sentiment_ui.EXAMPLE_REVIEWS.get(cfg.sentiment.source, sentiment_ui.EXAMPLE_REVIEWS["imdb"])

    def widgets() -> tuple[bool, int, str]:
        chosen = st.radio("Review", REVIEW_SOURCES, index=0 if linked else 1, horizontal=True,
                          key=f"{key}_review_source")
        if chosen == REVIEW_SOURCES[0]:
            i = st.number_input(f"Held-out sentence (0 to {len(data.test_sentences) - 1})", 0,
                                len(data.test_sentences) - 1, index, key=f"{key}_heldout")
            label = "positive" if int(data.y_test[int(i)]) == 1 else "negative"
            st.caption(f"Labelled **{label}** by its author: “{plain(data.test_sentences[int(i)])}”")
            return True, int(i), typed or default
        return False, index, st.text_area(f"Your review (up to {inputs.MAX_WORDS} words are read)", typed or default,
                                          key=f"{key}_review", height=80)

    held, index, typed_now = control("input", (linked, index, typed or default), widgets)
    raw = data.test_sentences[index] if held else typed_now
    text = _or_example(lambda: inputs.prepare_review(raw, data.vocab),
                       lambda: inputs.prepare_review(default, data.vocab), "the example review")
    if text.note:
        st.caption(plain(text.note))
    return text, ({"heldout": index} if held else {"review": typed_now if typed_now != default else None})


def _text_presets(corpus: Corpus) -> tuple[str, int, int, str]:
    """Returns a link's input presets: (source, start, length, typed text), clamped to what the widgets allow."""
    typed = query_value("text", None)
    start = min(max(query_value("start", 2000), 0), len(corpus.tokens) - 50)
    length = min(max(query_value("length", 100) // 10 * 10, 20), introspect.MAX_CHARS)
    return SOURCES[1] if typed else SOURCES[0], start, length, typed or DEFAULT_TEXT


def choose_text(corpus: Corpus, key: str) -> tuple[PreparedText, dict[str, object]]:
    """Draws the input chooser (a passage or typed text); returns the cleaned, capped text and its link presets."""
    source, start, length, typed = _text_presets(corpus)

    def widgets() -> tuple[bool, int, int, str]:
        chosen = st.radio("Input", SOURCES, index=SOURCES.index(source), horizontal=True, key=f"{key}_source")
        if chosen == SOURCES[0]:
            a, b = st.columns(2)
            at = a.number_input("Start at character", 0, len(corpus.tokens) - 50, start, step=100, key=f"{key}_start")
            n = b.slider("Length (characters)", 20, introspect.MAX_CHARS, length, step=10, key=f"{key}_length")
            return True, int(at), int(n), typed
        return False, start, length, st.text_area(f"Your text (up to {introspect.MAX_CHARS} characters are used)",
                                                  typed, key=f"{key}_text", height=80)

    passage, start, length, typed = control("input", (source == SOURCES[0], start, length, typed), widgets)
    raw = introspect.corpus_passage(corpus, start, length) if passage else typed
    text = _or_example(lambda: introspect.prepare_text(raw, corpus.vocab, clean=not passage),
                       lambda: introspect.prepare_text(DEFAULT_TEXT, corpus.vocab, clean=True), "the example text")
    if text.note:
        st.caption(plain(text.note))
    params = {"start": start, "length": length} if passage else {"text": typed}
    return text, params


def _or_example(prepare: Callable[[], PreparedText], example: Callable[[], PreparedText], what: str) -> PreparedText:
    """Returns the prepared input; if it cannot be used (too short, only unknown words...), says why and returns
    the example input instead, so the rest of the lesson stays on the page."""
    try:
        return prepare()
    except DataError as err:
        error_box(err)
        st.caption(f"Until then, the lesson below reads {what}.")
        return example()


def run_trace(model: nn.Module, text: PreparedText) -> Trace:
    """Returns the replay of the text through the model (a few ms; not cached, so own models stay live)."""
    return trace_model(model, text.ids)


def before_trace(insp: store.Inspectable, text: PreparedText) -> Trace:
    """Returns the replay through the same model at initialisation (same config and seed, no training)."""
    return trace_model(cache.untrained_model(insp.cfg), text.ids)


def layer_select(trace: Trace, key: str) -> int:
    """Draws a layer selector when the model has more than one layer (?layer=2 presets it); returns the index."""
    layers = list(range(len(trace.layers)))
    preset = query_value("layer", 1, [k + 1 for k in layers]) - 1
    if len(layers) == 1:
        return 0
    return control("layer", preset, lambda: st.selectbox("Layer", layers, index=preset, key=key,
                                                         format_func=lambda k: f"layer {k + 1}"))


def formula_panel(insp: store.Inspectable, textbook: bool = False) -> None:
    """Draws the step that ran (torch's convention), the real weight shapes and the parameter count check."""
    rnn = insp.model.rnn
    for line in steps.SPECS[insp.cfg.model.cell].formulas:
        st.latex(line)
    if textbook and insp.cfg.model.cell == "gru":
        st.markdown("Textbook (d2l) candidate, **not** what torch runs: the reset multiplies $h_{t-1}$ *before* "
                    "the matrix product, and $b_{hn}$ is not reset.")
        st.latex(steps.TEXTBOOK_GRU)
    check = introspect.param_check(rnn)
    shapes = introspect.weight_shapes(rnn)
    with st.expander(f"Shapes in this model, and the parameter count ({check.torch_count:,})", expanded=False):
        st.dataframe(shapes, hide_index=True, width="stretch")
        mark = "matches" if check.matches else "does NOT match"
        st.markdown(f"gates × H × (H + D) + biases = {check.expression} = **{check.formula:,}**, which {mark} "
                    f"torch's own count of the recurrent core's tensors: **{check.torch_count:,}** "
                    f"({INPUT_NOTES[insp.cfg.task].format(D=rnn.input_size)}).")


def compare_traces(text: PreparedText, cells: tuple[str, ...] = ("rnn_tanh", "gru", "lstm"),
                   step: int | None = None, task: str = "lm") -> dict[str, Trace]:
    """Returns the default model of every cell (same task, size and training) replayed on the same input.

    With a step, every default is taken at that training step (they share one schedule of snapshots).
    """
    out = {}
    for cell in cells:
        cfg = default_cfg(task, cell)
        model = cache.trained_run(cfg).model if step is None else default_model_at(cfg, step)
        out[cell] = trace_model(model, text.ids)
    return out


def comparison_note(insp: store.Inspectable) -> str | None:
    """Returns, when the learner inspects their own model, why the cell comparison shows the default models."""
    if not insp.own:
        return None
    cfg = default_cfg(insp.cfg.task, "gru")
    mine = insp.cfg.model
    return (f"These three are the lessons' default models ({cfg.model.hidden_size} units, {cfg.train.steps} steps "
            f"each), not yours ({CELL_LABELS[mine.cell]}, {mine.hidden_size} units): comparing architectures needs "
            "the same size and training for each. Your model is the one in the views above.")


def space_mask(text: PreparedText) -> np.ndarray:
    """Returns True where the input's natural unit ends: spaces, a series' turning points, a review's clause words."""
    return inputs.boundary_mask(text)


def lesson_part(name: str, index: int) -> str:
    """Returns the index-th part of a lesson file whose parts are separated by '<!-- part -->'."""
    return lesson_text(name).split("<!-- part -->")[index].strip()


def show_comparison(table) -> None:
    """Draws the cell comparison table with fractions as percentages."""
    shown = table.copy()  # as text, so a value that does not apply reads "—" (a plain RNN has no gates), not "None"
    for col in shown.columns[1:]:
        percent = col != "longest keep stretch (steps)"
        shown[col] = [("—" if pd.isna(v) else f"{v:.0%}" if percent else f"{int(v)}") for v in table[col]]
    st.dataframe(shown, hide_index=True)


def cell_step(cell: str):
    """Returns the explicit step function (rnnviz.cells) that the replay runs for a cell type."""
    return steps.SPECS[cell].step
