"""Lead scoring: rules (fit + decaying engagement), a model trained on history, MQL hand-off."""
