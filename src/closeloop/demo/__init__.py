"""The demo company: a realistic B2B seller generated from a seed, with its own ground truth."""
