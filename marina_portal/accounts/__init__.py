"""INSCRIPTION and login: boaters' passwords and mailed links, the harbour office's own accounts."""
