"""Write chalicelib/data/crisis_phrases.compiled.json: the crisis lists read into patterns once.

The reviewed lists (chalicelib/data/crisis_phrases*.txt) stay the one
source; this file only spares every cold start the reading of their grammar.
Run `python -m scripts.export_screening` after editing a list; a unit test
fails while the committed file is stale, and until then screening reads the
lists themselves (slower, same answers).
"""

from __future__ import annotations

import json
import sys

from chalicelib import screening


def compiled() -> str:
    """The file's text for the lists as they are now."""
    digest, texts = screening.phrase_sources()
    phrases = [
        [pattern, sorted([w, p] for w, p in firsts), sorted(required), language]
        for _, pattern, firsts, required, language in screening.read_lists(texts)
    ]
    return json.dumps({"sources": digest, "phrases": phrases}, ensure_ascii=False, indent=0) + "\n"


def main() -> int:
    """Write the file."""
    screening._COMPILED_FILE.write_text(compiled(), encoding="utf-8")
    print(f"wrote {screening._COMPILED_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
