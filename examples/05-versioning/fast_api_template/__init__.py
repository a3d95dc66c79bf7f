"""A FastAPI service, structured to grow: stage 05 of the FastAPI structure guide."""
