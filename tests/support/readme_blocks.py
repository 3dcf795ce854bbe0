"""The README's tagged examples, each of which a test runs: JSON, YAML and shell commands."""

from __future__ import annotations

import re

from repo_paths import ROOT

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(json|yaml) ?(\S*)\n(.*?)```", README, re.S)
CREDENTIALS = {"access_key": "key", "access_key_secret": "secret"}
SHELL_BLOCKS = [
    (tag, re.sub(r"^> ?", "", text, flags=re.M))
    for tag, text in re.findall(r"^(?:> )?```sh ?(\S*)\n(.*?)^(?:> )?```", README, re.S | re.M)
]
"""(tag, text) of every ``sh`` block; a block inside a quote ("> ") loses its quote marks."""


def blocks(language: str, kind: str) -> list[str]:
    return [text for lang, tag, text in BLOCKS if lang == language and tag == kind]


def shell_commands(kind: str) -> list[str]:
    """The commands of the ``sh`` blocks tagged ``kind``, in order; a line ending in a
    backslash continues on the next."""
    text = "".join(block for tag, block in SHELL_BLOCKS if tag == kind)
    return [command for command in text.replace("\\\n", "").splitlines() if command.strip()]


def typed_commands(kind: str, substitutions: dict[str, str]) -> list[str]:
    """The commands of ``kind`` as a test types them: each README placeholder replaced.

    Every substitution must match the block, so the README cannot drift from the test."""
    commands = shell_commands(kind)
    missing = [old for old in substitutions if not any(old in line for line in commands)]
    assert missing == [], f"README block {kind!r} no longer says {missing}"
    for old, new in substitutions.items():
        commands = [command.replace(old, new) for command in commands]
    return commands
