"""Output files of the CLI: checked before long work starts, written with analyst-facing errors.

Every command that writes a file (``--output``, ``--rejected-out``) calls
:func:`check_output` before it reads or computes anything, so a typo in the output
path never costs a finished rerank, and :func:`write_output` to write the bytes,
so a full disk or a missing permission is an error message, not a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import InputError, shell_quote


def check_output(path: str | None, flag: str = "--output") -> Path | None:
    """Fail early when ``path`` cannot be written; create its missing parent folders.

    ``'-'`` (standard output) and ``None`` pass through as ``None``.
    """
    if path is None or path == "-":
        return None
    if not str(path).strip():
        raise InputError(f"{flag} is empty.", f"Give a file name, e.g. {flag} results.csv ('-' for standard output).")
    out = Path(path).expanduser()
    if out.is_dir():
        raise InputError(f"{flag} '{path}' is a folder, not a file.",
                         f"Give a file name inside it, e.g. {flag} {shell_quote(out / 'results.csv')}.")
    parent = out.parent
    for p in [parent, *parent.parents]:      # a file where a folder should be
        if p.exists() and not p.is_dir():
            raise InputError(f"{flag} '{path}' cannot be written: '{p}' is a file, not a folder.",
                             f"Choose another folder for {flag}.")
        if p.exists():
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{flag} '{path}' cannot be written: the folder '{parent}' cannot be created "
                         f"({exc.strerror or exc}).",
                         f"Create the folder first, or choose a folder you can write to for {flag}.") from None
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InputError(f"{flag} '{path}' cannot be written: permission denied.",
                         f"Choose a folder you can write to for {flag}, or fix the file's permissions.")
    return out


def write_output(path: str, data: bytes, flag: str = "--output") -> None:
    """Write ``data`` to ``path`` (``'-'``: standard output) or raise InputError saying why not."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out = check_output(path, flag)
    try:
        out.write_bytes(data)
    except OSError as exc:
        if exc.errno == 28:                               # ENOSPC
            from ..store.engine import _size, free_space

            free = free_space(out.resolve().parent)
            raise InputError(
                f"The disk is full: {flag} '{path}' could not be written ({exc.strerror or exc}; "
                + (f"{_size(free)} free in '{out.resolve().parent}', " if free is not None else "")
                + f"the file needs {_size(len(data))}).",
                f"Free some space on that disk, or choose a file on another disk for {flag}.") from None
        raise InputError(f"{flag} '{path}' could not be written ({exc.strerror or exc}).",
                         f"Check that the disk is not full and that you may write there, or choose "
                         f"another file for {flag}.") from None
