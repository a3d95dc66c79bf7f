"""A project's export built inside the request: the baseline of `background`.

This is the stage itself, with one route added: `GET /api/v2/projects/{project_id}/export.csv`
answers `200 text/csv` with the export, built while the client waits. It is the code an export
usually starts as. The route calls the stage's own export code (the query of the job's rows and
`render_csv`), in the request's one transaction, so the CSV is byte for byte the file that the
stage's queued job writes. Everything else is the stage's: its edge, its token check, its
session, its access rules (someone else's project is a 404).

Run it under the stage's interpreter, with the stage's package importable and its settings in
the environment (`FAST_API_TEMPLATE_*`).
"""

# The stage's package: importable where this app runs, not where the benchmarks are checked.
from fast_api_template.api.deps import (  # type: ignore[import-not-found]
    ProjectId,
    ProjectServiceDep,
    SessionDep,
)
from fast_api_template.api.v2.endpoints.exports import (  # type: ignore[import-not-found]
    CsvResponse,
)
from fast_api_template.app import app  # type: ignore[import-not-found]
from fast_api_template.services import exports  # type: ignore[import-not-found]

__all__ = ["app"]

PATH = "/api/v2/projects/{project_id}/export.csv"


async def export_in_the_request(
    project_id: ProjectId, projects: ProjectServiceDep, session: SessionDep
) -> CsvResponse:
    """Answer a project's tasks as CSV, built while the client waits."""
    await projects.get(project_id)  # the owner's project, or the stage's 404
    # The job's own query (a private function of the stage: the job is its only other caller),
    # so that both sides read the same rows the same way.
    rows = await exports._task_rows(session, project_id)
    disposition = f'attachment; filename="project-{project_id}-tasks.csv"'
    return CsvResponse(exports.render_csv(rows), headers={"Content-Disposition": disposition})


# Added, not decorated: the stage's app is built already, and its router takes routes still.
app.add_api_route(PATH, export_in_the_request, methods=["GET"], response_class=CsvResponse)
