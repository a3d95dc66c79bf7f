"""Business logic: the rules of the task tracker, free of HTTP.

A service takes its collaborators (the session, the acting user) as arguments and raises the
exceptions of `services.exceptions`. Nothing here imports FastAPI, so the same rules serve
every API version, a command-line script or a background job.
"""
