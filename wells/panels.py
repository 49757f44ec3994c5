"""What apps built on the wells add to the well page and the dashboard (the
meter watch: a well's consumption chart, the closed wells drawing
electricity). Wells may not import them (DESIGN §2), so they register here
from their ``AppConfig.ready``, as the work report's sources do
(:mod:`tasks.sources`)."""

# Functions (request, well) -> HTML (safe string) or "": panels of a well's page.
WELL_PANEL_SOURCES = []
# Functions (request, wells) -> HTML or "": panels of the dashboard, given
# the wells it counts (the user's scope under the dashboard's filters).
DASHBOARD_PANEL_SOURCES = []


def well_panel_source(function):
    """Register ``function`` to add a panel to each well's page."""
    if function not in WELL_PANEL_SOURCES:
        WELL_PANEL_SOURCES.append(function)
    return function


def dashboard_panel_source(function):
    """Register ``function`` to add a panel to the dashboard."""
    if function not in DASHBOARD_PANEL_SOURCES:
        DASHBOARD_PANEL_SOURCES.append(function)
    return function


def well_panels(request, well):
    return [html for html in (source(request, well) for source in WELL_PANEL_SOURCES) if html]


def dashboard_panels(request, wells):
    return [html for html in (source(request, wells) for source in DASHBOARD_PANEL_SOURCES) if html]
