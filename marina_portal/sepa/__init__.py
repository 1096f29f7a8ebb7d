"""Direct debit: IBAN/BIC checks, SEPA mandates, collection batches (pain.008), returns."""
