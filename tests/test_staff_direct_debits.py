"""Prélèvements SEPA from the back office: preview, export, the file handed to the bank, returns."""

import datetime as dt
import os

import sepaxml
from conftest import csrf_token
from lxml import etree
from test_sepa_export import add_mandate

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import AuditLog, DirectDebit, DirectDebitBatch, Invoice, Port
from marina_portal.sepa import debit_batches

SCHEMAS = os.path.join(os.path.dirname(sepaxml.__file__), "schemas")
COLLECTION = paris_today() + dt.timedelta(days=20)


def read(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            database.close()


def preview(client, date=COLLECTION, fmt="pain.008.001.08"):
    return client.get(f"/staff/direct-debits?collection_date={date.isoformat()}&message_format={fmt}")


def export(client, date=COLLECTION, fmt="pain.008.001.08"):
    page = preview(client, date, fmt)
    return client.post(
        "/staff/direct-debits",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "collection_date": date.isoformat(),
            "message_format": fmt,
        },
    )


def balance_of_02135(app):
    return read(app, lambda: Invoice.with_paid().where(Invoice.number.endswith("/02135")).get().balance_cents)


def test_preview_shows_the_collection_and_records_nothing(app, client, auth):
    mandate = add_mandate(app)
    auth.staff(role="agent")
    html = preview(client).get_data(as_text=True)
    assert mandate.rum in html and "FRST" in html and "850,00" in html and "Exporter ce lot" in html
    assert read(app, DirectDebitBatch.select().count) == 0
    assert balance_of_02135(app) == 85000


def test_export_keeps_the_file_the_bank_gets_and_audits_it(app, client, auth, mailbox):
    mandate = add_mandate(app)
    auth.staff(role="agent")
    response = export(client)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "Lot de prélèvements n° 1" in html and mandate.rum not in html and "DUPONT" in html and "850,00" in html
    download = client.get("/staff/direct-debits/1/file")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    schema = etree.XMLSchema(etree.parse(os.path.join(SCHEMAS, "pain.008.001.08.xsd")))
    schema.assertValid(etree.fromstring(download.data))
    assert b"850.00" in download.data
    entry = read(app, lambda: AuditLog.get(AuditLog.action == "sepa.export"))
    assert '"total_cents": 85000' in entry.after
    assert mailbox.wait_for(1) and "850,00" in mailbox.text(mailbox.last("jean.dupont@example.com"))
    listing = client.get("/staff/direct-debits").get_data(as_text=True)
    assert "Lot n° 1" in listing and "pain.008.001.08" in listing


def test_a_second_click_on_export_collects_nothing_twice(app, client, auth, mailbox):
    add_mandate(app)
    auth.staff(role="agent")
    assert export(client).status_code == 303
    again = export(client)
    assert again.status_code == 422
    assert "Aucune facture à prélever" in again.get_data(as_text=True)
    assert read(app, DirectDebitBatch.select().count) == 1
    assert read(app, DirectDebit.select().count) == 1


def test_too_early_a_date_is_explained_and_nothing_is_recorded(app, client, auth):
    add_mandate(app)
    auth.staff(role="agent")
    early = paris_today() + dt.timedelta(days=3)
    assert "ne laisse pas 14 jours" in preview(client, early).get_data(as_text=True)
    refused = export(client, early)
    assert refused.status_code == 422 and "jours de préavis" in refused.get_data(as_text=True)
    assert read(app, DirectDebitBatch.select().count) == 0


def test_a_bad_date_or_a_missing_token_is_refused_clearly(app, client, auth):
    auth.staff(role="agent")
    bad = client.get("/staff/direct-debits?collection_date=31/02/2027")
    assert bad.status_code == 422 and "Saisissez une date valide" in bad.get_data(as_text=True)
    page = client.get("/staff/direct-debits").get_data(as_text=True)
    incomplete = client.post("/staff/direct-debits", data={"csrf_token": csrf_token(page)})
    assert incomplete.status_code == 303
    assert "puis vérifiez le lot" in client.get(incomplete.headers["Location"]).get_data(as_text=True)
    assert read(app, DirectDebitBatch.select().count) == 0


def test_a_return_reopens_the_balance_once(app, client, auth, mailbox):
    add_mandate(app)
    auth.staff(role="agent")
    export(client)
    assert balance_of_02135(app) == 0
    e2e = read(app, lambda: DirectDebit.get().end_to_end_id)
    page = client.get("/staff/direct-debits/1").get_data(as_text=True)
    fields = {"csrf_token": csrf_token(page), "end_to_end_id": e2e, "reason": "AM04"}
    done = client.post("/staff/direct-debits/1/return", data=fields)
    assert done.status_code == 303
    assert "rejeté (AM04)" in client.get("/staff/direct-debits/1").get_data(as_text=True)
    assert balance_of_02135(app) == 85000
    again = client.post("/staff/direct-debits/1/return", data=fields)
    assert again.status_code == 422 and "Aucun prélèvement en cours" in again.get_data(as_text=True)
    assert balance_of_02135(app) == 85000
    assert read(app, lambda: AuditLog.select().where(AuditLog.action == "sepa.return").count()) == 1


def test_a_return_must_name_a_debit_of_that_batch(app, client, auth, mailbox):
    add_mandate(app)
    auth.staff(role="agent")
    export(client)
    page = client.get("/staff/direct-debits/1").get_data(as_text=True)
    refused = client.post(
        "/staff/direct-debits/1/return",
        data={"csrf_token": csrf_token(page), "end_to_end_id": "B999999M000001", "reason": "AM04"},
    )
    assert refused.status_code == 422 and "ne contient pas" in refused.get_data(as_text=True)
    assert balance_of_02135(app) == 0
    assert client.get("/staff/direct-debits/99").status_code == 404
    assert client.get("/staff/direct-debits/99/file").status_code == 404


def test_boaters_never_see_batches(app, client, auth, mailbox):
    add_mandate(app)
    auth.staff(role="agent")
    export(client)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff/direct-debits").get_data(as_text=True))})
    auth.boater("C0001")
    for url in ("/staff/direct-debits", "/staff/direct-debits/1", "/staff/direct-debits/1/file"):
        assert client.get(url).status_code == 403, url


def clear_port_account(app):
    with app.app_context():
        Port.update(iban="", bic="").execute()
        database.close()


def test_incomplete_port_settings_are_said_before_export_with_a_link(app, client, auth):
    add_mandate(app)
    clear_port_account(app)
    auth.staff(role="admin")
    html = preview(client).get_data(as_text=True)
    assert "Réglages du port incomplets : IBAN, BIC" in html and 'href="/staff/settings"' in html
    assert "Exporter ce lot" not in html
    refused = export(client)
    assert refused.status_code == 422
    assert "Réglages du port incomplets" in refused.get_data(as_text=True)
    assert 'href="/staff/settings"' in refused.get_data(as_text=True)
    assert read(app, DirectDebitBatch.select().count) == 0


def test_an_agent_is_told_who_completes_the_settings(app, client, auth):
    add_mandate(app)
    clear_port_account(app)
    auth.staff(role="agent")
    html = preview(client).get_data(as_text=True)
    assert "Réglages du port incomplets" in html and "administrateur" in html


def test_the_port_account_is_set_in_settings(app, client, auth, form_post):
    clear_port_account(app)
    auth.staff(role="admin")
    fields = dict(name="PORT SAINTE MARIE LA MER", code="STEMARIE66", creditor_id="FR72ZZZ123456")
    bad = form_post("/staff/settings", iban="FR76 3000 6000 0112 3456 7890 188", bic="", **fields)
    assert bad.status_code == 422 and "IBAN" in bad.get_data(as_text=True)
    done = form_post("/staff/settings", iban="fr76 3000 6000 0112 3456 7890 189", bic="agrifrpp", **fields)
    assert done.status_code == 303
    port = read(app, Port.current)
    assert (port.iban, port.bic) == ("FR7630006000011234567890189", "AGRIFRPPXXX")
    assert "Réglages du port incomplets" not in preview(client).get_data(as_text=True)


def add_batches(app, n):
    """n exported batches, each with one collection of two invoices, created by the first staff login."""
    from marina_portal.models import Customer, Mandate, User

    with app.app_context():
        user = User.select().where(User.role != "boater").first()
        mandate = Mandate.get()
        dupont = Customer.get(Customer.code == "C0001")
        for _ in range(n):
            batch = DirectDebitBatch.create(
                port=dupont.port,
                collection_date=COLLECTION,
                created_by=user,
                message_format="pain.008.001.08",
                stored_as="sepa/x.xml",
            )
            for k in range(2):
                invoice = Invoice.create(
                    port=dupont.port,
                    customer=dupont,
                    number=f"Q{batch.id}-{k}",
                    issued_on=paris_today(),
                    total_cents=1000,
                )
                DirectDebit.create(
                    batch=batch,
                    mandate=mandate,
                    invoice=invoice,
                    amount_cents=1000,
                    sequence_type="RCUR",
                    end_to_end_id=f"B{batch.id:06d}M{mandate.id:06d}",
                )
        database.close()


def test_the_batch_list_costs_the_same_however_many_batches(app, client, auth):
    from test_staff_queries import queries

    add_mandate(app)
    auth.staff(role="agent")
    add_batches(app, 1)
    few = queries(client, "/staff/direct-debits")
    add_batches(app, 12)
    assert queries(client, "/staff/direct-debits") == few
    html = client.get("/staff/direct-debits").get_data(as_text=True)
    assert html.count("20,00 €") == 13 and html.count("<small>par agent") == 13  # who exported each batch


def test_batch_totals_split_by_status(app, client, auth):
    add_mandate(app)
    auth.staff(role="agent")
    add_batches(app, 2)
    with app.app_context():
        DirectDebit.update(status="returned", return_reason="AM04").where(DirectDebit.batch == 2).execute()
        rows = {b.id: b for b in debit_batches.batches(Port.current())}
        database.close()
    assert (rows[1].collections, rows[1].total_cents, rows[1].returned_cents, rows[1].pending_cents) == (
        1,
        2000,
        0,
        2000,
    )
    assert (rows[2].collections, rows[2].total_cents, rows[2].returned_cents, rows[2].pending_cents) == (
        1,
        2000,
        2000,
        0,
    )


def test_a_debtor_without_email_is_to_be_told_by_post(app, client, auth, mailbox):
    add_mandate(app)
    add_mandate(app, code="C0002")
    auth.staff(role="agent")
    html = client.get(export(client).headers["Location"]).get_data(as_text=True)
    assert "1 débiteur sans adresse mail à prévenir par courrier" in html  # said in the message after export
    martin = html[html.index("MARTIN") :]
    assert "à prévenir par courrier" in martin[:300]
    assert "à prévenir par courrier" not in html[html.index("DUPONT") :][:300]
    assert mailbox.wait_for(1) and mailbox.last("jean.dupont@example.com")


def test_the_older_format_is_exported_on_request(app, client, auth, mailbox):
    add_mandate(app)
    auth.staff(role="agent")
    html = preview(client, fmt="pain.008.001.02").get_data(as_text=True)
    assert 'value="pain.008.001.02" selected' in html or 'selected value="pain.008.001.02"' in html
    assert export(client, fmt="pain.008.001.02").status_code == 303
    download = client.get("/staff/direct-debits/1/file")
    assert download.mimetype == "application/xml"
    assert 'filename="prelevements-' + COLLECTION.isoformat() + '-lot1.xml"' in download.headers["Content-Disposition"]
    schema = etree.XMLSchema(etree.parse(os.path.join(SCHEMAS, "pain.008.001.02.xsd")))
    schema.assertValid(etree.fromstring(download.data))
    assert "pain.008.001.02" in client.get("/staff/direct-debits/1").get_data(as_text=True)


def test_an_unknown_format_is_refused_clearly(app, client, auth):
    add_mandate(app)
    auth.staff(role="agent")
    bad = preview(client, fmt="pain.001")
    assert bad.status_code == 422 and "Exporter ce lot" not in bad.get_data(as_text=True)
    refused = export(client, fmt="pain.001")
    assert refused.status_code == 422 and "Format inconnu" in refused.get_data(as_text=True)
    assert read(app, DirectDebitBatch.select().count) == 0


def test_no_return_reason_is_chosen_for_the_officer(app, client, auth, mailbox):
    """A return cannot be undone: the reason must be picked from the bank's notice, never left at a default."""
    add_mandate(app)
    auth.staff(role="agent")
    export(client)
    page = client.get("/staff/direct-debits/1").get_data(as_text=True)
    assert '<option value="" selected>' in page
    e2e = read(app, lambda: DirectDebit.get().end_to_end_id)
    refused = client.post(
        "/staff/direct-debits/1/return", data={"csrf_token": csrf_token(page), "end_to_end_id": e2e, "reason": ""}
    )
    assert refused.status_code == 422 and "le motif donné par la banque" in refused.get_data(as_text=True)
    assert balance_of_02135(app) == 0


def test_a_batch_that_changed_since_the_preview_is_shown_again_not_exported(app, client, auth, mailbox):
    from marina_portal.models import Payment

    add_mandate(app)
    auth.staff(role="agent")
    page = preview(client).get_data(as_text=True)
    assert "Exporter ce lot (850,00 €)" in page
    with app.app_context():  # meanwhile the boater pays 100,00 € of it by card
        invoice = Invoice.get(Invoice.number.endswith("/02135"))
        Payment.create(invoice=invoice, method="card", amount_cents=10000, received_on=paris_today())
        database.close()
    fields = {
        "csrf_token": csrf_token(page),
        "collection_date": COLLECTION.isoformat(),
        "message_format": "pain.008.001.08",
        "expected_cents": "85000",
    }
    stale = client.post("/staff/direct-debits", data=fields)
    html = stale.get_data(as_text=True)
    assert stale.status_code == 422 and "a changé depuis" in html and "Exporter ce lot (750,00 €)" in html
    assert 'name="expected_cents" type="hidden" value="75000"' in html
    assert read(app, DirectDebitBatch.select().count) == 0
    fields["expected_cents"] = "75000"
    assert client.post("/staff/direct-debits", data=fields).status_code == 303
    assert read(app, lambda: DirectDebit.get().amount_cents) == 75000


def test_the_port_account_check_speaks_french_to_staff_whatever_their_language(app, client, auth, form_post):
    from marina_portal.models import User

    auth.staff(role="admin")
    with app.app_context():
        User.update(language="en").execute()
        database.close()
    bad = form_post("/staff/settings", name="PORT", code="STEMARIE66", iban="FR76 3000 6000 0112 3456 7890 188")
    assert bad.status_code == 422 and "chiffres de contrôle" in bad.get_data(as_text=True)


def test_a_batch_file_missing_from_disk_is_explained(app, client, auth, mailbox):
    add_mandate(app)
    auth.staff(role="agent")
    assert export(client).status_code == 303
    with app.app_context():
        from marina_portal.core.storage import absolute

        os.remove(absolute(DirectDebitBatch.get().stored_as))
        database.close()
    missing = client.get("/staff/direct-debits/1/file")
    assert missing.status_code == 404 and "introuvable" in missing.get_data(as_text=True)
