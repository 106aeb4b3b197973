"""The finding sentences of each page, from the values beside them."""
