"""The README's tagged JSON and YAML examples, each of which a test runs."""

from __future__ import annotations

import re

from repo_paths import ROOT

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(json|yaml) ?(\S*)\n(.*?)```", README, re.S)
CREDENTIALS = {"access_key": "key", "access_key_secret": "secret"}


def blocks(language: str, kind: str) -> list[str]:
    return [text for lang, tag, text in BLOCKS if lang == language and tag == kind]
