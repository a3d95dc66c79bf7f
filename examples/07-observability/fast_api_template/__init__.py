"""A FastAPI service, structured to grow: stage 04 of the FastAPI structure guide."""
