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
