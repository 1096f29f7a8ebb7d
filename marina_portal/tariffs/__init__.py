"""The tariff grid: a season's prices per berth category, period and boat length band, and what a boat pays."""
