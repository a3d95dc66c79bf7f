"""A stage of the guide, as every command of the kit handles it.

Found (`discovery`), read as its lesson files (`lesson`), copied out (`copy`), given an
environment of its own (`environment`), run (`run`) and fingerprinted (`fingerprint`). The
tests, the scripts, the benchmarks and the scaffold all take a stage from here.
"""

from guide_kit.paths import EXAMPLES, ROOT
from guide_kit.stage.copy import copy_stage
from guide_kit.stage.discovery import stage_dirs, stage_label, stage_number, stage_topic
from guide_kit.stage.environment import stage_environment, uv_binary
from guide_kit.stage.fingerprint import code_fingerprint, content_fingerprint
from guide_kit.stage.lesson import (
    IGNORED_PARTS,
    SUMMARISED_FILES,
    is_lesson_file,
    lesson_files,
    lesson_texts,
)
from guide_kit.stage.run import (
    STAGE_CHECKS,
    run_in_stage,
    run_stage_mypy,
    run_stage_suite,
    scratch_folder,
    stage_python,
    sync_stage,
)

__all__ = [
    "EXAMPLES",
    "IGNORED_PARTS",
    "ROOT",
    "STAGE_CHECKS",
    "SUMMARISED_FILES",
    "code_fingerprint",
    "content_fingerprint",
    "copy_stage",
    "is_lesson_file",
    "lesson_files",
    "lesson_texts",
    "run_in_stage",
    "run_stage_mypy",
    "run_stage_suite",
    "scratch_folder",
    "stage_dirs",
    "stage_environment",
    "stage_label",
    "stage_number",
    "stage_python",
    "stage_topic",
    "sync_stage",
    "uv_binary",
]
