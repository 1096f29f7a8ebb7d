"""Absence declarations: a boater frees their berth for a while; a visitor letting earns them a credit.

Dates: `starts_on` is the day the boat leaves, `ends_on` the day it comes back, so the berth is free
for the nights in between (ends_on - starts_on nights). A boater may change or cancel an absence
until its first day; after that only the harbour office can.

Credits: each BerthLetting keeps the credit it earned (`credit_cents`), computed when staff record
it, from the port's setting: "percent" of the visitor revenue, "per_night" cents per night let, or
"free_nights": one night in N let is the holder's, worth the letting's average night price.
The credit still available is what was earned minus the Payments of method "absence_credit" (not
cancelled) that deduct it from the boater's next invoices: absence_credits.py holds that rule.
"""

import datetime as dt

from marina_portal.billing import absence_credits
from marina_portal.core.db import database
from marina_portal.core.formats import euros, fr_date, paris_today
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.refusals import Refusal
from marina_portal.core.urls import external_url
from marina_portal.models import Absence, Berth, BerthLetting, Contract, ContractStatus, Customer, Port, User, utcnow


class AbsenceRefused(Refusal):
    """A declaration, change or letting that can't be made, with the words to show."""


class EarlyReturn(Refusal):
    """The new return date falls while the berth is let: the boater must confirm, staff will be told."""

    def __init__(self, letting):
        super().__init__(
            N_(
                "Votre poste est loué à un bateau de passage jusqu'au %(date)s. "
                "Si vous revenez plus tôt, la capitainerie devra vous trouver une place : "
                "cochez la case de confirmation pour avancer votre retour, elle en sera prévenue."
            ),
            date=fr_date(letting.ends_on),
        )
        self.letting = letting


def contracts_with_berth(customer: Customer, today: dt.date | None = None) -> list[Contract]:
    """The customer's current contracts that hold a berth, soonest ending first."""
    today = today or paris_today()
    return list(
        Contract.select(Contract, Berth)
        .join(Berth)
        .where(
            (Contract.customer == customer)
            & (Contract.status != ContractStatus.CANCELLED)
            & (Contract.ends_on >= today)
        )
        .order_by(Contract.ends_on, Contract.id)
    )


def for_customer(customer: Customer) -> list[Absence]:
    """Every absence of the customer (cancelled ones too), newest first, with contract and berth."""
    return list(
        Absence.select(Absence, Contract, Berth)
        .join(Contract)
        .join(Berth)
        .where(Contract.customer == customer)
        .order_by(Absence.starts_on.desc(), Absence.id.desc())
    )


def get_for_customer(absence_id: int, customer: Customer) -> Absence | None:
    """The customer's own absence, or None (another boater's looks the same as a missing one)."""
    return (
        Absence.select(Absence, Contract, Berth)
        .join(Contract)
        .join(Berth)
        .where((Absence.id == absence_id) & (Contract.customer == customer))
        .first()
    )


def _covered_until(contract):
    """The last day the customer holds the contract's berth without a gap: next year's contract on the same berth,
    starting by the day after, carries an absence across the new year."""
    end = contract.ends_on
    if contract.berth_id is None:
        return end
    while True:
        following = (
            Contract.select(Contract.ends_on)
            .where(
                (Contract.customer == contract.customer_id)
                & (Contract.berth == contract.berth_id)
                & (Contract.status != ContractStatus.CANCELLED)
                & (Contract.starts_on <= end + dt.timedelta(days=1))
                & (Contract.ends_on > end)
            )
            .order_by(Contract.ends_on.desc())
            .first()
        )
        if following is None:
            return end
        end = following.ends_on


def _check_dates(contract, starts_on, ends_on, today, ignore_id=None):
    if starts_on is None or ends_on is None:
        raise AbsenceRefused("Indiquez la date de départ et la date de retour.")
    if starts_on < today:
        raise AbsenceRefused("La date de départ est passée : indiquez une date à partir d'aujourd'hui.")
    if ends_on <= starts_on:
        raise AbsenceRefused("La date de retour doit être après la date de départ (au moins le lendemain).")
    if starts_on < contract.starts_on or ends_on > contract.ends_on + dt.timedelta(days=1):
        covered = _covered_until(contract)
        if starts_on < contract.starts_on or ends_on > covered + dt.timedelta(days=1):
            raise AbsenceRefused(
                "Les dates doivent être comprises dans votre contrat, du %(start)s au %(end)s.",
                start=fr_date(contract.starts_on),
                end=fr_date(covered),
            )
    clash = (
        Absence.select()
        .where(
            (Absence.contract == contract)
            & Absence.cancelled_at.is_null()
            & (Absence.starts_on < ends_on)
            & (Absence.ends_on > starts_on)
            & (Absence.id != (ignore_id or 0))
        )
        .first()
    )
    if clash is not None:
        raise AbsenceRefused(
            "Ces dates chevauchent votre absence déjà déclarée du %(start)s au %(end)s. "
            "Modifiez celle-ci plutôt que d'en déclarer une autre.",
            start=fr_date(clash.starts_on),
            end=fr_date(clash.ends_on),
        )


def _check_still_open(absence, today):
    if absence.cancelled_at is not None:
        raise AbsenceRefused("Cette absence est annulée : déclarez-en une nouvelle si besoin.")
    if absence.starts_on <= today:
        raise AbsenceRefused(
            "Cette absence a déjà commencé : elle ne peut plus être modifiée ni annulée en ligne. "
            "Contactez la capitainerie pour changer votre date de retour."
        )


def declare(
    customer: Customer,
    contract_id: int,
    starts_on: dt.date,
    ends_on: dt.date,
    comment: str = "",
    today: dt.date | None = None,
) -> Absence:
    """Record a new absence on one of the customer's berths and mail a confirmation."""
    today = today or paris_today()
    contract = next((c for c in contracts_with_berth(customer, today) if c.id == contract_id), None)
    if contract is None:
        raise AbsenceRefused("Choisissez l'un de vos postes.")
    with database.atomic():
        _check_dates(contract, starts_on, ends_on, today)
        absence = Absence.create(
            contract=contract, starts_on=starts_on, ends_on=ends_on, comment=(comment or "").strip()
        )
    _mail_boater(customer, absence, contract, "declared")
    return absence


def change(
    customer: Customer,
    absence: Absence,
    starts_on: dt.date,
    ends_on: dt.date,
    comment: str = "",
    confirm_early: bool = False,
    today: dt.date | None = None,
) -> Absence:
    """Move an absence that hasn't started. A return brought forward while let needs `confirm_early`."""
    today = today or paris_today()
    with absence_credits.locked([customer.id]):  # one at a time with staff recording a letting on it
        absence.cancelled_at = Absence.get_by_id(absence.id).cancelled_at
        _check_still_open(absence, today)
        _check_dates(absence.contract, starts_on, ends_on, today, ignore_id=absence.id)
        cut = _letting_cut_short(absence, starts_on, ends_on)
        if cut is not None and not confirm_early:
            raise EarlyReturn(cut)
        absence.starts_on, absence.ends_on = starts_on, ends_on
        absence.comment = (comment or "").strip()
        absence.save()
    _mail_boater(customer, absence, absence.contract, "changed")
    if cut is not None:
        _tell_staff_early_return(customer, absence, cut)
    return absence


def cancel(customer: Customer, absence: Absence, today: dt.date | None = None) -> Absence:
    today = today or paris_today()
    with absence_credits.locked([customer.id]):  # one at a time with staff recording a letting on it
        absence.cancelled_at = Absence.get_by_id(absence.id).cancelled_at
        _check_still_open(absence, today)
        if BerthLetting.select().where(BerthLetting.absence == absence).exists():
            raise AbsenceRefused(
                "Votre poste est déjà loué à un bateau de passage pendant cette absence : "
                "contactez la capitainerie pour l'annuler."
            )
        absence.cancelled_at = utcnow()
        absence.save()
    _mail_boater(customer, absence, absence.contract, "cancelled")
    return absence


def change_return_by_staff(absence_id: int, ends_on: dt.date, port: Port) -> Absence:
    """The harbour office moves the return date of an absence, even one under way (the boater phoned)."""
    absence = (
        Absence.select(Absence, Contract)
        .join(Contract)
        .where((Absence.id == absence_id) & (Contract.port == port))
        .first()
    )
    if absence is None or absence.cancelled_at is not None:
        raise AbsenceRefused("Cette absence n'existe pas ou a été annulée.")
    if ends_on is None or ends_on <= absence.starts_on:
        raise AbsenceRefused("La date de retour doit être après la date de départ (au moins le lendemain).")
    with absence_credits.locked([absence.contract.customer_id]):  # as a letting being recorded on it
        cut = _letting_cut_short(absence, absence.starts_on, ends_on)
        if cut is not None:
            raise AbsenceRefused(
                "Une location est enregistrée jusqu'au %(date)s : la date de retour ne peut pas être avant.",
                date=fr_date(cut.ends_on),
            )
        clash = (
            Absence.select()
            .where(
                (Absence.contract == absence.contract_id)
                & Absence.cancelled_at.is_null()
                & (Absence.id != absence.id)
                & (Absence.starts_on < ends_on)
                & (Absence.ends_on > absence.starts_on)
            )
            .first()
        )
        if clash is not None:
            raise AbsenceRefused(
                "Ces dates chevauchent l'absence déjà déclarée du %(start)s au %(end)s.",
                start=fr_date(clash.starts_on),
                end=fr_date(clash.ends_on),
            )
        absence.ends_on = ends_on
        absence.save()
    return absence


def _letting_cut_short(absence, starts_on, ends_on):
    """The letting that the new dates would no longer cover, if any."""
    return (
        BerthLetting.select()
        .where(
            (BerthLetting.absence == absence)
            & ((BerthLetting.ends_on > ends_on) | (BerthLetting.starts_on < starts_on))
        )
        .order_by(BerthLetting.ends_on.desc())
        .first()
    )


def _mail_boater(customer, absence, contract, event):
    if not customer.email:
        return
    subjects = {
        "declared": N_("Votre absence est enregistrée"),
        "changed": N_("Votre absence est modifiée"),
        "cancelled": N_("Votre absence est annulée"),
    }
    send_email(
        customer.email,
        subjects[event],
        "absence_confirmation",
        language=customer.language,
        customer=customer,
        absence=absence,
        berth=contract.berth,
        event=event,
        port=Port.get_by_id(contract.port_id),
        link=external_url("absence.index"),
    )


def _tell_staff_early_return(customer, absence, letting):
    port = Port.get_by_id(absence.contract.port_id)
    if not port.email:
        return
    send_email(
        port.email,
        f"Retour anticipé sur un poste loué : {absence.contract.berth.code}",
        "absence_early_return",
        language="fr",
        customer=customer,
        absence=absence,
        letting=letting,
        berth=absence.contract.berth,
        port=port,
        link=external_url("staff.port_calendar"),
    )


# Credits -------------------------------------------------------------------------------------------


def credit_for(port: Port, revenue_cents: int, nights: int) -> int:
    """The credit a letting earns under the port's setting, in cents."""
    if port.absence_credit_mode == "per_night":
        return max(0, nights) * port.absence_credit_value
    if port.absence_credit_mode == "free_nights":
        free = max(0, nights) // max(1, port.absence_credit_value)
        return (2 * free * revenue_cents + nights) // (2 * nights) if free else 0  # average night, rounded
    return (revenue_cents * port.absence_credit_value + 50) // 100


def record_letting(
    absence_id: int, starts_on: dt.date, ends_on: dt.date, revenue_cents: int, staff_user: User
) -> BerthLetting:
    """Staff record that a visitor used a freed berth; the boater's credit is computed and kept."""
    if starts_on is None or ends_on is None or ends_on <= starts_on:
        raise AbsenceRefused("La date de départ du visiteur doit être après sa date d'arrivée.")
    if revenue_cents is None or revenue_cents < 0:
        raise AbsenceRefused("Indiquez le montant encaissé, par exemple 240,00.")
    owner = Contract.select(Contract.customer).join(Absence).where(Absence.id == absence_id)
    # Under the lock the boater's change or cancellation takes too: a double click, two agents or the boater
    # cancelling meanwhile see the other's work, and the credit is counted once.
    with absence_credits.locked([row.customer_id for row in owner]):
        absence = Absence.select(Absence, Contract).join(Contract).where(Absence.id == absence_id).first()
        if absence is None or absence.cancelled_at is not None:
            raise AbsenceRefused("Cette absence n'existe pas ou a été annulée.")
        if starts_on < absence.starts_on or ends_on > absence.ends_on:
            raise AbsenceRefused(
                f"La location doit tenir dans l'absence, du {fr_date(absence.starts_on)} au {fr_date(absence.ends_on)}."
            )
        port = Port.get_by_id(absence.contract.port_id)
        clash = (
            BerthLetting.select()
            .where(
                (BerthLetting.absence == absence)
                & (BerthLetting.starts_on < ends_on)
                & (BerthLetting.ends_on > starts_on)
            )
            .exists()
        )
        if clash:
            raise AbsenceRefused("Une location est déjà enregistrée sur ces dates.")
        letting = BerthLetting.create(
            absence=absence,
            starts_on=starts_on,
            ends_on=ends_on,
            revenue_cents=revenue_cents,
            credit_cents=credit_for(port, revenue_cents, (ends_on - starts_on).days),
            recorded_by=staff_user,
        )
        letting.deducted = absence_credits.apply([absence.contract.customer_id], staff_user)
    customer = Customer.get_by_id(absence.contract.customer_id)
    if customer.email and letting.credit_cents:
        send_email(
            customer.email,
            N_("Un crédit a été ajouté à votre compte"),
            "absence_credit",
            language=customer.language,
            customer=customer,
            letting=letting,
            amount=euros(letting.credit_cents),
            port=port,
            deducted=[(p.invoice.number, p.amount_cents) for p in letting.deducted],
            link=external_url("absence.index"),
        )
    return letting


def credit_rows(customer: Customer) -> list[BerthLetting]:
    """The lettings that earned the customer a credit, newest first, each with its absence and berth."""
    return list(
        BerthLetting.select(BerthLetting, Absence, Contract, Berth)
        .join(Absence)
        .join(Contract)
        .join(Berth)
        .where(Contract.customer == customer)
        .order_by(BerthLetting.starts_on.desc(), BerthLetting.id.desc())
    )


def customer_credit_cents(customer: Customer) -> int:
    """Credit still available: earned from lettings, minus what invoices already took."""
    return absence_credits.available_cents(customer)


CREDIT_MODES = ("percent", "per_night", "free_nights")


def set_credit_rule(port: Port, mode: str, value: int | None) -> None:
    if mode not in CREDIT_MODES:
        raise AbsenceRefused("Choisissez un mode de crédit.")
    if mode == "free_nights" and (value is None or not 1 <= value <= 365):
        raise AbsenceRefused(N_("Indiquez un nombre de nuits louées entre 1 et 365."))
    if value is None or value < 0 or value > 100_000 or (mode == "percent" and value > 100):
        raise AbsenceRefused(
            N_("Le pourcentage doit être compris entre 0 et 100.")
            if mode == "percent"
            else N_("Indiquez un montant par nuit positif.")
        )
    Port.update(absence_credit_mode=mode, absence_credit_value=value).where(Port.id == port.id).execute()
