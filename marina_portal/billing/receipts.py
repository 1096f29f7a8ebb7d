"""Receipts: one PDF per payment received, a boater's yearly payment statement, and cheque deposit slips.

A receipt exists for every payment not cancelled whose amount is positive: at the office (cheque,
transfer, cash), by card, by direct debit, or an absence credit deducted (a credit note has its own PDF,
a refund none). Its number is the payment's own ("R" + id), so it never changes and needs no counter.
A cheque goes on one deposit slip only (unique index).
"""

import datetime as dt

from peewee import JOIN

from marina_portal.billing.invoicing import METHOD_LABELS
from marina_portal.core import audit
from marina_portal.core.db import write_locked
from marina_portal.core.pdf import render_pdf_cached
from marina_portal.core.refusals import Refusal
from marina_portal.models import ChequeDeposit, ChequeDepositItem, Customer, Invoice, Payment


class Refused(Refusal):
    """A deposit slip that can't be made, with the words to show."""


def receipt_number(payment):
    return f"R{payment.id:07d}"


def _received():
    """Money (or an absence credit) received: not a credit note set against the invoice, not a refund."""
    return Payment.cancelled_at.is_null() & (Payment.amount_cents > 0) & (Payment.method != "credit")


def payments_of(customer_id, year=None):
    """The customer's payments that have a receipt, newest first, with their invoice (one query)."""
    query = (
        Payment.select(Payment, Invoice)
        .join(Invoice)
        .where((Invoice.customer == customer_id) & _received())
        .order_by(Payment.received_on.desc(), Payment.id.desc())
    )
    if year is not None:
        query = query.where(Payment.received_on.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    return list(query)


def receipt_of(payment_id, customer_id=None):
    """The payment with a receipt (of that customer, when given), or None."""
    query = (
        Payment.select(Payment, Invoice, Customer)
        .join(Invoice)
        .join(Customer)
        .where((Payment.id == payment_id) & _received())
    )
    if customer_id is not None:
        query = query.where(Invoice.customer == customer_id)
    return query.first()


def receipt_pdf(payment):
    invoice = payment.invoice
    return render_pdf_cached(
        f"receipt-{payment.id}",
        "pdf/receipt.html",
        port=invoice.port,
        customer=invoice.customer,
        invoice=invoice,
        payment=payment,
        number=receipt_number(payment),
        method=METHOD_LABELS.get(payment.method, payment.method),
    )


def years_of(customer_id):
    return sorted({p.received_on.year for p in payments_of(customer_id)}, reverse=True)


def statement_pdf(customer, year):
    """The yearly attestation: every payment received in `year`, oldest first, and their total."""
    payments = sorted(payments_of(customer.id, year), key=lambda p: (p.received_on, p.id))
    return render_pdf_cached(
        f"statement-{customer.id}-{year}",
        "pdf/payment_statement.html",
        port=customer.port,
        customer=customer,
        year=year,
        payments=payments,
        total=sum(p.amount_cents for p in payments),
        methods=METHOD_LABELS,
        number=receipt_number,
    )


# --- cheque deposits ------------------------------------------------------------------------------


def cheques_to_deposit(port):
    """Cheques received and not cancelled that no deposit slip carries yet, oldest first."""
    return list(
        Payment.select(Payment, Invoice, Customer)
        .join(Invoice)
        .join(Customer)
        .switch(Payment)
        .join(ChequeDepositItem, JOIN.LEFT_OUTER, on=(ChequeDepositItem.payment == Payment.id))
        .where((Invoice.port == port) & (Payment.method == "cheque") & _received() & ChequeDepositItem.id.is_null())
        .order_by(Payment.received_on, Payment.id)
    )


def create_deposit(user, port, payment_ids, deposited_on, ip=""):
    """A deposit slip for the chosen cheques, taken under the write lock so that a cheque goes on one slip."""
    wanted = {int(i) for i in payment_ids}
    if not wanted:
        raise Refused("Cochez au moins un chèque à remettre.")
    with write_locked(ChequeDeposit.select().where(ChequeDeposit.port == port)):
        cheques = [p for p in cheques_to_deposit(port) if p.id in wanted]
        if len(cheques) != len(wanted):
            raise Refused("Un des chèques cochés est déjà sur un bordereau ou a été annulé : rechargez la page.")
        deposit = ChequeDeposit.create(
            port=port,
            deposited_on=deposited_on,
            total_cents=sum(p.amount_cents for p in cheques),
            created_by=getattr(user, "id", None),
        )
        ChequeDepositItem.insert_many([{"deposit": deposit.id, "payment": p.id} for p in cheques]).execute()
        audit.record(
            user,
            "cheque_deposit.create",
            deposit,
            None,
            {"deposited_on": deposited_on, "cheques": sorted(wanted), "total_cents": deposit.total_cents},
            ip,
        )
    return deposit


def deposits(port, limit=50):
    return list(ChequeDeposit.select().where(ChequeDeposit.port == port).order_by(ChequeDeposit.id.desc()).limit(limit))


def deposit_cheques(deposit):
    return list(
        Payment.select(Payment, Invoice, Customer)
        .join(Invoice)
        .join(Customer)
        .switch(Payment)
        .join(ChequeDepositItem, on=(ChequeDepositItem.payment == Payment.id))
        .where(ChequeDepositItem.deposit == deposit.id)
        .order_by(Payment.received_on, Payment.id)
    )


def deposit_pdf(deposit):
    cheques = deposit_cheques(deposit)
    return render_pdf_cached(
        f"cheque-deposit-{deposit.id}",
        "pdf/cheque_deposit.html",
        port=deposit.port,
        deposit=deposit,
        cheques=cheques,
        total=sum(p.amount_cents for p in cheques),
    )
