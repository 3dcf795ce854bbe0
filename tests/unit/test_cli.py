"""The plugin definition the README adds declares what the demo project declares (no process)."""

from __future__ import annotations

import yaml
from repo_paths import ROOT


def test_plugin_definition_declares_the_settings_the_demo_project_declares():
    definition = yaml.safe_load((ROOT / "target-gong-di.meltano.yml").read_text())
    loader = yaml.safe_load((ROOT / "meltano.yml").read_text())["plugins"]["loaders"][0]
    shipped = {s["name"]: (s["kind"], s.get("value")) for s in definition["settings"]}
    assert shipped == {s["name"]: (s["kind"], s.get("value")) for s in loader["settings"]}
