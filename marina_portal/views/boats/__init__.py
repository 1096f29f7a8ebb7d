"""A boater's boat page and its forms."""
