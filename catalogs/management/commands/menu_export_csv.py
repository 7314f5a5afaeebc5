"""Write a merchant's items and prices as CSV (the format is in `catalogs.csv.services`)."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from catalogs.csv.services import menu_csv_export
from stores.models import Merchant


def merchant_from_option(value: str) -> Merchant:
    """A merchant by public id, or by exact name when only one merchant has it."""
    try:
        merchant = Merchant.objects.filter(public_id=uuid.UUID(value)).first()
    except ValueError:
        merchant = None
    if merchant is not None:
        return merchant
    matches = list(Merchant.objects.filter(name=value)[:2])
    if not matches:
        raise CommandError(f"No merchant with the id or name “{value}”.")
    if len(matches) > 1:
        raise CommandError(f"Several merchants are called “{value}”: give its public id.")
    return matches[0]


class Command(BaseCommand):
    help = "Export a merchant's menu items and prices as CSV (UTF-8 with a BOM, for Excel)."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", required=True, help="Public id or exact name.")
        parser.add_argument("--output", "-o", default="-", help="File to write; - for stdout.")

    def handle(self, *args, merchant, output, **options):
        merchant = merchant_from_option(merchant)
        text = menu_csv_export(merchant=merchant)
        if output == "-":
            self.stdout.write("\ufeff" + text, ending="")
            return
        with open(output, "w", encoding="utf-8-sig", newline="") as file:
            file.write(text)
        self.stderr.write(f"Wrote the items of {merchant.name} to {output}.")
