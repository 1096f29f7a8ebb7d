"""The boaters' port-life pages: absences and the waiting list, with their forms."""
