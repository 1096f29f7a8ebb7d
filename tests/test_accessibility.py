"""axe-core in Chromium on every page a boater or a visitor can open: no serious or critical violation."""

import os

from conftest import browser_missing

AXE = os.path.join(os.path.dirname(__file__), "..", "node_modules", "axe-core", "axe.min.js")
SKIP_PREFIXES = ("/staff", "/dev/", "/sandbox", "/payment/monetico/notify", "/static", "/healthz", "/logout")


def simple_get_pages(app):
    """Every GET page without URL arguments, outside staff and development tools."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(SKIP_PREFIXES):
            urls.add(rule.rule)
    return sorted(urls)


def violations(browser, base, paths, login=None):
    # French, as the tutorial: the portal follows the browser's language on a first visit
    context = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 812}, locale="fr-FR")
    page = context.new_page()
    found, audited = {}, []
    if login:
        page.goto(base + "/")
        page.get_by_label("Login").fill(login[0])
        page.get_by_label("Mot de passe").fill(login[1])
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("heading", name="Bienvenue").first.wait_for()
    with open(AXE) as f:
        axe_source = f.read()
    for path in paths:
        response = page.goto(base + path)
        if response is None or response.status >= 400 or "/login" in page.url and login:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):  # the web-app manifest, a feed
            continue
        page.evaluate(axe_source)
        audited.append(path)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            found[path] = bad
    context.close()
    return found, audited


def test_no_serious_accessibility_violation(live_server, browser, auth):
    if not os.path.exists(AXE):
        browser_missing("axe-core is not in node_modules (npm ci, run by make install-dev, fetches it)")
    auth.app = live_server.app
    user = auth.create_boater()
    paths = simple_get_pages(live_server.app)
    assert "/" in paths and "/register/contract" in paths
    anonymous, seen_anonymous = violations(browser, live_server.url, paths)
    boater, seen_boater = violations(browser, live_server.url, paths, login=(user.email, "correct horse battery"))
    assert len(seen_anonymous) >= 5 and len(seen_boater) >= 4
    assert anonymous == {} and boater == {}, {"anonymous": anonymous, "boater": boater}
