"""The vSphere Namespace a task or event is about, in a column of its own (indexed), so a
namespace role's view of tasks and events is an index lookup; the rows written before it get
theirs from their target. And an index on an event's user, for a user's own events."""

from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import NullIf, StrIndex, Substr

# As workloads.targets names them (a migration keeps its own copy: the code may move on).
NAMESPACE_TYPE = "com.vmware.vcenter.namespaces.Instance"
CLUSTER_TYPE = "cluster.x-k8s.io.Cluster"


def fill(apps, schema_editor):
    # A VKS cluster's target id is `<namespace>/<cluster>`: the part before the slash. NULLIF
    # keeps PostgreSQL from a negative length on an id without one.
    slash = NullIf(StrIndex("target_moid", Value("/")), Value(0))
    for name in ("Task", "Event"):
        model = apps.get_model("inventory", name)
        model.objects.filter(target_type=NAMESPACE_TYPE).update(scope_namespace=F("target_moid"))
        model.objects.filter(target_type=CLUSTER_TYPE, target_moid__contains="/").update(
            scope_namespace=Substr("target_moid", 1, slash - 1)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0006_task_targets_and_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="scope_namespace",
            field=models.CharField(blank=True, db_index=True, max_length=63),
        ),
        migrations.AddField(
            model_name="task",
            name="scope_namespace",
            field=models.CharField(blank=True, db_index=True, max_length=63),
        ),
        migrations.AlterField(
            model_name="event",
            name="user_name",
            field=models.CharField(blank=True, db_index=True, max_length=255),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
