"""Write the settings reference of docs/operations.md from the settings themselves.

Every setting's variable, default and description come from `fast_api_template.config`, so the
page cannot drift from the code: `tests/test_service_docs.py` fails while it is stale. After
changing a setting, rewrite the page with:

    uv run python tests/service_docs.py
"""

from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from fast_api_template.config import PROFILE_DEFAULTS, Environment, Settings, env_var_name

OPERATIONS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "operations.md"
START = "<!-- settings: start (written by tests/service_docs.py) -->"
END = "<!-- settings: end -->"
# The environments whose defaults differ from the field's own, which is production's.
PROFILES = (Environment.DEV, Environment.TEST)


def shown(value: Any) -> str:
    """Write a default as it would be written in an environment variable."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return "" if value is None else str(value)


def profile_default(env: Environment, path: tuple[str, ...]) -> Any:
    """The default that environment `env` gives the setting at `path`, if it gives one."""
    node: Any = PROFILE_DEFAULTS[env]
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def default_cell(field: FieldInfo, path: tuple[str, ...]) -> str:
    """The field's default, and each environment's own where it differs."""
    own = shown(field.get_default(call_default_factory=True))
    cell = f"`{own}`" if own else "(empty)"
    for env in PROFILES:
        value = profile_default(env, path)
        if value is not None and shown(value) != own:
            cell += f"; {env.value}: `{shown(value)}`"
    return cell


def rows(model: type[BaseModel], path: tuple[str, ...]) -> Iterator[str]:
    """One table row per plain setting of `model`."""
    for name, field in model.model_fields.items():
        if is_group(field):
            continue
        description = (field.description or "").replace("|", "\\|")
        variable = env_var_name(*path, name)
        yield f"| `{variable}` | {default_cell(field, (*path, name))} | {description} |"


def is_group(field: FieldInfo) -> bool:
    """Whether a field is a group of settings (a nested model) rather than one setting."""
    annotation = field.annotation
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def table(model: type[BaseModel], path: tuple[str, ...]) -> list[str]:
    """The settings of `model` as a Markdown table."""
    return ["| Variable | Default | Description |", "|---|---|---|", *rows(model, path)]


def settings_reference() -> str:
    """The generated part of the page: a table per group of settings."""
    lines = ["### General", "", *table(Settings, ())]
    for name, field in Settings.model_fields.items():
        if is_group(field):
            assert isinstance(field.annotation, type)
            lines += ["", f"### {name}", "", field.description or "", ""]
            lines += table(field.annotation, (name,))
    return "\n".join(lines) + "\n"


def rendered(page: str) -> str:
    """The page with its settings reference written anew between the two markers."""
    before, found, rest = page.partition(START + "\n")
    _, found_end, after = rest.partition(END)
    if not (found and found_end):
        msg = f"{OPERATIONS_PAGE.name} lacks the markers {START!r} and {END!r}"
        raise ValueError(msg)
    return before + START + "\n\n" + settings_reference() + "\n" + END + after


def main() -> None:
    """Rewrite the settings reference of docs/operations.md."""
    page = OPERATIONS_PAGE.read_text(encoding="utf-8")
    OPERATIONS_PAGE.write_text(rendered(page), encoding="utf-8")


if __name__ == "__main__":
    main()
