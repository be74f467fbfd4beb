from campaign.core.queues import job
from campaign.periodic import PERIODIC


@job
def run_periodic(name: str) -> int:
    """Run one named periodic function (see periodic.PERIODIC)."""
    func, _interval = PERIODIC[name]
    return func()
