"""Loading: readers, validation, typed tables, staging, the dataset store."""
