"""Every page in Chinese and in English: no exception, and (in Chinese) at most ~3% of what a learner reads still
holds an English sentence. Formulas, code, links, model names and data the app shows as data (review sentences,
The Time Machine's text) are not sentences to translate; conftest.english_residue leaves them out."""

from __future__ import annotations

import pytest
from conftest import app_test, english_residue

from rnnviz import lessons
from rnnviz.catalog import LANGS, entries

MAX_RESIDUE = 0.03
PAGES = [page.file for page in lessons.PAGES]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_reads_in_chinese(page, tiny_defaults):
    at = app_test(page)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception, f"{page} in Chinese: {at.exception}"
    left, total = english_residue(at)
    assert total > 0
    share = len(left) / total
    print(f"residue {page}: {len(left)}/{total} = {share:.1%}", *(repr(x[:90]) for x in left), sep="\n  ")
    assert share <= MAX_RESIDUE, f"{page}: {len(left)} of {total} texts ({share:.1%}) still English:\n" + "\n".join(
        repr(text[:120]) for text in left)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_in_english(page, tiny_defaults):
    at = app_test(page)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception, f"{page} in English: {at.exception}"


def test_chinese_catalogue_covers_english():
    missing = sorted(set(entries("en")) - set(entries("zh")))
    assert not missing, f"{len(missing)} English entries have no Chinese: {missing[:20]}"
    assert set(LANGS) == {"en", "zh"}
