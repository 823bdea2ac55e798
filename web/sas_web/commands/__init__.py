"""The commands the web package adds to `sas`: serve the platform, manage the realm's keys."""
