"""Forms of the staff inspection pages (gett/sandbox/inspection.py)."""

from __future__ import annotations

from django import forms

from gett.sandbox.models import SandboxFault, SandboxStore, SandboxTestOrder
from gett.sandbox.services.faults import MAX_COUNT
from gett.sandbox.services.testorders import MAX_SEED


class SendTestOrderForm(forms.Form):
    store = forms.ModelChoiceField(queryset=SandboxStore.objects.all(), to_field_name="store_id")
    scenario = forms.ChoiceField(choices=SandboxTestOrder.Scenario.choices)
    seed = forms.IntegerField(required=False, min_value=0, max_value=MAX_SEED - 1)


class FaultForm(forms.Form):
    endpoint = forms.ChoiceField(
        choices=SandboxFault._meta.get_field("endpoint").choices or (),
        initial=SandboxFault.ANY_ENDPOINT,
    )
    mode = forms.ChoiceField(choices=SandboxFault.Mode.choices)
    count = forms.IntegerField(min_value=1, max_value=MAX_COUNT, initial=1)
