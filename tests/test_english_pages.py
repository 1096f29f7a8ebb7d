"""Every boater page in English: no French left outside the tutorial's fixed words and the port's own data."""

import datetime as dt
import html
import re

import pytest
from conftest import csrf_token

from marina_portal.contracts.signing import DECLARATIONS
from marina_portal.core.formats import paris_today
from marina_portal.models import (
    Absence,
    Berth,
    Contract,
    ContractTerms,
    Customer,
    Document,
    Invoice,
    Mandate,
    NewsItem,
    PaymentAttempt,
    Port,
    User,
    WaitingListApplication,
    utcnow,
)
from marina_portal.sepa.mandates import legal_text

# The tutorial's own words: printed in French in the tutorial, so they stay French in both languages.
TUTORIAL_WORDS = [
    "Total factures - Total règlements",
    "Total factures",
    "Total règlements",
    "Total à régler",
    "Référence de la facture",
    "Adresse de réception du ticket de paiement",
    "MANDAT DE PRELEVEMENT SEPA",
    "REFERENCE UNIQUE DU MANDAT (RUM)",
    "POUR UN PRELEVEMENT RECURRENT",
    "Paiement en ligne",
    "Paiement par prélèvement",
    "Paiement par chèque ou virement",
    "Je souhaite m'inscrire",
    "J'ai un contrat",
    "Je n'ai pas de contrat",
    "Numéro de facture",
    "Date de facture",
    "Montant TTC",
    "Date de signature",
    "ESPACE DE TELECHARGEMENT",
    "COMPTE CLIENT",
    "CONTRAT",
    "Signer le contrat",
    "Contrat signé le",
    "N° Facture",
    "Montant T.T.C",
    "Réglé",
    "Solde",
    "Libellé",
    "règlement",
    "Mot de passe",
    "Adresse mail",
    "ETAPE 1/3",
    "ETAPE 2/3",
    "ETAPE 3/3",
    "Accepter les 3 étapes obligatoires",
    "Vous pouvez télécharger votre contrat qui est enregistré au port (au format PDF)",
    "Français",  # the language switch names French in French
]
# Common French words and marks that English text never contains.
FRENCH = [
    " le ",
    " la ",
    " les ",
    " des ",
    " du ",
    " au ",
    " aux ",
    " votre ",
    " vos ",
    " pour ",
    " avec ",
    " est ",
    " une ",
    " un ",
    " et ",
    " sur ",
    " dans ",
    " ou ",
    " mon ",
    " ma ",
    " mes ",
    " à ",
    " vous ",
    " de ",
    " en ",
    "é",
    "è",
    "ê",
    "à",
    "ç",
    "û",
    "ô",
    "î",
    "«",
    "»",
]
SKIPPED = ("/staff", "/dev", "/sandbox", "/static", "/outbox", "/payment/notify", "/language", "/logout")


def visible_text(page):
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return " " + re.sub(r"\s+", " ", html.unescape(page)) + " "


def allowed_data(app):
    """The demo's own data: names, addresses, invoice labels, document titles, the port's hours and legal texts."""
    with app.app_context():
        port = Port.get()
        words = [port.name, port.street, port.town, port.hours, port.country]
        for customer in Customer.select():
            words += [
                customer.full_name,
                customer.first_name,
                customer.last_name,
                customer.street or "",
                customer.town or "",
            ]
        for invoice in Invoice.select():
            words.append(invoice.label)
        for contract in Contract.select():
            words += [contract.contract_type, contract.payment_terms or ""]
        words += [terms.body for terms in ContractTerms.select()]
        words += [document.title for document in Document.select()]
        # The mandate's wording is the legal text the boater signs (kept as printed in the signed PDF).
        words.append(legal_text(port.name))
    return sorted({w for w in words + list(DECLARATIONS.values()) if w}, key=len, reverse=True)


def french_left(text, allowed):
    for words in allowed + TUTORIAL_WORDS:
        text = text.replace(words, " ")
    text = re.sub(r"\s+", " ", text)
    return sorted({word.strip() for word in FRENCH if word in text}), text


def boater_urls(app):
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith(SKIPPED):
            continue
        if any(part in rule.endpoint for part in ("notify", "static", "sandbox", "staff", "outbox")):
            continue
        urls.append(rule.rule)
    return sorted(urls)


def switch(client):
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/language", data={"csrf_token": token, "language": "en", "next": "/"}).status_code == 303


def check(client, urls, allowed):
    problems = {}
    for url in urls:
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            continue
        assert response.status_code == 200, (url, response.status_code)
        if not response.mimetype.startswith("text/html"):
            continue
        found, text = french_left(visible_text(response.get_data(as_text=True)), allowed)
        if found:
            problems[url] = (found, text[:3000])
    assert not problems, "\n\n".join(f"{url}: {found}\n{text}" for url, (found, text) in problems.items())


def test_anonymous_pages_in_english(app, client):
    switch(client)
    check(client, boater_urls(app), allowed_data(app))


def give_jean_a_port_life(app, user):
    """An absence to come, a berth offered from the waiting list and an alert: every block of his pages shows."""
    with app.app_context():
        port = Port.get()
        customer = Customer.get(Customer.code == "C0001")
        contract = Contract.get(Contract.customer == customer)
        today = paris_today()
        Absence.create(
            contract=contract,
            starts_on=today + dt.timedelta(days=10),
            ends_on=today + dt.timedelta(days=20),
            comment="Croisière",
        )
        berth = Berth.create(port=port, code="Z-01", length_cm=1000, width_cm=350)
        WaitingListApplication.create(
            port=port,
            user=user.id,
            last_name="DUPONT",
            first_name="Jean",
            email=user.email,
            boat_name="ALBATROS",
            boat_type="Voilier",
            length_cm=950,
            beam_cm=320,
            draught_cm=150,
            wanted_from=today,
            confirmed_at=utcnow(),
            status="offered",
            offered_berth=berth,
            offer_deadline=today + dt.timedelta(days=7),
        )
        NewsItem.create(port=port, title="Coupure", body="Coupure", is_alert=True)
        invoice = Invoice.select().where(Invoice.customer == customer, Invoice.total_cents == 152000).get()
        return contract, invoice


def test_boater_pages_in_english(app, client, auth):
    user = auth.boater("C0001")
    contract, invoice = give_jean_a_port_life(app, user)
    switch(client)
    urls = boater_urls(app) + [
        f"/contract/{contract.id}/sign",
        f"/payment/invoices/{invoice.id}",
        "/mandate/",
        "/mandate/?edit=1",
    ]
    assert "/absences/" in urls and "/waiting-list/" in urls and "/account/" in urls
    check(client, urls, allowed_data(app) + ["Croisière", "Coupure", "ALBATROS"])


@pytest.mark.parametrize("status", ["paid", "refused", "pending"])
def test_payment_return_and_signed_mandate_in_english(app, client, auth, status):
    """The bank's return page in each state, and the mandate page once signed (a revoked one in its history)."""
    auth.boater("C0001")
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        invoice = Invoice.select().where(Invoice.customer == customer, Invoice.total_cents == 152000).get()
        PaymentAttempt.create(
            invoice=invoice,
            customer=customer,
            reference="EN0001",
            amount_cents=85000,
            receipt_email="jean.dupont@example.com",
            status=status,
            notified_at=utcnow(),
        )
        Mandate.create(customer=customer, rum="RUM-OLD", status="revoked", revoked_at=utcnow())
        Mandate.create(
            customer=customer,
            rum="RUM-NEW",
            status="active",
            debtor_name="JEAN DUPONT",
            street="1 quai",
            postcode="66000",
            town="Perpignan",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPPXXX",
            signed_at=utcnow(),
        )
    switch(client)
    check(
        client, ["/payment/EN0001/ok", "/payment/EN0001/err", "/mandate/"], allowed_data(app) + ["Perpignan", "1 quai"]
    )


def test_the_check_finds_french(app, client, auth):
    """The same walk in French fails: the word list does catch the pages' own words."""
    auth.boater("C0001")
    with pytest.raises(AssertionError) as failure:
        check(client, ["/account/"], allowed_data(app))
    assert " votre" in str(failure.value) or "'vos'" in str(failure.value)


def in_days(days):
    return (paris_today() + dt.timedelta(days=days)).strftime("%d/%m/%Y")


def test_refusals_and_mails_in_the_boaters_language(app, client, auth, form_post, mailbox):
    auth.boater("C0001")
    switch(client)
    with app.app_context():
        contract_id = Contract.get(Contract.customer == Customer.get(Customer.code == "C0001")).id
    refused = form_post("/absences/new", contract=str(contract_id), starts_on=in_days(12), ends_on=in_days(5))
    assert "The return date must be after the departure date" in refused.get_data(as_text=True)
    done = form_post("/absences/new", contract=str(contract_id), starts_on=in_days(5), ends_on=in_days(12))
    assert done.status_code == 303
    message = mailbox.last("jean.dupont@example.com")
    assert message["Subject"] == "Your absence is recorded"
    text = mailbox.text(message)
    assert text.startswith("Hello JEAN DUPONT,") or text.startswith("Hello Jean DUPONT,")
    assert "Departure : " + in_days(5) in text and "Phone help" in text
    assert "Your absence is recorded. A confirmation email" in client.get("/absences/").get_data(as_text=True)
    bad_iban = form_post(
        "/mandate/",
        debtor_name="JEAN DUPONT",
        street="1 quai",
        postcode="66000",
        town="Perpignan",
        country="FR",
        iban="FR76 3000 6000 0112 3456 7890 180",
        bic="",
    )
    assert "check digits do not match: a character is probably wrong" in bad_iban.get_data(as_text=True)


def test_staff_actions_mail_each_boater_in_their_own_language(app, client, auth, form_post, mailbox):
    """A French-speaking harbour office publishes news: the English boater reads it in English, others in French."""
    jean = auth.create_boater("C0001")
    auth.create_boater("C0002", email="sophie.martin@example.com")
    with app.app_context():
        User.update(language="en").where(User.id == jean.id).execute()
    auth.staff()
    assert form_post("/staff/port/news", title="Travaux", body="Quai nord fermé.", send_mail="y").status_code == 303
    messages = {m["To"]: m for m in mailbox.wait_for(2)}
    assert messages["jean.dupont@example.com"]["Subject"] == "Port news: Travaux"
    assert "Published on" in mailbox.text(messages["jean.dupont@example.com"])
    assert messages["sophie.martin@example.com"]["Subject"] == "Information du port : Travaux"
    assert "Publié le" in mailbox.text(messages["sophie.martin@example.com"])


BOATER_MAILS = [
    "payment_receipt",
    "absence_confirmation",
    "absence_credit",
    "waiting_list_confirm",
    "waiting_list_lapsed",
    "waiting_list_offer",
    "waiting_list_reminder",
    "sepa_prenotification",
    "contract_to_sign",
    "news",
    "password_reset",
    "first_login",
    "register",
    "already_registered",
]


@pytest.mark.parametrize("template", BOATER_MAILS)
def test_boater_mails_render_in_english(app, template):
    from types import SimpleNamespace as Thing

    from flask import render_template

    from marina_portal.core.i18n import in_language

    day, moment = dt.date(2026, 7, 1), dt.datetime(2026, 7, 1, 10, 0)
    customer = Thing(first_name="JEAN", last_name="DUPONT", full_name="JEAN DUPONT", email="j@example.com", phone="")
    context = dict(
        port=Thing(name="PORT", phone="+33 1", email="port@example.com", hours="9-17", creditor_id="FR00ZZZ"),
        customer=customer,
        link="https://portal.example/x",
        login="j@example.com",
        amount="12,00 €",
        event="declared",
        invoice=Thing(number="Y/1", label="LABEL", balance_cents=0),
        attempt=Thing(amount_cents=100, notified_at=moment, reference="R1"),
        absence=Thing(starts_on=day, ends_on=day, comment="NOTE"),
        berth=Thing(code="B-1", length_cm=900, width_cm=300),
        letting=Thing(starts_on=day, ends_on=day),
        deadline=day,
        application=Thing(first_name="Jean", last_name="DUPONT", boat_name="ALBATROS", offer_deadline=day),
        mandate=Thing(debtor_name="JEAN DUPONT", iban="FR7630006000011234567890189", rum="RUM1"),
        debits=[Thing(invoice=Thing(number="Y/1"), amount_cents=100)],
        collection_date="01/07/2026",
        contract=Thing(number="C-1", contract_type="TYPE", starts_on=day, ends_on=day),
        item=Thing(is_alert=True, title="TITLE", body="BODY", published_at=moment),
    )
    with app.test_request_context(), in_language("en"):
        for suffix in ("txt", "html"):
            text = visible_text(render_template(f"mail/{template}.{suffix}", **context))
            found, rest = french_left(text, ["Français"])
            assert not found, (template, suffix, found, rest)


def test_boat_and_papers_pages_in_english(app, client, auth):
    """Mon bateau et mes papiers with a change waiting, a refused one, an expired and a current paper."""
    from marina_portal.models import Boat, BoatChange

    user = auth.boater("C0001")
    reason = "Longueur fausse"
    with app.app_context():
        customer = Customer.get(Customer.code == "C0001")
        boat = Boat.get(Boat.customer == customer)
        second = Boat.create(customer=customer, name="ANNEXE", boat_type="Semi-rigide", length_cm=350)
        BoatChange.create(
            boat=boat, customer=customer, requested_by=user.id, name="NOUVEAU", boat_type="Catamaran", length_cm=1000
        )
        BoatChange.create(
            boat=second,
            customer=customer,
            requested_by=user.id,
            name="ANNEXE",
            status="refused",
            decided_at=utcnow(),
            refusal_reason=reason,
        )
        for kind, until in (("insurance", paris_today() - dt.timedelta(days=3)), ("registration", None)):
            Document.create(
                port=customer.port_id,
                customer=customer,
                title="x",
                kind=kind,
                valid_until=until,
                filename="x.pdf",
                content_type="application/pdf",
                size=1,
                sha256="x",
                stored_as="x",
            )
    switch(client)
    urls = ["/my-boat/", "/my-boat/contact", f"/my-boat/boats/{boat.id}/change"]
    check(client, urls, allowed_data(app) + [boat.name, "NOUVEAU", "ANNEXE", boat.registration, reason])
    page = client.get("/my-boat/").get_data(as_text=True)
    assert "Change requested on" in page and "Your last change request was refused" in page
    assert "Your insurance certificate expired on" in page


@pytest.mark.parametrize(
    "template, status",
    [("boat_change_decided", "approved"), ("boat_change_decided", "refused"), ("insurance_reminder", None)],
)
def test_boat_and_papers_mails_render_in_english(app, template, status):
    from types import SimpleNamespace as Thing

    from flask import render_template

    from marina_portal.core.i18n import in_language

    boat = Thing(name="ALBATROS", registration="CC 1", length_cm=950, beam_cm=320, draught_cm=150)
    context = dict(
        port=Thing(name="PORT", phone="+33 1", email="port@example.com", hours="9-17"),
        customer=Thing(first_name="JEAN", last_name="DUPONT"),
        link="https://portal.example/my-boat/",
        boat=boat,
        change=Thing(status=status, refusal_reason="REASON"),
    )
    with app.test_request_context(), in_language("en"):
        for suffix in ("txt", "html"):
            text = visible_text(render_template(f"mail/{template}.{suffix}", **context))
            found, rest = french_left(text, ["Français"])
            assert not found, (template, suffix, found, rest)
            assert "https://portal.example/my-boat/" in text
