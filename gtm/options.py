"""Command-line options more than one command takes (load and report import the same way).

A module of its own so `gtm.report` does not import `gtm.cli`, which delegates to it.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def import_options(p: argparse.ArgumentParser) -> None:
    """Options of a Salesforce / HubSpot / mapped import (load and report take them)."""
    p.add_argument("--source", choices=("salesforce", "hubspot", "canonical"), default=None,
                   help="what DIR holds: Salesforce or HubSpot exports, or canonical files "
                   "(default: detected from the file names and headers)")
    p.add_argument("--mapping", type=Path, default=None, metavar="FILE",
                   help="a mapping file (YAML) saying which file is which table and which "
                   "column is which field, for any other CRM (default: DIR/mapping.yaml)")
    p.add_argument("--mql-field", default=None, metavar="NAME",
                   help="the lead/contact field holding the MQL date (e.g. MQL_Date__c)")
    p.add_argument("--date-format", default=None, metavar="FORMAT",
                   help="how the exports write dates when it cannot be told from the values, "
                   "e.g. %%d/%%m/%%Y or %%m/%%d/%%Y")
