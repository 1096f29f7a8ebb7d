"""SEPA true to its rules: a valid ICS, amendment information, the EPC character set, no double charge,
the standard mandate wording and signing conditions, and the smaller points of the rulebook."""

import pytest
from test_sepa_export import add_mandate, db, export

from marina_portal.models import DirectDebit, Port


@pytest.fixture
def admin(auth):
    auth.staff(role="admin")


def test_paramètres_refuse_an_ics_with_wrong_check_digits(app, client, admin, form_post):
    response = form_post(
        "/staff/settings", name="PORT SAINTE MARIE LA MER", code="STEMARIE66", creditor_id="FR52ZZZ424242"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "chiffres de contrôle de l&#39;ICS" in html
    response = form_post("/staff/settings", name="PORT SAINTE MARIE LA MER", code="STEMARIE66", creditor_id="FR72-ZZZ")
    assert response.status_code == 422 and "FR72ZZZ123456" in response.get_data(as_text=True)
    saved = form_post(
        "/staff/settings", name="PORT SAINTE MARIE LA MER", code="STEMARIE66", creditor_id="fr72 zzz 123456"
    )
    assert saved.status_code == 303
    assert db(app, lambda: Port.current().creditor_id) == "FR72ZZZ123456"


def test_no_batch_is_exported_with_an_invalid_ics(app, runner, tmp_path):
    add_mandate(app)
    db(
        app,
        lambda: Port.update(
            creditor_id="FR52ZZZ424242", iban="FR7630006000011234567890189", bic="AGRIFRPPXXX"
        ).execute(),
    )
    result, xml = export(runner, tmp_path)
    assert result.exit_code == 1 and xml is None
    assert "identifiant créancier SEPA (ICS) valide" in result.output and "FR52ZZZ424242" in result.output
    assert db(app, lambda: DirectDebit.select().count()) == 0
