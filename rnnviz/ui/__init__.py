"""The only part of rnnviz that imports streamlit: page setup, cached loaders, the model store.

Submodules by area (store, cache, and one per lesson group) keep each page's helpers apart.
"""

from rnnviz.ui.core import error_box, lesson_text, setup_page, try_this

__all__ = ["error_box", "lesson_text", "setup_page", "try_this"]
