"""The channel profiles of company.py as arrays, indexed by channel position."""

from __future__ import annotations

import numpy as np

from closeloop.demo.company import CHANNELS


def channel_array(name: str) -> np.ndarray:
    """One true parameter of every channel, in CHANNELS order."""
    return np.array([getattr(profile, name) for profile in CHANNELS], dtype=float)


SHARE = channel_array("share")
COST_PER_LEAD = channel_array("cost_per_lead")
VALID_RATE = channel_array("valid_rate")
MQL_RATE = channel_array("mql_rate")
SAL_RATE = channel_array("sal_rate")
SQL_RATE = channel_array("sql_rate")
WIN_RATE = channel_array("win_rate")
DEAL_SIZE = channel_array("deal_size")
CYCLE_DAYS = channel_array("cycle_days")
SKIP_MQL = channel_array("skip_mql")
