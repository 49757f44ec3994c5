"""What the apps built on the tasks app add to its daily digest and to its
work report (supervision: overdue tickets; patrols and the public's
reports). The tasks app may not import them, so they register here, from
their ``AppConfig.ready`` — a module light enough for start-up, where the
work report's own module brings python-docx and the Excel code."""

# Functions (day) -> [(recipient id, subject, kind, message)]: items of the
# day's digest about something other than a task (tasks.reminders).
DIGEST_SOURCES = []
# Functions (wells, campaign, as_of) -> {figure: value}: figures of
# tasks.reports.WorkReportFigures.
FIGURE_SOURCES = []


def digest_source(function):
    """Register ``function`` to add items to each day's digest."""
    DIGEST_SOURCES.append(function)
    return function


def figure_source(function):
    """Register ``function`` to fill some of the work report's figures."""
    FIGURE_SOURCES.append(function)
    return function
