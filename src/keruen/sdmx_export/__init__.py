"""keruen's store as an SDMX 2.1 data source: structures, data and error messages.

In the presentation layer, beside :mod:`keruen.presentation` and above :mod:`keruen.api` and
:mod:`keruen.store`: the web routes (:mod:`keruen.web.sdmx_routes`) and ``keruen export
--sdmx`` call it; it imports neither them nor a web framework. :mod:`.structures` maps the
store onto one SDMX data structure, :mod:`.query` parses REST queries, :mod:`.data` reads the
observations a query selects (bounded, bound parameters only), :mod:`.messages` writes SDMX-ML
2.1 and SDMX-CSV 1.0, :mod:`.json_data` SDMX-JSON 1.0, :mod:`.schema` the structure-specific
XML schema, and :mod:`.service` answers one REST request with them.
"""
