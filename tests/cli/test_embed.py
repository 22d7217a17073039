"""``toonsklearn embed`` (toonsklearn/cli/_embed.py): a folder of images to a NumPy .npz
file of embeddings, paths and labels, as ``ImageEmbedder`` computes them."""

import os
from pathlib import Path

import numpy as np
import pytest

from tests.cli.conftest import error_line, run_cli
from tests.conftest import solid, write_image
from toonsklearn.cli import main
from toonsklearn.embedding import ImageEmbedder

# efficientnet_lite0 takes 32x32 at the least: the smallest, fastest size it embeds
SIZE = ["--input-size", "32", "32"]
COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (240, 240, 20), (10, 10, 10)]


def drawings(folder: Path, names: list[str]) -> list[str]:
    """16x16 PNGs of different colours at ``folder/name``; their paths."""
    return [write_image(folder / name, solid(16, 16, COLOURS[i])) for i, name in enumerate(names)]


# The command line turns each warning into one plain line: let ours reach it.
@pytest.mark.filterwarnings("default::toonsklearn.exceptions.ToonsklearnWarning")
def test_embed_writes_the_embeddings_paths_and_labels_of_class_folders(tmp_path, capsys):
    data = tmp_path / "toons"
    images = drawings(data, ["jerry/a.png", "jerry/b.png", "tom/c.png", "tom/sub/d.png"])
    (data / "tom" / "broken.png").write_bytes(b"not a png at all")
    out = tmp_path / "embeddings.npz"
    assert main(["embed", str(data), *SIZE, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1] == (
        f"Saved 4 embeddings of 1280 dimensions to {out}; read them with "
        f"numpy.load({str(out)!r}).")
    assert captured.err.strip().splitlines() == [
        "toonsklearn embed: warning: Skipped 1 of 5 files, with their labels (1 corrupt or "
        f"not an image): '{data / 'tom' / 'broken.png'}'."]

    with np.load(out) as saved:  # no allow_pickle: every array is plain
        assert sorted(saved.files) == ["backbone", "embeddings", "input_size", "labels",
                                       "paths", "pooling", "weights"]
        embeddings, paths, labels = saved["embeddings"], saved["paths"], saved["labels"]
        assert str(saved["backbone"]) == "efficientnet_lite0"
        assert str(saved["weights"]) == "imagenet" and str(saved["pooling"]) == "avg"
        assert saved["input_size"].tolist() == [32, 32]
    assert embeddings.dtype == np.float32 and embeddings.shape == (4, 1280)
    assert paths.tolist() == ["jerry/a.png", "jerry/b.png", "tom/c.png", "tom/sub/d.png"]
    assert labels.tolist() == ["jerry", "jerry", "tom", "tom"]
    expected = ImageEmbedder(input_size=(32, 32)).transform(np.asarray(images))
    np.testing.assert_allclose(embeddings, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(embeddings[0], embeddings[2])  # the images differ, so do they


def test_a_flat_folder_gets_empty_labels_and_every_option_is_the_embedders(tmp_path,
                                                                          capsys):
    data = tmp_path / "frames"
    images = drawings(data, [f"frame_{i}.png" for i in range(5)])
    (data / ".thumbnails").mkdir()  # hidden: still a folder without class folders
    cache, out = tmp_path / "cache", tmp_path / "frames.npz"
    options = [*SIZE, "--weights", "none", "--random-state", "3", "--pooling", "max",
               "--batch-size", "2", "--memory", str(cache)]
    assert main(["embed", str(data), *options, "--out", str(out)]) == 0
    assert "Saved 5 embeddings" in capsys.readouterr().out
    with np.load(out) as saved:
        assert saved["paths"].tolist() == [f"frame_{i}.png" for i in range(5)]
        assert saved["labels"].tolist() == [""] * 5
        assert str(saved["weights"]) == "none" and str(saved["pooling"]) == "max"
        embeddings = saved["embeddings"]
    assert any(cache.iterdir())  # the features went through the cache
    expected = ImageEmbedder(weights=None, random_state=3, input_size=(32, 32),
                             pooling="max", batch_size=2).transform(np.asarray(images))
    np.testing.assert_allclose(embeddings, expected, rtol=1e-5, atol=1e-6)


def test_a_split_tree_is_embedded_whole_by_the_installed_command(toon_tree, tmp_path):
    done = run_cli("embed", toon_tree, *SIZE, "--out", "toons.npz", cwd=tmp_path,
                   script=True)
    assert done.returncode == 0, done.stderr
    files = sorted(Path(toon_tree).rglob("*.png"))
    assert f"Embedding {len(files)} images from {toon_tree}" in done.stdout
    with np.load(tmp_path / "toons.npz") as saved:
        paths, labels = saved["paths"].tolist(), saved["labels"].tolist()
        assert saved["embeddings"].shape == (len(files), 1280)
    assert sorted(paths) == sorted(str(f.relative_to(toon_tree)) for f in files)
    assert {path.split(os.sep)[0] for path in paths} == {"train", "validation", "test"}
    assert labels == [path.split(os.sep)[1] for path in paths]


def test_a_failed_embedding_leaves_the_earlier_file_whole_and_no_partial_file(tmp_path,
                                                                             capsys):
    data = tmp_path / "toons"
    drawings(data, ["tom/a.png"])
    out = tmp_path / "embeddings.npz"
    out.write_bytes(b"an earlier file")
    garbage = tmp_path / "garbage.weights.h5"
    garbage.write_bytes(b"not HDF5")
    assert main(["embed", str(data), *SIZE, "--weights", str(garbage), "--out", str(out)]) == 1
    line = error_line(capsys)
    assert line.startswith(f"toonsklearn embed: error: Could not load --weights '{garbage}' "
                           "into efficientnet_lite0 (")
    assert out.read_bytes() == b"an earlier file"
    assert sorted(os.listdir(tmp_path)) == ["embeddings.npz", "garbage.weights.h5", "toons"]


@pytest.mark.parametrize("argv, message", [
    (lambda t, d: ["embed", str(t / "nowhere")],
     "DATA_DIR '{t}/nowhere' does not exist. Pass a folder of images"),
    (lambda t, d: ["embed", d, "--out", str(t / "no" / "e.npz")],
     "Cannot write --out '{t}/no/e.npz': the folder '{t}/no' does not exist. Create it"),
    (lambda t, d: ["embed", d, "--out", str(t)], "--out '{t}' is a folder; name a file"),
    (lambda t, d: ["embed", d, "--out", str(t / "e.csv")],
     "--out '{t}/e.csv' must end in .npz (NumPy's format, read with numpy.load), e.g. "
     "'{t}/e.npz'."),
    (lambda t, d: ["embed", d, "--backbone", "efficientnet-lite0"],
     "Unknown backbone 'efficientnet-lite0'. Did you mean 'efficientnet_lite0'? List the "
     "known ones with: toonsklearn backbones"),
    (lambda t, d: ["embed", d, "--input-size", "16", "16"],
     "--input-size 16 16 is smaller than efficientnet_lite0 takes; pass at least "
     "--input-size 32 32."),
    (lambda t, d: ["embed", d, "--weights", str(t / "missing.weights.h5")],
     "--weights '{t}/missing.weights.h5' is neither imagenet, none, nor an existing file"),
    (lambda t, d: ["embed", d, "--memory", d + "/tom/a.png"], "is not a folder"),
    (lambda t, d: ["embed", str(t / "empty"), "--out", str(t / "e.npz")],
     "No images found in {t}/empty: expected image files"),
])
def test_bad_input_exits_with_one_line_that_says_what_to_fix(tmp_path, monkeypatch, capsys,
                                                             argv, message):
    drawings(tmp_path / "toons", ["tom/a.png"])
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)  # where the default --out, embeddings.npz, would go
    assert main(argv(tmp_path, str(tmp_path / "toons"))) == 1
    line = error_line(capsys)
    assert line.startswith("toonsklearn embed: error: ")
    assert message.format(t=tmp_path) in line
    assert sorted(os.listdir(tmp_path)) == ["empty", "toons"]  # nothing written


def test_help_lists_every_option_with_its_default_and_bad_values_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as done:
        main(["embed", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: toonsklearn embed")
    for option in ("--out FILE the .npz file to write (default: embeddings.npz)",
                   "--backbone NAME a registered backbone (see: toonsklearn backbones; "
                   "default efficientnet_lite0",
                   "--weights imagenet|none|PATH", "(default: imagenet)",
                   "--input-size H W", "--pooling {avg,max}", "(default: avg)",
                   "--batch-size N images per step of the backbone (default: 32)",
                   "--memory FOLDER", "--random-state N seed for random weights (default: 0)"):
        assert option in text
    for bad in (["--pooling", "mean"], ["--batch-size", "0"], ["--input-size", "32"]):
        with pytest.raises(SystemExit) as done:
            main(["embed", "toons", *bad])
        assert done.value.code == 2
    assert "--batch-size: must be an int of at least 1; received '0'" in capsys.readouterr().err
