"""Payment gateways behind one small interface (gateway.py), and the registry that picks one by config.

Each gateway module registers itself when imported: the ones below are the portal's.
"""

from urllib.parse import urlsplit

from flask import current_app

from marina_portal.payments import monetico  # noqa: F401  (registers itself)
from marina_portal.payments.gateway import (  # noqa: F401  (the interface, re-exported)
    ACCEPTED,
    OTHER,
    REFUSED,
    REGISTRY,
    TEST_IGNORED,
    BankResult,
    Gateway,
    Merchant,
    PaymentRequest,
    register,
)


def merchant_for(port):
    """The port's own bank settings when it has them, else the MONETICO_* settings."""
    config = current_app.config
    return Merchant(
        terminal=(port.monetico_tpe if port else "") or config["MONETICO_TPE"],
        key=(port.monetico_key if port else "") or config["MONETICO_KEY"],
        company=(port.monetico_company if port else "") or config["MONETICO_COMPANY"],
        url=config.get("MONETICO_URL") or "",
        name=port.name if port else "",
        test=bool(config.get("MONETICO_SANDBOX")) or is_test_page(config.get("MONETICO_URL") or ""),
    )


def is_test_page(url):
    """The bank's test payment page (https://p.monetico-services.com/test/paiement.cgi), not the real one."""
    parts = urlsplit(url)
    return parts.hostname == "p.monetico-services.com" and parts.path.startswith("/test/")


def gateway_named(name, port):
    """The gateway registered under `name`, set up for the port; None when there is none."""
    cls = REGISTRY.get(name)
    return cls(merchant_for(port)) if cls else None


def current_gateway(port):
    """The gateway chosen by the PAYMENT_GATEWAY setting."""
    gateway = gateway_named(current_app.config["PAYMENT_GATEWAY"], port)
    if gateway is None:
        raise LookupError(f"unknown payment gateway {current_app.config['PAYMENT_GATEWAY']!r}")
    return gateway
