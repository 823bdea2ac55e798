"""Flow 4, appointments (INT_R03): intake, the outbox, the parties intake knows."""
