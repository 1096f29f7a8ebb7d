"""Credit notes: whole, by line or by amount, never more than the invoice; their effect on COMPTE CLIENT, the
staff pages and the PDFs; a refund when the balance goes below zero; bad inputs on the staff forms."""

import re
import subprocess

import pytest

from marina_portal.billing import credit_notes, invoicing, statement
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import AuditLog, CreditNote, Customer, Invoice, InvoiceLine, Payment, Port

YEAR = paris_today().year


@pytest.fixture
def issued(app):
    """A factory: an issued invoice of JEAN DUPONT with these lines (description, quantity milli, e4, rate)."""

    def make(*lines, customer_code="C0001"):
        with app.app_context():
            port = Port.current()
            port.siren, port.vat_number = "732829320", "FR44732829320"
            port.save()
            customer = Customer.get(Customer.code == customer_code)
            draft = invoicing.create_draft(
                None,
                customer,
                "Prestations",
                [invoicing.Line(d, q, vat_rate_bp=r, unit_price_e4=p) for d, q, p, r in lines],
            )
            invoice = invoicing.issue(draft)
            database.close()
        return invoice.id

    return make


def balance(app, invoice_id):
    with app.app_context():
        return Invoice.with_paid().where(Invoice.id == invoice_id).get().balance_cents


def pdf_text(data, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"[ \t]+", " ", text)


def test_whole_credit_mirrors_every_line_and_clears_the_balance(app, issued):
    invoice_id = issued(("Grutage", 1000, 1500000, 2000), ("Nuitées", 2500, 199900, 1000))
    with app.app_context():
        note = credit_notes.issue_credit_note(None, invoice_id, "Facture envoyée par erreur")
        invoice = Invoice.get_by_id(invoice_id)
        assert note.number == f"AV{YEAR}/00001" and note.total_cents == invoice.total_cents == 15000 + 3000 + 4998 + 500
        assert [(line.total_ht_cents, line.total_vat_cents) for line in note.lines] == [(15000, 3000), (4998, 500)]
        payment = Payment.get_by_id(note.payment_id)
        assert (payment.method, payment.amount_cents, payment.reference) == (
            "credit",
            note.total_cents,
            f"Avoir {note.number}",
        )
        assert AuditLog.get(AuditLog.action == "credit_note.issue").object_id == note.id
        with pytest.raises(invoicing.Refused, match="entièrement créditée"):
            credit_notes.issue_credit_note(None, invoice_id, "Encore")
    assert balance(app, invoice_id) == 0


def test_partial_credit_by_line_is_limited_to_the_quantity_left(app, issued):
    invoice_id = issued(("Électricité", 312500, 2316, 550))  # 312,5 kWh at 0,2316 € HT
    with app.app_context():
        line = Invoice.get_by_id(invoice_id).lines[0]
        assert (line.total_ht_cents, line.total_vat_cents) == (7238, 398)
        note = credit_notes.issue_credit_note(None, invoice_id, "Relevé faux", quantities={line.id: 100000})
        assert (note.lines[0].total_ht_cents, note.lines[0].total_vat_cents, note.total_cents) == (2316, 127, 2443)
        with pytest.raises(invoicing.Refused, match="dépasse celle qui reste"):
            credit_notes.issue_credit_note(None, invoice_id, "Trop", quantities={line.id: 212501})
        rest = credit_notes.issue_credit_note(None, invoice_id, "Le reste")
        assert rest.lines[0].quantity_milli == 212500 and note.total_cents + rest.total_cents == 7636
    assert balance(app, invoice_id) == 0


def test_credit_by_amount_is_shared_between_the_vat_rates_and_capped(app, issued):
    invoice_id = issued(("Place", 1000, 1000000, 2000), ("Eau", 1000, 1000000, 550))  # 120,00 + 105,50 TTC
    with app.app_context():
        note = credit_notes.issue_credit_note(None, invoice_id, "Geste commercial", amount_cents=4510)
        rates = {line.vat_rate_bp: line.total_ht_cents + line.total_vat_cents for line in note.lines}
        assert sum(rates.values()) == note.total_cents == 4510 and set(rates) == {550, 2000}
        assert rates[2000] == 2400  # 120,00 / 225,50 of the amount
        with pytest.raises(invoicing.Refused, match="dépasse ce qui reste"):
            credit_notes.issue_credit_note(None, invoice_id, "Trop", amount_cents=22550 - 4510 + 1)
        with pytest.raises(invoicing.Refused, match="motif"):
            credit_notes.issue_credit_note(None, invoice_id, "  ", amount_cents=100)


def test_an_imported_invoice_without_lines_is_credited_at_the_rate_chosen(app):
    with app.app_context():
        invoice = Invoice.get(Invoice.number == f"{YEAR}/02301")  # SOPHIE MARTIN, nothing paid
        invoice.lines[0].delete_instance()
        note = credit_notes.issue_credit_note(None, invoice, "Remise", amount_cents=12000, vat_rate_bp=2000)
        assert [(line.total_ht_cents, line.total_vat_cents) for line in note.lines] == [(10000, 2000)]
        assert Invoice.with_paid().where(Invoice.id == invoice.id).get().balance_cents == 234000 - 12000


def test_a_draft_is_not_credited_and_a_credit_payment_is_not_cancelled(app, issued):
    invoice_id = issued(("Grutage", 1000, 1500000, 2000))
    with app.app_context():
        draft = invoicing.create_draft(
            None, Customer.get(Customer.code == "C0001"), "x", [invoicing.Line("a", 1000, 100)]
        )
        with pytest.raises(invoicing.Refused, match="brouillon"):
            credit_notes.issue_credit_note(None, draft, "Non")
        note = credit_notes.issue_credit_note(None, invoice_id, "Geste", amount_cents=1000)
        with pytest.raises(invoicing.Refused, match="ne s'annule pas"):
            invoicing.cancel_payment(None, Payment.get_by_id(note.payment_id), "Erreur")


def test_a_paid_invoice_credited_owes_a_refund_recorded_once(app, auth, client, form_post):
    with app.app_context():
        port = Port.current()
        port.siren, port.vat_number = "732829320", "FR44732829320"
        port.save()
        invoice = Invoice.get(Invoice.number == f"{YEAR}/02235")  # 178,00 €, paid by transfer
        credit_notes.issue_credit_note(None, invoice, "Prestation non faite", amount_cents=5000)
        invoice_id = invoice.id
    assert balance(app, invoice_id) == -5000
    auth.staff(role="agent")
    url = f"/staff/invoices/{invoice_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Rembourser le client" in page and "50,00 €" in page
    for amount, message in (
        ("60,00", "dépasse ce qui est dû"),
        ("zéro", "Saisissez un montant"),
        ("0", "supérieur à zéro"),
    ):
        response = form_post(
            url, f"{url}/refunds", refund_amount=amount, paid_on=f"{YEAR}-03-02", refund_how="Virement"
        )
        assert response.status_code == 422 and message in response.get_data(as_text=True), amount
    response = form_post(url, f"{url}/refunds", refund_amount="50,00", paid_on=f"{YEAR}-03-02", refund_how="")
    assert response.status_code == 422 and "obligatoire" in response.get_data(as_text=True)
    response = form_post(
        url, f"{url}/refunds", refund_amount="50,00", paid_on=f"{YEAR}-03-02", refund_how="Virement 42"
    )
    assert response.status_code == 303
    assert balance(app, invoice_id) == 0
    with app.app_context():
        refund = Payment.get(Payment.method == "refund")
        assert refund.amount_cents == -5000 and refund.reference == "Virement 42"
    response = form_post(url, f"{url}/refunds", refund_amount="1,00", paid_on=f"{YEAR}-03-02", refund_how="Encore")
    assert response.status_code == 422 and "rien à rembourser" in response.get_data(as_text=True)


def test_compte_client_counts_the_credit_note_and_links_its_pdf(app, auth, client, issued, tmp_path):
    invoice_id = issued(("Électricité", 312500, 2316, 550), ("Place", 1000, 12666700, 2000))
    with app.app_context():
        line = Invoice.get_by_id(invoice_id).lines[0]
        note = credit_notes.issue_credit_note(None, invoice_id, "Relevé faux", quantities={line.id: 100000})
        number, invoice_number, note_id = note.number, Invoice.get_by_id(invoice_id).number, note.id
        before = statement.statement(Customer.get(Customer.code == "C0001").id)
    assert before.total_cents == 152000 + 17800 + 159636 and before.paid_cents == 67000 + 17800 + 2443
    auth.boater("C0001")
    page = client.get("/account/").get_data(as_text=True)
    assert number in page and "24,43 €" in page and "1 571,93 €" in page  # the invoice's balance after the credit
    assert f"/account/credit-notes/{note_id}/pdf" in page
    text = pdf_text(client.get(f"/account/credit-notes/{note_id}/pdf").data, tmp_path)
    for mention in (
        f"Avoir n° {number}",
        f"Se rapporte à la facture n° {invoice_number}",
        "Motif : Relevé faux",
        "Électricité 100 0,2316 € 5,5 % 23,16 €",
        "0,2316 €",
        "TVA 5,5 % sur 23,16 € HT",
        "Total TTC 24,43 €",
        "SIREN 732829320",
        "N° TVA intracommunautaire : FR44732829320",
    ):
        assert mention in text, mention
    invoice_text = pdf_text(client.get(f"/account/invoices/{invoice_id}/pdf").data, tmp_path)
    assert f"Avoir n° {number}" in invoice_text and "Solde à régler 1 571,93 €" in invoice_text


def test_another_boater_never_sees_a_credit_note(app, auth, client, issued):
    invoice_id = issued(("Grutage", 1000, 1500000, 2000))
    with app.app_context():
        note_id = credit_notes.issue_credit_note(None, invoice_id, "Geste", amount_cents=1000).id
    auth.boater("C0002")
    assert client.get(f"/account/credit-notes/{note_id}/pdf").status_code == 404
    assert "AV" not in client.get("/account/").get_data(as_text=True)


def test_staff_credit_note_form_by_line_amount_and_whole(app, auth, client, form_post, issued):
    invoice_id = issued(("Grutage", 1000, 1500000, 2000), ("Nuitées", 3000, 200000, 1000))
    auth.staff(role="agent")
    url = f"/staff/invoices/{invoice_id}"
    with app.app_context():
        first, second = [line.id for line in Invoice.get_by_id(invoice_id).lines.order_by(InvoiceLine.position)]
    bad = [
        (dict(mode="lines", reason="x", **{f"qty-{first}": "beaucoup"}), "saisissez une quantité"),
        (dict(mode="lines", reason="x"), "au moins une ligne"),
        (dict(mode="lines", reason="x", **{f"qty-{second}": "3,5"}), "dépasse celle qui reste"),
        (dict(mode="amount", credit_amount="", reason="x"), "Saisissez un montant"),
        (dict(mode="amount", credit_amount="-5", reason="x"), "Saisissez un montant"),
        (dict(mode="amount", credit_amount="0", reason="x"), "supérieur à zéro"),
        (dict(mode="amount", credit_amount="10000", reason="x"), "dépasse ce qui reste"),
        (dict(mode="whole", reason=""), "Indiquez le motif"),
        (dict(mode="n'importe", reason="x"), "Choisissez"),
    ]
    for fields, message in bad:
        response = form_post(url, f"{url}/credit-notes", **fields)
        assert response.status_code == 422, fields
        assert message.lower() in response.get_data(as_text=True).lower(), (fields, message)
    with app.app_context():
        assert not CreditNote.select().exists()
    assert (
        form_post(url, f"{url}/credit-notes", mode="lines", reason="Une nuit", **{f"qty-{second}": "1"}).status_code
        == 303
    )
    assert (
        form_post(url, f"{url}/credit-notes", mode="amount", credit_amount="10,00", reason="Geste").status_code == 303
    )
    assert form_post(url, f"{url}/credit-notes", mode="whole", reason="Annulation").status_code == 303
    assert balance(app, invoice_id) == 0
    page = client.get(url).get_data(as_text=True)
    assert f"AV{YEAR}/00001" in page and f"AV{YEAR}/00003" in page and "Corriger par un avoir" not in page
