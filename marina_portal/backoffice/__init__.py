"""The harbour office's rules: customers, invoices and payments, dashboard figures, uploads, imports, settings."""
