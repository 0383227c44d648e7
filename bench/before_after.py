"""Run one benchmark script of two checkouts of zns_notify in turn, in one run, so that a
restructuring is measured against the code it replaced on the same machine at the same
time (machines are noisy: never compare figures from different runs).

    .venv/bin/python bench/before_after.py OLD_TREE [NEW_TREE] -- hot_path.py --rounds 5
    .venv/bin/python bench/before_after.py /tmp/old --repeat 3 -- throughput.py --latency 0

OLD_TREE is a checkout (``git worktree add /tmp/old <commit>``); NEW_TREE defaults to this
one. Each tree's ``bench/<script>`` runs with the same Python and arguments, alternating
old, new, old, new... ``--repeat`` times; every run's output is printed under its tree's
name, and each run's ``ratio`` figures side by side at the end.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = re.compile(r"^(?P<name>[\w-]+): bare ")
RATIO = re.compile(r"^\s*(?P<label>.*?)\s+[\d.]+ ms\s+ratio\s+(?P<ratio>[\d.]+)x")
#: bench/throughput.py's table: "   50ms  outbox    2000    9.512   210.3      71%  ..."
SHARE = re.compile(
    r"^\s*(?P<latency>\d+)ms\s+(?P<profile>\w+)\s+\d+\s+[\d.]+\s+[\d.]+\s+(?P<ratio>\d+)%",
)


def run(tree: Path, script: list[str]) -> str:
    command = [sys.executable, str(tree / "bench" / script[0]), *script[1:]]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{tree}: {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def figures(output: str) -> list[tuple[str, str]]:
    found, scenario = [], ""
    for line in output.splitlines():
        if heading := SCENARIO.match(line):  # bench/hot_path.py: "plain-save: bare 1.4 ms"
            scenario = heading["name"] + " "
        elif ratio := RATIO.match(line):
            found.append((scenario + ratio["label"].strip(), ratio["ratio"]))
        elif share := SHARE.match(line):
            found.append(
                (f"{share['latency']} ms {share['profile']} (of loop)", share["ratio"] + "%")
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, nargs="?", default=ROOT)
    parser.add_argument("--repeat", type=int, default=2)
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("name the script after --, e.g. -- hot_path.py --rounds 5")
    # Everything after "--" is the script's: its own options never reach this parser.
    split = argv.index("--")
    args = parser.parse_args(argv[:split])
    script = argv[split + 1 :]
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    table: dict[str, list[list[tuple[str, str]]]] = {"old": [], "new": []}
    for turn in range(args.repeat):
        for name, tree in trees.items():
            output = run(tree, script)
            print(f"===== {name} ({tree}), run {turn + 1}\n{output}", flush=True)
            table[name].append(figures(output))
    print("===== ratios, old | new, run by run")
    for turn in range(args.repeat):
        for (label, old), (_label, new) in zip(
            table["old"][turn], table["new"][turn], strict=False
        ):
            print(f"run {turn + 1}  {label:<40} {old:>8} | {new:<8}")


if __name__ == "__main__":
    main()
