import pytest
from doubles import SUITE_TOML, family_for, write_suite

from genreason.errors import BadInput, UnknownName
from genreason.seeding import derive_seed
from genreason.suites import builtin_suites, load_families, load_suite


def expand(path, limit=None):
    suite = load_suite(str(path))
    return suite.puzzles(load_families(suite, family_for), limit)


def test_suite_expands_to_ids_skins_and_seeds(tmp_path):
    specs = expand(write_suite(tmp_path))
    assert [s.id for s in specs] == [f"toy/{d}/{i:06d}" for d in ("easy", "hard") for i in range(3)]
    assert [s.skin for s in specs[:3]] == ["plain", "dark", "plain"]  # every family skin in turn
    assert specs[4].seed == derive_seed(7, "toy", "hard", 1)
    assert len({s.seed for s in specs}) == len(specs)


def test_limit_keeps_a_prefix_of_each_family_and_difficulty(tmp_path):
    path = write_suite(tmp_path)
    full, limited = expand(path), expand(path, limit=2)
    assert [s.id for s in limited] == ["toy/easy/000000", "toy/easy/000001", "toy/hard/000000", "toy/hard/000001"]
    assert all(s in full for s in limited)
    assert expand(path, limit=99) == full


def test_explicit_skins_and_integer_version(tmp_path):
    text = SUITE_TOML.replace('version = "1"', "version = 2").replace("count = 3", 'count = 3\nskins = ["dark"]')
    path = write_suite(tmp_path, text)
    assert load_suite(str(path)).version == "2"
    assert {s.skin for s in expand(path)} == {"dark"}


def test_builtin_suites_are_found_through_entry_points():
    assert {"maze", "maze-smoke"} <= set(builtin_suites())
    suite = load_suite("maze")
    assert (suite.name, suite.version, suite.size) == ("maze", "1", 24)
    assert load_suite("maze-smoke").size == 6


def test_unknown_suite_suggests_a_close_name():
    with pytest.raises(UnknownName, match="did you mean 'maze'"):
        load_suite("maz")


@pytest.mark.parametrize(("change", "expected"), [
    (('difficulties = ["easy", "hard"]', 'difficulties = ["easy", "hrad"]'), "did you mean 'hard'"),
    (("count = 3", 'count = 3\nskins = ["plian"]'), "did you mean 'plain'"),
    (('family = "toy"', 'family = "tyo"'), "did you mean 'toy'"),
])
def test_names_are_checked_against_the_family(tmp_path, change, expected):
    path = write_suite(tmp_path, SUITE_TOML.replace(*change))
    with pytest.raises(BadInput, match=expected) as info:
        expand(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("name = ", "not a valid TOML file"),
    (SUITE_TOML.replace("count = 3", "count = 0"), "entries.0.count"),
    (SUITE_TOML.replace('name = "toy"\n', ""), "name"),
    (SUITE_TOML + '\n[[entries]]\nfamily = "toy"\ndifficulties = ["easy"]\ncount = 1\n', "toy/easy is listed twice"),
    (SUITE_TOML.replace('family = "toy"', 'family = "../x"'), "not a valid name"),
])
def test_malformed_suite_files_fail_naming_the_file(tmp_path, text, expected):
    path = write_suite(tmp_path, text)
    with pytest.raises(BadInput, match=expected) as info:
        load_suite(str(path))
    assert str(info.value).startswith(str(path))


def test_missing_suite_file(tmp_path):
    with pytest.raises(BadInput, match="suite file not found"):
        load_suite(str(tmp_path / "nope.toml"))


def test_vr_bench_and_all_cover_their_families():
    vr_bench = load_suite("vr-bench")
    assert [e.family for e in vr_bench.entries] == ["maze", "trapfield", "sokoban", "irregular", "maze3d"]
    assert all(e.difficulties == ["easy", "medium", "hard"] for e in vr_bench.entries)
    specs = vr_bench.puzzles(load_families(vr_bench))
    for family in ("maze", "irregular", "maze3d"):  # as the paper: 24 levels per skin and difficulty
        easy = [s.skin for s in specs if s.id.startswith(f"{family}/easy/")]
        assert len(easy) == 96 and all(easy.count(skin) == 24 for skin in set(easy)) and len(set(easy)) == 4
    every_family = {e.family for e in load_suite("all").entries}
    assert every_family == {e.family for e in vr_bench.entries} | {"tangram", "sudoku"}
