"""``predict_video`` against a plain PyAV + Keras loop: speed, memory, smoothing.

One model for every part: ``TransferClassifier(backbone="efficientnet_lite0",
input_size=(128, 128))`` (ImageNet weights from its pip package, no download; head on
frozen features), fitted on ``make_toons`` images (tom against jerry) drawn at 90x160,
the shape of a 16:9 frame, and a copy of each with Gaussian noise (sigma drawn from
0-80 grey levels), so that noisy frames make it unsure rather than all "tom". Each
video is an "episode" written with ``write_video`` (libx264's defaults: a key frame at
each scene cut and at least every 10 s; 25 fps) from a script of scenes 3 to 10 seconds
long, each scene one toon drawn by ``make_toons`` (a class each: the script's truth),
upscaled. Three parts, measured in one run; the videos go to a temporary folder,
removed at the end:

1. speed: frames predicted a second by ``predict_video(est, path, every=...)``
   against the loop a user writes by hand: ``av.open(path)``, ``for frame in
   container.decode(video=0)``, keep a frame once its time reaches the next sampling
   time, ``frame.to_image().resize((128, 128), Image.BILINEAR)``, 128 frames a batch,
   ``est.model_.predict(np.stack(batch), batch_size=32)``, the most probable class
   (the same batch sizes on both sides). On a 640x360 episode whose camera pans
   slowly across each scene (so frames differ, as in a cartoon), for ``every`` None
   (every frame), 0.5 s, 5 s and 15 s. The plain loop decodes every frame;
   ``predict_video`` seeks to the key frame before the next sampling time only where
   that time lies further ahead than the widest gap between key frames seen (here up
   to 10 s), so at 15 s; the table gives the frames each side decoded. Each timing is
   the median of ``--repeats`` runs, ours and plain taking turns (which goes first
   alternates), after a warm-up of both on the first 10 seconds. Ratio = ours / plain
   frames per second (goal >= 0.9). Also: the share of sampled frames where both give
   the same label, and, for every frame, where the time goes on each side (reading:
   ``read_frames`` against decode + resize; predicting: ``est.predict_proba`` against
   ``model_.predict`` on the same 128-frame batches). Both decode with PyAV's default
   threading.
2. memory: ``predict_video(est, path)`` (``every=1.0``, the default) on a 30-minute
   and a 1-minute episode of 160x120 still scenes, each in a fresh process: the
   process's peak resident memory (VmHWM: the interpreter, TensorFlow and the model
   included), and its growth during the call above the resident memory just before
   (after loading the model and a warm-up call on its first 10 seconds, every frame),
   also per frame predicted (one 128x128 RGB frame is 48 KiB). Goal: the 30-minute
   peak within 10 % of the 1-minute one.
3. smoothing: a 320x180 episode with fresh Gaussian noise (sigma 80) on every frame
   (so that the model flickers), ``every=0.5``: the share of sampled times whose
   predicted label is the script's, and the number of label changes along the
   timeline, with ``smooth=None``, 3 and 5 (the script itself changes label at some
   scene cuts).

Usage: python benchmarks/bench_video.py [--quick] [--minutes M] [--repeats R]
           [--long-minutes L] [--noisy-minutes N] [--train N]

``--quick``: a 1.5-minute speed episode (5 in the full run), 3 repeats (5), a 2-minute
noisy episode (10) and 400 training images (1,000); the memory part is 30 minutes
against 1 in both modes. On 2 cores ``--quick`` takes about 4 minutes; the full run,
estimated from it, about 15.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

FPS = 25
DRAW_SIZE = (90, 160)  # (height, width) the toons are drawn at: a 16:9 frame
MODEL_SIZE = (128, 128)  # the model's input: the frames are stretched to it
SPEED_FRAME = (360, 640)
MEMORY_FRAME = (120, 160)
NOISY_FRAME = (180, 320)
NOISE_SIGMA = 80.0  # grey levels: the per-frame noise of part 3, and the most in training
EVERY = (None, 0.5, 5.0, 15.0)
BATCH = 128  # frames a batch, both sides (predict_video's default)
KERAS_BATCH = 32  # images a Keras step, both sides (Keras' default)
MIB = 2**20


# ------------------------------------------------------------------------ the episodes
class Episode:
    """A script of scenes: one toon each, ``lengths`` frames each, at ``FPS``."""

    def __init__(self, minutes: float, seed: int, distinct: int | None = None):
        from toonsklearn.datasets import make_toons

        rng = np.random.default_rng(seed)
        total = round(minutes * 60 * FPS)
        lengths = []
        while sum(lengths) < total:
            lengths.append(int(rng.integers(3 * FPS, 10 * FPS + 1)))
        lengths[-1] -= sum(lengths) - total
        if lengths[-1] == 0:
            lengths.pop()
        n_images = min(len(lengths), distinct or len(lengths))
        images, labels = make_toons(n_images, image_size=DRAW_SIZE, random_state=seed)
        order = rng.permutation(n_images)  # make_toons' classes come in a pattern
        self.images = [images[order[i % n_images]] for i in range(len(lengths))]
        self.labels = np.asarray([labels[order[i % n_images]] for i in range(len(lengths))])
        self.lengths = lengths
        self.starts = np.cumsum([0, *lengths[:-1]])
        self.frames = total
        self.seconds = total / FPS
        self.rng = rng

    def truth(self, times) -> np.ndarray:
        """The script's label at each time (seconds)."""
        frames = np.floor(np.asarray(times) * FPS + 1e-6).astype(int)
        return self.labels[np.searchsorted(self.starts, frames, side="right") - 1]

    def panning(self, size):
        """Frames of ``size``: each scene's toon a ninth larger than the frame, the camera
        panning diagonally across it during the scene."""
        height, width = size
        for image, length in zip(self.images, self.lengths, strict=True):
            big = np.asarray(Image.fromarray(image).resize(
                (width * 9 // 8, height * 9 // 8), Image.BILINEAR))
            rows, cols = big.shape[0] - height, big.shape[1] - width
            for k in range(length):
                f = k / max(1, length - 1)
                top, left = round(rows * f), round(cols * f)
                yield big[top:top + height, left:left + width]

    def still(self, size):
        """Frames of ``size``: each scene's toon, still."""
        for image, length in zip(self.images, self.lengths, strict=True):
            big = np.asarray(Image.fromarray(image).resize(size[::-1], Image.BILINEAR))
            for _ in range(length):
                yield big

    def noisy(self, size, sigma):
        """Frames of ``size``: each scene's toon, with fresh Gaussian noise on every frame."""
        for image, length in zip(self.images, self.lengths, strict=True):
            big = np.asarray(Image.fromarray(image).resize(size[::-1], Image.BILINEAR),
                             dtype=np.float32)
            for _ in range(length):
                noise = self.rng.standard_normal(big.shape, dtype=np.float32) * sigma
                yield np.clip(big + noise, 0, 255).astype(np.uint8)


def write(path: Path, frames, episode: Episode) -> dict:
    from toonsklearn.video import write_video

    start = time.perf_counter()
    write_video(path, frames, fps=FPS)
    return {"seconds": time.perf_counter() - start, "mib": path.stat().st_size / MIB,
            "frames": episode.frames}


# --------------------------------------------------------------------------- part 1
def plain_loop(est, path, every, end=None):
    """What a user writes with PyAV and Keras: times and labels of the sampled frames,
    and the frames decoded."""
    import av

    model = est.model_
    height, width = MODEL_SIZE
    times, outputs, batch = [], [], []
    decoded = 0
    next_time = 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            decoded += 1
            t = frame.time
            if end is not None and t >= end:
                break
            if every is not None:
                if t < next_time - 1e-6:
                    continue
                next_time = (math.floor(t / every + 1e-6) + 1) * every
            image = frame.to_image().resize((width, height), Image.BILINEAR)
            batch.append(np.asarray(image))
            times.append(t)
            if len(batch) == BATCH:
                outputs.append(model.predict(np.stack(batch), batch_size=KERAS_BATCH,
                                             verbose=0))
                batch = []
        if batch:
            outputs.append(model.predict(np.stack(batch), batch_size=KERAS_BATCH, verbose=0))
    out = np.concatenate(outputs)
    if out.shape[1] == 1:  # one sigmoid unit: the second class's probability
        chosen = (out[:, 0] > 0.5).astype(int)
    else:
        chosen = out.argmax(axis=1)
    return np.asarray(times), est.classes_[chosen], decoded


def ours(est, path, every, end=None, smooth=None):
    from toonsklearn.video import predict_video

    return predict_video(est, path, every=every, end=end, smooth=smooth, batch_size=BATCH)


def timed(call):
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


def where_time_goes(est, path, repeats: int) -> dict:
    """Every frame: reading alone and predicting alone, each side, medians."""
    import av

    from toonsklearn.video import read_frames

    def read_ours():
        with read_frames(path, None, size=MODEL_SIZE) as frames:
            return np.stack([image for _, image in frames])

    def read_plain():
        with av.open(str(path)) as container:
            return np.stack([np.asarray(frame.to_image().resize(MODEL_SIZE[::-1],
                                                                Image.BILINEAR))
                             for frame in container.decode(video=0)])

    frames = read_ours()
    np.testing.assert_array_equal(frames, read_plain())  # the same pixels
    chunks = [frames[i:i + BATCH] for i in range(0, len(frames), BATCH)]

    def predict_ours():
        return [est.predict_proba(chunk) for chunk in chunks]

    def predict_plain():
        return [est.model_.predict(chunk, batch_size=KERAS_BATCH, verbose=0)
                for chunk in chunks]

    calls = {"read, ours": read_ours, "read, plain": read_plain,
             "predict, ours": predict_ours, "predict, plain": predict_plain}
    seconds = {name: [] for name in calls}
    for r in range(repeats):
        for name, call in (calls.items() if r % 2 == 0 else reversed(calls.items())):
            seconds[name].append(timed(call)[0])
    return {name: len(frames) / statistics.median(s) for name, s in seconds.items()}


def speed(est, path, episode: Episode, repeats: int) -> list[dict]:
    from toonsklearn.video import read_frames

    for every in EVERY:  # warm-up: Keras traces its predict function for each side
        ours(est, path, every, end=10.0)
        plain_loop(est, path, every, end=10.0)
    rows = []
    for every in EVERY:
        with read_frames(path, every, size=MODEL_SIZE) as frames:
            n = sum(1 for _ in frames)
            rows.append({"every": every, "samples": n, "decoded_ours": frames.frames_decoded,
                         "ours": [], "plain": []})
    for r in range(repeats):
        for row in rows:
            sides = ("ours", "plain") if r % 2 == 0 else ("plain", "ours")
            for side in sides:
                if side == "ours":
                    seconds, table = timed(lambda row=row: ours(est, path, row["every"]))
                    row["times_ours"], row["labels_ours"] = (table["time"].to_numpy(),
                                                             table["label"].to_numpy())
                else:
                    seconds, (times, labels, decoded) = timed(
                        lambda row=row: plain_loop(est, path, row["every"]))
                    row["times_plain"], row["labels_plain"] = times, labels
                    row["decoded_plain"] = decoded
                row[side].append(seconds)
    for row in rows:
        same_times = (len(row["times_ours"]) == len(row["times_plain"])
                      and np.allclose(row["times_ours"], row["times_plain"], atol=1e-4))
        row["same_times"] = same_times
        row["agree"] = (float(np.mean(row["labels_ours"] == row["labels_plain"]))
                        if same_times else float("nan"))
        row["right"] = float(np.mean(row["labels_ours"] == episode.truth(row["times_ours"])))
        row["fps_ours"] = row["samples"] / statistics.median(row["ours"])
        row["fps_plain"] = len(row["times_plain"]) / statistics.median(row["plain"])
    return rows


# --------------------------------------------------------------------------- part 2
def status(field: str) -> int:
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(field))


def memory_child(args) -> dict:
    """In a fresh process: load the model, warm up, then ``predict_video`` the whole file."""
    from toonsklearn.io import load

    est = load(args.model)
    # warm-up on the first 10 s, every frame (a full batch and a partial one): Keras'
    # tracing and first allocations, PyAV's and FFmpeg's set-up
    ours(est, args.video, None, end=10.0)
    setup = status("VmHWM:")  # the peak so far: imports, loading, the warm-up
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the kernel's peak (VmHWM) restarts from the RSS now
    before = status("VmRSS:")
    seconds, table = timed(lambda: ours(est, args.video, 1.0))
    during = status("VmHWM:")
    return {"before": before, "growth": during - before, "peak": max(setup, during),
            "rows": len(table), "seconds": seconds}


def memory_run(folder: Path, video: Path, model: Path) -> dict:
    command = [sys.executable, __file__, "--child", "memory", "--video", str(video),
               "--model", str(model)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder)
    if done.returncode:
        sys.exit(f"the memory run on {video.name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- part 3
def changes(labels) -> int:
    labels = np.asarray(labels)
    return int(np.sum(labels[1:] != labels[:-1]))


# ---------------------------------------------------------------------------- the main
def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="shorter speed and noisy episodes, fewer repeats and training "
                             "images")
    parser.add_argument("--minutes", type=float, default=None,
                        help="length of the speed episode (default 5, 1.5 with --quick)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs a side a median is taken over (5; 3 with --quick)")
    parser.add_argument("--long-minutes", type=float, default=30.0,
                        help="the long video of the memory part (against 1 minute)")
    parser.add_argument("--noisy-minutes", type=float, default=None,
                        help="length of the noisy episode (default 10, 2 with --quick)")
    parser.add_argument("--train", type=int, default=None,
                        help="make_toons images the model is fitted on (1000; 400 with --quick)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--video", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(memory_child(args)))
        return
    minutes = args.minutes or (1.5 if args.quick else 5.0)
    repeats = args.repeats or (3 if args.quick else 5)
    noisy_minutes = args.noisy_minutes or (2.0 if args.quick else 10.0)
    n_train = args.train or (400 if args.quick else 1000)

    sys.stdout.reconfigure(line_buffering=True)  # each line as soon as it is measured
    begin = time.perf_counter()
    print(f"mode: {'quick' if args.quick else 'full'}; {os.cpu_count()} cores; speed episode "
          f"{minutes:g} min, {repeats} runs a side; memory {args.long_minutes:g} min against "
          f"1; noisy episode {noisy_minutes:g} min; {n_train} training images")

    from toonsklearn import TransferClassifier
    from toonsklearn.datasets import make_toons
    from toonsklearn.io import save

    X, y = make_toons(n_train, image_size=DRAW_SIZE, random_state=0)
    rng = np.random.default_rng(0)
    sigma = rng.uniform(0, NOISE_SIGMA, (len(X), 1, 1, 1)).astype(np.float32)
    noisy_X = np.clip(X + rng.standard_normal(X.shape, dtype=np.float32) * sigma, 0, 255)
    X, y = np.concatenate([X, noisy_X.astype(np.uint8)]), np.concatenate([y, y])
    est = TransferClassifier(backbone="efficientnet_lite0", input_size=MODEL_SIZE,
                             batch_size=KERAS_BATCH, random_state=0)
    fit_seconds, _ = timed(lambda: est.fit(X, y))
    print(f"TransferClassifier(efficientnet_lite0, input_size={MODEL_SIZE}) fitted on "
          f"{n_train} toons and their noisy copies in {fit_seconds:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # 1. speed
        episode = Episode(minutes, seed=1)
        path = folder / "speed.mp4"
        made = write(path, episode.panning(SPEED_FRAME), episode)
        print(f"speed episode: {SPEED_FRAME[1]}x{SPEED_FRAME[0]}, {FPS} fps, "
              f"{episode.seconds:.0f} s, {len(episode.lengths)} scenes, {made['mib']:.1f} MiB, "
              f"written in {made['seconds']:.1f} s")
        rows = speed(est, path, episode, repeats)
        split = where_time_goes(est, path, repeats)
        print(f"speed measured ({time.perf_counter() - begin:.0f} s so far)")

        # 2. memory
        model_path = folder / "model.tsk"
        save(est, model_path)
        memory = {}
        for name, length in (("long", args.long_minutes), ("short", 1.0)):
            long_episode = Episode(length, seed=2, distinct=60)
            video = folder / f"memory_{name}.mp4"
            made = write(video, long_episode.still(MEMORY_FRAME), long_episode)
            memory[name] = {**memory_run(folder, video, model_path), "minutes": length,
                            "write": made["seconds"], "mib": made["mib"]}
            print(f"memory, {length:g} min ({made['mib']:.1f} MiB, written in "
                  f"{made['seconds']:.1f} s): predicted in {memory[name]['seconds']:.1f} s")

        # 3. smoothing
        noisy = Episode(noisy_minutes, seed=3)
        noisy_path = folder / "noisy.mp4"
        made = write(noisy_path, noisy.noisy(NOISY_FRAME, NOISE_SIGMA), noisy)
        print(f"noisy episode: {made['mib']:.1f} MiB, written in {made['seconds']:.1f} s")
        smoothing = {}
        for smooth in (None, 3, 5):
            table = ours(est, noisy_path, 0.5, smooth=smooth)
            truth = noisy.truth(table["time"].to_numpy())
            smoothing[smooth] = {"right": float(np.mean(table["label"].to_numpy() == truth)),
                                 "changes": changes(table["label"]), "n": len(table),
                                 "truth_changes": changes(truth)}

    # ----------------------------------------------------------------- the table
    frames = episode.frames
    print(f"\n1. speed: {SPEED_FRAME[1]}x{SPEED_FRAME[0]} panning episode, {FPS} fps, "
          f"{episode.seconds:.0f} s ({frames:,} frames); median of {repeats}; frames/s = "
          "frames predicted a second (x real time = video seconds a second)")
    print("2. memory: 160x120 still episodes, 25 fps, every=1.0 s, fresh process each "
          "(VmHWM; growth = during the call)")
    print(f"3. smoothing: 320x180 episode, {FPS} fps, Gaussian noise sigma {NOISE_SIGMA:g} "
          f"on every frame, every=0.5 s; right = label is the script's\n")
    print("| part | setting | predict_video | plain loop | ours / plain |")
    print("|---|---|---|---|---|")
    for row in rows:
        every = "every frame (None)" if row["every"] is None else f"every={row['every']:g} s"
        real = episode.seconds / statistics.median(row["ours"])
        plain_real = episode.seconds / statistics.median(row["plain"])
        print(f"| 1. frames/s | {every}: {row['samples']:,} frames; decoded: ours "
              f"{row['decoded_ours']:,}, plain {row['decoded_plain']:,} | "
              f"{row['fps_ours']:.1f} ({real:.1f}x real time) | "
              f"{row['fps_plain']:.1f} ({plain_real:.1f}x) | "
              f"{row['fps_ours'] / row['fps_plain']:.2f}x (goal >= 0.9) |")
    agree = ", ".join(
        ("None" if row["every"] is None else f"{row['every']:g} s") + ": "
        + (f"{100 * row['agree']:.1f} %" if row["same_times"] else "times differ")
        for row in rows)
    right = np.mean([row["right"] for row in rows])
    print(f"| 1. labels agree | same frames sampled on both sides; {agree} | "
          f"right (script's label) {100 * right:.1f} % | | |")
    for part in ("read", "predict"):
        what = ("read_frames against decode + to_image + resize" if part == "read"
                else "est.predict_proba against model_.predict, 128 a call")
        o, p = split[f"{part}, ours"], split[f"{part}, plain"]
        print(f"| 1. where the time goes | every frame, {part} only ({what}), frames/s | "
              f"{o:.1f} | {p:.1f} | {o / p:.2f}x |")
    long, short = memory["long"], memory["short"]
    for item in (short, long):
        print(f"| 2. peak RSS | {item['minutes']:g}-min video ({item['rows']:,} frames "
              f"predicted, {item['mib']:.1f} MiB file) | {item['peak'] / MIB:,.0f} MiB; "
              f"growth {item['growth'] / MIB:+.1f} MiB, {item['growth'] / 1024 / item['rows']:.1f}"
              " KiB a frame predicted | | |")
    print(f"| 2. peak RSS ratio | {long['minutes']:g} min / 1 min (goal <= 1.10) | "
          f"{long['peak'] / short['peak']:.3f}; growth {long['growth'] / short['growth']:.1f}x "
          "| | |")
    for smooth, item in smoothing.items():
        print(f"| 3. smoothing | smooth={smooth}: {item['n']} sampled times | "
              f"right {100 * item['right']:.1f} %, {item['changes']} label changes "
              f"(script: {item['truth_changes']}) | | |")
    print(f"\nwhole run {time.perf_counter() - begin:.0f} s")


if __name__ == "__main__":
    main()
