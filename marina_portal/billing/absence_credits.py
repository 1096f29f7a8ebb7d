"""Absence credits deducted from the next invoices: which invoice takes how much, once, under the write lock.

The rule ("déduit du solde de votre prochaine facture"):
- A letting's credit counts from the day staff recorded it (`BerthLetting.created_at`, Europe/Paris date):
  the day the boater is told about it. It is deducted only from invoices issued on or after that day,
  so importing or back-dating an older invoice never eats a credit.
- The customer's qualifying invoices with a balance take it oldest first (issue date, then number), each
  as one Payment of method "absence_credit" of min(credit left, balance): a balance never goes below
  zero and what is left waits for the following invoice. Credits are used in the order they were earned.
- It runs when staff record a letting, when an invoice is created (staff form; after a CSV import, in
  one pass for the customers it touched), and every night for everyone, as a safety net.
- Left alone: an invoice whose balance a direct debit is collecting, one with a card payment started
  within the hour (the bank may still take the whole amount asked), and one from which staff cancelled
  a credit deduction (they decided; the credit goes back and waits for another invoice).
- The credit still available is what was earned minus absence_credit payments not cancelled, so
  cancelling such a payment gives the credit back. Everything runs in one transaction that takes the
  write lock first, so two runs at once deduct a credit once.

"absence_credit" is not "credit" ("Avoir"): those are credit notes imported from the previous software.
"""

import datetime as dt

from peewee import fn

from marina_portal.billing.statement import refresh_pdfs_soon
from marina_portal.core import audit
from marina_portal.core.db import write_locked
from marina_portal.core.formats import paris_today, to_paris
from marina_portal.models import (
    ABSENCE_CREDIT,
    Absence,
    AttemptStatus,
    BerthLetting,
    CollectionStatus,
    Contract,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAttempt,
    utcnow,
)

METHOD = ABSENCE_CREDIT
NON_CASH_METHODS = (METHOD, "credit")  # deducted or credited, not money received
CARD_WINDOW = dt.timedelta(hours=1)  # as COMPTE CLIENT's "en attente de la banque"
AUDIT_FIELDS = ("invoice", "method", "amount_cents", "received_on", "reference")


def used_cents_by_customer(customer_ids=None):
    """{customer id: cents of absence credit already deducted (payments not cancelled)}."""
    query = (
        Payment.select(Invoice.customer, fn.SUM(Payment.amount_cents))
        .join(Invoice, on=(Payment.invoice == Invoice.id))
        .where((Payment.method == METHOD) & Payment.cancelled_at.is_null())
    )
    if customer_ids is not None:
        query = query.where(Invoice.customer.in_(list(customer_ids)))
    return {customer_id: int(cents) for customer_id, cents in query.group_by(Invoice.customer).tuples()}


def available_cents(customer):
    """Credit still available to the customer: earned from lettings, minus what invoices already took."""
    customer_id = getattr(customer, "id", customer)
    earned = (
        BerthLetting.select(fn.COALESCE(fn.SUM(BerthLetting.credit_cents), 0))
        .join(Absence)
        .join(Contract)
        .where(Contract.customer == customer_id)
        .scalar()
    )
    return int(earned or 0) - used_cents_by_customer([customer_id]).get(customer_id, 0)


def _remaining_pots(customer_ids=None):
    """{customer id: [[earned on, cents left], ...]} oldest first, the used amounts taken from the oldest."""
    query = (
        BerthLetting.select(Contract.customer, BerthLetting.created_at, BerthLetting.credit_cents)
        .join(Absence)
        .join(Contract)
        .where(BerthLetting.credit_cents > 0)
        .order_by(BerthLetting.created_at, BerthLetting.id)
    )
    if customer_ids is not None and len(customer_ids) <= 500:  # larger sets (imports): filtered below
        query = query.where(Contract.customer.in_(list(customer_ids)))
    pots = {}
    for customer_id, created_at, cents in query.tuples():
        if customer_ids is not None and customer_id not in customer_ids:
            continue
        pots.setdefault(customer_id, []).append([to_paris(created_at).date(), cents])
    used = used_cents_by_customer(pots.keys()) if pots else {}
    left = {}
    for customer_id, rows in pots.items():
        spent = used.get(customer_id, 0)
        for pot in rows:
            taken = min(spent, pot[1])
            pot[1] -= taken
            spent -= taken
        rows = [pot for pot in rows if pot[1] > 0]
        if rows:
            left[customer_id] = rows
    return left


def _open_invoices(pots):
    """The invoices that may take a credit, oldest first, with paid_cents, for the customers with pots."""
    since = min(pot[0] for rows in pots.values() for pot in rows)
    CancelledCredit = Payment.alias()
    refused = CancelledCredit.select(CancelledCredit.invoice).where(
        (CancelledCredit.method == METHOD) & CancelledCredit.cancelled_at.is_null(False)
    )
    card = PaymentAttempt.select(PaymentAttempt.invoice).where(
        (PaymentAttempt.status == AttemptStatus.PENDING)
        & (PaymentAttempt.created_at > utcnow() - CARD_WINDOW)
        & PaymentAttempt.customer.in_(list(pots))
    )
    invoices = (
        Invoice.with_paid()
        .where(
            Invoice.customer.in_(list(pots))
            & (Invoice.status == InvoiceStatus.ISSUED)
            & (Invoice.issued_on >= since)
            & (Invoice.collection_status != CollectionStatus.IN_PROGRESS)
            & Invoice.id.not_in(refused)
            & Invoice.id.not_in(card)
        )
        .order_by(Invoice.issued_on, Invoice.number, Invoice.id)
    )
    return [invoice for invoice in invoices if invoice.balance_cents > 0]


def locked(customer_ids):
    """One transaction holding the write lock on these customers (all when None) before anything is read."""
    rows = Customer.select(Customer.id)
    if customer_ids is not None:
        rows = rows.where(Customer.id.in_(sorted(customer_ids)))
    return write_locked(rows.order_by(Customer.id))


def apply(customer_ids=None, user=None, ip="", today=None):
    """Deduct the available credits of these customers (all when None) from their next invoices.

    Returns the Payments created. Call it inside the transaction that created the letting or invoice
    (after writing it), or on its own: it then takes the write lock itself.
    """
    if customer_ids is not None:
        customer_ids = {getattr(c, "id", c) for c in customer_ids}
        if not customer_ids:
            return []
    today = today or paris_today()
    created = []
    with locked(customer_ids):
        pots = _remaining_pots(customer_ids)
        if not pots:
            return []
        for invoice in _open_invoices(pots):
            amount = _take(pots[invoice.customer_id], invoice.issued_on, invoice.balance_cents)
            if not amount:
                continue
            payment = Payment.create(
                invoice=invoice,
                method=METHOD,
                amount_cents=amount,
                received_on=today,
                reference="Crédit absence",
                recorded_by=getattr(user, "id", user),
            )
            audit.record(user, "payment.absence_credit", payment, None, audit.snapshot(payment, AUDIT_FIELDS), ip)
            created.append(payment)
    if created:
        refresh_pdfs_soon(*{p.invoice_id for p in created})
    return created


def _take(pots, issued_on, balance):
    """Take up to `balance` from the pots earned on or before the invoice's date, oldest first."""
    taken = 0
    for pot in pots:
        if pot[0] > issued_on or taken == balance:
            continue
        part = min(pot[1], balance - taken)
        pot[1] -= part
        taken += part
    return taken
