"""Flow 1, slots (INT_R01, INT_R04, SOS): the slot models and the fan-out to adapters."""
