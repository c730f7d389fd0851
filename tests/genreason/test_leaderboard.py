"""`genreason leaderboard validate|build`: honest bundles pass, every kind of tampering is caught."""

import json
import stat
import zipfile
from pathlib import Path

import pytest
from bundle_helpers import (
    bench_run,
    edit_json,
    edit_samples,
    forge_size,
    members,
    raw_zip,
    rewrite,
)

from genreason.cli import main
from genreason.leaderboard.manifest import sha256_bytes
from genreason.leaderboard.safezip import ZipLimits
from genreason.leaderboard.site import build_site
from genreason.leaderboard.submit import make_bundle
from genreason.leaderboard.validate import validate_bundle

EASY = "maze/easy/000000#0"
EASY_VIDEO = "videos/maze__easy__000000__s0.mp4"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    """Honest bundles of the oracle and static runs, with and without videos."""
    folder = tmp_path_factory.mktemp("bundles")
    made = {}
    for model in ("oracle", "static"):
        run = bench_run(tmp_path_factory, model)
        for videos in (False, True):
            name = f"{model}-videos" if videos else model
            made[name] = make_bundle(run, folder / f"{name}.zip", with_videos=videos).path
    return made


def failed(report) -> dict[str, str]:
    return {c.name: c.message for c in report.checks if c.status == "fail"}


def mismatches(report) -> set[tuple]:
    return {(m.sample_id, m.what, json.dumps(m.claimed), json.dumps(m.found)) for m in report.mismatches}


def test_an_honest_bundle_with_videos_is_valid_and_reverified(bundles, capsys):
    report = validate_bundle(bundles["oracle-videos"])
    assert report.status == "valid" and report.reverified and report.exit_code == 0
    assert not failed(report) and not report.mismatches
    assert report.summary.overall.pass_at_k == [1.0]
    assert {c.name for c in report.checks if c.status == "skip"} == set()

    assert main(["leaderboard", "validate", str(bundles["static-videos"])]) == 0
    printed = capsys.readouterr().out
    assert "[pass] re-verification: 3 videos re-judged" in printed
    assert printed.rstrip().endswith("VALID (re-verified): pass@1 0.000")


def test_an_honest_bundle_without_videos_is_valid_but_not_reverified(bundles, capsys):
    assert main(["leaderboard", "validate", "--json", str(bundles["oracle"])]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "genreason.validation" and report["status"] == "valid"
    assert report["reverified"] is False
    skipped = {c["name"]: c["message"] for c in report["checks"] if c["status"] == "skip"}
    assert set(skipped) == {"re-verification", "scores"}
    assert "scores are taken as claimed" in skipped["scores"]
    assert report["summary"]["overall"]["pass_at_k"] == [1.0]


def test_a_changed_score_is_caught_by_reverification(bundles, tmp_path):
    def claim_success(content):
        def change(records):
            records[0]["verdict"]["success"] = True
        edit_samples(content, change)  # summary.json is left as it was, so it now disagrees too

    report = validate_bundle(rewrite(bundles["static-videos"], tmp_path / "t.zip", claim_success))
    assert report.status == "invalid" and report.exit_code == 1
    assert (EASY, "success", "true", "false") in mismatches(report)
    assert set(failed(report)) == {"re-verification", "summary"}
    assert failed(report)["re-verification"] == "1 of 3 re-judged verdicts differ from the claim"


def test_a_changed_summary_is_caught_without_videos(bundles, tmp_path):
    def inflate(content):
        def change(summary):
            for row in [*summary["difficulties"], *summary["families"], summary["overall"]]:
                row["pass_at_k"] = [1.0]
        edit_json(content, "summary.json", change)

    report = validate_bundle(rewrite(bundles["static"], tmp_path / "t.zip", inflate))
    assert report.status == "invalid"
    assert set(failed(report)) == {"summary"}
    assert (None, "summary overall.pass_at_k[0]", "1.0", "0.0") in mismatches(report)


def test_an_edit_without_updating_the_manifest_hash_is_caught(bundles, tmp_path):
    def touch(content):
        content["summary.json"] = content["summary.json"] + b" "

    report = validate_bundle(rewrite(bundles["static"], tmp_path / "t.zip", touch, rehash=False))
    assert set(failed(report)) == {"file hashes"}


def test_a_changed_video_fails_its_hash(bundles, tmp_path):
    def corrupt(content):
        video = bytearray(content[EASY_VIDEO])
        video[-100] ^= 0xFF
        content[EASY_VIDEO] = bytes(video)

    report = validate_bundle(rewrite(bundles["static-videos"], tmp_path / "t.zip", corrupt))
    assert report.status == "invalid"
    assert "video hashes" in failed(report)
    assert any(m.sample_id == EASY and m.what == "video sha256" for m in report.mismatches)


def test_a_swapped_video_with_its_hash_updated_is_caught_by_reverification(bundles, tmp_path):
    static_video = members(bundles["static-videos"])[EASY_VIDEO]

    def swap(content):
        content[EASY_VIDEO] = static_video
        def change(manifest):
            for video in manifest["videos"]:
                if video["sample_id"] == EASY:
                    video["sha256"], video["bytes"] = sha256_bytes(static_video), len(static_video)
        edit_json(content, "manifest.json", change)

    report = validate_bundle(rewrite(bundles["oracle-videos"], tmp_path / "t.zip", swap))
    assert report.status == "invalid"
    assert set(failed(report)) == {"re-verification", "scores"}  # the hash check passes: the manifest agrees
    assert (EASY, "success", "true", "false") in mismatches(report)
    assert any(m.what == "score overall.pass_at_k[0]" and m.found == pytest.approx(2 / 3)
               for m in report.mismatches)
    assert report.summary.overall.n_success == 2  # the recomputed scores, not the claimed ones


def test_a_swapped_seed_is_caught_by_regeneration(bundles, tmp_path):
    def puzzle_seed(content):
        edit_json(content, "manifest.json", lambda m: m["puzzles"][0].update(seed=m["puzzles"][0]["seed"] + 1))

    report = validate_bundle(rewrite(bundles["oracle"], tmp_path / "a.zip", puzzle_seed))
    assert set(failed(report)) == {"puzzles"}
    assert any(m.what == "puzzle maze/easy/000000 seed" for m in report.mismatches)

    def sample_seed(content):
        edit_samples(content, lambda records: records[0].update(seed=7))

    report = validate_bundle(rewrite(bundles["oracle"], tmp_path / "b.zip", sample_seed))
    assert set(failed(report)) == {"samples"}
    assert (EASY, "seed", "7", "0") in mismatches(report)

    def frame(content):  # a different first frame, claimed under the right seed
        edit_json(content, "manifest.json", lambda m: m["puzzles"][1].update(frame0_sha256="0" * 64))

    report = validate_bundle(rewrite(bundles["oracle"], tmp_path / "c.zip", frame))
    assert any(m.what == "puzzle maze/medium/000000 frame0_sha256" for m in report.mismatches)


def unsafe(report) -> str:
    assert report.status == "invalid" and report.exit_code == 1
    assert [c.name for c in report.checks] == ["archive"]  # refused before anything else
    return report.checks[0].message


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(("entries", "reason"), [
    ([("../x", b"evil")], "path traversal ('..')"),
    ([("videos/../../x", b"evil")], "path traversal ('..')"),
    ([("/etc/x", b"evil")], "absolute path"),
    ([("C:/x", b"evil")], "absolute path"),
    ([("videos\\..\\x", b"evil")], "backslash"),
    ([(symlink("videos/maze__easy__000000__s0.mp4"), b"/etc/passwd")], "is a symbolic link"),
    ([("summary.json", b"{}"), ("summary.json", b"{}")], "appears twice"),
    ([("Summary.json", b"{}"), ("summary.json", b"{}")], "appears twice"),
    ([("videos/", b"")], "a directory entry"),
])
def test_unsafe_members_are_refused_before_extraction(tmp_path, entries, reason):
    (tmp_path / "bundles").mkdir()
    bundle = raw_zip(tmp_path / "bundles" / "evil.zip", [*entries, ("manifest.json", b"{}")])
    assert reason in unsafe(validate_bundle(bundle))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["bundles", "evil.zip"]  # nothing was written


def test_a_member_that_lies_about_its_size_is_refused_while_counting(tmp_path):
    bundle = raw_zip(tmp_path / "bomb.zip", [("samples.jsonl", b"0" * (4 << 20)), ("manifest.json", b"{}")])
    forge_size(bundle, "samples.jsonl", 1000)
    with zipfile.ZipFile(bundle) as zf:
        assert zf.getinfo("samples.jsonl").file_size == 1000  # the headers say 1000 bytes
    message = unsafe(validate_bundle(bundle))
    assert message == ("refused before extraction: member 'samples.jsonl' decompresses to more than the "
                       "1000 bytes its header declares (a zip bomb?)")


def test_a_high_ratio_member_is_refused_from_its_headers(tmp_path):
    bundle = raw_zip(tmp_path / "bomb.zip", [("samples.jsonl", bytes(20 << 20))])
    message = unsafe(validate_bundle(bundle))
    assert message.startswith("refused before extraction: member 'samples.jsonl' expands") and "zip bomb?" in message


def test_too_many_and_too_large_members_are_refused(bundles):
    assert "too many members: 6 (at most 5)" in unsafe(
        validate_bundle(bundles["oracle-videos"], limits=ZipLimits(max_members=5)))
    assert "is too large" in unsafe(validate_bundle(bundles["oracle-videos"], limits=ZipLimits(max_member_bytes=9000)))


def test_an_unexpected_member_makes_the_bundle_invalid(bundles, tmp_path):
    report = validate_bundle(rewrite(bundles["oracle"], tmp_path / "t.zip",
                                     lambda content: content.update({"extra.txt": b"hi"})))
    assert failed(report) == {"members": "unexpected ['extra.txt'], missing []"}


def test_unreadable_inputs_exit_2(bundles, tmp_path, capsys):
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert main(["leaderboard", "validate", str(tmp_path / "junk.zip")]) == 2
    assert "is not a readable zip file" in capsys.readouterr().out
    future = rewrite(bundles["oracle"], tmp_path / "v2.zip",
                     lambda content: edit_json(content, "manifest.json", lambda m: m.update(version=2)))
    report = validate_bundle(future)
    assert report.status == "unreadable" and "bundle version 2 is not supported" in report.checks[-1].message
    report = validate_bundle(raw_zip(tmp_path / "empty.zip", [("readme.txt", b"hi")]))
    assert report.exit_code == 2 and "not a genreason bundle" in report.checks[-1].message


def test_build_ranks_groups_and_rejects(bundles, tmp_path_factory, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "oracle.zip").write_bytes(bundles["oracle"].read_bytes())
    (folder / "static.zip").write_bytes(bundles["static-videos"].read_bytes())
    make_bundle(bench_run(tmp_path_factory, "static", limit=2), folder / "static-limit2.zip")
    rewrite(bundles["static"], folder / "<b>faked.zip", lambda content: edit_json(
        content, "summary.json", lambda s: s["overall"].update(pass_at_k=[1.0])))
    (folder / "junk.zip").write_bytes(b"junk")

    site = tmp_path / "site"
    board = build_site(folder, site)
    data = json.loads((site / "leaderboard.json").read_text())
    assert data["format"] == "genreason.leaderboard" and data["version"] == 1
    assert data == board.model_dump(mode="json")
    limits = [g["suite"]["limit"] for g in data["groups"]]
    assert sorted(limits) == [1, 2]  # two puzzle sets, never ranked together
    one = data["groups"][limits.index(1)]
    assert [(e["bundle"], e["overall"]["rank"], e["reverified"]) for e in one["entries"]] == [
        ("oracle.zip", 1, False), ("static.zip", 2, True)]
    assert [e["families"]["maze"]["rank"] for e in one["entries"]] == [1, 2]
    oracle = one["entries"][0]["overall"]
    assert oracle["pass_at_k"] == [1.0] and oracle["success_ci"][0] == pytest.approx(0.4385, abs=1e-3)
    assert [(r["bundle"], r["status"]) for r in one["rejected"]] == [("<b>faked.zip", "invalid")]
    assert one["rejected"][0]["reasons"][0].startswith("summary: summary.json differs")
    assert [(r["bundle"], r["status"]) for r in data["rejected"]] == [("junk.zip", "unreadable")]

    markdown = (site / "leaderboard.md").read_text()
    assert "| 1 | oracle(fps=16.0, frames_per_step=2, hold_frames=4, num_frames=None) | oracle.zip | 1 | 1.000 |" \
        in markdown
    assert "claimed (no videos)" in markdown and "&lt;b>faked.zip (invalid)" in markdown
    page = (site / "index.html").read_text()
    assert "<b>faked" not in page and "&lt;b&gt;faked.zip" in page  # submitter strings are escaped
    assert "<script" not in page and "http" not in page.lower().replace("http-equiv", "")  # self-contained

    def no_validation(name):
        raise AssertionError("a cached validation should have been reused")
    again = build_site(folder, site, family_for=no_validation, verifier_for=no_validation)
    assert again == board


def test_the_member_count_is_read_before_the_directory_is_parsed(tmp_path):
    bundle = raw_zip(tmp_path / "many.zip", [("manifest.json", b"{}")])
    data = bytearray(bundle.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8: end + 12] = (3392).to_bytes(2, "little") * 2
    bundle.write_bytes(bytes(data))  # the end record now claims 3392 members on disk and in all
    assert unsafe(validate_bundle(bundle, limits=ZipLimits(max_members=3000))) == (
        "refused before extraction: too many members: 3392 (at most 3000)")


def test_a_suite_path_or_another_verifier_version_is_refused(bundles, tmp_path):
    def local_suite(content):
        edit_json(content, "manifest.json", lambda m: m["suite"].update(name="/etc/evil.toml"))

    report = validate_bundle(rewrite(bundles["oracle"], tmp_path / "a.zip", local_suite))
    assert failed(report) == {"suite": "suite '/etc/evil.toml' is not installed"}

    def old_verifier(content):
        edit_json(content, "manifest.json", lambda m: m["verifiers"]["maze"].update(version="0"))

    report = validate_bundle(rewrite(bundles["oracle"], tmp_path / "b.zip", old_verifier))
    assert failed(report) == {"verifiers": "maze: maze 0 claimed, maze 1 installed"}
