"""Forecasting (d2l, sequence models): one step ahead vs k steps ahead with the model's own outputs fed back."""

import streamlit as st

from rnnviz import forecast as fc
from rnnviz.errors import RnnvizError
from rnnviz.plots import forecast as plots
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import forecast as ui
from rnnviz.ui.affordances import chart, class_link_form, guide, query_value, show_code
from rnnviz.ui.inspection import lesson_part

setup_page("forecasting")
st.title("Forecasting: one step ahead, then many")
st.markdown(lesson_part("forecasting", 0))
guide("forecasting")
st.latex(r"\text{AR MLP: } \hat x_t = f(x_{t-\tau}, \dots, x_{t-1}) \qquad "
         r"\text{RNN/GRU/LSTM: } h_{t-1} = \phi(x_{t-1}, h_{t-2}),\ \ \hat x_t = w^\top h_{t-1} + b")
st.latex(r"k\text{ steps ahead: } \hat x_{t+k-1} = f(\dots, \hat x_{t}, \dots, \hat x_{t+k-2}) "
         r"\quad \text{every input after } x_{t-1} \text{ is one of the model's own outputs}")

st.subheader("1. The series")
data = ui.choose_data()
chart(plots.series_figure(data.series, data.n_train, data.title), key="fc_series")

st.subheader("2. The forecasters")
st.caption("d2l's MLP: τ inputs → 10 ReLU units → 1, Adam lr 0.01, batches of 16, 5 epochs, squared error. "
           "Recurrent models: one value per step, trained on random windows of 32 steps (Adam, lr 0.01, clipping 1). "
           "All train on the shaded part only, on values standardised with that part's mean and spread.")
own_names, specs = ui.model_form(data)
link = ui.link_params(data, specs)
try:
    models = ui.train_missing(data, specs) | ui.own_models(data, own_names)
except RnnvizError as err:
    error_box(err)
    st.stop()
if not models:
    st.info("Pick at least one forecaster above and press **Train**.", icon="ℹ️")
    st.stop()
st.dataframe(ui.status_table(models), hide_index=True)

T, n_train = len(data.series), data.n_train
max_k = fc.max_horizon(T, n_train)
evals = {label: ui.evaluation(data, label, fitted, max_k) for label, fitted in models.items()}
focus = query_value("focus", next(iter(models)), list(models))
focus = st.selectbox("Model to look at in sections 3 and 4", list(models), index=list(models).index(focus), key="fc_focus")

st.subheader("3. One step ahead vs fed back")
start = max(n_train, models[focus].tau)
rollout = fc.rollout(models[focus], data.series.values, start, T - start)
did, why = ui.what_it_did(data, focus, start, rollout)
chart(plots.fed_back_figure(data.series, n_train, start, evals[focus].one_step, rollout, focus, did.phrase),
      key="fc_fed_back")
st.markdown(lesson_part("forecasting", 1))
st.markdown(why)
show_code(fc.one_step, fc.rollout, fc.k_step, plots.fed_back_figure, key="fc_fed_back")

st.subheader("4. k steps ahead")
k_own = st.slider("Your own k", 1, max_k, min(max(query_value("k", 8), 1), max_k), key="fc_k",
                  help=f"Horizons go up to {max_k}, so that at least half of the test part can serve as starts.")
ks = sorted({k for k in (1, 4, 16, 64) if k <= max_k} | {k_own})
chart(plots.k_ahead_figure(data.series, n_train, {k: fc.k_ahead_curve(evals[focus], k, T) for k in ks}, focus),
      key="fc_k_ahead")
st.caption(ui.horizon_caption(did))
show_code(fc.evaluate, fc.k_ahead_curve, plots.k_ahead_figure, key="fc_k_ahead")

st.subheader("5. Error against horizon")
st.markdown(lesson_part("forecasting", 2))
metric = st.radio("Error", ["MSE", "MAE", "MAPE"], horizontal=True, key="fc_metric")
floor = data.cfg.noise**2 if data.cfg.name == "sine" and metric == "MSE" else None
chart(plots.horizon_figure({label: ev.errors for label, ev in evals.items()}, metric, floor, ks), key="fc_horizon")
st.dataframe(fc.horizon_table({label: ev.errors for label, ev in evals.items()}, metric, ks), hide_index=True)
st.caption("Errors in the series' own units over every start in the test part. Fewer starts reach far horizons "
           "(hover shows how many). MAPE divides by the true value, so it explodes where a series crosses zero, "
           "as the sine does: prefer MSE there.")
show_code(fc.horizon_errors, plots.horizon_figure, key="fc_horizon")

st.subheader("6. Forecast from here")
a, b = st.columns(2)
here = a.slider("Start the forecast at t =", max(m.tau for m in models.values()), T - 2,
                min(n_train + (T - n_train) // 3, T - 2), key="fc_here")
k_max_here = max(2, min(200, T - here))
k_here = b.slider("Steps to roll out", 1, k_max_here, min(64, k_max_here), key="fc_k_here")
rollouts = {label: fc.rollout(fitted, data.series.values, here, k_here) for label, fitted in models.items()}
chart(plots.from_here_figure(data.series, here, k_here, rollouts), key="fc_from_here")
st.caption("Drag the start: from a turning point, the models that only see a short window keep going the old "
           "way; everything after the first step is built on the model's own outputs. Start it in the training "
           "part too: the fed-back error is there as well, so it is not just unseen data.")

st.subheader("7. What the hidden state carries that the window cannot")
st.markdown(lesson_part("forecasting", 3))
recurrent = [label for label, fitted in models.items() if fitted.spec.kind != fc.MLP]
if not recurrent:
    st.info("Add a GRU, LSTM or RNN in section 2 and press **Train** to compare its hidden state with the window.",
            icon="ℹ️")
else:
    which = st.selectbox("Recurrent model", recurrent, key="fc_probe_model")
    probe = ui.probe(data, which, models[which], tuple(k for k in (1, 2, 4, 8, 16, 32, 64) if k <= max_k))
    chart(plots.probe_figure(probe, data.cfg.tau, which), key="fc_probe")
    show_code(fc.memory_probe, key="fc_probe")

try_this(
    "On the sine, compare the MSE at k = 1 with the dotted noise line, then at k = 64: how many times larger is it?",
    "Set **τ** to 32 and retrain: the window now spans enough of the curve to tell its direction. "
    "Does the MLP's rollout still settle on a constant? Does the window's R² in section 7 rise?",
    "Switch to **Airline passengers**, set **τ** to 12 (one year) and press **Train**, then turn on **Model log(x)**: "
    "how do the fed-back forecasts and the error curve change?",
    "In **Forecast from here**, start just before a peak of the sine and watch which model turns with it.",
    "Upload a CSV of your own (a date column and a value column); try a broken one too: your last good series stays.",
)
class_link_form("Forecasting", {"series": "series", "split": "training part", "tau": "τ",
                                "forecasters": "forecaster settings"}, {**link, "focus": focus, "k": k_own}, key="fc_link",
                note="An uploaded CSV cannot travel in a link: the link opens the d2l sine instead."
                if data.cfg.name == "upload" else "")
