from ..services.periodic import PERIODIC
from .queues import job


@job
def run_periodic(name: str) -> int:
    """Run one named periodic function (see services.periodic.PERIODIC)."""
    func, _interval = PERIODIC[name]
    return func()
