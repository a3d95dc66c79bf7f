"""A FastAPI service, structured to grow: stage 02 of the FastAPI structure guide."""
