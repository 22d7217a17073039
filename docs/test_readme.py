"""Every code block of README.md runs as pasted: the Python blocks in order in one fresh
interpreter (each block after the first continues the quickstart's session, as the
README says), then the command-line block in a shell, in an empty folder."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli.conftest import needs_safe_keras
from tests.test_docs import python_blocks

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Runs each block in one namespace and prints how long it took, for the times the README
# gives beside them.
RUNNER = textwrap.dedent("""
    import json, sys, time
    import matplotlib
    matplotlib.use("Agg")
    namespace = {"__name__": "__main__"}
    for number, block in enumerate(json.load(sys.stdin)):
        start = time.perf_counter()
        exec(compile(block, f"README block {number}", "exec"), namespace)
        print(f"README block {number}: {time.perf_counter() - start:.0f} s", flush=True)
""")


def bash_blocks(markdown):
    return re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL)


def command_line_block():
    """The block of ``toonsklearn`` commands (the others install or build)."""
    (block,) = [b for b in bash_blocks(README) if b.startswith("toonsklearn train")]
    return block


@pytest.mark.slow
@needs_safe_keras  # the saving block loads a .toonsklearn file, as the README says
def test_every_python_block_then_the_command_line_block_runs_as_pasted(tmp_path):
    import json

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    blocks = python_blocks(README)
    run = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(blocks), cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for number in range(len(blocks)):
        assert f"README block {number}: " in run.stdout
    assert (tmp_path / "toons.toonsklearn").is_file()  # the saving block's safe file
    assert (tmp_path / "search.journal").is_file()  # the resumable Optuna study

    # The command line, on the toons the quickstart drew, with this interpreter's toonsklearn.
    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    (tmp_path / "new_drawings").mkdir()
    for path in sorted((tmp_path / "toons" / "test" / "tom").iterdir())[:5]:
        (tmp_path / "new_drawings" / path.name).write_bytes(path.read_bytes())
    shell = subprocess.run(["bash", "-euo", "pipefail", "-c", command_line_block()],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
    assert shell.returncode == 0, shell.stdout[-3000:] + shell.stderr[-3000:]
    assert len((tmp_path / "predictions.csv").read_text().splitlines()) == 1 + 5
    assert list((tmp_path / "report").glob("*.png"))
    assert (tmp_path / "audit" / "index.html").is_file()


def test_the_readme_says_which_blocks_continue_the_quickstart():
    """A block that uses the quickstart's names sits under the sentence saying it
    continues the quickstart's session."""
    first, *later = python_blocks(README)
    assert "train = load_image_folder(" in first
    continues = README.index("each block below continues the\nquickstart's session")
    for block in later:
        assert README.index(block) > continues
