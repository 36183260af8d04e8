"""Regenerate the bundled sample candidate sets (the outputs are committed).

    .venv/bin/python data/samples/make_samples.py

ecommerce/  image query (a drawn denim jacket) + "denim jacket" vs product descriptions (zh + en)
photos/     text queries vs real photos from the scikit-image wheel (skimage/data/)
kb/         a travel-reimbursement question (en + zh) vs policy summaries
Every document carries a graded label (0 not relevant, 1 partly, 2 relevant).
"""

from __future__ import annotations

import csv
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
COLUMNS = ["query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image", "label",
           "first_stage_score"]


def write(name: str, title: str, about: str, rows: list[dict], extra: list[str] = ()) -> None:
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    cols = COLUMNS + list(extra)
    with open(folder / "candidates.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})
    (folder / "README.md").write_text(f"# {title}\n\n{about}\n", encoding="utf-8")


def draw_jacket(path: Path) -> None:
    im = Image.new("RGB", (384, 384), (245, 245, 240))
    d = ImageDraw.Draw(im)
    denim, dark, stitch = (52, 86, 140), (34, 58, 98), (214, 160, 60)
    d.polygon([(120, 70), (264, 70), (330, 120), (300, 330), (84, 330), (54, 120)], fill=denim)   # body
    d.polygon([(54, 120), (120, 70), (100, 140), (40, 290), (14, 280)], fill=denim)              # left sleeve
    d.polygon([(330, 120), (264, 70), (284, 140), (344, 290), (370, 280)], fill=denim)           # right sleeve
    d.polygon([(150, 70), (192, 130), (234, 70), (214, 62), (192, 95), (170, 62)], fill=dark)     # collar
    d.line([(192, 130), (192, 330)], fill=dark, width=4)                                          # placket
    for y in (160, 205, 250, 295):
        d.ellipse([(198, y - 6), (210, y + 6)], fill=(190, 190, 200))                            # metal buttons
    for x0 in (110, 214):
        d.rectangle([(x0, 170), (x0 + 60, 215)], outline=stitch, width=3)                         # chest pockets
    d.line([(84, 315), (300, 315)], fill=stitch, width=3)                                         # waistband
    im.save(path, "JPEG", quality=85)


FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def product_card(path: Path, colour: tuple[int, int, int], lines: list[str]) -> None:
    """A product shot with a printed label: image-only documents whose text only OCR can read."""
    from PIL import ImageFont

    im = Image.new("RGB", (480, 360), (250, 250, 247))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle([(40, 30), (200, 250)], 18, fill=colour)                 # the garment
    d.rectangle([(110, 30), (130, 250)], fill=tuple(max(0, c - 40) for c in colour))
    for i, line in enumerate(lines):
        font = ImageFont.truetype(FONT, 30 if i == 0 else 24)
        d.text((220, 60 + 52 * i), line, fill=(20, 20, 20), font=font)
    im.save(path, "JPEG", quality=90)


def ecommerce() -> None:
    folder = HERE / "ecommerce"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    draw_jacket(folder / "images" / "query_denim_jacket.jpg")
    q = dict(query_id="denim-jacket", query_text="denim jacket", query_image="images/query_denim_jacket.jpg")
    docs = [
        ("p01", "dark blue slim denim jacket, washed finish, metal buttons", 2, 0.71, "jackets"),
        ("p02", "khaki cargo jacket, many pockets, cotton", 0, 0.55, "jackets"),
        ("p03", "light blue loose denim shirt, dropped shoulders, can be worn as a jacket", 1, 0.62, "shirts"),
        ("p04", "深蓝色修身牛仔夹克，水洗做旧，金属纽扣，春秋款", 2, 0.66, "夹克"),
        ("p05", "黑色皮夹克，机车风，拉链设计", 0, 0.48, "夹克"),
        ("p06", "oversized vintage denim trucker jacket, medium wash, chest pockets", 2, 0.69, "jackets"),
        ("p07", "浅蓝色牛仔衬衫，宽松落肩，可当外套穿", 1, 0.58, "衬衫"),
        ("p08", "slim fit dark denim jeans, stretch cotton", 0, 0.60, "trousers"),
        ("p09", "男士牛仔外套，加绒加厚，冬季保暖", 2, 0.52, "外套"),
        ("p10", "navy blue wool blazer, two buttons, office wear", 0, 0.41, "jackets"),
    ]
    rows = [dict(q, doc_id=i, doc_text=t, label=lab, first_stage_score=s, category=c) for i, t, lab, s, c in docs]
    cards = [  # image-only product shots: run OCR to turn their labels into descriptions
        ("p11", (52, 86, 140), ["DENIM JACKET", "牛仔夹克 修身款", "metal buttons"], 2, 0.50, "jackets"),
        ("p12", (176, 160, 110), ["CARGO PANTS", "工装裤 多口袋", "cotton twill"], 0, 0.47, "trousers"),
        ("p13", (140, 175, 215), ["DENIM SHIRT", "牛仔衬衫 宽松", "wear as a jacket"], 1, 0.45, "shirts"),
    ]
    for i, colour, lines, lab, score, cat in cards:
        product_card(folder / "images" / f"{i}.jpg", colour, lines)
        rows.append(dict(q, doc_id=i, doc_image=f"images/{i}.jpg", label=lab, first_stage_score=score,
                         category=cat))
    write("ecommerce", "E-commerce: denim jacket (image query)",
          "An image query (a drawn denim jacket) with the text 'denim jacket' against product "
          "descriptions in English and Chinese, plus three image-only product shots whose printed "
          "labels only OCR can read (try the OCR page). Labels: 2 = a denim jacket, 1 = a denim shirt "
          "worn as a jacket, 0 = anything else.", rows, extra=["category"])


SKIMAGE_PHOTOS = {  # doc id -> (file in skimage/data, caption or "" for image-only)
    "cat": ("chelsea.png", "a tabby cat lying down"),
    "coffee": ("coffee.png", "a cup of coffee on a saucer"),
    "rocket": ("rocket.jpg", ""),
    "astronaut": ("astronaut.png", "portrait of an astronaut"),
    "horse": ("horse.png", ""),
    "motorcycle": ("motorcycle_left.png", "a motorcycle in a garage"),
    "page": ("page.png", "a scanned page of text"),
}


def photos() -> None:
    import skimage

    src = Path(skimage.__file__).parent / "data"
    folder = HERE / "photos"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for doc_id, (fname, _) in SKIMAGE_PHOTOS.items():
        with Image.open(src / fname) as im:
            im = im.convert("RGB")   # horse.png is 1-bit, page.png is grey
            im.thumbnail((512, 512))
            im.save(folder / "images" / f"{doc_id}.jpg", "JPEG", quality=82)
    queries = {
        "cat": ("a cat resting", {"cat": 2, "horse": 0, "page": 0}),
        "coffee": ("a cup of coffee", {"coffee": 2, "page": 0}),
        "rocket": ("a rocket launch", {"rocket": 2, "astronaut": 1}),
    }
    rows = []
    for qid, (text, grades) in queries.items():
        for doc_id, (_, caption) in SKIMAGE_PHOTOS.items():
            rows.append(dict(query_id=qid, query_text=text, doc_id=doc_id, doc_text=caption,
                             doc_image=f"images/{doc_id}.jpg", label=grades.get(doc_id, 0),
                             source="scikit-image data/" + SKIMAGE_PHOTOS[doc_id][0]))
    write("photos", "Photos: text queries against images",
          "Text queries ('a cat resting', 'a cup of coffee', 'a rocket launch') against real photos "
          "from the scikit-image data set (downscaled to 512 px). Some documents are image-only, "
          "others have a short caption. The photos come from scikit-image's bundled data set "
          "(see skimage/data/README.txt in the scikit-image wheel for their public-domain / CC0 sources).",
          rows, extra=["source"])


def kb() -> None:
    docs = [
        ("guide-2024", "2024 Overseas Travel Reimbursement Guide: submit the travel itinerary, hotel "
         "invoices and the signed expense sheet in the finance system within 30 days of return; the "
         "department head approves within 3 working days, then finance pays.", 2),
        ("rule-2019", "2019 travel expense rule (superseded): only flight and lodging receipts are "
         "required; reimbursement is processed within 7 days.", 1),
        ("einvoice", "E-invoice note: electronic invoices (PDF/OFD) are accepted for reimbursement; "
         "paper print-outs of e-invoices are not needed.", 1),
        ("visa", "Visa process: apply for a business visa at least 4 weeks before travel with the "
         "invitation letter, passport copy and employment certificate.", 0),
        ("faq-2024q1", "2024 Q1 FAQ on travel reimbursement: What do I need for an overseas trip? "
         "Itinerary, hotel invoices, expense sheet and currency exchange receipts. How long does "
         "approval take? Three working days.", 2),
        ("canteen", "Canteen opening hours and meal subsidy rules for the headquarters building.", 0),
    ]
    queries = [
        ("travel-en", "What materials are needed for an overseas travel reimbursement, and what is the process?"),
        ("travel-zh", "境外出差报销需要哪些材料？流程是什么？"),
    ]
    rows = [dict(query_id=qid, query_text=qt, doc_id=d, doc_text=t, label=lab, year=d[-4:] if d[-4:].isdigit() else "")
            for qid, qt in queries for d, t, lab in docs]
    write("kb", "Knowledge base: overseas travel reimbursement",
          "A policy question (in English and in Chinese) against policy summaries: the current 2024 "
          "guide and FAQ (relevant), the superseded 2019 rule and an e-invoice note (partly relevant), "
          "a visa-process document and a canteen notice (not relevant).", rows, extra=["year"])


if __name__ == "__main__":
    ecommerce()
    photos()
    kb()
    print("samples written under", HERE)
