"""The QBR pack."""
