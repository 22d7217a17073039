"""How long the command line takes to start, against the imports it might pay for.

Each command runs in a fresh process (``subprocess``, this interpreter), one round of
all of them after another so that the machine's load falls on each alike; the median
and the fastest of the rounds are printed, with the exit status. The commands: the bare
interpreter (``python -c pass``), ``import toonsklearn``, ``toonsklearn --help``,
``toonsklearn --version`` and ``toonsklearn train no_such_dir --out M`` (a missing
folder, which must exit with status 1 before TensorFlow is imported; ``M`` a file in a
temporary folder, never written), all run as
``python -m toonsklearn ...`` so that the same interpreter starts each; and for
reference the imports the command line must not pay for when it does not train:
``import tensorflow`` and ``import sklearn.ensemble`` (the heaviest scikit-learn module
the estimators use). Once more each, untimed, under ``python -X importtime``, gives the
columns ``tensorflow`` and ``sklearn``: whether the process imported them at all. The
slowest imports of ``toonsklearn --help`` (cumulative, top-level packages) are listed
last.

Figures are whole-process wall times: interpreter start, imports, the command, exit.

Usage: python benchmarks/bench_cli.py [--quick] [--repeats N]

``--quick`` takes the median of 3 rounds (about 20 seconds on 2 cores), the full run
of 10 (about a minute).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY = sys.executable


def commands(out: str) -> dict[str, list[str]]:
    """The commands timed; ``out`` a file ``train`` must fail before writing."""
    return {
        "python -c pass": [PY, "-c", "pass"],
        "import toonsklearn": [PY, "-c", "import toonsklearn"],
        "toonsklearn --help": [PY, "-m", "toonsklearn", "--help"],
        "toonsklearn --version": [PY, "-m", "toonsklearn", "--version"],
        "toonsklearn train no_such_dir --out M": [PY, "-m", "toonsklearn", "train",
                                                  "no_such_dir", "--out", out],
        "import tensorflow": [PY, "-c", "import tensorflow"],
        "import sklearn.ensemble": [PY, "-c", "import sklearn.ensemble"],
    }


EXPECTED_STATUS = {"toonsklearn train no_such_dir --out M": 1}
#: tensorflow's C++ start-up messages would fill the output otherwise.
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def run_once(argv: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, env=ENV, check=False)
    return time.perf_counter() - start, done.returncode


def imports(argv: list[str]) -> dict[str, tuple[int, int]]:
    """Each module the command imports: (self, cumulative) microseconds."""
    stderr = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True,
                            text=True, env=ENV, check=False).stderr
    found = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        if own.strip().isdigit():  # not the header line
            found[name.strip()] = (int(own), int(cumulative))
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the median of 3 rounds instead of 10")
    parser.add_argument("--repeats", type=int, default=None,
                        help="rounds (default 10, 3 with --quick)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 10)
    print(f"mode: {'quick' if args.quick else 'full'}; {repeats} rounds of fresh processes, "
          f"{os.cpu_count()} cores; {PY}", flush=True)
    begin = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        timed = commands(os.path.join(folder, "model.toonsklearn"))
        seconds = {name: [] for name in timed}
        status = {}
        for _ in range(repeats):
            for name, command in timed.items():
                elapsed, status[name] = run_once(command)
                seconds[name].append(elapsed)
        loaded = {name: imports(command) for name, command in timed.items()}

    print(f"\n{'command':38} {'median s':>9} {'min s':>7} {'exit':>5} {'tensorflow':>11}"
          f" {'sklearn':>8}")
    for name, times in seconds.items():
        code = f"{status[name]}{'' if status[name] == EXPECTED_STATUS.get(name, 0) else '!'}"
        print(f"{name:38} {statistics.median(times):9.3f} {min(times):7.3f} {code:>5}"
              f" {'yes' if 'tensorflow' in loaded[name] else 'no':>11}"
              f" {'yes' if 'sklearn' in loaded[name] else 'no':>8}")
    print("(exit: ! where not the expected status, 1 for train and 0 for the others; "
          "tensorflow, sklearn: whether the process imported them, from -X importtime)")

    packages = {name: cumulative for name, (_, cumulative) in
                loaded["toonsklearn --help"].items() if "." not in name}
    top = sorted(packages.items(), key=lambda item: -item[1])[:8]
    print("\nslowest top-level imports of toonsklearn --help (cumulative, one run, "
          "-X importtime):")
    for name, micro in top:
        print(f"  {name:28} {micro / 1e6:7.3f} s")
    print(f"\nwhole run {time.perf_counter() - begin:.0f}s")


if __name__ == "__main__":
    main()
