"""Named runs for a class, the lab's limits, and a RunConfig encoded in URL query parameters.

A teacher shares a preset or any lab setting as a link: ``encode_query(cfg)`` gives the
parameters, ``decode_query(params)`` turns them back into a validated RunConfig, raising
ConfigError with a message that names the setting and its allowed range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from rnnviz.config import (
    CELLS,
    OPTIMIZERS,
    SAMPLINGS,
    SENTIMENT_TRAIN_SOURCES,
    SERIES_NAMES,
    TASKS,
    ModelConfig,
    RunConfig,
    SentimentConfig,
    SeriesConfig,
    TextConfig,
    TrainConfig,
    bounds,
    check,
    shown,
)
from rnnviz.errors import ConfigError
from rnnviz.query import number

TASK_LABELS = {"lm": "Character language model (The Time Machine)", "forecast": "Forecaster on a series",
               "sentiment": "Sentiment classifier (review sentences)"}

# The lab's limits, declared once on the config fields (rnnviz.config): small enough that a class of 30
# on one 2-core server stays responsive, and that a weights file stays well under the 10 MB upload limit.
LIMITS = {"hidden": bounds(ModelConfig, "hidden_size"), "layers": bounds(ModelConfig, "num_layers"),
          "seq": bounds(TextConfig, "num_steps"), "batch": bounds(TextConfig, "batch_size"),
          "steps": bounds(TrainConfig, "steps"), "seed": bounds(TrainConfig, "seed")}
LR_RANGE = bounds(TrainConfig, "lr")
CLIP_RANGE = bounds(TrainConfig, "clip")

# Where a fresh lab starts for each task (the clipping threshold and seed are shown, not hidden).
LAB_DEFAULTS: dict[str, RunConfig] = {
    "lm": RunConfig(task="lm", model=ModelConfig(cell="gru", hidden_size=64),
                    train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=600)),
    "forecast": RunConfig(task="forecast", model=ModelConfig(cell="gru", hidden_size=32),
                          train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=300)),
    "sentiment": RunConfig(task="sentiment", model=ModelConfig(cell="gru", hidden_size=64),
                           train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=300)),
}


@dataclass(frozen=True)
class Preset:
    """A named run a teacher can hand to a class, with what to look for."""

    slug: str
    name: str
    look_for: str
    cfg: RunConfig


def _lm(cell: str, hidden: int, opt: str, lr: float, clip: float | None, steps: int) -> RunConfig:
    return RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=hidden),
                     train=TrainConfig(optimizer=opt, lr=lr, clip=clip, steps=steps))


PRESETS: tuple[Preset, ...] = (
    Preset("d2l-gru", "d2l char-level GRU",
           "d2l's GRU (32 hidden units, SGD at lr 4, clipping at 1): watch the sample turn from 'the tiiiime' into words.",
           _lm("gru", 32, "sgd", 4.0, 1.0, 1500)),
    Preset("d2l-lstm", "d2l char-level LSTM",
           "Same task with an LSTM: compare its loss curve with the GRU's.",
           _lm("lstm", 32, "sgd", 4.0, 1.0, 1500)),
    Preset("exploding-rnn", "Exploding plain RNN (no clipping)",
           "A ReLU RNN with SGD at lr 5 and no clipping: the gradient norm shoots up and training diverges "
           "within a few steps.",
           _lm("rnn_relu", 128, "sgd", 5.0, None, 600)),
    Preset("clipped-rnn", "Same RNN, clipped at 1",
           "The exploding RNN with clipping at 1: the red crosses mark clipped steps, and the loss keeps falling.",
           _lm("rnn_relu", 128, "sgd", 5.0, 1.0, 600)),
    Preset("sine-gru", "Sine forecaster (GRU)",
           "d2l's noisy sine: the one-step fit locks onto the wave within a few hundred steps.",
           replace(LAB_DEFAULTS["forecast"], series=SeriesConfig(name="sine"))),
    Preset("airline-lstm", "Airline passengers (LSTM)",
           "A trend and a yearly season: does the fit follow the growth after the training cut?",
           RunConfig(task="forecast", model=ModelConfig(cell="lstm", hidden_size=32),
                     train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=400),
                     series=SeriesConfig(name="airline"))),
    Preset("imdb-gru", "IMDb sentiment (GRU)",
           "Accuracy climbs above chance (50%) as the GRU learns which words carry sentiment.",
           replace(LAB_DEFAULTS["sentiment"], sentiment=SentimentConfig(source="imdb"))),
    Preset("tang-gru", "唐诗 char-level GRU",
           "Three Hundred Tang Poems, one of ~2,500 characters at a time: as it trains, the sample "
           "after 床前明月光 breaks into five- and seven-character lines with ， and 。, like the poems.",
           replace(_lm("gru", 64, "adam", 0.01, 1.0, 800), text=TextConfig(corpus="tang_simplified", batch_size=16))),
)
PRESETS_BY_SLUG: dict[str, Preset] = {p.slug: p for p in PRESETS}


def preset_for(cfg: RunConfig) -> Preset | None:
    """Returns the preset whose config equals cfg (same settings and seed), if any."""
    return next((p for p in PRESETS if p.cfg == cfg), None)


def validate(cfg: RunConfig) -> RunConfig:
    """Returns cfg unchanged if every setting is in range; raises ConfigError naming the first that is not.

    The one gate for a run's config, whatever its source (the lab's widgets, a link, a run file): the lab's
    own settings first (named as in a link), then every field of every section against its declared bounds.
    """
    _choice("task", cfg.task, TASKS)
    _choice("cell", cfg.model.cell, CELLS)
    _choice("opt", cfg.train.optimizer, OPTIMIZERS)
    for name, value in (("hidden", cfg.model.hidden_size), ("layers", cfg.model.num_layers),
                        ("steps", cfg.train.steps), ("seed", cfg.train.seed),
                        ("seq", cfg.text.num_steps), ("batch", cfg.text.batch_size)):
        _int_range(name, value)
    _float_range("lr", cfg.train.lr, LR_RANGE)
    if cfg.train.clip is not None:
        _float_range("clip", cfg.train.clip, CLIP_RANGE)
    _choice("sampling", cfg.text.sampling, SAMPLINGS)
    _choice("token", cfg.text.token, ("char",))  # the lab's language models read characters (and stay < 10 MB)
    _choice("series", cfg.series.name, SERIES_NAMES)
    _choice("source", cfg.sentiment.source, SENTIMENT_TRAIN_SOURCES)
    return check(cfg)


def encode_query(cfg: RunConfig) -> dict[str, str]:
    """Returns the URL query parameters that reproduce cfg in the lab (only the task's own settings)."""
    clip = "off" if cfg.train.clip is None else f"{cfg.train.clip:g}"
    params = {"task": cfg.task, "cell": cfg.model.cell, "hidden": str(cfg.model.hidden_size),
              "layers": str(cfg.model.num_layers), "opt": cfg.train.optimizer, "lr": f"{cfg.train.lr:g}",
              "clip": clip, "steps": str(cfg.train.steps), "seed": str(cfg.train.seed)}
    if cfg.task == "lm":
        params |= {"seq": str(cfg.text.num_steps), "batch": str(cfg.text.batch_size), "sampling": cfg.text.sampling}
    elif cfg.task == "forecast":
        params["series"] = cfg.series.name
    else:
        params["source"] = cfg.sentiment.source
    preset = preset_for(cfg)
    return {"preset": preset.slug, **params} if preset else params


def decode_query(params: Mapping[str, str | list[str]]) -> RunConfig:
    """Returns the validated RunConfig a link describes; raises ConfigError for anything out of range."""
    get = {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items()}
    slug = get.get("preset")
    if slug is not None and slug not in PRESETS_BY_SLUG:
        raise ConfigError(f"The link names an unknown preset `{shown(slug)}`; known presets: "
                          f"{', '.join(PRESETS_BY_SLUG)}.")
    task = get.get("task", PRESETS_BY_SLUG[slug].cfg.task if slug else "lm")
    _choice("task", task, TASKS)
    base = PRESETS_BY_SLUG[slug].cfg if slug and PRESETS_BY_SLUG[slug].cfg.task == task else LAB_DEFAULTS[task]
    m, t, tx = base.model, base.train, base.text
    model = replace(m, cell=get.get("cell", m.cell), hidden_size=_int(get, "hidden", m.hidden_size),
                    num_layers=_int(get, "layers", m.num_layers))
    train = replace(t, optimizer=get.get("opt", t.optimizer), lr=_float(get, "lr", t.lr), clip=_clip(get, t.clip),
                    steps=_int(get, "steps", t.steps), seed=_int(get, "seed", t.seed))
    text = replace(tx, num_steps=_int(get, "seq", tx.num_steps), batch_size=_int(get, "batch", tx.batch_size),
                   sampling=get.get("sampling", tx.sampling))
    series = replace(base.series, name=get.get("series", base.series.name))
    sentiment = replace(base.sentiment, source=get.get("source", base.sentiment.source))
    return validate(replace(base, task=task, model=model, train=train, text=text, series=series, sentiment=sentiment))


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"Setting '{name}' must be one of: {', '.join(allowed)} (got `{shown(value)}`).")


def _int_range(name: str, value: int) -> None:
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"Setting '{name}' must be a whole number from {low} to {high} (got `{shown(value)}`).")


def _float_range(name: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ConfigError(f"Setting '{name}' must be a number from {low:g} to {high:g} (got `{shown(value)}`).")


def _int(get: Mapping[str, str], name: str, default: int) -> int:
    if name not in get:
        return default
    value = number(get[name], whole=True)
    if value is None:
        low, high = LIMITS[name]
        raise ConfigError(f"Setting '{name}' must be a whole number from {low} to {high} (got `{shown(get[name])}`).")
    return value


def _float(get: Mapping[str, str], name: str, default: float) -> float:
    if name not in get:
        return default
    value = number(get[name], whole=False)
    if value is None:
        raise ConfigError(f"Setting '{name}' must be a finite number such as 0.01 or 1e-3 (got `{shown(get[name])}`).")
    return value


def _clip(get: Mapping[str, str], default: float | None) -> float | None:
    raw = get.get("clip")
    if raw is None:
        return default
    if raw.strip().lower() in ("off", "none", ""):
        return None
    return _float(get, "clip", default if default is not None else 1.0)
