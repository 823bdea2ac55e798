"""The care offer: practitioners, structures and their places."""
