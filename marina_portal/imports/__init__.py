"""CSV import from the marina's previous software, checked line by line, all or nothing."""
