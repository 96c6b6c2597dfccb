"""The structure-specific XML schema of ``DSD_KERUEN`` (SDMX 2.1 REST ``/schema`` resource).

SDMX-ML 2.1 structure-specific data derive their data set, series and observation types from
the abstract ones of ``SDMXDataStructureSpecific.xsd`` by restriction, one schema per data
structure and observation layout (SDMX 2.1 standard, section 3A, "Structure specific schema"):
each dimension becomes a required XML attribute of the series (or, with ``AllDimensions``, of
the observation) typed by its code list, each data attribute an optional XML attribute. This
module writes that schema with lxml; a data message validates against it together with the
SDMX-ML 2.1 schemas.
"""

from __future__ import annotations

from lxml import etree
from lxml.builder import ElementMaker

from keruen.sdmx_export.messages import SS, dsd_namespace
from keruen.sdmx_export.structures import (
    ATTRIBUTES,
    CODELIST_OF,
    DIMENSIONS,
    PRIMARY_MEASURE,
    TIME_DIMENSION,
    Catalogue,
)

XS = "http://www.w3.org/2001/XMLSchema"
COMMON = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
LAYOUTS = (TIME_DIMENSION, "AllDimensions")


def dsd_schema(
    catalogue: Catalogue, dimension_at_observation: str = TIME_DIMENSION, location: str = ""
) -> bytes:
    """The XSD of structure-specific data of ``DSD_KERUEN`` with this observation layout.

    ``location`` prefixes the ``schemaLocation`` of the SDMX-ML 2.1 schemas it imports
    (default: beside them, as the SDMX schema package lays them out).
    """
    ns = dsd_namespace(dimension_at_observation)
    xs = ElementMaker(namespace=XS, nsmap={"xs": XS, None: ns, "ss": SS, "common": COMMON})
    flat = dimension_at_observation == "AllDimensions"

    def attribute(name: str, type_: str | None = None, use: str = "optional") -> etree._Element:
        attrs = {"name": name, "use": use}
        if type_ is not None:
            attrs["type"] = type_
        return xs.attribute(**attrs)

    def annotations() -> etree._Element:
        return xs.element(ref="common:Annotations", minOccurs="0")

    def restriction(name: str, base: str, *content: etree._Element) -> etree._Element:
        return xs.complexType(xs.complexContent(xs.restriction(*content, base=base)), name=name)

    code_types = []
    for cl_id in dict.fromkeys(CODELIST_OF.values()):
        codes = [xs.enumeration(value=code.id) for code in catalogue.codelists[cl_id]]
        code_types.append(
            xs.simpleType(xs.restriction(*codes, base="common:IDType"), name=f"{cl_id}Type")
        )

    def component_type(component: str) -> str:
        return f"{CODELIST_OF[component]}Type" if component in CODELIST_OF else "xs:string"

    dims = [attribute(d, component_type(d), "required") for d in DIMENSIONS]
    obs_attrs = [attribute(a, component_type(a)) for a in ATTRIBUTES]
    obs = restriction(
        "ObsType",
        "ss:ObsType",
        xs.sequence(annotations()),
        attribute("type", use="prohibited"),
        attribute("REPORTING_YEAR_START_DAY", use="prohibited"),
        *(dims if flat else []),
        attribute(TIME_DIMENSION, "common:ObservationalTimePeriodType", "required"),
        attribute(PRIMARY_MEASURE, "xs:double"),
        *obs_attrs,
    )
    data_set_items = [
        annotations(),
        xs.element(
            name="DataProvider",
            type="common:DataProviderReferenceType",
            form="unqualified",
            minOccurs="0",
        ),
    ]
    types = []
    if flat:
        data_set_items.append(
            xs.element(name="Obs", type="ObsType", form="unqualified", maxOccurs="unbounded")
        )
    else:
        data_set_items.append(
            xs.element(name="Series", type="SeriesType", form="unqualified", maxOccurs="unbounded")
        )
        types.append(
            restriction(
                "SeriesType",
                "ss:SeriesType",
                xs.sequence(
                    annotations(),
                    xs.element(
                        name="Obs",
                        type="ObsType",
                        form="unqualified",
                        minOccurs="0",
                        maxOccurs="unbounded",
                    ),
                ),
                attribute(TIME_DIMENSION, use="prohibited"),
                attribute("REPORTING_YEAR_START_DAY", use="prohibited"),
                *dims,
            )
        )
    data_set = restriction(
        "DataSetType",
        "ss:DataSetType",
        xs.sequence(*data_set_items),
        xs.attributeGroup(ref="ss:SetAttributeGroup"),
        attribute("REPORTING_YEAR_START_DAY", use="prohibited"),
    )
    imp = getattr(xs, "import")
    root = xs.schema(
        xs.annotation(
            xs.documentation(
                "Structure-specific data of KERUEN:DSD_KERUEN(1.0), observations at "
                f"{dimension_at_observation}; written by keruen."
            )
        ),
        imp(namespace=COMMON, schemaLocation=f"{location}SDMXCommon.xsd"),
        imp(namespace=SS, schemaLocation=f"{location}SDMXDataStructureSpecific.xsd"),
        *code_types,
        data_set,
        *types,
        obs,
        targetNamespace=ns,
        elementFormDefault="qualified",
        attributeFormDefault="unqualified",
    )
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
