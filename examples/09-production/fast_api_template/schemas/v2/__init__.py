"""Request and response bodies of API v2, where they differ from those of v1."""
