"""The visitor's path speaks US English: the clinics it serves are in the United States."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Where a visitor's words come from: the API's answers and pages, the form snippet, its demo and docs.
VISITOR_FILES = sorted(
    [*ROOT.joinpath("chalicelib").rglob("*.py"), *ROOT.joinpath("chalicelib", "data").rglob("*.json")]
    + [p for p in ROOT.joinpath("web").iterdir() if p.suffix in {".html", ".js", ".css", ".json"}]
    + [ROOT / "README.md"]
)
BRITISH = {
    r"\benquir(y|ies)\b": "inquiry",
    r"\btick(ed)? the box": "check the box",
    r"\bdiall(ing|ed)\b": "dialing",
    r"\bcolour": "color",
    r"\bcentre\b": "center",
    r"\bprogramme\b": "program",
    r"\bwhilst\b": "while",
}


@pytest.mark.parametrize("path", VISITOR_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_british_spellings_on_the_visitors_path(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        f"{match.group(0)!r} (use {us!r})"
        for pattern, us in BRITISH.items()
        for match in re.finditer(pattern, text, flags=re.I)
    ]
    assert not found, f"{path.relative_to(ROOT)}: {', '.join(found)}"
