"""The billing address the bank's payment page asks for (contexte_commande), normalised to what it accepts.

Monetico requires addressLine1, city, postalCode and an ISO 3166 alpha-2 country, and refuses overlong values:
text is put on one line and cut (50 / 50 / 10 characters); an incomplete address is asked for on the
confirmation page rather than sent to a bank page that would fail.
"""

import re

LIMITS = {"addressLine1": 50, "city": 50, "postalCode": 10}


def _line(value, limit):
    return re.sub(r"\s+", " ", str(value or "")).strip()[:limit].rstrip()


def country_code(value):
    """'fr', ' FR ', 'France' -> 'FR'; '' when it is no country pycountry knows."""
    import pycountry  # its data loads on the first payment, not with the app

    text = str(value or "").strip()
    if not text:
        return ""
    found = pycountry.countries.get(alpha_2=text.upper()) if len(text) == 2 else None
    if found is None:
        try:
            found = pycountry.countries.lookup(text)
        except LookupError:
            return ""
    return found.alpha_2


def billing(street, town, postcode, country):
    """The `billing` member of contexte_commande, every field normalised; empty ones stay empty."""
    return {
        "addressLine1": _line(street, LIMITS["addressLine1"]),
        "city": _line(town, LIMITS["city"]),
        "postalCode": _line(postcode, LIMITS["postalCode"]),
        "country": country_code(country or "FR"),
    }


def incomplete(address):
    """True when the bank would refuse it: a mandatory member is empty."""
    return not all(address.get(name) for name in ("addressLine1", "city", "postalCode", "country"))


def of_customer(customer):
    return billing(customer.street, customer.town, customer.postcode, customer.country)
