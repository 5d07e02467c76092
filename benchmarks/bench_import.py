"""What ``import csrules`` and ``csrules --help`` cost, against floors measured in the same run.

Each command runs in a fresh interpreter, the commands in turn (A B C D, A B C D ...), so a
drift of the machine's speed touches them all alike; the median wall time of each is shown,
with its ratio to the two floors:

- ``python -c pass``: the interpreter's own start-up, which no library can go below;
- ``python -c "import pydantic"``: csrules' own heaviest dependency, the floor a library
  built on pydantic would pay if it imported its models at import time.

Run:  python benchmarks/bench_import.py [--runs 21]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HELP = (
    [shutil.which("csrules", path=str(Path(sys.executable).parent))]
    if shutil.which("csrules", path=str(Path(sys.executable).parent))
    else [sys.executable, "-m", "csrules._cli.cli"]
)

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import pydantic": [sys.executable, "-c", "import pydantic"],
    "import csrules": [sys.executable, "-c", "import csrules"],
    "csrules --help": [*HELP, "--help"],
}
FLOORS = ("python -c pass", "import pydantic")
TARGETS = {"import csrules": 0.25, "csrules --help": 0.35}


def wall(command: list[str]) -> float:
    """Seconds from start to exit of ``command`` (its output discarded; it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    """Time every command ``--runs`` times in turn and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    for command in COMMANDS.values():  # warm the file cache and the .pyc files
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{runs} runs each, in turn; median wall seconds (min - max)")
    print(f"{'command':<18} {'median':>7} {'range':>15} {'x pass':>7} {'x pydantic':>11}  target")
    for name, values in times.items():
        ratios = "".join(f" {median[name] / median[floor]:>{7 if floor == FLOORS[0] else 11}.2f}" for floor in FLOORS)
        target = TARGETS.get(name)
        verdict = f"  <= {target:.2f} s: {'met' if median[name] <= target else 'NOT met'}" if target else ""
        print(f"{name:<18} {median[name]:>7.3f} {min(values):>7.3f} - {max(values):<5.3f}{ratios}{verdict}")


if __name__ == "__main__":
    main()
