"""COMPTE CLIENT: invoices, their statement and PDF, office payments, absence credits on invoices."""
