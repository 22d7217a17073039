"""Peak memory of decoding one big image: toonsklearn against Pillow's own convert.

Writes a 13,000 x 13,000 PNG (RGB, then RGBA) and decodes it in a fresh process per
method, one run each: Pillow's ``Image.open(path).convert("RGB")``, ``read_image`` to
128x128 (what ImageFolderLoader and the estimators' path mode do) and to full size.
Prints two figures a method:

- ``peak RSS``: the process's ``ru_maxrss``, everything it ever held (the interpreter,
  NumPy and Pillow included);
- ``growth``: how far the peak rose above the resident memory just before the decode
  (the kernel's VmHWM, reset first), in units of the decoded image (width x height x
  channels bytes). tracemalloc cannot see Pillow's C allocations; both of these can.

Pillow keeps RGB pixels in 4 bytes, so one decoded RGB image is 1.33 units.

Usage: python benchmarks/bench_decode_memory.py [--quick] [SIDE]   (Linux: reads /proc/self)

``--quick`` decodes a 6,000 x 6,000 image instead of 13,000 x 13,000: the growth in
units of the image is the same figure, the fixed cost of the interpreter a larger part
of the peak RSS. On 2 cores ``--quick`` takes about 10 seconds, the full run under a
minute; the full run needs about 2 GB of memory.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

# Run in a fresh interpreter per method. The image is made in one as well, so that this
# process stays small: a child's ru_maxrss starts at its parent's high-water mark.
MAKE = textwrap.dedent("""
    import sys
    import numpy as np
    from PIL import Image
    side, channels, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    Image.MAX_IMAGE_PIXELS = None
    image = np.empty((side, side, channels), np.uint8)
    image[...] = (np.arange(side, dtype=np.uint32) * 255 // side).astype(np.uint8)[:, None, None]
    if channels == 4:
        image[: side // 2, :, 3] = 128
    Image.fromarray(image).save(path, compress_level=1)
""")
DECODE = textwrap.dedent("""
    import json, resource, sys, warnings
    import numpy as np
    from PIL import Image
    from toonsklearn._utils.imaging import read_image

    def status(field):
        with open("/proc/self/status") as lines:
            return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(field))

    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    method, path = sys.argv[1], sys.argv[2]
    Image.init()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the kernel's peak (VmHWM) restarts from the RSS now
    before = status("VmRSS:")
    if method == "pillow":
        out = Image.open(path).convert("RGB")
    elif method == "ours, 128x128":
        out = read_image(path, (128, 128))
    else:
        out = read_image(path)
    print(json.dumps({
        "growth": status("VmHWM:") - before,
        "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "size": out.size if method == "pillow" else out.shape[1::-1],
    }))
""")
METHODS = ("pillow", "ours, 128x128", "ours, full size")
MIB = 2**20


def run(code: str, *args) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True
    ).stdout


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("side", metavar="SIDE", type=int, nargs="?", default=None,
                        help="pixels a side (default 13,000, 6,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a 6,000 x 6,000 image")
    args = parser.parse_args(argv)
    side = args.side or (6_000 if args.quick else 13_000)
    print(f"mode: {'quick' if args.quick else 'full'}; one {side:,} x {side:,} PNG, "
          "one fresh process per method", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for channels, name in ((3, "RGB"), (4, "RGBA")):
            path = Path(tmp) / f"big_{name}.png"
            run(MAKE, side, channels, path)
            unit = side * side * channels
            file_mib = path.stat().st_size / MIB
            print(f"\n{name}: decoded image {unit / MIB:,.0f} MiB, file {file_mib:.1f} MiB")
            results = {method: json.loads(run(DECODE, method, path)) for method in METHODS}
            base = results["pillow"]
            for method, result in results.items():
                print(
                    f"  {method:24s} peak RSS {result['ru_maxrss'] / MIB:7,.0f} MiB"
                    f"   growth {result['growth'] / unit:5.2f} x the image"
                    f"   ({result['growth'] / base['growth']:4.2f} x Pillow's)"
                )


if __name__ == "__main__":
    main()
