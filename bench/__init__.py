"""Benchmarks: each module here has a one-line docstring and `main()`, which prints a table and,
as its last line, `RESULT {json}` with its figures beside the limit measured in the same run."""

import importlib
import pkgutil


def available() -> dict[str, str]:
    """Benchmark name -> the first line of its docstring."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return {name: _summary(name) for name in names}


def _summary(name: str) -> str:
    doc = importlib.import_module(f"bench.{name}").__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def run(name: str) -> None:
    if name not in available():
        raise KeyError(f"no benchmark {name!r}; known: {', '.join(available())}")
    importlib.import_module(f"bench.{name}").main()
