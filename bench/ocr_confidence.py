"""How the OCR word-confidence threshold (`OcrSettings.min_confidence`) was chosen.

    .venv/bin/python bench/ocr_confidence.py [--langs chi_sim+eng] [--workers N]

Every image is read once with tesseract's image_to_data (each word with its confidence,
0-100); each threshold is then applied to the same words (`words_to_text`), so the table
compares thresholds on identical OCR output. Threshold 0 = no filtering (what OCR gave
before the threshold existed).

Images
  photos  scikit-image's bundled photographs and scientific images, none holding legible
          text: astronaut, brick, camera, cell, chelsea, clock_motion, coffee, coins, grass,
          gravel, horse, hubble_deep_field, ihc, microaneurysms, moon, motorcycle_left/right,
          retina, rocket, plus the synthetic chessboard, color and phantom.
          Wanted: "no text found".
  text    rendered product text, English and Chinese (fonts-wqy-microhei), 16/24/36 px, clean
          and on a noisy speckled background (workbench.ocr.render_sample), with known truth;
          and scikit-image's scanned page.png (typed transcription below).
  label   the same product text (24 px) pasted as a white label onto a photo (coffee, rocket,
          chelsea, motorcycle_left): text in a busy picture, where junk words surround real ones.
          Wanted: the text, with nothing lost.
  hard    scikit-image's text.png: handwritten formulas photographed at an angle (no
          transcription; only whether anything is kept is shown).

Columns
  line, word       min_confidence (lines under it dropped) and min_word_confidence (words); 0 = off
  photo no-text    share of photos that give "no text found" (higher is better)
  photo chars      letters/digits still reported across all photos (junk; lower is better)
  text acc         mean character accuracy on the text images incl. labels (1 - Levenshtein/len)
  text kept        letters/digits kept / letters/digits read with no filtering, text images
  text no-text     text images (incl. labels) wrongly given "no text found" (lower is better)
  per group        mean character accuracy of each group
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench import ocr  # noqa: E402
from workbench.ocr.words import (DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_WORD_CONFIDENCE, Word,  # noqa: E402
                                 image_confidence, kept_text, words_to_text)

LINE_THRESHOLDS = (0, 40, 50, 60, 70, 80)
WORD_THRESHOLDS = (0, 30, 50, 60)
LABEL_ON = ("coffee.png", "rocket.jpg", "chelsea.png", "motorcycle_left.png")
SIZES = (16, 24, 36)
PHOTOS = ("astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png",
          "coffee.png", "coins.png", "grass.png", "gravel.png", "horse.png", "hubble_deep_field.jpg",
          "ihc.png", "microaneurysms.png", "moon.png", "motorcycle_left.png", "motorcycle_right.png",
          "retina.jpg", "rocket.jpg", "chessboard_RGB.png", "color.png", "phantom.png")
TEXTS = {
    "eng": ["Wireless Bluetooth Headphones 40H", "Stainless Steel Bottle 750ml", "Organic Green Tea 100 Bags",
            "Running Shoes Size 42", "USB-C Charger 65W Fast"],
    "chi_sim": ["无线蓝牙耳机超长续航", "不锈钢保温杯大容量", "有机绿茶一百袋装", "男士运动跑鞋透气", "快充充电器六十五瓦"],
}
PAGE_TRUTH = """Region-based segmentation
Let us first determine markers of the coins and the
background. These markers are pixels that we can label
unambiguously as either object or background. Here,
the markers are found at the two extreme parts of the
histogram of grey values:
>>> markers = np.zeros_like(coins)"""


def skimage_data() -> Path:
    try:
        import skimage
    except ImportError:
        sys.exit("scikit-image is needed for the bundled photos: pip install scikit-image")
    return Path(skimage.__file__).parent / "data"


def alnum(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def build(folder: Path) -> tuple[list[Path], list[tuple[Path, str, str]], list[Path]]:
    data = skimage_data()
    photos = [data / name for name in PHOTOS if (data / name).exists()]
    texts = []
    for lang, lines in TEXTS.items():
        for i, line in enumerate(lines):
            for size in SIZES:
                for noisy in (False, True):
                    path = folder / f"{lang}_{i}_{size}_{'noisy' if noisy else 'clean'}.png"
                    ocr.render_sample(line, size, noisy=noisy, seed=i * 100 + size).save(path)
                    texts.append((path, line, f"{lang} {'noisy' if noisy else 'clean'}"))
    texts.append((data / "page.png", PAGE_TRUTH, "scanned page"))
    from PIL import Image

    k = 0
    for lang, lines in TEXTS.items():
        for i, line in enumerate(lines):
            for j in (0, 1):
                photo = Image.open(data / LABEL_ON[(i + j * 2) % len(LABEL_ON)]).convert("RGB")
                label = ocr.render_sample(line, 24)
                photo.paste(label, ((photo.width - label.width) // 2, (photo.height - label.height) // 2))
                path = folder / f"label_{k}.png"
                photo.save(path)
                texts.append((path, line, f"{lang[:3]} label"))
                k += 1
    hard = [data / "text.png"]
    return photos, texts, hard


def read_words(paths: list[Path], langs: str, workers: int | None) -> dict[Path, list[Word]]:
    """Every word of every image with its confidence (one tesseract call per image)."""
    from concurrent.futures import ThreadPoolExecutor

    from workbench.images import open_rgb

    engine = ocr.TesseractEngine(langs, ocr.OcrSettings(min_confidence=0))
    engine.check()
    def one(path: Path) -> list[Word] | None:
        try:
            return engine.read_words(open_rgb(path))
        except ocr.OcrTimeout:
            print(f"  {path.name}: OCR timed out, left out of the table", file=sys.stderr)
            return None

    with ThreadPoolExecutor(max_workers=workers or None) as pool:
        found = list(pool.map(one, paths))
    return {p: w for p, w in zip(paths, found) if w is not None}


def table(photos, texts, hard, words) -> list[dict]:
    rows = []
    for gate in LINE_THRESHOLDS:
        for word in WORD_THRESHOLDS:
            photo_text = [kept_text(words[p], gate, word) for p in photos]
            read = [(kept_text(words[p], gate, word), words_to_text(words[p]), truth, group)
                    for p, truth, group in texts]
            hard_text = [kept_text(words[p], gate, word) for p in hard]
            rows.append({
                "line": gate, "word": word,
                "photo_no_text": sum(not x for x in photo_text) / len(photos),
                "photo_chars": sum(alnum(x) for x in photo_text),
                "text_acc": statistics.mean(ocr.char_accuracy(x, truth) for x, _, truth, _ in read),
                "text_kept": sum(alnum(x) for x, *_ in read) / max(1, sum(alnum(a) for _, a, _, _ in read)),
                "text_no_text": sum(not x for x, *_ in read),
                "groups": {g: statistics.mean(ocr.char_accuracy(x, truth) for x, _, truth, gg in read if gg == g)
                           for g in dict.fromkeys(g for *_, g in read)},
                "hard_kept": sum(alnum(x) for x in hard_text),
            })
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--langs", default=ocr.DEFAULT_LANGS)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--limit", type=int, default=None,
                    help="only the first N photos and N images of each text group (a quick smoke run)")
    ap.add_argument("--words", metavar="JSON",
                    help="keep the words read in this file and reuse them on the next run (re-tabulating only)")
    ap.add_argument("--show", action="store_true", help="print what each photo gives at 0 and the default")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photos, texts, hard = build(Path(tmp))
        if args.limit:                  # a smoke run (tests/test_bench.py), not a measurement
            photos = photos[:args.limit]
            groups: dict[str, list] = {}
            for t in texts:
                groups.setdefault(t[2], []).append(t)
            texts = [t for group in groups.values() for t in group[:args.limit]]
        paths = photos + [p for p, *_ in texts] + hard
        saved = Path(args.words) if args.words else None
        if saved and saved.exists():
            by_name = json.loads(saved.read_text("utf-8"))
            words = {p: [Word.from_json(w) for w in by_name[p.name]] for p in paths if p.name in by_name}
        else:
            words = read_words(paths, args.langs, args.workers)
            if saved:
                saved.write_text(json.dumps({p.name: [w.to_json() for w in ws] for p, ws in words.items()},
                                            ensure_ascii=False), "utf-8")
        photos = [p for p in photos if p in words]
        texts = [t for t in texts if t[0] in words]
        hard = [p for p in hard if p in words]
        rows = table(photos, texts, hard, words)
    print(f"{len(photos)} photos, {len(texts)} text images ({len(texts) - 1} renders + page.png), "
          f"langs={args.langs}, tesseract {ocr.tesseract_version()}\n")
    groups = list(rows[0]["groups"])
    print(f"{'line':>5} {'word':>4} {'photo no-text':>13} {'photo chars':>11} {'text acc':>8} {'text kept':>9} "
          f"{'text no-text':>12} " + " ".join(f"{g:>13}" for g in groups) + f" {'text.png kept':>13}")
    for r in rows:
        mark = ("  <- default" if (r["line"], r["word"]) == (DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_WORD_CONFIDENCE)
                else "  (no filtering)" if r["line"] == r["word"] == 0 else "")
        print(f"{r['line']:>5} {r['word']:>4} {r['photo_no_text']:>13.2f} {r['photo_chars']:>11} "
              f"{r['text_acc']:>8.3f} {r['text_kept']:>9.3f} {r['text_no_text']:>12} "
              + " ".join(f"{r['groups'][g]:>13.3f}" for g in groups) + f" {r['hard_kept']:>13}{mark}")
    confs = {name: [image_confidence(words[p]) for p in group] for name, group in
             (("photos", photos), ("text images", [p for p, *_ in texts]))}
    print("\nimage confidence (letter-weighted mean word confidence): "
          + "; ".join(f"{k} {min(v):.0f}-{max(v):.0f} (median {statistics.median(v):.0f})" for k, v in confs.items()))
    if args.show:
        print()
        for p in photos + hard + [p for p, _, g in texts if "label" in g]:
            print(f"{p.name:>22} conf {image_confidence(words[p]):4.0f}: {words_to_text(words[p])!r:.50} -> "
                  f"{kept_text(words[p], DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_WORD_CONFIDENCE)!r:.50}")


if __name__ == "__main__":
    main()
