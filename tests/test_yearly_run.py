"""The yearly run on the demo (renew, send, invoice, mail with a pay link) and on 5,000 contracts, twice each."""

import datetime as dt
import os
import re
import sys

import pytest

from marina_portal.billing import yearly_run
from marina_portal.core.db import database
from marina_portal.models import (
    Contract,
    Invoice,
    OutboxMail,
    Port,
    Tariff,
    YearlyInvoice,
)
from marina_portal.tariffs import grid, publishing

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from build_db import add_season_contracts  # noqa: E402  the bench's builder: one shape of a 5,000-contract port


def _identity(app):
    with app.app_context():
        Port.update(siren="732829320", vat_number="FR44732829320").execute()
        database.close()


def _next_season(app):
    with app.app_context():
        port = Port.get()
        current = Tariff.get()
        publishing.publish(None, grid.create_season(None, port, current.year + 1, current, 0))
        database.close()
        return current.year


def test_demo_year_renewed_and_invoiced_twice_without_duplicate(app, runner, mailbox):
    year = _next_season(app)
    result = runner.invoke(args=["billing", "run", "--year", str(year), "--dry-run"])
    assert "Factures à émettre" in result.output and "Bloquant" in result.output  # no SIREN yet
    _identity(app)
    result = runner.invoke(args=["billing", "run", "--year", str(year)])
    assert result.exit_code == 0 and "Rien à émettre" in result.output  # the demo's invoices are there
    result = runner.invoke(args=["billing", "renew", "--year", str(year + 1)])
    assert result.exit_code == 0 and "2 contrat(s)" in result.output, result.output
    assert "0 contrat(s)" in runner.invoke(args=["billing", "renew", "--year", str(year + 1)]).output
    with app.app_context():
        renewed = {c.customer.last_name: c for c in Contract.select().where(Contract.status == "draft")}
        assert renewed["DUPONT"].price_cents == 152000 and renewed["MARTIN"].price_cents == 234000
        assert renewed["DUPONT"].starts_on == dt.date(year + 1, 1, 1) and renewed["DUPONT"].number == f"{year + 1}-0042"
        database.close()
    dry = runner.invoke(args=["billing", "run", "--year", str(year + 1), "--dry-run"]).output
    assert dry.count("brouillon") == 2
    with app.test_request_context():
        sent, without = yearly_run.send_renewals(None, Port.get(), year + 1)
        database.close()
    assert sent == 1 and [c.customer.last_name for c in without] == ["MARTIN"]
    mailbox.clear()
    result = runner.invoke(args=["billing", "run", "--year", str(year + 1)])
    assert result.exit_code == 0 and "1 facture(s) émise(s)" in result.output, result.output
    mail = mailbox.wait_for(1)[0]
    assert "Votre facture est disponible" in mail["Subject"] and "/payment/link/" in mailbox.text(mail)
    assert "1 520,00 €" in mailbox.text(mail)
    again = runner.invoke(args=["billing", "run", "--year", str(year + 1)])
    assert "Rien à émettre" in again.output
    with app.app_context():
        invoice = Invoice.get(Invoice.contract == renewed["DUPONT"].id)
        assert invoice.status == "issued" and invoice.total_cents == 152000 and invoice.number
        assert invoice.service_from == dt.date(year + 1, 1, 1)
        assert Invoice.select().where(Invoice.contract == renewed["DUPONT"].id).count() == 1
        assert YearlyInvoice.select().count() == 1
        line = invoice.lines.get()
        assert "Redevance d'amarrage" in line.description and line.total_ht_cents == 126667


@pytest.mark.slow
def test_five_thousand_contracts_invoiced_once_each(make_app):
    app = make_app(MAIL_OUTBOX=True)
    year = add_season_contracts(app)
    runner = app.test_cli_runner()
    assert "5000 (" in runner.invoke(args=["billing", "run", "--year", str(year), "--dry-run"]).output
    result = runner.invoke(args=["billing", "run", "--year", str(year)])
    assert result.exit_code == 0 and "5000 facture(s)" in result.output, result.output
    assert "Rien à émettre" in runner.invoke(args=["billing", "run", "--year", str(year)]).output
    with app.app_context():
        numbers = [n for (n,) in Invoice.select(Invoice.number).join(YearlyInvoice).tuples()]
        assert len(numbers) == len(set(numbers)) == 5000
        tails = sorted(int(re.search(r"(\d+)$", n).group(1)) for n in numbers)
        assert tails == list(range(tails[0], tails[0] + 5000))  # gapless
        assert Invoice.select().where(Invoice.contract.is_null(False)).count() == 5000 + 2
        assert OutboxMail.select().where(OutboxMail.subject.startswith("Votre facture")).count() == 5000


def test_staff_run_the_year_from_the_back_office(app, client, auth, mailbox):
    from conftest import csrf_token

    year = _next_season(app) + 1
    _identity(app)
    auth.staff()
    page = client.get(f"/staff/yearly-run?year={year}").get_data(as_text=True)
    assert "Créer les 2 contrat(s)" in page and "3 860,00 €" in page
    token = csrf_token(page)
    assert client.post(f"/staff/yearly-run/renew?year={year}", data={"csrf_token": token}).status_code == 303
    page = client.get(f"/staff/yearly-run?year={year}").get_data(as_text=True)
    assert "2 contrat(s) %d à relire" % year in page and "brouillon : envoyez-le" in page
    response = client.post(f"/staff/yearly-run/send?year={year}", data={"csrf_token": token}, follow_redirects=True)
    assert "1 contrat(s) envoyé(s)" in response.get_data(as_text=True) and "MARTIN SOPHIE" in response.get_data(
        as_text=True
    )
    page = client.get(f"/staff/yearly-run?year={year}").get_data(as_text=True)
    assert "Émettre les 1 facture(s) (1 520,00 €)" in page
    response = client.post(f"/staff/yearly-run/invoice?year={year}", data={"csrf_token": token})
    assert response.status_code == 303 and "/staff/yearly-run/runs/" in response.headers["Location"]
    progress = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 / 1 facture(s)" in progress and "terminé" in progress and "hx-get" not in progress
    fragment = client.get(response.headers["Location"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="run-progress"')
    assert any("Votre facture est disponible" in m["Subject"] for m in mailbox.wait_for(2))
    again = client.post(f"/staff/yearly-run/invoice?year={year}", data={"csrf_token": token}, follow_redirects=True)
    assert "Aucune facture à émettre" in again.get_data(as_text=True)
    assert client.get("/staff/yearly-run/runs/999").status_code == 404
    assert client.get("/staff/yearly-run?year=abc").status_code == 200


def test_the_run_copies_each_contract_s_payment_schedule_onto_its_invoice(app, runner, mailbox):
    year = _next_season(app)
    _identity(app)
    with app.app_context():
        Contract.update(payment_schedule="debit_10").where(Contract.number == f"{year}-0042").execute()
        database.close()
    assert "2 contrat(s)" in runner.invoke(args=["billing", "renew", "--year", str(year + 1)]).output
    with app.app_context():
        renewed = Contract.get(Contract.number == f"{year + 1}-0042")
        assert renewed.payment_schedule == "debit_10"  # the renewal keeps the boater's choice
        Contract.update(status="signed").where(Contract.id == renewed.id).execute()
        database.close()
    result = runner.invoke(args=["billing", "run", "--year", str(year + 1)])
    assert result.exit_code == 0 and "1 facture(s) émise(s)" in result.output, result.output
    with app.app_context():
        invoice = Invoice.get(Invoice.contract == renewed.id)
        assert invoice.payment_schedule == "debit_10"
        Contract.update(payment_schedule="once").where(Contract.id == renewed.id).execute()
        assert Invoice.get_by_id(invoice.id).payment_schedule == "debit_10"  # issued: it never changes
