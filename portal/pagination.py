"""The merchant API's one way to page a list: DRF's page numbers, set as the default in settings.

`?page=2&page_size=100` (50 by default, at most 200). Every list answers
`{"count", "next", "previous", "results"}`; `next` and `previous` are full URLs keeping the
filters. A `page_size` that is not a whole number from 1 to the maximum is a 400 (problem+json,
`portal.api_errors`) rather than silently the default, so a client learns its mistake; a page
past the end is DRF's 404 ("Invalid page.").
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


class PortalPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int | None:
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return field.run_validation(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.page_size_query_param: exc.detail}) from None
