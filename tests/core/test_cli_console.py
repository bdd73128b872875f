"""Output meant to be read is not cut at 80 columns when piped (``archgym analyze`` printed "archgym/Sys…")."""

from archgym.cli.options import PIPE_WIDTH, console


def test_piped_console_is_wide_and_does_not_wrap(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    c = console()  # pytest captures stdout: not a terminal
    assert not c.is_terminal
    assert c.width == PIPE_WIDTH
    with c.capture() as cap:
        c.print("archgym/SystolicArray-v0 (resnet18) " * 8)
    assert "\n" not in cap.get().rstrip("\n")


def test_columns_is_respected(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert console().width == 100
