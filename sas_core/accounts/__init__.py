"""Flow 2, regulator accounts (INT_R02): regulators, their vendor accounts, the sync."""
