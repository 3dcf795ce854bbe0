"""The repository's demo Meltano project (meltano.yml) and the loader it declares."""

from __future__ import annotations

import yaml
from repo_paths import ROOT

PROJECT = yaml.safe_load((ROOT / "meltano.yml").read_text())
LOADER = PROJECT["plugins"]["loaders"][0]
