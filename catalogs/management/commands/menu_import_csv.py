"""Import a merchant's items and prices from CSV: all rows or none (see `catalogs.csv.services`)."""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalogs.csv.services import menu_csv_apply, menu_csv_read
from catalogs.management.commands.menu_export_csv import merchant_from_option


class Command(BaseCommand):
    help = (
        "Import menu items and prices from a CSV export: changed rows are updated, rows "
        "without item_id are created, nothing is written if any row is invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file; - for stdin.")
        parser.add_argument("--merchant", required=True, help="Public id or exact name.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and list the changes; write nothing."
        )
        parser.add_argument("--user", help="Username recorded on the publishes it causes.")

    def handle(self, *args, path, merchant, dry_run, user, **options):
        merchant = merchant_from_option(merchant)
        if user:
            try:
                user = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user “{user}”.") from None
        try:
            if path == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(path, "rb") as file:
                    data = file.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None

        plan = menu_csv_read(merchant=merchant, data=data)
        for warning in plan.warnings:
            self.stderr.write(f"Warning: {warning}")
        if plan.ignored_columns:
            self.stderr.write(f"Ignored columns: {', '.join(plan.ignored_columns)}.")
        if plan.errors:
            for error in plan.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(plan.errors)} problem(s): nothing was imported.")
        if dry_run or not plan.changes:
            prefix = "Dry run, nothing written. " if dry_run and plan.changes else ""
            self.stdout.write(f"{prefix}{plan.summary()} ({plan.rows} rows read)")
            return
        menu_csv_apply(plan=plan, user=user or None)
        self.stdout.write(self.style.SUCCESS(f"Imported for {merchant.name}. {plan.summary()}"))
