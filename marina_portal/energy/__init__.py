"""Electricity and water: meters on the pedestals, their readings, what each berth holder consumed and pays."""
