"""Signing evidence and PAdES seals with the port's key, shared by contracts and mandates."""
