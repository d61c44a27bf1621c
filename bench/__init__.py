"""Benchmarks: each module here has a one-line docstring and `main()`, which prints a table and,
as its last line, `RESULT {json}` with its figures beside the limit measured in the same run."""

import importlib
import pkgutil


def available() -> dict[str, str]:
    """Benchmark name -> the first line of its docstring. A name is its module's name with
    hyphens for underscores (`bench/edge_outbox.py` is `edge-outbox`)."""
    modules = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return {module.replace("_", "-"): _summary(module) for module in modules}


def _summary(module: str) -> str:
    doc = importlib.import_module(f"bench.{module}").__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def run(name: str) -> None:
    if name not in available():
        raise KeyError(f"no benchmark {name!r}; known: {', '.join(available())}")
    importlib.import_module(f"bench.{name.replace('-', '_')}").main()
