"""Every claim of the guide links its proof: a test, a benchmark result or the code.

A claim is a sentence of prose with a universal ("every", "all", "never", "always", "none",
"only", "exactly", "at most"), a superlative ("largest", "fastest"...) or a speed figure;
`claims.py` says what counts as prose and what backs a claim. The rule, and how to write a
proof mark, are in CONTRIBUTING.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from claims import (
    REPOSITORY,
    broken_proofs,
    claims,
    read_allowlist,
    unbacked_claims,
    unused_entries,
)

from guide_kit.paths import DOCS, ROOT

ALLOWLIST = ROOT / "tests" / "claims-allowlist.txt"
# Pages generated from the stages' files: their words are code, and nobody writes them.
GENERATED = (DOCS / "stages" / "diffs",)


def guide_pages() -> list[Path]:
    """Return the pages a reader reads: the README and every page of the guide."""
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    return [page for page in pages if not any(page.is_relative_to(g) for g in GENERATED)]


HOW_TO_FIX = (
    "Each sentence above states a universal, a superlative or a figure and links no proof. Link"
    " the test, the benchmark result or the code that shows it, at the end of the sentence:"
    f" [proof]({REPOSITORY}/blob/main/<path>){{ .proof }} (or a page of the guide with its"
    " anchor); or write the sentence without the universal or superlative if it is not true as"
    " written; or,"
    " when no proof can exist, add it to tests/claims-allowlist.txt with the reason."
    " See CONTRIBUTING.md, 'Claims link to their proof'."
)


def test_every_claim_of_the_guide_links_its_proof() -> None:
    unbacked = unbacked_claims(guide_pages(), read_allowlist(ALLOWLIST), ROOT)

    assert unbacked == [], "\n".join([*(claim.shown(ROOT) for claim in unbacked), HOW_TO_FIX])


def test_the_allowlist_names_only_claims_that_still_need_it() -> None:
    unused = unused_entries(guide_pages(), read_allowlist(ALLOWLIST), ROOT)

    assert unused == [], f"remove these entries from {ALLOWLIST.name}: {unused}"


def test_every_proof_names_a_file_of_the_repository() -> None:
    problems = [problem for page in guide_pages() for problem in broken_proofs(page, ROOT)]

    assert problems == []


# --- the checker, on pages written for it ------------------------------------------------------


def page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "docs" / "page.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_sentence_with_every_and_no_proof_fails(tmp_path: Path) -> None:
    written = page(tmp_path, "# A page\n\nThe service checks every input. It is fast.\n")

    unbacked = unbacked_claims([written], [], tmp_path)

    assert [(claim.line, claim.text, claim.words) for claim in unbacked] == [
        (3, "The service checks every input.", ("every",))
    ]


def test_a_ranking_with_no_proof_fails(tmp_path: Path) -> None:
    # The kind of sentence that outlives its table: the figures move, the ranking stays.
    text = "# A page\n\nThe access line is the largest part. Its line is long-lived.\n"
    written = page(tmp_path, text)

    unbacked = unbacked_claims([written], [], tmp_path)

    assert [(claim.text, claim.words) for claim in unbacked] == [
        ("The access line is the largest part.", ("largest",))
    ]


def test_a_proof_mark_a_listing_or_an_allowlist_entry_backs_a_claim(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_inputs.py").write_text("")
    proof = f"[proof]({REPOSITORY}/blob/main/tests/test_inputs.py){{ .proof }}"
    written = page(
        tmp_path,
        f"The service checks every input {proof}.\n\n"
        "Each request is parsed once, and all of it is checked:\n\n"
        "```python\nparse(request)\n```\n\n"
        "The page never lies.\n",
    )
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text("docs/page.md | The page never lies | a page's own promise\n")

    assert unbacked_claims([written], read_allowlist(allowlist), tmp_path) == []
    assert broken_proofs(written, tmp_path) == []


def test_code_includes_and_the_rule_are_not_claims(tmp_path: Path) -> None:
    written = page(
        tmp_path,
        "## The rule\n\nVersion every endpoint.\n\n## The code\n\n"
        "Call `every_user()` as shown.\n\n"
        '--8<-- "benchmarks/results/health.md"\n\n'
        "```text\nevery line here is code\n```\n\n"
        "<!-- every comment is skipped -->\n",
    )

    assert [claim for claim, _ in claims(written)] == []


def test_a_figure_is_a_claim_and_a_proof_must_name_a_real_file(tmp_path: Path) -> None:
    missing = f"[proof]({REPOSITORY}/blob/main/tests/test_gone.py){{ .proof }}"
    written = page(tmp_path, f"The stage serves 0.45x of a bare app. It is checked {missing}.\n")

    unbacked = unbacked_claims([written], [], tmp_path)

    assert [claim.words for claim in unbacked] == [("0.45x",)]
    assert broken_proofs(written, tmp_path) == [
        f"docs/page.md:1: the proof {REPOSITORY}/blob/main/tests/test_gone.py"
        " names no file of the repository"
    ]


@pytest.mark.parametrize(
    "entry",
    ["docs/page.md | fragment", "docs/page.md | fragment | ", "no separators at all"],
)
def test_an_allowlist_entry_needs_its_reason(tmp_path: Path, entry: str) -> None:
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text(entry + "\n")

    with pytest.raises(ValueError, match="expected"):
        read_allowlist(allowlist)


def test_a_proof_mark_on_a_page_carries_its_class(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_inputs.py").write_text("")
    written = page(
        tmp_path,
        f"The service checks every input [proof]({REPOSITORY}/blob/main/tests/test_inputs.py).\n",
    )

    assert broken_proofs(written, tmp_path) == [
        "page.md:1: write the proof mark as [proof](...){ .proof }"
    ]
