"""Helpers for tests that run real servers and agents inside the test's event loop."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest


@asynccontextmanager
async def running(
    start: Callable[[asyncio.Event], Coroutine[Any, Any, None]], *, ready_within_s: float = 5.0
) -> AsyncIterator[asyncio.Task[None]]:
    """Run `start(ready)` as a task until the block ends; fail if it is not ready in time."""
    ready = asyncio.Event()
    task = asyncio.create_task(start(ready))
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiting}, timeout=ready_within_s, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if task.done():
        task.result()  # raises what went wrong
    if not ready.is_set():
        task.cancel()
        pytest.fail("server did not become ready in time")
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def eventually(
    check: Callable[[], Any], *, timeout_s: float = 5.0, every_s: float = 0.02, what: str = ""
) -> Any:
    """Poll `check()` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what or check}")
        await asyncio.sleep(every_s)


@pytest.fixture(autouse=True)
async def no_leaked_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves asyncio tasks running behind it."""
    before = asyncio.all_tasks()
    yield
    me = asyncio.current_task()
    leaked: set[asyncio.Task[Any]] = set()
    for _ in range(50):  # cancelled tasks need a few loop turns to finish
        leaked = {t for t in asyncio.all_tasks() - before if t is not me and not t.done()}
        if not leaked:
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"leaked tasks: {sorted(t.get_name() for t in leaked)}")
