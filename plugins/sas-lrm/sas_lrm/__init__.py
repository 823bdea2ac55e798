"""The LRM plugin: appointments to the SAMU's regulation software through Hub Santé (INT_L02)."""
