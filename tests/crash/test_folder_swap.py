"""A run folder is swapped in whole: readers see the previous folder or the new one.

On Linux the swap is one `renameat2(RENAME_EXCHANGE)`; elsewhere it is two renames, and a run
killed between them leaves the published folder aside, which the next run puts back before
anything else. (The killed-run tests cover the exchange with real crashes.)
"""

from __future__ import annotations

from pathlib import Path

from fms.outputs import RunFolder


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


def _publish(final: Path, label: str, files: dict[str, str]) -> Path:
    run = RunFolder(final, label)
    for name, text in files.items():
        (run.work / name).write_text(text)
    return run.publish()


def test_a_new_run_folder_replaces_the_published_one_whole_and_leaves_nothing_beside_it(tmp_path):
    final = tmp_path / "nightly" / "2026-11-05"
    _publish(final, "run1", {"c1.txt": "old", "only_old.csv": "x"})
    _publish(final, "run2", {"c1.txt": "new"})
    assert _files(final) == {"c1.txt": "new"}
    assert sorted(p.name for p in final.parent.iterdir()) == ["2026-11-05"]


def test_a_publication_left_aside_between_the_two_renames_is_put_back_by_the_next_run(tmp_path):
    final = tmp_path / "nightly" / "2026-11-05"
    _publish(final, "run1", {"c1.txt": "published"})
    # What a run killed between the fallback's renames leaves: the published folder aside,
    # its own complete work folder, and no `final`.
    aside = final.parent / ".2026-11-05.run2.previous"
    final.rename(aside)
    work = final.parent / ".2026-11-05.run2.work"
    work.mkdir()
    (work / "c1.txt").write_text("unpublished")

    next_run = RunFolder(final, "run3")
    assert _files(final) == {"c1.txt": "published"}
    assert not aside.exists()
    (next_run.work / "c1.txt").write_text("new")
    next_run.publish()
    assert _files(final) == {"c1.txt": "new"}
