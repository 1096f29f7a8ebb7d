"""Signing evidence counts only what the boater did on the portal itself: a PDF fetched by another site is not
the boater reading their contract."""

import pytest
from test_contract import contract_id, step

from marina_portal.models import PdfDownload


@pytest.mark.parametrize("fetched_from", ["cross-site", "same-site"])
def test_a_download_asked_by_another_site_is_no_signing_evidence(app, client, auth, fetched_from):
    auth.boater()
    cid = contract_id(app)
    response = client.get(f"/contract/{cid}/pdf", headers={"Sec-Fetch-Site": fetched_from})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with app.app_context():
        assert PdfDownload.select().count() == 0
    assert step(client, cid, 1).status_code == 409  # ETAPE 1/3 still wants a download of one's own
    client.get(f"/contract/{cid}/pdf", headers={"Sec-Fetch-Site": "same-origin"})
    assert step(client, cid, 1).status_code == 303
