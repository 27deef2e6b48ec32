"""The student's workspace: work/, a git-ignored folder of their own copies of the lessons.

    python -m tools.workspace fill [--work DIR]           (make lab) copy the lessons work/ lacks
    python -m tools.workspace use-mine [--work DIR]       (make use-mine) export work/ into work/mylib
    python -m tools.workspace use-reference [--work DIR]  (make use-reference) remove work/mylib

A copy in work/ is never overwritten: `git pull` updates lessons/, and `make lab` only adds the
lessons work/ does not have yet (and says which of yours have a newer version in lessons/).

`make lab` starts Jupyter with work/ first on PYTHONPATH (a kernel puts PYTHONPATH before the
notebook's own folder), so `import mylib` finds work/mylib/ when it exists: the student's own
framework, exported from their notebooks. Without it they import the reference mylib, so a
skipped exercise never blocks the next lesson.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from tools import export
from tools.notebooks import STAMP, NotebookError, lesson_notebooks, read

LESSONS = Path("lessons")


def fill(lessons: Path, work: Path) -> tuple[list[str], list[str]]:
    """Copy into `work` every lesson it lacks. Returns (names copied, names of the student's
    copies whose lesson has changed since they were copied); nothing in `work` is overwritten."""
    work.mkdir(exist_ok=True)
    copied, changed = [], []
    for lesson in lesson_notebooks(lessons):
        mine = work / lesson.name
        if not mine.exists():
            shutil.copyfile(lesson, mine)
            copied.append(lesson.name)
            continue
        try:
            theirs, ours = read(lesson).metadata.get(STAMP, {}), read(mine).metadata.get(STAMP, {})
        except NotebookError:
            continue  # a student's broken notebook is theirs to fix; Jupyter shows the problem
        if ours.get("digest") and theirs.get("digest") != ours.get("digest"):
            changed.append(lesson.name)
    return copied, changed


def use_mine(work: Path) -> list[str]:
    """Export the student's notebooks in `work` into `work/mylib`; return the module names."""
    return export.write(work, work / "mylib", command="make use-mine")


def use_reference(work: Path) -> bool:
    """Remove `work/mylib` (only files `make use-mine` generated). True if there was one."""
    package = work / "mylib"
    if not package.exists():
        return False
    foreign = [p for p in package.iterdir()
               if p.name != "__pycache__" and not (p.suffix == ".py" and export.is_generated(p.read_text()))]
    if foreign:
        raise export.ExportRefused(f"{package} holds files `make use-mine` did not write as they are now "
                                   f"({', '.join(p.name for p in foreign)}); move them out first")
    shutil.rmtree(package)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["fill", "use-mine", "use-reference"])
    parser.add_argument("--work", type=Path, default=Path("work"))
    args = parser.parse_args(argv)
    work = args.work
    try:
        if args.action == "fill":
            copied, changed = fill(LESSONS, work)
            if copied:
                print(f"Copied into {work}/: {', '.join(copied)}")
            print(f"Your notebooks are in {work}/ — yours to edit; no make target overwrites them.")
            for name in changed:
                print(f"  lessons/{name} has changed since you copied it; your {work}/{name} is untouched. "
                      f"To start over from the new version, rename yours and run `make lab` again.")
            mine = (work / "mylib").exists()
            print("Lessons import " + (f"your own mylib ({work}/mylib; `make use-reference` switches back)."
                                       if mine else "the reference mylib (`make use-mine` switches to yours)."))
        elif args.action == "use-mine":
            if not lesson_notebooks(work):
                print(f"{work}/ has no lessons yet: `make lab` creates it.", file=sys.stderr)
                return 1
            modules = use_mine(work)
            print(f"Exported your notebooks into {work}/mylib ({', '.join(modules)}).\n"
                  f"The notebooks in {work}/ now import your own mylib: restart their kernels "
                  "(Kernel → Restart). Run `make use-mine` again after you change an exported cell; "
                  "`make use-reference` goes back to the reference mylib.")
        elif use_reference(work):
            print(f"Removed {work}/mylib: the notebooks in {work}/ import the reference mylib again "
                  "(restart their kernels).")
        else:
            print(f"The notebooks in {work}/ already import the reference mylib.")
    except (NotebookError, export.ExportRefused) as error:
        print(f"make {args.action if args.action != 'fill' else 'lab'}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
