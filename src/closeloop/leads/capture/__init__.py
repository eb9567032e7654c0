"""Lead capture: normalize, validate, de-duplicate and store leads from files and forms."""
