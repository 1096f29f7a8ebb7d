"""The waiting list behind "Je n'ai pas de contrat": apply, confirm by mail, rank, yearly confirmation, offers.

An applicant becomes a customer when they confirm their email: we create a Customer (no code, no
contract yet) and a boater User for it, so the applicant uses the same pages and rules as every
boater (their COMPTE CLIENT is simply empty), and accepting an offer gives that customer a Contract.
The applicant's pages find their application by `WaitingListApplication.user`.

Rank: applications still on the list ("active" or "offered"), by the day they applied, then by boat
length (shorter first, easier to place), then by order of arrival.

Yearly confirmation: staff set a date (Port.waiting_list_confirm_on, the day and month count). By
that date each year every applicant must confirm they are still interested, unless they applied or
confirmed in the twelve months before it; a reminder goes out REMINDER_DAYS before, and the day after
the date those who did not confirm drop off ("lapsed").
"""

import datetime as dt

from peewee import JOIN

from marina_portal.accounts.logins import hash_password, normalise_email
from marina_portal.contracts import berth_rules
from marina_portal.core import tokens
from marina_portal.core.db import database
from marina_portal.core.formats import paris_date, paris_today
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.refusals import Refusal
from marina_portal.core.urls import external_url
from marina_portal.models import (
    ApplicationStatus,
    Berth,
    Boat,
    Contract,
    ContractStatus,
    ContractTerms,
    Customer,
    Port,
    User,
    WaitingListApplication,
    utcnow,
)

PURPOSE = "waiting-list"
REMINDER_DAYS = 30
ON_LIST = (ApplicationStatus.ACTIVE, ApplicationStatus.OFFERED)


def _language(application):
    """The applicant's language once they have a login (mails sent without them, by staff or the scheduler)."""
    return User.get_by_id(application.user_id).language if application.user_id else "fr"


class WaitingListRefused(Refusal):
    """Something the applicant or staff can't do now, with the words to show."""


LINK_MESSAGES = {
    "expired": N_("Ce lien a expiré (il est valable 24 heures). Déposez à nouveau votre demande."),
    "used": N_("Ce lien a déjà été utilisé. Connectez-vous avec votre adresse mail pour voir votre rang."),
    "invalid": N_("Ce lien n'est pas valide. Copiez l'adresse complète depuis le mail."),
}


def apply(
    port: Port,
    last_name: str,
    first_name: str,
    email: str,
    boat_name: str,
    boat_type: str,
    length_cm: int | None,
    beam_cm: int | None,
    draught_cm: int | None,
    wanted_from: dt.date | None,
    wanted_to: dt.date | None,
) -> WaitingListApplication:
    """Record an application (pending) and mail the link that confirms the email address."""
    if wanted_from and wanted_to and wanted_to <= wanted_from:
        raise WaitingListRefused("La fin de la période souhaitée doit être après son début.")
    for value in (length_cm, beam_cm, draught_cm):
        if value is None or value <= 0:
            raise WaitingListRefused("Indiquez la longueur, la largeur et le tirant d'eau du bateau en mètres.")
    email = normalise_email(email)
    with database.atomic():
        application = WaitingListApplication.create(
            port=port,
            last_name=last_name.strip().upper(),
            first_name=first_name.strip(),
            email=email,
            boat_name=boat_name.strip(),
            boat_type=boat_type.strip(),
            length_cm=length_cm,
            beam_cm=beam_cm,
            draught_cm=draught_cm,
            wanted_from=wanted_from,
            wanted_to=wanted_to,
        )
    token = tokens.make(PURPOSE, {"a": application.id, "e": email})
    send_email(
        email,
        N_("Confirmez votre demande de place au port"),
        "waiting_list_confirm",
        application=application,
        port=port,
        login=email,
        link=external_url("waiting_list.confirm", token=token),
    )
    return application


def read_link(token: str) -> WaitingListApplication:
    """The pending application a confirmation link is for, or WaitingListRefused."""
    try:
        payload = tokens.read(PURPOSE, token)
    except tokens.TokenError as e:
        raise WaitingListRefused(LINK_MESSAGES[e.reason]) from None
    application = WaitingListApplication.get_or_none(WaitingListApplication.id == payload.get("a"))
    if application is None or application.status != ApplicationStatus.PENDING:
        raise WaitingListRefused(LINK_MESSAGES["used"])
    return application


def existing_login(application: WaitingListApplication) -> User | None:
    return User.get_or_none(User.email == application.email)


def confirm_email(token: str, password: str | None = None) -> User:
    """Use the link once: the application joins the list; a login is created (or the existing one kept)."""
    application = read_link(token)
    with database.atomic():
        try:
            tokens.consume(token)
        except tokens.TokenError:
            raise WaitingListRefused(LINK_MESSAGES["used"]) from None
        user = existing_login(application)
        if user is None:
            if not password:
                raise WaitingListRefused("Choisissez un mot de passe.")
            customer = Customer.create(
                port=application.port_id,
                last_name=application.last_name,
                first_name=application.first_name,
                email=application.email,
            )
            user = User.create(email=application.email, password_hash=hash_password(password), customer=customer)
        elif user.customer_id is None:
            raise WaitingListRefused(
                "Cette adresse est celle d'un compte de la capitainerie : déposez la demande avec une autre adresse."
            )
        elif (
            WaitingListApplication.select()
            .where((WaitingListApplication.user == user) & WaitingListApplication.status.in_(ON_LIST))
            .exists()
        ):
            raise WaitingListRefused("Vous êtes déjà sur la liste d'attente : connectez-vous pour voir votre rang.")
        application.user = user
        application.status = ApplicationStatus.ACTIVE
        application.confirmed_at = utcnow()
        application.save()
    return user


def for_user(user: User) -> WaitingListApplication | None:
    """The user's latest application, or None."""
    return (
        WaitingListApplication.select()
        .where(WaitingListApplication.user == user)
        .order_by(WaitingListApplication.applied_at.desc(), WaitingListApplication.id.desc())
        .first()
    )


def ranked(port: Port) -> list[WaitingListApplication]:
    """Applications on the list in rank order."""
    rows = list(
        WaitingListApplication.select(WaitingListApplication, Berth)
        .join(Berth, JOIN.LEFT_OUTER, on=(WaitingListApplication.offered_berth == Berth.id))
        .where((WaitingListApplication.port == port) & WaitingListApplication.status.in_(ON_LIST))
    )
    rows.sort(key=lambda a: (paris_date(a.applied_at), a.length_cm, a.id))  # the day applied, in Paris
    return rows


def rank_of(application: WaitingListApplication) -> tuple[int | None, int]:
    """(rank, number on the list), or (None, number) when the application is not on the list."""
    rows = ranked(application.port_id)
    ids = [a.id for a in rows]
    return (ids.index(application.id) + 1 if application.id in ids else None), len(ids)


# Yearly confirmation -----------------------------------------------------------------------------


def _occurrence(day, year):
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 2, 28)


def next_deadline(port: Port, today: dt.date) -> dt.date | None:
    if port.waiting_list_confirm_on is None:
        return None
    this_year = _occurrence(port.waiting_list_confirm_on, today.year)
    return this_year if this_year >= today else _occurrence(port.waiting_list_confirm_on, today.year + 1)


def last_deadline(port: Port, today: dt.date) -> dt.date | None:
    """The latest confirmation date already passed (strictly before today)."""
    if port.waiting_list_confirm_on is None:
        return None
    this_year = _occurrence(port.waiting_list_confirm_on, today.year)
    return this_year if this_year < today else _occurrence(port.waiting_list_confirm_on, today.year - 1)


def due_for(application: WaitingListApplication, deadline: dt.date) -> bool:
    """Must this applicant confirm by `deadline`? Not when they applied or confirmed in the year before it."""
    cycle_start = _occurrence(deadline, deadline.year - 1)
    return application.confirmed_at is None or paris_date(application.confirmed_at) <= cycle_start


def confirm_interest(application: WaitingListApplication) -> None:
    if application.status not in ON_LIST:
        raise WaitingListRefused("Votre demande n'est plus sur la liste d'attente : déposez-en une nouvelle.")
    WaitingListApplication.update(confirmed_at=utcnow()).where(WaitingListApplication.id == application.id).execute()


def send_reminders(today: dt.date | None = None) -> int:
    """Mail the applicants who must confirm by the coming date, once per year; return how many."""
    today = today or paris_today()
    sent = 0
    # lists, not cursors: sending a mail may end the connection (the mail task runs in its own app context)
    for port in list(Port.select().where(Port.waiting_list_confirm_on.is_null(False))):
        deadline = next_deadline(port, today)
        if (deadline - today).days > REMINDER_DAYS:
            continue
        cycle_start = _occurrence(deadline, deadline.year - 1)
        for application in list(
            WaitingListApplication.select().where(
                (WaitingListApplication.port == port) & WaitingListApplication.status.in_(ON_LIST)
            )
        ):
            reminded = application.reminded_at
            if not due_for(application, deadline) or (reminded and paris_date(reminded) > cycle_start):
                continue
            send_email(
                application.email,
                N_("Confirmez que vous souhaitez rester sur la liste d'attente"),
                "waiting_list_reminder",
                language=_language(application),
                application=application,
                port=port,
                deadline=deadline,
                link=external_url("waiting_list.status"),
            )
            WaitingListApplication.update(reminded_at=utcnow()).where(
                WaitingListApplication.id == application.id
            ).execute()
            sent += 1
    return sent


def lapse_unconfirmed(today: dt.date | None = None) -> int:
    """Take off the list the applicants who did not confirm by the last date; return how many."""
    today = today or paris_today()
    lapsed = 0
    # lists, not cursors: sending a mail may end the connection (the mail task runs in its own app context)
    for port in list(Port.select().where(Port.waiting_list_confirm_on.is_null(False))):
        deadline = last_deadline(port, today)
        for application in list(
            WaitingListApplication.select().where(
                (WaitingListApplication.port == port) & (WaitingListApplication.status == ApplicationStatus.ACTIVE)
            )
        ):
            if due_for(application, deadline):
                WaitingListApplication.update(status=ApplicationStatus.LAPSED).where(
                    WaitingListApplication.id == application.id
                ).execute()
                send_email(
                    application.email,
                    N_("Votre demande de place n'est plus sur la liste d'attente"),
                    "waiting_list_lapsed",
                    language=_language(application),
                    application=application,
                    port=port,
                    deadline=deadline,
                    link=external_url("waiting_list.apply"),
                )
                lapsed += 1
    return lapsed


def set_confirmation_date(port: Port, day: dt.date | None) -> None:
    Port.update(waiting_list_confirm_on=day).where(Port.id == port.id).execute()


# Offers -------------------------------------------------------------------------------------------


def offer_period(application: WaitingListApplication, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period a contract from this application would cover: from the wanted day (not before today) to the
    wanted end, else to the end of that year."""
    today = today or paris_today()
    starts_on = max(today, application.wanted_from or today)
    ends_on = (
        application.wanted_to
        if application.wanted_to and application.wanted_to > starts_on
        else dt.date(starts_on.year, 12, 31)
    )
    return starts_on, ends_on


def berths_for(application: WaitingListApplication, today: dt.date | None = None) -> list[Berth]:
    """The berths that can be offered: free for the whole period and big enough for the applicant's boat."""
    return berth_rules.fitting_free(
        application.port_id, application.length_cm, application.beam_cm, *offer_period(application, today)
    )


def make_offer(
    application_id: int, berth_id: int, deadline: dt.date, today: dt.date | None = None
) -> WaitingListApplication:
    today = today or paris_today()
    application = WaitingListApplication.get_or_none(WaitingListApplication.id == application_id)
    if application is None or application.status != ApplicationStatus.ACTIVE:
        raise WaitingListRefused("Cette demande n'est pas en attente d'une place.")
    berth = Berth.get_or_none((Berth.id == berth_id) & (Berth.port == application.port_id))
    if berth is None:
        raise WaitingListRefused("Choisissez un poste.")
    if berth.id not in {b.id for b in berths_for(application, today)}:
        raise WaitingListRefused(
            "Ce poste n'est pas libre pour toute la période demandée, ou il est trop petit pour ce bateau."
        )
    if deadline is None or deadline < today:
        raise WaitingListRefused("La date limite de réponse doit être aujourd'hui ou plus tard.")
    application.status, application.offered_berth, application.offer_deadline = (
        ApplicationStatus.OFFERED,
        berth,
        deadline,
    )
    application.save()
    send_email(
        application.email,
        N_("Une place vous est proposée : poste %(code)s"),
        "waiting_list_offer",
        language=_language(application),
        subject_fields={"code": berth.code},
        application=application,
        berth=berth,
        port=Port.get_by_id(application.port_id),
        link=external_url("waiting_list.status"),
    )
    return application


def _offer_open(application, today):
    if application.status != ApplicationStatus.OFFERED:
        raise WaitingListRefused("Aucune place ne vous est proposée pour le moment.")
    if application.offer_deadline < today:
        raise WaitingListRefused(
            "La date limite de réponse à cette proposition est passée : contactez la capitainerie."
        )


def accept_offer(application: WaitingListApplication, today: dt.date | None = None) -> Contract:
    """The applicant takes the berth: their boat and a draft contract are created for CONTRAT."""
    today = today or paris_today()
    with database.atomic():
        _offer_open(application, today)
        customer = application.user.customer
        port = Port.get_by_id(application.port_id)
        boat = Boat.create(
            customer=customer,
            name=application.boat_name or "—",
            boat_type=application.boat_type,
            length_cm=application.length_cm,
            beam_cm=application.beam_cm,
            draught_cm=application.draught_cm,
        )
        starts_on, ends_on = offer_period(application, today)
        try:
            berth_rules.check(application.offered_berth_id, boat.id, starts_on, ends_on)
        except berth_rules.BerthRefused:
            raise WaitingListRefused(
                "Ce poste n'est plus disponible pour la période demandée : la capitainerie vous proposera une "
                "autre place. Votre rang sur la liste d'attente est conservé."
            ) from None
        contract = Contract.create(
            port=port,
            customer=customer,
            boat=boat,
            berth=application.offered_berth_id,
            terms=ContractTerms.latest(port, "Annuel"),
            number=f"{starts_on.year}-L{application.id:04d}",
            contract_type="Annuel",
            starts_on=starts_on,
            ends_on=ends_on,
            status=ContractStatus.DRAFT,
        )
        application.status = ApplicationStatus.ACCEPTED
        application.save()
    if port.email:
        send_email(
            port.email,
            f"Place acceptée : poste {application.offered_berth.code}",
            "waiting_list_accepted",
            language="fr",
            application=application,
            contract=contract,
            port=port,
        )
    return contract


def decline_offer(application: WaitingListApplication, today: dt.date | None = None) -> None:
    """The applicant says no to this berth and keeps their rank."""
    _offer_open(application, today or paris_today())
    WaitingListApplication.update(status=ApplicationStatus.ACTIVE, offered_berth=None, offer_deadline=None).where(
        WaitingListApplication.id == application.id
    ).execute()


def expire_offers(today: dt.date | None = None) -> int:
    """Offers left unanswered past their deadline: the applicant keeps their place on the list."""
    today = today or paris_today()
    return (
        WaitingListApplication.update(status=ApplicationStatus.ACTIVE, offered_berth=None, offer_deadline=None)
        .where(
            (WaitingListApplication.status == ApplicationStatus.OFFERED)
            & (WaitingListApplication.offer_deadline < today)
        )
        .execute()
    )


def withdraw(application: WaitingListApplication) -> None:
    if application.status not in ON_LIST:
        raise WaitingListRefused("Votre demande n'est plus sur la liste d'attente.")
    WaitingListApplication.update(status=ApplicationStatus.WITHDRAWN).where(
        WaitingListApplication.id == application.id
    ).execute()


def run_daily(today: dt.date | None = None) -> dict[str, int]:
    """The scheduled work of one day: expired offers, reminders, lapses."""
    today = today or paris_today()
    return {"expired": expire_offers(today), "reminded": send_reminders(today), "lapsed": lapse_unconfirmed(today)}
