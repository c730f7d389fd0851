import pytest

from genreason.errors import BadInput, RunMismatch
from genreason.store import Journal, RunFolder, RunManifest, SuiteRef
from genreason.types import ComponentSpec, SampleRecord


def make_record(i: int) -> SampleRecord:
    return SampleRecord(sample_id=f"toy/easy/000000#{i}", puzzle_id="toy/easy/000000", family="toy",
                        difficulty="easy", skin="plain", index=i, seed=i, prompt="p", status="error", error="x")


def make_manifest(**changes) -> RunManifest:
    fields = dict(
        suite=SuiteRef(name="toy", version="1", source="toy.toml", n_puzzles=1, puzzle_ids_sha256="abc"),
        families={"toy": "1"}, sampler=ComponentSpec(name="toy", args={"steps": 4}),
        verifiers={"toy": ComponentSpec(name="toy")}, samples=2, seed=0)
    return RunManifest(**(fields | changes))


def test_journal_skips_a_truncated_last_line_and_recover_drops_it(tmp_path):
    journal = Journal(tmp_path / "samples.jsonl")
    for i in range(3):
        journal.append(make_record(i))
    whole = journal.path.read_bytes()
    journal.path.write_bytes(whole + make_record(3).model_dump_json().encode()[:40])  # a kill -9 mid-append
    assert [r.index for r in journal.read()] == [0, 1, 2]
    assert journal.path.read_bytes() != whole  # read() alone never rewrites
    assert [r.index for r in journal.recover()] == [0, 1, 2]
    assert journal.path.read_bytes() == whole
    journal.append(make_record(3))
    assert [r.index for r in journal.read()] == [0, 1, 2, 3]


def test_journal_recover_ends_a_complete_last_line(tmp_path):
    journal = Journal(tmp_path / "samples.jsonl")
    journal.path.write_text(make_record(0).model_dump_json())  # no trailing newline
    journal.recover()
    journal.append(make_record(1))
    assert [r.index for r in journal.read()] == [0, 1]


def test_journal_rejects_a_bad_line_in_the_middle(tmp_path):
    journal = Journal(tmp_path / "samples.jsonl")
    journal.path.write_text("\n".join([make_record(0).model_dump_json(), "{oops", make_record(1).model_dump_json()]))
    with pytest.raises(BadInput, match="line 2 is not a valid sample record"):
        journal.read()


def test_same_run_resumes_other_settings_mismatch(tmp_path):
    folder = RunFolder(tmp_path / "run")
    assert folder.start(make_manifest()) == []
    folder.journal.append(make_record(0))
    # Creation time and environment are not identity.
    resumed = make_manifest(created="2000-01-01T00:00:00+00:00")
    resumed.environment.packages["numpy"] = "0.0"
    assert [r.index for r in folder.start(resumed)] == [0]
    with pytest.raises(RunMismatch, match="different samples, seed.*another --out"):
        folder.start(make_manifest(samples=3, seed=1))
    with pytest.raises(RunMismatch, match="different sampler"):
        folder.start(make_manifest(sampler=ComponentSpec(name="toy", args={"steps": 8})))


def test_manifest_of_another_version_is_refused(tmp_path):
    folder = RunFolder(tmp_path)
    folder.manifest_path.write_text('{"format": "genreason.run", "version": 99}')
    with pytest.raises(BadInput, match="run manifest format version 99"):
        folder.start(make_manifest())


def test_paths_inside_the_run_folder(tmp_path):
    folder = RunFolder(tmp_path)
    assert folder.puzzle_dir("maze/easy/000001") == tmp_path / "puzzles" / "maze" / "easy" / "000001"
    video = folder.video_path("maze/easy/000001", 3)
    assert folder.relative(video) == "videos/maze__easy__000001__s3.mp4"


def test_resume_removes_temporary_files_left_by_a_kill(tmp_path):
    folder = RunFolder(tmp_path)
    folder.start(make_manifest())
    leftovers = [tmp_path / "videos" / ".maze__easy__000000__s0.k2j4.mp4",
                 tmp_path / "puzzles" / "maze" / "easy" / "000000" / ".frame0.png.x8f1.tmp"]
    kept = tmp_path / "videos" / "maze__easy__000000__s1.mp4"
    for path in [*leftovers, kept]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
    folder.start(make_manifest())
    assert not any(path.exists() for path in leftovers) and kept.exists()
