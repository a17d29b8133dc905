"""The runner of `fms serve`: Prefect's Runner, stopped cleanly by SIGTERM.

Prefect 3.8's Runner answers SIGTERM with its synchronous `stop()`, which, called inside the
runner's own event loop (where a signal handler runs), only creates the `astop()` coroutine
("coroutine 'Runner.astop' was never awaited") and then exits the process from the middle of
the loop. Here SIGTERM schedules `astop()` on that loop instead: the runner stops polling,
cancels what it runs, pauses the served schedules and closes its client, `start()` returns,
and `fms serve` stops a server it started and exits 0, as after Ctrl-C.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from prefect.runner import Runner


class ServeRunner(Runner):
    _stop_requested = False

    def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
        if self._stop_requested or self.stopping:
            return  # a second SIGTERM while stopping
        if not self.started:  # not serving (yet or any more): leave through every `finally`
            raise SystemExit(0)
        self._stop_requested = True
        loop = asyncio.get_running_loop()  # a handler runs in the main thread, in the loop
        self._logger.info("SIGTERM received, stopping the served deployments...")
        loop.call_soon_threadsafe(self._stop_in_loop)

    def _stop_in_loop(self) -> None:
        # Kept referenced until done: the loop holds only a weak reference to a task.
        self._stop_task = asyncio.ensure_future(self.astop())

    async def serve(self, deployments: list, announce: Callable[[], None]) -> None:
        """Apply `deployments` to the server, `announce` it, run them until stopped."""
        for deployment in deployments:
            await self.aadd_deployment(deployment)
        announce()
        await self.start()
