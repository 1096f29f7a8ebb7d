"""The dashboard's figures and its server-drawn chart; port settings with the bank key never shown back."""

import datetime as dt
import json

import pytest

from marina_portal.core.formats import paris_today
from marina_portal.dashboard import figures as dashboard
from marina_portal.models import (
    AuditLog,
    Contract,
    Customer,
    Invoice,
    Mandate,
    Payment,
    PaymentAttempt,
    PaymentNotification,
    Port,
)

YEAR = paris_today().year


def test_figures_from_the_demo(app):
    today = dt.date(YEAR, 12, 31)
    with app.app_context():
        port = Port.current()
        figures = dashboard.figures(port, today)
        assert figures["due_cents"] == 85000 + 234000
        assert (figures["overdue_cents"], figures["overdue_count"]) == (85000 + 234000, 2)
        assert (figures["contracts_signed"], figures["contracts_sent"]) == (0, 2)
        assert figures["active_mandates"] == 0 and figures["attempts_pending"] == 0 and figures["mismatches"] == 0
        assert dashboard.figures(port, dt.date(YEAR, 1, 2))["overdue_count"] == 0


def test_figures_follow_payments_signatures_mandates_and_the_bank(app):
    today = paris_today()
    with app.app_context():
        port = Port.current()
        invoice = Invoice.get(Invoice.number == f"{YEAR}/02301")
        Payment.create(invoice=invoice, method="cheque", amount_cents=40000, received_on=today)
        Payment.create(
            invoice=invoice, method="cash", amount_cents=5000, received_on=today, cancelled_at=dt.datetime(YEAR, 1, 1)
        )
        Contract.update(status="signed").where(Contract.number == f"{YEAR}-0042").execute()
        customer = Customer.get(Customer.code == "C0002")
        Mandate.create(customer=customer, rum="RUM-1", status="active")
        PaymentAttempt.create(invoice=invoice, customer=customer, reference="REF1", amount_cents=100)
        PaymentNotification.create(gateway="monetico", fields="{}", seal_valid=True, outcome="mismatch")
        figures = dashboard.figures(port, today)
        assert figures["due_cents"] == 85000 + 194000
        assert (figures["recent_count"], figures["recent_cents"]) == (1, 40000)
        assert (figures["contracts_signed"], figures["contracts_sent"]) == (1, 2)
        assert figures["active_mandates"] == 1 and figures["attempts_pending"] == 1 and figures["mismatches"] == 1
        series = dashboard.monthly_payments(port, today)
        assert len(series) == 12 and series[-1][1] >= 40000


def test_online_payments_page_lists_what_needs_a_look(app, client, auth):
    with app.app_context():
        invoice = Invoice.get(Invoice.number == f"{YEAR}/02301")
        PaymentAttempt.create(invoice=invoice, customer=invoice.customer, reference="REFWAIT", amount_cents=234000)
        PaymentAttempt.create(
            invoice=invoice, customer=invoice.customer, reference="REFPAID", amount_cents=1, status="paid"
        )
        PaymentNotification.create(
            gateway="monetico", reference="REFODD", fields="{}", seal_valid=True, outcome="mismatch"
        )
        PaymentNotification.create(
            gateway="monetico", reference="REFOK", fields="{}", seal_valid=True, outcome="recorded"
        )
    auth.staff(role="agent")
    html = client.get("/staff/online-payments").get_data(as_text=True)
    assert "REFWAIT" in html and "MARTIN SOPHIE" in html and "REFODD" in html and "écart de montant" in html
    assert "REFPAID" not in html and "REFOK" not in html


def test_bar_chart_geometry():
    chart = dashboard.bar_chart([("janv. 26", 0), ("févr. 26", 5000), ("mars 26", 10000)], width=300, height=124)
    heights = [bar["height"] for bar in chart["bars"]]
    assert heights == [0, 50.0, 100.0] and chart["bars"][2]["y"] == 0
    assert dashboard.bar_chart([])["bars"] == []


def test_dashboard_page_draws_an_svg_without_inline_style(client, auth):
    auth.staff(role="agent")
    html = client.get("/staff/").get_data(as_text=True)
    assert "<svg" in html and "<rect" in html and "style=" not in html
    assert "Total dû" in html and "3 190,00 €" in html
    assert "Paiements en ligne en attente" in html


@pytest.fixture
def admin(auth):
    auth.staff(role="admin")


def test_port_settings_save_and_hide_the_key(app, client, admin, form_post):
    fields = dict(
        name="PORT SAINTE MARIE LA MER",
        code="stemarie66",
        street="Quai de la Capitainerie",
        postcode="66000",
        town="SAINTE MARIE LA MER",
        phone="+33 633 700 099",
        email="web.management@example.com",
        hours="Du lundi au samedi",
        creditor_id="FR72ZZZ123456",
        monetico_tpe="7654321",
        monetico_company="ports",
        monetico_key="A" * 40,
    )
    response = form_post("/staff/settings", **fields)
    assert response.status_code == 303
    page = client.get("/staff/settings").get_data(as_text=True)
    assert "A" * 40 not in page and "Une clé est enregistrée." in page
    assert "+33 633 700 099" in page  # also in the footer of every page
    with app.app_context():
        port = Port.current()
        assert (port.code, port.monetico_key, port.monetico_tpe) == ("STEMARIE66", "A" * 40, "7654321")
        entry = AuditLog.get(AuditLog.action == "port.settings")
        assert "A" * 40 not in entry.before + entry.after
        assert json.loads(entry.after)["phone"] == "+33 633 700 099"
    fields.update(monetico_key="", hours="Tous les jours")
    form_post("/staff/settings", **fields)
    with app.app_context():
        assert Port.current().monetico_key == "A" * 40  # empty keeps the stored key


def test_port_settings_refuse_a_short_key(app, client, admin, form_post):
    response = form_post("/staff/settings", name="X", code="X", monetico_key="short")
    assert response.status_code == 422 and "40 caractères" in response.get_data(as_text=True)
    with app.app_context():
        assert Port.current().name == "PORT SAINTE MARIE LA MER"
