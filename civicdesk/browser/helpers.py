"""Helpers for the Playwright browser tests: accessibility checks with axe-core, logins."""

from pathlib import Path

from django.conf import settings

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def block_map_tiles(page):
    """No internet here: tile requests fail fast, as they would for a resident offline."""
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())


def axe_violations(page):
    """Run axe-core on the page at WCAG 2.2 AA and return its violations, summarised."""
    # Evaluated through the DevTools protocol: an inline <script> tag would break the page's CSP.
    page.evaluate(AXE.read_text())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def assert_accessible(page, where=""):
    violations = axe_violations(page)
    assert violations == [], f"axe violations on {where or page.url}: {violations}"


def assert_no_horizontal_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"


def log_in(page, base, email, password="demo"):  # noqa: S107 - the demo accounts' password
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
