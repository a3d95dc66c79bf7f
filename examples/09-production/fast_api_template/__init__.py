"""A FastAPI service, structured to grow: stage 09 of the FastAPI structure guide."""
