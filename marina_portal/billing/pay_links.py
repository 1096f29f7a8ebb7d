"""Pay links: a signed, expiring link to the payment page of one invoice, for whoever holds the mail.

It opens that invoice's card payment and nothing else (no login, no COMPTE CLIENT, no other invoice).
Once the invoice is paid, the link is spent: the next visit marks it used and every later one is refused.
"""

from flask import current_app, url_for

from marina_portal.billing import statement
from marina_portal.core import formats, tokens
from marina_portal.core.i18n import N_, Translatable
from marina_portal.sepa import planned

PURPOSE = "pay-invoice"


class Refused(Translatable):
    """A pay link that does not open the payment page, with the words to show; `gone` when it once worked."""

    def __init__(self, message, gone=True, status=None, **fields):
        super().__init__(message, **fields)
        self.gone = gone
        self.status = status or (410 if gone else 404)


def max_age():
    return int(current_app.config.get("PAY_LINK_MAX_AGE") or 60 * 24 * 3600)


def url(invoice):
    """The link to put in a mail, built from BASE_URL."""
    token = tokens.make(PURPOSE, {"invoice": invoice.id, "customer": invoice.customer_id})
    return current_app.config["BASE_URL"].rstrip("/") + url_for("payment.link", token=token)


def open_invoice(token):
    """The invoice (with paid_cents) the link pays, or Refused."""
    try:
        payload = tokens.read(PURPOSE, token, max_age=max_age())
    except tokens.TokenError as error:
        if error.reason == "expired":
            raise Refused(N_("Ce lien de paiement a expiré : demandez-en un nouveau à la capitainerie.")) from None
        if error.reason == "used":
            raise Refused(N_("Ce lien de paiement a déjà servi : la facture est réglée.")) from None
        raise Refused(N_("Ce lien de paiement n'est pas valable."), gone=False) from None
    invoice = statement.invoice_with_paid(payload.get("invoice")) if isinstance(payload, dict) else None
    if invoice is None or invoice.customer_id != payload.get("customer") or not invoice.number:
        raise Refused(N_("Ce lien de paiement n'est pas valable."), gone=False)
    if invoice.balance_cents <= 0:
        try:
            tokens.consume(token)
        except tokens.TokenError:
            pass
        raise Refused(N_("La facture %(number)s est déjà réglée."), number=invoice.number)
    plan = planned.for_customer(invoice.customer_id)
    if plan.collects(invoice):  # one way to pay per invoice: the next batch takes it, the card would pay it twice
        date = plan.date_for(invoice)
        raise Refused(debit_words(date), gone=False, status=409, date=formats.fr_date(date) if date else "")
    return invoice


def debit_words(date):
    """What to say instead of a card payment for an invoice that direct debit collects on `date` (None: next batch)."""
    if date:
        return N_(
            "Cette facture sera prélevée le %(date)s sur votre compte, par votre mandat de prélèvement : "
            "elle n'est pas à payer par carte."
        )
    return N_(
        "Cette facture sera prélevée sur votre compte au prochain prélèvement, par votre mandat : "
        "elle n'est pas à payer par carte."
    )
