"""What the phone tests measure in the page (tests/phone.js): sideways scrolling, tap targets, the focus."""

import os

from conftest import PASSWORD

WIDTH, HEIGHT = 375, 812

with open(os.path.join(os.path.dirname(__file__), "phone.js")) as f:
    _MEASURES = f.read()


def _measure(page, function):
    return page.evaluate(f"() => {{ {_MEASURES}\nreturn {function}(); }}")


def fits_the_phone(page):
    """The list of what does not fit a 375 px screen (empty when all is well)."""
    page.wait_for_load_state()  # the style sheets too, not only the HTML
    return _measure(page, "phoneProblems")


def title_bottom(page):
    """Where the page's h1 ends, in px from the top: the compact header keeps it high in the first screen."""
    return _measure(page, "titleBottom")


def focus(page):
    """{focused, text, inside, alert}: the focused element's id (or class) and the message that explains it."""
    page.wait_for_load_state()
    if page.js_enabled:
        page.wait_for_timeout(150)  # an htmx swap settles, then portal.js moves the focus
    return _measure(page, "focusedError")


def log_in(page, base, email="jean.dupont@example.com", password=PASSWORD, heading="Bienvenue"):
    """Log in through the form (its labels keep the tutorial's words in both languages)."""
    page.goto(base + "/")
    page.get_by_label("Login").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.locator("form button[type=submit]").first.click()
    page.locator("form.logout").wait_for()
    if heading:
        page.get_by_role("heading", name=heading).first.wait_for()
