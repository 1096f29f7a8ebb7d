"""A boater's boat and contact facts, the changes staff approve, and the boat's papers."""
