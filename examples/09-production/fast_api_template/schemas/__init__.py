"""Request and response bodies: the API's contract, kept apart from the table models."""
