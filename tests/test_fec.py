"""The FEC read back by a reader that knows only the official column list: every entry balanced, every kind
of operation present once (invoices, credit notes, payments, a cancelled one, a refund, an absence credit,
a cheque deposit), the port's chart of accounts followed; and the plain CSVs."""

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from decimal import Decimal

from conftest import csrf_token

from marina_portal.billing import credit_notes, invoicing, receipts
from marina_portal.core.db import database
from marina_portal.models import Invoice, Payment, Port

# Article A47 A-1 of the Livre des procédures fiscales, in its order.
OFFICIAL = (
    "JournalCode JournalLib EcritureNum EcritureDate CompteNum CompteLib CompAuxNum CompAuxLib PieceRef PieceDate "
    "EcritureLib Debit Credit EcritureLet DateLet ValidDate Montantdevise Idevise"
).split()


def read_fec(text):
    """Rows as dicts, checked the way an auditor's tool checks them."""
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    assert rows[0] == OFFICIAL
    found = []
    for row in rows[1:]:
        assert len(row) == 18, row
        record = dict(zip(OFFICIAL, row))
        for name in ("EcritureDate", "PieceDate", "ValidDate"):
            dt.datetime.strptime(record[name], "%Y%m%d")
        for name in ("Debit", "Credit"):
            assert re.fullmatch(r"\d+,\d{2}", record[name]), record[name]
            record[name] = Decimal(record[name].replace(",", "."))
        assert record["CompteNum"] and record["JournalCode"] and record["EcritureNum"]
        found.append(record)
    return found


def entries(records):
    grouped = defaultdict(list)
    for record in records:
        grouped[(record["JournalCode"], record["EcritureNum"])].append(record)
    return grouped


def _year(app):
    with app.app_context():
        return Invoice.get(Invoice.number.endswith("02135")).issued_on.year


def _busy_year(app):
    """Every kind of operation on the demo: a credit note, card, cancelled cash, refund, absence credit, deposit."""
    year = _year(app)
    with app.app_context():
        port = Port.get()
        dupont = Invoice.get(Invoice.number.endswith("02135"))
        martin = Invoice.get(Invoice.number.endswith("02301"))
        service = Invoice.get(Invoice.number.endswith("02235"))
        credit_notes.issue_credit_note(None, martin, "Poste plus court", amount_cents=34000, on=dt.date(year, 3, 1))
        credit_notes.issue_credit_note(None, service, "Grutage non fait", amount_cents=5000, on=dt.date(year, 3, 2))
        invoicing.record_refund(None, service.id, 5000, dt.date(year, 3, 3), "Virement remboursement")
        Payment.create(invoice=dupont, method="card", amount_cents=20000, received_on=dt.date(year, 3, 4))
        cash = invoicing.record_payment(None, dupont.id, "cash", 1000, dt.date(year, 3, 5))
        invoicing.cancel_payment(None, cash, "Erreur de saisie")
        Payment.create(invoice=dupont, method="absence_credit", amount_cents=3000, received_on=dt.date(year, 3, 6))
        cheques = [p.id for p in receipts.cheques_to_deposit(port)]
        receipts.create_deposit(None, port, cheques, dt.date(year, 3, 7))
        database.close()
    return year


def test_fec_from_the_command_line_is_balanced_and_complete(app, runner, tmp_path):
    year = _busy_year(app)
    out = tmp_path / "fec.txt"
    result = runner.invoke(
        args=["accounting", "fec", "--from", f"{year}-01-01", "--to", f"{year}-12-31", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    records = read_fec(out.read_text(encoding="utf-8"))
    grouped = entries(records)
    for key, lines in grouped.items():
        assert sum(r["Debit"] for r in lines) == sum(r["Credit"] for r in lines), key
        assert len({(r["EcritureDate"], r["PieceRef"]) for r in lines}) == 1, key
    numbers = [int(n) for _, n in grouped]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))  # numbered without gaps
    dates = [r["EcritureDate"] for r in records]
    assert dates == sorted(dates)
    pieces = defaultdict(set)
    for (journal, number), lines in grouped.items():
        pieces[lines[0]["PieceRef"]].add(number)
    credit_note_refs = [ref for ref in pieces if ref.startswith("AV")]
    assert len(credit_note_refs) == 2 and all(len(pieces[ref]) == 1 for ref in credit_note_refs)  # each once
    # the customers' account holds what is still owed: the invoices' balances
    owed = sum(r["Debit"] - r["Credit"] for r in records if r["CompteNum"] == "411000")
    with app.app_context():
        balances = sum(i.balance_cents for i in Invoice.with_paid())
    assert owed * 100 == balances
    # VAT collected: 20 % on the invoices, less the credit notes' share
    vat = sum(r["Credit"] - r["Debit"] for r in records if r["CompteNum"] == "445712")
    assert vat == Decimal("253.33") + Decimal("29.67") + Decimal("390.00") - Decimal("56.67") - Decimal("8.33")
    journals = {r["JournalCode"] for r in records}
    assert journals == {"VE", "BQ", "OD"}
    cheques = sum(r["Debit"] - r["Credit"] for r in records if r["CompteNum"] == "511200")
    assert cheques == 0  # the demo's cheque went to the bank on the deposit slip
    reversal = [r for r in records if r["EcritureLib"].startswith("Annulation")]
    assert {r["CompteNum"] for r in reversal} == {"530000", "411000"}
    assert "Nom attendu" in result.output


def test_fec_of_a_short_period_and_bad_dates(app, runner, tmp_path):
    year = _busy_year(app)
    out = tmp_path / "march.txt"
    result = runner.invoke(
        args=["accounting", "fec", "--from", f"{year}-03-04", "--to", f"{year}-03-04", "-o", str(out)]
    )
    assert result.exit_code == 0
    records = read_fec(out.read_text(encoding="utf-8"))
    assert {r["EcritureDate"] for r in records} == {f"{year}0304"} and len(records) == 2
    for args in (["--from", "2027-13-01", "--to", "2027-12-31"], ["--from", "2027-12-31", "--to", "2027-01-01"]):
        result = runner.invoke(args=["accounting", "fec", *args, "-o", str(out)])
        assert result.exit_code != 0 and ("AAAA-MM-JJ" in result.output or "précède" in result.output)


def test_staff_chart_of_accounts_and_downloads(app, client, auth):
    year = _busy_year(app)
    auth.staff()
    page = client.get("/staff/accounting").get_data(as_text=True)
    response = client.post(
        "/staff/accounting",
        data={
            "csrf_token": csrf_token(page),
            "sales:Ponton:number": "706100",
            "sales:Ponton:label": "Amarrage ponton",
            "bank:number": "512100",
            "bank::number": "512100",
            "bank::label": "Crédit Agricole",
        },
    )
    assert response.status_code == 303
    fec = client.get(f"/staff/accounting/fec?from=01/01/{year}&to=31/12/{year}")
    assert fec.status_code == 200 and "FEC" in fec.headers["Content-Disposition"]
    records = read_fec(fec.get_data(as_text=True))
    accounts = {(r["CompteNum"], r["CompteLib"]) for r in records}
    assert ("706100", "Amarrage ponton") in accounts and ("512100", "Crédit Agricole") in accounts
    assert ("706000", "Prestations de services") in accounts  # the service invoice has no berth
    sales = client.get(f"/staff/accounting/sales.csv?from=01/01/{year}&to=31/12/{year}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(sales.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Type" and len(rows) == 1 + 3 + 2
    assert [
        "Facture",
        f"{year}/02135",
        f"15/01/{year}",
        "C0001",
        "DUPONT JEAN",
        "706100",
        "1266,67",
        "253,33",
        "1520,00",
    ] in rows
    assert any(r[0] == "Avoir" and r[-1] == "-340,00" for r in rows)
    paid = client.get(f"/staff/accounting/receipts.csv?from=01/01/{year}&to=31/12/{year}").get_data(as_text=True)
    assert "Remise de chèques" in paid and "-50,00" in paid
    bad = client.post("/staff/accounting", data={"csrf_token": csrf_token(page), "customers::number": "abc"})
    assert bad.status_code == 422 and "commence par un chiffre" in bad.get_data(as_text=True)
    assert client.get(f"/staff/accounting/fec?from=31/12/{year}&to=01/01/{year}").status_code == 422


def _visitor_pays(app, client):
    """A visitor holds two nights on A-07 (a berth without contract) and the bank accepts the card payment."""
    from payments_support import notification

    from marina_portal.core.formats import paris_today
    from marina_portal.models import Berth, VisitorStay
    from marina_portal.visitors import stays

    today = paris_today()
    with app.test_request_context():
        port, berth = Port.current(), Berth.get(Berth.code == "A-07")
        ask = stays.Ask("Alizé", 750, today, 2, "Marie Leroy", "marie@example.com", "3 rue", "29200", "BREST")
        stay = stays.hold(port, berth, ask)
        attempt, _ = stays.pay(stay, ask)
        amount = f"{attempt.amount_cents // 100}.{attempt.amount_cents % 100:02d}EUR"
        database.close()
    answer = client.post("/payment/monetico/notify", data=notification(attempt.reference, montant=amount))
    assert answer.get_data(as_text=True) == "version=2\ncdr=0\n"
    with app.app_context():
        stay = VisitorStay.get_by_id(stay.id)
        assert stay.status == "paid"
        invoice = Invoice.get_by_id(stay.invoice_id)
        database.close()
    return today, stay, invoice, attempt.amount_cents


def _fec_of_day(app, day):
    from marina_portal.accounting import fec

    with app.app_context():
        text = "\n".join(fec.lines(Port.current(), day, day)) + "\n"
        database.close()
    grouped = entries(read_fec(text))
    for rows in grouped.values():
        assert sum(r["Debit"] for r in rows) == sum(r["Credit"] for r in rows), rows
    return grouped


def _sale_and_payment(grouped, total_cents):
    sales = [rows for (journal, _), rows in grouped.items() if journal == "VE"]
    payments = [rows for (journal, _), rows in grouped.items() if journal == "BQ"]
    assert len(sales) == 1 and len(payments) == 1, grouped
    sale, payment = sales[0], payments[0]
    euros = Decimal(total_cents) / 100
    customer_debit = [r for r in sale if r["CompteNum"].startswith("411")]
    assert [r["Debit"] for r in customer_debit] == [euros]
    assert any(r["CompteNum"].startswith("4457") for r in sale)  # the VAT collected on the stay
    customer_credit = [r for r in payment if r["CompteNum"].startswith("411")]
    assert [r["Credit"] for r in customer_credit] == [euros]
    assert customer_debit[0]["CompAuxNum"] == customer_credit[0]["CompAuxNum"]  # the visitor's account is settled
    return sale


def test_a_visitor_stay_paid_by_card_is_a_sale_and_a_payment_in_the_fec(make_app):
    app = make_app(MONETICO_SANDBOX=True)
    with app.app_context():
        Port.update(siren="732829320", vat_number="FR44732829320").execute()
        database.close()
    day, _stay, invoice, total = _visitor_pays(app, app.test_client())
    assert invoice.status == "issued" and invoice.number  # issued when the bank accepted the payment
    sale = _sale_and_payment(_fec_of_day(app, day), total)
    assert {r["PieceRef"] for r in sale} == {invoice.number}
    assert {r["EcritureDate"] for r in sale} == {day.strftime("%Y%m%d")}


def test_on_a_port_without_its_legal_identity_the_visitor_sale_still_enters_the_fec(make_app):
    app = make_app(MONETICO_SANDBOX=True)
    day, stay, invoice, total = _visitor_pays(app, app.test_client())
    assert invoice.status == "draft"  # no SIREN: the office issues it later
    sale = _sale_and_payment(_fec_of_day(app, day), total)
    assert {r["PieceRef"] for r in sale} == {f"ESCALE-{stay.id}"}
    # Issued later (the identity entered), it is the same sale, on the same day, now under its number.
    with app.app_context():
        Port.update(siren="732829320", vat_number="FR44732829320").execute()
        number = invoicing.issue(invoice.id).number
        database.close()
    sale = _sale_and_payment(_fec_of_day(app, day), total)
    assert {r["PieceRef"] for r in sale} == {number}
    assert {r["EcritureDate"] for r in sale} == {day.strftime("%Y%m%d")}
