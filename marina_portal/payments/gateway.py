"""The interface every payment gateway implements, and the registry gateways add themselves to.

A gateway builds the form the browser posts to the bank, verifies and reads the bank's
server-to-server notification, and says what to answer it. Nothing here touches the database.
"""

from dataclasses import dataclass, field

ACCEPTED, REFUSED, OTHER = "accepted", "refused", "other"
TEST_IGNORED = "test-ignored"  # a test payment reported to a terminal that is not a test one: no money moved


@dataclass
class PaymentRequest:
    """Where the browser posts, and the exact fields it sends (in order)."""

    url: str
    fields: list = field(default_factory=list)  # [(name, value), ...]


@dataclass
class BankResult:
    """What a verified notification says: which attempt, how much, and whether the bank took the money."""

    reference: str
    amount_cents: int | None
    currency: str
    status: str  # ACCEPTED, REFUSED or OTHER
    code: str = ""


@dataclass
class Merchant:
    """The port's account at the bank: terminal, secret key, company code, payment page URL."""

    terminal: str
    key: str
    company: str
    url: str
    name: str = ""
    test: bool = False  # the bank's test page or the sandbox: test payments (no real money) count as paid


class Gateway:
    """The interface every gateway implements."""

    name = ""

    def __init__(self, merchant):
        self.merchant = merchant

    def problem(self):
        """Why this merchant's settings cannot work (a sentence for the log and Paramètres), or None."""
        return None

    def build_request(self, *, reference, amount_cents, when, email, billing, free_text, return_ok, return_err):
        raise NotImplementedError

    def verify(self, fields):
        """True when the notification's seal is good (constant-time comparison)."""
        raise NotImplementedError

    def read(self, fields):
        """A BankResult from a verified notification."""
        raise NotImplementedError

    def acknowledge(self, seal_valid):
        """(body, status, headers) to answer the bank with."""
        raise NotImplementedError


REGISTRY = {}


def register(cls):
    REGISTRY[cls.name] = cls
    return cls
