"""The routes of API v2, one module per resource."""
