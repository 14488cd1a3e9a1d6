"""A class board's code, its teacher key and its "cleared at" time, kept in the run store's folder. No Streamlit.

A teacher starts a board: a short class code (8 characters from an alphabet without look-alikes, ~40 bits:
unguessable enough for a lesson) that rides in the class link (``?class=``), and a teacher key (128 bits)
that only the teacher's own board page carries (``?teacher=``) and that clearing the board requires. The
code is untrusted whenever it comes from a URL: ``valid_code`` is the one gate before it names a file.

Clearing keeps a time instead of touching anyone's runs: ``classes/<code>.json`` holds when the board was
last cleared, and the board shows the runs saved after it. One small atomic write, whatever the number of
runs; the learners' stores are never rewritten (a student still training would write the class code back).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from pathlib import Path

from rnnviz import runstore, storefiles

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector and typed by a class
CODE_LENGTH = 8
CODE_RE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
MAX_NICKNAME = 24
ANONYMOUS = "anonymous"
_NICK_RE = re.compile(r"[\w .'-]+")  # letters of any script, digits, spaces and a little punctuation


def new_code() -> str:
    """Returns a fresh class code: CODE_LENGTH characters of ALPHABET from secrets."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def valid_code(code: object) -> bool:
    """Returns whether code has the shape of a class code (checked before it is used anywhere)."""
    return isinstance(code, str) and CODE_RE.fullmatch(code) is not None


def normal_code(raw: object) -> str | None:
    """Returns a typed or linked class code in its canonical form (upper case, spaces dropped), or None if invalid."""
    if not isinstance(raw, str) or len(raw) > 4 * CODE_LENGTH:
        return None
    code = raw.replace(" ", "").replace("-", "").upper()
    return code if valid_code(code) else None


def clean_nickname(raw: object) -> str | None:
    """Returns a nickname trimmed of outer spaces, "" for none, or None when it is too long or has odd characters."""
    if not isinstance(raw, str):
        return None
    nick = " ".join(raw.split())
    if len(nick) > MAX_NICKNAME or (nick and _NICK_RE.fullmatch(nick) is None):
        return None
    return nick


def _board_path(code: str) -> Path:
    if not valid_code(code):
        raise ValueError("not a class code")
    return runstore.data_dir() / "classes" / f"{code}.json"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _read(code: str) -> dict:
    try:
        raw = _board_path(code).read_bytes()[:4096]
        board = json.loads(raw)
    except (OSError, ValueError):
        return {}
    return board if isinstance(board, dict) else {}


def start_board() -> tuple[str, str]:
    """Creates a board on disk; returns (class code, teacher key)."""
    code, key = new_code(), runstore.new_token()
    _write(code, {"created": time.time(), "cleared_at": 0.0, "teacher": _hash(key)})
    return code, key


def _write(code: str, board: dict) -> None:
    path = _board_path(code)
    storefiles.write_atomic(path, json.dumps(board).encode("ascii"))


def exists(code: str) -> bool:
    """Returns whether a board was started with this code on this server."""
    return valid_code(code) and bool(_read(code))


def is_teacher(code: str, key: object) -> bool:
    """Returns whether key is the teacher key of the board code."""
    stored = _read(code).get("teacher") if valid_code(code) else None
    # a teacher key is made by runstore.new_token, so it has a learner token's shape
    return runstore.valid_token(key) and isinstance(stored, str) and hmac.compare_digest(stored, _hash(key))


def cleared_at(code: str) -> float:
    """Returns when the board was last cleared (seconds since the epoch; 0 if never)."""
    value = _read(code).get("cleared_at", 0.0)
    return float(value) if isinstance(value, (int, float)) and value == value else 0.0


def clear(code: str, key: str) -> bool:
    """Clears the board from now on, if key is its teacher key; returns whether it did."""
    if not is_teacher(code, key):
        return False
    board = _read(code)
    board["cleared_at"] = time.time()
    _write(code, board)
    return True
