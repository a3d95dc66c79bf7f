"""A FastAPI service, structured to grow: stage 07 of the FastAPI structure guide."""
