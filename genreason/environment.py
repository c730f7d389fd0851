"""What a run was made with: genreason, Python, platform, key package versions, git commit."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata

from pydantic import BaseModel, ConfigDict, Field

import genreason

# Packages whose version can change a verdict or a video. Looked up in the
# installed metadata, never imported, so recording them stays cheap.
PACKAGES = ("numpy", "opencv-python-headless", "opencv-python", "av", "pydantic", "torch", "diffusers")


class Environment(BaseModel):
    """Versions and commit recorded in ``run.json``; informative only, never compared on resume."""

    model_config = ConfigDict(extra="forbid")

    genreason: str
    python: str
    platform: str
    packages: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None


def current_environment() -> Environment:
    """Describe this interpreter; missing packages are left out, a missing git is not an error."""
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return Environment(genreason=genreason.__version__, python=sys.version.split()[0],
                       platform=platform.platform(), packages=packages, git_commit=git_commit())


def git_commit() -> str | None:
    """The commit checked out in the current directory, or None (no git, not a repo, no commit yet)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None
