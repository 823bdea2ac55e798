"""The search engine: the care offer near a place, with live slots and a status per card."""
