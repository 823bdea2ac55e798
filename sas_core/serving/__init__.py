"""Running HTTP servers under uvicorn: TLS handshakes, limits, the security event log."""
