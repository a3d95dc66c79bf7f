"""Single-file apps that the cases compare the stages with.

Each is a complete FastAPI app in one module, run by uvicorn with `--app-dir` pointing here, so
it imports nothing from this repository: only the libraries of the stage it is compared with.
One is the stage itself with one function swapped (`n_plus_one_summaries`): it imports the
stage's package, so that the comparison isolates that function.
"""
