"""nbval settings for the notebooks: printed text is the contract.

HTML tables, SVG and JavaScript outputs are not compared byte for byte (pandas and matplotlib
change their markup between versions); every number that matters is printed, rounded, as text.
PNG figures are never compared by nbval.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += (
            "text/html",
            "image/svg+xml",
            "application/javascript",
            "application/vnd.jupyter.widget-view+json",
        )
