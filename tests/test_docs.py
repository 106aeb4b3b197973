"""The user docs are rendered from the contract and the registry; they must be current."""

from gtm import docs


def test_contract_doc_is_current():
    assert (docs.DOCS / "data-contract.md").read_text() == docs.contract_markdown(), (
        "docs/data-contract.md is stale: run python -c 'import gtm.docs as d; d.write()'"
    )


def test_metrics_doc_is_current():
    assert (docs.DOCS / "metrics.md").read_text() == docs.metrics_markdown(), (
        "docs/metrics.md is stale: run python -c 'import gtm.docs as d; d.write()'"
    )


def test_metrics_doc_lists_every_registry_id():
    from gtm.metrics.registry import METRICS

    text = docs.metrics_markdown()
    assert all(f"`{mid}`" in text for mid in METRICS)
