"""docs/data_dictionary.md matches the warehouse a real run publishes.

Set CAPSCORE_UPDATE_DOCS=1 to rewrite the file from this run instead of failing.
"""

import os

import pytest

from capscore.storage.paths import DataRoot
from capscore.warehouse.data_dictionary import DICTIONARY_PATH, generate

pytestmark = pytest.mark.e2e


def test_data_dictionary_is_up_to_date(dirty_root: DataRoot) -> None:
    text, missing = generate(dirty_root.warehouse)
    assert not missing, (
        "columns without a meaning: describe them in the sql/ file's header or in "
        "warehouse/data_dictionary.py (COLUMN_MEANINGS):\n  " + "\n  ".join(missing)
    )
    if os.environ.get("CAPSCORE_UPDATE_DOCS") == "1":
        DICTIONARY_PATH.write_text(text, encoding="utf-8")
    committed = DICTIONARY_PATH.read_text(encoding="utf-8") if DICTIONARY_PATH.exists() else ""
    assert committed == text, (
        f"{DICTIONARY_PATH.name} is stale: rerun this test with CAPSCORE_UPDATE_DOCS=1 "
        "(or `python -m capscore.warehouse.data_dictionary --data-root <a built data root>`)"
    )
