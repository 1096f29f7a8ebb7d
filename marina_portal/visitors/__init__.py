"""Visitors who pay on arrival: a berth's QR code, its free nights, the price from the grid, the card payment,
the gate code on the receipt, and the holder's credit from the nights sold during their absence."""
