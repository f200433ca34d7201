"""Camera-size JPEGs to 128 px previews: decoding at reduced scale (JPEG draft) vs in full.

    uv run python benchmarks/bench_previews.py                  # 200 × 24 MP, as in the README
    uv run python benchmarks/bench_previews.py --count 20       # quicker
    uv run python benchmarks/bench_previews.py --corpus DIR     # keep / reuse the generated files

Each mode runs in its own process so that its peak RSS (getrusage's ru_maxrss, a high-water
mark for the whole process) is its own. Three ways to the same preview: decode_preview as the
app runs it; decode_preview with `use_draft=False` (full decode, then Pillow's reduce-then-resize);
and a plain full decode followed by a LANCZOS resize of all 24 MP. A second, small section times
1,000 avatars read from a warm disk cache and decoded for a list row (the Qt-free part of "avatars on start").
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageChops

WIDTH, HEIGHT = 6000, 4000  # 24 megapixels, 3:2 like most cameras


def generate(corpus: Path, count: int) -> None:
    """Photo-like content, about 7 MB each at quality 90 as a 24 MP camera writes: luma with
    detail at several scales plus fine grain, smooth chroma. Each file is shifted so no two are
    the same bytes. Existing files are reused."""
    corpus.mkdir(parents=True, exist_ok=True)
    missing = [corpus / f"camera-{n:03}.jpg" for n in range(count) if not (corpus / f"camera-{n:03}.jpg").exists()]
    if not missing:
        return
    print(f"generating {len(missing)} JPEGs of {WIDTH}×{HEIGHT} in {corpus} …", flush=True)
    started = time.perf_counter()

    def blobs(scale: int, sigma: float) -> Image.Image:
        small = Image.effect_noise((WIDTH // scale, HEIGHT // scale), sigma)
        return small.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)

    luma = ImageChops.add(blobs(64, 60), blobs(8, 40), offset=-128)
    luma = ImageChops.add(luma, Image.effect_noise((WIDTH, HEIGHT), 4), offset=-128)
    base = Image.merge("YCbCr", (luma, blobs(100, 50), blobs(80, 50))).convert("RGB")
    for path in missing:
        n = int(path.stem.rsplit("-", 1)[1])
        ImageChops.offset(base, 37 * n, 23 * n).save(path, "JPEG", quality=90)
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def run_worker(mode: str, corpus: Path, count: int, size: int) -> None:
    from attache.images.decode import decode_preview

    files = sorted(corpus.glob("camera-*.jpg"))[:count]
    started = time.perf_counter()
    for path in files:
        if mode == "plain":  # what a straightforward viewer does: decode it all, resize it all
            with Image.open(path) as image:
                image.load()
                scale = size / max(image.size)
                small = image.resize(
                    (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
                )
                width, height = small.convert("RGBA").size
        else:
            preview = decode_preview(path, max_size=size, use_draft=mode == "draft")
            width, height = preview.width, preview.height
        assert max(width, height) == size
    seconds = time.perf_counter() - started
    print(json.dumps({"mode": mode, "count": len(files), "seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


def run_avatar_worker(count: int) -> None:
    """Warm cache → bytes → 32 px @2x previews, as a list of `count` rows would need at start."""
    import io

    from attache.images.cache import AvatarCache, AvatarKey
    from attache.images.decode import decode_preview

    with tempfile.TemporaryDirectory() as folder:
        cache = AvatarCache(Path(folder))
        for n in range(count):  # 200 px avatars, as services serve them
            image = Image.new("RGB", (200, 200), (n % 256, (n * 7) % 256, (n * 13) % 256))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=85)
            cache.put(AvatarKey("awork:bench", "user", str(n), "v1", 200), buffer.getvalue())
        fresh = AvatarCache(Path(folder))  # a second launch: nothing in memory
        started = time.perf_counter()
        for n in range(count):
            cached = fresh.get_any(AvatarKey("awork:bench", "user", str(n), "v1", 200))
            decode_preview(cached.data, max_size=32, device_pixel_ratio=2.0)
        seconds = time.perf_counter() - started
    print(json.dumps({"mode": "avatars", "count": count, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


def in_subprocess(*args: str) -> dict:
    output = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="number of 24 MP JPEGs (default 200)")
    parser.add_argument("--size", type=int, default=128, help="preview size in pixels (default 128)")
    parser.add_argument("--corpus", type=Path, help="folder for the generated JPEGs (kept; default: a temp folder)")
    parser.add_argument("--avatars", type=int, default=1000, help="avatars for the warm-cache run (0 to skip)")
    parser.add_argument(
        "--worker", choices=["generate", "draft", "nodraft", "plain", "avatars"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    if args.worker == "avatars":
        return run_avatar_worker(args.avatars)
    if args.worker == "generate":
        return generate(args.corpus, args.count)
    if args.worker:
        return run_worker(args.worker, args.corpus, args.count, args.size)

    with tempfile.TemporaryDirectory(prefix="attache-bench-") as temp:
        corpus = args.corpus or Path(temp)
        # Generating needs a lot of memory; in its own process it cannot raise the workers' peak.
        subprocess.run(
            [sys.executable, __file__, "--worker", "generate", "--corpus", str(corpus), "--count", str(args.count)],
            check=True,
        )
        common = ["--corpus", str(corpus), "--count", str(args.count), "--size", str(args.size)]
        results = {mode: in_subprocess("--worker", mode, *common) for mode in ("draft", "nodraft", "plain")}

    print(f"\n{args.count} JPEGs of {WIDTH}×{HEIGHT} (24 MP) → {args.size} px previews")
    print(f"{'mode':<44}{'total':>8}{'per image':>12}{'peak RSS':>10}{'draft is':>10}")
    labels = {
        "draft": "decode_preview (JPEG draft, reduced scale)",
        "nodraft": "decode_preview without draft (reduce+resize)",
        "plain": "full decode + LANCZOS resize",
    }
    draft_seconds = results["draft"]["seconds"]
    for mode, result in results.items():
        per_image = result["seconds"] / result["count"] * 1000
        speedup = "" if mode == "draft" else f"{result['seconds'] / draft_seconds:.1f}× faster"
        print(
            f"{labels[mode]:<44}{result['seconds']:>7.1f}s{per_image:>9.1f} ms"
            f"{result['peak_rss_mb']:>7.0f} MB  {speedup}"
        )
    speedup = results["plain"]["seconds"] / draft_seconds
    print(
        f"speed-up over full decode + resize: {speedup:.1f}× (target ≥ 3×) {'OK' if speedup >= 3 else 'BELOW TARGET'}"
    )

    if args.avatars:
        avatars = in_subprocess("--worker", "avatars", "--avatars", str(args.avatars))
        print(
            f"\n{avatars['count']} avatars from a warm disk cache → 64 px previews: "
            f"{avatars['seconds'] * 1000:.0f} ms ({avatars['seconds'] / avatars['count'] * 1e6:.0f} µs each), "
            f"peak RSS {avatars['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
