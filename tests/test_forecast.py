"""Forecasts: d2l's claims on the sine, horizon 1 = one step, rollouts, the memory probe, bad uploads."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from rnnviz import forecast as fc
from rnnviz.config import SeriesConfig
from rnnviz.data import sine_series
from rnnviz.data.series import MIN_ROWS, numeric_columns, read_csv_table, series_from_table
from rnnviz.errors import DataError

SINE = sine_series()  # d2l: T = 1000, noise 0.2
CFG = SeriesConfig(n_train=None, train_frac=0.6)  # the first 600 train, as d2l
NOISE_VAR = 0.2**2


@pytest.fixture(scope="module")
def mlp() -> fc.Fitted:
    """d2l's MLP (tau 4, Adam 0.01, batches of 16, 5 epochs) trained on the first 600 points."""
    torch.set_num_threads(1)
    return fc.fit_forecaster(fc.ForecastSpec(kind=fc.MLP, series=CFG), SINE)


@pytest.fixture(scope="module")
def mlp_eval(mlp) -> fc.Evaluation:
    return fc.evaluate(mlp, SINE.values, np.arange(600, 1000), 64)


@pytest.fixture(scope="module")
def gru() -> fc.Fitted:
    """The page's default GRU (H=32, 300 steps): the size at which the memory probe result is clear."""
    torch.set_num_threads(1)
    return fc.fit_forecaster(fc.ForecastSpec(kind="gru", series=CFG, hidden_size=32, steps=300), SINE)


def test_mlp_trains_d2l_budget(mlp):
    assert mlp.n_train == 600 and len(mlp.losses) == fc.mlp_steps(mlp.spec, 600) == 5 * 38
    assert mlp.stopped_early is None and not any(p.requires_grad for p in mlp.model.parameters())


def test_one_step_test_mse_is_near_the_noise_variance(mlp_eval):
    one = mlp_eval.one_step[600:] - SINE.values[600:]
    mse = float(np.mean(one**2))
    # The noise is irreducible; a good one-step forecaster sits a little above it.
    assert NOISE_VAR * 0.8 < mse < NOISE_VAR * 2.0, mse


def test_64_step_error_is_several_times_the_one_step_error(mlp_eval):
    errors = mlp_eval.errors.set_index("k")["MSE"]
    assert errors[64] > 4 * errors[1], errors[[1, 4, 16, 64]].to_dict()
    assert errors[1] <= errors[16] <= errors[64]  # the error grows with the horizon


def test_horizon_1_equals_one_step(mlp_eval, gru):
    np.testing.assert_allclose(mlp_eval.P[:, 0], mlp_eval.one_step[mlp_eval.starts], rtol=1e-5, atol=1e-6)
    ev = fc.evaluate(gru, SINE.values, np.arange(600, 1000, 7), 3)
    np.testing.assert_allclose(ev.P[:, 0], ev.one_step[ev.starts], rtol=1e-4, atol=1e-5)
    table = fc.horizon_errors(ev.P, SINE.values, ev.starts)
    assert table.loc[0, "MSE"] == pytest.approx(np.mean((ev.one_step[ev.starts] - SINE.values[ev.starts]) ** 2))


def test_recursive_forecast_collapses_to_a_constant_on_the_sine(mlp):
    roll = fc.rollout(mlp, SINE.values, 604, 396)  # d2l's multistep prediction from n_train + tau
    assert roll[-200:].std() < 0.1 * SINE.values[-200:].std()


def test_rollout_is_the_k_step_row_and_k_ahead_curve_places_targets(mlp, mlp_eval):
    roll = fc.rollout(mlp, SINE.values, 650, 16)
    np.testing.assert_allclose(roll, mlp_eval.P[50, :16], rtol=1e-5, atol=1e-6)
    curve = fc.k_ahead_curve(mlp_eval, 16, len(SINE))
    assert np.isnan(curve[:615]).all() and curve[650 + 15] == pytest.approx(mlp_eval.P[50, 15])


def test_hidden_state_sees_further_than_the_window(gru):
    probe = fc.memory_probe(gru, SINE.values, 4, (1, 64)).pivot(index="k", columns="source", values="R2")
    # Four noisy values say little about x 64 steps later; a state built over the whole history does.
    assert probe.loc[64, "hidden"] > probe.loc[64, "window"] + 0.3, probe
    assert probe.loc[1, "window"] > 0.5  # the window is fine one step ahead: the probe is not broken


def test_log_scaling_round_trips_and_refuses_non_positive_values():
    spec = fc.ForecastSpec(kind=fc.MLP, series=replace(CFG, name="upload"), epochs=1, log=True)
    positive = replace(SINE, values=(SINE.values + 3.0).astype(np.float32))
    fitted = fc.fit_forecaster(spec, positive)
    back = fitted.to_units(fitted.to_model(positive.values).numpy())
    np.testing.assert_allclose(back, positive.values, rtol=1e-4)
    with pytest.raises(DataError, match="positive"):
        fc.fit_forecaster(spec, SINE)


def test_max_horizon_and_table():
    assert fc.max_horizon(1000, 600) == 64 and fc.max_horizon(144, 86) == 29 and fc.max_horizon(20, 19) == 1
    errors = {"a": fc.horizon_errors(np.ones((4, 4)), np.zeros(10), np.arange(4))}
    row = fc.horizon_table(errors, "MSE", [1, 4]).iloc[0]
    assert row["k=1"] == 1.0 and row["k=4 ÷ k=1"] == 1.0


# --- bad uploads: each case from the issue gets a message that says what is wrong and what to do ---

def rows(n: int, start: int = 0) -> str:
    """Returns n CSV rows with distinct dates (28 days a month) from day `start` on."""
    return "".join(f"2020-{1 + i // 28:02d}-{i % 28 + 1:02d},{i * 0.5}\n" for i in range(start, start + n))


BAD_UPLOADS = {
    "no numeric column": (b"name,colour\n" + b"a,red\n" * 30, ("no numeric column", "name, colour")),
    "text in the value column": (("date,value\n" + rows(30) + "2020-03-01,oops\n").encode(), ("text", "lines 32", "fix")),
    "missing values": (("date,value\n" + rows(10) + "2020-03-01,\n" + rows(20, start=10)).encode(), ("missing", "fill")),
    "one row": (b"date,value\n2020-01-01,3.5\n", ("one row", f"at least {MIN_ROWS}")),
    "huge file": (b"value\n" + b"1.0\n" * 2_600_000, ("MB", "limit")),  # over the uploaders' 10 MB
    "wrong encoding": (bytes(range(128, 160)) * 64, ("encoding", "UTF-8")),
    "utf-16 without BOM": ("date,value\n2020,1\n".encode("utf-16-le"), ("one row",)),  # read, then too short
    "header only": (b"date,value\n", ("no data rows",)),
}


def load_upload(raw: bytes):
    """What the page does with an upload: read the table, pick the last numeric column, parse it."""
    frame = read_csv_table(raw)
    numeric = numeric_columns(frame)
    return series_from_table(frame, numeric[-1] if numeric else frame.columns[-1], frame.columns[0])


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_upload_gets_a_clear_message(case):
    raw, words = BAD_UPLOADS[case]
    with pytest.raises(DataError) as info:
        load_upload(raw)
    message = str(info.value)
    assert all(w.lower() in message.lower() for w in words), message
    assert "Traceback" not in message and len(message) < 400


@pytest.mark.parametrize("raw", [
    ("date,value\n" + rows(30)).encode(),
    ("date;value\n" + rows(30).replace(",", ";")).encode(),
    ("passengers\n" + "".join(f"{100 + i}\n" for i in range(30))).encode(),
    ("Zeit\tWärme\n" + "".join(f"{i}\t{i * 0.5}\n" for i in range(30))).encode("latin-1"),
], ids=["comma", "semicolon", "one column", "latin-1 tabs"])
def test_good_upload_reads(raw):
    series = load_upload(raw)
    assert len(series) == 30 and np.isfinite(series.values).all() and series.unit in {"value", "passengers", "Wärme"}
