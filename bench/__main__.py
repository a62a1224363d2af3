"""Run benchmarks: ``python -m bench [NAME ...] [-- ARGS]``.

Every ``bench_NAME.py`` is one benchmark with ``main(argv) -> dict``; the dict is printed and
written to ``bench/results/NAME.json``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def available() -> list[str]:
    """Return the names of every benchmark module."""
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )


def run(name: str, argv: list[str]) -> dict[str, object]:
    """Run one benchmark and keep its figures."""
    module = importlib.import_module(f"bench.bench_{name}")
    result: dict[str, object] = module.main(argv)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result


def main() -> None:
    """Parse the command line and run the chosen benchmarks (all when none is named)."""
    args = sys.argv[1:]
    extra: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, extra = args[:cut], args[cut + 1 :]
    names = args or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(available())}")
        raise SystemExit(2)
    for name in names:
        print(f"== {name}")
        result = run(name, extra)
        print(json.dumps(result, indent=2, sort_keys=True))


main()
