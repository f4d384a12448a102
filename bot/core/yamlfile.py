"""Reading the YAML files in dialogs/ (the flows, the catalogues, the agenda, the plans)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# libyaml's parser where PyYAML was built with it: the same safe loading, about eight times as
# fast (every start reads every dialog and catalogue; the test suite starts the bot hundreds of times).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
