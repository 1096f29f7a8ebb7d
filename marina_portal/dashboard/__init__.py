"""The harbour office's figures at a glance."""
