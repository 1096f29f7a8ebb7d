"""The harbour office's customer records: search, and everything known about one customer."""
