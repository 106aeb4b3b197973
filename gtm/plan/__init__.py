"""The growth equation: solving a plan, sensitivity, forecast band."""
