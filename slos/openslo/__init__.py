"""OpenSLO (`openslo/v1`) import and export: Service, SLI (ratioMetric) and SLO documents.

`import_documents(text, project=...)` validates every document first and then writes everything
in one transaction (or nothing, raising `OpenSLOError` with one message per problem naming the
document index, its metadata.name, the field path and the reason). `export_documents(project)`
writes the project's services and SLOs; importing that output and exporting again gives the
same documents.
"""

from slos.openslo.documents import OpenSLOError, Problem
from slos.openslo.exporter import export_documents, export_yaml
from slos.openslo.importer import import_documents

__all__ = ["OpenSLOError", "Problem", "export_documents", "export_yaml", "import_documents"]
