"""Plumbing without product rules: database, queue, mail, PDF, storage, tokens, audit, formats, languages."""
