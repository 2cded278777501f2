"""The one shape of a progress report: fn(done, total), called as work advances (units are the caller's)."""

from collections.abc import Callable

ProgressFn = Callable[[int, int], None]
