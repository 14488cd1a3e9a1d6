"""Forecasting (d2l, sequence models): one step ahead vs k steps ahead with the model's own outputs fed back."""

import streamlit as st

from rnnviz import forecast as fc
from rnnviz.catalog import choices, items, t
from rnnviz.errors import RnnvizError
from rnnviz.plots import forecast as plots
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import forecast as ui
from rnnviz.ui import forecast_states as states
from rnnviz.ui.affordances import chart, class_link_form, guide, query_value, show_code
from rnnviz.ui.forecast_data import choose_data
from rnnviz.ui.predict import predict

setup_page("forecasting")
st.title(t("forecasting.title"))
st.markdown(t("forecasting.lesson.intro"))
guide("forecasting")
st.latex(t("forecasting.formula_models"))
st.latex(t("forecasting.formula_k_steps"))

st.subheader(t("forecasting.sections.series"))
data = choose_data()
chart(plots.series_figure(data.series, data.n_train, data.title), key="fc_series")

st.subheader(t("forecasting.sections.forecasters"))
st.caption(t("forecasting.captions.forecasters"))
own_names, specs = ui.model_form(data)
link = ui.link_params(data, specs)
try:
    models = ui.train_missing(data, specs) | ui.own_models(data, own_names)
except RnnvizError as err:
    error_box(err)
    st.stop()
if not models:
    st.info(t("forecasting.messages.pick_one"), icon="ℹ️")
    st.stop()
st.dataframe(ui.status_table(models), hide_index=True)
names = ui.names(models)  # each model's words on screen; the dictionaries and the link use its label

T, n_train = len(data.series), data.n_train
max_k = fc.max_horizon(T, n_train)
evals = {label: ui.evaluation(data, label, fitted, max_k) for label, fitted in models.items()}
focus = query_value("focus", next(iter(models)), list(models))
focus = st.selectbox(t("forecasting.widgets.focus"), list(models), index=list(models).index(focus),
                     format_func=names.get, key="fc_focus")

st.subheader(t("forecasting.sections.fed_back"))
start = max(n_train, models[focus].tau)
rollout = fc.rollout(models[focus], data.series.values, start, T - start)
did, why = ui.what_it_did(data, names[focus], start, rollout)
predict("predict.forecasting.drift", states.drift_answer(data, start, rollout))
chart(plots.fed_back_figure(data.series, n_train, start, evals[focus].one_step, rollout, names[focus], did.phrase),
      key="fc_fed_back")
st.markdown(t("forecasting.lesson.fed_back"))
st.markdown(why)
show_code(fc.one_step, fc.rollout, fc.k_step, plots.fed_back_figure, key="fc_fed_back")

st.subheader(t("forecasting.sections.k_ahead"))
k_own = st.slider(t("forecasting.widgets.own_k"), 1, max_k, min(max(query_value("k", 8), 1), max_k), key="fc_k",
                  help=t("forecasting.widgets.own_k_help", max_k=max_k))
ks = sorted({k for k in (1, 4, 16, 64) if k <= max_k} | {k_own})
chart(plots.k_ahead_figure(data.series, n_train, {k: fc.k_ahead_curve(evals[focus], k, T) for k in ks},
                           names[focus]), key="fc_k_ahead")
st.caption(ui.horizon_caption(did))
show_code(fc.evaluate, fc.k_ahead_curve, plots.k_ahead_figure, key="fc_k_ahead")

st.subheader(t("forecasting.sections.horizon"))
st.markdown(t("forecasting.lesson.compounds"))
metric = st.radio(t("forecasting.widgets.metric"), ["MSE", "MAE", "MAPE"], horizontal=True, key="fc_metric")
floor = data.cfg.noise**2 if data.cfg.name == "sine" and metric == "MSE" else None
predict("predict.forecasting.horizon", states.horizon_answer(evals[focus]))
chart(plots.horizon_figure({label: ev.errors for label, ev in evals.items()}, metric, floor, ks, names),
      key="fc_horizon")
st.dataframe(fc.horizon_table({names[label]: ev.errors for label, ev in evals.items()}, metric, ks), hide_index=True)
st.caption(t("forecasting.captions.horizon"))
show_code(fc.horizon_errors, plots.horizon_figure, key="fc_horizon")

st.subheader(t("forecasting.sections.from_here"))
a, b = st.columns(2)
here = a.slider(t("forecasting.widgets.here"), max(m.tau for m in models.values()), T - 2,
                min(n_train + (T - n_train) // 3, T - 2), key="fc_here")
k_max_here = max(2, min(200, T - here))
k_here = b.slider(t("forecasting.widgets.k_here"), 1, k_max_here, min(64, k_max_here), key="fc_k_here")
rollouts = {label: fc.rollout(fitted, data.series.values, here, k_here) for label, fitted in models.items()}
chart(plots.from_here_figure(data.series, here, k_here, rollouts, names=names), key="fc_from_here")
st.caption(t("forecasting.captions.from_here"))

st.subheader(t("forecasting.sections.memory"))
st.markdown(t("forecasting.lesson.memory"))
recurrent = [label for label, fitted in models.items() if fitted.spec.kind != fc.MLP]
if not recurrent:
    st.info(t("forecasting.messages.add_recurrent"), icon="ℹ️")
else:
    which = st.selectbox(t("forecasting.widgets.probe_model"), recurrent, format_func=names.get, key="fc_probe_model")
    probe = ui.probe(data, which, models[which], tuple(k for k in (1, 2, 4, 8, 16, 32, 64) if k <= max_k))
    chart(plots.probe_figure(probe, data.cfg.tau, which, names[which]), key="fc_probe")
    states.hidden_section(data, which, models[which], evals[which].one_step, names[which])
    show_code(fc.memory_probe, key="fc_probe")

try_this(*items("forecasting.try"))
class_link_form("Forecasting", choices("forecasting.link", ("series", "split", "tau", "forecasters")),
                {**link, "focus": focus, "k": k_own}, key="fc_link",
                note=t("forecasting.messages.upload_link_note") if data.cfg.name == "upload" else "")
