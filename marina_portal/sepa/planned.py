"""Which of a boater's invoices direct debit takes care of: one way to pay per invoice.

With an active mandate, every open invoice goes into the next batch (collection.collectable), so the card is
not offered for it, unless it is to be paid in card instalments; an invoice already in an exported batch is
"in progress" until the debit settles.
"""

from dataclasses import dataclass, field

from marina_portal.billing import schedules
from marina_portal.models import DirectDebit, DirectDebitBatch, Invoice, Mandate


@dataclass
class DebitPlan:
    active: bool = False  # the customer has an active mandate
    dates: dict = field(default_factory=dict)  # invoice id -> collection date of its pending debit

    def collects(self, invoice):
        """Will (or does) direct debit pay this invoice? Then no other way to pay is offered for it."""
        return invoice.id in self.dates or (
            self.active and invoice.balance_cents > 0 and not schedules.by_card(invoice)
        )

    def date_for(self, invoice):
        """The collection date of the invoice's exported debit, or None while it waits for the next batch."""
        return self.dates.get(invoice.id)


def for_customer(customer_id):
    """The customer's DebitPlan, in two queries whatever the number of invoices."""
    return for_customers([customer_id])[customer_id]


def for_customers(customer_ids):
    """{customer id: DebitPlan} for many customers (a mailing's chunk), in two queries whatever their number."""
    ids = list(set(customer_ids))
    active = {
        c
        for (c,) in Mandate.select(Mandate.customer)
        .where(Mandate.customer.in_(ids) & (Mandate.status == "active"))
        .tuples()
    }
    pending = (
        DirectDebit.select(Invoice.customer, DirectDebit.invoice, DirectDebitBatch.collection_date)
        .join(DirectDebitBatch)
        .switch(DirectDebit)
        .join(Invoice)
        .where(Invoice.customer.in_(ids) & (DirectDebit.status == "pending"))
        .tuples()
    )
    plans = {c: DebitPlan(active=c in active) for c in ids}
    for customer_id, invoice_id, collection_date in pending:
        plans[customer_id].dates[invoice_id] = collection_date
    return plans
