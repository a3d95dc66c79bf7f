"""A FastAPI service, structured to grow: stage 01 of the FastAPI structure guide."""
