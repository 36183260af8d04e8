"""Images as people pass them to the library (PIL images, bytes, data URLs, vLLM content parts,
http(s) URLs when allowed): each becomes the same file the engine reads, goes through the same
limits, and scores exactly like the image's path."""

from __future__ import annotations

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from workbench import get_reranker
from workbench.errors import ImageError, InputError


@pytest.fixture(scope="module")
def rr(tiny_checkpoint):
    return get_reranker("qwen-vl", model_path=str(tiny_checkpoint), device="cpu")


def _png(seed: int = 5) -> bytes:
    arr = (np.random.RandomState(seed).rand(40, 56, 3) * 255).astype("uint8")
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / "p.png"
    path.write_bytes(_png())
    return path


def test_every_form_of_an_image_scores_like_its_path(rr, image_file):
    data = image_file.read_bytes()
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    forms = {
        "path": {"id": "d", "image": str(image_file)},
        "bytes": {"id": "d", "image": data},
        "pil": {"id": "d", "image": Image.open(io.BytesIO(data))},
        "data_url": {"id": "d", "image": url},
        "content_parts": {"id": "d", "content": [{"type": "image_url", "image_url": {"url": url}}]},
        "bare_bytes": data,
    }
    scores = {}
    for name, doc in forms.items():
        res = rr.rank("a photo", [doc])
        scores[name] = res[0].score
    assert all(abs(s - scores["path"]) < 1e-6 for s in scores.values()), scores
    # text and image from content parts, and a query given as an image
    mixed = rr.rank({"content": [{"type": "text", "text": "a photo"}, {"type": "image", "image": data}]},
                    [{"id": "t", "content": [{"type": "text", "text": "some text"}]}])
    assert len(mixed) == 1 and mixed.query.text == "a photo" and mixed.query.image


def test_bad_image_inputs_get_clear_errors(rr):
    with pytest.raises(InputError) as err:
        rr.rank("q", [{"id": "d", "image": "data:image/png;base64,@@@not-base64"}])
    assert "malformed" in str(err.value) and "document 0" in str(err.value)
    with pytest.raises(InputError) as err:
        rr.rank("q", [{"id": "d", "image": "data:image/png,rawtext"}])
    assert "not base64" in str(err.value)
    with pytest.raises(ImageError):
        rr.rank("q", [{"id": "d", "image": b"this is not an image at all"}])
    with pytest.raises(InputError) as err:
        rr.rank("q", [{"id": "d", "image": 3.5}])
    assert "float" in str(err.value)
    with pytest.raises(InputError) as err:
        rr.rank("q", [{"id": "d", "content": [{"type": "audio", "audio": "x"}]}])
    assert "audio" in str(err.value)


def test_image_bytes_over_the_limit_are_refused_before_decoding(rr, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_IMAGE_MB", "1")
    with pytest.raises(ImageError) as err:
        rr.rank("q", [{"id": "d", "image": b"\x89PNG" + b"\0" * (2 << 20)}])
    assert "WORKBENCH_MAX_IMAGE_MB" in err.value.fix


class _ImageServer:
    def __init__(self, body: bytes):
        self.hits = 0
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/p.png"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_http_urls_are_fetched_only_when_allowed(rr, image_file, monkeypatch):
    server = _ImageServer(image_file.read_bytes())
    try:
        with pytest.raises(InputError) as err:
            rr.rank("a photo", [{"id": "d", "image": server.url}])
        assert server.hits == 0 and "fetch_image_urls" in err.value.fix
        rr.fetch_image_urls = True
        try:
            got = rr.rank("a photo", [{"id": "d", "image": server.url}])[0].score
        finally:
            rr.fetch_image_urls = None
        assert server.hits == 1
        assert got == pytest.approx(rr.rank("a photo", [{"id": "d", "image": str(image_file)}])[0].score, abs=1e-6)
        monkeypatch.setenv("WORKBENCH_FETCH_IMAGE_URLS", "1")
        rr.rank("a photo", [{"id": "d", "image": server.url}])
        assert server.hits == 2
    finally:
        server.httpd.shutdown()
