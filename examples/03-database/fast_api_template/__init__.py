"""A FastAPI service, structured to grow: stage 03 of the FastAPI structure guide."""
