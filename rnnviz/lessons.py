"""The registry of pages: one entry per lesson (and the home page and teacher tools), in the class's order.

It drives the sidebar, the home page's path for a class, the guided lessons and the browser suite. A lesson's
words (title, one line on what it shows, its prose, its guide) live in the catalogues under its slug:
``lessons.<slug>.title``, ``lessons.<slug>.line``, and the area ``<slug>`` (``rnnviz.catalog``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    slug: str  # catalogue area and guide name, e.g. 'gates'
    file: str  # the page's file, relative to the project root
    icon: str  # a Material icon, as st.page_link takes it
    kind: str = "lesson"  # 'home', 'lesson' or 'teacher'

    @property
    def url_path(self) -> str:
        """The page's URL path as Streamlit derives it from the file name ('' for the home page)."""
        if self.kind == "home":
            return ""
        stem = self.file.rsplit("/", 1)[-1].removesuffix(".py")
        return stem.split("_", 1)[1] if stem.split("_", 1)[0].isdigit() else stem

    @property
    def title_key(self) -> str:
        return f"lessons.{self.slug}.title"

    @property
    def line_key(self) -> str:
        return f"lessons.{self.slug}.line"


HOME = Lesson("home", "app.py", ":material/home:", kind="home")
LESSONS: tuple[Lesson, ...] = (
    Lesson("forecasting", "pages/1_Forecasting.py", ":material/show_chart:"),
    Lesson("text", "pages/2_Text_and_language_models.py", ":material/menu_book:"),
    Lesson("training_lab", "pages/3_Training_lab.py", ":material/fitness_center:"),
    Lesson("hidden_states", "pages/4_Hidden_states.py", ":material/psychology:"),
    Lesson("gates", "pages/5_Gates.py", ":material/door_front:"),
    Lesson("gradients", "pages/6_Gradients_through_time.py", ":material/trending_down:"),
    Lesson("clipping", "pages/7_Clipping_and_truncation.py", ":material/content_cut:"),
    Lesson("architectures", "pages/8_Deep_and_bidirectional.py", ":material/layers:"),
    Lesson("sentiment", "pages/9_Sentiment.py", ":material/chat:"),
    Lesson("recurrent_matrix", "pages/10_Recurrent_matrix.py", ":material/blur_circular:"),
)
TEACHER_TOOLS: tuple[Lesson, ...] = (
    Lesson("class_board", "pages/11_Class_board.py", ":material/co_present:", kind="teacher"),
)
PAGES: tuple[Lesson, ...] = (HOME, *LESSONS, *TEACHER_TOOLS)
BY_SLUG: dict[str, Lesson] = {page.slug: page for page in PAGES}
BY_FILE: dict[str, Lesson] = {page.file: page for page in PAGES}
