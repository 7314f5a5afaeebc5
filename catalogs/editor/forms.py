"""Forms of the merchant menu editor (`catalogs.editor.views`).

They parse and check what people type; the views hand the cleaned values to the services in
`catalogs.services`. Choices (sections, groups, items) come from the view, already scoped to the
user's merchant, so a form never offers or accepts another merchant's objects.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import cast

from django import forms
from django.db.models import QuerySet

from catalogs.models import MIDNIGHT, AvailabilityWindow, Item
from portal.exceptions import PortalError
from portal.images import ImageField
from portal.money import MenuMoney, decimal_parse, price_parse
from stores.models import Merchant, Store

IMAGE_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}


# --- money ------------------------------------------------------------------------------------


class PriceField(forms.CharField):
    """A price typed in major units (14.50), cleaned to minor units (1450) by `portal.money`:
    the same rules as every other door (no exponent or sign, the currency's decimal places,
    at most `portal.money.MAX_PRICE_MINOR`)."""

    def __init__(self, *, menu_money: MenuMoney, **kwargs):
        self.menu_money = menu_money
        kwargs.setdefault(
            "label", f"Price ({menu_money.currency})" if menu_money.currency else "Price"
        )
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10}),
        )
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.error_messages = {**self.error_messages, "required": "Enter a price (0 for free)."}

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return self.menu_money.text(value)  # initial values are minor units
        return value

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            return price_parse(text, self.menu_money)
        except PortalError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None


# --- catalogs -----------------------------------------------------------------------------------


class CatalogForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the catalog a name, such as “Lunch” or “All day”."},
    )
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    stores = forms.ModelMultipleChoiceField(
        label="Stores that sell it",
        queryset=Store.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A store that sells every catalog also sells catalogs you add later.",
    )

    def __init__(self, *args, merchant: Merchant, **kwargs):
        super().__init__(*args, **kwargs)
        stores = cast(forms.ModelMultipleChoiceField, self.fields["stores"])
        stores.queryset = Store.objects.filter(merchant=merchant).order_by("name")


WINDOW_DAY_CHOICES = [
    ("", "Choose a day…"),
    *[(str(value), label) for value, label in AvailabilityWindow.Weekday.choices],
    ("daily", "Every day"),
    ("weekdays", "Monday to Friday"),
    ("weekend", "Saturday and Sunday"),
]
WINDOW_DAY_GROUPS = {"daily": range(7), "weekdays": range(5), "weekend": range(5, 7)}


class WindowForm(forms.Form):
    """One row of opening hours: a day (or several), a start and an end."""

    # Not `required`: a blank row is simply no row (see BaseWindowFormSet); `clean` asks for
    # what is missing from a row that was started.
    day = forms.ChoiceField(choices=WINDOW_DAY_CHOICES, required=False)
    start = forms.TimeField(
        label="Opens",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 11:30."},
    )
    end = forms.TimeField(
        label="Closes",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 22:00."},
    )
    MISSING = {
        "day": "Choose a day.",
        "start": "Enter when it opens.",
        "end": "Enter when it closes.",
    }

    def clean(self):
        cleaned = super().clean()
        for name, message in self.MISSING.items():
            if name not in self.errors and cleaned.get(name) in (None, ""):
                self.add_error(name, message)
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is not None and end is not None and start == end and end != MIDNIGHT:
            self.add_error(
                "end",
                "It closes when it opens. For the whole day use 00:00 to 00:00.",
            )
        return cleaned

    @property
    def crosses_midnight(self) -> bool:
        """For the row's note; the data typed (bound) or the saved window (initial)."""
        if self.is_bound and self.is_valid():
            start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        else:
            start, end = self.initial.get("start"), self.initial.get("end")
        return bool(start and end is not None and end != MIDNIGHT and start > end)

    def windows(self) -> list[tuple[int, time, time]]:
        """(weekday, start, end) for each day this row stands for."""
        day = self.cleaned_data["day"]
        days = WINDOW_DAY_GROUPS.get(day, [int(day)] if day.isdigit() else [])
        return [(weekday, self.cleaned_data["start"], self.cleaned_data["end"]) for weekday in days]


class BaseWindowFormSet(forms.BaseFormSet):
    """Opening hours rows. Bind it without `initial`: a row left blank is then no row."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.empty_permitted = True
        form.use_required_attribute = False
        return form

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove"

    def windows(self) -> list[tuple[int, time, time]]:
        rows: list[tuple[int, time, time]] = []
        for form in self.forms:
            # A private BaseFormSet method (what `deleted_forms` uses) the stubs leave out.
            if not form.has_changed() or self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            rows.extend(form.windows())
        # One row per (day, start, end): a repeat would only publish twice the same hours.
        return sorted(set(rows), key=lambda w: (w[0], w[1], w[2]))


# The stubs type formset_factory's class as BaseFormSet whatever `formset` is.
WindowFormSet = cast(
    type[BaseWindowFormSet],
    forms.formset_factory(
        WindowForm,
        formset=BaseWindowFormSet,
        extra=2,
        can_delete=True,
        max_num=70,
        validate_max=True,
        # Rows built whatever the (hidden, editable) row count says: a week's worth, not 1,070.
        absolute_max=70,
    ),
)


def window_initial(windows) -> list[dict]:
    return [{"day": str(w.weekday), "start": w.start, "end": w.end} for w in windows]


# --- sections -----------------------------------------------------------------------------------


class SectionForm(forms.Form):
    """`place` is where the section sits: "catalog:<public_id>" or "section:<public_id>"."""

    name = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the section a name, such as “Pizzas” or “Drinks”."},
    )
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    place = forms.ChoiceField(
        label="Inside",
        help_text="A catalog (a top-level section) or another section (a sub-section).",
        error_messages={"required": "Choose the catalog or section it belongs to."},
    )

    def __init__(self, *args, places: dict, choices: list, **kwargs):
        """`places`: value -> Catalog or Section; `choices`: grouped (label, [(value, label)])."""
        super().__init__(*args, **kwargs)
        self.places = places
        cast(forms.ChoiceField, self.fields["place"]).choices = [("", "Choose…"), *choices]

    def clean_place(self):
        return self.places[self.cleaned_data["place"]]


# --- items --------------------------------------------------------------------------------------


class ItemForm(forms.Form):
    name = forms.CharField(max_length=200, error_messages={"required": "Give the item a name."})
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    image = ImageField(
        label="Upload a picture",
        required=False,
        help_text="JPEG, PNG, WebP or GIF, 2 MB at most.",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        error_messages={
            "invalid_image": "This file is not a picture we can read. Use a JPEG, PNG, WebP "
            "or GIF image.",
            "invalid_extension": "Use a JPEG, PNG, WebP or GIF image.",
        },
    )
    remove_image = forms.BooleanField(label="Remove the picture", required=False)
    sections = forms.MultipleChoiceField(
        label="Sections it is in",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="An item in no section is not on sale on its own (it can still be an option).",
    )
    groups = forms.MultipleChoiceField(
        label="Modifier groups",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choices offered with this item, such as Size or Toppings. Change their order "
        "below the form.",
    )

    def __init__(
        self,
        *args,
        menu_money: MenuMoney,
        sections: list[tuple[str, str, object]],
        groups: list[tuple[str, str, object]],
        **kwargs,
    ):
        """`sections` and `groups`: (public_id, label, object) in the order to offer them."""
        super().__init__(*args, **kwargs)
        self.menu_money = menu_money
        # Only worth saying when the stores' currencies differ ("Price (GBP)" says the rest).
        note = "" if menu_money.currency else menu_money.note
        self.fields["price"] = PriceField(menu_money=menu_money, help_text=note)
        self.order_fields(["name", "price", "description"])
        self.section_objects = {value: obj for value, _, obj in sections}
        self.group_objects = {value: obj for value, _, obj in groups}
        section_field = cast(forms.MultipleChoiceField, self.fields["sections"])
        section_field.choices = [(value, label) for value, label, _ in sections]
        group_field = cast(forms.MultipleChoiceField, self.fields["groups"])
        group_field.choices = [(value, label) for value, label, _ in groups]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if not image:
            return image
        kind = getattr(getattr(image, "image", None), "format", None)
        if kind not in IMAGE_FORMATS:
            raise forms.ValidationError("Use a JPEG, PNG, WebP or GIF image.")
        return image

    def clean_sections(self):
        return [self.section_objects[value] for value in self.cleaned_data["sections"]]

    def clean_groups(self):
        return [self.group_objects[value] for value in self.cleaned_data["groups"]]

    @property
    def price_minor(self) -> int:
        return self.cleaned_data["price"]


# --- modifier groups ------------------------------------------------------------------------------


class GroupForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the group a name, such as “Size” or “Toppings”."},
    )
    min_selections = forms.IntegerField(
        label="Minimum choices",
        min_value=0,
        max_value=99,
        initial=0,
        help_text="0 makes the group optional; 1 or more makes it required.",
        error_messages={
            "required": "Enter the fewest options a customer must choose (0 for optional).",
            "min_value": "The minimum cannot be negative.",
        },
    )
    max_selections = forms.IntegerField(
        label="Maximum choices",
        min_value=1,
        max_value=99,
        initial=1,
        help_text="The most options a customer may choose.",
        error_messages={
            "required": "Enter the most options a customer may choose.",
            "min_value": "The maximum must be at least 1.",
        },
    )

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_selections"), cleaned.get("max_selections")
        if low is not None and high is not None and low > high:
            self.add_error(
                "min_selections",
                f"The minimum ({low}) cannot be above the maximum ({high}).",
            )
        return cleaned


class OptionAddForm(forms.Form):
    """Add an existing item (found by search, sent by its public id) to a list: a section's
    items or a group's options. `items` are the items that may be added (the merchant's, not
    already in the list); any other id is refused like a missing one."""

    item = forms.UUIDField(
        label="Existing item",
        error_messages={
            "required": "Choose an item to add.",
            "invalid": "Choose an item to add.",
        },
    )

    def __init__(self, *args, items: QuerySet[Item], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items

    def clean_item(self) -> Item:
        item = self.items.filter(public_id=self.cleaned_data["item"]).first()
        if item is None:
            raise forms.ValidationError(
                "That item cannot be added here: it is already in the list, or not in your menu."
            )
        return item


class OptionCreateForm(forms.Form):
    """A new item made on the spot as an option of a group (name and price)."""

    name = forms.CharField(
        label="New option", max_length=200, error_messages={"required": "Name the new option."}
    )

    def __init__(self, *args, menu_money: MenuMoney, **kwargs):
        super().__init__(*args, **kwargs)
        self.menu_money = menu_money
        self.fields["price"] = PriceField(menu_money=menu_money, initial=0)

    @property
    def price_minor(self) -> int:
        return self.cleaned_data["price"]


# --- bulk price change ------------------------------------------------------------------------


class BulkPriceForm(forms.Form):
    CHANGES = [
        ("increase_percent", "Increase by a percentage"),
        ("decrease_percent", "Decrease by a percentage"),
        ("increase_amount", "Increase by an amount"),
        ("decrease_amount", "Decrease by an amount"),
    ]
    MAX_PERCENT = Decimal(1000)

    change = forms.ChoiceField(
        label="Change",
        choices=CHANGES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how to change the prices."},
    )
    value = forms.CharField(
        label="By",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="A percentage (10 for 10 %) or an amount in major units (0.50).",
        error_messages={"required": "Enter how much to change the prices by."},
    )

    def __init__(self, *args, menu_money: MenuMoney, **kwargs):
        super().__init__(*args, **kwargs)
        self.menu_money = menu_money
        if menu_money.currency:
            self.fields[
                "value"
            ].help_text = (
                f"A percentage (10 for 10 %) or an amount in {menu_money.currency} (0.50)."
            )

    def clean_value(self) -> Decimal:
        try:
            value = decimal_parse(self.cleaned_data["value"], field="value")
        except PortalError:
            raise forms.ValidationError("Enter a number, like 10 or 0.50.") from None
        if value <= 0:
            raise forms.ValidationError("Enter a number above zero.")
        return value

    def clean(self):
        cleaned = super().clean()
        change, value = cleaned.get("change"), cleaned.get("value")
        if change is None or value is None:
            return cleaned
        if change.endswith("_percent"):
            if value > self.MAX_PERCENT:
                self.add_error("value", "Enter a percentage of 1000 or less.")
            elif value.normalize().as_tuple().exponent < -2:
                self.add_error("value", "Use at most 2 decimal places for a percentage.")
        elif value.normalize().as_tuple().exponent < -self.menu_money.digits:
            digits = self.menu_money.digits
            self.add_error(
                "value",
                f"Use at most {digits} decimal place{'s' if digits != 1 else ''} for an amount."
                if digits
                else "This currency has no decimal places.",
            )
        return cleaned

    def describe(self) -> str:
        change, value = self.cleaned_data["change"], self.cleaned_data["value"]
        verb = "Increase" if change.startswith("increase") else "Decrease"
        if change.endswith("_percent"):
            return f"{verb} by {value.normalize():f} %"
        return f"{verb} by {self.menu_money.show(self.menu_money.to_minor(value))}"
