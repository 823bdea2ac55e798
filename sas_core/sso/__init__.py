"""Flow 3, SSO: the booking redirect and the relying party of the platform's realm."""
