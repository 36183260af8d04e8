"""`workbench doctor`: checks, fixes and the real scoring pass."""

from __future__ import annotations

import socket

from workbench import doctor
from workbench.cli import main


def test_checks_without_smoke_have_fixes(monkeypatch):
    monkeypatch.delenv("WORKBENCH_MODEL", raising=False)
    checks = doctor.run_checks(smoke=False)
    names = {c.name for c in checks}
    assert {"python", "torch", "cuda", "flash-attn", "tesseract", "model", "app port"} <= names
    for c in checks:
        if not c.ok:
            assert c.fix, c.name
    model = next(c for c in checks if c.name == "model")
    assert not model.ok and model.warning and "WORKBENCH_MODEL" in model.fix


def test_model_path_check(monkeypatch, tmp_path, tiny_checkpoint):
    monkeypatch.setenv("WORKBENCH_MODEL", str(tmp_path / "missing"))
    c = doctor.check_model_path()
    assert not c.ok and not c.warning and "does not exist" in c.detail
    monkeypatch.setenv("WORKBENCH_MODEL", tiny_checkpoint)
    assert doctor.check_model_path().ok


def test_busy_port_is_reported():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        c = doctor.check_port(port)
    assert not c.ok and str(port) in c.detail and c.fix


def test_smoke_test_scores_on_cpu():
    c = doctor.smoke_test("cpu")
    assert c.ok, c.detail
    assert "cpu" in c.detail and "float32" in c.detail


def test_doctor_cli_exit_zero_without_gpu(capsys):
    rc = main(["doctor", "--device", "cpu"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "scoring smoke test" in out and "fix:" in out


def test_image_speed_up_check_says_when_transformers_code_changed(monkeypatch):
    from workbench import i18n
    from workbench.rerank.qwen_vl import vision_attention as va

    ok = doctor.check_vision_attention()
    assert ok.ok and ok.name == "image speed-up" and "3866da274ce9c6cf" in ok.detail, ok
    monkeypatch.setattr(va, "KNOWN_FORWARDS", {"0000000000000000": "a release that never existed"})
    changed = doctor.check_vision_attention()
    assert not changed.ok and changed.warning and "changed the Qwen-VL vision attention" in changed.detail
    assert "./run_workbench.sh setup" in changed.fix
    with i18n.language("zh"):
        zh = doctor.check_vision_attention()
    assert zh.name == "图像加速" and "修改了" in zh.detail
    monkeypatch.setenv(va.ENV, "0")
    off = doctor.check_vision_attention()
    assert off.ok and "WORKBENCH_GROUPED_VISION=0" in off.detail
