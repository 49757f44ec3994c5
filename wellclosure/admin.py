"""What every app's admin shares."""

from django.http import Http404
from django.utils.translation import gettext


class NotFoundOutsideScopeMixin:
    """Answer 404 for an object the user may not see, where Django's admin
    would redirect to the index with a message that the object exists."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No such %(name)s.") % {"name": self.opts.verbose_name})
        return obj
