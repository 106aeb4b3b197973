"""Targetline's domain: loading CRM extracts, validating them, computing metrics.

Never imports streamlit (tests/test_architecture.py proves it), so everything here
can be scripted from the command line (`python -m gtm`) and tested alone.
"""
