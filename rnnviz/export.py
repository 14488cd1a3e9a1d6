"""Export a recorded trace: tidy CSV / Parquet, and LSTMVis's HDF5 layout (states, token ids, dictionary)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import h5py
import numpy as np
import pandas as pd

from rnnviz.tracing import Trace


def trace_csv(trace: Trace, tokens: Sequence[str]) -> bytes:
    """Returns the trace as a tidy CSV (layer, t, token, unit, quantity, value)."""
    return trace.to_frame(tokens).to_csv(index=False).encode("utf-8")


def trace_parquet(trace: Trace, tokens: Sequence[str]) -> bytes:
    """Returns the trace as a tidy Parquet file."""
    buffer = io.BytesIO()
    trace.to_frame(tokens).to_parquet(buffer, index=False)
    return buffer.getvalue()


def _h5_bytes(datasets: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for name, array in datasets.items():
            f.create_dataset(name, data=array)
    return buffer.getvalue()


def lstmvis_zip(trace: Trace, tokens: Sequence[str], sample: int = 0) -> bytes:
    """Returns a zip in LSTMVis's layout: states.hdf5 (states{k}/output{k}: (T, H)), words.hdf5, words.dict, lstm.yml.

    LSTMVis calls the memory 'states' and the emitted h 'output'; for cells without a separate
    memory (RNN, GRU) both hold h.
    """
    datasets = {}
    for k, layer in enumerate(trace.layers, start=1):
        h = layer.h[sample].detach().numpy().astype(np.float32)  # (T, H)
        c = layer.c[sample].detach().numpy().astype(np.float32) if layer.c is not None else h
        datasets[f"states{k}"], datasets[f"output{k}"] = c, h
    vocab = sorted(set(tokens))
    ids = {tok: i + 1 for i, tok in enumerate(vocab)}  # LSTMVis ids start at 1
    words = np.array([ids[t] for t in tokens], dtype=np.int64)
    dict_text = "".join(f"{_visible(tok)} {ids[tok]}\n" for tok in vocab)
    types = ", ".join(
        f"{{type: state, layer: {k}, path: states{k}}}, {{type: output, layer: {k}, path: output{k}}}"
        for k in range(1, len(trace.layers) + 1)
    )
    yml = (
        f"name: rnnviz {trace.cell} trace\ndescription: exported by rnnviz\n\n"
        "files:\n  states: states.hdf5\n  words: words.hdf5\n  words_dict: words.dict\n\n"
        "word_sequence:\n  file: words\n  path: words\n  dict_file: words_dict\n\n"
        f"states:\n  file: states\n  types: [{types}]\n"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("states.hdf5", _h5_bytes(datasets))
        z.writestr("words.hdf5", _h5_bytes({"words": words}))
        z.writestr("words.dict", dict_text)
        z.writestr("lstm.yml", yml)
    return out.getvalue()


def _visible(token: str) -> str:
    """Returns a token safe for a space-separated dictionary line (a space becomes '_')."""
    return "_" if token == " " else token.replace(" ", "_")


def read_lstmvis_states(data: bytes) -> dict[str, np.ndarray]:
    """Returns every dataset of an exported zip's states.hdf5 and words.hdf5 (to check a round trip)."""
    result = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in ("states.hdf5", "words.hdf5"):
            with h5py.File(io.BytesIO(z.read(name)), "r") as f:
                result.update({key: f[key][()] for key in f})
    return result


def read_trace_table(data: bytes, fmt: str) -> pd.DataFrame:
    """Returns an exported CSV or Parquet trace table read back."""
    if fmt == "parquet":
        return pd.read_parquet(io.BytesIO(data))
    return pd.read_csv(io.BytesIO(data), keep_default_na=False)
