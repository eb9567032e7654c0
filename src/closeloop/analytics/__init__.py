"""Read-only reports: ROI, funnel (and later attribution, leaderboard, trends)."""
