"""How a payment was made, with the words the harbour office and the boater read."""

OFFICE_METHODS = {"cheque": "Chèque", "transfer": "Virement", "cash": "Espèces"}
METHOD_LABELS = dict(
    OFFICE_METHODS,
    card="Carte bancaire",
    direct_debit="Prélèvement SEPA",
    credit="Avoir",
    absence_credit="Crédit absence déduit",
    refund="Remboursement",
)
CREDIT_NOTE = "credit"  # a credit note's amount set against its invoice (billing/credit_notes.py)
REFUND = "refund"  # money paid back to the customer: a payment of negative amount
