"""Small factory_boy factories for the ledger's models."""

import datetime

import factory
from django.contrib.auth.models import Group

from accounts.choices import UnitKind
from accounts.models import Unit, User
from wells.choices import Category, OwnerKind, Status, Use, Zone
from wells.models import Campaign, Township, Well


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = UnitKind.TOWNSHIP


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"town{n}")
    name = factory.Sequence(lambda n: f"乡镇{n}")
    government = factory.SubFactory(UnitFactory)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = "测试关停行动"
    notice_no = "测政办发〔2022〕1号"
    issued_on = datetime.date(2022, 3, 14)
    deadline = datetime.date(2023, 11, 30)


class WellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Well

    code = factory.Sequence(lambda n: f"TEST-{n:05d}")
    owner_name = factory.Sequence(lambda n: f"取水户{n}")
    owner_kind = OwnerKind.PERSON
    township = factory.SubFactory(TownshipFactory)
    village = "一村"
    lat = "44.010000"
    lng = "87.300000"
    zone = Zone.PROHIBITED
    uses = factory.LazyFunction(lambda: [Use.IRRIGATION])
    depth_m = "80.00"
    license_no = ""
    meter_no = factory.Sequence(lambda n: f"M{n:06d}")
    responsible_unit = factory.LazyAttribute(lambda well: well.township.government)
    responsible_person = "张三"
    deadline = datetime.date(2023, 11, 30)
    campaign = factory.SubFactory(CampaignFactory)
    category = Category.UNLICENSED
    status = Status.INVENTORIED


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.django.Password("test-pass-2022")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
