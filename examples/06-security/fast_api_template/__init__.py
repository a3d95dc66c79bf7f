"""A FastAPI service, structured to grow: stage 06 of the FastAPI structure guide."""
