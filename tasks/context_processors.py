from django.utils.functional import SimpleLazyObject

from tasks.models import Notification


def unread_notifications(request):
    """The number of the user's unread notifications, for the menu. Lazy:
    a page that does not show the menu runs no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        )
    }
