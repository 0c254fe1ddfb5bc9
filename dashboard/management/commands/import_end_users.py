from django.core.management.base import BaseCommand, CommandError

from dashboard import onboarding
from dashboard.models import ApiKey
from dashboard.problems import LOOKUP_FAILURES, for_admins


class Command(BaseCommand):
    help = "Import (create or update) every company (Conductor end user) of an API key from Conductor."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The API key's name, as given to add_api_key.")

    def handle(self, *args, name, **options):
        api_key = ApiKey.objects.filter(name=name).first()
        if api_key is None:
            known = ", ".join(ApiKey.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No API key named {name!r} (known: {known}). Add it with add_api_key.")
        try:
            result = onboarding.import_companies(api_key)
        except LOOKUP_FAILURES as exc:
            raise CommandError(f"Import failed: {for_admins(exc)}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported companies for {api_key.name}: {result.created} created, {result.updated} updated."
            )
        )
