"""CONTRAT: berth contracts, their versioned terms, their PDF and their signing in three steps."""
