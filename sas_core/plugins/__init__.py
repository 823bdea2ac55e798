"""Plugin machinery: metadata plugins declare, loading through entry points, hook calls."""
