"""A learner's own text as a corpus: one gate (size, UTF-8, cleaning, enough characters) and what it kept.

Whatever arrives (pasted, an uploaded .txt, a run file's config) passes ``gate``: at most MAX_BYTES of UTF-8,
no binary, cleaned by ``clean_text`` (letters a-z, CJK characters and ，。！？；：、), at least MIN_CHARS
characters and MIN_DISTINCT different ones kept. The cleaned text is what a run keeps in
``TextConfig.own_text`` (corpus ``own``), so a restored run and the inspection lessons rebuild the same
corpus and vocabulary from it; rnnviz.data.text caps that vocabulary at OWN_MAX_VOCAB characters.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, replace
from functools import lru_cache

from rnnviz.catalog import t
from rnnviz.config import OWN_CORPUS, OWN_TEXT_MAX_CHARS, RunConfig, TextConfig
from rnnviz.data.text import FULL_WIDTH, OWN_MAX_VOCAB, clean_text
from rnnviz.errors import ConfigError, DataError

MAX_BYTES = OWN_TEXT_MAX_CHARS  # 200 kB of UTF-8: a short book; its cleaned text never has more characters
MIN_CHARS = 200  # characters kept after cleaning: a few minibatches of short subsequences
MIN_DISTINCT = 10  # different characters kept: fewer is not a language to model
_SAMPLE_DROPPED = 8  # dropped characters named in the message


@dataclass(frozen=True)
class OwnText:
    """A gated own text: the cleaned text a run trains on, and what cleaning kept of what arrived."""

    text: str  # cleaned: what the model reads
    received: int  # characters that arrived
    distinct: int  # different characters kept
    dropped: str  # a few of the characters cleaning removed (most frequent first), to name in the message

    @property
    def rare(self) -> int:
        """Returns how many different characters read as <unk> (beyond the vocabulary's OWN_MAX_VOCAB)."""
        return max(self.distinct - (OWN_MAX_VOCAB - 1), 0)

    def summary(self, lang: str | None = None) -> list[str]:
        """Returns what was kept, a sentence a line, in the learner's language (plain text: `dropped` is the learner's)."""
        lines = [t("own_text.kept", lang, kept=len(self.text), received=self.received, distinct=self.distinct)]
        if self.dropped:
            lines.append(t("own_text.dropped", lang, examples=" ".join(self.dropped)))
        if self.rare:
            lines.append(t("own_text.rare", lang, rare=self.rare, vocab=OWN_MAX_VOCAB - 1))
        return lines


def _refuse(code: str, **params: object) -> DataError:
    return DataError(f"own_text.errors.{code}", **params)


def decode(data: bytes) -> str:
    """Returns the text of an uploaded file; raises DataError if it is too big, binary or not UTF-8."""
    if len(data) > MAX_BYTES:
        raise _refuse("too_big", size=len(data) / 1000, limit=MAX_BYTES / 1000)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16's byte order mark: text, but not UTF-8
        raise _refuse("not_utf8", position=0)
    if b"\x00" in data:
        raise _refuse("binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _refuse("not_utf8", position=err.start) from None


def gate(raw: str | bytes) -> OwnText:
    """Returns the cleaned own text and what was kept; raises DataError saying what is wrong with it."""
    text = decode(raw) if isinstance(raw, bytes) else raw
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise _refuse("too_big", size=size / 1000, limit=MAX_BYTES / 1000)
    if "\x00" in text:
        raise _refuse("binary")
    cleaned = clean_text(text)
    if len(cleaned) < MIN_CHARS:
        raise _refuse("too_short", kept=len(cleaned), need=MIN_CHARS)
    distinct = len(set(cleaned))
    if distinct < MIN_DISTINCT:
        raise _refuse("too_few_distinct", distinct=distinct, need=MIN_DISTINCT)
    kept = set(cleaned)
    counts = collections.Counter(text)  # counted in C; only the distinct characters are looked at below
    dropped = [(n, ch) for ch, n in counts.items() if ch.lower() not in kept and FULL_WIDTH.get(ch) not in kept
               and ch.isprintable() and not ch.isspace()]  # "明月," keeps its comma as "，"
    examples = "".join(ch for _, ch in sorted(dropped, key=lambda nc: -nc[0])[:_SAMPLE_DROPPED])
    return OwnText(cleaned, len(text), distinct, examples)


@lru_cache(maxsize=8)  # a stored run's snapshots each carry the run's text: it is gated once, not once per snapshot
def _cleaned(text: str) -> str:
    return gate(text).text


def with_own_text(text_cfg: TextConfig, own: str | None) -> TextConfig:
    """Returns text_cfg reading a gated own text (corpus 'own'), or text_cfg itself when there is none."""
    return replace(text_cfg, corpus=OWN_CORPUS, own_text=own) if own else text_cfg


def check_config(cfg: RunConfig) -> RunConfig:
    """Returns cfg if its own text (if any) passes the gate unchanged; raises ConfigError otherwise.

    For configs from outside (a run file): the corpus 'own' needs a text, a text needs the corpus 'own', and
    the text must be one the gate would keep as it is (already cleaned, enough characters).
    """
    text = cfg.text
    if text.corpus != OWN_CORPUS:
        if text.own_text is not None:
            raise ConfigError("own_text.errors.text_without_corpus", corpus=text.corpus)
        return cfg
    if not text.own_text:
        raise ConfigError("own_text.errors.missing")
    try:
        kept = _cleaned(text.own_text)
    except DataError as err:
        raise ConfigError(err.code, **err.params) from None
    if kept != text.own_text:
        raise ConfigError("own_text.errors.not_clean")
    return cfg
