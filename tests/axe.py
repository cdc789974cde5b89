"""axe-core in Chromium: what a page's accessibility check found that must be put right."""

from axe_playwright_python.sync_playwright import Axe


def serious_violations(page) -> list[str]:
    """Return the critical and serious violations axe-core finds on `page`, one line each."""
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in ("critical", "serious")
    ]
