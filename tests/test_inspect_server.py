"""loom inspect's HTTP server over a real loopback socket: routes, headers, read-only, no traversal."""

from __future__ import annotations

import http.client
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image
from test_inspect_corpus import Output, build_output

from builder.inspect.server import InspectApp, serve_in_thread

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Output:
    root = tmp_path_factory.mktemp("served")
    # a file next to the output folder that must never be reachable
    (root / "secret.txt").write_text("top secret")
    return build_output(root / "out")


@pytest.fixture(scope="module")
def port(output: Output) -> Iterator[int]:
    server, thread = serve_in_thread(InspectApp(output.path))
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


def fetch(port: int, path: str, method: str = "GET",
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send `path` exactly as given (no client-side normalisation of '..' or %-escapes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def test_pages_answer(port: int, output: Output) -> None:
    status, headers, body = fetch(port, "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none': no script at all
    assert b'id="card-documents"><div class="value">12<' in body
    status, _, body = fetch(port, "/docs?domain=blog.test")
    assert status == 200 and b"3 found" in body
    doc = output.kept[5]
    status, _, body = fetch(port, f"/doc/kept/{doc.id}")
    assert status == 200 and doc.url.encode() in body
    status, _, body = fetch(port, f"/doc/rejects/{output.rejects[2].id}")
    assert status == 200 and b"doc.nsfw" in body and b"https://spam.test/never-fetched.jpg" in body
    status, _, body = fetch(port, f"/doc/rejects/{output.rejects[0].id}")
    assert status == 200 and b'href="javascript:' not in body and b"javascript:alert(1)//spam.test" in body


def test_images_come_from_the_shards(port: int, output: Output) -> None:
    for doc in output.kept[:6]:
        for i, node in enumerate(doc.images):
            status, headers, body = fetch(port, f"/image/kept/{doc.id}/{i}.{node.ext}")
            assert status == 200 and body == node.data
            assert headers["content-type"] == {"jpg": "image/jpeg"}.get(node.ext, f"image/{node.ext}")
            assert headers["x-content-type-options"] == "nosniff"
            with Image.open(io.BytesIO(body)) as img:
                assert img.size == (node.info["width"], node.info["height"])
    doc = output.kept[1]
    status, headers, body = fetch(port, f"/image/kept/{doc.id}/0.{doc.images[0].ext}", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_manifest_and_stats_are_served(port: int, output: Output) -> None:
    status, headers, body = fetch(port, "/files/stats.json")
    assert status == 200 and json.loads(body) == output.stats
    assert fetch(port, "/files/manifest.json")[0] == 200


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/files/../secret.txt",
    "/files/..%2fsecret.txt",
    "/files/%2e%2e/secret.txt",
    "/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/files/shard-00000.tar",
    "/files/rejects%2fmanifest.json",
    "/files//etc/passwd",
    "/image/kept/..%2f..%2fsecret.txt/0.jpg",
    "/image/kept/{key}/..%2f..%2f..%2fsecret.txt",
    "/image/kept/{key}/json",
    "/image/kept/{key}/0.jpg%00.txt",
    "/image/..%2f..%2f/{key}/0.jpg",
    "/doc/kept/..%2f..%2fsecret.txt",
    "/doc/%2e%2e/{key}",
    "/shard-00000.tar",
    "/stats.json",
    "//etc/passwd",
    "/secret.txt",
])
def test_path_traversal_gets_404(port: int, output: Output, path: str) -> None:
    status, _, body = fetch(port, path.format(key=output.kept[1].id))
    assert status == 404
    assert b"top secret" not in body and b"root:" not in body


def test_read_only(port: int) -> None:
    for method in ("POST", "PUT", "DELETE"):
        assert fetch(port, "/", method=method)[0] == 501


def test_foreign_host_header_refused(port: int) -> None:
    """A page on another site that rebinds its name to 127.0.0.1 must not read the corpus."""
    assert fetch(port, "/", headers={"Host": "evil.example:80"})[0] == 403
    assert fetch(port, "/", headers={"Host": f"localhost:{port}"})[0] == 200


def test_command_serves_and_reports(output: Output, tmp_path: Path) -> None:
    """`loom inspect OUT --port 0` prints its URL and serves; `--report` writes report.html."""
    runner = "import sys; from builder.cli import main; sys.exit(main(['inspect', *sys.argv[1:]]))"
    proc = subprocess.Popen([sys.executable, "-c", runner, str(output.path), "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "serving" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line and proc.poll() is not None:
                break
        assert "serving" in line, proc.stderr.read() if proc.stderr else ""
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        assert fetch(port, "/")[0] == 200
    finally:
        proc.terminate()
        proc.wait(10)
    result = subprocess.run([sys.executable, "-c", runner, str(output.path), "--report"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (output.path / "report.html").is_file()
    missing = subprocess.run([sys.executable, "-c", runner, str(tmp_path / "nope")], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "not a folder" in missing.stderr
