"""A FastAPI service, structured to grow: stage 08 of the FastAPI structure guide."""
