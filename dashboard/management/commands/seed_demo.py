import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from dashboard import connections, onboarding
from dashboard.models import ApiKey, Company
from dashboard.problems import LOOKUP_FAILURES, for_admins


class Command(BaseCommand):
    help = (
        "Demo only: an admin and a support login, the fake Conductor's key, its companies "
        "imported and their connections checked. Needs the fake Conductor running."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_CONDUCTOR_SECRET_KEY:
            raise CommandError("seed_demo is for the demo only: run it with DASHBOARD_DEMO=1.")
        User = get_user_model()
        admin_password = secrets.token_urlsafe(9)
        admin, _ = User.objects.get_or_create(username="admin", defaults={"email": "admin@example.com"})
        admin.is_staff = admin.is_superuser = True
        admin.set_password(admin_password)
        admin.save()
        support_password = secrets.token_urlsafe(9)
        support, _ = User.objects.get_or_create(username="support")
        support.set_password(support_password)
        support.save()
        support.groups.add(Group.objects.get(name="Support"))

        api_key = ApiKey.objects.filter(name="demo").first() or ApiKey(name="demo")
        api_key.set_secret(settings.DEMO_CONDUCTOR_SECRET_KEY)
        api_key.set_publishable_key(settings.DEMO_CONDUCTOR_PUBLISHABLE_KEY)  # so the demo can make setup links
        api_key.save()
        try:
            result = onboarding.import_companies(api_key)
        except LOOKUP_FAILURES as exc:
            raise CommandError(f"Could not reach the fake Conductor: {for_admins(exc)}. Is it running?") from None
        for company in Company.objects.filter(api_key=api_key):
            connections.check_connection(company)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {result.created} companies created, {result.updated} updated.\n"
                f"  admin login:   admin / {admin_password}\n"
                f"  support login: support / {support_password}\n"
                "  try: /end-users/end_usr_demoBakery01/customers/80000001-1234567890/"
            )
        )
