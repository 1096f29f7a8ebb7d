"""The tutorial's CONTRAT: view and print the contract, sign it in three steps, keep a sealed signed PDF."""

import datetime as dt
import io
import os
import re
import threading

from conftest import csrf_token
from pypdf import PdfReader

from marina_portal.contracts.signing import DECLARATIONS
from marina_portal.core.formats import fr_datetime, paris_today
from marina_portal.models import AuditLog, Contract, ContractTerms, Customer, PdfDownload, SignatureEvidence
from marina_portal.sealing.evidence import sha256
from marina_portal.sealing.seals import verify_pdf

BROWSER = "Mozilla/5.0 (Linux; Android 14) Firefox/140.0"
SIGNED_ON = re.compile(r"Contrat signé le \d\d-\d\d-\d{4} à \d\d:\d\d")


def contract_id(app, customer_code="C0001"):
    with app.app_context():
        return Contract.select(Contract.id).join(Customer).where(Customer.code == customer_code).scalar()


def load(app, row_id):
    with app.app_context():
        return Contract.get_by_id(row_id)


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def step(client, cid, number, accept=True, htmx=False):
    """Accept (or not) one step the way the page's form does."""
    page = client.get("/contract/")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    if accept:
        data["accept"] = "oui"
    headers = {"User-Agent": BROWSER}
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(f"/contract/{cid}/sign/{number}", data=data, headers=headers)


def stored(app):
    """What signing has stored: evidence rows, signed contracts, sealed files."""
    with app.app_context():
        folder = os.path.join(app.config["DATA_DIR"], "contracts")
        files = len(os.listdir(folder)) if os.path.isdir(folder) else 0
        return (SignatureEvidence.select().count(), Contract.select().where(Contract.status == "signed").count(), files)


def sign_all(client, cid):
    pdf = client.get(f"/contract/{cid}/pdf").data
    for number in DECLARATIONS:
        assert step(client, cid, number).status_code == 303
    return pdf


def test_contract_page_shows_the_facts_a_pdf_link_and_the_sign_button(client, auth):
    auth.boater()
    html = client.get("/contract/").get_data(as_text=True)
    for fact in (
        f"n° {paris_today().year}-0042",
        "Annuel",
        "B-12",
        "BELLE ÉTOILE",
        "CC 123456",
        "9,50 m",
        "1 520,00 € TTC",
        "prélèvement SEPA",
        "version 1",
        "À signer",
        f"du 01/01/{paris_today().year} au 31/12/{paris_today().year}",
    ):
        assert fact in html, fact
    assert ">PDF<" in html and "Signer le contrat" in html
    assert "MISTRAL" not in html  # Sophie's contract is not Jean's business


def test_pdf_text_holds_name_berth_boat_price_and_terms_version(app, client, auth, pdf_rendered_every_time):
    auth.boater()
    cid = contract_id(app)
    response = client.get(f"/contract/{cid}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for fact in (
        "DUPONT JEAN",
        "10, RUE DU MARCHÉ",
        "B-12",
        "BELLE ÉTOILE",
        "CC 123456",
        "1 520,00 €",
        "version 1",
        "PORT SAINTE MARIE LA MER",
        "+33 633 700 088",
        "Article 1",
    ):
        assert fact in text, fact
    # The same contract always gives the same bytes, so the hash names this exact version.
    assert client.get(f"/contract/{cid}/pdf").data == response.data
    with app.app_context():
        downloads = list(PdfDownload.select())
    assert [d.sha256 for d in downloads] == [sha256(response.data)] * 2


def test_three_steps_sign_the_contract_and_keep_the_evidence(app, client, auth):
    user = auth.boater()
    cid = contract_id(app)
    pdf = client.get(f"/contract/{cid}/pdf").data
    first = step(client, cid, 1)
    assert first.status_code == 303 and first.headers["Location"].endswith(f"/contract/{cid}/sign")
    page = client.get(f"/contract/{cid}/sign").get_data(as_text=True)
    assert "ETAPE 1/3 acceptée." in page and "Acceptée le" in page and f"/contract/{cid}/sign/2" in page
    assert step(client, cid, 2).status_code == 303
    last = step(client, cid, 3)
    assert last.status_code == 303 and last.headers["Location"].endswith("/contract/")

    html = client.get("/contract/").get_data(as_text=True)
    assert SIGNED_ON.search(html) and "Signer le contrat" not in html
    with app.app_context():
        rows = list(SignatureEvidence.select().order_by(SignatureEvidence.step))
        contract = Contract.get_by_id(cid)
    assert [r.step for r in rows] == [1, 2, 3]
    assert [r.declaration for r in rows] == list(DECLARATIONS.values())
    for row in rows:
        assert row.user_id == user.id and row.ip == "127.0.0.1" and row.user_agent == BROWSER
        assert row.document_sha256 == sha256(pdf) and row.subject_revision == 1
    assert contract.status == "signed" and contract.signed_at == rows[-1].at
    with app.app_context():
        audit = AuditLog.get(AuditLog.action == "contract_signed")
    assert (audit.object_id, audit.user_id, audit.ip) == (cid, user.id, "127.0.0.1")
    assert contract.signed_pdf_sha256 in audit.after
    shown = SIGNED_ON.search(html).group(0)
    assert shown == "Contrat signé le " + fr_datetime(contract.signed_at, "%d-%m-%Y à %H:%M")

    signed = client.get(f"/contract/{cid}/signed.pdf")
    assert signed.status_code == 200 and sha256(signed.data) == contract.signed_pdf_sha256
    assert client.get(f"/contract/{cid}/signed.pdf").data == signed.data  # served from storage
    text = pdf_text(signed.data)
    assert "DUPONT JEAN" in text and "Article 1" in text and sha256(pdf) in text
    for declaration in DECLARATIONS.values():
        assert declaration in text
    with app.app_context():
        check = verify_pdf(signed.data)
    assert check.intact and check.trusted and check.signer == "PORT SAINTE MARIE LA MER"
    assert "DUPONT JEAN" in check.reason


def test_step_1_only_after_downloading_the_pdf(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    page = client.get(f"/contract/{cid}/sign").get_data(as_text=True)
    assert "Téléchargez d'abord le contrat" in page and f"/contract/{cid}/sign/1" not in page
    response = step(client, cid, 1)
    assert response.status_code == 409
    assert "Téléchargez d&#39;abord le contrat au format PDF" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)
    client.get(f"/contract/{cid}/pdf")
    assert f"/contract/{cid}/sign/1" in client.get(f"/contract/{cid}/sign").get_data(as_text=True)


def test_steps_out_of_order_skipped_or_replayed_are_refused_and_store_nothing(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    client.get(f"/contract/{cid}/pdf")
    for number in (2, 3):
        response = step(client, cid, number)
        assert response.status_code == 409
        assert "acceptez d&#39;abord l&#39;ETAPE 1/3" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)
    assert step(client, cid, 1).status_code == 303
    replay = step(client, cid, 1)
    assert replay.status_code == 409 and "déjà acceptée" in replay.get_data(as_text=True)
    skip = step(client, cid, 3)
    assert skip.status_code == 409 and "ETAPE 2/3" in skip.get_data(as_text=True)
    unchecked = step(client, cid, 2, accept=False)
    assert unchecked.status_code == 409 and "Cochez la case" in unchecked.get_data(as_text=True)
    assert step(client, cid, 9).status_code == 409
    assert stored(app) == (1, 0, 0)


def test_a_signed_contract_cannot_be_signed_again(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    sign_all(client, cid)
    first = load(app, cid)
    for number in (3, 1):
        response = step(client, cid, number)
        assert response.status_code == 409 and "déjà signé" in response.get_data(as_text=True)
    again = load(app, cid)
    assert (again.signed_pdf, again.signed_at) == (first.signed_pdf, first.signed_at)
    assert stored(app) == (3, 1, 1)


def test_two_clicks_at_once_sign_once(app, auth):
    auth.create_boater()
    cid = contract_id(app)
    clients = [app.test_client() for _ in range(4)]
    for client in clients:
        auth.client = client
        auth.login()
    sign_client = clients[0]
    sign_client.get(f"/contract/{cid}/pdf")
    step(sign_client, cid, 1)
    step(sign_client, cid, 2)
    barrier, answers = threading.Barrier(len(clients)), []

    def click(client):
        token = csrf_token(client.get("/contract/").get_data(as_text=True))
        barrier.wait()
        answers.append(client.post(f"/contract/{cid}/sign/3", data={"csrf_token": token, "accept": "oui"}).status_code)

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == [303, 409, 409, 409]
    assert stored(app) == (3, 1, 1)


def test_a_change_after_the_download_restarts_signing(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    client.get(f"/contract/{cid}/pdf")
    step(client, cid, 1)
    step(client, cid, 2)
    with app.app_context():  # the harbour office corrects the price: a new revision
        Contract.update(price_cents=160000, revision=Contract.revision + 1).where(Contract.id == cid).execute()
    response = step(client, cid, 3)
    assert response.status_code == 409 and "Téléchargez d&#39;abord" in response.get_data(as_text=True)
    assert stored(app) == (2, 0, 0)
    assert "1 600,00 €" in pdf_text(client.get(f"/contract/{cid}/pdf").data)
    restart = step(client, cid, 3)
    assert restart.status_code == 409 and "ETAPE 1/3" in restart.get_data(as_text=True)
    sign_all(client, cid)
    with app.app_context():
        revisions = [r.subject_revision for r in SignatureEvidence.select().order_by(SignatureEvidence.id)]
    assert revisions == [1, 1, 2, 2, 2]


def test_a_change_printed_on_the_contract_restarts_signing_even_without_a_new_revision(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    client.get(f"/contract/{cid}/pdf")
    step(client, cid, 1)
    with app.app_context():
        Customer.update(street="12, QUAI DES PÊCHEURS").where(Customer.code == "C0001").execute()
    response = step(client, cid, 2)
    assert response.status_code == 409 and "Le contrat a changé" in response.get_data(as_text=True)
    assert "Le contrat a changé depuis votre dernier téléchargement" in client.get(f"/contract/{cid}/sign").get_data(
        as_text=True
    )
    assert stored(app) == (1, 0, 0)


def test_new_terms_restart_signing_and_the_signed_contract_keeps_its_version(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    client.get(f"/contract/{cid}/pdf")
    step(client, cid, 1)
    step(client, cid, 2)
    with app.app_context():
        first = ContractTerms.get(ContractTerms.version == 1)
        ContractTerms.create(
            port=first.port, contract_type="Annuel", version=2, body=first.body + "\nArticle 7 – Wifi."
        )
    response = step(client, cid, 3)
    assert response.status_code == 409 and "Le contrat a changé" in response.get_data(as_text=True)
    pdf = client.get(f"/contract/{cid}/pdf").data
    assert "version 2" in pdf_text(pdf) and "Article 7" in pdf_text(pdf)
    for number in DECLARATIONS:
        assert step(client, cid, number).status_code == 303
    with app.app_context():
        signed = Contract.get_by_id(cid)
        assert signed.terms.version == 2
        ContractTerms.create(port=first.port, contract_type="Annuel", version=3, body="Nouveau texte.")
    assert "version 2" in client.get("/contract/").get_data(as_text=True)  # signed: its own version stays


def test_htmx_gets_the_signing_panel_as_a_fragment(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    panel = client.get(f"/contract/{cid}/sign", headers={"HX-Request": "true"})
    html = panel.get_data(as_text=True)
    assert "<html" not in html and f'id="signature-{cid}"' in html and "ETAPE 3/3" in html
    client.get(f"/contract/{cid}/pdf")
    refused = step(client, cid, 2, htmx=True)  # htmx swaps 2xx only: the refusal is a fragment with its reason
    assert refused.status_code == 200 and "acceptez d&#39;abord" in refused.get_data(as_text=True)
    done = step(client, cid, 1, htmx=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "<html" not in html and f"/contract/{cid}/sign/2" in html
    step(client, cid, 2, htmx=True)
    final = step(client, cid, 3, htmx=True).get_data(as_text=True)
    assert SIGNED_ON.search(final) and f"/contract/{cid}/signed.pdf" in final
    assert f'id="contract-{cid}-status" hx-swap-oob="true">Signé<' in final  # the card's status follows
    full = client.get(f"/contract/{cid}/sign", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]


def test_another_boater_reaches_nothing_of_jeans_contract(app, client, auth):
    jean = auth.boater()
    cid = contract_id(app)
    sign_all(client, cid)
    before = stored(app)
    other = app.test_client()
    auth.client = other
    auth.boater("C0002")
    for url in (f"/contract/{cid}/pdf", f"/contract/{cid}/sign", f"/contract/{cid}/signed.pdf"):
        response = other.get(url)
        assert response.status_code == 404 and "Page introuvable" in response.get_data(as_text=True)
    token = csrf_token(other.get("/contract/").get_data(as_text=True))
    for number in (1, 3):
        answer = other.post(f"/contract/{cid}/sign/{number}", data={"csrf_token": token, "accept": "oui"})
        assert answer.status_code == 404
    assert stored(app) == before
    with app.app_context():
        assert PdfDownload.select().where(PdfDownload.user != jean.id).count() == 0
    own = other.get("/contract/").get_data(as_text=True)
    assert "MISTRAL" in own and "BELLE ÉTOILE" not in own


def test_anonymous_is_sent_to_login(app, client):
    cid = contract_id(app)
    for url in ("/contract/", f"/contract/{cid}/pdf", f"/contract/{cid}/sign", f"/contract/{cid}/signed.pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_download_the_signed_pdf_but_do_not_sign(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    sign_all(client, cid)
    staff = app.test_client()
    auth.client = staff
    auth.staff(role="agent")
    signed = staff.get(f"/contract/{cid}/signed.pdf")
    assert signed.status_code == 200 and sha256(signed.data) == load(app, cid).signed_pdf_sha256
    assert staff.get(f"/contract/{cid}/pdf").status_code == 200
    assert staff.get(f"/contract/{cid}/sign").status_code == 403
    assert staff.get("/contract/").status_code == 200
    with app.app_context():
        assert PdfDownload.select().count() == 1  # the staff's copy is no boater's signing evidence


def test_unsigned_contract_has_no_signed_pdf(app, client, auth):
    auth.boater()
    assert client.get(f"/contract/{contract_id(app)}/signed.pdf").status_code == 404


def test_only_current_contracts_are_shown(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    last_year = paris_today().year - 1
    with app.app_context():
        jean = load(app, cid)
        common = dict(port=jean.port, customer=jean.customer, boat=jean.boat, berth=jean.berth, price_cents=1)
        Contract.create(
            number=f"{last_year}-0007",
            status="signed",
            starts_on=dt.date(last_year, 1, 1),
            ends_on=dt.date(last_year, 12, 31),
            **common,
        )
        Contract.create(number="DRAFT-1", status="draft", starts_on=paris_today(), ends_on=paris_today(), **common)
        Contract.create(
            number="NEXT-1",
            status="sent",
            starts_on=paris_today(),
            ends_on=paris_today() + dt.timedelta(days=365),
            **common,
        )
    html = client.get("/contract/").get_data(as_text=True)
    assert "0042" in html and "NEXT-1" in html
    assert f"{last_year}-0007" not in html and "DRAFT-1" not in html


def test_contract_verify_command(app, client, auth, tmp_path):
    auth.boater()
    cid = contract_id(app)
    unsigned = sign_all(client, cid)
    signed = client.get(f"/contract/{cid}/signed.pdf").data
    runner = app.test_cli_runner()
    good = tmp_path / "signe.pdf"
    good.write_bytes(signed)
    result = runner.invoke(args=["contract", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "Sceau intact" in result.output and "Scellé par : PORT SAINTE MARIE LA MER" in result.output
    assert re.search(r"Le : \d\d/\d\d/\d{4} à \d\d:\d\d \(heure de Paris\)", result.output)

    damaged = bytearray(signed)
    damaged[len(damaged) // 3] ^= 0x01
    bad = tmp_path / "modifie.pdf"
    bad.write_bytes(bytes(damaged))
    result = runner.invoke(args=["contract", "verify", str(bad)])
    assert result.exit_code == 1 and "NON valide" in result.output

    plain = tmp_path / "contrat.pdf"
    plain.write_bytes(unsigned)
    result = runner.invoke(args=["contract", "verify", str(plain)])
    assert result.exit_code == 1 and "Aucun sceau" in result.output


def test_the_tutorials_words_stay_in_english(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    token = csrf_token(client.get("/contract/").get_data(as_text=True))
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/contract/"})
    page = client.get("/contract/").get_data(as_text=True)
    assert '<html lang="en">' in page and ">CONTRAT<" in page and "Signer le contrat" in page and ">PDF<" in page
    client.get(f"/contract/{cid}/pdf")
    panel = client.get(f"/contract/{cid}/sign").get_data(as_text=True)
    assert "ETAPE 1/3" in panel and "Accepter les 3 étapes obligatoires" in panel
    for declaration in DECLARATIONS.values():
        assert declaration.replace("'", "&#39;") in panel


def test_a_draft_contract_is_not_the_boaters_yet(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    with app.app_context():
        Contract.update(status="draft").where(Contract.id == cid).execute()
    for url in (f"/contract/{cid}/pdf", f"/contract/{cid}/sign", f"/contract/{cid}/signed.pdf"):
        assert client.get(url).status_code == 404
    assert step(client, cid, 1).status_code == 404
    assert "Aucun contrat en cours" in client.get("/contract/").get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


def test_the_terms_version_links_to_the_terms_of_the_boaters_own_contract_only(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    html = client.get("/contract/").get_data(as_text=True)
    assert f'href="/contract/{cid}/terms"' in html
    page = client.get(f"/contract/{cid}/terms")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Conditions générales" in text and "Version 1" in text and "Article 1" in text
    other = app.test_client()
    auth.client = other
    auth.boater("C0002")
    assert other.get(f"/contract/{cid}/terms").status_code == 404
    assert other.get(f"/contract/{contract_id(app, 'C0002')}/terms").status_code == 200
    assert app.test_client().get(f"/contract/{cid}/terms").status_code == 302  # anonymous: to login
