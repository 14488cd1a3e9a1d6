"""Named runs for a class, the lab's limits, and a RunConfig encoded in URL query parameters.

A teacher shares a preset or any lab setting as a link: ``encode_query(cfg)`` gives the
parameters, ``decode_query(params)`` turns them back into a validated RunConfig, raising
ConfigError with a message that names the setting and its allowed range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from rnnviz import lab_table, owntext
from rnnviz.catalog import t
from rnnviz.config import (
    ModelConfig,
    RunConfig,
    SentimentConfig,
    SeriesConfig,
    TextConfig,
    TrainConfig,
    check,
    shown,
)
from rnnviz.errors import ConfigError
from rnnviz.lab_table import BY_NAME, SETTINGS, TASK, Setting

# The lab's limits, declared once on the config fields (rnnviz.config) and read through the settings table:
# small enough that a class of 30 on one 2-core server stays responsive, and that a weights file stays well under
# the 10 MB upload limit.
LIMITS = {s.name: s.bounds for s in SETTINGS if s.whole}
LR_RANGE = BY_NAME["lr"].bounds
CLIP_RANGE = BY_NAME["clip"].bounds

# Where a fresh lab starts for each task (the clipping threshold and seed are shown, not hidden).
LAB_DEFAULTS: dict[str, RunConfig] = {
    "lm": RunConfig(task="lm", model=ModelConfig(cell="gru", hidden_size=64),
                    train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=600)),
    "forecast": RunConfig(task="forecast", model=ModelConfig(cell="gru", hidden_size=32),
                          train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=300)),
    "sentiment": RunConfig(task="sentiment", model=ModelConfig(cell="gru", hidden_size=64),
                           train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=300)),
}


def tuned(cfg: RunConfig, **values: object) -> RunConfig:
    """Returns cfg with some lab settings changed, named as in a link (hidden=128, steps=400)."""
    for name, value in values.items():
        cfg = BY_NAME[name].write(cfg, value)
    return cfg


# The ready-trained models the lessons show before the learner trains anything (rnnviz.ui.cache.DEFAULT_RUNS):
# the lab's defaults, wider or longer where an inspection lesson needs more to look at.
LESSON_DEFAULTS: dict[str, RunConfig] = {
    "lm": tuned(LAB_DEFAULTS["lm"], hidden=128, steps=400),
    "forecast": LAB_DEFAULTS["forecast"],
    "sentiment": tuned(replace(LAB_DEFAULTS["sentiment"], model=replace(LAB_DEFAULTS["sentiment"].model, embed_dim=64)),
                       steps=600, source="all"),
}


@dataclass(frozen=True)
class Preset:
    """A named run a teacher can hand to a class; its name and what to look for are catalogue entries."""

    slug: str
    cfg: RunConfig

    @property
    def name(self) -> str:
        """Returns the preset's name in the learner's language."""
        return t(f"training_lab.presets.{self.slug}.name")

    @property
    def look_for(self) -> str:
        """Returns what to look for in the run, in the learner's language."""
        return t(f"training_lab.presets.{self.slug}.look_for")


def _lm(cell: str, hidden: int, opt: str, lr: float, clip: float | None, steps: int) -> RunConfig:
    return RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=hidden),
                     train=TrainConfig(optimizer=opt, lr=lr, clip=clip, steps=steps))


PRESETS: tuple[Preset, ...] = (
    Preset("d2l-gru", _lm("gru", 32, "sgd", 4.0, 1.0, 1500)),
    Preset("d2l-lstm", _lm("lstm", 32, "sgd", 4.0, 1.0, 1500)),
    Preset("exploding-rnn", _lm("rnn_relu", 128, "sgd", 5.0, None, 600)),
    Preset("clipped-rnn", _lm("rnn_relu", 128, "sgd", 5.0, 1.0, 600)),
    Preset("sine-gru", replace(LAB_DEFAULTS["forecast"], series=SeriesConfig(name="sine"))),
    Preset("airline-lstm", RunConfig(task="forecast", model=ModelConfig(cell="lstm", hidden_size=32),
                                     train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=400),
                                     series=SeriesConfig(name="airline"))),
    Preset("imdb-gru", replace(LAB_DEFAULTS["sentiment"], sentiment=SentimentConfig(source="imdb"))),
    Preset("tang-gru", replace(_lm("gru", 64, "adam", 0.01, 1.0, 800),
                               text=TextConfig(corpus="tang_simplified", batch_size=16, min_freq=2))),
)
PRESETS_BY_SLUG: dict[str, Preset] = {p.slug: p for p in PRESETS}


def preset_for(cfg: RunConfig) -> Preset | None:
    """Returns the preset whose config equals cfg (same settings and seed), if any."""
    return next((p for p in PRESETS if p.cfg == cfg), None)


def validate(cfg: RunConfig) -> RunConfig:
    """Returns cfg unchanged if every setting is in range; raises ConfigError naming the first that is not.

    The one gate for a run's config, whatever its source (the lab's widgets, a link, a run file): the lab's
    own settings first (named as in a link, by the settings table), then every field of every section against
    its declared bounds.
    """
    lab_table.check_all(cfg)
    TOKEN.check(cfg.text.token)  # the lab's language models read characters (and stay < 10 MB)
    return owntext.check_config(check(cfg))  # an own text passes its gate (cached: once per text)


TOKEN = Setting("token", "text", "token", "select", narrowed=("char",))  # checked, never shown or linked


def encode_query(cfg: RunConfig) -> dict[str, str]:
    """Returns the URL query parameters that reproduce cfg in the lab (only the task's own settings)."""
    params = lab_table.encode(cfg)
    preset = preset_for(cfg)
    return {"preset": preset.slug, **params} if preset else params


def decode_query(params: Mapping[str, str | list[str]]) -> RunConfig:
    """Returns the validated RunConfig a link describes; raises ConfigError for anything out of range."""
    get = {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items()}
    slug = get.get("preset")
    if slug is not None and slug not in PRESETS_BY_SLUG:
        raise ConfigError("training_lab.errors.preset", got=shown(slug), known=", ".join(PRESETS_BY_SLUG))
    task = get.get("task", PRESETS_BY_SLUG[slug].cfg.task if slug else "lm")
    TASK.check(task)
    base = PRESETS_BY_SLUG[slug].cfg if slug and PRESETS_BY_SLUG[slug].cfg.task == task else LAB_DEFAULTS[task]
    return validate(lab_table.decode(get, base))
