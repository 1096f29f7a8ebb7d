"""`sepa export`: XSD-valid pain.008 batches, FRST then RCUR, no double collection, returns, lapses, notices."""

import datetime as dt
import os

import pytest
import sepaxml
from lxml import etree

from marina_portal.core.db import database
from marina_portal.core.formats import add_months, paris_today
from marina_portal.models import Customer, DirectDebit, Invoice, Mandate, Port, utcnow
from marina_portal.sepa import collection, mandates

SCHEMAS = os.path.join(os.path.dirname(sepaxml.__file__), "schemas")
COLLECTION = paris_today() + dt.timedelta(days=20)


def add_mandate(
    app,
    code="C0001",
    status="active",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPPXXX",
    signed_at=None,
    last_collection_on=None,
):
    with app.app_context():
        customer = Customer.get(Customer.code == code)
        mandate = Mandate.create(
            customer=customer,
            rum=mandates.new_rum(Port.current(), customer),
            status=status,
            debtor_name=customer.full_name,
            street=customer.street,
            postcode=customer.postcode,
            town=customer.town,
            iban=iban,
            bic=bic,
            signed_at=signed_at or utcnow(),
            last_collection_on=last_collection_on,
        )
        database.close()
    return mandate


def export(runner, tmp_path, date=COLLECTION, fmt=None, name="batch.xml"):
    out = tmp_path / name
    args = ["sepa", "export", "--collection-date", date.isoformat(), "-o", str(out)]
    if fmt:
        args += ["--format", fmt]
    result = runner.invoke(args=args)
    return result, (out.read_bytes() if out.exists() else None)


def parse(xml, fmt):
    schema = etree.XMLSchema(etree.parse(os.path.join(SCHEMAS, f"{fmt}.xsd")))
    document = etree.fromstring(xml)
    schema.assertValid(document)
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{fmt}"}
    return [
        {
            "seq": tx.getparent().findtext("p:PmtTpInf/p:SeqTp", namespaces=ns),
            "rum": tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=ns),
            "amount": tx.findtext("p:InstdAmt", namespaces=ns),
            "e2e": tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns),
            "iban": tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns),
        }
        for tx in document.iterfind(".//p:DrctDbtTxInf", namespaces=ns)
    ]


def db(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            database.close()


def balance(app, number_suffix):
    def read():
        invoice = Invoice.with_paid().where(Invoice.number.endswith(number_suffix)).get()
        return invoice.balance_cents, invoice.collection_status

    return db(app, read)


@pytest.mark.parametrize("fmt", ["pain.008.001.08", "pain.008.001.02"])
def test_export_is_xsd_valid_and_collects_jean_duponts_850(app, runner, tmp_path, mailbox, fmt):
    mandate = add_mandate(app)
    result, xml = export(runner, tmp_path, fmt=fmt)
    assert result.exit_code == 0, result.output
    (tx,) = parse(xml, fmt)
    assert tx == {
        "seq": "FRST",
        "rum": mandate.rum,
        "amount": "850.00",
        "e2e": tx["e2e"],
        "iban": "FR7630006000011234567890189",
    }
    debits = db(app, lambda: list(DirectDebit.select()))
    assert [d.end_to_end_id for d in debits] == [tx["e2e"]] and sum(d.amount_cents for d in debits) == 85000
    assert debits[0].prenotified_at is not None
    assert balance(app, "/02135") == (0, "in_progress")
    text = mailbox.text(mailbox.last("jean.dupont@example.com"))
    assert "850,00 €" in text and COLLECTION.strftime("%d/%m/%Y") in text
    assert mandate.rum in text and "FR72ZZZ123456" in text


def test_default_format_on_standard_output(app, runner):
    add_mandate(app)
    result = runner.invoke(args=["sepa", "export", "--collection-date", COLLECTION.isoformat()])
    assert result.exit_code == 0, result.output
    xml = result.stdout_bytes if hasattr(result, "stdout_bytes") else result.output.encode()
    start = xml.index(b"<?xml")
    assert parse(xml[start : xml.rindex(b"</Document>") + len(b"</Document>")], "pain.008.001.08")


def test_frst_then_rcur_and_nothing_collected_twice(app, runner, tmp_path, mailbox):
    mandate = add_mandate(app)
    result, xml = export(runner, tmp_path, name="one.xml")
    assert [t["seq"] for t in parse(xml, "pain.008.001.08")] == ["FRST"]

    again, nothing = export(runner, tmp_path, name="two.xml")
    assert again.exit_code == 1 and "Aucune facture à prélever" in again.output and nothing is None

    def new_invoice():
        customer = Customer.get(Customer.code == "C0001")
        Invoice.create(
            port=Port.current(),
            customer=customer,
            number="X/1",
            issued_on=paris_today(),
            due_on=paris_today(),
            label="Facture de prestation",
            total_cents=12345,
        )

    db(app, new_invoice)
    result, xml = export(runner, tmp_path, date=COLLECTION + dt.timedelta(days=30), name="three.xml")
    assert result.exit_code == 0, result.output
    (tx,) = parse(xml, "pain.008.001.08")
    assert (tx["seq"], tx["rum"], tx["amount"]) == ("RCUR", mandate.rum, "123.45")
    assert db(app, lambda: DirectDebit.select().count()) == 2


def test_invoices_due_after_the_collection_date_wait(app, runner, tmp_path):
    add_mandate(app)
    db(app, lambda: Invoice.update(due_on=COLLECTION + dt.timedelta(days=1)).execute())
    result, _ = export(runner, tmp_path)
    assert result.exit_code == 1 and "Aucune facture" in result.output


def test_revoked_and_lapsed_mandates_are_skipped(app, runner, tmp_path):
    add_mandate(app, "C0001", status="revoked")
    long_ago = dt.datetime.now() - dt.timedelta(days=37 * 31)
    lapsing = add_mandate(app, "C0002", signed_at=long_ago, last_collection_on=long_ago.date())
    result, xml = export(runner, tmp_path)
    assert result.exit_code == 1 and xml is None
    assert db(app, lambda: Mandate.get_by_id(lapsing.id).status) == "lapsed"
    current = add_mandate(app, "C0002")
    result, xml = export(runner, tmp_path)
    assert [(t["rum"], t["amount"]) for t in parse(xml, "pain.008.001.08")] == [(current.rum, "2340.00")]


def test_amounts_and_rums_equal_the_database_for_several_debtors(app, runner, tmp_path):
    add_mandate(app, "C0001")
    martin = add_mandate(app, "C0002", iban="DE89370400440532013000", bic="COBADEFFXXX")
    result, xml = export(runner, tmp_path, fmt="pain.008.001.02")
    assert result.exit_code == 0, result.output
    assert "2 prélèvement(s), 3 190,00 €" in result.output
    assert f"à prévenir par courrier : {martin.rum}" in result.output  # SOPHIE MARTIN has no email
    found = sorted((t["rum"], t["amount"], t["e2e"]) for t in parse(xml, "pain.008.001.02"))

    def expected():
        rows = DirectDebit.select(DirectDebit, Mandate).join(Mandate)
        return sorted(
            (d.mandate.rum, f"{d.amount_cents // 100}.{d.amount_cents % 100:02d}", d.end_to_end_id) for d in rows
        )

    assert found == db(app, expected)


def test_a_returned_debit_reopens_the_balance_and_the_next_is_frst_again(app, runner, tmp_path):
    add_mandate(app)
    result, xml = export(runner, tmp_path)
    (tx,) = parse(xml, "pain.008.001.08")
    returned = runner.invoke(args=["sepa", "return", tx["e2e"], "--reason", "AM04"])
    assert returned.exit_code == 0, returned.output
    assert "850,00 €" in returned.output
    assert balance(app, "/02135") == (85000, "")
    assert db(app, lambda: DirectDebit.get().status) == "returned"
    again = runner.invoke(args=["sepa", "return", tx["e2e"]])
    assert again.exit_code == 1 and "Aucun prélèvement en cours" in again.output
    result, xml = export(runner, tmp_path, name="retry.xml")
    assert [t["seq"] for t in parse(xml, "pain.008.001.08")] == ["FRST"]


def test_collection_date_must_leave_the_notice_period(app, runner, tmp_path):
    add_mandate(app)
    result, _ = export(runner, tmp_path, date=paris_today() + dt.timedelta(days=13))
    assert result.exit_code == 1 and "14 jours de préavis" in result.output
    assert db(app, lambda: DirectDebit.select().count()) == 0


def test_notice_period_is_configurable(make_app, tmp_path):
    app = make_app(SEPA_PRENOTIFICATION_DAYS=3)
    add_mandate(app)
    result, xml = export(app.test_cli_runner(), tmp_path, date=paris_today() + dt.timedelta(days=3))
    assert result.exit_code == 0, result.output


def test_bad_date_is_refused_clearly(app, runner):
    result = runner.invoke(args=["sepa", "export", "--collection-date", "15/12/2026"])
    assert result.exit_code == 2 and "AAAA-MM-JJ" in result.output


def test_settle_and_lapse_upkeep(app):
    add_mandate(app, "C0001", signed_at=dt.datetime(2020, 1, 1))
    fresh = add_mandate(app, "C0002")
    with app.app_context():
        assert mandates.lapse_dormant(paris_today()) != []
        assert Mandate.get_by_id(fresh.id).status == "active"
        assert collection.settle() == 0
        database.close()


def test_months_before_handles_month_ends():
    assert add_months(dt.date(2026, 2, 28), -36) == dt.date(2023, 2, 28)
    assert add_months(dt.date(2027, 3, 31), -1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 1, 15), -36) == dt.date(2023, 1, 15)
    assert add_months(dt.date(2024, 3, 31), -1) == dt.date(2024, 2, 29)


def test_the_exported_file_is_kept_with_the_batch(app, runner, tmp_path):
    add_mandate(app)
    result, xml = export(runner, tmp_path)
    with app.app_context():
        from marina_portal.models import DirectDebitBatch

        batch = DirectDebitBatch.get()
        assert collection.batch_file(batch) == xml
        assert batch.message_format == "pain.008.001.08" and batch.message_id
        database.close()


def test_debits_a_week_past_their_date_count_as_collected(app, runner, tmp_path):
    add_mandate(app)
    export(runner, tmp_path)
    with app.app_context():
        assert collection.settle(COLLECTION + dt.timedelta(days=6)) == 0
        assert collection.settle(COLLECTION + dt.timedelta(days=7)) == 1
        assert DirectDebit.get().status == "collected"
        database.close()
    assert balance(app, "/02135") == (0, "")


def test_migration_adds_the_batch_file_columns_to_an_older_database(app):
    from playhouse.migrate import SchemaMigrator, migrate

    from marina_portal.migrations import init_db

    with app.app_context():
        database.connect(reuse_if_open=True)
        migrator = SchemaMigrator.from_database(database.obj)
        migrate(
            migrator.drop_column("direct_debit_batch", "stored_as"),
            migrator.drop_column("direct_debit_batch", "sha256"),
        )
        database.execute_sql("DELETE FROM schema_migration WHERE name = 'm0040_direct_debit_batch_file'")
        assert "m0040_direct_debit_batch_file" in init_db()
        columns = {c.name for c in database.get_columns("direct_debit_batch")}
        assert {"stored_as", "sha256"} <= columns
        database.close()


def test_the_daily_huey_task_lapses_dormant_mandates(app):
    from marina_portal.sepa.tasks import daily_direct_debit_upkeep

    dormant = add_mandate(app, "C0001", signed_at=dt.datetime(2020, 1, 1), last_collection_on=dt.date(2021, 6, 1))
    with app.app_context():
        daily_direct_debit_upkeep.call_local()
        assert Mandate.get_by_id(dormant.id).status == "lapsed"
        database.close()
