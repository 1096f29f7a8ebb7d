"""Direct debits from the back office: preview a collection, export its batch, list batches, record returns.

The rules live in `sepa.py` (shared with the `sepa` command line); this module adds what the harbour office
needs around them: a preview before anything is recorded, totals per batch, and an audit entry per action.
"""

from dataclasses import dataclass

from peewee import JOIN, Case, fn

from marina_portal.core import audit
from marina_portal.models import Customer, DirectDebit, DirectDebitBatch, Invoice, Mandate, User
from marina_portal.sepa import collection

# Every reason code the EPC rulebook lets a bank give on a returned or rejected direct debit (ISO 20022).
RETURN_REASONS = tuple((code, f"{code} — {label}") for code, label in collection.RETURN_REASONS.items())


@dataclass
class PlannedDebit:
    mandate: Mandate
    invoices: list
    amount_cents: int
    sequence: str


def plan(port, collection_date):
    """What an export on that date would collect, without recording anything (three queries)."""
    rows = collection.collectable(port, collection_date)
    first = collection.first_time_mandates([m.id for m, _ in rows]) if rows else set()
    return [
        PlannedDebit(mandate, invoices, sum(i.debit_cents for i in invoices), "FRST" if mandate.id in first else "RCUR")
        for mandate, invoices in rows
    ]


def export(user, port, collection_date, message_format, ip="", expected_cents=None):
    """Record and return the batch (SepaError with a French message when nothing can go, or when it no
    longer adds up to `expected_cents`, the total shown on the preview)."""
    batch, _ = collection.export_batch(port, collection_date, message_format, user=user, expected_cents=expected_cents)
    debits = list(batch.debits)
    batch.by_post = len({d.end_to_end_id for d in debits if d.prenotified_at is None})  # no email: a letter
    audit.record(
        user,
        "sepa.export",
        batch,
        None,
        {
            "collection_date": collection_date.isoformat(),
            "format": message_format,
            "sha256": batch.sha256,
            "collections": len({d.end_to_end_id for d in debits}),
            "total_cents": sum(d.amount_cents for d in debits),
        },
        ip,
    )
    return batch


def batches(port):
    """Every batch, newest collection first, with its number of collections and its amounts by status."""

    def total(status=None):
        amount = DirectDebit.amount_cents
        if status:
            amount = Case(None, [(DirectDebit.status == status, DirectDebit.amount_cents)], 0)
        return fn.COALESCE(fn.SUM(amount), 0)

    return list(
        DirectDebitBatch.select(
            DirectDebitBatch,
            User.id,
            User.email,
            fn.COUNT(fn.DISTINCT(DirectDebit.end_to_end_id)).alias("collections"),
            total().alias("total_cents"),
            total("returned").alias("returned_cents"),
            total("pending").alias("pending_cents"),
        )
        .join(DirectDebit, JOIN.LEFT_OUTER, on=(DirectDebit.batch == DirectDebitBatch.id))
        .switch(DirectDebitBatch)
        .join(User, JOIN.LEFT_OUTER, on=(DirectDebitBatch.created_by == User.id))
        .where(DirectDebitBatch.port == port)
        .group_by(DirectDebitBatch.id, User.id)
        .order_by(DirectDebitBatch.collection_date.desc(), DirectDebitBatch.id.desc())
    )


@dataclass
class Collection:
    """One debit sent to the bank (one EndToEndId): a mandate's invoices summed."""

    end_to_end_id: str
    mandate: Mandate
    customer: Customer
    sequence: str
    status: str
    return_reason: str
    prenotified: bool
    invoices: list
    amount_cents: int


def collections(batch):
    """The batch's collections, in the order of the file (one query)."""
    debits = (
        DirectDebit.select(DirectDebit, Mandate, Customer, Invoice)
        .join(Mandate)
        .join(Customer)
        .switch(DirectDebit)
        .join(Invoice)
        .where(DirectDebit.batch == batch)
        .order_by(DirectDebit.id)
    )
    found = {}
    for debit in debits:
        row = found.get(debit.end_to_end_id)
        if row is None:
            row = found[debit.end_to_end_id] = Collection(
                debit.end_to_end_id,
                debit.mandate,
                debit.mandate.customer,
                debit.sequence_type,
                debit.status,
                debit.return_reason,
                debit.prenotified_at is not None,
                [],
                0,
            )
        row.invoices.append(debit.invoice)
        row.amount_cents += debit.amount_cents
    return list(found.values())


def record_return(user, batch, end_to_end_id, reason, ip=""):
    """The bank returned one collection of this batch: its invoices are due again."""
    belongs = DirectDebit.select().where((DirectDebit.batch == batch) & (DirectDebit.end_to_end_id == end_to_end_id))
    if not belongs.exists():
        raise collection.SepaError(f"Le lot n° {batch.id} ne contient pas le prélèvement {end_to_end_id}.")
    debits = collection.record_return(end_to_end_id, reason, user)
    audit.record(
        user,
        "sepa.return",
        ("direct_debit_batch", batch.id),
        None,
        {"end_to_end_id": end_to_end_id, "reason": reason, "amount_cents": sum(d.amount_cents for d in debits)},
        ip,
    )
    return debits
