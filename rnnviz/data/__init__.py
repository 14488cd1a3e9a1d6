"""Series, text corpora and review sentences, parsed from the bundled files in assets/data."""

from rnnviz.data.sentiment import (
    SentimentData,
    build_sentiment,
    encode_sentences,
    load_sentences,
    parse_labelled,
    words,
)
from rnnviz.data.series import Scaler, Series, load_series, parse_series_csv, sine_series, split_point, windows
from rnnviz.data.text import (
    Corpus,
    Placement,
    Vocab,
    build_corpus,
    clean_text,
    lm_batches,
    load_corpus,
    load_corpus_text,
    ngram_counts,
    partition_layout,
    strip_gutenberg,
    tokenize,
)

__all__ = [
    "Corpus", "Placement", "Scaler", "SentimentData", "Series", "Vocab", "build_corpus", "build_sentiment",
    "clean_text", "encode_sentences", "lm_batches", "load_corpus", "load_corpus_text", "load_sentences",
    "load_series", "ngram_counts", "parse_labelled", "parse_series_csv", "partition_layout", "sine_series",
    "split_point", "strip_gutenberg", "tokenize", "windows", "words",
]
