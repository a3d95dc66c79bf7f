"""Version 1 of the API, served under /api/v1."""
