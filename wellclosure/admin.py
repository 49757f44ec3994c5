"""What every app's admin shares."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext


class NotFoundOutsideScopeMixin:
    """Answer 404 for an object the user may not see, where Django's admin
    would redirect to the index with a message that the object exists; and
    403, whatever the object, to a role without the model's permissions (as
    the admin answers it where every object is in scope)."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            raise Http404(gettext("No such %(name)s.") % {"name": self.opts.verbose_name})
        return obj
