"""The absence that pays back: the nights a visitor paid on a berth during its holder's declared absence earn
the holder a credit, night by night, under the port's rule (Port.absence_credit_mode):
- "percent": a share of each night's price (absence_credit_value %);
- "per_night": a fixed amount per night sold (absence_credit_value cents);
- "free_nights": one free night for every N nights sold during the same absence (N = absence_credit_value,
  counted across the absence's visitors in night order), worth the grid's price of the night that completes the
  count: what the visitor paid for it. Two nights sold with N = 2 earn one night; three earn one; four, two.
Kept as a BerthLetting per absence, deducted from the holder's next invoice as before.
"""

import datetime as dt
from collections import defaultdict

from marina_portal.billing import absence_credits
from marina_portal.core.formats import euros
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.urls import external_url
from marina_portal.models import Absence, BerthLetting, Contract, Customer, Port, VisitorNight


def night_credit(port, price_cents, rank=1):
    """The credit one night sold earns; `rank` is its place (from 1) among the nights sold in its absence."""
    if port.absence_credit_mode == "per_night":
        return port.absence_credit_value
    if port.absence_credit_mode == "free_nights":
        every = max(1, port.absence_credit_value)
        return price_cents if rank % every == 0 else 0
    return (price_cents * port.absence_credit_value + 50) // 100


def _nights_already_credited(absence_id):
    return (
        VisitorNight.select().where((VisitorNight.absence == absence_id) & VisitorNight.letting.is_null(False)).count()
    )


def from_stay(stay):
    """Record the lettings (one per absence) the stay's nights make, and deduct the credits; mail the holders."""
    port = Port.get_by_id(stay.port_id)
    nights = list(VisitorNight.select().where((VisitorNight.stay == stay.id) & VisitorNight.absence.is_null(False)))
    by_absence = defaultdict(list)
    for night in nights:
        by_absence[night.absence_id].append(night)
    for absence_id, rows in by_absence.items():
        absence = Absence.select(Absence, Contract).join(Contract).where(Absence.id == absence_id).get()
        if absence.cancelled_at is not None:
            continue  # the holder came back meanwhile: no credit on a cancelled absence
        holder = absence.contract.customer_id
        with absence_credits.locked([holder]):
            rows.sort(key=lambda n: n.night)
            before = _nights_already_credited(absence_id)
            for rank, night in enumerate(rows, start=before + 1):
                night.credit_cents = night_credit(port, night.price_cents, rank)
            letting = BerthLetting.create(
                absence=absence,
                starts_on=rows[0].night,
                ends_on=rows[-1].night + dt.timedelta(days=1),
                revenue_cents=sum(n.price_cents for n in rows),
                credit_cents=sum(n.credit_cents for n in rows),
            )
            for night in rows:
                VisitorNight.update(letting=letting.id, credit_cents=night.credit_cents).where(
                    VisitorNight.id == night.id
                ).execute()
            deducted = absence_credits.apply([holder])
        _mail_holder(port, Customer.get_by_id(holder), letting, deducted)


def _mail_holder(port, customer, letting, deducted):
    if not customer.email or not letting.credit_cents:
        return
    send_email(
        customer.email,
        N_("Un crédit a été ajouté à votre compte"),
        "absence_credit",
        language=customer.language,
        customer=customer,
        letting=letting,
        amount=euros(letting.credit_cents),
        port=port,
        deducted=[(p.invoice.number, p.amount_cents) for p in deducted],
        link=external_url("absence.index"),
    )


def nights_for_customer(customer):
    """{letting id: [VisitorNight...]} of the customer's lettings made from visitors' nights, night by night."""
    rows = (
        VisitorNight.select(VisitorNight)
        .join(BerthLetting, on=(VisitorNight.letting == BerthLetting.id))
        .join(Absence)
        .join(Contract)
        .where(Contract.customer == customer)
        .order_by(VisitorNight.night)
    )
    found = defaultdict(list)
    for night in rows:
        found[night.letting_id].append(night)
    return dict(found)
