"""Territories and the adapters enabled in each."""
