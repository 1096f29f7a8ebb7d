"""JEAN DUPONT follows the tutorial's CONTRAT section in Chromium, with JavaScript on and off."""

import io
import re

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect
from pypdf import PdfReader

from marina_portal.accounts.logins import hash_password
from marina_portal.contracts.signing import DECLARATIONS
from marina_portal.core.db import database
from marina_portal.models import Customer, User
from marina_portal.sealing.seals import verify_pdf

pytestmark = pytest.mark.browser


def create_login(app, customer_code="C0001"):
    with app.app_context():
        customer = Customer.get(Customer.code == customer_code)
        user = User.create(email=customer.email, password_hash=hash_password(PASSWORD), customer=customer)
        database.close()
    return user


def log_in(page, url, email):
    page.goto(url + "/STEMARIE66")
    page.get_by_label("Login").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def download(page, link_name):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    with open(info.value.path(), "rb") as f:
        return f.read()


def test_jean_prints_and_signs_his_contract(live_server, page, tmp_path):
    app = live_server.app
    user = create_login(app)
    log_in(page, live_server.url, user.email)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="CONTRAT").click()
    expect(page.get_by_role("heading", name="CONTRAT", exact=True)).to_be_visible()
    expect(page.get_by_text("BELLE ÉTOILE")).to_be_visible()
    expect(page.get_by_text("1 520,00 € TTC")).to_be_visible()
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # readable on a phone

    printed = download(page, re.compile(r"^PDF du contrat n°"))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(printed)).pages)
    assert "DUPONT JEAN" in text and "B-12" in text

    page.get_by_role("button", name="Signer le contrat").click()
    if page.js_enabled:  # swapped in place, the address does not change
        expect(page.get_by_text("Accepter les 3 étapes obligatoires :")).to_be_visible()
        assert page.url.endswith("/contract/")
    expect(page.get_by_text("ETAPE 1/3 :").first).to_be_visible()

    for number, declaration in DECLARATIONS.items():
        box = page.get_by_label(declaration)
        expect(box).to_be_visible()
        box.check()
        page.get_by_role("button", name="Accepter").click()
        if number < len(DECLARATIONS):
            expect(page.get_by_text("Acceptée le")).to_have_count(number)

    expect(page.get_by_text(re.compile(r"^Contrat signé le \d\d-\d\d-\d{4} à \d\d:\d\d$"))).to_be_visible()
    expect(page.locator(".contract-status")).to_have_text("Signé")
    signed = download(page, "PDF du contrat signé")
    with app.app_context():
        check = verify_pdf(signed)
    assert check.intact and check.signer == "PORT SAINTE MARIE LA MER", check.problem

    runner = app.test_cli_runner()
    good = tmp_path / "contrat-signe.pdf"
    good.write_bytes(signed)
    result = runner.invoke(args=["contract", "verify", str(good)])
    assert result.exit_code == 0 and "DUPONT JEAN" in result.output
    changed = bytearray(signed)
    changed[len(changed) // 2] ^= 0x20
    bad = tmp_path / "contrat-modifie.pdf"
    bad.write_bytes(bytes(changed))
    assert runner.invoke(args=["contract", "verify", str(bad)]).exit_code == 1


def test_signing_starts_with_the_download(live_server, page):
    """A boater who clicks « Signer le contrat » before printing is asked for the PDF first."""
    user = create_login(live_server.app)
    log_in(page, live_server.url, user.email)
    page.goto(live_server.url + "/contract/")
    page.get_by_role("button", name="Signer le contrat").click()
    expect(page.get_by_text("Téléchargez d'abord le contrat au format PDF")).to_be_visible()
    expect(page.get_by_role("button", name="Accepter")).to_have_count(0)
    download(page, "PDF du contrat à signer")
    if not page.js_enabled:  # with JavaScript the panel reloads itself after the download
        page.get_by_role("button", name="J'ai téléchargé le PDF").click()
    expect(page.get_by_label(DECLARATIONS[1])).to_be_visible()
    expect(page.get_by_role("button", name="Accepter")).to_have_count(1)
