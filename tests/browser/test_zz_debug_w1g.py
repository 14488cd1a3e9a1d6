from .conftest import SCREENSHOTS, wait_for_app
from .test_linked_gates_browser import CELL_JS, MARKS_JS, open_gates


def test_debug(page, server_url):
    open_gates(page, server_url)
    page.locator(".st-key-gt_heatmaps").scroll_into_view_if_needed()
    spot = page.evaluate(CELL_JS, [9, 4])
    print("SPOT", spot)
    print("AT", page.evaluate("([x, y]) => { const e = document.elementFromPoint(x, y); return e.tagName + ' ' + e.getAttribute('class'); }", [spot["x"], spot["y"]]))
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_timeout(4000)
    wait_for_app(page)
    print("MARKS", {k: (v["step"], v["units"]) for k, v in page.evaluate(MARKS_JS).items()})
    print("URL", page.url)
    page.screenshot(path=str(SCREENSHOTS / "debug.png"))
    print(SCREENSHOTS)
