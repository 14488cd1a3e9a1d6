"""Negation probes for a sentiment classifier: does "... good" read more positive than "... not good"?"""

from __future__ import annotations

import pandas as pd
import torch

from rnnviz.data import Vocab
from rnnviz.models import SequenceClassifier
from rnnviz.textstats import encode_review

# Pairs that differ only by a negation, in words all three review sources' training parts contain.
PROBES: tuple[tuple[str, str], ...] = (
    ("the food was good", "the food was not good"),
    ("the movie was good", "the movie was not good"),
    ("the phone is good", "the phone is not good"),
    ("it was great", "it was not great"),
    ("the service was good", "the service was not good"),
    ("this is a good film", "this is not a good film"),
    ("i liked it", "i did not like it"),
    ("the battery works well", "the battery does not work well"),
)


def p_positive(model: SequenceClassifier, vocab: Vocab, sentence: str) -> float:
    """Returns the classifier's P(positive) after the sentence's last word."""
    x, lengths = encode_review(sentence, vocab)
    with torch.no_grad():
        return float(torch.softmax(model.classify(x, lengths), dim=-1)[0, 1])


def negation_table(model: SequenceClassifier, vocab: Vocab,
                   probes: tuple[tuple[str, str], ...] = PROBES) -> pd.DataFrame:
    """Returns one row per probe: the plain review, its P(positive), the negated review and its P(positive)."""
    return pd.DataFrame([{"review": plain, "P(positive)": p_positive(model, vocab, plain), "negated": negated,
                          "P(positive) negated": p_positive(model, vocab, negated)} for plain, negated in probes])
