"""The capitainerie's back office under /staff: one blueprint (frame.py), its pages split by subject."""

# The pages register their routes on `bp` when imported.
from marina_portal.views.staff import (  # noqa: F401
    accounting,
    boats,
    contracts,
    credit_notes,
    customers,
    dashboard,
    direct_debits,
    documents,
    einvoicing,
    energy,
    energy_billing,
    fleet,
    follow_up,
    imports,
    invoice_list,
    invoices,
    mails,
    port_life,
    receipts,
    session,
    settings,
    tariffs,
    team,
    visitors,
    yearly_run,
)
from marina_portal.views.staff.frame import bp  # noqa: F401
