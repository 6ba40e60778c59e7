"""Federation's background work, in the order one sweep runs it."""

from __future__ import annotations

import logging

from federation.delivery import deliver_due
from federation.fanout import fan_out_due
from federation.runtime import Federation
from federation.threads import fetch_missing_parents

log = logging.getLogger(__name__)


async def run_due(fed: Federation) -> int:
    """Fan out new outbox rows, attempt due deliveries, fetch missing thread parents.

    Returns how many things were done, so callers can drain until nothing is left.
    """
    done = await fan_out_due(fed)
    done += await deliver_due(fed)
    done += await fetch_missing_parents(fed)
    return done
