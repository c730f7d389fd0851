"""Real small runs and zip surgery for the submission and leaderboard tests.

Runs are made once per test session (both test modules share them) through
the command line: the oracle and the static baseline on ``maze-smoke`` with
``--limit 1`` (three mazes), with short videos so re-judging stays fast.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genreason.cli import main
from genreason.leaderboard.manifest import MANIFEST, sha256_bytes
from genreason.leaderboard.submit import write_zip

MODELS = {
    "oracle": ["-a", "frames_per_step=2", "-a", "hold_frames=4"],
    "static": ["-a", "num_frames=9"],
}
_RUNS: dict[tuple[str, int], Path] = {}


def bench_run(tmp_path_factory: Any, model: str, limit: int = 1) -> Path:
    """The run folder of ``model`` on maze-smoke with ``--limit limit``, made on first use."""
    key = (model, limit)
    if key not in _RUNS:
        out = tmp_path_factory.mktemp(f"{model}-limit{limit}") / "run"
        argv = ["bench", "--model", model, *MODELS[model], "--suite", "maze-smoke", "--limit", str(limit),
                "--out", str(out), "--jobs", "1", "--quiet"]
        assert main(argv) == 0
        _RUNS[key] = out
    return _RUNS[key]


def members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def rewrite(bundle: Path, out: Path, edit: Callable[[dict[str, bytes]], None], *, rehash: bool = True) -> Path:
    """Copy ``bundle`` to ``out`` with ``edit`` applied to its members (as a submitter would tamper).

    With ``rehash`` the manifest's hashes of samples.jsonl and summary.json are
    updated to the edited bytes, so only the deeper checks can catch the edit.
    """
    content = members(bundle)
    edit(content)
    if rehash and MANIFEST in content:
        manifest = json.loads(content[MANIFEST])
        for name in manifest["files"]:
            if name in content:
                manifest["files"][name] = sha256_bytes(content[name])
        content[MANIFEST] = json.dumps(manifest, indent=2).encode()
    write_zip(out, content)
    return out


def edit_json(content: dict[str, bytes], name: str, change: Callable[[Any], None]) -> None:
    data = json.loads(content[name])
    change(data)
    content[name] = json.dumps(data).encode()


def edit_samples(content: dict[str, bytes], change: Callable[[list[dict[str, Any]]], None]) -> None:
    records = [json.loads(line) for line in content["samples.jsonl"].decode().splitlines()]
    change(records)
    content["samples.jsonl"] = "".join(json.dumps(r) + "\n" for r in records).encode()


def raw_zip(out: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    """A zip with exactly these members (duplicates allowed), as an attacker would write it."""
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: that is the point
        for info, data in entries:
            zf.writestr(info, data)
    return out


def forge_size(path: Path, name: str, declared: int) -> None:
    """Make the headers of member ``name`` declare ``declared`` uncompressed bytes (a lying zip bomb)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            if data[at + name_at: at + name_at + len(encoded)] == encoded:
                data[at + size_at: at + size_at + 4] = declared.to_bytes(4, "little")
            start = at + 4
    path.write_bytes(bytes(data))
