"""Visitors who pay on arrival: each berth's QR code leads to its page; a visitor on B-12 during JEAN DUPONT's
absence sees the grid's price and pays by card without an account; the receipt gives the gate code; two visitors
racing for one night: one wins, the other is told before paying; JEAN's credit comes from the nights sold."""

import datetime as dt
import html
import re

import pytest
import segno
from conftest import at_once, csrf_token
from payments_support import bank_form, notification

from marina_portal.billing import absence_credits, invoicing
from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import (
    ABSENCE_CREDIT,
    Absence,
    Berth,
    BerthLetting,
    Contract,
    Customer,
    Invoice,
    Payment,
    Port,
    VisitorNight,
    VisitorStay,
)
from marina_portal.visitors import stays

APP_CONFIG = {"MONETICO_SANDBOX": True}
TODAY = paris_today()


def jean_away(app, days=5, start=None):
    """JEAN declares an absence from today (or `start`) for `days` nights."""
    start = start or TODAY
    with app.app_context():
        contract = Contract.get(Contract.number.endswith("-0042"))
        if start + dt.timedelta(days=days) > contract.ends_on:  # late December: the contract runs on
            Contract.update(ends_on=start + dt.timedelta(days=days + 30)).where(Contract.id == contract.id).execute()
        absence = Absence.create(contract=contract, starts_on=start, ends_on=start + dt.timedelta(days=days))
        database.close()
    return absence


def stay_fields(page_html, **changes):
    fields = {
        "csrf_token": csrf_token(page_html),
        "boat_name": "Alizé",
        "length": "9,50",
        "arrives_on": TODAY.isoformat(),
        "nights": "2",
        "visitor_name": "Marie Leroy",
        "street": "3 rue des Mouettes",
        "postcode": "29200",
        "town": "Brest",
        "country": "FR",
        "email": "marie.leroy@example.com",
    }
    fields.update(changes)
    return fields


def test_the_qr_sheet_codes_lead_to_their_berths(app, client, auth):
    auth.staff()
    sheet = client.get("/staff/visitors/qr")
    assert sheet.status_code == 200
    page = sheet.get_data(as_text=True)
    figures = re.findall(
        r'<figure class="qr-code" data-berth="([^"]+)">\s*(<svg.*?</svg>).*?<small>([^<]+)</small>', page, re.S
    )
    assert [code for code, _, _ in figures] == ["A-07", "B-12", "C-03"]
    for code, svg, url in figures:
        url = html.unescape(url)
        assert url == app.config["BASE_URL"].rstrip("/") + f"/escale/{code}"
        assert svg == segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
        visited = client.get(url.replace(app.config["BASE_URL"].rstrip("/"), ""))
        assert visited.status_code == 200 and f"Escale au poste {code}" in visited.get_data(as_text=True)
    assert 'style="' not in page.split('<div class="qr-sheet">', 1)[1]  # the CSP allows no inline style


def test_a_visitor_pays_two_nights_during_jean_s_absence(app, client, mailbox):
    jean_away(app)
    page = client.get("/escale/B-12").get_data(as_text=True)
    assert "Escale au poste B-12" in page
    priced = client.post("/escale/B-12", data=stay_fields(page))
    text = priced.get_data(as_text=True)
    assert priced.status_code == 200, text
    assert "79,20 €" in text and "33,00 €" in text  # 2 × 33,00 € HT + 20 % VAT
    paying = client.post("/escale/B-12/payer", data=stay_fields(text))
    assert paying.status_code == 200
    action, fields = bank_form(paying.get_data(as_text=True))
    assert fields["montant"] == "79.20EUR" and fields["mail"] == "marie.leroy@example.com"
    answer = client.post("/payment/monetico/notify", data=notification(fields["reference"], montant="79.20EUR"))
    assert answer.get_data(as_text=True) == "version=2\ncdr=0\n"
    receipt = mailbox.last("marie.leroy@example.com")
    assert "B-12" in receipt["Subject"] and "4721B" in mailbox.text(receipt)
    with app.app_context():
        stay = VisitorStay.get()
        assert stay.status == "paid" and stay.total_cents == 7920
        invoice = Invoice.get_by_id(stay.invoice_id)
        assert invoice.status == "draft"  # the demo port has no SIREN yet: the office issues it later
        assert Payment.get(Payment.invoice == invoice.id).method == "card"
        letting = BerthLetting.get()
        assert (letting.starts_on, letting.ends_on) == (TODAY, TODAY + dt.timedelta(days=2))
        assert letting.revenue_cents == 7920 and letting.credit_cents == 3960  # the demo's rule: 50 %
        assert [n.credit_cents for n in VisitorNight.select().order_by(VisitorNight.night)] == [1980, 1980]
        database.close()
    returned = client.get(f"/payment/{fields['reference']}/ok")
    assert returned.status_code == 200 and "Paiement accepté" in returned.get_data(as_text=True)


def test_the_credit_from_the_nights_sold_is_shown_and_deducted(app, client, auth, mailbox):
    with app.app_context():
        Port.update(siren="732829320", vat_number="FR44732829320").execute()
        database.close()
    jean_away(app)
    page = client.get("/escale/B-12").get_data(as_text=True)
    paying = client.post("/escale/B-12/payer", data=stay_fields(page))
    _, fields = bank_form(paying.get_data(as_text=True))
    client.post("/payment/monetico/notify", data=notification(fields["reference"], montant="79.20EUR"))
    with app.app_context():
        stay = VisitorStay.get()
        assert Invoice.get_by_id(stay.invoice_id).number  # issued once the port's identity is complete
        jean = Customer.get(Customer.code == "C0001")
        issued = invoicing.issue(
            invoicing.create_draft(None, jean, "Facture de prestation", [invoicing.Line("Grutage", 1000, 10000)])
        )
        credit = Payment.get((Payment.invoice == issued.id) & (Payment.method == ABSENCE_CREDIT))
        assert credit.amount_cents == 3960
        database.close()
    assert "39,60 €" in mailbox.text(mailbox.last("jean.dupont@example.com"))
    boater = app.test_client()
    from conftest import Auth

    Auth(app, boater).boater()
    absences = boater.get("/absences/").get_data(as_text=True)
    night = TODAY.strftime("%d/%m/%Y")
    assert f"nuit du {night}, vendue 39,60 €" in absences and "19,80 €" in absences


def test_a_berth_whose_holder_is_there_is_refused_before_paying(app, client):
    page = client.get("/escale/B-12").get_data(as_text=True)
    refused = client.post("/escale/B-12", data=stay_fields(page))
    assert refused.status_code == 422
    assert "n&#39;est pas libre la nuit du" in refused.get_data(as_text=True)
    free = client.post("/escale/A-07", data=stay_fields(page, length="7,50"))  # A-07 has no contract
    assert free.status_code == 200 and "Payer par carte" in free.get_data(as_text=True)


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"length": "neuf"}, "Indiquez une mesure en mètres"),
        ({"nights": "30"}, "Indiquez de 1 à 14 nuits."),
        ({"email": "pas-une-adresse"}, "Saisissez une adresse mail valide."),
        ({"arrives_on": "2001-01-01"}, "aujourd&#39;hui ou plus tard"),
        ({"length": "12,50"}, "plus long que ce poste"),
        ({"boat_name": ""}, "Ce champ est obligatoire."),
        ({"country": "France"}, "deux lettres"),
    ],
)
def test_bad_input_gets_clear_french_words(app, client, changes, words):
    page = client.get("/escale/A-07").get_data(as_text=True)
    answer = client.post("/escale/A-07", data=stay_fields(page, **changes))
    assert answer.status_code == 422 and words in answer.get_data(as_text=True)


def test_an_unknown_berth_is_404(client):
    assert client.get("/escale/Z-99").status_code == 404


def test_two_visitors_racing_for_one_night_one_wins(app):
    jean_away(app, days=3)
    with app.app_context():
        port, berth = Port.current(), Berth.get(Berth.code == "B-12")
        database.close()

    def visitor(name, nights):
        return lambda: stays.hold(
            port,
            berth,
            stays.Ask(
                name, 950, TODAY + dt.timedelta(days=1), nights, name, f"{name}@example.com", "1 quai", "29200", "BREST"
            ),
        )

    results = at_once(app, visitor("un", 1), visitor("deux", 2))
    won = [r for r in results if isinstance(r, VisitorStay)]
    lost = [r for r in results if isinstance(r, stays.StayRefused)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "pas libre la nuit du" in str(lost[0]) or "vient de réserver" in str(lost[0])
    with app.test_request_context():
        assert VisitorNight.select().count() == (won[0].leaves_on - won[0].arrives_on).days
        winner = VisitorStay.get_by_id(won[0].id)
        attempt, _ = stays.pay(winner, stays.Ask("", 0, None, 0, "", winner.email))
        amount = f"{attempt.amount_cents // 100}.{attempt.amount_cents % 100:02d}EUR"
        database.close()
    client = app.test_client()
    assert (
        client.post("/payment/monetico/notify", data=notification(attempt.reference, montant=amount)).status_code == 200
    )
    with app.app_context():
        assert [s.status for s in VisitorStay.select()] == ["paid"]
        database.close()


def test_an_expired_hold_frees_the_night_and_a_late_payment_is_flagged(app, client, mailbox):
    jean_away(app)
    page = client.get("/escale/B-12").get_data(as_text=True)
    first = client.post("/escale/B-12/payer", data=stay_fields(page))
    _, fields = bank_form(first.get_data(as_text=True))
    with app.app_context():
        VisitorStay.update(held_until=dt.datetime(2000, 1, 1)).execute()  # its hour is over
        database.close()
    other = app.test_client()
    page = other.get("/escale/B-12").get_data(as_text=True)
    assert other.post("/escale/B-12/payer", data=stay_fields(page, email="b@example.com")).status_code == 200
    client.post("/payment/monetico/notify", data=notification(fields["reference"], montant="79.20EUR"))
    with app.app_context():
        assert VisitorStay.get(VisitorStay.email == "marie.leroy@example.com").status == "conflict"
        database.close()
    assert "à rembourser" in mailbox.last("web.management@example.com")["Subject"]


def test_staff_see_the_port_by_night_and_the_visitors_payments(app, client, auth):
    jean_away(app)
    page = client.get("/escale/B-12").get_data(as_text=True)
    paying = client.post("/escale/B-12/payer", data=stay_fields(page))
    _, fields = bank_form(paying.get_data(as_text=True))
    client.post("/payment/monetico/notify", data=notification(fields["reference"], montant="79.20EUR"))
    staff = app.test_client()
    from conftest import Auth

    Auth(app, staff).staff()
    night = staff.get("/staff/occupancy").get_data(as_text=True)
    assert "ALIZÉ (payé)" in night and "absent : DUPONT JEAN" in night and "SOPHIE" in night
    desk = staff.get("/staff/visitors").get_data(as_text=True)
    assert "Marie Leroy" in desk and "payée" in desk and "79,20 €" in desk
    drafts = staff.get("/staff/invoices?state=draft").get_data(as_text=True)
    assert "LEROY" in drafts
    token = csrf_token(desk)
    assert staff.post("/staff/visitors", data={"csrf_token": token, "gate_code": "<script>"}).status_code == 422
    assert staff.post("/staff/visitors", data={"csrf_token": token, "gate_code": "1234A"}).status_code == 303


def _visitor_nights(app, first, nights, name):
    """A visitor holds `nights` nights on B-12 from `first` and the bank accepts the card payment."""
    with app.test_request_context():
        port, berth = Port.current(), Berth.get(Berth.code == "B-12")
        ask = stays.Ask(name, 950, first, nights, name, f"{name}@example.com", "1 quai", "29200", "BREST")
        stay = stays.hold(port, berth, ask)
        attempt, _ = stays.pay(stay, ask)
        amount = f"{attempt.amount_cents // 100}.{attempt.amount_cents % 100:02d}EUR"
        database.close()
    answer = app.test_client().post("/payment/monetico/notify", data=notification(attempt.reference, montant=amount))
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "mode, value, credits",
    [
        ("percent", 50, lambda price: [price // 2] * 4),  # half of each night's price
        ("per_night", 1500, lambda price: [1500] * 4),  # a fixed amount per night sold
        ("free_nights", 2, lambda price: [0, price, 0, price]),  # one night in two, counted across the visitors
    ],
)
def test_the_credit_rule_applied_to_real_visitor_nights(app, mode, value, credits):
    jean_away(app, days=6)
    with app.app_context():
        Port.update(absence_credit_mode=mode, absence_credit_value=value).execute()
        database.close()
    _visitor_nights(app, TODAY, 3, "premier")
    _visitor_nights(app, TODAY + dt.timedelta(days=3), 1, "second")
    with app.app_context():
        nights = list(VisitorNight.select().order_by(VisitorNight.night))
        price = nights[0].price_cents
        assert [n.price_cents for n in nights] == [price] * 4  # the grid's night price for a 9,50 m boat
        assert [n.credit_cents for n in nights] == credits(price)
        lettings = list(BerthLetting.select().order_by(BerthLetting.starts_on))
        assert [letting.credit_cents for letting in lettings] == [sum(credits(price)[:3]), credits(price)[3]]
        jean = Customer.get(Customer.code == "C0001")
        deducted = sum(p.amount_cents for p in Payment.select().where(Payment.method == ABSENCE_CREDIT))
        assert deducted + absence_credits.available_cents(jean) == sum(credits(price))  # all of it, once
        database.close()
