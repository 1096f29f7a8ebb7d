"""Refusals: what a boater or the harbour office asked for and the rules do not allow, with the words to show.

Every user-facing refusal of a feature derives from `Refusal` (PaperRefused, SigningRefused, invoicing.Refused…), so
a view catches one kind of thing and shows one kind of message. The words are French: a message id, with
%(name)s fields, marked with N_() or listed among the Makefile's `translations` keywords, and translated where it is
shown (`translated()` on the boater's pages; the back office is French only and may show `str(refusal)`).
"""

from flask import has_request_context
from flask_babel import gettext


class Refusal(Exception):
    """A refusal whose French words (a message id with %(name)s fields) are translated where they are shown."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message % fields if fields else message)
        self.message, self.fields = message, fields

    def translated(self) -> str:
        """The words in the reader's language inside a request; the French words elsewhere (CLI, tasks)."""
        return gettext(self.message, **self.fields) if has_request_context() else str(self)
