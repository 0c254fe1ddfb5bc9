from django.core.management.base import BaseCommand, CommandError

from dashboard import services
from dashboard.conductor.errors import ConductorError
from dashboard.models import ApiKey


class Command(BaseCommand):
    help = "Import (create or update) every end user of an API key from Conductor."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The API key's name, as given to add_api_key.")

    def handle(self, *args, name, **options):
        api_key = ApiKey.objects.filter(name=name).first()
        if api_key is None:
            known = ", ".join(ApiKey.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No API key named {name!r} (known: {known}). Add it with add_api_key.")
        try:
            result = services.import_end_users(api_key)
        except ConductorError as exc:
            detail = exc.user_facing_message or exc.message
            request = f" (Conductor request {exc.request_id})" if exc.request_id else ""
            raise CommandError(f"Import failed: {detail}{request}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported end users for {api_key.name}: {result.created} created, {result.updated} updated."
            )
        )
