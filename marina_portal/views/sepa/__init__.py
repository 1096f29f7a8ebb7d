"""The boater's SEPA mandate pages and their forms."""
