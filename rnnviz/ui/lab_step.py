"""The lab's single step: take exactly one update of a paused run and show what it changed."""

from __future__ import annotations

import streamlit as st

from rnnviz.catalog import t
from rnnviz.cells import SPECS
from rnnviz.config import CELL_LABELS
from rnnviz.plots.gates import LABELS
from rnnviz.plots.stepdiff import step_gate_figure, weight_change_figure
from rnnviz.stepdiff import LM_CHARS, StepDiff, one_step
from rnnviz.train import Diverged
from rnnviz.ui import keep, store
from rnnviz.ui.affordances import chart
from rnnviz.ui.lab import LabRun, current, detach

STEP_KEY = "lab_step_diff"  # (the TrainRun it belongs to, StepDiff) of the latest single step


def can_step(lab: LabRun | None) -> bool:
    """Returns whether One step continues this run: it is paused, has steps left and has not diverged."""
    return lab is not None and lab.status == "paused" and lab.steps_done < lab.cfg.train.steps \
        and not lab.run.diverged


def can_press(lab: LabRun | None) -> bool:
    """Returns whether One step is available: always, except while the run trains (pause it first)."""
    return lab is None or lab.status != "running"


def why_not(lab: LabRun | None) -> str:
    """Returns the button's help: what One step will do now, or why it is unavailable."""
    if lab is not None and lab.status == "running":
        return t("training_lab.step.why.running")
    if can_step(lab):
        return t("training_lab.step.why.paused")
    if lab is not None and lab.status in ("done", "diverged"):
        return t(f"training_lab.step.why.{lab.status}")
    return t("training_lab.step.why.new")


def take(lab: LabRun) -> StepDiff | None:
    """Takes one step of a paused lab run and remembers what changed; a preset run becomes the learner's own."""
    if not can_step(lab):
        return None
    if lab.shared is not None:
        detach(lab)  # its own update from here on: the class's shared run is never touched
        entry = store.models().get(lab.name)
        if entry is not None:
            entry.run = lab.run
    try:
        diff = one_step(lab.run)
    except Diverged:
        lab.status = "diverged"
        st.session_state.pop(STEP_KEY, None)
        return None
    lab.status = "done" if lab.steps_done >= lab.cfg.train.steps else "paused"
    lab.last_tick = None
    st.session_state[STEP_KEY] = (lab.run, diff)
    keep.autosave(lab, force=True)
    return diff


def latest(lab: LabRun | None) -> StepDiff | None:
    """Returns the last single step of this run if it is still the run's latest step, else None."""
    kept = st.session_state.get(STEP_KEY)
    if lab is None or kept is None or kept[0] is not lab.run or kept[1].step != lab.steps_done:
        return None
    return kept[1]


def panel() -> None:
    """Draws 'what one step changed' under the live charts, after a One step press."""
    lab = current()
    diff = latest(lab) if lab is not None and lab.status != "running" else None
    if diff is None:
        return
    with st.container(border=True, key="lab_step_panel"):
        st.subheader(t("training_lab.step.title", step=diff.step))
        _metrics(diff)
        names = list(diff.names)
        default = SPECS[lab.cfg.model.cell].first_gate
        c = st.columns([2, 1, 3])
        name = c[0].selectbox(t("training_lab.step.gate"), names, index=names.index(default), key="lab_step_gate",
                              format_func=lambda n: LABELS.get(n, n))
        layer = c[1].number_input(t("training_lab.step.layer"), 0, len(diff.before.layers) - 1, 0, key="lab_step_layer") \
            if len(diff.before.layers) > 1 else 0
        c[2].caption(t("training_lab.step.replayed", input=t(f"training_lab.step.input.{lab.cfg.task}", chars=LM_CHARS),
                       cell=CELL_LABELS[lab.cfg.model.cell]))
        left, right = st.columns([3, 2])
        with left:
            before, after, _ = diff.gate(name, int(layer))
            chart(step_gate_figure(before, after, name, diff.tokens, diff.step), key="lab_step_gate_fig")
        with right:
            chart(weight_change_figure(diff.weight_change, diff.weight_norm), key="lab_step_weights")


def _metrics(diff: StepDiff) -> None:
    cols = st.columns(4)
    cols[0].metric(t("training_lab.step.loss"), f"{diff.loss_after:.4g}", f"{diff.loss_after - diff.loss_before:+.3g}",
                   delta_color="inverse", help=t("training_lab.step.loss_help", before=f"{diff.loss_before:.4g}"))
    cols[1].metric(t("training_lab.metrics.grad_norm"), f"{diff.grad_norm:.3g}", help=t("training_lab.step.norm_help"))
    cols[2].metric(t("training_lab.step.applied"), f"{diff.applied_norm:.3g}",
                   t("training_lab.step.clipped") if diff.clipped else t("training_lab.step.not_clipped"),
                   delta_color="off", delta_arrow="off", help=t("training_lab.step.applied_help"))
    name, rel = diff.largest_change()
    cols[3].metric(t("training_lab.step.largest"), f"{rel:.2%}", name, delta_color="off", delta_arrow="off",
                   help=t("training_lab.step.largest_help"))


def forget() -> None:
    """Drops the remembered single step (a new run or a reset)."""
    st.session_state.pop(STEP_KEY, None)
