"""Direct-debit batches follow an invoice's payment schedule: each collection takes the instalments fallen due
by its date and not yet paid or collected, never more than the balance; a returned instalment is taken again."""

import datetime as dt

from test_sepa_export import add_mandate, db

from marina_portal.billing import schedules
from marina_portal.core.formats import paris_today
from marina_portal.models import DirectDebit, Invoice, Payment, Port
from marina_portal.sepa import collection, debit_batches

DUE = paris_today() + dt.timedelta(days=30)


def martin_in_instalments(app, schedule="debit_10"):
    """SOPHIE MARTIN's 2 340,00 € (nothing paid) due on DUE, to be paid as `schedule`, with an active mandate."""
    add_mandate(app, code="C0002")

    def change():
        invoice = Invoice.get(Invoice.number.endswith("/02301"))
        Invoice.update(payment_schedule=schedule, due_on=DUE).where(Invoice.id == invoice.id).execute()
        return invoice.id

    return db(app, change)


def collect(app, collection_date):
    """Preview then export a batch for that date (exported 20 days before); the amount the batch took."""

    def run():
        port = Port.get()
        today = collection_date - dt.timedelta(days=20)
        previewed = sum(p.amount_cents for p in debit_batches.plan(port, collection_date))
        try:
            batch, _ = collection.export_batch(port, collection_date, today=today, expected_cents=previewed)
        except collection.SepaError as refused:
            assert "Aucune facture à prélever" in str(refused)
            return 0
        total = sum(d.amount_cents for d in batch.debits)
        assert total == previewed  # the page's preview and the export agree
        collection.settle(today=collection_date + dt.timedelta(days=collection.SETTLE_DAYS))
        return total

    return db(app, run)


def instalment_dates(count=10):
    return [schedules.add_months(DUE, n) for n in range(count)]


def test_ten_monthly_debits_take_one_instalment_a_month(app):
    invoice_id = martin_in_instalments(app)
    dates = instalment_dates()
    assert collect(app, DUE - dt.timedelta(days=1)) == 0  # nothing fallen due yet
    assert collect(app, DUE) == 234_00
    assert collect(app, DUE + dt.timedelta(days=10)) == 0  # the first is collected, the second not yet due
    assert collect(app, dates[1]) == 234_00
    assert collect(app, dates[3]) == 468_00  # a month without a batch: two instalments at once
    with app.app_context():
        file = collection.batch_file(DirectDebit.select().order_by(DirectDebit.id.desc()).get().batch).decode()
    assert "<Ustrd>Facture 2" in file and "/02301 echeance 4/10</Ustrd>" in file  # the EPC character set
    paid = db(app, lambda: Invoice.with_paid().where(Invoice.id == invoice_id).get().paid_cents)
    assert paid == 936_00
    amounts = db(app, lambda: [d.amount_cents for d in DirectDebit.select().order_by(DirectDebit.id)])
    assert amounts == [234_00, 234_00, 468_00]  # one debit per collection


def test_never_more_than_the_balance(app):
    invoice_id = martin_in_instalments(app)
    dates = instalment_dates()
    assert collect(app, DUE) == 234_00
    db(app, lambda: Payment.create(invoice=invoice_id, method="cheque", amount_cents=2000_00, received_on=DUE))
    assert collect(app, dates[4]) == 0  # the cheque covers every instalment fallen due
    assert collect(app, dates[9]) == 106_00  # the balance, not the tenth instalment
    balance = db(app, lambda: Invoice.with_paid().where(Invoice.id == invoice_id).get().balance_cents)
    assert balance == 0
    assert collect(app, schedules.add_months(DUE, 11)) == 0


def test_a_returned_instalment_is_collected_again_with_the_next(app):
    martin_in_instalments(app, "debit_3")
    dates = instalment_dates(3)
    assert collect(app, DUE) == 780_00
    e2e = db(app, lambda: DirectDebit.get().end_to_end_id)
    db(app, lambda: collection.record_return(e2e, "AM04"))
    assert collect(app, dates[1]) == 1560_00


def test_card_instalments_are_not_debited(app):
    martin_in_instalments(app, "card_3")
    assert collect(app, instalment_dates(3)[2]) == 0


def test_an_instalment_still_in_progress_holds_the_next_back(app):
    martin_in_instalments(app, "debit_3")
    dates = instalment_dates(3)

    def export_without_settling(collection_date):
        batch, _ = collection.export_batch(Port.get(), collection_date, today=collection_date - dt.timedelta(days=20))
        return sum(d.amount_cents for d in batch.debits)

    assert db(app, lambda: export_without_settling(DUE)) == 780_00
    assert collect(app, dates[1]) == 0  # the first debit has not settled: the invoice waits
    db(app, lambda: collection.settle(today=dates[1]))
    assert collect(app, dates[1]) == 780_00
