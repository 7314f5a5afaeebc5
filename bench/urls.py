"""The portal's URLs plus the bench's baseline: a bare view doing one INSERT (bench/webhooks.py).

Only the bench server uses this URL conf (bench.settings); nothing in the portal links to it.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gett.models import InboundWebhook
from portal.urls import urlpatterns as portal_urlpatterns


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """The floor the webhooks are measured against: read the body, one INSERT, a JSON reply."""
    entry = InboundWebhook.objects.create(
        operation=InboundWebhook.Operation.VALIDATE, path=request.path, body_size=len(request.body)
    )
    return HttpResponse(f'{{"id":{entry.pk}}}', content_type="application/json")


urlpatterns = [path("bench/insert", bare_insert, name="bench-insert"), *portal_urlpatterns]
