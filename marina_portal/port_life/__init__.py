"""Life of the port: absences and lettings, the free-berth calendar, the waiting list, news."""
