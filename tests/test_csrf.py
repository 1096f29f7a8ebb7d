"""Every POST route refuses a request without a CSRF token; the list comes from the URL map itself."""

import pytest

# Only the bank's server-to-server notification may skip CSRF (sealed with the bank's MAC instead), and the
# development bank sandbox's entry page, which receives the merchant's form exactly as the real bank does.
ALLOWED_EXEMPT = {"payment.notify", "sandbox.payment_page"}


def post_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        values = {}
        for name, converter in rule._converters.items():
            values[name] = 1 if type(converter).__name__ in ("IntegerConverter", "NumberConverter") else "x"
        rules.append((rule, rule.build(values)[1]))
    return rules


def exempt_endpoints(app):
    from marina_portal.core.extensions import csrf

    exempt = set()
    for endpoint, view in app.view_functions.items():
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views or (
            app.blueprints.get(endpoint.split(".")[0]) in csrf._exempt_blueprints
        ):
            exempt.add(endpoint)
    return exempt


def test_only_the_bank_notification_is_exempt(app):
    for endpoint in exempt_endpoints(app):
        assert endpoint in ALLOWED_EXEMPT, f"{endpoint} skips CSRF"


@pytest.mark.parametrize("who", ["anonymous", "boater", "staff"])
def test_every_post_route_refuses_a_missing_token(app, auth, who):
    if who == "boater":
        auth.boater()
    elif who == "staff":
        auth.staff()
    exempt = exempt_endpoints(app)
    checked = 0
    for rule, url in post_rules(app):
        if rule.endpoint in exempt:
            continue
        response = auth.client.post(url, data={"email": "jean.dupont@example.com", "password": "x"})
        assert response.status_code == 400, f"{rule.rule} answered {response.status_code} without a token"
        assert "formulaire a expiré" in response.get_data(as_text=True)
        checked += 1
    assert checked >= 7  # grows as features add forms
