"""User-supplied text shown as text: never as markdown, a link, an image, HTML or LaTeX.

Streamlit renders markdown in st.markdown, st.error/info/warning/success/caption/toast, widget labels, help
tooltips, expander and tab labels. A value that came from a link, a file, an upload or a text box goes
through one of these before it joins any of them:

- `plain(text)`: backslash-escapes every ASCII punctuation character (CommonMark lets any of them be
  escaped), so no link, image, emphasis, code span, heading, list, HTML tag, entity, `$` maths or `:colour[`
  directive can form, and puts an invisible zero-width space into every bare URL or e-mail address (GFM links
  those after escapes are resolved); the reader sees the characters as typed.
- `code_span(text)`: the text inside a code span whose fence is longer than any run of backticks in it, so
  it cannot be closed from inside.
- `plotly_text(text)`: for chart titles and hover text, where plotly reads a subset of HTML (`<a href>`).

Newlines become spaces in all three: a value is shown on one line, so it cannot start a block of its own.
"""

from __future__ import annotations

import html
import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_BACKTICKS = re.compile(r"`+")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_WWW = re.compile(r"(www)\\\.", re.IGNORECASE)
_ZWSP = "\u200b"


def _one_line(text: object) -> str:
    return _INVISIBLE.sub("", _LINE_BREAKS.sub(" ", str(text)))


def plain(text: object) -> str:
    """Returns text escaped so that Streamlit's markdown shows it character for character, and never as a link."""
    escaped = _PUNCTUATION.sub(r"\\\1", _one_line(text))
    # GFM turns bare URLs and e-mail addresses into links after escapes are resolved (it rewrites the text, not
    # the syntax), so escaping cannot stop it: an invisible zero-width space after every ':', before every '@'
    # and inside 'www.' breaks the patterns it looks for (https://, mailto:, www., a@b.c) and shows the same text.
    escaped = escaped.replace("\\:", "\\:" + _ZWSP).replace("\\@", _ZWSP + "\\@")
    return _WWW.sub(lambda m: m.group(1) + _ZWSP + "\\.", escaped)


def code_span(text: object) -> str:
    """Returns text as one inline code span that no backtick inside it can close."""
    body = _one_line(text)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space on each side, so padding keeps a leading or trailing backtick (or space) intact.
    pad = " " if body.startswith(("`", " ")) or body.endswith(("`", " ")) or not body else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def plotly_text(text: object) -> str:
    """Returns text for a plotly title, label or hover line: its pseudo-HTML tags and entities shown as typed."""
    return html.escape(_one_line(text), quote=False)
