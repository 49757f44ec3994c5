from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# The permissions of this app's models that each role holds.
ROLE_PERMISSIONS = {
    "bureau_admin": [
        "view_task",
        "view_duty",
        "add_duty",
        "change_duty",
        "view_campaignsettings",
        "change_campaignsettings",
        "view_publicityrecord",
        "add_publicityrecord",
        "change_publicityrecord",
        "view_monitoringwell",
        "add_monitoringwell",
        "change_monitoringwell",
        "view_groundwaterreading",
        "add_groundwaterreading",
        "change_groundwaterreading",
    ],
    "bureau_staff": [
        "view_task",
        "view_duty",
        "view_campaignsettings",
        "view_publicityrecord",
        "add_publicityrecord",
        "change_publicityrecord",
        "view_monitoringwell",
        "view_groundwaterreading",
        "add_groundwaterreading",
        "change_groundwaterreading",
    ],
    "township_officer": ["view_task", "view_duty", "view_publicityrecord", "add_publicityrecord"],
    "unit_member": ["view_task", "view_duty", "view_publicityrecord", "add_publicityrecord"],
    "leader": ["view_task", "view_duty", "view_publicityrecord", "view_monitoringwell", "view_groundwaterreading"],
}


def grant_role_permissions(sender, **kwargs):
    from accounts.roles import grant

    grant("tasks", ROLE_PERMISSIONS)


class TasksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tasks"
    verbose_name = _("Work ledger")

    def ready(self):
        from tasks import services
        from tasks.models import units_with_duties, wells_of_member_unit
        from tasks.plan import WorkPlan, wells_ready_for
        from wells.changes import connect
        from wells.scope import register_campaign_units, register_member_scope
        from wells.workplan import register_work_plan

        # A member unit sees the wells its unit holds tasks for.
        register_member_scope(wells_of_member_unit)
        # The units a campaign's duties name take part in it: whoever reads
        # the campaign reads them (Unit.objects.visible_to).
        register_campaign_units(units_with_duties)
        # A well's page shows its work plan and waits where its steps wait.
        register_work_plan(WorkPlan, wells_ready_for)
        # The work ledger refuses what the plan forbids and keeps every
        # well's tasks in step with each change, in the change's transaction
        # (the hooks of wells.changes).
        connect(
            check=services.check_action,
            on_action=services.follow_action,
            on_create=services.follow_creation,
            on_facts=services.follow_facts,
            on_archive=services.follow_archive,
            on_restore=services.follow_restore,
        )
        post_migrate.connect(grant_role_permissions, sender=self)
