"""A run's output folder, published under a stable name that is a link to a versioned sibling.

    <root>/<name>                  -> .<name>.<label>   the published name: a relative symlink
    <root>/.<name>.<label>/        a version: a run's folder, built in place while it works
    <root>/<name>.failed-<label>/  a failed run's folder, kept for people to read

Publishing is one rename: a new link to the new version is made beside the name and
`os.replace`d over it, so a reader opening `<name>/file.csv` gets the previous version or the new
one, never a mix and never nothing; the versions before are then pruned. Everything that needs
space (the version's files, the new link, a link back to the previous version, an intent record)
is written before the swap, so neither the swap nor its undo can fail for a full disk.

When the folder must agree with warehouse rows (the nightly's marts and its `publications` row,
a quarter's statement revisions), the swap is one step of their transaction
(`fms.publication.commit_with_folder`): BEGIN; the rows; the swap; COMMIT. Two stores cannot
commit in one instant: a process killed between the swap and COMMIT leaves the link ahead of
the rows. The intent record (`.<name>.publishing`: the run, the previous and the new version)
lets the next run put the link where the rows say (`settle`) before it does anything else.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from fms.failpoints import failpoint
from fms.outputs import atomic_path, ensure_private_dir

INTENT_SUFFIX = "publishing"
# Versions written this recently are kept too: when publications follow each other within
# seconds, a reader that resolved the name two publications ago may still be opening a file.
RECENT_SECONDS = 60


def _sibling(final: Path, suffix: str) -> Path:
    return final.parent / f".{final.name}.{suffix}"


def _target(final: Path) -> str | None:
    """The version the published name points at (None if it is not a link)."""
    return os.readlink(final) if final.is_symlink() else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _link(path: Path, target: str) -> None:
    """A symlink at `path` to the sibling `target`, replacing a leftover of a killed run."""
    path.unlink(missing_ok=True)
    os.symlink(target, path)


def _point(final: Path, target: str | None, via: Path) -> None:
    """Point the published name at `target` (None: no publication), in one rename; `via` may
    already be that link, made before the swap so that its undo needs no space."""
    if target is None:
        if final.is_symlink():
            final.unlink()
        return
    if _target(final) == target:
        return
    if not (via.is_symlink() and os.readlink(via) == target):
        _link(via, target)
    os.replace(via, final)


def settle(final: Path, committed: Callable[[str], bool]) -> None:
    """After runs killed mid-commit: point `final`, and any folder beside it (the run cut
    short may have published another date), at the version the rows committed (the new one
    if `committed(run_id)`, else the previous one), and drop the intent records."""
    suffix = f".{INTENT_SUFFIX}"
    for intent_path in sorted(final.parent.glob(f".*{suffix}")):
        try:
            intent = json.loads(intent_path.read_text())
        except FileNotFoundError:  # settled meanwhile
            continue
        published = final.parent / intent_path.name[1 : -len(suffix)]
        target = intent["new"] if committed(intent["run_id"]) else intent["previous"]
        _point(published, target, _sibling(published, "settle.link"))
        _fsync_dir(final.parent)
        intent_path.unlink()


class RunFolder:
    """A run's folder: `work` is written during the run (a new version of `final`); `publish()`
    swaps it in, `fail()` keeps it as `<final>.failed-<label>` and leaves `final` untouched."""

    def __init__(self, final: Path, label: str) -> None:
        self.final = final
        self.label = label
        ensure_private_dir(final.parent)
        legacy = _sibling(final, "legacy")  # a run killed in _migrate_real_folder left no name
        if not os.path.lexists(final) and legacy.is_dir():
            os.symlink(legacy.name, final)
        # A name never used by a version still on disk (a rerun of one flow run has its label).
        self.work, n = _sibling(final, label), 1
        while os.path.lexists(self.work):
            n += 1
            self.work = _sibling(final, f"{label}-{n}")
        ensure_private_dir(self.work)

    @property
    def failed(self) -> Path:
        return self.final.parent / f"{self.final.name}.failed-{self.label}"

    def publish(self) -> Path:
        """Swap the folder in on its own: the swap is the commit (no rows record it)."""
        swap = self.prepare(None)
        try:
            swap.apply()
        except BaseException:
            swap.abort()
            raise
        swap.finish()
        return self.final

    def prepare(self, run_id: str | None) -> FolderSwap:
        """Everything the swap and its undo need, made before the swap (see the module doc).
        With a `run_id` the swap commits with rows, and an intent record is written first."""
        if os.path.lexists(_sibling(self.final, INTENT_SUFFIX)):
            raise RuntimeError(
                f"{self.final}: a publication interrupted before it committed is not settled; "
                "run the job that publishes this folder again"
            )
        return FolderSwap(self.final, self.work, run_id)

    def discard(self) -> None:
        """Remove the folder of a publication that did not happen."""
        if _target(self.final) != self.work.name:
            shutil.rmtree(self.work, ignore_errors=True)

    def fail(self) -> Path:
        """Keep the folder for people to read, beside the published one."""
        if _target(self.final) == self.work.name:
            return self.final  # it is what readers see (an undo that failed): never move it
        failed = self.failed
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(self.work, failed)
        return failed


class FolderSwap:
    """One swap of a published name to a new version, prepared when made: apply, then finish
    or abort."""

    def __init__(self, final: Path, version: Path, run_id: str | None) -> None:
        self.final = final
        self.version = version
        self.new_link = version.with_name(version.name + ".link")
        self.back_link = version.with_name(version.name + ".back")
        self.intent = _sibling(final, INTENT_SUFFIX) if run_id else None
        self.previous: str | None = None
        try:
            _migrate_real_folder(final)
            self.previous = _target(final)
            if self.intent is not None:
                _write_intent(self.intent, run_id, self.previous, version.name)
            if self.previous is not None:
                _link(self.back_link, self.previous)
            _link(self.new_link, version.name)
            failpoint("run_folder.prepared")
        except BaseException:
            self.abort()
            raise

    def apply(self) -> None:
        os.replace(self.new_link, self.final)
        failpoint("run_folder.swapped")
        _fsync_dir(self.final.parent)

    def abort(self) -> None:
        """Undo: the published name back on the previous version, the links and intent gone.
        If the name cannot be put back, the intent stays for `settle`."""
        if _target(self.final) == self.version.name:
            _point(self.final, self.previous, self.back_link)
        for leftover in (self.new_link, self.back_link, self.intent):
            if leftover is not None:
                leftover.unlink(missing_ok=True)

    def finish(self) -> None:
        """After the commit: drop the intent, then every version but the published one, the
        one it replaced and those written in the last RECENT_SECONDS. The one it replaced goes
        at a later publication: a reader that resolved the published name just before the swap
        may still be looking a file up in it. Only cleanup: what a failure here leaves is
        pruned by the next publication."""
        with suppress(OSError):
            if self.intent is not None:
                self.intent.unlink(missing_ok=True)
            keep = {_target(self.final), self.previous}
            recent = time.time() - RECENT_SECONDS
            for path in self.final.parent.glob(f".{glob.escape(self.final.name)}.*"):
                if path.name in keep or path.name.endswith(f".{INTENT_SUFFIX}"):
                    continue
                if path.is_dir() and not path.is_symlink():
                    if path.stat().st_mtime < recent:
                        shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


def _write_intent(path: Path, run_id: str, previous: str | None, new: str) -> None:
    with atomic_path(path) as tmp, tmp.open("w") as fh:
        json.dump({"run_id": run_id, "previous": previous, "new": new}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(path.parent)


def _migrate_real_folder(final: Path) -> None:
    """A folder published before versions existed is a real folder at the published name: it
    becomes the first version, and the name a link to it. Between the two steps the name is
    missing for an instant; a crash there is repaired by the next RunFolder of `final`."""
    if final.is_symlink() or not final.is_dir():
        return
    legacy = _sibling(final, "legacy")
    if os.path.lexists(legacy):
        raise RuntimeError(f"{final}: cannot move the published folder aside: {legacy} exists")
    os.replace(final, legacy)
    failpoint("run_folder.migrated")
    try:
        os.symlink(legacy.name, final)
    except BaseException:
        os.replace(legacy, final)
        raise
    _fsync_dir(final.parent)
