"""Generate every NEST 3.10 reference trace in this folder (run by hand, never in CI).

Environment (Python 3.11 or 3.12)::

    python3 -m venv /tmp/nest && /tmp/nest/bin/pip install nest-simulator==3.10.0 saiunit
    /tmp/nest/bin/python tests/reference/make_nest_refs.py

Runs the per-model generators ``make_nest_refs_<model>.py`` beside this file; each writes
``nest_<model>_<scenario>.npz`` files with a ``meta`` JSON field (see README.md).
"""

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script in sorted(HERE.glob("make_nest_refs_*.py")):
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        sys.modules[script.stem] = module
        spec.loader.exec_module(module)
        print(f"== {script.name}")
        module.main()
