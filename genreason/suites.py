"""Suites: versioned TOML files that say which puzzles a benchmark is made of.

A suite file looks like this::

    name = "maze"
    version = "1"
    description = "Square mazes, three difficulties."
    seed = 0

    [[entries]]
    family = "maze"
    difficulties = ["easy", "medium", "hard"]
    count = 8                 # puzzles per difficulty
    # skins = ["classic"]     # optional; default: every skin of the family

Puzzle ``i`` of an entry and difficulty gets the id ``{family}/{difficulty}/{i:06d}``,
the skin ``skins[i % len(skins)]`` and the seed
``derive_seed(suite seed, family, difficulty, i)``. A ``limit`` keeps the
first ``limit`` puzzles of every family x difficulty, so a limited run is a
prefix of the full one.

Built-in suites are the ``*.toml`` files of every package registered in the
``genreason.suites`` entry-point group; a suite is named by its file's stem.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from genreason.errors import BadInput, GenreasonError, UnknownName
from genreason.plugins import PuzzleFamily, available, load_family
from genreason.seeding import derive_seed
from genreason.types import Puzzle, validation_problem

# Names end up in puzzle ids and therefore in file paths: keep them to safe characters.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SuiteEntry(BaseModel):
    """One family of a suite: which difficulties, how many puzzles each, which skins."""

    model_config = ConfigDict(extra="forbid")

    family: str
    difficulties: list[str] = Field(min_length=1)
    count: int = Field(ge=1)
    skins: list[str] | None = Field(default=None, min_length=1)

    @field_validator("family", "difficulties", "skins")
    @classmethod
    def _safe_names(cls, value: str | list[str] | None) -> str | list[str] | None:
        for name in [value] if isinstance(value, str) else value or []:
            if not _NAME.match(name):
                raise ValueError(f"{name!r} is not a valid name (letters, digits, '_', '.', '-')")
        return value


class Suite(BaseModel):
    """A parsed suite file. ``source`` says where it was read from (not part of the file)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    description: str = ""
    seed: int = 0
    entries: list[SuiteEntry] = Field(min_length=1)
    source: str = Field(default="", exclude=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        # `version = 1` in TOML is an int; the version is a label, so accept it as text.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _no_repeats(self) -> Suite:
        seen: set[tuple[str, str]] = set()
        for entry in self.entries:
            for difficulty in entry.difficulties:
                if (entry.family, difficulty) in seen:
                    raise ValueError(f"{entry.family}/{difficulty} is listed twice")
                seen.add((entry.family, difficulty))
        return self

    @property
    def size(self) -> int:
        """Number of puzzles in the full suite (no limit)."""
        return sum(entry.count * len(entry.difficulties) for entry in self.entries)

    def puzzles(self, families: Mapping[str, PuzzleFamily], limit: int | None = None) -> list[PuzzleSpec]:
        """Expand the suite into puzzle specs, checking names against the family plugins.

        Args:
            families: The family plugin of every family the suite names (see :func:`load_families`).
            limit: Keep only the first ``limit`` puzzles of each family x difficulty.

        Raises:
            BadInput: A difficulty or skin the family does not define (naming the suite file).
        """
        specs: list[PuzzleSpec] = []
        for entry in self.entries:
            family = families[entry.family]
            skins = entry.skins or list(family.skins)
            self._check_names(entry.difficulties, family.difficulties, f"difficulty of {entry.family}")
            self._check_names(skins, family.skins, f"skin of {entry.family}")
            count = entry.count if limit is None else min(entry.count, limit)
            for difficulty in entry.difficulties:
                for index in range(count):
                    specs.append(PuzzleSpec(
                        id=f"{entry.family}/{difficulty}/{index:06d}",
                        family=entry.family,
                        difficulty=difficulty,
                        skin=skins[index % len(skins)],
                        seed=derive_seed(self.seed, entry.family, difficulty, index),
                        index=index,
                    ))
        return specs

    def _check_names(self, names: list[str], known: tuple[str, ...], kind: str) -> None:
        for name in names:
            if name not in known:
                raise BadInput(self.source, str(UnknownName(kind, name, list(known))))


@dataclass(frozen=True)
class PuzzleSpec:
    """Everything needed to generate one puzzle of a suite."""

    id: str
    family: str
    difficulty: str
    skin: str
    seed: int
    index: int

    def generate(self, family: PuzzleFamily) -> Puzzle:
        """Ask ``family`` for this puzzle."""
        return family.generate(self.seed, self.difficulty, self.skin, self.id)


def load_families(suite: Suite, loader: Callable[[str], PuzzleFamily] = load_family) -> dict[str, PuzzleFamily]:
    """Load the plugin of every family ``suite`` names; an unknown one fails naming the suite file."""
    families: dict[str, PuzzleFamily] = {}
    for entry in suite.entries:
        if entry.family not in families:
            try:
                families[entry.family] = loader(entry.family)
            except UnknownName as exc:
                raise BadInput(suite.source, str(exc)) from None
    return families


def builtin_suites() -> dict[str, Traversable]:
    """Suite files of every package in the ``genreason.suites`` entry-point group, by name."""
    found: dict[str, Traversable] = {}
    for group_name, target in available("suites").items():
        package = target.split(":")[0]
        try:
            files = sorted(resources.files(package).iterdir(), key=lambda item: item.name)
        except ModuleNotFoundError:
            raise GenreasonError(f"suite package {package!r} (entry point {group_name!r}) "
                                 "cannot be imported; is it installed?") from None
        for item in files:
            if not item.name.endswith(".toml"):
                continue
            name = item.name[: -len(".toml")]
            if name in found:
                raise GenreasonError(f"two suites are named {name!r}: {found[name]} and {item}")
            found[name] = item
    return dict(sorted(found.items()))


def load_suite(name_or_path: str) -> Suite:
    """Load a built-in suite by name, or a suite file by path (anything ending in ``.toml``).

    Raises:
        UnknownName: No built-in suite of that name (with a 'did you mean').
        BadInput: The file is missing, not TOML, or not a valid suite.
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" or len(path.parts) > 1:
        return read_suite(path)
    suites = builtin_suites()
    if name_or_path not in suites:
        raise UnknownName("suite", name_or_path, list(suites))
    suite = read_suite(suites[name_or_path])
    if suite.name != name_or_path:  # built-ins are looked up by file name: the two must agree
        raise BadInput(suite.source, f"declares name {suite.name!r} but is found as {name_or_path!r}",
                       f"rename the file or set name = {name_or_path!r}")
    return suite


def read_suite(path: Path | Traversable) -> Suite:
    """Parse and validate one suite file."""
    if not path.is_file():
        raise BadInput(path, "suite file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(path, f"is not a valid TOML file ({exc})") from None
    try:
        return Suite.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        raise BadInput(path, f"malformed suite: {validation_problem(exc)}") from None
