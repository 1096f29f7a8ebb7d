"""The capitainerie's back office under /staff: one blueprint (frame.py), its pages split by subject."""

# The pages register their routes on `bp` when imported.
from marina_portal.views.staff import (  # noqa: F401
    boats,
    contracts,
    customers,
    dashboard,
    direct_debits,
    documents,
    fleet,
    imports,
    invoices,
    mails,
    port_life,
    session,
    settings,
    team,
)
from marina_portal.views.staff.frame import bp  # noqa: F401
