"""Benchmark: loom's fetch phase against img2dataset on the same URLs, threads and hosts.

N images (real JPEG/PNG/WebP bytes, 50 KB to 2 MB, drawn with numpy + Pillow) are served by
loopback HTTP servers on many hosts (127.0.0.x) with 20-100 ms of latency per response and
a robots.txt on every host. Both tools fetch every URL with the same thread count, with
resizing off and on, each in its own process (its peak RSS is its own). loom runs with
robots.txt, per-host limits and the SSRF guard (loopback allow-listed) all enforced.

    .venv/bin/python bench/images.py [--images 1000] [--hosts 50] [--threads 32]

img2dataset lives in its own virtual environment (default /tmp/i2d-venv, created here if
missing). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

I2D_VERSION = "1.47.0"
ROBOTS = "User-agent: *\nDisallow: /private/\n"


# ----------------------------------------------------------------------------- images


def make_pool(seed: int = 0) -> list[tuple[bytes, str]]:
    """~24 distinct images, 50 KB to 2 MB, as (bytes, ext)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    pool: list[tuple[bytes, str]] = []
    sizes = [(640, 480), (800, 600), (1024, 768), (1280, 960), (1600, 1200), (2048, 1536)]
    for i in range(24):
        w, h = sizes[i % len(sizes)]
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([(xx * (i + 1)) % 256, (yy * 3) % 256, ((xx + yy) // (i + 2)) % 256], -1)
        noise = rng.normal(0, 6 + 3 * (i % 5), (h, w, 3))
        im = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")
        fmt, ext = [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")][i % 3]
        if fmt == "PNG":
            im = im.resize((w // 2, h // 2))
        buf = io.BytesIO()
        im.save(buf, fmt, **({"quality": 92} if fmt != "PNG" else {}))
        pool.append((buf.getvalue(), ext))
    return pool


# ----------------------------------------------------------------------------- server process


def serve(n_images: int, n_hosts: int, ready: mp.Queue, stop: mp.Event) -> None:
    from tests.support.http_server import LoopbackHosts, static

    pool = make_pool()
    mime = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
    rnd = random.Random(1)
    hosts = LoopbackHosts(n_hosts, first=40)
    urls = []
    for i in range(n_images):
        server = hosts[i % n_hosts]
        data, ext = pool[i % len(pool)]
        path = f"/img/{i}.{ext}"
        server.route(path, static(data, mime[ext], delay_s=rnd.uniform(0.02, 0.10)))
        urls.append(server.url(path))
    for server in hosts:
        server.set_robots(ROBOTS)
    ready.put((urls, sum(len(pool[i % len(pool)][0]) for i in range(n_images))))
    stop.wait()
    hosts.close()


# ----------------------------------------------------------------------------- workers


def loom_worker(
    urls_file: str, threads: int, resize: bool, out_dir: str, decode_workers: int | None, decode_processes: int
) -> dict:
    from builder.images.config import ImagesConfig
    from builder.net.fetcher import Fetcher
    from builder.phases.fetch import fetch_jobs
    from builder.stats import Stats

    urls = Path(urls_file).read_text().split()
    cfg = ImagesConfig(
        threads=threads,
        decode_workers=decode_workers,
        decode_processes=decode_processes,
        fetch={"allow_networks": ["127.0.0.0/8"], "retries": 0, "total_timeout_s": 10},
        decode={"resize_max_side": 980 if resize else None, "keep_original": not resize, "quality": 90},
    )
    # The fetch phase's own code (builder/phases/fetch.py): one bucket task over every host,
    # per-host slots round-robin, each URL once, decoded bytes stored by content with a journal line.
    jobs = [(u,) for u in urls]
    stats = Stats()
    start = time.monotonic()
    with Fetcher(cfg.fetch) as fetcher:
        fetch_jobs(cfg, fetcher, jobs, Path(out_dir), 0, None, stats)
    took = time.monotonic() - start
    ok = stats.counts.get("fetch.ok", 0)
    drops = {k: v for k, v in stats.counts.items() if k.startswith("fetch.") and k not in ("fetch.ok",)}
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "ok": ok, "stage_s": took, "drops": drops,
        "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        "rss_kib": me.ru_maxrss + kids.ru_maxrss,  # this process + its largest child (decode processes)
    }


I2D_SCRIPT = r"""
import json, resource, sys, time
from img2dataset import download
if __name__ == "__main__":
    urls_file, out_dir, threads, resize = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
    processes = int(sys.argv[5])
    n_urls = sum(1 for line in open(urls_file) if line.strip())
    start = time.monotonic()
    # With several processes, the threads are shared out and the URLs split into one shard per process.
    download(url_list=urls_file, input_format="txt", output_folder=out_dir, output_format="files",
             processes_count=processes, thread_count=max(1, threads // processes), image_size=980,
             resize_mode="keep_ratio_largest" if resize else "no", resize_only_if_bigger=True,
             skip_reencode=not resize, encode_format="jpg", encode_quality=90, timeout=10, retries=0,
             enable_wandb=False, number_sample_per_shard=-(-n_urls // processes),
             distributor="multiprocessing")
    took = time.monotonic() - start
    import glob
    ok = len([p for p in glob.glob(out_dir + "/*/*") if p.endswith((".jpg", ".png", ".webp"))])
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = me.ru_maxrss + kids.ru_maxrss  # this process + its largest child, as for loom
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    print("RESULT " + json.dumps({"ok": ok, "stage_s": took, "rss_kib": rss, "cpu_s": cpu}))
"""


def ensure_i2d(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} with img2dataset=={I2D_VERSION} (one time, several minutes)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"img2dataset=={I2D_VERSION}"], check=True,
                       env={**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1"})
    return python


def run_worker(cmd: list[str], env: dict[str, str] | None = None) -> tuple[dict, float]:
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.monotonic() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][7:]), wall


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--i2d-venv", default="/tmp/i2d-venv")
    parser.add_argument("--decode-workers", type=int, default=0,
                        help="loom images.decode_workers; 0 (default): loom's default (one per CPU); "
                             "-1: same as --threads, as img2dataset decodes on all its threads")
    parser.add_argument("--decode-processes", type=int, default=0,
                        help="loom images.decode_processes; img2dataset then gets as many processes "
                             "(threads shared out), so both decode in the same number of processes")
    parser.add_argument("--worker", choices=["loom"], help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--resize", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.decode_workers < 0:
        args.decode_workers = args.threads

    if args.worker == "loom":
        result = loom_worker(args.urls, args.threads, bool(args.resize), args.out, args.decode_workers or None,
                             args.decode_processes)
        print("RESULT " + json.dumps(result))
        return 0

    i2d_python = ensure_i2d(Path(args.i2d_venv))
    ready: mp.Queue = mp.Queue()
    stop = mp.Event()
    server = mp.Process(target=serve, args=(args.images, args.hosts, ready, stop), daemon=True)
    server.start()
    urls, total_bytes = ready.get(timeout=120)
    print(f"{len(urls)} images ({total_bytes / len(urls) / 1024:.0f} KiB average, JPEG/PNG/WebP) on "
          f"{args.hosts} loopback hosts, 20-100 ms latency, {args.threads} threads each")
    results: dict[str, dict] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="loom-bench-images-") as tmp:
            urls_file = Path(tmp) / "urls.txt"
            urls_file.write_text("\n".join(urls) + "\n")
            for resize in (0, 1):
                label = "resize" if resize else "noresize"
                loom_out = Path(tmp) / f"loom-{label}"
                loom_out.mkdir()
                loom, loom_wall = run_worker(
                    [sys.executable, __file__, "--worker", "loom", "--urls", str(urls_file),
                     "--threads", str(args.threads), "--resize", str(resize), "--out", str(loom_out),
                     "--decode-workers", str(args.decode_workers), "--decode-processes", str(args.decode_processes)])
                i2d, i2d_wall = run_worker(
                    [str(i2d_python), "-c", I2D_SCRIPT, str(urls_file), str(Path(tmp) / f"i2d-{label}"),
                     str(args.threads), str(resize), str(max(1, args.decode_processes))],
                    env={**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1"})
                loom_rate, i2d_rate = loom["ok"] / loom_wall, i2d["ok"] / i2d_wall
                results[label] = {
                    "loom_img_s": round(loom_rate, 1), "i2d_img_s": round(i2d_rate, 1),
                    "ratio": round(loom_rate / i2d_rate, 2) if i2d_rate else None,
                    "loom_ok": loom["ok"], "i2d_ok": i2d["ok"],
                    "loom_rss_mib": round(loom["rss_kib"] / 1024), "i2d_rss_mib": round(i2d["rss_kib"] / 1024),
                    "loom_cpu_ms_per_img": round(1000 * loom["cpu_s"] / max(1, loom["ok"]), 1),
                    "i2d_cpu_ms_per_img": round(1000 * i2d["cpu_s"] / max(1, i2d["ok"]), 1),
                    "loom_drops": loom["drops"],
                }
                # CPU per image does not depend on how busy the shared machine is; wall time does.
                results[label]["cpu_ratio"] = round(
                    results[label]["i2d_cpu_ms_per_img"] / max(0.1, results[label]["loom_cpu_ms_per_img"]), 2)
                r = results[label]
                print(f"[{label:8}] loom {r['loom_img_s']:7.1f} img/s ({loom['ok']} ok, {loom_wall:.1f} s, "
                      f"{r['loom_cpu_ms_per_img']} CPU ms/img, peak RSS {r['loom_rss_mib']} MiB) | "
                      f"img2dataset {r['i2d_img_s']:7.1f} img/s ({i2d['ok']} ok, {i2d_wall:.1f} s, "
                      f"{r['i2d_cpu_ms_per_img']} CPU ms/img, peak RSS {r['i2d_rss_mib']} MiB) | ratio {r['ratio']} "
                      f"(CPU per image: {r['cpu_ratio']}x less)")
    finally:
        stop.set()
        server.join(timeout=10)
    main_ratio = results["resize"]["ratio"]
    print(json.dumps({
        "bench": "images", "unit": "images/s (wall, incl. start-up)",
        "loom": results["resize"]["loom_img_s"], "baseline": results["resize"]["i2d_img_s"],
        "ratio": main_ratio, "baseline_name": f"img2dataset {I2D_VERSION}",
        "images": len(urls), "hosts": args.hosts, "threads": args.threads,
        "noresize": results["noresize"], "resize": results["resize"],
        "loom_decode_workers": args.decode_workers or "default",
        "loom_decode_processes": args.decode_processes,
        "i2d_processes": max(1, args.decode_processes),
        "loom_enforces": ["robots.txt", "per-host limits", "ssrf guard"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
