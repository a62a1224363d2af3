"""The REST data routes, relative to /services/data/{version} (sfemu.app mounts them)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from sfemu import collections, composite, limits, query, records
from sfemu.listview_routes import listview_routes


def rest_routes() -> list[BaseRoute]:
    """Return the sObject, query, collections, composite and limits routes.

    Order matters: fixed segments (describe, updated, deleted, listviews) come before
    ``{record_id}``.
    """
    return [
        Route("/sobjects", records.describe_global, methods=["GET"]),
        Route("/sobjects/", records.describe_global, methods=["GET"]),
        Route("/sobjects/{sobject}", records.sobject_basic, methods=["GET"]),
        Route("/sobjects/{sobject}", records.create, methods=["POST"]),
        Route("/sobjects/{sobject}/", records.sobject_basic, methods=["GET"]),
        Route("/sobjects/{sobject}/", records.create, methods=["POST"]),
        Route("/sobjects/{sobject}/describe", records.sobject_describe, methods=["GET"]),
        Route("/sobjects/{sobject}/describe/", records.sobject_describe, methods=["GET"]),
        Route("/sobjects/{sobject}/updated", records.get_updated, methods=["GET"]),
        Route("/sobjects/{sobject}/updated/", records.get_updated, methods=["GET"]),
        Route("/sobjects/{sobject}/deleted", records.get_deleted, methods=["GET"]),
        Route("/sobjects/{sobject}/deleted/", records.get_deleted, methods=["GET"]),
        *listview_routes(),
        Route("/sobjects/{sobject}/{record_id}", records.get_record, methods=["GET"]),
        Route("/sobjects/{sobject}/{record_id}", records.update, methods=["PATCH"]),
        Route("/sobjects/{sobject}/{record_id}", records.delete, methods=["DELETE"]),
        Route("/sobjects/{sobject}/{record_id}", records.create_by_id_path, methods=["POST"]),
        Route(
            "/sobjects/{sobject}/{ext_field}/{ext_value:path}",
            records.get_by_external_id,
            methods=["GET"],
        ),
        Route(
            "/sobjects/{sobject}/{ext_field}/{ext_value:path}",
            records.upsert,
            methods=["PATCH"],
        ),
        Route("/query", query.query, methods=["GET"]),
        Route("/query/", query.query, methods=["GET"]),
        Route("/queryAll", query.query_all, methods=["GET"]),
        Route("/queryAll/", query.query_all, methods=["GET"]),
        Route("/query/{locator}", query.query_more, methods=["GET"]),
        Route("/queryAll/{locator}", query.query_more, methods=["GET"]),
        Route("/composite", composite.composite, methods=["POST"]),
        Route("/composite/", composite.composite, methods=["POST"]),
        Route("/composite/batch", composite.batch, methods=["POST"]),
        Route("/composite/sobjects", collections.create_many, methods=["POST"]),
        Route("/composite/sobjects", collections.update_many, methods=["PATCH"]),
        Route("/composite/sobjects", collections.delete_many, methods=["DELETE"]),
        Route("/composite/sobjects/{sobject}", collections.retrieve_get, methods=["GET"]),
        Route("/composite/sobjects/{sobject}", collections.retrieve_post, methods=["POST"]),
        Route(
            "/composite/sobjects/{sobject}/{ext_field}",
            collections.upsert_many,
            methods=["PATCH"],
        ),
        Route("/limits", limits.limits, methods=["GET"]),
        Route("/limits/", limits.limits, methods=["GET"]),
    ]
