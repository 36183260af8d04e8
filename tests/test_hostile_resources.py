"""Issue 21, "resources spent before refusing": each refusal must come before the resource it
protects is spent. Files are generated here (sparse files take no disk space):

 9. an image's byte size is checked (stat, len) before it is read, hashed or decoded, then its
    header (size, mode), and only then its pixels: on every intake path;
10. a ZIP's declared entry count, total size and whole-archive ratio are checked from the
    central directory before anything is unpacked (and the bytes are still counted while they stream);
11. decoding memory is bounded by bytes per pixel, not pixel count alone: a 16-bit PNG under the
    40 MP guard no longer costs about 1 GB.
"""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from workbench import images
from workbench.cli import main
from workbench.errors import ImageTooLarge, InputError
from workbench.formats import image_data, safezip
from workbench.store import Store

REPO = Path(__file__).resolve().parent.parent
HEADER = "query_id,query_text,query_image,doc_id,doc_text,doc_image\n"
sys.path.insert(0, str(REPO / "bench"))
import hostile


def docs_of(session: str) -> list[str]:
    with Store() as store:
        return sorted(d.id for s in store.list_candidate_sets(session)
                      for d in store.load_candidate_set(s.id).documents)


def small_png(path: Path, seed: int = 0) -> Path:
    Image.fromarray((np.random.RandomState(seed).rand(30, 40, 3) * 255).astype("uint8")).save(path, "PNG")
    return path


def read_chars() -> int:
    """Bytes this process has read through read() so far (/proc/self/io rchar)."""
    with open("/proc/self/io") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("rchar:"))


@pytest.fixture
def pixels_decoded(monkeypatch):
    """Names of the files whose pixels were decoded (every ImageFile.load call)."""
    seen: list[str] = []
    real = ImageFile.ImageFile.load

    def spy(self):
        seen.append(os.path.basename(str(getattr(self, "filename", "") or "")))
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


def run_in_subprocess(code: str, *args: str) -> tuple[int, str, str, float]:
    """Python `code` in a fresh process: (rc, stdout, stderr, its peak RSS in MB)."""
    wrapper = ("import resource, subprocess, sys\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(p.returncode)\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, "-c", wrapper, sys.executable, *(["-c", code] if code else []), *args],
                         env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    lines = res.stderr.rstrip().splitlines()
    return res.returncode, res.stdout, "\n".join(lines[:-1]), int(lines[-1]) / 1024


# ------------------------------------------------------------------ 9. byte size before anything else
@pytest.mark.parametrize("kind", ["png", "jpg"])
def test_sparse_2gb_image_is_refused_unread_and_undecoded(tmp_path, kind, pixels_decoded, capsys):
    csv = hostile.make_sparse_image(tmp_path, 2048, kind)        # 2 GB that start like a real PNG / JPEG
    small_png(csv.parent / "ok.png")
    with open(csv, "a", encoding="utf-8") as fh:
        fh.write("q1,red shoes,,d9,fine,ok.png\n")
    warm = csv.parent / "warm.csv"                                  # the same import once without the big row:
    warm.write_text(HEADER + "q1,red shoes,,d9,fine,ok.png\n", encoding="utf-8")   # modules loaded, db made
    assert main(["import", str(warm), "--session", "w0"]) == 0
    capsys.readouterr()
    before, cpu = read_chars(), time.process_time()
    assert main(["import", str(csv), "--session", "s"]) == 0      # the good row imports, the big one is refused
    took, read = time.process_time() - cpu, read_chars() - before
    out = capsys.readouterr().out
    assert f"big.{kind}" in out and "2,048.0 MB" in out and "WORKBENCH_MAX_IMAGE_MB" in out
    assert docs_of("s") == ["d9"]
    assert read < 4 * 2**20, f"read {read / 2**20:.0f} MB of a file refused for its size"   # before: all 2 GB
    assert f"big.{kind}" not in pixels_decoded and "ok.png" in pixels_decoded
    assert took < 3, f"{took:.1f} s of CPU"                          # before: minutes


def test_every_intake_path_checks_the_byte_size_first(tmp_path, monkeypatch, pixels_decoded):
    monkeypatch.setenv("WORKBENCH_MAX_IMAGE_MB", "1")
    folder = tmp_path / "imgs"
    folder.mkdir()
    sparse = folder / "huge.png"
    sparse.write_bytes(b"\x89PNG\r\n\x1a\n" + hostile._png_chunk(b"IHDR", struct.pack(">IIBBBBB", 9, 9, 8, 2, 0, 0, 0)))
    with open(sparse, "r+b") as fh:
        fh.truncate(1024 * 2**20)
    small_png(folder / "ok.png")
    # the library: a path, and bytes
    for call in (images.open_rgb, images.inspect_image, images.thumbnail):
        with pytest.raises(ImageTooLarge) as info:
            call(sparse)
        assert "huge.png" in info.value.message and "1,024.0 MB" in info.value.message
        assert "WORKBENCH_MAX_IMAGE_MB" in info.value.fix and info.value.kind == "bomb"
    blob = small_png(tmp_path / "b.png").read_bytes() + bytes(2 * 2**20)   # 2 MB of bytes
    with pytest.raises(ImageTooLarge) as info:
        images.inspect_image(blob, name="upload.png")
    assert "upload.png" in info.value.message and "WORKBENCH_MAX_IMAGE_MB" in info.value.fix
    assert pixels_decoded == []                                    # none of these got to the pixels
    # a folder import: the row is rejected with the setting, the good image imports
    from workbench import formats

    result = formats.import_folder(folder, "red shoes")
    assert [d.id for d in result.sets[0].documents] == ["ok.png"]
    assert "huge.png" in result.rejected[0].message and "WORKBENCH_MAX_IMAGE_MB" in result.rejected[0].fix
    assert "huge.png" not in pixels_decoded
    # the store, handed a Document by the notebook API: refused by size before the file is read
    from workbench.model import CandidateSet, Document, Query

    with Store() as store:
        sid = store.create_session("api").id
        cset = CandidateSet(query=Query(id="q", text="t"), documents=[Document(id="d", image=str(sparse))])
        with pytest.raises(ImageTooLarge, match="huge.png"):
            store.save_candidate_set(sid, cset)
    # bytes and files within the limit still decode (data after an image's end is never decoded)
    assert images.inspect_image(small_png(tmp_path / "c.png").read_bytes(), name="c.png").width == 40
    monkeypatch.delenv("WORKBENCH_MAX_IMAGE_MB")
    padded = small_png(tmp_path / "padded.png")
    with open(padded, "r+b") as fh:
        fh.truncate(50 * 2**20)
    assert images.open_rgb(padded).size == (40, 30)


def test_header_is_checked_before_pixels(tmp_path, monkeypatch, pixels_decoded):
    path = tmp_path / "wide.png"
    Image.new("L", (2000, 1000)).save(path)
    monkeypatch.setattr(images, "MAX_DECODE_PIXELS", 1_000_000)
    with pytest.raises(ImageTooLarge, match="2000×1000"):
        images.inspect_image(path)
    assert pixels_decoded == []


def test_image_extent_never_reads_past_the_limit(tmp_path):
    path = tmp_path / "long.jpg"
    small_png(tmp_path / "s.png")
    Image.open(tmp_path / "s.png").save(path, "JPEG")
    data = path.read_bytes()
    sos = data.index(b"\xff\xda")
    with open(path, "wb") as fh:                                   # entropy data that never ends: 300 MB
        fh.write(data[:sos + 20])
        fh.truncate(300 * 2**20)
    before = read_chars()
    assert image_data.image_extent(path, limit=2**20) == image_data.PAST_LIMIT
    assert read_chars() - before < 2 * 2**20
    assert image_data.image_extent(tmp_path / "s.png") == (tmp_path / "s.png").stat().st_size


# ------------------------------------------------------------------ 10. ZIP: declared sizes before unpacking
def test_zip_of_many_near_1mb_entries_is_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    zpath = hostile.make_zip_near_1mb(tmp_path, 300)             # ~300 MB in ~0.3 MB, each entry under 1 MB
    assert zpath.stat().st_size < 2**20
    unpacked: list[str] = []
    real = safezip.extract_member
    monkeypatch.setattr(safezip, "extract_member", lambda zf, info, *a, **k: unpacked.append(info.filename)
                        or real(zf, info, *a, **k))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_oublock
    assert main(["import", str(zpath), "--session", "z"]) == 2
    written = (resource.getrusage(resource.RUSAGE_SELF).ru_oublock - before) * 512
    err = capsys.readouterr().err
    assert "near1mb.zip" in err and "WORKBENCH_MAX_ZIP_RATIO" in err and "Nothing was unpacked" in err, err
    assert "ZIP bomb" in err and "301 entries" in err
    assert unpacked == []                                          # before: all 300 entries, ~300 MB on disk
    assert written < 8 * 2**20, f"{written / 2**20:.0f} MB written"
    home = Path(os.environ["WORKBENCH_HOME"])
    assert not [p for p in home.rglob("*") if p.is_file() and "imports" in p.parts]
    # the setting named in the message lets a genuine archive through (its entries are not images)
    monkeypatch.setenv("WORKBENCH_MAX_ZIP_RATIO", "5000")
    assert main(["import", str(zpath), "--session", "z"]) == 2
    out = capsys.readouterr()
    assert "nothing was imported" in out.err and len(unpacked) == 301


def test_zip_entry_count_is_read_before_the_central_directory_is_parsed(tmp_path, monkeypatch, capsys):
    zpath = tmp_path / "many.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("cands.csv", HEADER + "q1,t,,d1,x,\n")
        for i in range(50):
            zf.writestr(f"e{i}.txt", "x")
    monkeypatch.setenv("WORKBENCH_MAX_ZIP_MEMBERS", "10")

    def no_parse(*a, **k):
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(safezip.zipfile, "ZipFile", no_parse)
    assert safezip.declared_entries(zpath) == 51
    assert main(["import", str(zpath), "--session", "m"]) == 2
    err = capsys.readouterr().err
    assert "51 entries" in err and "WORKBENCH_MAX_ZIP_MEMBERS" in err


def test_unpacked_bytes_are_still_counted_against_the_archive_size(tmp_path):
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("big.bin", os.urandom(3 * 2**20))                # honest, incompressible, 3 MB
    with safezip.open_zip(zpath) as zf:
        budget = safezip.Budget("a.zip", packed=10_000)              # as if the archive said it was tiny
        with pytest.raises(InputError) as info:
            safezip.extract_member(zf, zf.getinfo("big.bin"), tmp_path / "out" / "big.bin", budget)
        assert info.value.code == "zip.ratio_unpacked" and "WORKBENCH_MAX_ZIP_RATIO" in info.value.fix
        assert not (tmp_path / "out" / "big.bin").exists()
        ok = safezip.Budget("a.zip")                                  # the real archive size: fine
        assert safezip.extract_member(zf, zf.getinfo("big.bin"), tmp_path / "out" / "big.bin", ok) == 3 * 2**20


def test_genuine_compressible_zip_still_imports(tmp_path):
    rows = "".join(f"q1,red shoes,,d{i},a document about red running shoes number {i % 7},\n" for i in range(40_000))
    zpath = tmp_path / "set.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cands.csv", HEADER + rows)                        # ~2.4 MB, about 20:1
    assert 2**20 < sum(i.file_size for i in zipfile.ZipFile(zpath).infolist())
    assert main(["import", str(zpath), "--session", "g"]) == 0
    assert len(docs_of("g")) == 40_000


# ------------------------------------------------------------------ 11. memory by bytes per pixel
def test_16bit_png_under_the_pixel_guard_is_imported_in_bounded_memory(tmp_path):
    csv = hostile.make_png16(tmp_path, 6300)                      # 39.7 MP, ~77 KB, I;16
    assert (csv.parent / "deep.png").stat().st_size < 200_000
    rc, out, err, rss = run_in_subprocess("", "-m", "workbench", "import", str(csv), "--session", "p")
    assert rc == 0, err
    assert docs_of("p") == ["d0"]
    assert rss < 400, f"peak RSS {rss:.0f} MB"                    # before: 982 MB
    code = ("import resource, sys\n"
            "from workbench import images\n"
            "im = images.open_rgb(sys.argv[1])\n"
            "assert im.mode == 'RGB' and im.size == (6300, 6300), im\n"
            "print(im.getpixel((0, 64)), im.getpixel((5, 65)))\n")
    rc, out, err, rss = run_in_subprocess(code, str(csv.parent / "deep.png"))
    assert rc == 0, err
    assert out.split() == ["(2,", "2,", "2)", "(0,", "0,", "0)"]     # row 64 holds 640: round(640 * 255 / 65535) = 2
    assert rss < 500, f"peak RSS {rss:.0f} MB"                    # raster 79 MB + grey 40 MB + RGB 160 MB


def test_decoding_memory_is_bounded_by_bytes_per_pixel(tmp_path, monkeypatch, pixels_decoded):
    grey, deep = tmp_path / "grey.png", tmp_path / "deep.png"
    Image.new("L", (1000, 1000)).save(grey)
    Image.fromarray(np.zeros((1000, 1000), dtype=np.uint16)).save(deep)
    assert images.decode_cost("L", 1000, 1000) == 5_000_000
    assert images.decode_cost("I;16", 1000, 1000) == 6_000_000
    assert images.decode_cost("I;16", 1000, 1000, rgb=False) == 2_000_000
    assert images.decode_cost("I;16", 1000, 1000, rotated=True) == 8_000_000
    assert images.decode_cost("RGB", 6324, 6324) <= images.MAX_DECODE_BYTES       # 40 MP of any mode fits
    assert images.decode_cost("I;16", 6324, 6324) <= images.MAX_DECODE_BYTES
    monkeypatch.setattr(images, "MAX_DECODE_BYTES", 5_500_000)      # same pixels: the mode decides
    assert images.open_rgb(grey).size == (1000, 1000)
    pixels_decoded.clear()
    with pytest.raises(ImageTooLarge) as info:
        images.open_rgb(deep)
    assert "I;16" in info.value.message and "2 bytes per pixel" in info.value.message
    assert info.value.kind == "bomb" and pixels_decoded == []      # refused from the header
    assert images.inspect_image(deep).mode == "I;16"               # verifying needs only the raster


def test_strip_conversions_match_whole_image_formulas(monkeypatch):
    monkeypatch.setattr(images, "STRIP_PIXELS", 7)                 # many strips, one row or less each
    rng = np.random.default_rng(3)
    arr16 = rng.integers(0, 65536, (13, 5), dtype=np.uint16)
    out = images._to_rgb(Image.fromarray(arr16))
    expected = np.floor(arr16.astype(np.float64) * (255.0 / 65535.0) + 0.5).astype(np.uint8)
    assert (np.asarray(out)[..., 0] == expected).all() and out.mode == "RGB"
    arr32 = rng.integers(-70_000, 90_000, (9, 4), dtype=np.int32)
    out = np.asarray(images._to_rgb(Image.fromarray(arr32, "I")))[..., 0]
    lo, hi = float(arr32.min()), float(arr32.max())
    assert (out == np.clip((arr32 - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)).all()
    arrf = rng.random((6, 5)).astype(np.float32)
    out = np.asarray(images._to_rgb(Image.fromarray(arrf, "F")))[..., 0]
    assert (out == np.clip(arrf.astype(np.float64) * 255.0, 0, 255).astype(np.uint8)).all()
    rgba = Image.fromarray(rng.integers(0, 256, (11, 6, 4), dtype=np.uint8), "RGBA")
    whole = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    assert np.array_equal(np.asarray(images._to_rgb(rgba.copy())), np.asarray(whole))


# ------------------------------------------------------------------ the benchmark's new rows run
@pytest.mark.slow
def test_bench_hostile_prints_every_new_row():
    res = subprocess.run([sys.executable, str(REPO / "bench" / "hostile.py"), "--cases",
                          "sparse-png,sparse-jpg,zip-near-1mb,png16,quoted-field", "--sparse-mb", "80",
                          "--near-entries", "5", "--png16-side", "300", "--quoted-mb", "1"],
                         capture_output=True, text=True, cwd=REPO, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = {line.split()[0]: line.split() for line in res.stdout.splitlines()[1:]}
    assert set(rows) == {"sparse-png", "sparse-jpg", "zip-near-1mb", "png16", "quoted-field"}
    for case in ("sparse-png", "sparse-jpg"):
        assert rows[case][7] == "-" and rows[case][8] == "2"    # its only row refused: nothing imported
    assert rows["png16"][7] == "1" and rows["png16"][8] == "0"     # docs imported, rc
    assert rows["zip-near-1mb"][8] == "2" and rows["quoted-field"][8] in ("0", "2")


def test_image_bytes_in_a_beir_cell_are_refused_by_size_before_hashing_or_writing(tmp_path, monkeypatch):
    from workbench.formats import beir
    from workbench.formats.candidates import _Bad

    monkeypatch.setenv("WORKBENCH_MAX_IMAGE_MB", "1")
    hashed: list[int] = []
    real = beir.hashlib.sha256
    monkeypatch.setattr(beir.hashlib, "sha256", lambda data=b"", **k: hashed.append(len(data)) or real(data, **k))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    intake = beir._ImageIntake(scratch)
    with pytest.raises(_Bad) as info:
        intake.resolve({"bytes": small_png(tmp_path / "a.png").read_bytes() + bytes(2 * 2**20)}, tmp_path)
    assert info.value.code == "import.image_too_big" and "WORKBENCH_MAX_IMAGE_MB" in info.value.fix
    assert hashed == [] and list(scratch.iterdir()) == []
    assert intake.resolve({"bytes": (tmp_path / "a.png").read_bytes()}, tmp_path)[1] == images.file_hash(tmp_path / "a.png")
