"""Sample seeding: idempotent, atomic, and every bundled sample imports cleanly with labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from workbench import config
from workbench.errors import NothingImported
from workbench.samples import list_samples, pending_samples, seed_samples, session_name
from workbench.store import Store

HEADER = "query_id,query_text,query_image,doc_id,doc_text,doc_image,label,first_stage_score,colour\n"


def write_sample(root: Path, name: str, title: str, rows: list[str]) -> Path:
    folder = root / name
    (folder / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), (200, 30, 30)).save(folder / "images" / "red.png")
    (folder / "README.md").write_text(f"# {title}\n\nA tiny test sample.\n", encoding="utf-8")
    (folder / "candidates.csv").write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return folder


@pytest.fixture
def samples_root(tmp_path):
    root = tmp_path / "samples"
    write_sample(root, "shop", "Tiny shop", [
        "q1,red shirt,,a,red cotton shirt,images/red.png,2,0.9,red",
        "q1,red shirt,,b,blue jeans,,0,0.5,blue",
        "q2,红色,images/red.png,c,红色衬衫,,1,,红",
    ])
    write_sample(root, "kb", "Tiny KB", ["k,how to claim travel costs,,p1,policy 2024,,2,,"])
    return root


def test_seed_creates_sessions_then_is_idempotent(samples_root, store):
    assert [s.title for s in list_samples(samples_root)] == ["Tiny KB", "Tiny shop"]
    created = seed_samples(store, samples_root)
    assert created == [session_name("Tiny KB"), session_name("Tiny shop")] == \
        ["Sample: Tiny KB", "Sample: Tiny shop"]
    shop = store.get_session("Sample: Tiny shop")
    sets = store.list_candidate_sets(shop.id)
    assert [(s.query_id, s.n_docs, s.n_labels) for s in sets] == [("q1", 2, 2), ("q2", 1, 1)]
    cset = store.load_candidate_set(sets[0].id)
    assert cset.doc("a").metadata.get("colour") == "red"
    assert Path(cset.doc("a").image).read_bytes() == (samples_root / "shop/images/red.png").read_bytes()
    assert store.load_candidate_set(sets[1].id).query.image_hash == cset.doc("a").image_hash

    assert pending_samples(store, samples_root) == []
    assert seed_samples(store, samples_root) == []          # second start: nothing to do
    assert len(store.list_sessions()) == 2 and len(store.list_candidate_sets()) == 3


def test_seed_fills_only_missing_samples(samples_root, store):
    seed_samples(store, samples_root)
    store.delete_session("Sample: Tiny KB")
    store.create_session("my own work")
    assert seed_samples(store, samples_root) == ["Sample: Tiny KB"]
    assert sorted(s.name for s in store.list_sessions()) == ["Sample: Tiny KB", "Sample: Tiny shop", "my own work"]


def test_broken_sample_leaves_nothing_behind(tmp_path, store):
    root = tmp_path / "samples"
    write_sample(root, "bad", "Broken", ["q,text,,d1,,,2,,"])  # a document with neither text nor image
    with pytest.raises(NothingImported):
        seed_samples(store, root)
    assert store.list_sessions() == []


def test_failure_mid_sample_rolls_back(samples_root, monkeypatch, store):
    real_save = store.save_candidate_set
    calls = []

    def flaky_save(session_id, cset):
        calls.append(cset.query.id)
        if cset.query.id == "q2":
            raise OSError("disk full")
        return real_save(session_id, cset)

    monkeypatch.setattr(store, "save_candidate_set", flaky_save)
    with pytest.raises(OSError):
        seed_samples(store, samples_root)
    assert "q1" in calls and "q2" in calls
    assert [s.name for s in store.list_sessions()] == ["Sample: Tiny KB"]  # shop fully undone
    assert all(s.session_id == store.get_session("Sample: Tiny KB").id for s in store.list_candidate_sets())
    monkeypatch.undo()
    assert seed_samples(store, samples_root) == ["Sample: Tiny shop"]


def test_no_samples_folder_is_fine(tmp_path, store):
    assert seed_samples(store, tmp_path / "missing") == []


BUNDLED = list_samples(config.SAMPLES_DIR)


@pytest.mark.parametrize("sample", BUNDLED, ids=[s.name for s in BUNDLED])
def test_bundled_sample_imports_cleanly_with_labels(sample, store):
    from workbench import formats

    result = formats.read_candidates(sample.path)
    assert result.rejected == []
    assert session_name(sample.title) in seed_samples(store, config.SAMPLES_DIR)
    session = store.get_session(session_name(sample.title))
    sets = store.list_candidate_sets(session.id)
    assert len(sets) == len(result.sets) >= 1
    for info in sets:
        assert info.n_docs >= 3 and info.n_labels == info.n_docs  # labelled, so metrics can be shown
        cset = store.load_candidate_set(info.id)
        for item in [cset.query, *cset.documents]:
            if item.image:
                assert Path(item.image).is_file() and item.image_hash


def test_bundled_samples_exist():
    assert {s.name for s in BUNDLED} >= {"ecommerce", "photos", "kb"}


# ----------------------------------------------------------------------------- CLI: db init / sessions


def test_cli_db_init_samples_and_sessions(capsys, isolated_workbench):
    from workbench.cli import main

    assert main(["db", "init"]) == 0
    out = capsys.readouterr().out
    assert f"database: {isolated_workbench / 'workbench.db'} (created)" in out
    assert main(["db", "init", "--samples"]) == 0
    out = capsys.readouterr().out
    assert "(up to date)" in out
    assert out.count("samples: added") == len(BUNDLED)
    assert main(["db", "init", "--samples"]) == 0
    assert f"samples: all {len(BUNDLED)} already stored" in capsys.readouterr().out
    assert len(Store().list_sessions()) == len(BUNDLED)

    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    for s in BUNDLED:
        assert session_name(s.title) in out
    assert main(["sessions", "--filter", "no-such-thing"]) == 0
    assert "no sessions matching 'no-such-thing'" in capsys.readouterr().out
    assert main(["db", "info"]) == 0
    assert "m002_score_cache_ocr_edits" in capsys.readouterr().out


def test_cli_db_init_reports_store_errors(capsys, isolated_workbench):
    from workbench.cli import main

    (isolated_workbench / "workbench.db").write_bytes(b"garbage, not sqlite" * 200)
    assert main(["db", "init"]) == 2
    err = capsys.readouterr().err
    assert "workbench.db" in err and "WORKBENCH_DB" in err
