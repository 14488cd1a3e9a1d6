"""A learner's runs beyond one session (AppTest): the token in the URL, restore on a new session, settings kept."""

from __future__ import annotations

import torch
from conftest import app_test

from rnnviz import runstore
from rnnviz.ui import keep, lab
from rnnviz.ui.store import ACTIVE_KEY, MODELS_KEY

LAB = "pages/3_Training_lab.py"


def trained(steps: int = 3, budget: int = 30):
    """Returns an AppTest of the lab after a small run of `steps` One-step presses (a paused run)."""
    at = app_test(LAB)
    at.run()
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(budget).run()
    for _ in range(steps):
        at.button(key="lab_one_step").click().run()
    assert not at.exception
    return at


def test_first_run_creates_a_token_in_the_url_and_a_new_session_gets_the_run_back():
    at = trained()
    token = at.session_state[keep.TOKEN_KEY]
    assert runstore.valid_token(token) and at.query_params[keep.LEARNER_PARAM] == token
    run = at.session_state[lab.LAB_KEY]
    assert run.steps_done == 3 and run.status == "paused"

    again = app_test("pages/4_Hidden_states.py")  # a lesson opened by its URL: a new session
    again.query_params[keep.LEARNER_PARAM] = token
    again.run()
    assert not again.exception
    [entry] = again.session_state[MODELS_KEY].values()
    assert entry.name == run.name and entry.run.steps_done == 3
    assert [m.loss for m in entry.run.history] == [m.loss for m in run.run.history]
    assert all(torch.equal(a, b) for a, b in zip(entry.run.model.state_dict().values(),
                                                  run.run.model.state_dict().values()))
    assert again.session_state[ACTIVE_KEY] == run.name
    before = {s.step: s.state for s in run.run.snapshots}
    after = {s.step: s.state for s in entry.run.snapshots}
    assert len(before) >= 2 and set(before) <= set(after)  # the training-time checkpoints came back
    assert all(torch.equal(after[k][n], v[n]) for k, v in before.items() for n in v)
    adam_before, adam_after = run.run.optimizer.state_dict()["state"], entry.run.optimizer.state_dict()["state"]
    assert adam_before.keys() == adam_after.keys() and len(adam_before) > 0  # Resume goes on with Adam's moments
    assert all(torch.equal(adam_after[i][k], adam_before[i][k]) for i in adam_before for k in adam_before[i])


def test_an_optimizer_state_that_does_not_fit_is_left_out():
    from rnnviz.ui.keep import resume_optimizer

    at = trained(steps=1)
    run = at.session_state[lab.LAB_KEY].run
    good = {"state": run.optimizer.state_dict()["state"]}
    wrong = {"state": {0: {"exp_avg": torch.zeros(3, 3), "step": torch.tensor(1.0)}}}
    nan = {"state": {i: {k: torch.full_like(v, float("nan")) if v.ndim else v for k, v in d.items()}
                     for i, d in good["state"].items()}}
    assert not resume_optimizer(run, wrong) and not resume_optimizer(run, nan) and not resume_optimizer(run, None)
    assert resume_optimizer(run, good)


def test_a_plain_adam_state_kept_before_adam_was_fused_resumes_the_same_steps():
    import io
    from types import SimpleNamespace

    from rnnviz.config import TrainConfig
    from rnnviz.train import make_optimizer

    def model():
        return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2)).requires_grad_(True)

    def step(net, opt, seed):
        g = torch.Generator().manual_seed(seed)
        opt.zero_grad()
        net(torch.randn(5, 4, generator=g)).square().sum().backward()
        opt.step()

    torch.manual_seed(0)
    old, new = model(), model()
    plain = torch.optim.Adam(old.parameters(), lr=0.01)  # how Adam was made before: not fused
    for seed in range(3):
        step(old, plain, seed)
    buffer = io.BytesIO()
    torch.save(plain.state_dict(), buffer)  # as a run entry stores it, read back as the store reads it
    saved = {"state": torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)["state"]}
    new.load_state_dict(old.state_dict())
    fused = make_optimizer(new, TrainConfig(optimizer="adam", lr=0.01))
    assert fused.param_groups[0]["fused"] is True
    assert keep.resume_optimizer(SimpleNamespace(optimizer=fused), saved)
    for seed in range(3, 6):
        step(old, plain, seed)
        step(new, fused, seed)
    for a, b in zip(old.parameters(), new.parameters(), strict=True):
        torch.testing.assert_close(b, a, rtol=0, atol=1e-6)


def test_a_store_that_cannot_be_written_never_breaks_the_lab(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv(runstore.DATA_ENV, str(blocker))
    at = trained(steps=1)
    assert not at.exception and at.session_state[lab.LAB_KEY].steps_done == 1
    assert any("cannot keep your runs" in w.value for w in at.sidebar.warning)


def test_a_run_that_was_training_comes_back_paused_and_says_so():
    at = trained(steps=1, budget=5000)  # still training after a tick, however fast the machine
    at.button(key="lab_resume").click().run()
    lab.tick(at.session_state[lab.LAB_KEY], seconds=0.2)
    keep_run = at.session_state[lab.LAB_KEY]
    assert keep_run.status == "running"
    token = at.session_state[keep.TOKEN_KEY]
    again = app_test(LAB)
    again.query_params[keep.LEARNER_PARAM] = token
    again.run()
    back = again.session_state[lab.LAB_KEY]
    assert back.status == "paused" and back.steps_done >= 1
    assert any("paused at step" in i.value for i in again.sidebar.info)
    assert again.number_input(key="lab_hidden").value == 8  # the lab shows the run's settings, not defaults


def test_a_wrong_or_malformed_token_shows_no_runs():
    trained(steps=1)
    wrong = app_test(LAB)
    wrong.query_params[keep.LEARNER_PARAM] = runstore.new_token()
    wrong.run()
    assert not wrong.session_state[MODELS_KEY] and lab.LAB_KEY not in wrong.session_state
    bad = app_test(LAB)
    bad.query_params[keep.LEARNER_PARAM] = "../../etc/passwd"
    bad.run()
    assert not bad.exception and not bad.session_state[MODELS_KEY]
    assert any("not valid" in i.value for i in bad.sidebar.info)


def test_share_and_class_links_never_carry_the_token():
    at = trained(steps=1)
    token = at.session_state[keep.TOKEN_KEY]
    codes = [c.value for c in at.main.code]
    assert any("Training_lab" in c for c in codes)  # the share and class links are drawn
    assert not any(token in c for c in codes)
    assert any(token in c.value for c in at.sidebar.code)  # only "your link to come back" shows it


def test_switching_task_away_and_back_keeps_the_learners_values():
    at = app_test(LAB)
    at.run()
    at.number_input(key="lab_hidden").set_value(24).run()
    at.radio(key="lab_task").set_value("forecast").run()
    at.radio(key="lab_task").set_value("lm").run()
    assert at.number_input(key="lab_hidden").value == 24


def test_compare_adds_every_new_run():
    at = trained(steps=1, budget=5000)  # the second run is still training when Pause is pressed
    at.button(key="lab_start").click().run()
    at.button(key="lab_pause").click().run()
    names = list(at.session_state[MODELS_KEY])
    assert len(names) == 2 and at.multiselect(key="lab_compare").value == names
    assert at.sidebar.selectbox(key="rnnviz_sidebar_active").value == names[-1]  # the sidebar follows the new run
    from test_page_hidden_states import figures

    first = figures(at)["lab_compare_chart"]["data"][0]
    assert first["name"] == names[0] and "markers" in first["mode"]  # a one-step run shows its point


def test_returning_to_the_lab_shows_the_settings_it_was_left_with():
    at = app_test("app.py")
    at.switch_page("pages/3_Training_lab.py").run()
    at.number_input(key="lab_hidden").set_value(24).run()
    at.radio(key="lab_opt").set_value("sgd").run()
    at.switch_page("pages/7_Clipping_and_truncation.py").run()
    assert "lab_hidden" not in at.session_state  # Streamlit dropped the lab's widget values
    at.switch_page("pages/3_Training_lab.py").run()
    assert not at.exception
    assert at.number_input(key="lab_hidden").value == 24 and at.radio(key="lab_opt").value == "sgd"


def test_a_class_links_visible_values_survive_a_task_switch():
    at = app_test(LAB)
    at.query_params.update({"task": "lm", "hidden": "40", "lr": "0.05", "hide": "cell"})
    at.run()
    assert at.number_input(key="lab_hidden").value == 40
    at.radio(key="lab_task").set_value("forecast").run()
    at.radio(key="lab_task").set_value("lm").run()
    assert at.number_input(key="lab_hidden").value == 40 and at.number_input(key="lab_lr").value == 0.05


def own_lm_page(page: str, monkeypatch):
    """Returns an AppTest of a lesson whose session holds the learner's small GRU language model ('my gru')."""
    from dataclasses import replace

    from rnnviz.tasks import make_model, make_task
    from rnnviz.train import TrainRun
    from rnnviz.ui import cache
    from rnnviz.ui import gradients as gui
    from rnnviz.ui.store import ModelEntry

    base = cache.DEFAULT_RUNS["lm"]
    monkeypatch.setitem(cache.DEFAULT_RUNS, "lm", replace(base, model=replace(base.model, hidden_size=10),
                                                           train=replace(base.train, steps=3)))
    monkeypatch.setattr(gui, "MEMORY_STEPS", 4)
    cfg = replace(base, model=replace(base.model, cell="gru", hidden_size=12), train=replace(base.train, steps=50))
    task = make_task(cfg, cache.data_for(cfg))
    run = TrainRun(make_model(task, cfg.model, 0), task, cfg.train)
    run.run(2)
    at = app_test(page)
    at.session_state[MODELS_KEY] = {"my gru": ModelEntry("my gru", cfg, run)}
    at.session_state[ACTIVE_KEY] = "my gru"
    at.run()
    return at


def test_gates_says_its_cell_comparison_uses_the_defaults_and_why(monkeypatch):
    at = own_lm_page("pages/5_Gates.py", monkeypatch)
    assert not at.exception
    assert at.selectbox(key="gt_model").value == "mine: my gru"
    assert any("not yours (GRU, 12 units)" in c.value for c in at.caption)


def test_gradients_through_time_opens_on_the_learners_lm_and_draws_it_as_yours(monkeypatch):
    from test_page_hidden_states import figures

    from rnnviz.plots.style import OWN_COLOR
    from rnnviz.plots.style import OWN_WIDTH as YOURS_WIDTH
    from rnnviz.ui import gradients as gui

    at = own_lm_page("pages/6_Gradients_through_time.py", monkeypatch)
    assert not at.exception
    assert at.radio(key="gtt_source").value == gui.SOURCES[1]
    grads = figures(at)["gtt_grads"]["data"]
    assert grads[0]["name"] == "yours: my gru, trained"  # first in the legend
    yours = [t for t in grads if t["name"].startswith("yours: ")]
    gru = [t for t in grads if t["name"].startswith("default GRU")]
    assert yours and gru and all(t["line"]["color"] == OWN_COLOR and t["line"]["width"] == YOURS_WIDTH for t in yours)
    assert all(t["line"]["color"] != OWN_COLOR and t["line"]["width"] < YOURS_WIDTH for t in gru)
    assert any("thick purple" in c.value for c in at.caption)


def test_hidden_states_opens_on_what_the_learners_model_reads(monkeypatch):
    from dataclasses import replace

    from rnnviz.tasks import make_model, make_task
    from rnnviz.train import TrainRun
    from rnnviz.ui import cache
    from rnnviz.ui.store import ModelEntry

    base = cache.DEFAULT_RUNS["forecast"]
    monkeypatch.setitem(cache.DEFAULT_RUNS, "forecast", replace(base, model=replace(base.model, hidden_size=6),
                                                                 train=replace(base.train, steps=3)))
    cfg = replace(base, model=replace(base.model, hidden_size=6), train=replace(base.train, steps=20))
    task = make_task(cfg, cache.data_for(cfg))
    run = TrainRun(make_model(task, cfg.model, 0), task, cfg.train)
    run.run(2)
    at = app_test("pages/4_Hidden_states.py")
    at.session_state[MODELS_KEY] = {"my forecaster": ModelEntry("my forecaster", cfg, run)}
    at.session_state[ACTIVE_KEY] = "my forecaster"
    at.run()
    assert not at.exception
    assert at.radio(key="hs_reads").value == "series"
    assert at.selectbox(key="hs_model_series").value == "mine: my forecaster"
