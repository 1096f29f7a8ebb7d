"""The port itself: its settings (Paramètres)."""
