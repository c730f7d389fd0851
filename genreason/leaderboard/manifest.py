"""The submission bundle's ``manifest.json`` (``genreason.bundle``, version 1) and member names.

A bundle is a zip holding exactly::

    manifest.json      BundleManifest
    samples.jsonl      the run's sample records, in suite order
    summary.json       the run's summary (metrics.Summary)
    videos/<puzzle id with / as __>__s<index>.mp4    only with --with-videos

The manifest says what was run (model, suite and its puzzle-id digest, seeds,
N, verifier versions), what every puzzle looked like (seed, prompt and the
SHA-256 of ``puzzle.json`` and ``frame0.png``, so a validator that regenerates
the puzzle compares bytes, not just ids) and the SHA-256 of every video, also
of those left out of the zip.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from genreason.environment import Environment
from genreason.types import ComponentSpec

BUNDLE_FORMAT = "genreason.bundle"
BUNDLE_VERSION = 1

MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
SUMMARY = "summary.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BundleSuite(_Model):
    """The suite a run covered, as run.json records it (without the local file path)."""

    name: str
    version: str
    limit: int | None
    n_puzzles: int
    puzzle_ids_sha256: str


class BundlePuzzle(_Model):
    """One puzzle as the run saw it; a validator regenerates it from ``seed`` and compares."""

    id: str
    family: str
    difficulty: str
    skin: str
    seed: int
    prompt: str
    puzzle_sha256: str  # of the puzzle.json bytes genreason writes (Puzzle.save)
    frame0_sha256: str  # of the frame0.png bytes


class BundleVideo(_Model):
    """A sample's video: its hash always, the file itself only when ``included``."""

    sample_id: str
    member: str  # its name in the zip, videos/<...>.mp4
    sha256: str
    bytes: int
    included: bool


class VerifierRef(_Model):
    name: str
    version: str


class BundleManifest(_Model):
    """``manifest.json``: everything a validator needs to re-check a run's claims.

    ``created`` is the run's creation time (not the bundle's), so the same run
    always gives the same bundle bytes.
    """

    format: Literal["genreason.bundle"] = BUNDLE_FORMAT
    version: int = BUNDLE_VERSION
    created: str
    genreason: str      # the version that made the run
    bundled_with: str   # the version that packed the bundle
    model: ComponentSpec
    suite: BundleSuite
    families: dict[str, str]             # family -> family version
    verifiers: dict[str, VerifierRef]    # family -> verifier name and version
    samples: int                         # N, videos per puzzle
    seed: int                            # sample i of a puzzle used seed `seed + i`
    partial: bool                        # some samples of the suite are missing
    n_records: int
    videos_included: bool
    files: dict[str, str]                # samples.jsonl / summary.json -> sha256
    environment: Environment
    puzzles: list[BundlePuzzle]
    videos: list[BundleVideo]


def video_member(puzzle_id: str, index: int) -> str:
    """The zip member (and run-relative path) of sample ``index`` of ``puzzle_id``."""
    return f"videos/{puzzle_id.replace('/', '__')}__s{index}.mp4"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
