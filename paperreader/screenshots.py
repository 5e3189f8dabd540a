"""Regenerate the SVG screenshots in ``screenshots/`` from the sample library.

    python -m paperreader.screenshots [OUTPUT_DIR]

Each screen is driven headless through its real keys, at 120x35, on the
bundled (invented) sample library, so the pictures match the current app.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from .demo import build_demo_library
from .tui.app import PaperReaderApp

SIZE = (120, 35)


async def settle(pilot: Pilot) -> None:
    """Let debounce timers fire, workers finish and their messages land."""
    for _ in range(3):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _main_screen(pilot: Pilot) -> None:
    await pilot.press("n", "n", "b", "j")


async def _search(pilot: Pilot) -> None:
    await pilot.press("slash", *"diffusion", "enter")


async def _help(pilot: Pilot) -> None:
    await pilot.press("question_mark")


async def _digests(pilot: Pilot) -> None:
    await pilot.press("n", "n", "b", "j", "r", "D")
    await settle(pilot)
    await pilot.app.screen.workers.wait_for_complete()  # the topics


async def _views(pilot: Pilot) -> None:
    from .models import SavedView

    store = pilot.app.library.store  # type: ignore[attr-defined]
    store.save_view(SavedView("Diffusion, unread", "diffusion", "unread"))
    store.save_view(SavedView("Agents", "agent*"))
    await pilot.press("n", "t", *"robots", "enter")
    await pilot.pause(0.2)
    await pilot.press("v")


async def _catchup(pilot: Pilot) -> None:
    await pilot.press("b", "C")  # a bookmark on the newest day's first paper, then the Catch up screen
    await settle(pilot)
    for _ in range(100):  # the screen comes from a worker, then each day's clusters from its own
        screen = pilot.app.screen
        if screen is not pilot.app.main_screen and not screen.workers:  # type: ignore[attr-defined]
            break
        await pilot.pause(0.05)
    await settle(pilot)
    await pilot.press("j", "j", "x")  # the rest of the newest day read: on to the next day


async def _for_you(pilot: Pilot) -> None:
    """Three diffusion papers kept, the list sorted "for you" (s), the cursor on the best paper not kept yet."""
    app = pilot.app
    store = app.library.store  # type: ignore[attr-defined]
    diffusion = [paper.id for paper in store.papers() if "diffusion" in paper.title.lower()]
    store.set_state(diffusion[:3], bookmarked=True, label="bookmarked")
    app.reload()  # type: ignore[attr-defined]
    await settle(pilot)
    for _ in range(10):
        if app.sort == "interest":  # type: ignore[attr-defined]
            break
        await pilot.press("s")
        await settle(pilot)
    await pilot.press("g")
    await settle(pilot)
    await pilot.press(*["j"] * 3)  # past the three kept papers


SHOTS: dict[str, Callable[[Pilot], Awaitable[None]]] = {
    "main": _main_screen,
    "search": _search,
    "help": _help,
    "digests": _digests,
    "views": _views,
    "catchup": _catchup,
    "foryou": _for_you,
}


async def take(name: str, data_dir: Path, output: Path) -> Path:
    app = PaperReaderApp(data_dir, debounce=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await SHOTS[name](pilot)
        await settle(pilot)
        path = output / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"paperreader — {name}"), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "screenshots"
    output.mkdir(parents=True, exist_ok=True)
    for name in SHOTS:
        with tempfile.TemporaryDirectory(prefix="paperreader-shot-") as tmp:
            build_demo_library(Path(tmp))
            print(asyncio.run(take(name, Path(tmp), output)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
